package postgres

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store/storetest"
)

// The store's connections plan each statement with its arguments, unless
// the DSN says otherwise.
func TestStatementsArePlannedWithTheirArguments(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.FreshPostgres(t)
	for _, tc := range []struct {
		name, dsn, want string
	}{
		{"default", dsn, "force_custom_plan"},
		{"set by the dsn", dsn + "&plan_cache_mode=auto", "auto"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(tc.dsn, 2)
			t.Cleanup(func() { _ = s.Close() })
			require.NoError(t, s.Open(ctx))
			p, err := s.db()
			require.NoError(t, err)
			var mode string
			require.NoError(t, p.QueryRow(ctx, "SHOW plan_cache_mode").Scan(&mode))
			assert.Equal(t, tc.want, mode)
		})
	}
}
