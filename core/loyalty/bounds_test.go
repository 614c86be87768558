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
			id := rapid.SampledFrom(orderIDs).Draw(t, "order")
			a = l.load(id)
			if action == "cancel" {
				err = p.Apply(a, cancelEvent(t, evID, id, now))
			} else {
				err = p.Apply(a, refundEvent(t, evID, id, hugeAmount(t, "refund"), now))
			}
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
