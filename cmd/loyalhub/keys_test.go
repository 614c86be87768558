package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/access"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/pipelines/admin"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// TestKeys creates, lists and revokes keys end to end on a SQLite config,
// and uses the created token against the admin API on the same store.
func TestKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hub.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
data_dir: `+dir+`
tenants:
  acme:
    default_region: ID
  other:
    default_region: ID
`), 0o600))

	token, stderr, err := runCLI(t, nil, "keys", "create", "-c", path, "--tenant", "acme", "--scope", "write",
		"--name", "ops laptop", "--expires", "90d")
	require.NoError(t, err, stderr)
	token = strings.TrimSpace(token)
	id, _, err := access.Parse(token)
	require.NoError(t, err, "stdout is the token alone: %q", token)
	assert.Contains(t, stderr, "created key "+id+` "ops laptop": tenant acme, scope write, expires `)
	assert.Contains(t, stderr, "shown this once")

	integrator, stderr, err := runCLI(t, nil, "keys", "create", "-c", path, "--all-tenants", "--scope", "read", "--name", "integrator")
	require.NoError(t, err, stderr)
	integratorID, _, err := access.Parse(strings.TrimSpace(integrator))
	require.NoError(t, err)
	assert.Contains(t, stderr, "tenant *, scope read, expires never")

	for name, args := range map[string][]string{
		"an unknown tenant": {"--tenant", "nope", "--scope", "read", "--name", "x"},
		"no tenant":         {"--scope", "read", "--name", "x"},
		"both":              {"--tenant", "acme", "--all-tenants", "--scope", "read", "--name", "x"},
		"a bad scope":       {"--tenant", "acme", "--scope", "root", "--name", "x"},
		"a bad expiry":      {"--tenant", "acme", "--scope", "read", "--name", "x", "--expires", "soon"},
		"no name":           {"--tenant", "acme", "--scope", "read"},
	} {
		out, _, err := runCLI(t, nil, append([]string{"keys", "create", "-c", path}, args...)...)
		assert.Error(t, err, name)
		assert.Empty(t, out, name)
	}

	out, stderr, err := runCLI(t, nil, "keys", "list", "-c", path)
	require.NoError(t, err, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	assert.Regexp(t, `^ID\s+NAME\s+TENANT\s+SCOPE\s+CREATED\s+EXPIRES\s+LAST USED\s+REVOKED$`, lines[0])
	assert.Regexp(t, `^`+id+`\s+ops laptop\s+acme\s+write\s+\S+\s+\S+Z\s+-\s+-$`, lines[1])
	assert.Regexp(t, `^`+integratorID+`\s+integrator\s+\*\s+read\s+\S+\s+never\s+-\s+-$`, lines[2])
	assert.NotContains(t, out, token[12:], "no secret is listed")

	out, _, err = runCLI(t, nil, "keys", "list", "-c", path, "--tenant", "acme")
	require.NoError(t, err)
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 2, "acme's key only")

	// The token opens the admin API on the same store.
	st := sqlite.New(filepath.Join(dir, "loyalhub.db"))
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(context.Background()))
	mux := http.NewServeMux()
	(&admin.API{Store: st, Keys: st, Audit: st, Now: time.Now,
		Tenants: runtime.NewTenants(runtime.Snapshot{"acme": {ID: "acme", Location: time.UTC}})}).Routes(mux)
	get := func() int {
		req := httptest.NewRequest("GET", "/api/v1/tenants/acme/deadletters", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec.Code
	}
	require.Equal(t, http.StatusOK, get())

	out, stderr, err = runCLI(t, nil, "keys", "revoke", "-c", path, id)
	require.NoError(t, err, stderr)
	assert.Contains(t, out, "revoked key "+id+` "ops laptop" (tenant acme) at `)
	assert.Equal(t, http.StatusUnauthorized, get(), "the revoked token opens nothing")

	out, _, err = runCLI(t, nil, "keys", "list", "-c", path, "--tenant", "acme")
	require.NoError(t, err)
	assert.Regexp(t, `\s+\S+Z\s+\S+Z\n$`, out, "last used and revoked are shown")

	_, _, err = runCLI(t, nil, "keys", "revoke", "-c", path, "nope")
	assert.EqualError(t, err, "no key nope")
}
