package pipelines_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/pipelines"
)

// TestSweepStopsWhenItsLeaseIsLost sweeps more members than one batch
// holds: a sweep renews its lease before every batch and stops at the
// first renewal that fails, and the next sweep finishes the work.
func TestSweepStopsWhenItsLeaseIsLost(t *testing.T) {
	ctx := context.Background()
	s, prog := sweepStore(t, "acme")
	const members = 1200 // more than two batches
	seed(t, s, prog, "acme", members, seededAt)
	now := seededAt.Add(72 * time.Hour)

	for _, tt := range []struct {
		name  string
		renew func(calls int) (bool, error)
	}{
		{"taken by another holder", func(int) (bool, error) { return false, nil }},
		{"store unreachable", func(int) (bool, error) { return false, errors.New("database is locked") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			r := pipelines.SweepTenant(ctx, pipelines.SweepOptions{Store: s, Tenant: "acme", Program: prog,
				Renew: func(context.Context) (bool, error) {
					calls++
					if calls == 1 {
						return true, nil
					}
					return tt.renew(calls)
				}}, now)
			assert.True(t, r.LeaseLost)
			assert.Equal(t, 2, calls, "a lost lease is not asked for again")
			assert.Positive(t, r.Swept)
			assert.Less(t, r.Swept, members, "the sweep stopped after its first batch")
		})
	}

	calls := 0
	r := pipelines.SweepTenant(ctx, pipelines.SweepOptions{Store: s, Tenant: "acme", Program: prog,
		Renew: func(context.Context) (bool, error) { calls++; return true, nil }}, now)
	assert.False(t, r.LeaseLost)
	assert.Greater(t, calls, 1, "renewed before every batch")
	due, err := s.DueMembers(ctx, "acme", now, 10)
	require.NoError(t, err)
	assert.Empty(t, due, "the last sweep expired what the interrupted ones left")
}
