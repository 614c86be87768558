package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
)

// queued is a message for the outbox of tenant, due at due.
func queued(tenant, key string, due time.Time) store.Message {
	return store.Message{Key: key, Tenant: tenant, Sender: "wa", Recipient: "+6281300000001", Kind: "text",
		Category: "utility", Command: []byte(`{"key":"` + key + `"}`), DueAt: due}
}

// dueKeys leases the due messages at now and returns the keys of tenant's.
func dueKeys(t *testing.T, s store.Store, tenant string, now time.Time) []string {
	t.Helper()
	due, err := s.DueMessages(context.Background(), now, store.MaxLimit, time.Minute)
	require.NoError(t, err)
	var out []string
	for _, d := range due {
		if d.Tenant == tenant {
			out = append(out, d.Key)
		}
	}
	return out
}

func testOutbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	now := time.Now()
	soon, later := queued(tenant, "msg_soon", now.Add(-time.Second)), queued(tenant, "msg_later", now.Add(time.Hour))
	require.NoError(t, s.EnqueueMessages(ctx, []store.Message{soon, later}))

	m, err := s.Message(ctx, tenant, soon.Key)
	require.NoError(t, err)
	assert.Equal(t, store.MessageQueued, m.Status)
	assert.Equal(t, soon.Command, m.Command, "the command to send is kept")
	assert.Zero(t, m.Attempts, "not attempted yet")
	listed, err := s.ListMessages(ctx, tenant, store.MessageFilter{Status: store.MessageQueued})
	require.NoError(t, err)
	assert.Len(t, listed, 2, "queued messages are listed by their status")

	again := soon
	again.Command = []byte(`{"key":"other"}`)
	require.NoError(t, s.EnqueueMessages(ctx, []store.Message{again}), "queueing a key again is no error")
	m, err = s.Message(ctx, tenant, soon.Key)
	require.NoError(t, err)
	assert.Equal(t, soon.Command, m.Command, "a key queued again is left as it is")

	assert.Equal(t, []string{soon.Key}, dueKeys(t, s, tenant, now), "only what is due is taken")
	assert.Empty(t, dueKeys(t, s, tenant, now), "a taken message is leased: not taken twice")
	assert.Equal(t, []string{soon.Key}, dueKeys(t, s, tenant, now.Add(2*time.Minute)),
		"a message not claimed within its lease comes back (a crash after taking it)")

	applied, err := s.ApplyStatus(ctx, store.StatusUpdate{Tenant: tenant, Key: later.Key, Status: store.MessageDelivered, At: now})
	require.NoError(t, err)
	assert.False(t, applied, "a queued message was never sent: no report moves it")
	_, err = s.ApplyStatuses(ctx, []store.StatusUpdate{{Tenant: tenant, Key: later.Key, Status: store.MessageFailed, At: now}})
	require.NoError(t, err)
	m, err = s.Message(ctx, tenant, later.Key)
	require.NoError(t, err)
	assert.Equal(t, store.MessageQueued, m.Status)

	cur, claimed, err := s.ClaimMessage(ctx, store.Message{Key: soon.Key, Tenant: tenant, Command: soon.Command})
	require.NoError(t, err)
	assert.True(t, claimed, "a queued message is claimed like a pending one")
	assert.Equal(t, store.MessageSending, cur.Status)
	assert.Equal(t, 1, cur.Attempts)
	_, claimed, err = s.ClaimMessage(ctx, store.Message{Key: soon.Key, Tenant: tenant})
	require.NoError(t, err)
	assert.False(t, claimed, "and only once")
	assert.Equal(t, []string{later.Key}, dueKeys(t, s, tenant, now.Add(2*time.Hour)), "a claimed message has left the outbox")

	err = s.EnqueueMessages(ctx, []store.Message{{Key: "msg_x", Tenant: tenant}})
	assert.Error(t, err, "a message without a command cannot be sent from the outbox")
}

func testOutboxConcurrentDue(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	now := time.Now()
	var ms []store.Message
	for i := range 60 {
		ms = append(ms, queued(tenant, fmt.Sprintf("msg_%02d", i), now.Add(-time.Minute)))
	}
	require.NoError(t, s.EnqueueMessages(ctx, ms))
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for {
				due, err := s.DueMessages(ctx, now, 7, time.Hour)
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				for _, d := range due {
					if d.Tenant == tenant {
						got = append(got, d.Key)
					}
				}
				mu.Unlock()
				if len(due) == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	slices.Sort(got)
	assert.Len(t, got, len(ms), "every due message taken")
	assert.Len(t, slices.Compact(got), len(ms), "and by one caller only")
}

func testTransactEffects(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 0, false)
	phone := "+6281300000002"
	var calls atomic.Int32
	effects := func(res store.AccountResult) (store.Effects, error) {
		calls.Add(1)
		var e store.Effects
		for i, oc := range res.Outcomes {
			e.Messages = append(e.Messages, queued(tenant, fmt.Sprintf("msg_%s_%d", oc.Type, i), time.Time{}))
		}
		e.Sync = []store.SyncRef{{Connector: "shop", MemberID: res.Member.ID}}
		return e, nil
	}
	ev := orderEvent(tenant, "E-1", phone, "100", at(0))
	ref := store.AccountRef{Phone: phone, OrderID: "E-1", Create: true, Effects: effects}
	res, err := apply(ctx, s, p, ev, ref)
	require.NoError(t, err)
	require.NotEmpty(t, res.Outcomes)
	assert.EqualValues(t, 1, calls.Load())
	listed, err := s.ListMessages(ctx, tenant, store.MessageFilter{Status: store.MessageQueued})
	require.NoError(t, err)
	assert.Len(t, listed, len(res.Outcomes), "the messages were written with the event")
	items, err := s.PendingSync(ctx, tenant, "shop", 10)
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.Equal(t, res.Member.ID, items[0].MemberID, "the member was queued for write-back")

	again, err := apply(ctx, s, p, ev, ref)
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	assert.EqualValues(t, 1, calls.Load(), "a replay writes nothing again")

	boom := errors.New("rendering failed")
	failing := store.AccountRef{Phone: "+6281300000003", OrderID: "E-2", Create: true,
		Effects: func(store.AccountResult) (store.Effects, error) { return store.Effects{}, boom }}
	_, err = apply(ctx, s, p, orderEvent(tenant, "E-2", "+6281300000003", "100", at(1)), failing)
	assert.ErrorIs(t, err, boom, "a failing hook fails the event")
	_, err = s.MemberByPhone(ctx, tenant, "+6281300000003")
	assert.ErrorIs(t, err, store.ErrNotFound, "and nothing of it is written")
	failing.Effects = effects
	_, err = apply(ctx, s, p, orderEvent(tenant, "E-2", "+6281300000003", "100", at(1)), failing)
	require.NoError(t, err, "the event runs again, not as a replay")
}

func testTransactEffectsConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 0, false)
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			phone := fmt.Sprintf("+62813100%05d", i%25)
			id := fmt.Sprintf("F-%d", i)
			ref := store.AccountRef{Phone: phone, OrderID: id, Create: true,
				Effects: func(res store.AccountResult) (store.Effects, error) {
					return store.Effects{Messages: []store.Message{queued(tenant, "msg_"+id, time.Time{})}}, nil
				}}
			_, err := s.Transact(ctx, tenant, "ev_"+id, ref, at(i), func(a *loyalty.Account) error {
				return p.Apply(a, orderEvent(tenant, id, phone, "100", at(i)))
			})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	listed, err := s.ListMessages(ctx, tenant, store.MessageFilter{Status: store.MessageQueued, Limit: 2 * n})
	require.NoError(t, err)
	assert.Len(t, listed, n, "every event's message, written with it, once")
}

// testTransactMembersEffects runs a batch of scheduled work whose ops have
// the effects hook: the messages, journey entries, webhook deliveries and
// write-backs of the ops that commit are written with them, whether their
// changes are plain (set statements for the batch) or not; an op that fails, or whose hook
// fails, writes neither its changes nor its effects.
func testTransactMembersEffects(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 2, 5, false)
	ids := batchMembers(t, s, p, tenant, "BE", "+62812000003")
	now := base.Add(3 * 24 * time.Hour) // the held 10 points are due
	effects := func(eventID string) func(store.AccountResult) (store.Effects, error) {
		return func(res store.AccountResult) (store.Effects, error) {
			var e store.Effects
			for i, oc := range res.Outcomes {
				e.Messages = append(e.Messages, queued(tenant, fmt.Sprintf("msg_%s_%s_%d", eventID, oc.Type, i), time.Time{}))
			}
			e.Sync = []store.SyncRef{{Connector: "shop", MemberID: res.Member.ID}}
			e.Journeys = []store.JourneyEntry{{Journey: "batch", MemberID: res.Member.ID, EntryID: "en_" + eventID, At: now}}
			e.Webhooks = []store.WebhookDelivery{webhookDelivery(tenant, "crm", "msg_"+eventID, now)}
			return e, nil
		}
	}
	activate := func(eventID string) func(a *loyalty.Account) error {
		return func(a *loyalty.Account) error { p.ActivateDue(a, eventID, now); return nil }
	}
	boom := errors.New("rendering failed")
	ops := []store.MemberOp{
		{MemberID: ids[0], EventID: "plain", Fn: activate("plain"), Effects: effects("plain")},
		{MemberID: ids[1], EventID: "adjust", Effects: effects("adjust"), Fn: func(a *loyalty.Account) error {
			return p.Adjust(a, "adjust", 7, "goodwill", now) // a new lot: not a plain write
		}},
		{MemberID: ids[2], EventID: "failing", Effects: effects("failing"), Fn: func(a *loyalty.Account) error {
			p.ActivateDue(a, "failing", now)
			return boom
		}},
		{MemberID: ids[3], EventID: "hook", Fn: activate("hook"),
			Effects: func(store.AccountResult) (store.Effects, error) { return store.Effects{}, boom }},
	}
	rs, err := s.TransactMembers(ctx, tenant, ops)
	require.NoError(t, err)
	require.Len(t, rs, len(ops))
	require.NoError(t, rs[0].Err)
	require.NoError(t, rs[1].Err)
	assert.ErrorIs(t, rs[2].Err, boom)
	assert.ErrorIs(t, rs[3].Err, boom)

	listed, err := s.ListMessages(ctx, tenant, store.MessageFilter{Status: store.MessageQueued})
	require.NoError(t, err)
	var keys []string
	for _, m := range listed {
		keys = append(keys, m.Key)
	}
	want := []string{"msg_plain_" + loyalty.OutcomePointsActivated + "_0"}
	for i, oc := range rs[1].Outcomes {
		want = append(want, fmt.Sprintf("msg_adjust_%s_%d", oc.Type, i))
	}
	assert.ElementsMatch(t, want, keys, "the committed ops' messages, in the batch's transaction")
	items, err := s.PendingSync(ctx, tenant, "shop", 10)
	require.NoError(t, err)
	var synced []string
	for _, it := range items {
		synced = append(synced, it.MemberID)
	}
	assert.ElementsMatch(t, ids[:2], synced, "the committed ops' members queued for write-back")
	hooks, err := s.ListWebhookDeliveries(ctx, tenant, "crm", store.WebhookFilter{})
	require.NoError(t, err)
	var hookIDs []string
	for _, d := range hooks {
		hookIDs = append(hookIDs, d.ID)
	}
	assert.ElementsMatch(t, []string{"msg_plain", "msg_adjust"}, hookIDs, "the committed ops' webhook deliveries")
	for _, id := range ids[:2] {
		st, err := s.JourneyState(ctx, tenant, "batch", id)
		require.NoError(t, err, "the committed ops' members entered the journey")
		assert.Equal(t, store.JourneyActive, st.Status)
	}
	for _, id := range ids[2:] {
		m, err := s.Member(ctx, tenant, id)
		require.NoError(t, err)
		assert.Equal(t, int64(10), m.Pending, "a failing op or hook wrote nothing")
		_, err = s.JourneyState(ctx, tenant, "batch", id)
		assert.ErrorIs(t, err, store.ErrNotFound)
		checkLedger(t, s, tenant, id, false)
	}
}
