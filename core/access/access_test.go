package access_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/access"
)

func TestNewKeyParses(t *testing.T) {
	k := access.NewKey()
	assert.True(t, strings.HasPrefix(k.Token, "lh_"+k.ID+"_"), k.Token)
	id, secret, err := access.Parse(k.Token)
	require.NoError(t, err)
	assert.Equal(t, k.ID, id)
	assert.Equal(t, k.Secret, secret)
	assert.True(t, access.Verify(secret, k.Hash))
	assert.False(t, access.Verify(access.NewKey().Secret, k.Hash), "another secret does not verify")
	assert.NotEqual(t, k.ID, access.NewKey().ID, "ids are random")
}

func TestParseRefuses(t *testing.T) {
	k := access.NewKey()
	for name, token := range map[string]string{
		"empty":          "",
		"no prefix":      strings.TrimPrefix(k.Token, "lh_"),
		"no separator":   "lh_" + k.ID + k.Secret,
		"short id":       "lh_" + k.ID[1:] + "_" + k.Secret,
		"short secret":   "lh_" + k.ID + "_" + k.Secret[1:],
		"upper case":     "lh_" + strings.ToUpper(k.ID) + "_" + k.Secret,
		"bad alphabet":   "lh_" + k.ID[:7] + "1_" + k.Secret,
		"trailing part":  k.Token + "_x",
		"admin token":    "s3cret",
		"bearer in body": "Bearer " + k.Token,
	} {
		_, _, err := access.Parse(token)
		assert.ErrorIs(t, err, access.ErrMalformed, name)
	}
}

func TestScopes(t *testing.T) {
	for _, tt := range []struct {
		scope access.Scope
		need  access.Scope
		ok    bool
	}{
		{access.Read, access.Read, true}, {access.Read, access.Write, false}, {access.Read, access.Admin, false},
		{access.Write, access.Read, true}, {access.Write, access.Write, true}, {access.Write, access.Admin, false},
		{access.Admin, access.Read, true}, {access.Admin, access.Write, true}, {access.Admin, access.Admin, true},
		{access.Scope(0), access.Read, false}, {access.Scope(9), access.Read, false},
	} {
		assert.Equal(t, tt.ok, tt.scope.Allows(tt.need), "%s allows %s", tt.scope, tt.need)
	}
	for _, s := range []access.Scope{access.Read, access.Write, access.Admin} {
		got, err := access.ParseScope(s.String())
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	_, err := access.ParseScope("root")
	assert.EqualError(t, err, `unknown scope "root": want read, write or admin`)

	for method, want := range map[string]access.Scope{
		http.MethodGet: access.Read, http.MethodHead: access.Read, http.MethodPost: access.Write,
		http.MethodPut: access.Write, http.MethodPatch: access.Write, http.MethodDelete: access.Write,
	} {
		assert.Equal(t, want, access.MethodScope(method), method)
	}
}

func TestParseTTL(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "1d": 24 * time.Hour, "36h": 36 * time.Hour} {
		got, err := access.ParseTTL(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "0d", "-1d", "d", "1.5d", "+3d", "soon", "-2h", "0s", "99999d"} {
		_, err := access.ParseTTL(in)
		assert.Error(t, err, in)
	}
}
