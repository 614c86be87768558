package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
)

// program compiles a program earning 1 point per 10 spent, with the given
// returns window and expiry, and a 5-point join bonus.
func program(t testing.TB, tenant string, pendingDays, expiryDays int, allowNegative bool) *loyalty.Program {
	t.Helper()
	l := config.Loyalty{
		Combine: config.CombineStack, AllowNegative: allowNegative,
		Expiry:  config.Expiry{Policy: config.ExpiryNever},
		Refunds: config.Refunds{WaitForOrder: 10 * time.Minute},
		Rules: []config.EarnRule{
			{Name: "spend", On: event.TypeOrderPaid, PendingDays: pendingDays,
				Spend: &config.Spend{Unit: "10", Points: 1, Rounding: config.RoundFloor, MinOrder: "0"}},
			{Name: "welcome", On: event.TypeMemberJoined, Points: "5"},
		},
	}
	if expiryDays > 0 {
		l.Expiry = config.Expiry{Policy: config.ExpiryAfterDays, Days: expiryDays}
	}
	p, err := loyalty.Compile(tenant, l, time.UTC)
	require.NoError(t, err)
	return p
}

func orderEvent(tenant, orderID, phone, total string, at time.Time) event.Event {
	data, _ := json.Marshal(event.OrderPaid{OrderID: orderID, Phone: phone, Total: total, Currency: "IDR"})
	return event.Event{ID: event.ID(tenant, "pos", orderID), Tenant: tenant, Type: event.TypeOrderPaid, OccurredAt: at, Data: data}
}

func refundEvent(tenant, orderID, refundID, amount string, at time.Time) event.Event {
	data, _ := json.Marshal(event.OrderRefunded{OrderID: orderID, RefundID: refundID, Amount: amount})
	return event.Event{ID: event.ID(tenant, "pos", orderID+"/"+refundID), Tenant: tenant, Type: event.TypeOrderRefunded, OccurredAt: at, Data: data}
}

// apply runs ev through p on the store as the loyalty stage does.
func apply(ctx context.Context, s store.Store, p *loyalty.Program, ev event.Event, ref store.AccountRef) (store.AccountResult, error) {
	return s.Transact(ctx, ev.Tenant, ev.ID, ref, ev.OccurredAt, func(a *loyalty.Account) error { return p.Apply(a, ev) })
}

func testTransact(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 0, false)
	phone := "+6281200000101"

	paid := orderEvent(tenant, "A-1", phone, "257500.00", at(0))
	res, err := apply(ctx, s, p, paid, store.AccountRef{Phone: phone, Name: "Sari", OrderID: "A-1", Create: true})
	require.NoError(t, err)
	assert.False(t, res.Replayed)
	assert.Equal(t, int64(25_755), res.Member.Balance, "25,750 for the order and 5 for joining")
	assert.Equal(t, "Sari", res.Member.Name)
	types := []string{}
	for _, o := range res.Outcomes {
		types = append(types, o.Type)
	}
	assert.Equal(t, []string{loyalty.OutcomeMemberJoined, loyalty.OutcomePointsEarned}, types)

	again, err := apply(ctx, s, p, paid, store.AccountRef{Phone: phone, OrderID: "A-1", Create: true})
	require.NoError(t, err)
	assert.True(t, again.Replayed, "the same event is recorded as processed")
	assert.Equal(t, res.Outcomes[len(res.Outcomes)-1].Type, again.Outcomes[len(again.Outcomes)-1].Type)
	assert.Equal(t, int64(25_755), again.Member.Balance, "a replay changes nothing")

	refund := refundEvent(tenant, "A-1", "r1", "100000", at(60))
	res, err = apply(ctx, s, p, refund, store.AccountRef{OrderID: "A-1"})
	require.NoError(t, err)
	// floor(25,750 × 100,000 / 257,500) = 10,000 points back.
	assert.Equal(t, int64(15_755), res.Member.Balance)

	_, err = apply(ctx, s, p, refundEvent(tenant, "NOPE", "r1", "1", at(61)), store.AccountRef{OrderID: "NOPE"})
	assert.ErrorIs(t, err, store.ErrNoMember, "a refund of an order never seen names no member")

	m, err := s.MemberByPhone(ctx, tenant, phone)
	require.NoError(t, err)
	entries, err := s.Entries(ctx, tenant, m.ID, 0)
	require.NoError(t, err)
	var sum int64
	for _, e := range entries {
		sum += e.Points
	}
	assert.Equal(t, m.Balance, sum, "the balance is the sum of the entries")
	assert.Len(t, entries, 3, "welcome, earn and reverse")

	lots, err := s.Lots(ctx, tenant, m.ID)
	require.NoError(t, err)
	require.Len(t, lots, 2)
	var remaining int64
	for _, l := range lots {
		remaining += l.Remaining
	}
	assert.Equal(t, m.Balance, remaining, "the lots hold the balance")
}

func testTransactFailureWritesNothing(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	boom := errors.New("rule failed")
	_, err := s.Transact(ctx, tenant, "ev_1", store.AccountRef{Phone: "+6281200000102", Create: true}, at(0),
		func(a *loyalty.Account) error {
			a.Member.Balance = 999
			return boom
		})
	assert.ErrorIs(t, err, boom)
	_, err = s.MemberByPhone(ctx, tenant, "+6281200000102")
	assert.ErrorIs(t, err, store.ErrNotFound, "the member was not created")
	_, err = s.Transact(ctx, tenant, "ev_2", store.AccountRef{Phone: "+6281200000103"}, at(0),
		func(*loyalty.Account) error { return nil })
	assert.ErrorIs(t, err, store.ErrNoMember, "without Create a missing member is an error")
}

func testTransactConcurrentNewMember(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 0, false)
	phone := "+6281200000104"
	const n = 20
	results := make([]store.AccountResult, n)
	errs := make([]error, n)
	parallel(n, func(i int) {
		id := fmt.Sprintf("C-%d", i)
		results[i], errs[i] = apply(ctx, s, p, orderEvent(tenant, id, phone, "100", at(i)),
			store.AccountRef{Phone: phone, OrderID: id, Create: true})
	})
	joined := 0
	for i := range n {
		require.NoError(t, errs[i])
		for _, o := range results[i].Outcomes {
			if o.Type == loyalty.OutcomeMemberJoined {
				joined++
			}
		}
	}
	assert.Equal(t, 1, joined, "one transaction created the member")
	assert.Len(t, memberIDs(t, s, tenant), 1)
	m, err := s.MemberByPhone(ctx, tenant, phone)
	require.NoError(t, err)
	assert.Equal(t, int64(n*10+5), m.Balance, "one member, every order counted once, one welcome bonus")
	assert.Equal(t, n+1, entryCount(t, s, tenant, m.ID), "an entry for each order and one for joining")
}

func testDueMembers(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 14, 30, false)
	for i, phone := range []string{"+6281200000105", "+6281200000106"} {
		id := fmt.Sprintf("D-%d", i)
		_, err := apply(ctx, s, p, orderEvent(tenant, id, phone, "100", base.Add(time.Duration(i)*24*time.Hour)),
			store.AccountRef{Phone: phone, OrderID: id, Create: true})
		require.NoError(t, err)
	}
	due, err := s.DueMembers(ctx, tenant, base.Add(10*24*time.Hour), 10)
	require.NoError(t, err)
	assert.Empty(t, due, "nothing to activate within the returns window")

	// The welcome points expire after 30 days, the pending ones activate
	// after 14.
	due, err = s.DueMembers(ctx, tenant, base.Add(16*24*time.Hour), 10)
	require.NoError(t, err)
	assert.Len(t, due, 2)

	m := due[0]
	now := base.Add(16 * 24 * time.Hour)
	res, err := s.Transact(ctx, tenant, "sweep_1", store.AccountRef{MemberID: m}, now, func(a *loyalty.Account) error {
		p.ActivateDue(a, "sweep_1", now)
		p.ExpireDue(a, "sweep_1", now)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, int64(15), res.Member.Balance, "welcome 5 and the activated 10")
	assert.Zero(t, res.Member.Pending)
	due, err = s.DueMembers(ctx, tenant, now, 10)
	require.NoError(t, err)
	assert.NotContains(t, due, m)
}

// testTransactUnrecorded runs a sweep's expiry as an unrecorded event: it
// is not kept as processed, so running it again runs the program again,
// and the expired lots keep that from changing anything.
func testTransactUnrecorded(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 1, false)
	phone := "+6281200000131"
	_, err := apply(ctx, s, p, orderEvent(tenant, "U-1", phone, "1000", at(0)),
		store.AccountRef{Phone: phone, OrderID: "U-1", Create: true})
	require.NoError(t, err)
	m, err := s.MemberByPhone(ctx, tenant, phone)
	require.NoError(t, err)
	require.Equal(t, int64(105), m.Balance)

	now := base.Add(72 * time.Hour)
	runs := 0
	expire := func(ref store.AccountRef) store.AccountResult {
		res, err := s.Transact(ctx, tenant, "sweep_u", ref, now, func(a *loyalty.Account) error {
			runs++
			p.ExpireDue(a, "sweep_u", now)
			return nil
		})
		require.NoError(t, err)
		return res
	}
	first := expire(store.AccountRef{MemberID: m.ID, Unrecorded: true})
	assert.False(t, first.Replayed)
	assert.Zero(t, first.Member.Balance, "both lots expired")
	assert.Contains(t, outcomeTypesOf(first.Outcomes), loyalty.OutcomePointsExpired)
	entries, err := s.Entries(ctx, tenant, m.ID, 0)
	require.NoError(t, err)

	again := expire(store.AccountRef{MemberID: m.ID, Unrecorded: true})
	assert.False(t, again.Replayed, "an unrecorded event is never replayed")
	assert.Equal(t, 2, runs, "it runs again")
	assert.Zero(t, again.Member.Balance)
	assert.Empty(t, again.Outcomes, "nothing was left to expire")
	after, err := s.Entries(ctx, tenant, m.ID, 0)
	require.NoError(t, err)
	assert.Len(t, after, len(entries), "no entry was added")

	recorded := expire(store.AccountRef{MemberID: m.ID})
	assert.False(t, recorded.Replayed, "nothing recorded the unrecorded runs")
}

// testTransactMembers runs a batch of scheduled work: each member's due
// lots expire or activate with their entries, in one call; a failing op,
// a missing member and a member named twice write nothing of theirs and
// keep nobody else's from being written; running the batch again changes
// nothing.
func testTransactMembers(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 2, 5, false)
	ids := batchMembers(t, s, p, tenant, "B", "+62812000002")
	now := base.Add(3 * 24 * time.Hour) // the held 10 points are due, the welcome 5 not yet
	later := base.Add(6 * 24 * time.Hour)
	sweep := func(eventID string, when time.Time) func(a *loyalty.Account) error {
		return func(a *loyalty.Account) error {
			p.ActivateDue(a, eventID, when)
			p.ExpireDue(a, eventID, when)
			return nil
		}
	}
	boom := errors.New("boom")
	ops := []store.MemberOp{
		{MemberID: ids[0], EventID: "sweep_0", Fn: sweep("sweep_0", now)},
		{MemberID: ids[1], EventID: "sweep_1", Fn: sweep("sweep_1", later)},
		{MemberID: ids[2], EventID: "sweep_2", Fn: func(a *loyalty.Account) error {
			p.ActivateDue(a, "sweep_2", now)
			return boom
		}},
		{MemberID: "mem_missing", EventID: "sweep_x", Fn: sweep("sweep_x", now)},
		{MemberID: ids[0], EventID: "sweep_0b", Fn: sweep("sweep_0b", now)},
		{MemberID: ids[3], EventID: "sweep_3", Fn: sweep("sweep_3", now)},
	}
	rs, err := s.TransactMembers(ctx, tenant, ops)
	require.NoError(t, err)
	require.Len(t, rs, len(ops))
	require.NoError(t, rs[0].Err)
	assert.Equal(t, int64(15), rs[0].Member.Balance, "welcome 5 and the activated 10")
	assert.Equal(t, []string{loyalty.OutcomePointsActivated}, outcomeTypesOf(rs[0].Outcomes))
	require.NoError(t, rs[1].Err)
	assert.Zero(t, rs[1].Member.Balance, "activated, then everything expired")
	assert.Equal(t, []string{loyalty.OutcomePointsActivated, loyalty.OutcomePointsExpired}, outcomeTypesOf(rs[1].Outcomes))
	assert.ErrorIs(t, rs[2].Err, boom)
	assert.ErrorIs(t, rs[3].Err, store.ErrNoMember)
	assert.ErrorIs(t, rs[4].Err, store.ErrMemberTwice)
	require.NoError(t, rs[5].Err)
	for _, id := range ids {
		checkLedger(t, s, tenant, id, false)
	}
	m2, err := s.Member(ctx, tenant, ids[2])
	require.NoError(t, err)
	assert.Equal(t, int64(10), m2.Pending, "the failing op wrote nothing")
	entries, err := s.Entries(ctx, tenant, ids[1], 0)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	assert.Equal(t, "sweep_1", entries[0].EventID)
	assert.Equal(t, loyalty.EntryExpire, entries[0].Kind)
	assert.Zero(t, entries[0].BalanceAfter)

	// Again: the lots remember what happened.
	rs, err = s.TransactMembers(ctx, tenant, ops[:2])
	require.NoError(t, err)
	for _, r := range rs {
		require.NoError(t, r.Err)
		assert.Empty(t, r.Outcomes)
	}
	again, err := s.Entries(ctx, tenant, ids[1], 0)
	require.NoError(t, err)
	assert.Len(t, again, len(entries), "no entry was added")
	due, err := s.DueMembers(ctx, tenant, now, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{ids[2]}, due, "only the failed member is still due")
}

// testTransactMembersLarge expires the lots of a batch larger than a store
// may write in one statement (300 members, 400 lots, not a power of two):
// every member, lot and entry of it is written, each in its own place.
func testTransactMembersLarge(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 1, false)
	const n = 300
	ids := make([]string, n)
	lots := make([]int64, n) // the lots of each member
	for i := range ids {
		phone := fmt.Sprintf("+6281300%05d", i)
		for j := range 1 + min(i%3, 1) {
			eventID := fmt.Sprintf("seed_%d_%d", i, j)
			points := int64(10*i + j + 1)
			res, err := s.Transact(ctx, tenant, eventID, store.AccountRef{Phone: phone, Create: true}, base,
				func(a *loyalty.Account) error { return p.Adjust(a, eventID, points, "seed", base) })
			require.NoError(t, err)
			ids[i] = res.Member.ID
			lots[i]++
		}
	}
	now := base.Add(3 * 24 * time.Hour)
	ops := make([]store.MemberOp, n)
	for i, id := range ids {
		eventID := fmt.Sprintf("sweep_%d", i)
		ops[i] = store.MemberOp{MemberID: id, EventID: eventID, Fn: func(a *loyalty.Account) error {
			p.ExpireDue(a, eventID, now)
			return nil
		}}
	}
	rs, err := s.TransactMembers(ctx, tenant, ops)
	require.NoError(t, err)
	require.Len(t, rs, n)
	for i, id := range ids {
		require.NoError(t, rs[i].Err, id)
		assert.Equal(t, []string{loyalty.OutcomePointsExpired}, outcomeTypesOf(rs[i].Outcomes), id)
		m, err := s.Member(ctx, tenant, id)
		require.NoError(t, err)
		require.Zero(t, m.Balance, id)
		entries, err := s.Entries(ctx, tenant, id, store.MaxLimit)
		require.NoError(t, err)
		require.Len(t, entries, int(2*lots[i]), "an entry earned and one expired for each lot of %s", id)
		var expired int64
		for _, e := range entries {
			if e.Kind == loyalty.EntryExpire {
				assert.Equal(t, fmt.Sprintf("sweep_%d", i), e.EventID)
				expired -= e.Points
			}
		}
		assert.Equal(t, 10*int64(i)*lots[i]+lots[i]*(lots[i]+1)/2, expired, "the points of %s expired", id)
		checkLedger(t, s, tenant, id, false)
	}
	due, err := s.DueMembers(ctx, tenant, now, 0)
	require.NoError(t, err)
	assert.Empty(t, due)
}

// batchMembers makes four members for a batch of scheduled work, each with
// a first order of 100 (10 points held two days, and a welcome 5) by order
// ids idPrefix-0… and phones phonePrefix00…, and returns their ids.
func batchMembers(t *testing.T, s store.Store, p *loyalty.Program, tenant, idPrefix, phonePrefix string) []string {
	t.Helper()
	var ids []string
	for i := range 4 {
		phone := fmt.Sprintf("%s%02d", phonePrefix, i)
		id := fmt.Sprintf("%s-%d", idPrefix, i)
		res, err := apply(context.Background(), s, p, orderEvent(tenant, id, phone, "100", at(i)),
			store.AccountRef{Phone: phone, OrderID: id, Create: true})
		require.NoError(t, err)
		ids = append(ids, res.Member.ID)
	}
	return ids
}

func outcomeTypesOf(outs []loyalty.Outcome) []string {
	types := []string{}
	for _, o := range outs {
		types = append(types, o.Type)
	}
	return types
}

// testTransactProperty runs random sequences of sales, refunds, sweeps and
// adjustments, replaying events at random, and checks the ledger's
// invariants after every step: the balance is the sum of the entries and
// what the open lots hold, pending points are what the pending lots hold, no
// lot is over-consumed, and a replayed event changes nothing.
func testTransactProperty(t *testing.T, s store.Store) { transactProperty(t, s, false) }

// testTransactPropertyHuge is testTransactProperty with sales that earn
// close to the highest max_points (2^53) each, so that balances, lots and
// sums live near the limits and some sales are refused for them.
func testTransactPropertyHuge(t *testing.T, s store.Store) { transactProperty(t, s, true) }

func transactProperty(t *testing.T, s store.Store, huge bool) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		tenant := newTenant()
		allowNegative := rapid.Bool().Draw(rt, "allow_negative")
		p := program(t, tenant, rapid.SampledFrom([]int{0, 3}).Draw(rt, "pending_days"),
			rapid.SampledFrom([]int{0, 5}).Draw(rt, "expiry_days"), allowNegative)
		total := func() string {
			return fmt.Sprintf("%d.%02d", rapid.IntRange(0, 5000).Draw(rt, "total"), rapid.IntRange(0, 99).Draw(rt, "cents"))
		}
		refund := func() string { return fmt.Sprint(rapid.IntRange(0, 3000).Draw(rt, "amount")) }
		if huge {
			p = hugeProgram(t, tenant, allowNegative)
			total = func() string {
				return fmt.Sprintf("%d.%03d", rapid.Int64Range(0, 9_007_199_254_740).Draw(rt, "total"), rapid.IntRange(0, 999).Draw(rt, "fraction"))
			}
			refund = total
		}
		phone := "+62812" + fmt.Sprintf("%08d", rapid.IntRange(0, 99_999_999).Draw(rt, "phone"))
		now := base
		var orders []string
		type done struct {
			ev  event.Event
			ref store.AccountRef
		}
		var history []done
		var memberID string
		steps := rapid.IntRange(1, 25).Draw(rt, "steps")
		for i := range steps {
			now = now.Add(time.Duration(rapid.IntRange(0, 3*24).Draw(rt, "hours")) * time.Hour)
			var res store.AccountResult
			var err error
			switch op := rapid.IntRange(0, 4).Draw(rt, "op"); {
			case op <= 1 || memberID == "":
				id := fmt.Sprintf("O-%d", i)
				ev := orderEvent(tenant, id, phone, total(), now)
				ref := store.AccountRef{Phone: phone, OrderID: id, Create: true}
				res, err = apply(ctx, s, p, ev, ref)
				if huge && errors.Is(err, loyalty.ErrLimit) {
					continue // refused: nothing was written, nothing to replay
				}
				orders = append(orders, id)
				history = append(history, done{ev, ref})
			case op == 2:
				id := rapid.SampledFrom(orders).Draw(rt, "refunded")
				ev := refundEvent(tenant, id, fmt.Sprint(i), refund(), now)
				ref := store.AccountRef{OrderID: id}
				res, err = apply(ctx, s, p, ev, ref)
				history = append(history, done{ev, ref})
			case op == 3:
				evID := fmt.Sprintf("sweep-%d", i)
				sweep := func(a *loyalty.Account) error {
					p.ActivateDue(a, evID, now)
					p.ExpireDue(a, evID, now)
					return nil
				}
				if !rapid.Bool().Draw(rt, "batched") {
					res, err = s.Transact(ctx, tenant, evID, store.AccountRef{MemberID: memberID}, now, sweep)
					break
				}
				// As the scheduler runs it: in a batch, unrecorded.
				var rs []store.MemberResult
				rs, err = s.TransactMembers(ctx, tenant, []store.MemberOp{{MemberID: memberID, EventID: evID, Fn: sweep}})
				require.NoError(rt, err)
				res, err = rs[0].AccountResult, rs[0].Err
			default:
				prev := rapid.SampledFrom(history).Draw(rt, "replayed")
				before, err := s.Member(ctx, tenant, memberID)
				require.NoError(rt, err)
				res, err = apply(ctx, s, p, prev.ev, prev.ref)
				require.NoError(rt, err)
				require.True(rt, res.Replayed, "event %s was processed before", prev.ev.ID)
				after, err := s.Member(ctx, tenant, memberID)
				require.NoError(rt, err)
				require.Equal(rt, before.Balance, after.Balance, "a replay changes the balance")
				require.Equal(rt, before.Pending, after.Pending, "a replay changes pending points")
			}
			require.NoError(rt, err)
			memberID = res.Member.ID
			checkLedger(rt, s, tenant, memberID, allowNegative)
		}
	})
}

func checkLedger(t require.TestingT, s store.Store, tenant, memberID string, allowNegative bool) {
	ctx := context.Background()
	m, err := s.Member(ctx, tenant, memberID)
	require.NoError(t, err)
	entries, err := s.Entries(ctx, tenant, memberID, store.MaxLimit)
	require.NoError(t, err)
	var balance, pending int64
	for _, e := range entries {
		balance += e.Points
		pending += e.PendingPoints
	}
	require.Equal(t, m.Balance, balance, "balance is the sum of the entries")
	require.Equal(t, m.Pending, pending, "pending is the sum of the entries' pending points")
	if !allowNegative {
		require.GreaterOrEqual(t, m.Balance, int64(0), "the balance went negative")
	}
	lots, err := s.Lots(ctx, tenant, memberID)
	require.NoError(t, err)
	var active, held int64
	for _, l := range lots {
		require.GreaterOrEqual(t, l.Remaining, int64(0), "lot %s over-consumed", l.ID)
		require.LessOrEqual(t, l.Remaining, l.Points, "lot %s holds more than it earned", l.ID)
		switch l.Status {
		case loyalty.LotActive:
			active += l.Remaining
		case loyalty.LotPending:
			held += l.Remaining
		}
	}
	require.Equal(t, max(m.Balance, 0), active, "the active lots hold the balance")
	require.Equal(t, m.Pending, held, "the pending lots hold the pending points")
}

// Credit gives points to the member with phone (created when new) in one
// loyalty transaction under eventID, as a manual adjustment: the simplest
// write through Transact, for adapters' own tests.
func Credit(ctx context.Context, s store.Store, tenant, eventID, phone string, points int64) (store.AccountResult, error) {
	return s.Transact(ctx, tenant, eventID, store.AccountRef{Phone: phone, Create: true}, time.Now(),
		func(a *loyalty.Account) error { return creditProgram.Adjust(a, eventID, points, "credit", time.Now()) })
}

var creditProgram = func() *loyalty.Program {
	p, err := loyalty.Compile("credit", config.Loyalty{
		Combine: config.CombineStack, Expiry: config.Expiry{Policy: config.ExpiryNever},
		Refunds: config.Refunds{WaitForOrder: time.Minute},
	}, time.UTC)
	if err != nil {
		panic(err)
	}
	return p
}()

func testLeases(t *testing.T, s store.Store) {
	ctx := context.Background()
	name := "sweep/" + newTenant()
	got, err := s.AcquireLease(ctx, name, "a", time.Minute)
	require.NoError(t, err)
	assert.True(t, got, "a free lease is taken")
	got, err = s.AcquireLease(ctx, name, "b", time.Minute)
	require.NoError(t, err)
	assert.False(t, got, "a running lease is not taken over")
	got, err = s.AcquireLease(ctx, name, "a", time.Minute)
	require.NoError(t, err)
	assert.True(t, got, "the holder renews its lease")

	require.NoError(t, s.ReleaseLease(ctx, name, "b"), "releasing another's lease does nothing")
	got, err = s.AcquireLease(ctx, name, "b", time.Minute)
	require.NoError(t, err)
	assert.False(t, got)
	require.NoError(t, s.ReleaseLease(ctx, name, "a"))
	got, err = s.AcquireLease(ctx, name, "b", 50*time.Millisecond)
	require.NoError(t, err)
	assert.True(t, got, "a released lease is free")

	time.Sleep(100 * time.Millisecond)
	got, err = s.AcquireLease(ctx, name, "c", time.Minute)
	require.NoError(t, err)
	assert.True(t, got, "a lease that ran out is taken over")

	var wins atomic.Int32
	other := "sweep/" + newTenant()
	parallel(10, func(i int) {
		ok, err := s.AcquireLease(ctx, other, fmt.Sprint("h", i), time.Minute)
		assert.NoError(t, err)
		if ok {
			wins.Add(1)
		}
	})
	assert.EqualValues(t, 1, wins.Load(), "one of ten concurrent holders gets the lease")
}

func testExpiring(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 10, false)
	day := 24 * time.Hour
	for i, phone := range []string{"+6281200000107", "+6281200000108"} {
		id := fmt.Sprintf("E-%d", i)
		_, err := apply(ctx, s, p, orderEvent(tenant, id, phone, "100", base.Add(time.Duration(i)*day)),
			store.AccountRef{Phone: phone, OrderID: id, Create: true})
		require.NoError(t, err)
	}
	// Each member has the welcome lot and the order's lot, earned together:
	// one expiry date per member.
	got, err := s.Expiring(ctx, tenant, base, base.Add(11*day), 10)
	require.NoError(t, err)
	require.Len(t, got, 1, "only the first member's points expire by then")
	first := got[0]
	got, err = s.Expiring(ctx, tenant, base, base.Add(12*day), 10)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.True(t, got[0].ExpiresAt.Before(got[1].ExpiresAt), "soonest first")
	assert.Equal(t, time.UTC, got[0].ExpiresAt.Location())

	res, err := s.Transact(ctx, tenant, "remind-1", store.AccountRef{MemberID: first.MemberID}, base, func(a *loyalty.Account) error {
		p.RemindExpiring(a, first.ExpiresAt)
		return nil
	})
	require.NoError(t, err)
	require.Len(t, res.Outcomes, 1)
	assert.Equal(t, loyalty.OutcomePointsExpiring, res.Outcomes[0].Type)
	assert.EqualValues(t, 15, res.Outcomes[0].Data["points"])
	got, err = s.Expiring(ctx, tenant, base, base.Add(12*day), 10)
	require.NoError(t, err)
	require.Len(t, got, 1, "an announced date is not listed again")
	assert.NotEqual(t, first.MemberID, got[0].MemberID)
}

func testTiers(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p, err := loyalty.Compile(tenant, config.Loyalty{
		Combine: config.CombineStack, Expiry: config.Expiry{Policy: config.ExpiryNever},
		Refunds: config.Refunds{WaitForOrder: time.Minute},
		Rules: []config.EarnRule{{Name: "spend", On: event.TypeOrderPaid,
			Spend: &config.Spend{Unit: "10", Points: 1, Rounding: config.RoundFloor, MinOrder: "0"}}},
		Tiers: config.Tiers{Basis: config.TierBasisPoints, Window: config.TierWindowRolling, Days: 365, Levels: []config.TierLevel{
			{Name: "Silver", Threshold: "0", Multiplier: "1"}, {Name: "Gold", Threshold: "100", Multiplier: "2"},
		}},
	}, time.UTC)
	require.NoError(t, err)
	phone := "+6281200000109"
	res, err := apply(ctx, s, p, orderEvent(tenant, "T-1", phone, "1500.00", base), store.AccountRef{Phone: phone, OrderID: "T-1", Create: true})
	require.NoError(t, err)
	assert.Equal(t, "Gold", res.Member.Tier.Name)

	m, err := s.MemberByPhone(ctx, tenant, phone)
	require.NoError(t, err)
	require.Equal(t, "Gold", m.Tier.Name, "the level is stored")
	require.NotNil(t, m.Tier.Since)
	assert.True(t, m.Tier.Since.Equal(base))
	require.NotNil(t, m.Tier.ReviewAt)
	review := base.AddDate(0, 0, 365)
	assert.True(t, m.Tier.ReviewAt.Equal(review))

	points, err := s.Qualifying(ctx, tenant, m.ID, config.TierBasisPoints, base.Add(-time.Hour))
	require.NoError(t, err)
	assert.Equal(t, "150", points.RatString())
	spend, err := s.Qualifying(ctx, tenant, m.ID, config.TierBasisSpend, base.Add(-time.Hour))
	require.NoError(t, err)
	assert.Equal(t, "1500", spend.RatString())

	res, err = apply(ctx, s, p, orderEvent(tenant, "T-2", phone, "100", base.Add(time.Hour)), store.AccountRef{Phone: phone, OrderID: "T-2", Create: true})
	require.NoError(t, err)
	assert.EqualValues(t, 150+20, res.Member.Balance, "Gold earns double")

	later := review.Add(24 * time.Hour)
	due, err := s.DueMembers(ctx, tenant, later, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{m.ID}, due, "a level due for review makes the member due")
	res, err = s.Transact(ctx, tenant, "review-1", store.AccountRef{MemberID: m.ID}, later, func(a *loyalty.Account) error {
		return p.ReviewTier(a, later)
	})
	require.NoError(t, err)
	assert.Equal(t, "Silver", res.Member.Tier.Name, "nothing earned in the last 365 days")
	require.Len(t, res.Outcomes, 1)
	assert.Equal(t, loyalty.OutcomeTierChanged, res.Outcomes[0].Type)
	due, err = s.DueMembers(ctx, tenant, later, 10)
	require.NoError(t, err)
	assert.Empty(t, due, "the first level is not reviewed")
}

func testChallengesAndBadges(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p, err := loyalty.Compile(tenant, config.Loyalty{
		Combine: config.CombineStack, Expiry: config.Expiry{Policy: config.ExpiryNever},
		Refunds:    config.Refunds{WaitForOrder: time.Minute},
		Challenges: []config.Challenge{{Name: "third-visit", On: event.TypeOrderPaid, Count: 3, Period: config.PeriodEver, Points: 30, Badge: "Regular"}},
	}, time.UTC)
	require.NoError(t, err)
	phone := "+6281200000110"
	var last store.AccountResult
	for i := range 4 {
		id := fmt.Sprintf("C-%d", i)
		ev := orderEvent(tenant, id, phone, "10", base.Add(time.Duration(i)*time.Hour))
		last, err = apply(ctx, s, p, ev, store.AccountRef{Phone: phone, OrderID: id, Create: true})
		require.NoError(t, err)
		if i == 2 {
			again, err := apply(ctx, s, p, ev, store.AccountRef{Phone: phone, OrderID: id, Create: true})
			require.NoError(t, err)
			require.True(t, again.Replayed, "a replayed visit counts once")
		}
	}
	assert.EqualValues(t, 30, last.Member.Balance, "the challenge completed once")
	badges, err := s.Badges(ctx, tenant, last.Member.ID)
	require.NoError(t, err)
	require.Len(t, badges, 1)
	assert.Equal(t, "Regular", badges[0].Name)
	progress, err := s.CounterValues(ctx, tenant, last.Member.ID, []string{loyalty.ChallengeKey("third-visit", config.PeriodEver, base, time.UTC), "nope"})
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"ch:third-visit:all": 4}, progress)
}

func testBirthdays(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p, err := loyalty.Compile(tenant, config.Loyalty{
		Combine: config.CombineStack, Expiry: config.Expiry{Policy: config.ExpiryNever},
		Refunds: config.Refunds{WaitForOrder: time.Minute},
		Rules:   []config.EarnRule{{Name: "birthday", On: loyalty.TypeMemberBirthday, Points: "50"}},
	}, time.UTC)
	require.NoError(t, err)
	phone := "+6281200000111"
	res, err := s.Transact(ctx, tenant, "join", store.AccountRef{Phone: phone, Birthday: "03-14", Create: true}, base,
		func(*loyalty.Account) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, "03-14", res.Member.Birthday)
	_, err = s.Transact(ctx, tenant, "later", store.AccountRef{Phone: phone, Birthday: "12-25", Create: true}, base,
		func(*loyalty.Account) error { return nil })
	require.NoError(t, err)
	m, err := s.MemberByPhone(ctx, tenant, phone)
	require.NoError(t, err)
	assert.Equal(t, "03-14", m.Birthday, "a known birthday is not overwritten")

	ids, err := s.BirthdayMembers(ctx, tenant, []string{"03-14"}, 2025, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{m.ID}, ids)
	res, err = s.Transact(ctx, tenant, "bday-2025", store.AccountRef{MemberID: m.ID}, base, func(a *loyalty.Account) error {
		_, err := p.CelebrateBirthday(a, "bday-2025", base)
		return err
	})
	require.NoError(t, err)
	assert.EqualValues(t, 50, res.Member.Balance)
	ids, err = s.BirthdayMembers(ctx, tenant, []string{"03-14"}, 2025, 10)
	require.NoError(t, err)
	assert.Empty(t, ids, "celebrated this year")
	ids, err = s.BirthdayMembers(ctx, tenant, []string{"03-14"}, 2026, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{m.ID}, ids, "and again next year")
}
