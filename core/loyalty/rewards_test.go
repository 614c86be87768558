package loyalty

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
)

// catalog is a program with no earning rules and four rewards: a pattern
// coffee, a pooled tumbler with a stock of 5, a Gold-only reward from a
// shop connector, and a December reward.
func catalog(t *testing.T) *Program {
	t.Helper()
	return compileProgram(t, config.Loyalty{
		Expiry: config.Expiry{Policy: config.ExpiryAfterDays, Days: 30},
		Rewards: []config.Reward{
			{ID: "coffee", Name: "Free coffee", Cost: 50, Codes: config.RewardCodes{Pattern: "KOPI-{AAAA}-{9999}"}},
			{ID: "tumbler", Name: "Tumbler", Cost: 500, Stock: 5, Codes: config.RewardCodes{Pool: true}},
			{ID: "voucher", Name: "Shop voucher", Cost: 200, Tiers: []string{"Gold", "Platinum"},
				Codes: config.RewardCodes{Issuer: "shop"}},
			{ID: "xmas", Name: "Christmas mug", Cost: 10, Valid: config.RewardValid{From: "2026-12-01", Until: "2026-12-26"},
				Codes: config.RewardCodes{Pattern: "XMAS-{999999}"}},
		},
	})
}

// funded returns an account holding the given active lots, each of its
// points, expiring at the given times (nil: never).
func funded(lots ...*Lot) *Account {
	a := newAccount()
	for _, l := range lots {
		l.MemberID, l.Status, l.Remaining = a.Member.ID, LotActive, l.Points
		a.Lots = append(a.Lots, l)
		a.Member.Balance += l.Points
	}
	return a
}

func reward(t *testing.T, p *Program, id string) Reward {
	t.Helper()
	r, ok := p.Reward(id)
	require.True(t, ok, "reward %s", id)
	return r
}

func TestCatalog(t *testing.T) {
	p := catalog(t)
	var ids []string
	for _, r := range p.Rewards() {
		ids = append(ids, r.ID)
	}
	assert.Equal(t, []string{"coffee", "tumbler", "voucher", "xmas"}, ids, "in the order configured")

	x := reward(t, p, "xmas")
	assert.Equal(t, local(2026, 12, 1, 0, 0), x.From, "dates are in the tenant's zone")
	assert.Equal(t, local(2026, 12, 26, 0, 0), x.Until)
	assert.Equal(t, CodesPattern, x.Codes)
	assert.Equal(t, CodesPool, reward(t, p, "tumbler").Codes)
	assert.Equal(t, CodesIssuer, reward(t, p, "voucher").Codes)
	assert.Equal(t, "shop", reward(t, p, "voucher").Issuer)
	_, ok := p.Reward("nope")
	assert.False(t, ok)
}

func TestRewardsValidation(t *testing.T) {
	pattern := config.RewardCodes{Pattern: "KOPI-{AAAA}-{9999}"}
	tests := []struct {
		name    string
		rewards []config.Reward
		path    string // of the one error expected; "" for none
		msg     string
	}{
		{name: "valid", rewards: []config.Reward{{ID: "coffee", Name: "Coffee", Cost: 1, Codes: pattern}}},
		{name: "upper-case id", rewards: []config.Reward{{ID: "Coffee", Name: "Coffee", Cost: 1, Codes: pattern}},
			path: "rewards[0].id", msg: "lower-case"},
		{name: "duplicate id", rewards: []config.Reward{
			{ID: "coffee", Name: "Coffee", Cost: 1, Codes: pattern}, {ID: "coffee", Name: "Tea", Cost: 1, Codes: pattern},
		}, path: "rewards[1].id", msg: "already the id of rewards[0]"},
		{name: "no name", rewards: []config.Reward{{ID: "coffee", Cost: 1, Codes: pattern}},
			path: "rewards[0].name", msg: "required"},
		{name: "free", rewards: []config.Reward{{ID: "coffee", Name: "Coffee", Codes: pattern}},
			path: "rewards[0].cost", msg: "must be positive"},
		{name: "empty tier", rewards: []config.Reward{{ID: "coffee", Name: "Coffee", Cost: 1, Tiers: []string{" "}, Codes: pattern}},
			path: "rewards[0].tiers[0]", msg: "empty"},
		{name: "negative stock", rewards: []config.Reward{{ID: "coffee", Name: "Coffee", Cost: 1, Stock: -1, Codes: pattern}},
			path: "rewards[0].stock", msg: "must not be negative"},
		{name: "bad date", rewards: []config.Reward{{ID: "coffee", Name: "Coffee", Cost: 1, Codes: pattern,
			Valid: config.RewardValid{From: "1 Dec"}}}, path: "rewards[0].valid.from", msg: "not a date"},
		{name: "until before from", rewards: []config.Reward{{ID: "coffee", Name: "Coffee", Cost: 1, Codes: pattern,
			Valid: config.RewardValid{From: "2026-12-01", Until: "2026-11-01"}}}, path: "rewards[0].valid.until", msg: "after from"},
		{name: "no codes", rewards: []config.Reward{{ID: "coffee", Name: "Coffee", Cost: 1}},
			path: "rewards[0].codes", msg: "set one of"},
		{name: "two sources", rewards: []config.Reward{{ID: "coffee", Name: "Coffee", Cost: 1,
			Codes: config.RewardCodes{Pool: true, Issuer: "shop"}}}, path: "rewards[0].codes", msg: "only one"},
		{name: "bad issuer", rewards: []config.Reward{{ID: "coffee", Name: "Coffee", Cost: 1,
			Codes: config.RewardCodes{Issuer: "My Shop"}}}, path: "rewards[0].codes.issuer", msg: "not a connector name"},
		{name: "guessable pattern", rewards: []config.Reward{{ID: "coffee", Name: "Coffee", Cost: 1,
			Codes: config.RewardCodes{Pattern: "KOPI-{99999}"}}}, path: "rewards[0].codes.pattern", msg: "5 random characters"},
		{name: "pattern with a space", rewards: []config.Reward{{ID: "coffee", Name: "Coffee", Cost: 1,
			Codes: config.RewardCodes{Pattern: "KOPI {AAAAAA}"}}}, path: "rewards[0].codes.pattern", msg: "letters, digits"},
		{name: "pattern with another random letter", rewards: []config.Reward{{ID: "coffee", Name: "Coffee", Cost: 1,
			Codes: config.RewardCodes{Pattern: "{AAAAAX}"}}}, path: "rewards[0].codes.pattern", msg: "only A"},
		{name: "pattern left open", rewards: []config.Reward{{ID: "coffee", Name: "Coffee", Cost: 1,
			Codes: config.RewardCodes{Pattern: "KOPI-{AAAAAA"}}}, path: "rewards[0].codes.pattern", msg: "open"},
		{name: "pattern with an empty group", rewards: []config.Reward{{ID: "coffee", Name: "Coffee", Cost: 1,
			Codes: config.RewardCodes{Pattern: "{}{AAAAAA}"}}}, path: "rewards[0].codes.pattern", msg: "empty group"},
		{name: "pattern too long", rewards: []config.Reward{{ID: "coffee", Name: "Coffee", Cost: 1,
			Codes: config.RewardCodes{Pattern: strings.Repeat("X", 60) + "{AAAAAA}"}}}, path: "rewards[0].codes.pattern", msg: "more than 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, l := withDefaults(config.Loyalty{Rewards: tt.rewards})
			errs := cfg.Validate()
			_, compileErr := Compile(testTenant, l, jakarta)
			if tt.path == "" {
				assert.Empty(t, errs)
				assert.NoError(t, compileErr)
				return
			}
			require.Len(t, errs, 1, "%v", errs)
			assert.Equal(t, "tenants."+testTenant+".loyalty."+tt.path, errs[0].Path)
			assert.Contains(t, errs[0].Msg, tt.msg)
		})
	}
}

func TestCompileRewardErrors(t *testing.T) {
	// Compile checks what it relies on even without validation.
	_, err := Compile(testTenant, config.Loyalty{Rewards: []config.Reward{
		{ID: "a", Name: "A", Cost: 1, Codes: config.RewardCodes{Pattern: "{AA}"}},
		{ID: "a", Name: "B", Cost: 0, Codes: config.RewardCodes{Pool: true, Pattern: "{AAAAAA}"}, Valid: config.RewardValid{Until: "soon"}},
	}}, jakarta)
	var errs config.Errors
	require.ErrorAs(t, err, &errs)
	var paths []string
	for _, e := range errs {
		paths = append(paths, e.Path)
	}
	assert.ElementsMatch(t, []string{
		"rewards[0].codes.pattern", "rewards[1].id", "rewards[1].cost", "rewards[1].valid.until", "rewards[1].codes",
	}, paths)
}

func TestRedeem(t *testing.T) {
	p := catalog(t)
	now := local(2026, 12, 10, 9, 0)
	coffee := regexp.MustCompile(`^KOPI-[A-Z]{4}-[0-9]{4}$`)
	tests := []struct {
		name    string
		reward  string
		balance int64
		tier    string
		stock   int64 // redemptions of the reward so far
		pool    []string
		at      time.Time
		wantErr error
		msg     string
		code    *regexp.Regexp // of a confirmed redemption; nil: reserved
	}{
		{name: "pattern code", reward: "coffee", balance: 60, code: coffee},
		{name: "exact balance", reward: "coffee", balance: 50, code: coffee},
		{name: "not enough points", reward: "tumbler", balance: 320, pool: []string{"T-1"},
			wantErr: ErrInsufficientPoints, msg: "not enough points: Tumbler costs 500 points, balance is 320"},
		{name: "pool code", reward: "tumbler", balance: 500, stock: 4, pool: []string{"T-1"}, code: regexp.MustCompile(`^T-1$`)},
		{name: "stock used up", reward: "tumbler", balance: 500, stock: 5, pool: []string{"T-1"},
			wantErr: ErrOutOfStock, msg: "all 5 of Tumbler are redeemed"},
		{name: "pool empty", reward: "tumbler", balance: 500, wantErr: ErrOutOfStock, msg: "no code of Tumbler is left"},
		{name: "issuer reserves", reward: "voucher", balance: 200, tier: "Gold"},
		{name: "tier compared ignoring case", reward: "voucher", balance: 200, tier: "platinum"},
		{name: "tier unknown", reward: "voucher", balance: 200},
		{name: "other tier", reward: "voucher", balance: 200, tier: "Silver",
			wantErr: ErrRewardUnavailable, msg: "Shop voucher is for members of Gold, Platinum; this member is Silver"},
		{name: "within validity", reward: "xmas", balance: 10, code: regexp.MustCompile(`^XMAS-[0-9]{6}$`)},
		{name: "before validity", reward: "xmas", balance: 10, at: local(2026, 11, 30, 23, 59),
			wantErr: ErrRewardUnavailable, msg: "from 2026-12-01 00:00"},
		{name: "after validity", reward: "xmas", balance: 10, at: local(2026, 12, 26, 0, 0),
			wantErr: ErrRewardUnavailable, msg: "until 2026-12-26 00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := now
			if !tt.at.IsZero() {
				at = tt.at
			}
			a := funded(&Lot{ID: "lot_a", Points: tt.balance, EarnedAt: at.Add(-time.Hour)})
			a.Member.Tier.Name = tt.tier
			pool := append([]string(nil), tt.pool...)
			var takenFor string
			a.Redemptions = Redemptions{
				TakeCode: func(rewardID, redemptionID string) (string, error) {
					assert.Equal(t, "tumbler", rewardID)
					if len(pool) == 0 {
						return "", ErrOutOfStock
					}
					takenFor = redemptionID
					c := pool[0]
					pool = pool[1:]
					return c, nil
				},
				Redeemed: func(string) (int64, error) { return tt.stock, nil },
			}
			r := reward(t, p, tt.reward)
			err := p.Redeem(a, "rdm_1", r, at)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), tt.msg)
				ch := a.Changes()
				assert.Nil(t, ch.Redemption)
				assert.Empty(t, ch.Entries)
				assert.Empty(t, ch.Outcomes)
				assert.Equal(t, tt.balance, a.Member.Balance)
				return
			}
			require.NoError(t, err)
			require.NoError(t, a.Check(false))
			ch := a.Changes()
			require.NotNil(t, ch.Redemption)
			d := ch.Redemption
			assert.Equal(t, "rdm_1", d.ID)
			assert.Equal(t, a.Member.ID, d.MemberID)
			assert.Equal(t, r.Cost, d.Cost)
			assert.Equal(t, tt.balance-r.Cost, ch.Member.Balance)
			require.Len(t, ch.Entries, 1)
			e := ch.Entries[0]
			assert.Equal(t, EntryRedeem, e.Kind)
			assert.Equal(t, -r.Cost, e.Points)
			assert.Equal(t, "rdm_1", e.EventID, "the redemption id is the event id")
			assert.Contains(t, e.Reason, r.Name)
			if tt.code == nil {
				assert.Equal(t, RedemptionReserved, d.Status)
				assert.Empty(t, d.Code)
				assert.Empty(t, ch.Outcomes, "reward.redeemed waits for the code")
				return
			}
			assert.Equal(t, RedemptionConfirmed, d.Status)
			assert.Regexp(t, tt.code, d.Code)
			if r.Codes == CodesPool {
				assert.Equal(t, "rdm_1", takenFor)
			}
			data, ok := findOutcome(ch.Outcomes, OutcomeRewardRedeemed)
			require.True(t, ok)
			assert.Equal(t, map[string]any{
				"redemption_id": "rdm_1", "reward_id": r.ID, "name": r.Name, "cost": r.Cost, "code": d.Code,
			}, data)
		})
	}
}

func TestRedeemSpendsFirstToExpireFirst(t *testing.T) {
	p := catalog(t)
	now := local(2026, 3, 10, 9, 0)
	soon, later := local(2026, 4, 1, 0, 0), local(2026, 6, 1, 0, 0)
	a := funded(
		&Lot{ID: "lot_never", Points: 100, EarnedAt: now.Add(-72 * time.Hour)},
		&Lot{ID: "lot_later", Points: 20, EarnedAt: now.Add(-48 * time.Hour), ExpiresAt: ptr(later)},
		&Lot{ID: "lot_soon_1", Points: 10, EarnedAt: now.Add(-24 * time.Hour), ExpiresAt: ptr(soon)},
		&Lot{ID: "lot_soon_2", Points: 10, EarnedAt: now.Add(-12 * time.Hour), ExpiresAt: ptr(soon)},
	)
	require.NoError(t, p.Redeem(a, "rdm_1", reward(t, p, "coffee"), now))
	remaining := map[string]int64{}
	for _, l := range a.Lots {
		remaining[l.ID] = l.Remaining
	}
	assert.Equal(t, map[string]int64{"lot_soon_1": 0, "lot_soon_2": 0, "lot_later": 0, "lot_never": 90}, remaining)
	assert.Equal(t, []Spent{
		{Points: 20, ExpiresAt: ptr(soon)}, {Points: 20, ExpiresAt: ptr(later)}, {Points: 10},
	}, a.Changes().Redemption.Spent, "grouped by expiry date, soonest first")
	assert.Len(t, a.Changes().Lots, 4)
	require.NoError(t, a.Check(false))
}

func TestRedeemOncePerTransaction(t *testing.T) {
	p := catalog(t)
	a := funded(&Lot{ID: "lot_a", Points: 500, EarnedAt: t0})
	require.NoError(t, p.Redeem(a, "rdm_1", reward(t, p, "coffee"), t0))
	err := p.Redeem(a, "rdm_2", reward(t, p, "coffee"), t0)
	require.ErrorIs(t, err, ErrBadEvent)
	assert.Equal(t, int64(450), a.Member.Balance)
	assert.ErrorIs(t, p.Redeem(newAccount(), "", reward(t, p, "coffee"), t0), ErrBadEvent, "an id is required")
}

func TestRedeemPoolWithoutStore(t *testing.T) {
	p := catalog(t)
	a := funded(&Lot{ID: "lot_a", Points: 500, EarnedAt: t0})
	err := p.Redeem(a, "rdm_1", reward(t, p, "tumbler"), t0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pool")
	boom := errors.New("disk on fire")
	a.Redemptions.TakeCode = func(string, string) (string, error) { return "", boom }
	assert.ErrorIs(t, p.Redeem(a, "rdm_1", reward(t, p, "tumbler"), t0), boom)
	a.Redemptions.Redeemed = func(string) (int64, error) { return 0, boom }
	assert.ErrorIs(t, p.Redeem(a, "rdm_1", reward(t, p, "tumbler"), t0), boom)
	assert.Equal(t, int64(500), a.Member.Balance, "nothing was spent")
}

// reserve redeems the voucher (an issuer's reward) and returns the
// redemption with an account loaded afresh, as the store would for the
// transaction that settles it.
func reserve(t *testing.T, p *Program, now time.Time, lots ...*Lot) (Redemption, *Account) {
	t.Helper()
	a := funded(lots...)
	a.Member.Tier.Name = "Gold"
	require.NoError(t, p.Redeem(a, "rdm_1", reward(t, p, "voucher"), now))
	d := *a.Changes().Redemption
	require.Equal(t, RedemptionReserved, d.Status)
	return d, next(a, counterStore{})
}

func TestConfirm(t *testing.T) {
	p := catalog(t)
	d, a := reserve(t, p, t0, &Lot{ID: "lot_a", Points: 300, EarnedAt: t0})
	later := t0.Add(time.Minute)

	require.ErrorIs(t, p.Confirm(a, d, " ", later), ErrBadEvent, "a code is required")
	other := d
	other.MemberID = "mem_2"
	require.ErrorIs(t, p.Confirm(a, other, "SHOP-1", later), ErrBadEvent, "another member's redemption")

	require.NoError(t, p.Confirm(a, d, "SHOP-1", later))
	ch := a.Changes()
	require.NotNil(t, ch.Redemption)
	assert.Equal(t, RedemptionConfirmed, ch.Redemption.Status)
	assert.Equal(t, "SHOP-1", ch.Redemption.Code)
	assert.Equal(t, later, ch.Redemption.UpdatedAt)
	assert.Empty(t, ch.Entries, "the points were spent when it was reserved")
	assert.Equal(t, int64(100), ch.Member.Balance)
	data, ok := findOutcome(ch.Outcomes, OutcomeRewardRedeemed)
	require.True(t, ok)
	assert.Equal(t, "SHOP-1", data["code"])
	assert.Equal(t, "Shop voucher", data["name"])
	assert.Equal(t, int64(200), data["cost"])

	b := next(a, counterStore{})
	err := p.Confirm(b, *ch.Redemption, "SHOP-2", later)
	require.ErrorIs(t, err, ErrRedemptionSettled)
	assert.ErrorIs(t, p.Release(b, *ch.Redemption, "too late", later), ErrRedemptionSettled)
}

func TestRelease(t *testing.T) {
	p := catalog(t)
	now := local(2026, 3, 10, 9, 0)
	soon := local(2026, 4, 1, 0, 0)
	d, a := reserve(t, p, now,
		&Lot{ID: "lot_soon", Points: 150, EarnedAt: now.Add(-time.Hour), ExpiresAt: ptr(soon)},
		&Lot{ID: "lot_never", Points: 100, EarnedAt: now.Add(-2 * time.Hour)},
	)
	require.Equal(t, int64(50), a.Member.Balance)
	later := now.Add(time.Minute)

	require.ErrorIs(t, p.Release(a, d, "", later), ErrBadEvent, "a reason is required")
	require.NoError(t, p.Release(a, d, "the shop is down", later))
	require.NoError(t, a.Check(false))
	ch := a.Changes()
	assert.Equal(t, int64(250), ch.Member.Balance, "every point is back")
	require.NotNil(t, ch.Redemption)
	assert.Equal(t, RedemptionReleased, ch.Redemption.Status)
	assert.Equal(t, "the shop is down", ch.Redemption.Reason)

	// One lot per expiry date, with that date.
	var expiries []*time.Time
	var back int64
	for _, l := range ch.Lots {
		if l.Rule == "release" {
			expiries = append(expiries, l.ExpiresAt)
			back += l.Points
			assert.Equal(t, ReleaseEventID(d.ID), l.EventID)
		}
	}
	assert.ElementsMatch(t, []*time.Time{ptr(soon), nil}, expiries)
	assert.Equal(t, int64(200), back)
	require.Len(t, ch.Entries, 2)
	for _, e := range ch.Entries {
		assert.Equal(t, EntryRedeem, e.Kind, "a release is a redemption taken back, not earned points")
		assert.Positive(t, e.Points)
		assert.Equal(t, d.ID, e.RefEventID)
		assert.Contains(t, e.Reason, "the shop is down")
	}
	data, ok := findOutcome(ch.Outcomes, OutcomeRewardReleased)
	require.True(t, ok)
	assert.Equal(t, int64(200), data["points"])
	assert.Equal(t, "voucher", data["reward_id"])

	b := next(a, counterStore{})
	assert.ErrorIs(t, p.Release(b, *ch.Redemption, "again", later), ErrRedemptionSettled)
	assert.ErrorIs(t, p.Release(a, d, "again", later), ErrBadEvent, "one settlement per transaction")
}

func TestReleasePaysOffDebt(t *testing.T) {
	p := compileProgram(t, config.Loyalty{
		AllowNegative: true,
		Rewards:       []config.Reward{{ID: "voucher", Name: "Voucher", Cost: 100, Codes: config.RewardCodes{Issuer: "shop"}}},
	})
	a := funded(&Lot{ID: "lot_a", Points: 100, EarnedAt: t0})
	require.NoError(t, p.Redeem(a, "rdm_1", reward(t, p, "voucher"), t0))
	d := *a.Changes().Redemption
	b := next(a, counterStore{})
	b.Member.Balance = -30 // a refund of spent points, owed
	require.NoError(t, p.Release(b, d, "shop down", t0))
	assert.Equal(t, int64(70), b.Member.Balance)
	require.NoError(t, b.Check(true))
}

func TestForTier(t *testing.T) {
	tests := []struct {
		tiers []string
		tier  string
		want  bool
	}{
		{nil, "", true},
		{nil, "Bronze", true},
		{[]string{"Gold"}, "", true},
		{[]string{"Gold"}, "gold", true},
		{[]string{"Gold", "Platinum"}, "Platinum", true},
		{[]string{"Gold"}, "Silver", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Reward{Tiers: tt.tiers}.ForTier(tt.tier), "%v %q", tt.tiers, tt.tier)
	}
}

func TestGenerateCode(t *testing.T) {
	tests := []struct {
		pattern string
		want    string
	}{
		{"KOPI-{AAAA}-{9999}", `^KOPI-[A-Z]{4}-[0-9]{4}$`},
		{"{A9A9A9}", `^[A-Z][0-9][A-Z][0-9][A-Z][0-9]$`},
		{"x_{999999}_y", `^x_[0-9]{6}_y$`},
	}
	for _, tt := range tests {
		require.NoError(t, config.CheckCodePattern(tt.pattern))
		seen := map[string]bool{}
		for range 50 {
			c, err := GenerateCode(tt.pattern)
			require.NoError(t, err)
			assert.Regexp(t, tt.want, c)
			seen[c] = true
		}
		assert.Greater(t, len(seen), 45, "codes of %s are random", tt.pattern)
	}
}

func TestRedeemDrawsAnUnusedCode(t *testing.T) {
	p := catalog(t)
	coffee := reward(t, p, "coffee")
	tests := []struct {
		name    string
		used    int // draws reported as used before one is free; -1: all
		wantErr bool
	}{
		{name: "first draw free", used: 0},
		{name: "two taken", used: 2},
		{name: "pattern used up", used: -1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := funded(&Lot{ID: "lot_a", Points: 100, EarnedAt: t0})
			var asked []string
			a.Redemptions.CodeUsed = func(rewardID, code string) (bool, error) {
				assert.Equal(t, "coffee", rewardID)
				asked = append(asked, code)
				return tt.used < 0 || len(asked) <= tt.used, nil
			}
			err := p.Redeem(a, "rdm_1", coffee, t0)
			if tt.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "needs more random characters")
				assert.Equal(t, int64(100), a.Member.Balance)
				return
			}
			require.NoError(t, err)
			require.Len(t, asked, tt.used+1)
			assert.Equal(t, asked[tt.used], a.Changes().Redemption.Code, "the first free code")
		})
	}
}
