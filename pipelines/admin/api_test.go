package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/admin"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// deadLetters is a store holding dead letters only.
type deadLetters struct {
	admin.Store
	letters  map[string]store.DeadLetter // by tenant/id
	replayed map[string]time.Time
}

func (s *deadLetters) ListDeadLetters(_ context.Context, tenant string, limit int) ([]store.DeadLetter, error) {
	var out []store.DeadLetter
	for _, d := range s.letters {
		if d.Tenant == tenant && len(out) < limit {
			out = append(out, d)
		}
	}
	return out, nil
}

func (s *deadLetters) DeadLetter(_ context.Context, tenant, id string) (store.DeadLetter, error) {
	d, ok := s.letters[tenant+"/"+id]
	if !ok {
		return store.DeadLetter{}, store.ErrNotFound
	}
	return d, nil
}

func (s *deadLetters) MarkReplayed(_ context.Context, tenant, id string, at time.Time) error {
	s.replayed[tenant+"/"+id] = at
	return nil
}

func TestAPI(t *testing.T) {
	const token = "s3cret"
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	st := &deadLetters{
		letters: map[string]store.DeadLetter{
			"acme/dl-1":        {ID: "dl-1", Tenant: "acme", Topic: "inbound", Payload: []byte(`{"sale":1}`)},
			"acme/dl-notopic":  {ID: "dl-notopic", Tenant: "acme"},
			"acme/dl-redacted": {ID: "dl-redacted", Tenant: "acme", Topic: "inbound", Metadata: map[string]string{store.RedactedMeta: "x"}},
			"app:main/dl-app":  {ID: "dl-app", Tenant: "app:main", Topic: "inbound_bsp"},
		},
		replayed: map[string]time.Time{},
	}
	var replays []string
	api := &admin.API{
		Store: st, Tenants: runtime.NewTenants(runtime.Snapshot{"acme": {ID: "acme"}}), Token: token,
		Apps: map[string]string{"main": "app:main"}, Now: func() time.Time { return now },
		Replay: func(_ context.Context, tn *runtime.Tenant, d store.DeadLetter, at time.Time) (string, string, error) {
			replays = append(replays, tn.ID+"/"+d.ID+"@"+at.Format(time.RFC3339))
			return d.Topic, "rp-1", nil
		},
	}
	mux := http.NewServeMux()
	api.Routes(mux)

	tests := []struct {
		name, method, path, token string
		code                      int
		want                      map[string]any
	}{
		{name: "no token", method: "GET", path: "/api/v1/tenants/acme/deadletters", code: 401,
			want: map[string]any{"error": "missing or wrong bearer token"}},
		{name: "wrong token", method: "GET", path: "/api/v1/tenants/acme/deadletters", token: "nope", code: 401,
			want: map[string]any{"error": "missing or wrong bearer token"}},
		{name: "unknown tenant", method: "GET", path: "/api/v1/tenants/other/deadletters", token: token, code: 404,
			want: map[string]any{"error": "unknown tenant other"}},
		{name: "limit out of range", method: "GET", path: "/api/v1/tenants/acme/deadletters?limit=1001", token: token, code: 400,
			want: map[string]any{"error": "limit must be an integer from 1 to 1000"}},
		{name: "no such dead letter", method: "GET", path: "/api/v1/tenants/acme/deadletters/dl-x", token: token, code: 404,
			want: map[string]any{"error": "no dead letter dl-x"}},
		{name: "replay without a topic", method: "POST", path: "/api/v1/tenants/acme/deadletters/dl-notopic/replay", token: token, code: 409,
			want: map[string]any{"error": "dead letter has no source topic to replay to"}},
		{name: "replay of an erased payload", method: "POST", path: "/api/v1/tenants/acme/deadletters/dl-redacted/replay", token: token, code: 409,
			want: map[string]any{"error": "dead letter's payload was erased on a privacy request: nothing to replay"}},
		{name: "replay", method: "POST", path: "/api/v1/tenants/acme/deadletters/dl-1/replay", token: token, code: 202,
			want: map[string]any{"status": "replayed", "topic": "inbound", "message_id": "rp-1"}},
		{name: "unknown app", method: "GET", path: "/api/v1/apps/other/deadletters", token: token, code: 404,
			want: map[string]any{"error": "unknown whatsapp app other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			assert.Equal(t, tt.code, rec.Code)
			var got map[string]any
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			assert.Equal(t, tt.want, got)
		})
	}
	assert.Equal(t, []string{"acme/dl-1@2026-03-01T10:00:00Z"}, replays, "replayed once, by the hub's clock")
	assert.Equal(t, map[string]time.Time{"acme/dl-1": now}, st.replayed)

	t.Run("an app's dead letters", func(t *testing.T) {
		req := httptest.NewRequest("GET", "/api/v1/apps/main/deadletters", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code)
		var got struct {
			DeadLetters []store.DeadLetter `json:"dead_letters"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
		require.Len(t, got.DeadLetters, 1)
		assert.Equal(t, "dl-app", got.DeadLetters[0].ID)
	})

	t.Run("disabled without a token", func(t *testing.T) {
		off := http.NewServeMux()
		(&admin.API{Tenants: api.Tenants}).Routes(off)
		req := httptest.NewRequest("GET", "/api/v1/tenants/acme/deadletters", nil)
		req.Header.Set("Authorization", "Bearer ")
		rec := httptest.NewRecorder()
		off.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusForbidden, rec.Code)
		assert.JSONEq(t, `{"error":"the admin API is disabled: set server.admin_token"}`, rec.Body.String())
	})
}
