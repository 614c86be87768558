package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// TestWhoami tells every valid caller its key and the tenants it opens,
// and no other tenant; a caller without a valid token learns nothing.
func TestWhoami(t *testing.T) {
	g := newGuarded(t)
	g.mux.Handle("GET /api/v1/whoami", g.api.self(http.HandlerFunc(g.api.getWhoami)))
	type who struct {
		KeyID   string   `json:"key_id"`
		Scope   string   `json:"scope"`
		Tenant  string   `json:"tenant"`
		Tenants []string `json:"tenants"`
	}
	tests := []struct {
		name  string
		token string
		want  who
	}{
		{"tenant read key", g.key(t, "acme", "read"), who{Scope: "read", Tenant: "acme", Tenants: []string{"acme"}}},
		{"tenant write key", g.key(t, "other", "write"), who{Scope: "write", Tenant: "other", Tenants: []string{"other"}}},
		{"integrator key", g.key(t, "*", "read"), who{Scope: "read", Tenant: "*", Tenants: []string{"acme", "other"}}},
		{"key of a tenant the hub no longer runs", g.key(t, "gone", "admin"), who{Scope: "admin", Tenant: "gone", Tenants: []string{}}},
		{"admin token", bootstrap, who{KeyID: TokenCaller, Scope: "admin", Tenant: "*", Tenants: []string{"acme", "other"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := g.do(http.MethodGet, "/api/v1/whoami", tt.token, "")
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			var got who
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			if tt.want.KeyID == "" {
				assert.Len(t, got.KeyID, 8, "the key's id")
				got.KeyID = ""
			}
			assert.Equal(t, tt.want, got)
		})
	}
	rec := g.do(http.MethodGet, "/api/v1/whoami", "lh_nokey000_"+"00000000000000000000000000000000", "")
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, http.StatusUnauthorized, g.do(http.MethodGet, "/api/v1/whoami", "", "").Code)
}

// fakeSource accepts every webhook.
type fakeSource struct{}

func (fakeSource) Accept(*http.Request, []byte) (connectors.Delivery, error) {
	return connectors.Delivery{}, nil
}

// fakeSender sends nothing and reports a breaker that opened at opened.
type fakeSender struct{ opened time.Time }

func (fakeSender) Send(context.Context, messaging.Command) (messaging.Result, error) {
	return messaging.Result{}, nil
}

func (s fakeSender) Breaker() (string, time.Time) { return "open", s.opened }

// fakeLister lists fixed templates.
type fakeLister []messaging.TemplateInfo

func (l fakeLister) Templates(context.Context) ([]messaging.TemplateInfo, error) { return l, nil }

// TestHealthAndTemplates reads a tenant's connectors as the hub runs
// them: what they received and sent, the number's breaker, the pauses and
// quality, the dead letters waiting for a replay, and the templates each
// sender listed.
func TestHealthAndTemplates(t *testing.T) {
	g := newGuarded(t)
	ctx := context.Background()
	t0 := g.now
	pos := &runtime.Connector{Name: "pos", Spec: connectors.Spec{Name: "pos_webhook", Capabilities: []connectors.Capability{connectors.CapSource}},
		Source: fakeSource{}, Deliveries: &runtime.Activity{}, Sends: &runtime.Activity{}}
	pos.Deliveries.Succeeded(t0.Add(-2 * time.Minute))
	pos.Deliveries.Succeeded(t0.Add(-time.Minute))
	pos.Deliveries.Failed(t0.Add(-90*time.Second), "answered 401 Unauthorized")
	wa := &runtime.Connector{Name: "wa", Spec: connectors.Spec{Name: "whatsapp_cloud",
		Capabilities: []connectors.Capability{connectors.CapSource, connectors.CapSender}},
		Source: fakeSource{}, Sender: fakeSender{opened: t0.Add(-time.Minute)}, Pause: runtime.NewPause(time.Minute, nil),
		Templates:  runtime.NewTemplates(fakeLister{{Name: "hello", Language: "en", Category: "utility", Status: "REJECTED"}}),
		Deliveries: &runtime.Activity{}, Sends: &runtime.Activity{}}
	wa.Sends.Succeeded(t0.Add(-30 * time.Second))
	wa.Sends.Failed(t0.Add(-20*time.Second), "sending template: 131026 undeliverable")
	_, _, err := wa.Templates.Fetch(ctx, t0)
	require.NoError(t, err)
	bare := &runtime.Connector{Name: "twilio", Spec: connectors.Spec{Name: "whatsapp_twilio", Capabilities: []connectors.Capability{connectors.CapSender}},
		Sender: struct{ connectors.Sender }{fakeSender{}}, Pause: runtime.NewPause(time.Minute, nil), Templates: runtime.NewTemplates(nil)}
	g.api.Tenants.Current()["acme"].Connectors = map[string]*runtime.Connector{"pos": pos, "wa": wa, "twilio": bare}
	g.api.Store = g.st
	require.NoError(t, g.st.SetQuality(ctx, "acme", "wa", "RED", true, "quality RED", t0))
	for i, replayed := range []bool{false, true, false} {
		d := store.DeadLetter{ID: "dl-" + strconv.Itoa(i), Tenant: "acme", Topic: "inbound", Handler: "process", Reason: "bad", CreatedAt: t0}
		require.NoError(t, g.st.AddDeadLetter(ctx, d))
		if replayed {
			require.NoError(t, g.st.MarkReplayed(ctx, "acme", d.ID, t0))
		}
	}
	g.api.healthRoutes(g.mux)
	reader := g.key(t, "acme", "read")

	rec := g.do(http.MethodGet, "/api/v1/tenants/acme/health", reader, "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var health struct {
		Connectors []map[string]any `json:"connectors"`
		Pending    int              `json:"dead_letters_pending"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &health))
	assert.Equal(t, 2, health.Pending, "the one replayed is not counted")
	require.Len(t, health.Connectors, 3)
	byName := map[string]map[string]any{}
	for _, c := range health.Connectors {
		byName[c["name"].(string)] = c
	}
	assert.Equal(t, map[string]any{
		"name": "pos", "type": "pos_webhook", "kinds": []any{"source"}, "paused": false, "marketing_paused": false,
		"deliveries": map[string]any{"ok": 2.0, "failed": 1.0, "error_rate": 1.0 / 3,
			"last_ok": "2026-05-01T08:59:00Z", "last_failed": "2026-05-01T08:58:30Z", "last_error": "answered 401 Unauthorized"},
	}, byName["pos"])
	assert.Equal(t, map[string]any{
		"name": "wa", "type": "whatsapp_cloud", "kinds": []any{"source", "sender"},
		"deliveries": map[string]any{"ok": 0.0, "failed": 0.0, "error_rate": 0.0},
		"sends": map[string]any{"ok": 1.0, "failed": 1.0, "error_rate": 0.5, "last_ok": "2026-05-01T08:59:30Z",
			"last_failed": "2026-05-01T08:59:40Z", "last_error": "sending template: 131026 undeliverable"},
		"breaker": "open", "breaker_opened_at": "2026-05-01T08:59:00Z",
		"paused": false, "quality": "RED", "marketing_paused": true, "marketing_pause_reason": "quality RED",
	}, byName["wa"])
	assert.NotContains(t, byName["twilio"], "breaker", "a sender without a breaker to report")
	assert.NotContains(t, byName["twilio"], "deliveries")

	rec = g.do(http.MethodGet, "/api/v1/tenants/acme/templates", reader, "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.JSONEq(t, `{"senders":[
		{"sender":"twilio","known":false,"templates":[]},
		{"sender":"wa","known":true,"templates":[{"name":"hello","language":"en","category":"utility","status":"REJECTED"}]}]}`,
		rec.Body.String())

	assert.Equal(t, http.StatusForbidden, g.do(http.MethodGet, "/api/v1/tenants/other/health", reader, "").Code)
}
