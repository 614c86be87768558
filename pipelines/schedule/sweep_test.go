package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/schedule"
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
			r := schedule.SweepTenant(ctx, schedule.SweepOptions{Store: s, Tenant: "acme", Program: prog,
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
	r := schedule.SweepTenant(ctx, schedule.SweepOptions{Store: s, Tenant: "acme", Program: prog,
		Renew: func(context.Context) (bool, error) { calls++; return true, nil }}, now)
	assert.False(t, r.LeaseLost)
	assert.Greater(t, calls, 1, "renewed before every batch")
	due, err := s.DueMembers(ctx, "acme", now, 10)
	require.NoError(t, err)
	assert.Empty(t, due, "the last sweep expired what the interrupted ones left")
}

// poisonedStore fails every batch that holds one member, as a store
// whose statement for that member's account keeps failing would.
type poisonedStore struct {
	store.Store
	poisoned string
}

func (s poisonedStore) TransactMembers(ctx context.Context, tenant string, ops []store.MemberOp) ([]store.MemberResult, error) {
	for _, op := range ops {
		if op.MemberID == s.poisoned {
			return nil, errors.New("disk I/O error")
		}
	}
	return s.Store.TransactMembers(ctx, tenant, ops)
}

// TestSweepIsolatesAFailingMember sweeps a batch in which one member's
// update fails the whole transaction: the batch runs again member by
// member, everyone else is swept and their notifications queued in the
// outbox once, with their changes, the failing member is left for the next
// sweep, and a second sweep changes nothing twice.
func TestSweepIsolatesAFailingMember(t *testing.T) {
	ctx := context.Background()
	s, prog := sweepStore(t, "acme")
	const members = 40
	seed(t, s, prog, "acme", members, seededAt)
	now := seededAt.Add(72 * time.Hour)
	due, err := s.DueMembers(ctx, "acme", now, members)
	require.NoError(t, err)
	require.Len(t, due, members)

	opts := schedule.SweepOptions{Store: poisonedStore{Store: s, poisoned: due[7]}, Tenant: "acme", Program: prog, Batch: 16,
		Effects: outcomeMessages("acme")}
	r := schedule.SweepTenant(ctx, opts, now)
	assert.Equal(t, members-1, r.Swept)
	assert.Equal(t, 1, r.Failed)
	assert.Len(t, queuedMessages(t, s, "acme"), members-1, "one points.expired for every member swept, in the outbox")
	left, err := s.DueMembers(ctx, "acme", now, members)
	require.NoError(t, err)
	assert.Equal(t, []string{due[7]}, left)

	entries, err := s.Entries(ctx, "acme", due[0], 0)
	require.NoError(t, err)
	opts.Store = s
	r = schedule.SweepTenant(ctx, opts, now)
	assert.Equal(t, 1, r.Swept, "only the member left over")
	assert.Zero(t, r.Failed)
	again, err := s.Entries(ctx, "acme", due[0], 0)
	require.NoError(t, err)
	assert.Equal(t, entries, again, "a swept member is not swept twice")
	assert.Len(t, queuedMessages(t, s, "acme"), members)
	r = schedule.SweepTenant(ctx, opts, now)
	assert.Zero(t, r.Swept)
	assert.Len(t, queuedMessages(t, s, "acme"), members, "nothing is queued twice")
}

// outcomeMessages is a sweep's effects hook that queues one message for
// each outcome of a member's work, keyed by its event and position, as the
// hub's notifications are.
func outcomeMessages(tenant string) func(eventID string, at time.Time) func(store.AccountResult) (store.Effects, error) {
	return func(eventID string, _ time.Time) func(store.AccountResult) (store.Effects, error) {
		return func(res store.AccountResult) (store.Effects, error) {
			var e store.Effects
			for i, oc := range res.Outcomes {
				key := fmt.Sprintf("%s/%s/%d", eventID, oc.Type, i)
				e.Messages = append(e.Messages, store.Message{Key: key, Tenant: tenant, MemberID: res.Member.ID,
					Sender: "wa", Recipient: res.Member.Phone, Kind: "template", Category: "utility",
					Command: []byte(`{"key":"` + key + `"}`)})
			}
			return e, nil
		}
	}
}

// queuedMessages lists the tenant's messages waiting in the outbox.
func queuedMessages(t *testing.T, s store.Store, tenant string) []store.Message {
	t.Helper()
	ms, err := s.ListMessages(context.Background(), tenant, store.MessageFilter{Status: store.MessageQueued, Limit: store.MaxLimit})
	require.NoError(t, err)
	return ms
}
