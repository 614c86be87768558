package storetest

import (
	"context"
	"fmt"
	"math/big"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
)

// testHugeValues stores points at the highest limit a program may set
// (2^53) and order totals of 10^13 to the thousandth, and sums more of them than an
// int64 holds: balances, lots, debts and cap counters read back exactly,
// the ledger adds up to the balance, and the tier qualification of more
// than 2^63 points earned is exact.
func testHugeValues(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	const most = config.MaxPointsCeiling
	p, err := loyalty.Compile(tenant, config.Loyalty{
		Combine: config.CombineStack, AllowNegative: true,
		Expiry:  config.Expiry{Policy: config.ExpiryNever},
		Refunds: config.Refunds{WaitForOrder: time.Minute},
		Limits:  config.Limits{MaxPoints: most, MaxOrderTotal: "10000000000000"},
		Rules: []config.EarnRule{
			{Name: "spend", On: event.TypeOrderPaid, Spend: &config.Spend{Unit: "1", Points: 1000, Rounding: config.RoundFloor, MinOrder: "0"}},
			{Name: "visit", On: "visit.checked_in", Points: strconv.FormatInt(most, 10), Caps: config.Caps{PerMemberDay: most}},
		},
	}, time.UTC)
	require.NoError(t, err)
	phone := "+6281200009001"

	// 9,007,199,254,740.992 × 1,000 points per unit is 2^53 points.
	res, err := apply(ctx, s, p, orderEvent(tenant, "H-1", phone, "9007199254740.992", at(0)),
		store.AccountRef{Phone: phone, OrderID: "H-1", Create: true})
	require.NoError(t, err)
	id := res.Member.ID
	assert.Equal(t, most, res.Member.Balance)
	m, err := s.Member(ctx, tenant, id)
	require.NoError(t, err)
	assert.Equal(t, most, m.Balance, "the balance is stored exactly")

	// A tenth of a cent of it takes back exactly one point.
	res, err = apply(ctx, s, p, refundEvent(tenant, "H-1", "R-1", "0.001", at(60)), store.AccountRef{OrderID: "H-1"})
	require.NoError(t, err)
	assert.Equal(t, most-1, res.Member.Balance)

	credit := func(eventID string, points int64) store.AccountResult {
		t.Helper()
		res, err := s.Transact(ctx, tenant, eventID, store.AccountRef{MemberID: id}, at(120), func(a *loyalty.Account) error {
			return p.Adjust(a, eventID, points, "correction", at(120))
		})
		require.NoError(t, err)
		return res
	}
	assert.Zero(t, credit("adj-1", -(most-1)).Member.Balance)
	assert.Equal(t, -most, credit("adj-2", -most).Member.Balance, "a debt of the maximum")
	_, err = s.Transact(ctx, tenant, "adj-3", store.AccountRef{MemberID: id}, at(120), func(a *loyalty.Account) error {
		return p.Adjust(a, "adj-3", -1, "beyond", at(120))
	})
	require.ErrorIs(t, err, loyalty.ErrLimit, "a debt beyond the maximum is refused")
	assert.Zero(t, credit("adj-4", most).Member.Balance, "the debt is paid off")
	checkLedger(t, s, tenant, id, true)

	// Earning and spending 2^53 points a day for 1,100 days earns more
	// than an int64 holds in all; one transaction keeps it quick.
	const days = 1100
	_, err = s.Transact(ctx, tenant, "years", store.AccountRef{MemberID: id}, at(180), func(a *loyalty.Account) error {
		for d := range days {
			when := at(180).Add(time.Duration(d) * 24 * time.Hour)
			evID := fmt.Sprintf("visit-%d", d)
			ev := event.Event{ID: evID, Tenant: tenant, Type: "visit.checked_in", OccurredAt: when, Data: []byte(`{}`)}
			if err := p.Apply(a, ev); err != nil {
				return err
			}
			if err := p.Adjust(a, "spent-"+evID, -most, "spent", when); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	checkLedger(t, s, tenant, id, true)

	q, err := s.Qualifying(ctx, tenant, id, config.TierBasisPoints, base.Add(-time.Hour))
	require.NoError(t, err)
	want := new(big.Int).Mul(big.NewInt(days+1), big.NewInt(most))
	want.Sub(want, big.NewInt(1)) // the refunded point
	assert.Equal(t, want.String(), q.RatString(), "the qualification sums beyond int64 exactly")

	key := "visit:d:" + at(180).Add(7*24*time.Hour).UTC().Format("2006-01-02")
	counters, err := s.CounterValues(ctx, tenant, id, []string{key})
	require.NoError(t, err)
	assert.Equal(t, most, counters[key], "a cap counter at the maximum")

	// The order's total, less its refund, to the thousandth.
	spend, err := s.Qualifying(ctx, tenant, id, config.TierBasisSpend, base.Add(-time.Hour))
	require.NoError(t, err)
	assert.Equal(t, "9007199254740991/1000", spend.RatString(), "the order less its refund")
}

// hugeProgram earns 1,000 points per unit spent up to the highest
// max_points, 2^53, and takes totals up to 10^13.
func hugeProgram(t testing.TB, tenant string, allowNegative bool) *loyalty.Program {
	t.Helper()
	p, err := loyalty.Compile(tenant, config.Loyalty{
		Combine: config.CombineStack, AllowNegative: allowNegative,
		Expiry:  config.Expiry{Policy: config.ExpiryNever},
		Refunds: config.Refunds{WaitForOrder: 10 * time.Minute},
		Limits:  config.Limits{MaxPoints: config.MaxPointsCeiling, MaxOrderTotal: "10000000000000"},
		Rules: []config.EarnRule{
			{Name: "spend", On: event.TypeOrderPaid, Spend: &config.Spend{Unit: "1", Points: 1000, Rounding: config.RoundHalfUp, MinOrder: "0"}},
			{Name: "welcome", On: event.TypeMemberJoined, Points: "5"},
		},
	}, time.UTC)
	require.NoError(t, err)
	return p
}
