package csvdrop

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
)

// body is a decoded delivery body.
type body struct {
	File string           `json:"file"`
	Rows []map[string]any `json:"rows"`
}

// collector is an accept that stores what it is given; fail, when set,
// decides per call (1-based) whether to refuse.
type collector struct {
	mu     sync.Mutex
	calls  int
	ds     []connectors.Delivery
	bodies []body
	fail   func(call int) error
}

func (c *collector) accept(_ context.Context, d connectors.Delivery, b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.fail != nil {
		if err := c.fail(c.calls); err != nil {
			return err
		}
	}
	var v body
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		panic("delivery body is not JSON: " + err.Error() + ": " + string(b))
	}
	c.ds = append(c.ds, d)
	c.bodies = append(c.bodies, v)
	return nil
}

// rows returns every row stored, in order.
func (c *collector) rows() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	for _, b := range c.bodies {
		out = append(out, b.Rows...)
	}
	return out
}

// ids returns the transaction ids stored, in order.
func (c *collector) ids() []string {
	var out []string
	for _, r := range c.rows() {
		out = append(out, r["transaction_id"].(string))
	}
	return out
}

func (c *collector) deliveryIDs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, d := range c.ds {
		out = append(out, d.ID)
	}
	return out
}

// newTestSource returns a source on a fresh folder that takes files at
// once, with the settings changed by set.
func newTestSource(t testing.TB, set func(c *Config)) *Source {
	t.Helper()
	c := NewConfig()
	c.Dir = t.TempDir()
	c.Settle = 0
	c.PollInterval = 10 * time.Millisecond
	if set != nil {
		set(c)
	}
	s, err := NewSource(c, connectors.Deps{Tenant: "acme", Name: "drop"})
	require.NoError(t, err)
	s.retryMin, s.retryMax = time.Millisecond, 5*time.Millisecond
	return s
}

// pollOnce lists the folder once and reads what has settled.
func pollOnce(t testing.TB, s *Source, ctx context.Context, accept acceptFunc) {
	t.Helper()
	w, err := s.newWatcher()
	require.NoError(t, err)
	defer w.close()
	w.poll(ctx, accept)
}

func drop(t testing.TB, s *Source, name, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(s.cfg.Dir, name), []byte(content), 0o644))
}

func readFile(t testing.TB, path ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(path...))
	require.NoError(t, err)
	return string(b)
}

func exists(path ...string) bool {
	_, err := os.Stat(filepath.Join(path...))
	return err == nil
}

// listDir returns the names in a folder.
func listDir(t testing.TB, path ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(path...))
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// jsonNumber is a row's line as the collector decodes it.
func jsonNumber(n int) json.Number { return json.Number(strconv.Itoa(n)) }
