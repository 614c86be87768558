package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/pos"
)

// reloadConfig is serve's config in the SIGHUP test: one tenant earning a
// point for every unit of spend.
const reloadConfig = `data_dir: %s
server:
  listen: %s
  admin_token: %s
queue:
  backend: memory
tenants:
  shop:
    default_region: ID
    connectors:
      pos:
        type: pos_webhook
        secret: %s
    loyalty:
      rules:
        - name: spend
          on: order.paid
          spend:
            unit: "%s"
            points: 1
%s`

// `loyalhub serve` reloads its config on SIGHUP: the next sale earns by
// the new rule; a config with an error is refused, logged with its key
// path, and the hub goes on with the rule it runs.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freePort(t)
	hubURL := "http://" + addr
	cfgPath := filepath.Join(dir, "loyalhub.yaml")
	write := func(unit, extra string) {
		require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, reloadConfig, dir, addr, crashAdmin, crashSecret, unit, extra), 0o600))
	}
	write("10000", "")
	logFile, err := os.Create(filepath.Join(dir, "loyalhub.log"))
	require.NoError(t, err)
	defer logFile.Close()
	c := &child{t: t, bin: bin, cfg: cfgPath, log: logFile, flags: []string{"--watch=false"}}
	c.start(addr)
	defer func() {
		if t.Failed() {
			out, _ := os.ReadFile(logFile.Name())
			t.Logf("loyalhub's log:\n%s", lastLines(out, 30))
		}
	}()
	defer func() { require.NoError(t, c.stop()) }()

	earns := func(id, phone string, points int64) {
		t.Helper()
		body := fmt.Appendf(nil, `{"sale_id":%q,"customer":{"phone":%q,"name":"Sari"},"total":"250000","currency":"IDR"}`, id, phone)
		req, err := http.NewRequest(http.MethodPost, hubURL+"/hooks/shop/pos", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-Loyalhub-Signature", pos.Sign(crashSecret, body))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Eventually(t, func() bool {
			req, _ := http.NewRequest(http.MethodGet, hubURL+"/api/v1/tenants/shop/members?phone=%2B62"+strings.TrimPrefix(phone, "0"), nil)
			req.Header.Set("Authorization", "Bearer "+crashAdmin)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			var m struct {
				Balance int64 `json:"balance"`
			}
			return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&m) == nil && m.Balance == points
		}, 30*time.Second, 50*time.Millisecond, "sale %s earns %d points", id, points)
	}
	reloads := func(result string) string {
		resp, err := http.Get(hubURL + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, `loyalhub_config_reloads_total{result="`+result+`"} `); ok {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}

	earns("S-1", "081234567001", 25)

	write("5000", "")
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGHUP))
	require.Eventually(t, func() bool { return reloads("ok") == "1" }, 30*time.Second, 50*time.Millisecond)
	earns("S-2", "081234567002", 50)

	write("1000", "    points_per_currency: 2\n")
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGHUP))
	require.Eventually(t, func() bool { return reloads("refused") == "1" }, 30*time.Second, 50*time.Millisecond)
	earns("S-3", "081234567003", 50)
	out, err := os.ReadFile(logFile.Name())
	require.NoError(t, err)
	assert.Contains(t, string(out), "tenants.shop.points_per_currency")
	assert.Equal(t, "1", reloads("ok"))
}
