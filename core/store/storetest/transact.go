package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// SpendProgram compiles a program that earns 1 point per 10 spent and
// nothing for joining; change adjusts the config.
func SpendProgram(t testing.TB, tenant string, change func(l *config.Loyalty)) *loyalty.Program {
	t.Helper()
	l := config.Loyalty{
		Combine: config.CombineStack,
		Expiry:  config.Expiry{Policy: config.ExpiryNever},
		Refunds: config.Refunds{WaitForOrder: 10 * time.Minute},
		Rules: []config.EarnRule{{
			Name: "spend", On: event.TypeOrderPaid,
			Spend: &config.Spend{Unit: "10", Points: 1, Rounding: config.RoundFloor, MinOrder: "0"},
		}},
	}
	if change != nil {
		change(&l)
	}
	p, err := loyalty.Compile(tenant, l, time.UTC)
	require.NoError(t, err)
	return p
}

// counted runs ev through p in one Transact, as the loyalty stage does, and
// counts the runs of p in calls.
func counted(s store.Store, p *loyalty.Program, ev event.Event, ref store.AccountRef, calls *int) (store.AccountResult, error) {
	return s.Transact(context.Background(), ev.Tenant, ev.ID, ref, ev.OccurredAt, func(a *loyalty.Account) error {
		if calls != nil {
			*calls++
		}
		return p.Apply(a, ev)
	})
}

// entryCount counts a member's ledger entries.
func entryCount(t *testing.T, s store.Store, tenant, memberID string) int {
	t.Helper()
	entries, err := s.Entries(context.Background(), tenant, memberID, store.MaxLimit)
	require.NoError(t, err)
	return len(entries)
}

// netSpend is a member's order totals less their refunds.
func netSpend(t *testing.T, s store.Store, tenant, memberID string) string {
	t.Helper()
	r, err := s.Qualifying(context.Background(), tenant, memberID, config.TierBasisSpend, time.Time{})
	require.NoError(t, err)
	return r.FloatString(2)
}

// testTransactOrder pays an order, replays the payment, refunds part of the
// order and refunds orders the store does not know, each step building on
// the one before.
func testTransactOrder(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := SpendProgram(t, tenant, nil)
	const phone = "+6281200000201"
	paid := orderEvent(tenant, "O-1", phone, "250.00", at(0))
	var calls int

	res, err := counted(s, p, paid, store.AccountRef{Phone: phone, Name: "Sari", Email: "sari@example.com", OrderID: "O-1", Create: true}, &calls)
	require.NoError(t, err)
	assert.False(t, res.Replayed)
	assert.Equal(t, []string{loyalty.OutcomeMemberJoined, loyalty.OutcomePointsEarned}, outcomeTypesOf(res.Outcomes))
	m := res.Member
	assert.Regexp(t, `^mem_[0-9a-f]+$`, m.ID)
	assert.Regexp(t, `^[A-Z2-9]{8}$`, m.Referral.Code, "every member gets a referral code")
	assert.Equal(t, loyalty.Member{
		ID: m.ID, Tenant: tenant, Phone: phone, Name: "Sari", Email: "sari@example.com",
		Balance: 25, CreatedAt: store.Stamp(at(0)), Referral: member.Referral{Code: m.Referral.Code},
	}, m)
	stored, err := s.Member(ctx, tenant, m.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(25), stored.Balance)
	assert.Equal(t, time.UTC, stored.CreatedAt.Location())
	assert.True(t, stored.CreatedAt.Equal(store.Stamp(at(0))), "a new member's time is the event's")

	t.Run("replay", func(t *testing.T) {
		before := calls
		again, err := counted(s, p, paid, store.AccountRef{Phone: phone, OrderID: "O-1", Create: true}, &calls)
		require.NoError(t, err)
		assert.True(t, again.Replayed)
		assert.Equal(t, before, calls, "a processed event does not run again")
		recorded, err := json.Marshal(again.Outcomes)
		require.NoError(t, err)
		assert.JSONEq(t, `[{"type": "member.joined", "data": {"event_id": "`+paid.ID+`"}},
			{"type": "points.earned", "data": {"points": 25, "rules": ["spend"], "order_id": "O-1"}}]`, string(recorded),
			"the recorded outcomes come back")
		assert.Equal(t, int64(25), again.Member.Balance)
		assert.Equal(t, m.ID, again.Member.ID)
		assert.Equal(t, 1, entryCount(t, s, tenant, m.ID))
	})

	t.Run("partial refund", func(t *testing.T) {
		refund := refundEvent(tenant, "O-1", "r1", "100", at(3600))
		res, err := counted(s, p, refund, store.AccountRef{OrderID: "O-1"}, nil)
		require.NoError(t, err)
		assert.Equal(t, int64(15), res.Member.Balance, "40% of the order refunded takes back 10 of 25 points")
		assert.Equal(t, []string{loyalty.OutcomePointsReversed}, outcomeTypesOf(res.Outcomes))
		assert.Equal(t, "150.00", netSpend(t, s, tenant, m.ID), "the order keeps what was refunded")

		lots, err := s.Lots(ctx, tenant, m.ID)
		require.NoError(t, err)
		require.Len(t, lots, 1)
		assert.Equal(t, loyalty.Lot{
			ID: loyalty.LotID(tenant, paid.ID, "spend"), MemberID: m.ID, Rule: "spend", EventID: paid.ID, OrderID: "O-1",
			Points: 25, Remaining: 15, Reversed: 10, Status: loyalty.LotActive, EarnedAt: store.Stamp(at(0)),
		}, lots[0])

		entries, err := s.Entries(ctx, tenant, m.ID, 0)
		require.NoError(t, err)
		require.Len(t, entries, 2)
		rev := entries[0]
		assert.Equal(t, loyalty.EntryReverse, rev.Kind)
		assert.Equal(t, int64(-10), rev.Points)
		assert.Equal(t, int64(15), rev.BalanceAfter)
		assert.Equal(t, lots[0].ID, rev.LotID)
		assert.Equal(t, "O-1", rev.OrderID)
		assert.Equal(t, paid.ID, rev.RefEventID)
		assert.Equal(t, refund.ID, rev.EventID)
		assert.True(t, rev.CreatedAt.Equal(store.Stamp(refund.OccurredAt)))
	})

	t.Run("refund of an unknown order", func(t *testing.T) {
		entriesBefore := entryCount(t, s, tenant, m.ID)
		refund := refundEvent(tenant, "O-404", "r1", "5", at(7200))
		var runs int
		_, err := counted(s, p, refund, store.AccountRef{MemberID: m.ID, OrderID: "O-404"}, &runs)
		require.ErrorIs(t, err, loyalty.ErrOrderNotFound)

		got, err := s.Member(ctx, tenant, m.ID)
		require.NoError(t, err)
		assert.Equal(t, int64(15), got.Balance)
		assert.Equal(t, entriesBefore, entryCount(t, s, tenant, m.ID))
		_, err = counted(s, p, refund, store.AccountRef{MemberID: m.ID, OrderID: "O-404"}, &runs)
		require.ErrorIs(t, err, loyalty.ErrOrderNotFound)
		assert.Equal(t, 2, runs, "a failed event is not recorded as processed")

		// Named by the order alone, the refund finds no member.
		runs = 0
		_, err = counted(s, p, refund, store.AccountRef{OrderID: "O-404"}, &runs)
		require.ErrorIs(t, err, store.ErrNoMember)
		assert.Zero(t, runs)
	})
}

func testTransactRefs(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	noop := func(*loyalty.Account) error { return nil }
	first, err := s.Transact(ctx, tenant, "ev_create", store.AccountRef{Phone: "+6281200000202", Create: true}, at(0), noop)
	require.NoError(t, err)
	id := first.Member.ID

	tests := []struct {
		name    string
		ref     store.AccountRef
		wantErr error
		wantNew bool
		check   func(t *testing.T, a *loyalty.Account)
	}{
		{name: "by member id", ref: store.AccountRef{MemberID: id}},
		{name: "by phone", ref: store.AccountRef{Phone: "+6281200000202"}},
		{name: "member id wins over phone", ref: store.AccountRef{MemberID: id, Phone: "+6281200000299", Create: true}},
		{
			name: "empty name and email are filled", ref: store.AccountRef{Phone: "+6281200000202", Name: "Budi", Email: "b@example.com"},
			check: func(t *testing.T, a *loyalty.Account) {
				assert.Equal(t, "Budi", a.Member.Name)
				assert.Equal(t, "b@example.com", a.Member.Email)
			},
		},
		{
			name: "a name is not overwritten", ref: store.AccountRef{MemberID: id, Name: "Other"},
			check: func(t *testing.T, a *loyalty.Account) { assert.Equal(t, "Budi", a.Member.Name) },
		},
		{name: "unknown member id", ref: store.AccountRef{MemberID: "mem_missing"}, wantErr: store.ErrNoMember},
		{name: "unknown phone without create", ref: store.AccountRef{Phone: "+6281200000203"}, wantErr: store.ErrNoMember},
		{name: "nothing named", ref: store.AccountRef{}, wantErr: store.ErrNoMember},
		{name: "unknown phone with create", ref: store.AccountRef{Phone: "+6281200000204", Create: true}, wantNew: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ran bool
			res, err := s.Transact(ctx, tenant, fmt.Sprintf("ev_ref_%d", i), tt.ref, at(0), func(a *loyalty.Account) error {
				ran = true
				assert.Equal(t, tt.wantNew, a.New)
				if tt.check != nil {
					tt.check(t, a)
				}
				return nil
			})
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.False(t, ran)
				return
			}
			require.NoError(t, err)
			if !tt.wantNew {
				assert.Equal(t, id, res.Member.ID)
			}
			stored, err := s.Member(ctx, tenant, res.Member.ID)
			require.NoError(t, err)
			assert.Equal(t, res.Member.Name, stored.Name)
			assert.Equal(t, res.Member.Email, stored.Email)
		})
	}

	t.Run("other tenant", func(t *testing.T) {
		_, err := s.Transact(ctx, newTenant(), "ev_other", store.AccountRef{MemberID: id}, at(0), noop)
		require.ErrorIs(t, err, store.ErrNoMember)
	})
	t.Run("tenant and event id are required", func(t *testing.T) {
		_, err := s.Transact(ctx, "", "ev", store.AccountRef{MemberID: id}, at(0), noop)
		require.Error(t, err)
		_, err = s.Transact(ctx, tenant, "", store.AccountRef{MemberID: id}, at(0), noop)
		require.Error(t, err)
	})
}

// testTransactFailureThenRetry fails a sale after the program ran: nothing
// of it is kept, and the sale delivered again runs in full.
func testTransactFailureThenRetry(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := SpendProgram(t, tenant, nil)
	const phone = "+6281200000205"
	boom := errors.New("boom")
	ev := orderEvent(tenant, "O-1", phone, "100", at(0))
	_, err := s.Transact(ctx, tenant, ev.ID, store.AccountRef{Phone: phone, OrderID: "O-1", Create: true}, at(0),
		func(a *loyalty.Account) error {
			if err := p.Apply(a, ev); err != nil {
				return err
			}
			return fmt.Errorf("after applying: %w", boom)
		})
	require.ErrorIs(t, err, boom)
	assert.Empty(t, memberIDs(t, s, tenant), "no member is kept")

	res, err := counted(s, p, ev, store.AccountRef{Phone: phone, OrderID: "O-1", Create: true}, nil)
	require.NoError(t, err)
	assert.False(t, res.Replayed, "the failed event runs again")
	assert.Equal(t, int64(10), res.Member.Balance)
	assert.Equal(t, []string{loyalty.OutcomeMemberJoined, loyalty.OutcomePointsEarned}, outcomeTypesOf(res.Outcomes))
	assert.Equal(t, 1, entryCount(t, s, tenant, res.Member.ID))
	assert.Equal(t, "100.00", netSpend(t, s, tenant, res.Member.ID), "the order is kept once")
	lots, err := s.Lots(ctx, tenant, res.Member.ID)
	require.NoError(t, err)
	assert.Len(t, lots, 1)
}

// testTransactConcurrentSameEvent delivers one event several times at once:
// it runs once and the others replay it.
func testTransactConcurrentSameEvent(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := SpendProgram(t, tenant, nil)
	const phone = "+6281200000207"
	ev := orderEvent(tenant, "O-1", phone, "500", at(0))
	const n = 10
	results := make([]store.AccountResult, n)
	errs := make([]error, n)
	parallel(n, func(i int) {
		results[i], errs[i] = counted(s, p, ev, store.AccountRef{Phone: phone, OrderID: "O-1", Create: true}, nil)
	})
	ran := 0
	for i := range n {
		require.NoError(t, errs[i])
		if !results[i].Replayed {
			ran++
		}
		assert.Equal(t, []string{loyalty.OutcomeMemberJoined, loyalty.OutcomePointsEarned}, outcomeTypesOf(results[i].Outcomes))
		assert.Equal(t, int64(50), results[i].Member.Balance)
	}
	assert.Equal(t, 1, ran)
	m, err := s.MemberByPhone(ctx, tenant, phone)
	require.NoError(t, err)
	assert.Equal(t, int64(50), m.Balance)
	assert.Equal(t, 1, entryCount(t, s, tenant, m.ID))
}

// testTransactConcurrentRefunds refunds one order in parts at once: each
// refund reads the order as the one before left it.
func testTransactConcurrentRefunds(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := SpendProgram(t, tenant, nil)
	const phone = "+6281200000210"
	res, err := counted(s, p, orderEvent(tenant, "R-1", phone, "1000", at(0)), store.AccountRef{Phone: phone, OrderID: "R-1", Create: true}, nil)
	require.NoError(t, err)
	require.Equal(t, int64(100), res.Member.Balance)

	const n = 10
	errs := make([]error, n)
	parallel(n, func(i int) {
		_, errs[i] = counted(s, p, refundEvent(tenant, "R-1", fmt.Sprint(i), "100", at(3600)), store.AccountRef{OrderID: "R-1"}, nil)
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, "0.00", netSpend(t, s, tenant, res.Member.ID), "the order is refunded in full")
	m, err := s.Member(ctx, tenant, res.Member.ID)
	require.NoError(t, err)
	assert.Zero(t, m.Balance, "every point of the order was taken back once")
	lots, err := s.Lots(ctx, tenant, m.ID)
	require.NoError(t, err)
	require.Len(t, lots, 1)
	assert.Equal(t, int64(100), lots[0].Reversed)
}

// testPendingCapsAndExpiry holds points for a returns window under a daily
// cap, then activates and expires them through DueMembers.
func testPendingCapsAndExpiry(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := SpendProgram(t, tenant, func(l *config.Loyalty) {
		l.Rules[0].PendingDays = 7
		l.Rules[0].Caps.PerMemberDay = 30
		l.Expiry = config.Expiry{Policy: config.ExpiryAfterDays, Days: 30}
	})
	const phone = "+6281200000208"
	t0 := time.Date(2026, 5, 4, 10, 30, 15, 123456789, time.FixedZone("WIB", 7*60*60))
	wantPoints := []int64{25, 5, 0} // the third order is past the daily cap
	var memberID string
	for i, want := range wantPoints {
		id := fmt.Sprintf("P-%d", i)
		res, err := counted(s, p, orderEvent(tenant, id, phone, "250", t0.Add(time.Duration(i)*time.Minute)),
			store.AccountRef{Phone: phone, OrderID: id, Create: true}, nil)
		require.NoError(t, err)
		memberID = res.Member.ID
		assert.Zero(t, res.Member.Balance)
		var pendingNow int64
		for _, w := range wantPoints[:i+1] {
			pendingNow += w
		}
		assert.Equal(t, pendingNow, res.Member.Pending, "order %d earns %d", i, want)
	}
	key := "spend:d:" + t0.UTC().Format("2006-01-02")
	counters, err := s.CounterValues(ctx, tenant, memberID, []string{key})
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{key: 30}, counters)

	lots, err := s.Lots(ctx, tenant, memberID)
	require.NoError(t, err)
	require.Len(t, lots, 2)
	activates := time.Date(2026, 5, 12, 0, 0, 0, 0, time.UTC) // the day after 7 days from May 4 (UTC)
	expires := time.Date(2026, 6, 4, 0, 0, 0, 0, time.UTC)
	for _, l := range lots {
		assert.Equal(t, loyalty.LotPending, l.Status)
		require.NotNil(t, l.ActivatesAt)
		require.NotNil(t, l.ExpiresAt)
		assert.Equal(t, activates, *l.ActivatesAt)
		assert.Equal(t, expires, *l.ExpiresAt)
		assert.Equal(t, time.UTC, l.EarnedAt.Location())
	}

	sweep := func(t *testing.T, id string, now time.Time) store.AccountResult {
		t.Helper()
		res, err := s.Transact(ctx, tenant, id, store.AccountRef{MemberID: memberID}, now, func(a *loyalty.Account) error {
			p.ActivateDue(a, id, now)
			p.ExpireDue(a, id, now)
			return nil
		})
		require.NoError(t, err)
		return res
	}
	steps := []struct {
		name        string
		at          time.Time
		wantDue     bool
		wantBalance int64
		wantPending int64
		wantStatus  string
	}{
		{"within the returns window", activates.Add(-time.Second), false, 0, 30, loyalty.LotPending},
		{"the window ends", activates, true, 30, 0, loyalty.LotActive},
		{"before expiry", expires.Add(-time.Microsecond), false, 30, 0, loyalty.LotActive},
		{"expiry", expires, true, 0, 0, loyalty.LotExpired},
		{"after expiry", expires.Add(time.Hour), false, 0, 0, loyalty.LotExpired},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			due, err := s.DueMembers(ctx, tenant, st.at, 10)
			require.NoError(t, err)
			if st.wantDue {
				assert.Equal(t, []string{memberID}, due)
			} else {
				assert.Empty(t, due)
			}
			res := sweep(t, fmt.Sprintf("sweep_%d", i), st.at)
			assert.Equal(t, st.wantBalance, res.Member.Balance)
			assert.Equal(t, st.wantPending, res.Member.Pending)
			lots, err := s.Lots(ctx, tenant, memberID)
			require.NoError(t, err)
			for _, l := range lots {
				assert.Equal(t, st.wantStatus, l.Status, l.ID)
			}
		})
	}
}

func testDueMembersLimit(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := SpendProgram(t, tenant, func(l *config.Loyalty) { l.Expiry = config.Expiry{Policy: config.ExpiryAfterDays, Days: 1} })
	var ids []string
	for i := range 3 {
		id := fmt.Sprintf("L-%d", i)
		phone := fmt.Sprintf("+628120000030%d", i)
		res, err := counted(s, p, orderEvent(tenant, id, phone, "100", at(0)),
			store.AccountRef{Phone: phone, OrderID: id, Create: true}, nil)
		require.NoError(t, err)
		ids = append(ids, res.Member.ID)
	}
	later := at(72 * 3600)
	all, err := s.DueMembers(ctx, tenant, later, 0)
	require.NoError(t, err)
	assert.ElementsMatch(t, ids, all)
	two, err := s.DueMembers(ctx, tenant, later, 2)
	require.NoError(t, err)
	assert.Len(t, two, 2)
	none, err := s.DueMembers(ctx, newTenant(), later, 0)
	require.NoError(t, err)
	assert.Empty(t, none)
}

// testTransactConcurrentMixed sends at once events that a store may commit
// together: new members, second orders of one member, a refund of an
// order that does not exist, an unknown member and an event whose program
// fails. Each succeeds or fails as it would alone, a failing one writes
// nothing, and every event delivered again replays.
func testTransactConcurrentMixed(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := SpendProgram(t, tenant, nil)
	boom := errors.New("the program refused")

	type call struct {
		name    string
		ref     store.AccountRef
		eventID string
		fn      func(a *loyalty.Account) error
		wantErr error
	}
	var calls []call
	for i := range 24 {
		phone := fmt.Sprintf("+62812000300%02d", i%12) // two orders per member
		id := fmt.Sprintf("G-%d", i)
		ev := orderEvent(tenant, id, phone, "1000", at(i))
		calls = append(calls, call{name: id, ref: store.AccountRef{Phone: phone, OrderID: id, Create: true}, eventID: ev.ID,
			fn: func(a *loyalty.Account) error { return p.Apply(a, ev) }})
	}
	missing := refundEvent(tenant, "NO-SUCH-ORDER", "R-1", "100", at(0))
	calls = append(calls,
		call{name: "refund of a missing order", ref: store.AccountRef{OrderID: "NO-SUCH-ORDER"}, eventID: missing.ID,
			fn: func(a *loyalty.Account) error { return p.Apply(a, missing) }, wantErr: store.ErrNoMember},
		call{name: "unknown member", ref: store.AccountRef{MemberID: "mem_nobody"}, eventID: "ev-unknown",
			fn: func(*loyalty.Account) error { return nil }, wantErr: store.ErrNoMember},
		call{name: "failing program", ref: store.AccountRef{Phone: "+6281200030099", Create: true}, eventID: "ev-fails",
			fn: func(*loyalty.Account) error { return boom }, wantErr: boom},
	)

	for round := range 3 { // later rounds replay every event
		errs := make([]error, len(calls))
		replayed := make([]bool, len(calls))
		parallel(len(calls), func(i int) {
			c := calls[i]
			res, err := s.Transact(ctx, tenant, c.eventID, c.ref, at(0), c.fn)
			errs[i], replayed[i] = err, res.Replayed
		})
		for i, c := range calls {
			if c.wantErr != nil {
				assert.ErrorIs(t, errs[i], c.wantErr, "round %d: %s", round, c.name)
				continue
			}
			require.NoError(t, errs[i], "round %d: %s", round, c.name)
			assert.Equal(t, round > 0, replayed[i], "round %d: %s", round, c.name)
		}
	}

	assert.Len(t, memberIDs(t, s, tenant), 12, "the failing program's new member is not kept")
	entries := 0
	for i := range 12 {
		m, err := s.MemberByPhone(ctx, tenant, fmt.Sprintf("+62812000300%02d", i))
		require.NoError(t, err)
		assert.Equal(t, int64(200), m.Balance, "both orders of %s count once", m.Phone)
		entries += entryCount(t, s, tenant, m.ID)
	}
	assert.Equal(t, 24, entries)
}
