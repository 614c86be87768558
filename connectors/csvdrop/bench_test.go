package csvdrop

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
)

var benchRows = flag.Int("rows", 100_000, "rows of the file BenchmarkParse and BenchmarkFile read")

func sampleBytes(tb testing.TB, rows int) []byte {
	tb.Helper()
	var b bytes.Buffer
	require.NoError(tb, WriteSample(&b, rows, 42))
	return b.Bytes()
}

func noAccept(context.Context, connectors.Delivery, []byte) error { return nil }

// BenchmarkParse reads a generated file from memory into delivery bodies
// of 1000 rows: CSV, row checks and JSON, without the disk.
func BenchmarkParse(b *testing.B) {
	data := sampleBytes(b, *benchRows)
	cfg := NewConfig()
	cfg.Dir = b.TempDir()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var rows int
	start := time.Now()
	for b.Loop() {
		rows = parseAll(b, cfg, data)
	}
	require.Equal(b, *benchRows, rows)
	b.ReportMetric(float64(rows*b.N)/time.Since(start).Seconds(), "rows/s")
}

// parseAll is fileJob.run without checkpoints: it returns the rows sent.
func parseAll(tb testing.TB, cfg *Config, data []byte) int {
	sc, err := newScanner(bytes.NewReader(data), 0, 1, 0)
	require.NoError(tb, err)
	header, _, err := sc.read()
	require.NoError(tb, err)
	lay, he := newMatcher(cfg.Columns).match(header)
	require.Nil(tb, he)
	j := &fileJob{name: "sample.csv", parser: newRowParser(cfg, lay, time.UTC)}
	sent := 0
	send := func() {
		if j.rows > 0 {
			_ = noAccept(context.Background(), connectors.Delivery{ID: deliveryID(nil, j.first)}, append(j.body, "]}"...))
			sent += j.rows
			j.body, j.rows = make([]byte, 0, cap(j.body)), 0
		}
	}
	for {
		rec, line, err := sc.read()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(tb, err)
		j.row.line = line
		if j.parser.parse(rec, &j.row) == "" && j.add(&j.row) && j.rows >= cfg.BatchRows {
			send()
		}
	}
	send()
	return sent
}

// BenchmarkFile reads a generated file from the folder to done/: hashing,
// parsing, batching, a synced checkpoint per batch, the move.
func BenchmarkFile(b *testing.B) {
	s := newTestSource(b, nil)
	path := filepath.Join(s.cfg.Dir, "sample.csv")
	f, err := os.Create(path)
	require.NoError(b, err)
	require.NoError(b, WriteSample(f, *benchRows, 42))
	require.NoError(b, f.Close())
	info, err := os.Stat(path)
	require.NoError(b, err)
	w, err := s.newWatcher()
	require.NoError(b, err)
	defer w.close()
	require.NoError(b, w.prepare())
	b.SetBytes(info.Size())
	b.ReportAllocs()
	var rows int
	start := time.Now()
	for b.Loop() {
		var c counter
		require.NoError(b, w.process(context.Background(), c.accept, "sample.csv", stateOf(info)))
		rows = c.rows
		b.StopTimer()
		require.NoError(b, os.Rename(filepath.Join(s.cfg.Dir, DoneDir, "sample.csv"), path))
		require.NoError(b, os.Chtimes(path, info.ModTime(), info.ModTime()))
		b.StartTimer()
	}
	require.Equal(b, *benchRows, rows)
	b.ReportMetric(float64(rows*b.N)/time.Since(start).Seconds(), "rows/s")
}

// counter is an accept that counts rows by their "line" keys.
type counter struct{ rows, batches int }

func (c *counter) accept(_ context.Context, _ connectors.Delivery, body []byte) error {
	c.rows += bytes.Count(body, []byte(`{"line":`))
	c.batches++
	return nil
}

// Reading a file keeps memory flat: the live heap stays within a few
// batches whatever the file's size.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a 150,000-row file")
	}
	s := newTestSource(t, nil)
	f, err := os.Create(filepath.Join(s.cfg.Dir, "big.csv"))
	require.NoError(t, err)
	require.NoError(t, WriteSample(f, 150_000, 7))
	info, err := f.Stat()
	require.NoError(t, err)
	require.NoError(t, f.Close())

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	var c counter
	pollOnce(t, s, context.Background(), func(ctx context.Context, d connectors.Delivery, body []byte) error {
		if c.batches%15 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return c.accept(ctx, d, body)
	})
	require.Equal(t, 150_000, c.rows)
	growth := int64(peak) - int64(base)
	t.Logf("file %d MB, live heap growth %d KB", info.Size()>>20, growth>>10)
	assert.Less(t, growth, int64(4<<20), "the live heap must not grow with the file (%d bytes)", info.Size())
}
