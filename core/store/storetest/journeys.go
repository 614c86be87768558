package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
)

// testJourneys enters members into journeys by the re-entry rules, ends
// them on a goal before a new entry of the same transaction, leases due
// states and updates a state only for its own entry.
func testJourneys(t *testing.T, s store.Store, c *testClock) {
	ctx := context.Background()
	tenant := newTenant()
	c.set(at(0))
	state := func(t *testing.T, journey, memberID string) store.JourneyState {
		t.Helper()
		st, err := s.JourneyState(ctx, tenant, journey, memberID)
		require.NoError(t, err)
		return st
	}
	enter := func(t *testing.T, journey, memberID, entryID string, reEntry time.Duration, when time.Time) {
		t.Helper()
		require.NoError(t, s.EnterJourneys(ctx, tenant, nil, []store.JourneyEntry{
			{Journey: journey, MemberID: memberID, EntryID: entryID, ReEntry: reEntry, At: when}}))
	}
	leave := func(t *testing.T, st store.JourneyState, status string) {
		t.Helper()
		st.Status = status
		ok, err := s.UpdateJourneyState(ctx, st)
		require.NoError(t, err)
		require.True(t, ok)
	}

	t.Run("enter once; re-enter by the rule once left", func(t *testing.T) {
		_, err := s.JourneyState(ctx, tenant, "never", "mem_1")
		require.ErrorIs(t, err, store.ErrNotFound)
		for _, j := range []struct {
			name    string
			reEntry time.Duration
		}{{"never", 0}, {"always", -1}, {"month", 30 * 24 * time.Hour}} {
			enter(t, j.name, "mem_1", "en_1", j.reEntry, at(10))
			st := state(t, j.name, "mem_1")
			assert.Equal(t, store.JourneyActive, st.Status)
			assert.Equal(t, "en_1", st.EntryID)
			assert.Equal(t, 0, st.Step)
			assert.WithinDuration(t, at(10), st.DueAt, 0)
			assert.WithinDuration(t, at(10), st.EnteredAt, 0)

			enter(t, j.name, "mem_1", "en_2", j.reEntry, at(20))
			assert.Equal(t, "en_1", state(t, j.name, "mem_1").EntryID, "%s: an active member is not entered again", j.name)
			leave(t, state(t, j.name, "mem_1"), store.JourneyCompleted)
		}

		enter(t, "never", "mem_1", "en_3", 0, at(30))
		assert.Equal(t, store.JourneyCompleted, state(t, "never", "mem_1").Status, "never: left for good")

		enter(t, "always", "mem_1", "en_3", -1, at(30))
		st := state(t, "always", "mem_1")
		assert.Equal(t, "en_3", st.EntryID, "always: a new entry")
		assert.Equal(t, store.JourneyActive, st.Status)
		assert.WithinDuration(t, at(30), st.EnteredAt, 0)

		enter(t, "month", "mem_1", "en_3", 30*24*time.Hour, at(10).Add(30*24*time.Hour-time.Second))
		assert.Equal(t, "en_1", state(t, "month", "mem_1").EntryID, "a duration: not before it passed since the last entry")
		enter(t, "month", "mem_1", "en_4", 30*24*time.Hour, at(10).Add(30*24*time.Hour))
		assert.Equal(t, "en_4", state(t, "month", "mem_1").EntryID, "a duration: once it passed")
	})

	t.Run("the entering outcome's data stays with the state and is replaced by a new entry", func(t *testing.T) {
		require.NoError(t, s.EnterJourneys(ctx, tenant, nil, []store.JourneyEntry{{Journey: "with-data", MemberID: "mem_d",
			EntryID: "en_1", ReEntry: -1, At: at(10), Data: []byte(`{"url":"https://shop.example/c/1","total":"150000"}`)}}))
		st := state(t, "with-data", "mem_d")
		assert.JSONEq(t, `{"url":"https://shop.example/c/1","total":"150000"}`, string(st.Data))
		due, err := s.DueJourneyStates(ctx, at(11), store.MaxLimit, time.Minute)
		require.NoError(t, err)
		var leased []byte
		for _, d := range due {
			if d.Tenant == tenant && d.MemberID == "mem_d" {
				leased = d.Data
			}
		}
		assert.JSONEq(t, `{"url":"https://shop.example/c/1","total":"150000"}`, string(leased), "a leased state carries its data")
		leave(t, state(t, "with-data", "mem_d"), store.JourneyCompleted)
		enter(t, "with-data", "mem_d", "en_2", -1, at(20))
		assert.Empty(t, state(t, "with-data", "mem_d").Data, "a new entry without data clears the old one")
		leave(t, state(t, "with-data", "mem_d"), store.JourneyCompleted)
	})

	t.Run("a goal ends the journey before the same transaction's entry", func(t *testing.T) {
		phone := "+6281300000701"
		run := func(t *testing.T, eventID string, when time.Time) string {
			t.Helper()
			var memberID string
			ref := store.AccountRef{Phone: phone, Create: true, Effects: func(res store.AccountResult) (store.Effects, error) {
				memberID = res.Member.ID
				return store.Effects{
					JourneyGoals: []store.JourneyGoal{{Journey: "winback", MemberID: res.Member.ID, At: when}},
					Journeys: []store.JourneyEntry{{Journey: "winback", MemberID: res.Member.ID, EntryID: "en_" + eventID,
						ReEntry: -1, At: when}},
				}, nil
			}}
			_, err := s.Transact(ctx, tenant, eventID, ref, when, func(*loyalty.Account) error { return nil })
			require.NoError(t, err)
			return memberID
		}
		id := run(t, "ev_1", at(100))
		st := state(t, "winback", id)
		assert.Equal(t, "en_ev_1", st.EntryID)
		assert.Equal(t, store.JourneyActive, st.Status)

		run(t, "ev_2", at(200))
		st = state(t, "winback", id)
		assert.Equal(t, "en_ev_2", st.EntryID, "the goal exited the member, so the trigger entered them again")
		assert.Equal(t, store.JourneyActive, st.Status)
		assert.WithinDuration(t, at(200), st.DueAt, 0, "the timer restarts")

		require.NoError(t, s.EnterJourneys(ctx, tenant, []store.JourneyGoal{{Journey: "winback", MemberID: id, At: at(300)}}, nil))
		st = state(t, "winback", id)
		assert.Equal(t, store.JourneyExited, st.Status)
		assert.Equal(t, store.JourneyReasonGoal, st.Reason)
	})

	t.Run("due states are leased, updated only for their entry, and counted", func(t *testing.T) {
		enter(t, "cart", "mem_a", "en_a", 0, at(1000))
		enter(t, "cart", "mem_b", "en_b", 0, at(1001))
		enter(t, "cart", "mem_c", "en_c", 0, at(5000))
		mine := func(ss []store.JourneyState) []string {
			var out []string
			for _, s := range ss {
				if s.Tenant == tenant && s.Journey == "cart" {
					out = append(out, s.MemberID)
				}
			}
			return out
		}
		due, err := s.DueJourneyStates(ctx, at(1001), 100, time.Minute)
		require.NoError(t, err)
		assert.Equal(t, []string{"mem_a", "mem_b"}, mine(due))
		again, err := s.DueJourneyStates(ctx, at(1002), 100, time.Minute)
		require.NoError(t, err)
		assert.Empty(t, mine(again), "leased: not returned again before the lease ends")
		again, err = s.DueJourneyStates(ctx, at(1001+61), 100, time.Minute)
		require.NoError(t, err)
		assert.Equal(t, []string{"mem_a", "mem_b"}, mine(again), "returned again once the lease ran out")

		next := due[0]
		if next.MemberID != "mem_a" {
			next = due[1]
		}
		next.Step, next.DueAt = 2, at(9000)
		ok, err := s.UpdateJourneyState(ctx, next)
		require.NoError(t, err)
		require.True(t, ok)
		got := state(t, "cart", "mem_a")
		assert.Equal(t, 2, got.Step)
		assert.WithinDuration(t, at(9000), got.DueAt, 0)

		stale := next
		stale.EntryID, stale.Step = "en_old", 3
		ok, err = s.UpdateJourneyState(ctx, stale)
		require.NoError(t, err)
		assert.False(t, ok, "a runner holding another entry changes nothing")
		assert.Equal(t, 2, state(t, "cart", "mem_a").Step)

		next.Status, next.Reason = store.JourneyExited, store.JourneyReasonCondition
		ok, err = s.UpdateJourneyState(ctx, next)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = s.UpdateJourneyState(ctx, next)
		require.NoError(t, err)
		assert.False(t, ok, "a state that left is not updated again")
		due, err = s.DueJourneyStates(ctx, at(10000), 100, time.Minute)
		require.NoError(t, err)
		assert.Equal(t, []string{"mem_b", "mem_c"}, mine(due), "only active states are due")

		counts, err := s.JourneyCounts(ctx, tenant, "cart")
		require.NoError(t, err)
		assert.Equal(t, []store.JourneyCount{
			{Status: store.JourneyActive, Step: 0, Members: 2},
			{Status: store.JourneyExited, Step: 2, Members: 1},
		}, counts)
	})

	t.Run("a state waits for a reply or an order, and is woken when it comes", func(t *testing.T) {
		c.set(at(20000))
		p := program(t, tenant, 0, 0, false)
		member := func(t *testing.T, order, phone string) string {
			t.Helper()
			ev, ref := shopOrder(tenant, order, phone, "", "", "100000", c.Now())
			res, err := apply(ctx, s, p, ev, ref)
			require.NoError(t, err)
			return res.Member.ID
		}
		replier, buyer, silent := member(t, "W-1", "+6281300000801"), member(t, "W-2", "+6281300000802"), member(t, "W-3", "+6281300000803")
		wait := func(t *testing.T, memberID, event string) store.JourneyState {
			t.Helper()
			enter(t, "survey", memberID, "en_w", -1, at(20000))
			st := state(t, "survey", memberID)
			st.Step, st.WaitFor, st.WaitSince, st.WaitDeadline, st.DueAt = 2, event, at(20010), at(20010+3600), at(20010+3600)
			ok, err := s.UpdateJourneyState(ctx, st)
			require.NoError(t, err)
			require.True(t, ok)
			return st
		}
		ws := wait(t, replier, store.JourneyWaitReply)
		got := state(t, "survey", replier)
		assert.Equal(t, store.JourneyWaitReply, got.WaitFor)
		assert.WithinDuration(t, at(20010), got.WaitSince, 0)
		assert.WithinDuration(t, at(20010+3600), got.WaitDeadline, 0)
		wb := wait(t, buyer, store.JourneyWaitOrder)
		wsil := wait(t, silent, store.JourneyWaitReply)

		came := func(t *testing.T, st store.JourneyState, until time.Time) bool {
			t.Helper()
			ok, err := s.JourneyEventCame(ctx, st, until)
			require.NoError(t, err)
			return ok
		}
		// Before the wait: an order and a message that do not count.
		_, _, err := s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid.w" + randHex(6),
			Contact: store.ContactRef{Phone: "+6281300000801"}, Type: "text", Text: "hi", At: at(20005)})
		require.NoError(t, err)
		assert.False(t, came(t, ws, at(20100)), "a message before the wait began")
		assert.False(t, came(t, wb, at(20100)), "the order before the wait began")
		n, err := s.WakeJourneyStates(ctx, at(20100))
		require.NoError(t, err)
		assert.WithinDuration(t, at(20010+3600), state(t, "survey", replier).DueAt, 0, "nothing came yet: not woken")

		_, _, err = s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid.w" + randHex(6),
			Contact: store.ContactRef{Phone: "+6281300000801"}, Type: "text", Text: "9", At: at(20200)})
		require.NoError(t, err)
		c.set(at(20300))
		member(t, "W-4", "+6281300000802")
		assert.True(t, came(t, ws, at(20300)))
		assert.False(t, came(t, ws, at(20199)), "not yet at that time")
		assert.True(t, came(t, wb, at(20300)))
		assert.False(t, came(t, wsil, at(20300)))
		wrong := wb
		wrong.WaitFor = store.JourneyWaitReply
		assert.False(t, came(t, wrong, at(20300)), "an order is not a reply")

		n, err = s.WakeJourneyStates(ctx, at(20400))
		require.NoError(t, err)
		assert.GreaterOrEqual(t, n, int64(2))
		assert.WithinDuration(t, at(20400), state(t, "survey", replier).DueAt, 0, "woken by the reply")
		assert.WithinDuration(t, at(20400), state(t, "survey", buyer).DueAt, 0, "woken by the order")
		assert.WithinDuration(t, at(20010+3600), state(t, "survey", silent).DueAt, 0, "still waiting")

		due, err := s.DueJourneyStates(ctx, at(20400), store.MaxLimit, time.Minute)
		require.NoError(t, err)
		var leased []string
		for _, d := range due {
			if d.Tenant == tenant && d.Journey == "survey" {
				leased = append(leased, d.MemberID)
				assert.Equal(t, 2, d.Step)
				assert.NotEmpty(t, d.WaitFor, "a leased state carries what it waits for")
			}
		}
		assert.ElementsMatch(t, []string{replier, buyer}, leased)
		_, err = s.WakeJourneyStates(ctx, at(20401))
		require.NoError(t, err)
		assert.WithinDuration(t, at(20460), state(t, "survey", replier).DueAt, 0, "a leased state is not woken again")

		enter(t, "survey", silent, "en_w2", -1, at(20500))
		assert.Equal(t, "en_w", state(t, "survey", silent).EntryID, "still active")
		wsil.Status = store.JourneyCompleted
		wsil.WaitFor, wsil.WaitSince, wsil.WaitDeadline = "", time.Time{}, time.Time{}
		ok, err := s.UpdateJourneyState(ctx, wsil)
		require.NoError(t, err)
		require.True(t, ok)
		got = state(t, "survey", silent)
		assert.Empty(t, got.WaitFor)
		assert.True(t, got.WaitSince.IsZero())
		assert.True(t, got.WaitDeadline.IsZero())
	})
}
