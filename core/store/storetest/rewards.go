package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
)

// rewardsProgram compiles a program whose points expire after 30 days,
// with a catalog of a pooled tumbler (50 points), a generated coffee code
// (10 points, 3 in stock) and a shop voucher from an issuer (30 points).
func rewardsProgram(t testing.TB, tenant string) *loyalty.Program {
	t.Helper()
	p, err := loyalty.Compile(tenant, config.Loyalty{
		Combine: config.CombineStack,
		Expiry:  config.Expiry{Policy: config.ExpiryAfterDays, Days: 30},
		Refunds: config.Refunds{WaitForOrder: time.Minute},
		Rewards: []config.Reward{
			{ID: "tumbler", Name: "Tumbler", Cost: 50, Codes: config.RewardCodes{Pool: true}},
			{ID: "coffee", Name: "Free coffee", Cost: 10, Stock: 3, Codes: config.RewardCodes{Pattern: "KOPI-{AAAA}-{9999}"}},
			{ID: "voucher", Name: "Shop voucher", Cost: 30, Codes: config.RewardCodes{Issuer: "shop"}},
		},
	}, time.UTC)
	require.NoError(t, err)
	return p
}

// fund gives points to member i (created when new) as an adjustment of p
// under an event named name, and returns the member's id. The points
// expire as p says.
func fund(t testing.TB, s store.Store, p *loyalty.Program, i int, name string, points int64) string {
	t.Helper()
	// Lot ids derive from event ids, which must be unique across the
	// tenants sharing a database.
	eventID := event.DerivedID("ev_", p.Tenant, name)
	res, err := s.Transact(context.Background(), p.Tenant, eventID,
		store.AccountRef{Phone: fmt.Sprintf("+62812%08d", i), Create: true}, at(0),
		func(a *loyalty.Account) error { return p.Adjust(a, eventID, points, "funding", at(0)) })
	require.NoError(t, err)
	return res.Member.ID
}

// redeem redeems reward for a member under a client's request id the way
// the admin API does, and returns the redemption stored.
func redeem(ctx context.Context, s store.Store, p *loyalty.Program, tenant, memberID, requestID, rewardID string,
	at time.Time) (store.AccountResult, loyalty.Redemption, error) {
	r, ok := p.Reward(rewardID)
	if !ok {
		return store.AccountResult{}, loyalty.Redemption{}, fmt.Errorf("no reward %s", rewardID)
	}
	id := loyalty.RedemptionID(tenant, memberID, requestID)
	res, err := s.Transact(ctx, tenant, id, store.AccountRef{MemberID: memberID}, at,
		func(a *loyalty.Account) error { return p.Redeem(a, id, r, at) })
	if err != nil {
		return res, loyalty.Redemption{}, err
	}
	d, err := s.Redemption(ctx, tenant, id)
	return res, d, err
}

func testImportCodes(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	tests := []struct {
		name              string
		codes             []string
		added, duplicates int
		wantErr           bool
		left              int64
	}{
		{name: "new codes", codes: []string{"T-1", " T-2 ", "T-3"}, added: 3, left: 3},
		{name: "some known, one given twice", codes: []string{"T-3", "T-4", "T-4", "T-2"}, added: 1, duplicates: 3, left: 4},
		{name: "an empty code adds nothing", codes: []string{"T-5", " "}, wantErr: true, left: 4},
		{name: "nothing", codes: nil, left: 4},
	}
	for _, tt := range tests {
		added, dups, err := s.ImportCodes(ctx, tenant, "tumbler", tt.codes)
		if tt.wantErr {
			require.Error(t, err, tt.name)
		} else {
			require.NoError(t, err, tt.name)
			assert.Equal(t, tt.added, added, tt.name)
			assert.Equal(t, tt.duplicates, dups, tt.name)
		}
		stock, err := s.RewardStock(ctx, tenant)
		require.NoError(t, err)
		assert.Equal(t, tt.left, stock["tumbler"].CodesLeft, tt.name)
	}
	added, _, err := s.ImportCodes(ctx, tenant, "mug", []string{"T-1"})
	require.NoError(t, err)
	assert.Equal(t, 1, added, "codes are per reward")
	added, _, err = s.ImportCodes(ctx, newTenant(), "tumbler", []string{"T-1"})
	require.NoError(t, err)
	assert.Equal(t, 1, added, "codes are per tenant")
	stock, err := s.RewardStock(ctx, tenant)
	require.NoError(t, err)
	assert.Equal(t, map[string]store.RewardStock{"tumbler": {CodesLeft: 4}, "mug": {CodesLeft: 1}}, stock)
}

func testRedeem(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := rewardsProgram(t, tenant)
	id := fund(t, s, p, 1, "fund", 100)
	_, _, err := s.ImportCodes(ctx, tenant, "tumbler", []string{"T-1"})
	require.NoError(t, err)

	res, d, err := redeem(ctx, s, p, tenant, id, "req-1", "tumbler", at(0))
	require.NoError(t, err)
	assert.False(t, res.Replayed)
	assert.Equal(t, int64(50), res.Member.Balance)
	assert.Equal(t, loyalty.RedemptionConfirmed, d.Status)
	assert.Equal(t, "T-1", d.Code)
	assert.Equal(t, id, d.MemberID)
	assert.Equal(t, int64(50), d.Cost)
	assert.Equal(t, at(0).UTC(), d.CreatedAt)
	require.Len(t, d.Spent, 1)
	assert.Equal(t, int64(50), d.Spent[0].Points)
	require.NotNil(t, d.Spent[0].ExpiresAt, "the credited points expire")
	require.Len(t, res.Outcomes, 1)
	assert.Equal(t, loyalty.OutcomeRewardRedeemed, res.Outcomes[0].Type)
	assert.Equal(t, "T-1", res.Outcomes[0].Data["code"])

	_, _, err = redeem(ctx, s, p, tenant, id, "req-2", "tumbler", at(1))
	assert.ErrorIs(t, err, loyalty.ErrOutOfStock, "the pool is empty")
	_, _, err = redeem(ctx, s, p, tenant, id, "req-3", "coffee", at(2))
	require.NoError(t, err)
	_, _, err = redeem(ctx, s, p, tenant, id, "req-4", "tumbler", at(3))
	assert.ErrorIs(t, err, loyalty.ErrInsufficientPoints, "40 points left")
	_, _, err = redeem(ctx, s, p, tenant, "mem_nobody", "req-5", "coffee", at(4))
	assert.ErrorIs(t, err, store.ErrNoMember)

	entries, err := s.Entries(ctx, tenant, id, 0)
	require.NoError(t, err)
	require.Len(t, entries, 3, "credit and two redemptions")
	assert.Equal(t, loyalty.EntryRedeem, entries[0].Kind)
	assert.Equal(t, int64(-10), entries[0].Points)
	checkLedger(t, s, tenant, id, false)

	list, err := s.ListRedemptions(ctx, tenant, id, 0)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "coffee", list[0].RewardID, "newest first")
	assert.Regexp(t, `^KOPI-[A-Z]{4}-[0-9]{4}$`, list[0].Code)
	probe := errors.New("probe: write nothing")
	_, err = s.Transact(ctx, tenant, "probe", store.AccountRef{MemberID: id}, at(5), func(a *loyalty.Account) error {
		used, err := a.Redemptions.CodeUsed("coffee", list[0].Code)
		assert.NoError(t, err)
		assert.True(t, used, "a generated code is known")
		used, err = a.Redemptions.CodeUsed("coffee", "KOPI-NONE-0000")
		assert.NoError(t, err)
		assert.False(t, used)
		used, err = a.Redemptions.CodeUsed("tumbler", list[0].Code)
		assert.NoError(t, err)
		assert.False(t, used, "codes are per reward")
		return probe
	})
	require.ErrorIs(t, err, probe)
	list, err = s.ListRedemptions(ctx, tenant, id, 1)
	require.NoError(t, err)
	assert.Len(t, list, 1)
	list, err = s.ListRedemptions(ctx, tenant, "mem_nobody", 0)
	require.NoError(t, err)
	assert.Empty(t, list)
	_, err = s.Redemption(ctx, tenant, "rdm_nope")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.Redemption(ctx, newTenant(), d.ID)
	assert.ErrorIs(t, err, store.ErrNotFound, "redemptions are per tenant")

	stock, err := s.RewardStock(ctx, tenant)
	require.NoError(t, err)
	assert.Equal(t, map[string]store.RewardStock{"tumbler": {Redeemed: 1}, "coffee": {Redeemed: 1}}, stock)
}

// testRedeemDoubleTap sends the same request twice, then twice at once:
// one redemption, one code, points taken once.
func testRedeemDoubleTap(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := rewardsProgram(t, tenant)
	id := fund(t, s, p, 2, "fund", 200)
	_, _, err := s.ImportCodes(ctx, tenant, "tumbler", []string{"T-1", "T-2", "T-3"})
	require.NoError(t, err)

	first, d1, err := redeem(ctx, s, p, tenant, id, "tap", "tumbler", at(0))
	require.NoError(t, err)
	again, d2, err := redeem(ctx, s, p, tenant, id, "tap", "tumbler", at(5))
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	assert.Equal(t, d1, d2, "the same redemption and code")
	assert.Equal(t, first.Outcomes[0].Data["code"], again.Outcomes[0].Data["code"])
	assert.Equal(t, int64(150), again.Member.Balance)

	var wg sync.WaitGroup
	results := make([]loyalty.Redemption, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Go(func() { _, results[i], errs[i] = redeem(ctx, s, p, tenant, id, "tap-2", "tumbler", at(10)) })
	}
	wg.Wait()
	for i := range results {
		require.NoError(t, errs[i])
		assert.Equal(t, results[0], results[i])
	}
	assert.NotEqual(t, d1.Code, results[0].Code)

	m, err := s.Member(ctx, tenant, id)
	require.NoError(t, err)
	assert.Equal(t, int64(100), m.Balance, "two redemptions of 50")
	list, err := s.ListRedemptions(ctx, tenant, id, 0)
	require.NoError(t, err)
	assert.Len(t, list, 2)
	stock, err := s.RewardStock(ctx, tenant)
	require.NoError(t, err)
	assert.Equal(t, store.RewardStock{Redeemed: 2, CodesLeft: 1}, stock["tumbler"])
	checkLedger(t, s, tenant, id, false)
}

// testRedeemPoolConcurrent has 20 members redeem at once a reward with 5
// pooled codes: 5 succeed, each with a code of its own, and the 15 others
// fail having spent nothing.
func testRedeemPoolConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := rewardsProgram(t, tenant)
	const n = 20
	members := make([]string, n)
	for i := range members {
		members[i] = fund(t, s, p, 100+i, fmt.Sprint("fund-", 100+i), 80)
	}
	codes := []string{"T-1", "T-2", "T-3", "T-4", "T-5"}
	_, _, err := s.ImportCodes(ctx, tenant, "tumbler", codes)
	require.NoError(t, err)

	got := make([]loyalty.Redemption, n)
	errs := make([]error, n)
	parallel(n, func(i int) {
		_, got[i], errs[i] = redeem(ctx, s, p, tenant, members[i], "req", "tumbler", at(i))
	})
	var won []string
	for i := range n {
		if errs[i] != nil {
			require.ErrorIs(t, errs[i], loyalty.ErrOutOfStock, "member %d", i)
			m, err := s.Member(ctx, tenant, members[i])
			require.NoError(t, err)
			assert.Equal(t, int64(80), m.Balance, "a failed redemption spends nothing")
		} else {
			won = append(won, got[i].Code)
			m, err := s.Member(ctx, tenant, members[i])
			require.NoError(t, err)
			assert.Equal(t, int64(30), m.Balance)
		}
		checkLedger(t, s, tenant, members[i], false)
	}
	assert.ElementsMatch(t, codes, won, "every code once")
	stock, err := s.RewardStock(ctx, tenant)
	require.NoError(t, err)
	assert.Equal(t, store.RewardStock{Redeemed: 5}, stock["tumbler"])
}

// testRedeemStockConcurrent has 8 members redeem at once a reward with a
// stock of 3: 3 succeed.
func testRedeemStockConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := rewardsProgram(t, tenant)
	const n = 8
	members := make([]string, n)
	for i := range members {
		members[i] = fund(t, s, p, 200+i, fmt.Sprint("fund-", 200+i), 10)
	}
	errs := make([]error, n)
	parallel(n, func(i int) {
		_, _, errs[i] = redeem(ctx, s, p, tenant, members[i], "req", "coffee", at(i))
	})
	ok := 0
	for i, err := range errs {
		if err == nil {
			ok++
		} else {
			require.ErrorIs(t, err, loyalty.ErrOutOfStock)
		}
		checkLedger(t, s, tenant, members[i], false)
	}
	assert.Equal(t, 3, ok)
	stock, err := s.RewardStock(ctx, tenant)
	require.NoError(t, err)
	assert.Equal(t, int64(3), stock["coffee"].Redeemed)
}

// testRedemptionSettle runs the issuer's flow: reserve, then confirm with
// the issuer's code, or release and give the points back.
func testRedemptionSettle(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := rewardsProgram(t, tenant)
	id := fund(t, s, p, 3, "fund", 100)

	res, d, err := redeem(ctx, s, p, tenant, id, "ok", "voucher", at(0))
	require.NoError(t, err)
	assert.Equal(t, loyalty.RedemptionReserved, d.Status)
	assert.Empty(t, d.Code)
	assert.Empty(t, res.Outcomes, "no reward.redeemed before the code")
	assert.Equal(t, int64(70), res.Member.Balance)

	res, err = store.ConfirmRedemption(ctx, s, p, tenant, d.ID, "SHOP-1", at(1))
	require.NoError(t, err)
	require.Len(t, res.Outcomes, 1)
	assert.Equal(t, loyalty.OutcomeRewardRedeemed, res.Outcomes[0].Type)
	assert.Equal(t, "SHOP-1", res.Outcomes[0].Data["code"])
	d, err = s.Redemption(ctx, tenant, d.ID)
	require.NoError(t, err)
	assert.Equal(t, loyalty.RedemptionConfirmed, d.Status)
	assert.Equal(t, "SHOP-1", d.Code)
	assert.Equal(t, at(1).UTC(), d.UpdatedAt)

	again, err := store.ConfirmRedemption(ctx, s, p, tenant, d.ID, "SHOP-2", at(2))
	require.NoError(t, err)
	assert.True(t, again.Replayed, "confirming twice changes nothing")
	_, err = store.ReleaseRedemption(ctx, s, p, tenant, d.ID, "too late", at(2))
	assert.ErrorIs(t, err, loyalty.ErrRedemptionSettled)

	res, failed, err := redeem(ctx, s, p, tenant, id, "fails", "voucher", at(3))
	require.NoError(t, err)
	assert.Equal(t, int64(40), res.Member.Balance)
	res, err = store.ReleaseRedemption(ctx, s, p, tenant, failed.ID, "shop unreachable", at(4))
	require.NoError(t, err)
	assert.Equal(t, int64(70), res.Member.Balance, "the points are back")
	require.Len(t, res.Outcomes, 1)
	assert.Equal(t, loyalty.OutcomeRewardReleased, res.Outcomes[0].Type)
	failed, err = s.Redemption(ctx, tenant, failed.ID)
	require.NoError(t, err)
	assert.Equal(t, loyalty.RedemptionReleased, failed.Status)
	assert.Equal(t, "shop unreachable", failed.Reason)
	_, err = store.ConfirmRedemption(ctx, s, p, tenant, failed.ID, "SHOP-3", at(5))
	assert.ErrorIs(t, err, loyalty.ErrRedemptionSettled)

	_, err = store.ConfirmRedemption(ctx, s, p, tenant, "rdm_nope", "X", at(5))
	assert.ErrorIs(t, err, store.ErrNotFound)

	// The points came back as a lot with the expiry date of the credited
	// ones.
	lots, err := s.Lots(ctx, tenant, id)
	require.NoError(t, err)
	var credited, released *loyalty.Lot
	for i := range lots {
		switch lots[i].Rule {
		case "adjust":
			credited = &lots[i]
		case "release":
			released = &lots[i]
		}
	}
	require.NotNil(t, credited)
	require.NotNil(t, released)
	assert.Equal(t, int64(30), released.Points)
	require.NotNil(t, released.ExpiresAt)
	assert.Equal(t, *credited.ExpiresAt, *released.ExpiresAt)
	checkLedger(t, s, tenant, id, false)

	stock, err := s.RewardStock(ctx, tenant)
	require.NoError(t, err)
	assert.Equal(t, int64(1), stock["voucher"].Redeemed, "a released redemption does not count")
}

// testRedemptionSettleRace confirms and releases one reservation at once:
// exactly one wins.
func testRedemptionSettleRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := rewardsProgram(t, tenant)
	id := fund(t, s, p, 4, "fund", 30)
	for round := range 5 {
		_, d, err := redeem(ctx, s, p, tenant, id, fmt.Sprint("race-", round), "voucher", at(round))
		require.NoError(t, err)
		errs := make([]error, 2)
		parallel(2, func(i int) {
			if i == 0 {
				_, errs[i] = store.ConfirmRedemption(ctx, s, p, tenant, d.ID, fmt.Sprint("SHOP-", round), at(round))
			} else {
				_, errs[i] = store.ReleaseRedemption(ctx, s, p, tenant, d.ID, "race", at(round))
			}
		})
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else {
				require.ErrorIs(t, err, loyalty.ErrRedemptionSettled)
			}
		}
		require.Equal(t, 1, wins, "round %d", round)
		d, err = s.Redemption(ctx, tenant, d.ID)
		require.NoError(t, err)
		if d.Status == loyalty.RedemptionConfirmed {
			// Confirmed: fund the next round.
			fund(t, s, p, 4, fmt.Sprint("refund-", round), 30)
		}
		checkLedger(t, s, tenant, id, false)
	}
}
