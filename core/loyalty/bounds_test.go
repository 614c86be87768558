package loyalty

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
)

// hugeAmount draws a decimal amount from zero to far beyond any limit, now
// and then negative, with up to three decimals.
func hugeAmount(t *rapid.T, label string) string {
	digits := rapid.IntRange(1, 30).Draw(t, label+"_digits")
	b := make([]byte, digits)
	for i := range b {
		b[i] = byte('0' + rapid.IntRange(0, 9).Draw(t, label+"_digit"))
	}
	s := string(b)
	if rapid.Bool().Draw(t, label+"_fraction") {
		s += "." + strconv.Itoa(rapid.IntRange(0, 999).Draw(t, label+"_decimals"))
	}
	if rapid.IntRange(0, 9).Draw(t, label+"_sign") == 0 {
		s = "-" + s
	}
	return s
}

// extremePoints draws points anywhere in int64, with the edges and the
// program's limit more likely than chance would make them.
func extremePoints(t *rapid.T, limit int64, label string) int64 {
	return rapid.OneOf(
		rapid.SampledFrom([]int64{
			math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1,
			limit, limit + 1, -limit, -limit - 1, 1, -1, 1 << 53, -(1 << 53),
		}),
		rapid.Int64(),
		rapid.Int64Range(-limit, limit),
	).Draw(t, label)
}

// boundsProgram draws a program whose rules can give more points than any
// limit: large rates, multipliers and tier factors, an expression reading
// the event's number, and a limit from tiny to the ceiling.
func boundsProgram(t *rapid.T) *Program {
	limit := rapid.SampledFrom([]int64{100, 1_000_000, config.DefaultMaxPoints, config.MaxPointsCeiling}).Draw(t, "max_points")
	perUnit := min(rapid.SampledFrom([]int64{1, 1000, limit}).Draw(t, "points_per_unit"), limit)
	spend := config.EarnRule{
		Name: "spend", On: event.TypeOrderPaid,
		PendingDays: pendingDays(t, 5, "pending_days"),
		Spend: &config.Spend{
			Unit:     rapid.SampledFrom([]string{"1", "0.001", "1000000"}).Draw(t, "unit"),
			Points:   perUnit,
			Rounding: rapid.SampledFrom([]string{config.RoundFloor, config.RoundHalfUp, config.RoundCeil}).Draw(t, "rounding"),
			Multipliers: []config.Multiplier{
				{SKUs: []string{"coffee"}, Factor: rapid.SampledFrom([]string{"2", "1000000000", "0.000001"}).Draw(t, "factor")},
			},
		},
	}
	scan := config.EarnRule{Name: "scan", On: "visit.checked_in", Points: "int(event.n)"}
	fixed := fixedRule("fixed", "visit.checked_in", strconv.FormatInt(rapid.Int64Range(0, limit).Draw(t, "fixed"), 10))
	return compileProgram(t, config.Loyalty{
		Currency:      "IDR",
		AllowNegative: rapid.Bool().Draw(t, "allow_negative"),
		Rules:         []config.EarnRule{spend, scan, fixed},
		Tiers: config.Tiers{Days: 365, Levels: []config.TierLevel{
			{Name: "Silver", Threshold: "0", Multiplier: rapid.SampledFrom([]string{"1", "1000000"}).Draw(t, "tier_factor")},
		}},
		Limits: config.Limits{
			MaxPoints:     limit,
			MaxOrderTotal: rapid.SampledFrom([]string{"", "1000000", "1000000000000000000000"}).Draw(t, "max_order_total"),
		},
	})
}

// boundsProperty applies random events with amounts and points from zero
// to far beyond int64 and checks that nothing panics, every refusal is a
// limit (or a documented business error), and after every event the member
// holds at most max_points, owes at most max_points, and the ledger adds up
// (summed without overflow) to the balances.
func boundsProperty(t *rapid.T) {
	p := boundsProgram(t)
	limit := p.MaxPoints()
	l := &ledger{
		member:   Member{ID: "mem_1", Tenant: testTenant, Phone: "+628111111111", CreatedAt: t0, Tier: tierOf("Silver")},
		lots:     map[string]*Lot{},
		orders:   map[string]*Order{},
		counters: counterStore{},
	}
	now := t0
	var orderIDs []string
	steps := rapid.IntRange(1, 25).Draw(t, "steps")
	for i := range steps {
		now = now.Add(time.Duration(rapid.IntRange(0, 72).Draw(t, "hours")) * time.Hour)
		evID := fmt.Sprintf("ev_%d", i)
		action := rapid.SampledFrom([]string{"pay", "pay", "scan", "refund", "cancel", "adjust", "tick"}).Draw(t, "action")
		step := fmt.Sprintf("step %d (%s)", i, action)
		var a *Account
		var err error
		switch action {
		case "pay":
			id := fmt.Sprintf("o%d", i)
			a = l.load(id)
			var items []event.OrderItem
			if rapid.Bool().Draw(t, "with_line") {
				items = append(items, event.OrderItem{SKU: "coffee", Total: hugeAmount(t, "line")})
			}
			err = p.Apply(a, paidEvent(t, evID, now, event.OrderPaid{
				OrderID: id, Phone: l.member.Phone, Total: hugeAmount(t, "total"), Currency: "IDR", Items: items,
			}))
			if err == nil && a.NewOrder {
				orderIDs = append(orderIDs, id)
			}
		case "scan":
			a = l.load("")
			n := extremePoints(t, limit, "scan_points")
			err = p.Apply(a, customEvent(t, evID, "visit.checked_in", now, map[string]any{"n": n}))
		case "refund", "cancel":
			if len(orderIDs) == 0 {
				continue
			}
			a, err = l.reverse(t, p, action == "cancel", evID, now, orderIDs, func() string { return hugeAmount(t, "refund") })
		case "adjust":
			a = l.load("")
			points := extremePoints(t, limit, "adjust")
			err = p.Adjust(a, evID, points, "correction", now)
		case "tick":
			a = l.load("")
			p.ActivateDue(a, evID, now)
			p.ExpireDue(a, evID, now)
		}
		if err == nil {
			err = a.Err()
		}
		if err != nil {
			if !errors.Is(err, ErrLimit) && !errors.Is(err, ErrBadEvent) && !errors.Is(err, ErrInsufficientPoints) {
				t.Fatalf("%s: unexpected error: %v", step, err)
			}
			continue // the store rolls the transaction back
		}
		if err := a.Check(p.AllowNegative); err != nil {
			t.Fatalf("%s: the account breaks its invariants: %v", step, err)
		}
		l.save(t, a)
		checkBounds(t, l, limit, step)
		l.check(t, p, step)
	}
}

// checkBounds asserts what the limits promise, summing the ledger exactly.
func checkBounds(t *rapid.T, l *ledger, limit int64, step string) {
	m := l.member
	if h := held(m); h > limit {
		t.Fatalf("%s: the member holds %d points (balance %d, pending %d), above %d", step, h, m.Balance, m.Pending, limit)
	}
	if m.Balance < -limit {
		t.Fatalf("%s: the member owes %d points, beyond %d", step, -m.Balance, limit)
	}
	balance, pending := new(big.Int), new(big.Int)
	for _, e := range l.entries {
		balance.Add(balance, big.NewInt(e.Points))
		pending.Add(pending, big.NewInt(e.PendingPoints))
		if e.Points > limit+limit || e.Points < -limit-limit || e.PendingPoints > limit || e.PendingPoints < -limit {
			t.Fatalf("%s: entry %+v moves more points than the limits allow", step, e)
		}
	}
	if balance.Cmp(big.NewInt(m.Balance)) != 0 || pending.Cmp(big.NewInt(m.Pending)) != 0 {
		t.Fatalf("%s: the ledger adds up to %s/%s, the member has %d/%d", step, balance, pending, m.Balance, m.Pending)
	}
	for _, lot := range l.lots {
		if lot.Points > limit || lot.Points <= 0 {
			t.Fatalf("%s: lot %s holds %d points, outside 1…%d", step, lot.ID, lot.Points, limit)
		}
	}
}

func TestEngineBoundsProperties(t *testing.T) {
	raiseRapidChecks(t, propertyChecks)
	rapid.Check(t, boundsProperty)
}

// FuzzEngineBounds runs the bounds property on fuzzed input:
// go test ./core/loyalty -run '^$' -fuzz FuzzEngineBounds.
func FuzzEngineBounds(f *testing.F) {
	f.Fuzz(rapid.MakeFuzz(boundsProperty))
}

// FuzzAccountAtTheEdges starts a member at any balance and pending points,
// including ones no limit allows (stored before the limits existed, or
// corrupted), and applies one operation with any amount: nothing panics or
// wraps around, a refusal is one of the documented errors, and what
// succeeds moves the balances by exactly the points of its entries.
func FuzzAccountAtTheEdges(f *testing.F) {
	f.Add(int64(0), int64(0), uint8(0), int64(10), true)
	f.Add(int64(math.MaxInt64), int64(0), uint8(1), int64(1), false)
	f.Add(int64(math.MinInt64), int64(0), uint8(2), int64(-1), true)
	f.Add(int64(math.MinInt64), int64(math.MaxInt64), uint8(3), int64(0), true)
	f.Add(int64(math.MaxInt64-1), int64(math.MaxInt64), uint8(4), int64(math.MinInt64), false)
	f.Add(int64(-5), int64(7), uint8(5), int64(math.MaxInt64), true)
	f.Fuzz(func(t *testing.T, balance, pending int64, op uint8, n int64, negative bool) {
		pending &= math.MaxInt64 // pending points are never negative
		p := compileProgram(t, config.Loyalty{
			AllowNegative: negative,
			Rules:         []config.EarnRule{perSpend("spend", 1, "1"), fixedRule("visit", "visit.checked_in", "10")},
		})
		a := newAccount()
		a.Member.Balance, a.Member.Pending = balance, pending
		a.Lots = openLots(a.Member)
		for _, l := range a.Lots {
			if l.Status == LotActive {
				// The balance was earned on order o1, and expires now.
				l.OrderID, l.ExpiresAt = "o1", ptr(t0)
			}
		}
		a.Order = &Order{ID: "o1", MemberID: a.Member.ID, EventID: "ev_earlier", Total: "100", Refunded: "0", Currency: "IDR"}
		before := a.Member
		later := t0.Add(48 * time.Hour)
		var err error
		switch op % 7 {
		case 0:
			err = p.Adjust(a, "ev_1", n, "correction", later)
		case 1:
			err = p.Apply(a, customEvent(t, "ev_1", "visit.checked_in", later, nil))
		case 2:
			err = p.Apply(a, refundEvent(t, "ev_1", "o1", strconv.FormatInt(n, 10), later))
		case 3:
			p.ActivateDue(a, "ev_1", later)
		case 4:
			p.ExpireDue(a, "ev_1", later)
		case 5:
			a.Order = nil
			err = p.Apply(a, paidEvent(t, "ev_1", later, order("o2", strconv.FormatInt(n, 10))))
		case 6:
			err = p.Apply(a, cancelEvent(t, "ev_1", "o1", later))
		}
		if err == nil {
			err = a.Err()
		}
		if err != nil {
			if !errors.Is(err, ErrLimit) && !errors.Is(err, ErrBadEvent) && !errors.Is(err, ErrInsufficientPoints) {
				t.Fatalf("unexpected error: %v", err)
			}
			return // the store writes nothing
		}
		after := a.Member
		moved, movedPending := new(big.Int), new(big.Int)
		for _, e := range a.Entries() {
			moved.Add(moved, big.NewInt(e.Points))
			movedPending.Add(movedPending, big.NewInt(e.PendingPoints))
		}
		diff := new(big.Int).Sub(big.NewInt(after.Balance), big.NewInt(before.Balance))
		diffPending := new(big.Int).Sub(big.NewInt(after.Pending), big.NewInt(before.Pending))
		if diff.Cmp(moved) != 0 || diffPending.Cmp(movedPending) != 0 {
			t.Fatalf("balance %d → %d and pending %d → %d, but the entries move %s and %s",
				before.Balance, after.Balance, before.Pending, after.Pending, moved, movedPending)
		}
		for _, l := range a.Lots {
			if l.Remaining < 0 || l.Remaining > l.Points || l.Reversed < 0 || l.Reversed > l.Points {
				t.Fatalf("lot %s holds %d (reversed %d) of %d points", l.ID, l.Remaining, l.Reversed, l.Points)
			}
		}
		if after.Pending < 0 {
			t.Fatalf("pending %d is negative", after.Pending)
		}
	})
}
