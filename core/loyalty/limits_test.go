package loyalty

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/member"
)

// requireLimit asserts err refuses an amount beyond the program's limits:
// a bad event (dead letter, 400) that says why.
func requireLimit(t *testing.T, err error, says string) {
	t.Helper()
	require.ErrorIs(t, err, ErrLimit)
	require.ErrorIs(t, err, ErrBadEvent, "a limit is permanent: retrying cannot help")
	assert.Contains(t, err.Error(), says)
}

// applied asserts that an event was refused for a limit, saying refuse,
// or (refuse empty) applied, leaving a consistent account with balance
// points; it reports whether it was applied.
func applied(t *testing.T, err error, a *Account, refuse string, balance int64) bool {
	t.Helper()
	if refuse != "" {
		requireLimit(t, err, refuse)
		return false
	}
	require.NoError(t, err)
	require.NoError(t, a.Check(false))
	assert.Equal(t, balance, a.Member.Balance)
	return true
}

func TestOrderTotalLimits(t *testing.T) {
	// One point per unit spent, so points equal the total.
	rules := []config.EarnRule{perSpend("spend", 1, "1")}
	tests := []struct {
		name   string
		limits config.Limits
		total  string
		points int64  // when accepted
		refuse string // the error says, when refused
	}{
		{name: "default maximum", total: "1000000000000", points: 1_000_000_000_000},
		{name: "just above the default maximum", total: "1000000000000.01",
			refuse: "order o1 total 1000000000000.01 is above loyalty.limits.max_order_total (1000000000000)"},
		{name: "far above any int64", total: "123456789012345678901234567890",
			refuse: "is above loyalty.limits.max_order_total"},
		{name: "negative", total: "-1", refuse: "order o1 total -1 is negative"},
		{name: "negative zero cents", total: "-0.01", refuse: "is negative"},
		{name: "zero is a free order", total: "0", points: 0},
		{name: "configured maximum", limits: config.Limits{MaxOrderTotal: "5000000.50"}, total: "5000000.50", points: 5_000_000},
		{name: "just above the configured maximum", limits: config.Limits{MaxOrderTotal: "5000000.50"}, total: "5000000.51",
			refuse: "above loyalty.limits.max_order_total (5000000.5)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compileProgram(t, config.Loyalty{Rules: rules, Limits: tt.limits})
			a := newAccount()
			err := p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", tt.total)))
			if applied(t, err, a, tt.refuse, tt.points) {
				require.NotNil(t, a.Order, "the order is kept for its refunds")
			}
		})
	}
}

func TestPointsLimits(t *testing.T) {
	huge := event.OrderItem{SKU: "coffee", Total: "1000000000000"}
	tests := []struct {
		name   string
		l      config.Loyalty
		ev     func(t *testing.T) event.Event
		member Member
		points int64
		refuse string
	}{
		{
			name: "spend points at the maximum",
			l:    config.Loyalty{Rules: []config.EarnRule{perSpend("spend", 1000, "1")}},
			ev:   func(t *testing.T) event.Event { return paidEvent(t, "ev_1", t0, order("o1", "1000000000000")) },
			// 10^12 × 1,000 = 10^15, the default max_points.
			points: 1_000_000_000_000_000,
		},
		{
			name: "spend points one above the maximum",
			l: config.Loyalty{
				Rules:  []config.EarnRule{perSpend("spend", 1000, "1")},
				Limits: config.Limits{MaxOrderTotal: "2000000000000"},
			},
			ev:     func(t *testing.T) event.Event { return paidEvent(t, "ev_1", t0, order("o1", "1000000000000.001")) },
			refuse: "rule spend: order o1 earns 1000000000000001 points, above loyalty.limits.max_points (1000000000000000)",
		},
		{
			name: "a multiplier beyond int64",
			l: config.Loyalty{Rules: []config.EarnRule{{
				Name: "spend", On: event.TypeOrderPaid, Spend: &config.Spend{
					Unit: "0.000001", Points: 1000000,
					Multipliers: []config.Multiplier{{SKUs: []string{"coffee"}, Factor: "1000000000"}},
				},
			}}},
			ev:     func(t *testing.T) event.Event { return paidEvent(t, "ev_1", t0, order("o1", "1000000000000", huge)) },
			refuse: "above loyalty.limits.max_points",
		},
		{
			// The lines add up to far more than the total: they count in
			// proportion, 999 extra points per unit of the total.
			name: "a quantity beyond int64",
			l: config.Loyalty{Rules: []config.EarnRule{{
				Name: "spend", On: event.TypeOrderPaid, Spend: &config.Spend{
					Unit: "1", Multipliers: []config.Multiplier{{SKUs: []string{"coffee"}, Factor: "1000"}},
				},
			}}},
			ev: func(t *testing.T) event.Event {
				return paidEvent(t, "ev_1", t0, order("o1", "1000",
					event.OrderItem{SKU: "coffee", Price: "1000", Quantity: "99999999999999999999999"}))
			},
			points: 1_000_000,
		},
		{
			name: "a tier multiplier above the maximum",
			l: config.Loyalty{
				Rules: []config.EarnRule{perSpend("spend", 1, "1")},
				Tiers: config.Tiers{Days: 365, Levels: []config.TierLevel{
					{Name: "Silver", Threshold: "0", Multiplier: "100000"},
				}},
			},
			member: Member{Tier: tierOf("Silver")},
			ev:     func(t *testing.T) event.Event { return paidEvent(t, "ev_1", t0, order("o1", "100000000000")) },
			refuse: "order o1 earns 10000000000000000 points",
		},
		{
			name:   "an expression at int64's maximum",
			l:      config.Loyalty{Rules: []config.EarnRule{fixedRule("bonus", "visit.checked_in", strconv.FormatInt(math.MaxInt64, 10)+" + 0")}},
			ev:     func(t *testing.T) event.Event { return customEvent(t, "ev_1", "visit.checked_in", t0, nil) },
			refuse: "rule bonus: 9223372036854775807 points is beyond loyalty.limits.max_points",
		},
		{
			name: "an expression of the event's data",
			l:    config.Loyalty{Rules: []config.EarnRule{fixedRule("bonus", "visit.checked_in", "int(event.n)")}},
			ev: func(t *testing.T) event.Event {
				return customEvent(t, "ev_1", "visit.checked_in", t0, map[string]any{"n": 1 << 52})
			},
			refuse: "rule bonus: 4503599627370496 points",
		},
		{
			name: "an expression giving a whole float beyond int64",
			l:    config.Loyalty{Rules: []config.EarnRule{fixedRule("bonus", "visit.checked_in", "event.n * 1.0")}},
			ev: func(t *testing.T) event.Event {
				return customEvent(t, "ev_1", "visit.checked_in", t0, map[string]any{"n": 1e20})
			},
			refuse: "rule bonus: 100000000000000000000 points is above loyalty.limits.max_points",
		},
		{
			name:   "points that fill the member to the maximum",
			l:      config.Loyalty{Rules: []config.EarnRule{fixedRule("bonus", "visit.checked_in", "10")}, Limits: config.Limits{MaxPoints: 100}},
			member: Member{Balance: 60, Pending: 30},
			ev:     func(t *testing.T) event.Event { return customEvent(t, "ev_1", "visit.checked_in", t0, nil) },
			points: 70,
		},
		{
			name:   "points beyond what a member may hold",
			l:      config.Loyalty{Rules: []config.EarnRule{fixedRule("bonus", "visit.checked_in", "10")}, Limits: config.Limits{MaxPoints: 100}},
			member: Member{Balance: 61, Pending: 30},
			ev:     func(t *testing.T) event.Event { return customEvent(t, "ev_1", "visit.checked_in", t0, nil) },
			refuse: "would hold 101 points (balance 71, pending 30), above loyalty.limits.max_points (100)",
		},
		{
			name: "stacked rules beyond what a member may hold",
			l: config.Loyalty{Limits: config.Limits{MaxPoints: 100}, Rules: []config.EarnRule{
				fixedRule("a", "visit.checked_in", "60"), fixedRule("b", "visit.checked_in", "60"),
			}},
			ev:     func(t *testing.T) event.Event { return customEvent(t, "ev_1", "visit.checked_in", t0, nil) },
			refuse: "would hold 120 points",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compileProgram(t, tt.l)
			a := newAccount()
			a.Member.Balance, a.Member.Pending, a.Member.Tier = tt.member.Balance, tt.member.Pending, tt.member.Tier
			a.Lots = openLots(a.Member)
			applied(t, p.Apply(a, tt.ev(t)), a, tt.refuse, tt.points)
		})
	}
}

func TestLimitsOnlyRefuseWhatAdds(t *testing.T) {
	// A member above a lowered limit still has refunds, expiry and
	// deductions applied: only what adds points is refused.
	p := compileProgram(t, config.Loyalty{
		Rules:  []config.EarnRule{perSpend("spend", 1, "1")},
		Limits: config.Limits{MaxPoints: 1000},
	})
	a := newAccount()
	a.Member.Balance = 5000
	a.Lots = openLots(a.Member)
	a.Order = &Order{ID: "o1", MemberID: a.Member.ID, EventID: "ev_0", Total: "900", Refunded: "0", Currency: "IDR"}
	a.Lots = append(a.Lots, &Lot{ID: "lot_o1", MemberID: a.Member.ID, Rule: "spend", EventID: "ev_0", OrderID: "o1",
		Points: 900, Remaining: 900, Status: LotActive, EarnedAt: t0})
	a.Member.Balance += 900
	require.NoError(t, p.Apply(a, refundEvent(t, "ev_1", "o1", "900", t0)))
	assert.Equal(t, int64(5000), a.Member.Balance)
	require.NoError(t, p.Adjust(a, "ev_2", -10, "correction", t0))
	assert.Equal(t, int64(4990), a.Member.Balance)
	requireLimit(t, p.Adjust(a, "ev_3", 1, "goodwill", t0), "would hold 4991 points")
}

func TestAdjustLimits(t *testing.T) {
	tests := []struct {
		name     string
		negative bool
		balance  int64
		points   int64
		want     int64
		refuse   string
	}{
		{name: "the maximum", points: config.DefaultMaxPoints, want: config.DefaultMaxPoints},
		{name: "one above the maximum", points: config.DefaultMaxPoints + 1,
			refuse: "an adjustment: 1000000000000001 points is beyond loyalty.limits.max_points (1000000000000000)"},
		{name: "int64's maximum", points: math.MaxInt64, refuse: "9223372036854775807 points is beyond"},
		{name: "int64's minimum", negative: true, points: math.MinInt64, refuse: "-9223372036854775808 points is beyond"},
		{name: "a deduction of the maximum", balance: config.DefaultMaxPoints, points: -config.DefaultMaxPoints, want: 0},
		{name: "a debt of the maximum", negative: true, points: -config.DefaultMaxPoints, want: -config.DefaultMaxPoints},
		{name: "a debt beyond the maximum", negative: true, balance: -1, points: -config.DefaultMaxPoints,
			refuse: "deducting 1000000000000000 from a balance of -1 leaves a debt beyond loyalty.limits.max_points"},
		{name: "filling a balance beyond the maximum", balance: config.DefaultMaxPoints, points: 1,
			refuse: "would hold 1000000000000001 points"},
		{name: "a credit paying a debt", negative: true, balance: -config.DefaultMaxPoints, points: config.DefaultMaxPoints, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compileProgram(t, config.Loyalty{AllowNegative: tt.negative})
			a := newAccount()
			a.Member.Balance = tt.balance
			a.Lots = openLots(a.Member)
			err := p.Adjust(a, "ev_1", tt.points, "correction", t0)
			if tt.refuse != "" {
				requireLimit(t, err, tt.refuse)
				return
			}
			require.NoError(t, err)
			require.NoError(t, a.Check(tt.negative))
			assert.Equal(t, tt.want, a.Member.Balance)
		})
	}
}

func TestRefundOfHugeOrders(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{perSpend("spend", 1000, "1")}})
	counters := counterStore{}
	a := newAccount()
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "999999999999.99"))))
	assert.Equal(t, int64(999_999_999_999_990), a.Member.Balance)

	a = next(a, counters)
	require.NoError(t, p.Apply(a, refundEvent(t, "ev_2", "o1", "0.01", t0.Add(time.Hour))))
	assert.Equal(t, int64(999_999_999_999_980), a.Member.Balance, "a cent of a huge order takes back its 10 points exactly")

	a = next(a, counters)
	require.NoError(t, p.Apply(a, refundEvent(t, "ev_3", "o1", "123456789012345678901234567890", t0.Add(2*time.Hour))))
	assert.Zero(t, a.Member.Balance, "a refund above the total takes back what is left")
	assert.Equal(t, "999999999999.99", a.Order.Refunded)
	require.NoError(t, a.Check(false))
}

func TestDebtStopsAtTheMaximum(t *testing.T) {
	p := compileProgram(t, config.Loyalty{
		AllowNegative: true, Rules: []config.EarnRule{perSpend("spend", 1, "1")},
		Limits: config.Limits{MaxPoints: 100},
	})
	counters := counterStore{}
	a := newAccount()
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "60"))))
	a = next(a, counters)
	a.Order = nil
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_2", t0, order("o2", "40"))))
	a = next(a, counters)
	require.NoError(t, p.Adjust(a, "ev_3", -100, "spent at the counter", t0))

	a = next(a, counters)
	a.Order = &Order{ID: "o1", MemberID: a.Member.ID, EventID: "ev_1", Total: "60", Refunded: "0", Currency: "IDR"}
	require.NoError(t, p.Apply(a, cancelEvent(t, "ev_4", "o1", t0)))
	assert.Equal(t, int64(-60), a.Member.Balance)

	a = next(a, counters)
	a.Order = &Order{ID: "o2", MemberID: a.Member.ID, EventID: "ev_2", Total: "40", Refunded: "0", Currency: "IDR"}
	require.NoError(t, p.Apply(a, cancelEvent(t, "ev_5", "o2", t0)))
	require.NoError(t, a.Check(true))
	assert.Equal(t, int64(-100), a.Member.Balance, "the debt stops at max_points")
	e := a.Entries()[0]
	assert.Equal(t, int64(-40), e.Points)
	assert.Contains(t, e.Reason, "40 of them were spent already and are owed")
	data, _ := findOutcome(a.Outcomes(), OutcomePointsReversed)
	assert.Equal(t, int64(0), data["forgiven"])

	a = next(a, counters)
	a.Order = nil
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_6", t0, order("o3", "30"))))
	a = next(a, counters)
	require.NoError(t, p.Adjust(a, "ev_7", -30, "x", t0))
	assert.Equal(t, int64(-100), a.Member.Balance)
}

func TestDebtBeyondTheMaximumIsForgiven(t *testing.T) {
	p := compileProgram(t, config.Loyalty{
		AllowNegative: true, Rules: []config.EarnRule{perSpend("spend", 1, "1")},
		Limits: config.Limits{MaxPoints: 100},
	})
	a := newAccount()
	a.Member.Balance = -90
	a.Order = &Order{ID: "o1", MemberID: a.Member.ID, EventID: "ev_0", Total: "50", Refunded: "0", Currency: "IDR"}
	a.Lots = []*Lot{{ID: "lot_o1", MemberID: a.Member.ID, Rule: "spend", EventID: "ev_0", OrderID: "o1",
		Points: 50, Remaining: 0, Status: LotActive, EarnedAt: t0}}
	require.NoError(t, p.Apply(a, cancelEvent(t, "ev_1", "o1", t0)))
	require.NoError(t, a.Check(true))
	assert.Equal(t, int64(-100), a.Member.Balance)
	e := a.Entries()[0]
	assert.Equal(t, int64(-10), e.Points)
	assert.Equal(t, "50 of order o1 refunded: 50 points taken back; 10 of them were spent already and are owed; "+
		"40 forgiven, as a debt stops at loyalty.limits.max_points (100)", e.Reason)
	data, _ := findOutcome(a.Outcomes(), OutcomePointsReversed)
	assert.Equal(t, int64(40), data["forgiven"])
}

func TestSumsThatDoNotFitAreRefused(t *testing.T) {
	// A stored balance beyond any limit (written before limits existed)
	// must not wrap around: the event fails and nothing is written.
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{fixedRule("bonus", "visit.checked_in", "10")}})
	a := newAccount()
	a.Member.Balance = math.MaxInt64 - 5
	a.Lots = openLots(a.Member)
	err := p.Apply(a, customEvent(t, "ev_1", "visit.checked_in", t0, nil))
	requireLimit(t, err, "does not fit 64 bits")
	require.ErrorIs(t, a.Err(), ErrLimit, "the store writes nothing")
	assert.Equal(t, int64(math.MaxInt64-5), a.Member.Balance, "the balance did not wrap")
}

func TestLimitsConfig(t *testing.T) {
	tests := []struct {
		name string
		l    config.Loyalty
		path string
		says string
	}{
		{"max_points above 2^53", config.Loyalty{Limits: config.Limits{MaxPoints: 1<<53 + 1}},
			"tenants.demo.loyalty.limits.max_points", "must be between 1 and 9007199254740992"},
		{"negative max_points", config.Loyalty{Limits: config.Limits{MaxPoints: -1}},
			"tenants.demo.loyalty.limits.max_points", "must be between 1"},
		{"max_order_total zero", config.Loyalty{Limits: config.Limits{MaxOrderTotal: "0"}},
			"tenants.demo.loyalty.limits.max_order_total", `"0" must be a positive decimal`},
		{"max_order_total not a number", config.Loyalty{Limits: config.Limits{MaxOrderTotal: "1e12"}},
			"tenants.demo.loyalty.limits.max_order_total", `"1e12" is not a decimal number`},
		{"fixed points above max_points", config.Loyalty{
			Limits: config.Limits{MaxPoints: 100}, Rules: []config.EarnRule{fixedRule("bonus", "visit.checked_in", "101")},
		}, "tenants.demo.loyalty.rules[0].points", "101 is above tenants.demo.loyalty.limits.max_points (100)"},
		{"fixed points beyond int64", config.Loyalty{
			Rules: []config.EarnRule{fixedRule("bonus", "visit.checked_in", "9223372036854775808")},
		}, "tenants.demo.loyalty.rules[0].points", "9223372036854775808 is above"},
		{"spend points above max_points", config.Loyalty{
			Limits: config.Limits{MaxPoints: 100}, Rules: []config.EarnRule{perSpend("spend", 101, "1")},
		}, "tenants.demo.loyalty.rules[0].spend.points", "101 is above"},
		{"reward cost above max_points", config.Loyalty{
			Limits:  config.Limits{MaxPoints: 100},
			Rewards: []config.Reward{{ID: "r", Name: "R", Cost: 101, Codes: config.RewardCodes{Pattern: "R-{999999}"}}},
		}, "tenants.demo.loyalty.rewards[0].cost", "101 is above"},
		{"challenge points above max_points", config.Loyalty{
			Limits:     config.Limits{MaxPoints: 100},
			Challenges: []config.Challenge{{Name: "c", On: "order.paid", Count: 2, Points: 101}},
		}, "tenants.demo.loyalty.challenges[0].points", "101 is above"},
		{"referral points above max_points", config.Loyalty{
			Limits:    config.Limits{MaxPoints: 100},
			Referrals: config.Referrals{Enabled: true, ReferrerPoints: 101},
		}, "tenants.demo.loyalty.referrals.referrer_points", "101 is above"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := withDefaults(tt.l)
			errs := cfg.Validate()
			var found []string
			for _, e := range errs {
				found = append(found, e.Error())
			}
			assert.Contains(t, strings.Join(found, "\n"), tt.path+": "+tt.says)
		})
	}
	t.Run("defaults", func(t *testing.T) {
		p := compileProgram(t, config.Loyalty{})
		assert.Equal(t, config.DefaultMaxPoints, p.MaxPoints())
		assert.Equal(t, config.DefaultMaxOrderTotal, p.MaxOrderTotal().FloatString(0))
	})
}

// openLots returns one active lot holding m's balance and one pending lot
// holding its pending points, so that the account checks out.
func openLots(m Member) []*Lot {
	var lots []*Lot
	if m.Balance > 0 {
		lots = append(lots, &Lot{ID: "lot_balance", MemberID: m.ID, Rule: "earlier", EventID: "ev_earlier",
			Points: m.Balance, Remaining: m.Balance, Status: LotActive, EarnedAt: t0.Add(-time.Hour)})
	}
	if m.Pending > 0 {
		at := t0.Add(24 * time.Hour)
		lots = append(lots, &Lot{ID: "lot_pending", MemberID: m.ID, Rule: "earlier", EventID: "ev_earlier",
			Points: m.Pending, Remaining: m.Pending, Status: LotPending, EarnedAt: t0.Add(-time.Hour), ActivatesAt: &at})
	}
	return lots
}

// tierOf is a member's level by name.
func tierOf(name string) member.Tier { return member.Tier{Name: name} }

func TestReferralPointsStopAtTheMaximum(t *testing.T) {
	// A referral never fails the follow-up that completes it: a referrer
	// near max_points gets what still fits.
	p := compileProgram(t, config.Loyalty{
		Currency: "IDR", Rules: []config.EarnRule{perSpend("spend", 1, "1000")},
		Referrals: config.Referrals{Enabled: true, RefereePoints: 50, ReferrerPoints: 100},
		Limits:    config.Limits{MaxPoints: 1000},
	})
	f := FollowUp{MemberID: "mem_1", EventID: ReferralEventID(testTenant, "mem_new"), Kind: FollowUpReferrer, Subject: "mem_new", At: t0}
	tests := []struct {
		name    string
		balance int64
		given   int64
	}{
		{"room for all", 900, 100},
		{"room for some", 960, 40},
		{"no room", 1000, 0},
		{"above a lowered limit", 5000, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAccount()
			a.Member.Balance = tt.balance
			a.Lots = openLots(a.Member)
			require.NoError(t, p.CompleteReferral(a, f))
			require.NoError(t, a.Check(false))
			assert.Equal(t, tt.balance+tt.given, a.Member.Balance)
			data, ok := findOutcome(a.Outcomes(), OutcomeReferralCompleted)
			require.True(t, ok, "the referral completes either way")
			assert.Equal(t, tt.given, data["points"])
			if tt.given > 0 {
				assert.Equal(t, fmt.Sprintf("referral: %d points for referring member mem_new", tt.given), a.Entries()[0].Reason)
			}
		})
	}
}

func TestBirthdayAtTheMaximumIsCelebratedWithoutPoints(t *testing.T) {
	p := compileProgram(t, config.Loyalty{
		Rules:  []config.EarnRule{fixedRule("birthday", TypeMemberBirthday, "50")},
		Limits: config.Limits{MaxPoints: 1000},
	})
	now := local(2026, 11, 23, 9, 0)
	for _, balance := range []int64{1000, 5000} {
		a := newAccount()
		a.Member.Birthday, a.Member.Balance = "11-23", balance
		a.Lots = openLots(a.Member)
		ok, err := p.CelebrateBirthday(a, "ev_bday", now)
		require.NoError(t, err, "a scheduled greeting is never refused")
		assert.True(t, ok)
		assert.Equal(t, balance, a.Member.Balance)
		assert.Equal(t, []string{OutcomeMemberBirthday}, outcomeTypes(a.Outcomes()), "the greeting, without points")
	}
}
