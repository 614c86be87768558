package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/storetest"
)

// groupSize is the group size of TestMessageGroups: each round submits
// twice as many calls, which the two workers gather into two full groups.
// The long wait makes a group wait for all of its calls, so that the
// counts of groups do not depend on scheduling.
const groupSize = 100

func TestMessageGroups(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.FreshPostgres(t)
	s := New(dsn, 8).WithBatching(store.Batching{Size: groupSize, Wait: time.Minute})
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(ctx))
	const tenant = "t_groups"
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	keys := make([]string, groupSize)
	for i := range keys {
		keys[i] = fmt.Sprintf("msg_%03d", i)
	}
	claimOf := func(key string) store.Message {
		return store.Message{Key: key, Tenant: tenant, MemberID: "mem_1", Sender: "cloud",
			Recipient: "+6281200000020", Kind: "template", Template: "points_earned", Category: "utility",
			CreatedAt: at}
	}
	// round runs calls at once and returns their errors.
	round := func(calls []func() error) []error {
		require.Len(t, calls, 2*groupSize)
		errs := make([]error, len(calls))
		var wg sync.WaitGroup
		for i, call := range calls {
			wg.Go(func() { errs[i] = call() })
		}
		wg.Wait()
		return errs
	}

	// Every key is claimed twice at once: one claim takes it, the other is
	// refused, whether the two share a group or not. A claim that returns
	// is committed: another connection reads it.
	claimed := make([]bool, 2*groupSize)
	var calls []func() error
	for i := range 2 * groupSize {
		key := keys[i%groupSize]
		calls = append(calls, func() error {
			cur, ok, err := s.ClaimMessage(ctx, claimOf(key))
			if err != nil {
				return err
			}
			claimed[i] = ok
			if cur.Status != store.MessageSending || cur.Attempts != 1 {
				return fmt.Errorf("claim of %s answered %s, attempt %d", key, cur.Status, cur.Attempts)
			}
			got, err := s.Message(ctx, tenant, key)
			if err != nil {
				return fmt.Errorf("reading the claim of %s: %w", key, err)
			}
			if got.Status != store.MessageSending {
				return fmt.Errorf("claim of %s stored as %s", key, got.Status)
			}
			return nil
		})
	}
	for i, err := range round(calls) {
		require.NoError(t, err, "call %d", i)
	}
	for i := range groupSize {
		assert.True(t, claimed[i] != claimed[i+groupSize], "exactly one claim of %s takes it", keys[i])
	}
	assert.Equal(t, int64(2), s.messages.shared.Load(), "groups committed")
	// A second claim of a key in the group runs alone after it.
	assert.LessOrEqual(t, s.messages.alone.Load(), int64(groupSize), "calls run alone")
	alone := s.messages.alone.Load()

	// Each key is marked sent and claimed again. A mark of a message that
	// does not exist fails alone in its group; a MarkFallback of one that
	// does not exist fails its group, whose calls then run on their own.
	// Only those two calls fail.
	calls = calls[:0]
	for _, key := range keys {
		calls = append(calls, func() error { return s.MarkSent(ctx, key, "wamid."+key, at.Add(time.Second)) })
	}
	for _, key := range keys[2:] {
		calls = append(calls, func() error {
			if _, ok, err := s.ClaimMessage(ctx, claimOf(key)); err != nil || ok {
				return fmt.Errorf("claiming %s again: claimed %v, %w", key, ok, err)
			}
			return nil
		})
	}
	calls = append(calls,
		func() error { return s.MarkSent(ctx, "msg_missing", "wamid.missing", at) },
		func() error { return s.MarkFallback(ctx, "msg_missing_too", "points_earned_v2", at) })
	errs := round(calls)
	for i, err := range errs[:len(errs)-2] {
		require.NoError(t, err, "call %d", i)
	}
	assert.ErrorIs(t, errs[len(errs)-2], store.ErrNotFound)
	assert.ErrorIs(t, errs[len(errs)-1], store.ErrNotFound)
	assert.Equal(t, int64(3), s.messages.shared.Load(), "groups committed")
	assert.GreaterOrEqual(t, s.messages.alone.Load()-alone, int64(groupSize), "calls of the failed group run alone")
	for _, key := range keys {
		m, err := s.Message(ctx, tenant, key)
		require.NoError(t, err)
		assert.Equal(t, store.MessageSent, m.Status, key)
		assert.Equal(t, "wamid."+key, m.ProviderMessageID, key)
		assert.Equal(t, 1, m.Attempts, key)
		require.Len(t, m.Timeline, 2, key)
		assert.Equal(t, store.MessageSending, m.Timeline[0].Status, key)
		assert.Equal(t, store.MessageSent, m.Timeline[1].Status, key)
	}

	t.Run("cancelled call writes nothing", func(t *testing.T) {
		// A store that does not wait for more calls: the cancelled one may
		// reach a worker.
		s := New(dsn, 2)
		t.Cleanup(func() { _ = s.Close() })
		require.NoError(t, s.Open(ctx))
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		_, _, err := s.ClaimMessage(cancelled, claimOf("msg_cancelled"))
		require.ErrorIs(t, err, context.Canceled)
		_, err = s.Message(ctx, tenant, "msg_cancelled")
		assert.ErrorIs(t, err, store.ErrNotFound)
	})
}
