package admin

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
