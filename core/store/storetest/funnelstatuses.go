package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

// checkFunnelStatuses asserts that FunnelStatuses counts q's messages and
// their cost as Funnel does, without what followed them.
func checkFunnelStatuses(t *testing.T, s store.Store, q store.FunnelQuery) {
	t.Helper()
	full, err := s.Funnel(context.Background(), q)
	require.NoError(t, err)
	counts, err := s.FunnelStatuses(context.Background(), q)
	require.NoError(t, err)
	want := make([]store.FunnelRow, 0, len(full))
	for _, r := range full {
		r.Replied, r.Clicked, r.Converted, r.Redeemed, r.Revenue = 0, 0, 0, 0, 0
		want = append(want, r)
	}
	if len(want) == 0 {
		want = nil
	}
	assert.Equal(t, want, counts, "counts by status alone")
}
