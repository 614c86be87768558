package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
)

// testProgram reads a small program's KPIs for a period of 30 days: one
// member who joined before it, orders again, redeems and lets the rest of
// her first points expire; one who joins with an order and returns part
// of it; one who joins without ordering and gets points by hand; one who
// joins after it. Everything takes the time the store's clock says.
func testProgram(t *testing.T, s store.Store, c *testClock) {
	ctx := context.Background()
	tenant := newTenant()
	p := SpendProgram(t, tenant, func(l *config.Loyalty) {
		l.Expiry = config.Expiry{Policy: config.ExpiryAfterDays, Days: 40}
		l.Rewards = []config.Reward{{ID: "coffee", Name: "Free coffee", Cost: 30,
			Codes: config.RewardCodes{Pattern: "KOPI-{AAAA}-{9999}"}}}
	})
	day := func(n int) time.Time { return at(n * 24 * 3600) }
	sale := func(order, phone, total string, n int) loyalty.Member {
		c.set(day(n))
		res, err := counted(s, p, orderEvent(tenant, order, phone, total, day(n)),
			store.AccountRef{Phone: phone, OrderID: order, Create: true}, nil)
		require.NoError(t, err)
		return res.Member
	}
	change := func(name string, ref store.AccountRef, n int, fn func(a *loyalty.Account) error) {
		c.set(day(n))
		eventID := event.DerivedID("ev_", tenant, name)
		_, err := s.Transact(ctx, tenant, eventID, ref, day(n), fn)
		require.NoError(t, err)
	}
	phoneA, phoneB, phoneC, phoneD := "+62821"+randDigits(7), "+62822"+randDigits(7), "+62823"+randDigits(7), "+62824"+randDigits(7)

	a := sale("A1", phoneA, "1000", 0) // 100 points, expiring on day 40
	sale("A2", phoneA, "500", 35)      // 50 points
	c.set(day(36))
	_, _, err := redeem(ctx, s, p, tenant, a.ID, "req-1", "coffee", day(36)) // 30 points of A1's
	require.NoError(t, err)
	change("expire-a", store.AccountRef{MemberID: a.ID}, 41, func(acc *loyalty.Account) error {
		p.ExpireDue(acc, event.DerivedID("ev_", tenant, "expire-a"), day(41)) // A1's other 70
		return nil
	})
	sale("B1", phoneB, "2000", 32) // 200 points
	c.set(day(34))
	_, err = counted(s, p, refundEvent(tenant, "B1", "r1", "1000", day(34)), store.AccountRef{OrderID: "B1"}, nil)
	require.NoError(t, err) // takes 100 back
	change("join-c", store.AccountRef{Phone: phoneC, Create: true}, 45, func(*loyalty.Account) error { return nil })
	change("adjust-c", store.AccountRef{Phone: phoneC}, 46, func(acc *loyalty.Account) error {
		return p.Adjust(acc, event.DerivedID("ev_", tenant, "adjust-c"), 25, "goodwill", day(46))
	})
	sale("D1", phoneD, "300", 70) // after the period: only in what members hold now

	q := store.ProgramQuery{Tenant: tenant, From: day(30), To: day(60), Location: time.UTC, Months: 3}
	k, err := s.Program(ctx, q)
	require.NoError(t, err)
	months := store.CohortMonths(q)
	assert.Equal(t, store.ProgramKPIs{
		Members: 3, NewMembers: 2, NewBySource: map[string]int64{store.UnknownSource: 2},
		ActiveMembers: 2, Buyers: 2, RepeatBuyers: 1, PeriodBuyers: 2, ReturningBuyers: 1, Redeemers: 1,
		PointsIssued: 250, PointsRedeemed: 30, PointsExpired: 70, PointsReversed: 100, PointsAdjusted: 25,
		Liability: 50 + 100 + 25 + 30,
		Cohorts: []store.Cohort{
			{Month: "2025-03", Start: months[0], Members: 1, Ordered: []int64{1, 1, 0}, Retention: []float64{1, 1, 0}},
			{Month: "2025-04", Start: months[1], Members: 2, Ordered: []int64{1, 0}, Retention: []float64{0.5, 0}},
			{Month: "2025-05", Start: months[2], Ordered: []int64{0}, Retention: []float64{0}},
		},
	}, k)
	assert.Equal(t, store.ProgramRates{RepeatRate: 0.5, ReturningRate: 0.5, RedemptionRate: 0.5,
		RedeemedShare: 0.12, Breakage: 0.7}, k.Rates())

	early, err := s.Program(ctx, store.ProgramQuery{Tenant: tenant, From: day(0), To: day(30), Location: time.UTC, Months: 1})
	require.NoError(t, err)
	assert.EqualValues(t, 1, early.Members, "B and C joined later")
	assert.EqualValues(t, 100, early.PointsIssued)
	assert.EqualValues(t, 0, early.ReturningBuyers, "A had no order before")
	assert.EqualValues(t, 0, early.RepeatBuyers, "A's second order came later")
	require.Len(t, early.Cohorts, 1)
	assert.Equal(t, "2025-04", early.Cohorts[0].Month, "day 30 is in April")

	other, err := s.Program(ctx, store.ProgramQuery{Tenant: newTenant(), From: day(0), To: day(60), Months: 2})
	require.NoError(t, err)
	assert.Zero(t, other.Members+other.Buyers+other.PointsIssued+other.Liability, "tenants are apart")
	assert.Len(t, other.Cohorts, 2)
}
