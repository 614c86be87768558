package pipelines_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAccess wires the admin API's keys, audit log, metrics token and
// profiler into the hub: keys created with the admin token open their
// tenant, segment writes are audited with what they changed, and /metrics
// and /debug/pprof answer only their own callers.
func TestAccess(t *testing.T) {
	h := newHarness(t, harnessOpts{env: []string{"LOYALHUB_SERVER__METRICS_TOKEN=met", "LOYALHUB_SERVER__PPROF=true"}})
	do := func(method, path, token, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, h.url+path, strings.NewReader(body))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := h.client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	get := func(path, token string) (int, string) { return do(http.MethodGet, path, token, "") }
	send := func(method, path, token, body string) int {
		code, _ := do(method, "/api/v1/tenants/acme"+path, token, body)
		return code
	}

	code, _ := get("/metrics", "")
	assert.Equal(t, http.StatusUnauthorized, code, "/metrics asks for server.metrics_token")
	code, _ = get("/metrics", testAdmin)
	assert.Equal(t, http.StatusUnauthorized, code, "the admin token is not the metrics token")
	code, body := get("/metrics", "met")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "loyalhub_connector_accept_duration_seconds")

	create := func(body map[string]string) string {
		t.Helper()
		code, out := h.adminSend(http.MethodPost, "/keys", body)
		require.Equal(t, http.StatusCreated, code, string(out))
		var k struct {
			Token string `json:"token"`
		}
		require.NoError(t, json.Unmarshal(out, &k))
		return k.Token
	}
	writer := create(map[string]string{"name": "shop", "scope": "write"})
	tenantAdmin := create(map[string]string{"name": "acme ops", "scope": "admin"})

	require.Equal(t, http.StatusOK, send("PUT", "/segments/vip", writer, `{"condition":"balance > 50"}`))
	require.Equal(t, http.StatusOK, send("PUT", "/segments/vip", writer, `{"condition":"balance > 100"}`))
	require.Equal(t, http.StatusForbidden, send("GET", "/audit", writer, ""), "the audit log needs the admin scope")

	code, body = get("/api/v1/tenants/acme/audit?limit=1", tenantAdmin)
	require.Equal(t, http.StatusOK, code, body)
	var page struct {
		Entries []struct {
			KeyName string          `json:"key_name"`
			Route   string          `json:"route"`
			Status  int             `json:"status"`
			Request json.RawMessage `json:"request"`
			Before  json.RawMessage `json:"before"`
			After   json.RawMessage `json:"after"`
		} `json:"entries"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &page))
	require.Len(t, page.Entries, 1)
	e := page.Entries[0]
	assert.Equal(t, "shop", e.KeyName)
	assert.Equal(t, "PUT /api/v1/tenants/{tenant}/segments/{name}", e.Route)
	assert.Equal(t, http.StatusOK, e.Status)
	assert.JSONEq(t, `{"condition":"balance > 100"}`, string(e.Request))
	var before, after struct {
		Condition string `json:"condition"`
	}
	require.NoError(t, json.Unmarshal(e.Before, &before))
	require.NoError(t, json.Unmarshal(e.After, &after))
	assert.Equal(t, "balance > 50", before.Condition, "the segment as it was")
	assert.Equal(t, "balance > 100", after.Condition, "the segment as it is")

	code, _ = get("/debug/pprof/", tenantAdmin)
	assert.Equal(t, http.StatusForbidden, code, "a tenant's key does not profile the whole process")
	code, _ = get("/debug/pprof/", "")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = get("/debug/pprof/", testAdmin)
	assert.Equal(t, http.StatusOK, code)
	code, out := do(http.MethodPost, "/api/v1/keys", testAdmin, `{"tenant":"*","name":"integrator","scope":"admin"}`)
	require.Equal(t, http.StatusCreated, code, out)
	var k struct {
		Token string `json:"token"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &k))
	code, _ = get("/debug/pprof/", k.Token)
	assert.Equal(t, http.StatusOK, code, "an integrator admin key profiles")
}
