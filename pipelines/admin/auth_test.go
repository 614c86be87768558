package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/access"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

const bootstrap = "b00tstrap"

// guarded is an API on a real store whose test routes answer with the
// caller they saw, on tenant routes of every method, an admin-only tenant
// route and a route across tenants.
type guarded struct {
	api   *API
	st    *sqlite.Store
	mux   *http.ServeMux
	now   time.Time
	calls int
}

func newGuarded(t *testing.T) *guarded {
	t.Helper()
	st := sqlite.New(filepath.Join(t.TempDir(), "hub.db"))
	require.NoError(t, st.Migrate(context.Background()))
	t.Cleanup(func() { _ = st.Close() })
	g := &guarded{st: st, mux: http.NewServeMux(), now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	g.api = &API{
		Store: nil, Keys: st, Audit: st, Token: bootstrap, Now: func() time.Time { return g.now },
		Tenants: runtime.NewTenants(runtime.Snapshot{"acme": {ID: "acme", Location: time.UTC}, "other": {ID: "other", Location: time.UTC}}),
		Logger:  slog.New(slog.DiscardHandler), RateLimit: config.RateLimit{PerSecond: 1000, Burst: 1000},
	}
	seen := func(w http.ResponseWriter, r *http.Request) {
		g.calls++
		c, _ := CallerFrom(r.Context())
		respond.JSON(w, http.StatusOK, map[string]string{"key": c.KeyID})
	}
	const p = "/api/v1/tenants/{tenant}/things"
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		path := p + "/{id}"
		if m == "GET" || m == "POST" {
			path = p
		}
		g.mux.Handle(m+" "+path, g.api.tenant(func(w http.ResponseWriter, r *http.Request, _ *runtime.Tenant) { seen(w, r) }))
	}
	g.mux.Handle("POST "+p+"/purge", g.api.tenantAdmin(func(w http.ResponseWriter, r *http.Request, _ *runtime.Tenant) { seen(w, r) }))
	g.mux.Handle("GET /api/v1/everything", g.api.only(http.HandlerFunc(seen)))
	g.api.keyRoutes(g.mux)
	g.api.privacyRoutes(g.mux)
	return g
}

// key stores a key and returns its token.
func (g *guarded) key(t *testing.T, tenant, scope string, mutate ...func(*store.APIKey)) string {
	t.Helper()
	k, token, err := NewAPIKey(KeyRequest{Tenant: tenant, Name: tenant + " " + scope, Scope: scope}, g.now)
	require.NoError(t, err)
	for _, m := range mutate {
		m(&k)
	}
	require.NoError(t, g.st.CreateAPIKey(context.Background(), k))
	return token
}

func (g *guarded) do(method, path, token, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	g.mux.ServeHTTP(rec, req)
	return rec
}

func (g *guarded) audit(t *testing.T, tenant string) []store.AuditEntry {
	t.Helper()
	es, err := g.st.ListAudit(context.Background(), store.AuditQuery{Tenant: tenant, Limit: 100})
	require.NoError(t, err)
	return es
}

func TestGuardScopeByMethod(t *testing.T) {
	g := newGuarded(t)
	tokens := map[string]string{
		"read": g.key(t, "acme", "read"), "write": g.key(t, "acme", "write"), "admin": g.key(t, "acme", "admin"),
		"integrator read": g.key(t, "*", "read"), "integrator write": g.key(t, "*", "write"),
		"integrator admin": g.key(t, "*", "admin"), "admin token": bootstrap,
	}
	routes := []struct {
		method, path string
		need         access.Scope
	}{
		{"GET", "/api/v1/tenants/acme/things", access.Read},
		{"HEAD", "/api/v1/tenants/acme/things", access.Read},
		{"POST", "/api/v1/tenants/acme/things", access.Write},
		{"PUT", "/api/v1/tenants/acme/things/1", access.Write},
		{"PATCH", "/api/v1/tenants/acme/things/1", access.Write},
		{"DELETE", "/api/v1/tenants/acme/things/1", access.Write},
		{"POST", "/api/v1/tenants/acme/things/purge", access.Admin},
		{"GET", "/api/v1/tenants/acme/keys", access.Admin},
		{"GET", "/api/v1/tenants/acme/audit", access.Admin},
		{"POST", "/api/v1/tenants/acme/keys", access.Admin},
		{"DELETE", "/api/v1/tenants/acme/keys/nope", access.Admin},
		{"POST", "/api/v1/tenants/acme/privacy/redact", access.Admin},
	}
	for who, token := range tokens {
		scope := access.Admin
		if s, ok := strings.CutPrefix(who, "integrator "); ok {
			scope, _ = access.ParseScope(s)
		} else if s, err := access.ParseScope(who); err == nil {
			scope = s
		}
		for _, rt := range routes {
			t.Run(who+" "+rt.method+" "+rt.path, func(t *testing.T) {
				rec := g.do(rt.method, rt.path, token, "")
				switch {
				case scope.Allows(rt.need) && strings.Contains(rt.path, "/things"):
					assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
					return
				case scope.Allows(rt.need):
					assert.NotContains(t, []int{401, 403, 429}, rec.Code, "let through to the handler: %s", rec.Body.String())
					return
				}
				assert.Equal(t, http.StatusForbidden, rec.Code, rec.Body.String())
				if rt.method != "HEAD" {
					assert.Contains(t, rec.Body.String(), "the route needs "+rt.need.String())
				}
			})
		}
	}
}

func TestGuardTenants(t *testing.T) {
	g := newGuarded(t)
	acme := g.key(t, "acme", "admin")
	integrator := g.key(t, "*", "read")
	for _, tt := range []struct {
		name, method, path, token string
		code                      int
		body                      string
	}{
		{"a tenant's key on its tenant", "GET", "/api/v1/tenants/acme/things", acme, 200, ""},
		{"a tenant's key on another tenant", "GET", "/api/v1/tenants/other/things", acme, 403, "does not open tenant other"},
		{"a tenant's key on an unknown tenant", "GET", "/api/v1/tenants/nope/things", acme, 403, "does not open tenant nope"},
		{"a tenant's write on another tenant", "DELETE", "/api/v1/tenants/other/things/1", acme, 403, ""},
		{"a tenant's key across tenants", "GET", "/api/v1/everything", acme, 403, "spans tenants"},
		{"an integrator key on any tenant", "GET", "/api/v1/tenants/other/things", integrator, 200, ""},
		{"an integrator key on an unknown tenant", "GET", "/api/v1/tenants/nope/things", integrator, 404, "unknown tenant nope"},
		{"an integrator key across tenants", "GET", "/api/v1/everything", integrator, 200, ""},
		{"the admin token across tenants", "GET", "/api/v1/everything", bootstrap, 200, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := g.do(tt.method, tt.path, tt.token, "")
			assert.Equal(t, tt.code, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Body.String(), tt.body)
		})
	}
}

func TestGuardRefusesKeys(t *testing.T) {
	g := newGuarded(t)
	valid := g.key(t, "acme", "admin")
	revoked := g.key(t, "acme", "admin")
	id, _, err := access.Parse(revoked)
	require.NoError(t, err)
	_, err = g.st.RevokeAPIKey(context.Background(), id, g.now)
	require.NoError(t, err)
	expired := g.key(t, "acme", "admin", func(k *store.APIKey) { k.ExpiresAt = g.now })
	later := g.key(t, "acme", "admin", func(k *store.APIKey) { k.ExpiresAt = g.now.Add(time.Second) })
	vid, _, err := access.Parse(valid)
	require.NoError(t, err)
	unknown := access.NewKey().Token
	for name, token := range map[string]string{
		"no token":         "",
		"unknown key":      unknown,
		"wrong secret":     "lh_" + vid + "_" + strings.Repeat("a", 32),
		"malformed":        "lh_nope",
		"wrong token":      "s3cret",
		"revoked key":      revoked,
		"expired key":      expired,
		"another's secret": valid[:12] + revoked[12:],
	} {
		t.Run(name, func(t *testing.T) {
			rec := g.do("GET", "/api/v1/tenants/acme/things", token, "")
			assert.Equal(t, http.StatusUnauthorized, rec.Code, rec.Body.String())
			assert.Equal(t, `Bearer realm="loyalhub"`, rec.Header().Get("WWW-Authenticate"))
		})
	}
	assert.Equal(t, http.StatusOK, g.do("GET", "/api/v1/tenants/acme/things", later, "").Code, "a second before its expiry")
	assert.Contains(t, g.do("GET", "/api/v1/tenants/acme/things", revoked, "").Body.String(), "revoked")
	assert.Contains(t, g.do("GET", "/api/v1/tenants/acme/things", expired, "").Body.String(), "expired")
	assert.Equal(t, 1, g.calls, "only the valid key reached a handler")
	assert.Empty(t, g.audit(t, "acme"), "refused requests are not audited")
}

func TestGuardDisabledWithoutTokenOrKeys(t *testing.T) {
	a := &API{Tenants: runtime.NewTenants(runtime.Snapshot{"acme": {ID: "acme"}})}
	mux := http.NewServeMux()
	a.Routes(mux)
	req := httptest.NewRequest("GET", "/api/v1/tenants/acme/keys", nil)
	req.Header.Set("Authorization", "Bearer "+access.NewKey().Token)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusForbidden, rec.Code)

	g := newGuarded(t)
	g.api.Token = ""
	key := g.key(t, "acme", "read")
	assert.Equal(t, http.StatusOK, g.do("GET", "/api/v1/tenants/acme/things", key, "").Code, "keys work without the admin token")
	assert.Equal(t, http.StatusUnauthorized, g.do("GET", "/api/v1/tenants/acme/things", "", "").Code,
		"an empty admin token opens nothing")
}

func TestGuardRateLimit(t *testing.T) {
	g := newGuarded(t)
	g.api.Requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "requests"}, []string{"result"})
	g.api.RateLimit = config.RateLimit{PerSecond: 0.5, Burst: 2}
	a, b := g.key(t, "acme", "read"), g.key(t, "acme", "read")
	for i := range 2 {
		require.Equal(t, http.StatusOK, g.do("GET", "/api/v1/tenants/acme/things", a, "").Code, "request %d in the burst", i)
	}
	rec := g.do("GET", "/api/v1/tenants/acme/things", a, "")
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, "2", rec.Header().Get("Retry-After"), "one token every 2s")
	assert.Equal(t, http.StatusOK, g.do("GET", "/api/v1/tenants/acme/things", b, "").Code, "another key has its own bucket")
	for range 5 {
		assert.Equal(t, http.StatusOK, g.do("GET", "/api/v1/tenants/acme/things", bootstrap, "").Code, "the admin token is not paced")
	}
	g.now = g.now.Add(2 * time.Second)
	assert.Equal(t, http.StatusOK, g.do("GET", "/api/v1/tenants/acme/things", a, "").Code, "a token is back 2s later")
	assert.Equal(t, http.StatusTooManyRequests, g.do("GET", "/api/v1/tenants/acme/things", a, "").Code)
	assert.Equal(t, http.StatusForbidden, g.do("GET", "/api/v1/tenants/other/things", b, "").Code)
	assert.Equal(t, http.StatusUnauthorized, g.do("GET", "/api/v1/tenants/acme/things", "", "").Code)

	for result, want := range map[string]float64{"allowed": 9, "rate_limited": 2, "forbidden": 1, "unauthorized": 1} {
		var m dto.Metric
		require.NoError(t, g.api.Requests.WithLabelValues(result).Write(&m))
		assert.Equal(t, want, m.GetCounter().GetValue(), result)
	}
}

func TestGuardRecordsUse(t *testing.T) {
	g := newGuarded(t)
	token := g.key(t, "acme", "read")
	id, _, err := access.Parse(token)
	require.NoError(t, err)
	lastUsed := func() time.Time {
		k, err := g.st.APIKey(context.Background(), id)
		require.NoError(t, err)
		return k.LastUsedAt
	}
	start := g.now
	g.do("GET", "/api/v1/tenants/acme/things", token, "")
	assert.True(t, lastUsed().Equal(start))
	g.now = start.Add(30 * time.Second)
	g.do("GET", "/api/v1/tenants/acme/things", token, "")
	assert.True(t, lastUsed().Equal(start), "at most once a minute")
	g.now = start.Add(61 * time.Second)
	g.do("GET", "/api/v1/tenants/acme/things", token, "")
	assert.True(t, lastUsed().Equal(g.now))
}

func TestAuditWrites(t *testing.T) {
	g := newGuarded(t)
	token := g.key(t, "acme", "admin")
	id, _, err := access.Parse(token)
	require.NoError(t, err)
	fail := errors.New("disk on fire")
	g.mux.Handle("POST /api/v1/tenants/{tenant}/fails", g.api.tenant(func(w http.ResponseWriter, r *http.Request, _ *runtime.Tenant) {
		_, _ = io.ReadAll(r.Body)
		g.api.respond(w, nil, fail, "")
	}))
	g.mux.Handle("POST /api/v1/tenants/{tenant}/panics", g.api.tenant(func(http.ResponseWriter, *http.Request, *runtime.Tenant) {
		panic("boom")
	}))
	g.mux.Handle("DELETE /api/v1/tenants/{tenant}/quiet/{id}", g.api.tenant(func(w http.ResponseWriter, r *http.Request, _ *runtime.Tenant) {
		noteBefore(r, func() (map[string]any, error) { return map[string]any{"name": "vip", "api_token": "x"}, nil })
	}))

	rec := g.do("POST", "/api/v1/tenants/acme/things", token,
		`{"name":"ops","secret":"hunter2","nested":{"access_token":"t","keep":1},"list":[{"Password":"p"}]}`)
	require.Equal(t, http.StatusOK, rec.Code)
	rec = g.do("POST", "/api/v1/tenants/acme/fails", bootstrap, `{"n":1}`)
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Panics(t, func() { g.do("POST", "/api/v1/tenants/acme/panics", token, "") }, "the panic goes on to the server")
	require.Equal(t, http.StatusOK, g.do("DELETE", "/api/v1/tenants/acme/quiet/7", token, "").Code)
	require.Equal(t, http.StatusOK, g.do("PUT", "/api/v1/tenants/acme/things/9", token, "name,phone\nSari,0812").Code)
	require.Equal(t, http.StatusOK, g.do("PUT", "/api/v1/tenants/acme/things/10", token, "{"+strings.Repeat(" ", maxAuditBody)+"}").Code)
	require.Equal(t, http.StatusOK, g.do("GET", "/api/v1/tenants/acme/things", token, "").Code, "reads are not audited")
	require.Equal(t, http.StatusForbidden, g.do("POST", "/api/v1/tenants/other/things", token, "").Code, "refused: not audited")
	readOnly := g.key(t, "acme", "read")
	require.Equal(t, http.StatusForbidden, g.do("POST", "/api/v1/tenants/acme/things", readOnly, "").Code, "refused: not audited")
	integrator := g.key(t, "*", "admin")
	require.Equal(t, http.StatusNotFound, g.do("POST", "/api/v1/tenants/nope/things", integrator, `{}`).Code)

	es := g.audit(t, "acme")
	require.Len(t, es, 6)
	byRoute := map[string]store.AuditEntry{}
	for _, e := range es {
		byRoute[e.Path] = e
	}
	ok := byRoute["/api/v1/tenants/acme/things"]
	assert.Equal(t, id, ok.KeyID)
	assert.Equal(t, "acme admin", ok.KeyName)
	assert.Equal(t, "acme", ok.Tenant)
	assert.Equal(t, "POST", ok.Method)
	assert.Equal(t, "POST /api/v1/tenants/{tenant}/things", ok.Route)
	assert.Equal(t, 200, ok.Status)
	assert.True(t, ok.At.Equal(g.now))
	assert.JSONEq(t, `{"name":"ops","secret":"[redacted]","nested":{"access_token":"[redacted]","keep":1},"list":[{"Password":"[redacted]"}]}`,
		string(ok.Request))
	assert.JSONEq(t, `{"key":"`+id+`"}`, string(ok.After), "the answer is kept as after")
	assert.Empty(t, ok.Before)

	failed := byRoute["/api/v1/tenants/acme/fails"]
	assert.Equal(t, 500, failed.Status, "a failed write is audited")
	assert.Equal(t, "admin_token", failed.KeyID)
	assert.Equal(t, "admin_token", failed.KeyName)
	assert.JSONEq(t, `{"n":1}`, string(failed.Request))
	assert.JSONEq(t, `{"error":"internal error"}`, string(failed.After))

	assert.Equal(t, 500, byRoute["/api/v1/tenants/acme/panics"].Status, "a panicking write is audited")

	quiet := byRoute["/api/v1/tenants/acme/quiet/7"]
	assert.Equal(t, 200, quiet.Status, "a handler that writes nothing answers 200")
	assert.JSONEq(t, `{"name":"vip","api_token":"[redacted]"}`, string(quiet.Before))

	assert.JSONEq(t, `{"omitted":"not JSON","bytes":20,"content_type":"application/json"}`,
		string(byRoute["/api/v1/tenants/acme/things/9"].Request))
	assert.JSONEq(t, `{"omitted":"longer than `+strconv.Itoa(maxAuditBody)+` bytes","content_type":"application/json"}`,
		string(byRoute["/api/v1/tenants/acme/things/10"].Request))

	nope := g.audit(t, "nope")
	require.Len(t, nope, 1, "a write past the guard on an unknown tenant is audited")
	assert.Equal(t, 404, nope[0].Status)
}

func TestKeyRoutes(t *testing.T) {
	g := newGuarded(t)
	create := func(path, token, body string) CreatedKey {
		t.Helper()
		rec := g.do("POST", path, token, body)
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
		var k CreatedKey
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &k))
		return k
	}
	adminKey := create("/api/v1/tenants/acme/keys", bootstrap, `{"name":"acme ops","scope":"admin","expires":"90d"}`)
	assert.Equal(t, "acme", adminKey.Key.Tenant)
	assert.Equal(t, "admin", adminKey.Key.Scope)
	assert.True(t, adminKey.Key.ExpiresAt.Equal(g.now.Add(90*24*time.Hour)))
	assert.True(t, strings.HasPrefix(adminKey.Token, "lh_"+adminKey.Key.ID+"_"))

	writer := create("/api/v1/tenants/acme/keys", adminKey.Token, `{"name":"shop","scope":"write"}`)
	otherKey := create("/api/v1/keys", bootstrap, `{"tenant":"other","name":"other ops","scope":"admin"}`)
	integrator := create("/api/v1/keys", bootstrap, `{"tenant":"*","name":"integrator","scope":"admin"}`)
	assert.Equal(t, "*", integrator.Key.Tenant)

	for name, tt := range map[string]struct {
		path, token, body string
		code              int
	}{
		"a bad scope":                 {"/api/v1/tenants/acme/keys", adminKey.Token, `{"name":"x","scope":"root"}`, 400},
		"no name":                     {"/api/v1/tenants/acme/keys", adminKey.Token, `{"scope":"read"}`, 400},
		"a bad expiry":                {"/api/v1/tenants/acme/keys", adminKey.Token, `{"name":"x","scope":"read","expires":"soon"}`, 400},
		"another tenant in the body":  {"/api/v1/tenants/acme/keys", adminKey.Token, `{"tenant":"other","name":"x","scope":"read"}`, 400},
		"a write key":                 {"/api/v1/tenants/acme/keys", writer.Token, `{"name":"x","scope":"read"}`, 403},
		"another tenant's route":      {"/api/v1/tenants/other/keys", adminKey.Token, `{"name":"x","scope":"read"}`, 403},
		"a tenant key across tenants": {"/api/v1/keys", adminKey.Token, `{"tenant":"*","name":"x","scope":"admin"}`, 403},
		"an unknown tenant":           {"/api/v1/keys", integrator.Token, `{"tenant":"nope","name":"x","scope":"read"}`, 400},
		"no tenant across tenants":    {"/api/v1/keys", integrator.Token, `{"name":"x","scope":"read"}`, 400},
	} {
		t.Run(name, func(t *testing.T) {
			rec := g.do("POST", tt.path, tt.token, tt.body)
			assert.Equal(t, tt.code, rec.Code, rec.Body.String())
		})
	}

	var list struct {
		Keys []map[string]any `json:"keys"`
	}
	rec := g.do("GET", "/api/v1/tenants/acme/keys", adminKey.Token, "")
	require.Equal(t, http.StatusOK, rec.Code)
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &list))
	require.Len(t, list.Keys, 2, "acme's keys only")
	for _, k := range list.Keys {
		assert.NotContains(t, k, "hash")
		assert.NotContains(t, k, "token")
	}
	assert.NotContains(t, rec.Body.String(), adminKey.Token[12:], "no secret is listed")

	assert.Equal(t, http.StatusNotFound, g.do("DELETE", "/api/v1/tenants/acme/keys/"+otherKey.Key.ID, adminKey.Token, "").Code,
		"another tenant's key is not found")
	assert.Equal(t, http.StatusNotFound, g.do("DELETE", "/api/v1/tenants/acme/keys/nope", adminKey.Token, "").Code)
	rec = g.do("DELETE", "/api/v1/tenants/acme/keys/"+writer.Key.ID, adminKey.Token, "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `"revoked_at":"2026-05-01T09:00:00Z"`)
	assert.Equal(t, http.StatusUnauthorized, g.do("GET", "/api/v1/tenants/acme/things", writer.Token, "").Code, "revoked at once")
	assert.Equal(t, http.StatusOK, g.do("DELETE", "/api/v1/keys/"+otherKey.Key.ID, integrator.Token, "").Code)

	// The audit log of acme: the creations and the revocation, secrets
	// redacted, the revoked key as before.
	var page struct {
		Entries []store.AuditEntry `json:"entries"`
		Next    string             `json:"next"`
	}
	rec = g.do("GET", "/api/v1/tenants/acme/audit?limit=2", adminKey.Token, "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &page))
	require.Len(t, page.Entries, 2)
	assert.NotEmpty(t, page.Next)
	revoke := page.Entries[0]
	assert.Equal(t, "DELETE /api/v1/tenants/{tenant}/keys/{id}", revoke.Route)
	assert.Equal(t, adminKey.Key.ID, revoke.KeyID)
	assert.Contains(t, string(revoke.Before), `"id":"`+writer.Key.ID+`"`)
	assert.NotContains(t, string(revoke.Before), "revoked_at")
	assert.Contains(t, string(revoke.After), "revoked_at")
	assert.NotContains(t, rec.Body.String(), writer.Token[12:], "no secret in the audit log")
	assert.NotContains(t, rec.Body.String(), adminKey.Token[12:], "no secret in the audit log")

	all := page.Entries
	for page.Next != "" {
		rec = g.do("GET", "/api/v1/tenants/acme/audit?limit=2&after="+page.Next, adminKey.Token, "")
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		page.Entries, page.Next = nil, ""
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &page))
		all = append(all, page.Entries...)
		assert.NotContains(t, rec.Body.String(), "lh_", "no token in the audit log")
	}
	var routes []string
	for _, e := range all {
		routes = append(routes, e.Method+" "+strconv.Itoa(e.Status))
	}
	assert.Equal(t, []string{"DELETE 200", "DELETE 404", "DELETE 404", "POST 400", "POST 400", "POST 400", "POST 400",
		"POST 201", "POST 201"}, routes, "every write on acme's routes, newest first")
	created := all[len(all)-1]
	assert.Equal(t, "admin_token", created.KeyID)
	assert.Contains(t, string(created.After), `"token":"[redacted]"`)

	rec = g.do("GET", "/api/v1/tenants/acme/audit?key="+adminKey.Key.ID+"&from=2026-05-01&to=2026-05-02", adminKey.Token, "")
	require.Equal(t, http.StatusOK, rec.Code)
	page.Entries = nil
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &page))
	assert.Len(t, page.Entries, 8, "one key's writes")
	assert.Equal(t, http.StatusBadRequest, g.do("GET", "/api/v1/tenants/acme/audit?from=monday", adminKey.Token, "").Code)
	assert.Equal(t, http.StatusBadRequest, g.do("GET", "/api/v1/tenants/acme/audit?after=x", adminKey.Token, "").Code)

	rec = g.do("GET", "/api/v1/audit", integrator.Token, "")
	require.Equal(t, http.StatusOK, rec.Code)
	page.Entries = nil
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &page))
	assert.Len(t, page.Entries, 5, "the writes on the routes across tenants let through")
}

// brokenAudit is an audit log that cannot store anything.
type brokenAudit struct{ store.Audit }

func (brokenAudit) RecordAudit(context.Context, store.AuditEntry) (int64, error) {
	return 0, errors.New("disk full")
}

func TestAuditFailureIsCounted(t *testing.T) {
	g := newGuarded(t)
	g.api.Audit = brokenAudit{}
	g.api.AuditFailures = prometheus.NewCounter(prometheus.CounterOpts{Name: "audit_failures"})
	rec := g.do("POST", "/api/v1/tenants/acme/things", bootstrap, `{}`)
	assert.Equal(t, http.StatusOK, rec.Code, "the write's answer stands")
	var m dto.Metric
	require.NoError(t, g.api.AuditFailures.Write(&m))
	assert.Equal(t, 1.0, m.GetCounter().GetValue())
}
