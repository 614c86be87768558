package loyalty

import (
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
)

// tierProgram earns 1 point per 1,000 and has Silver (0), Gold (1,000
// points, ×1.5) and Platinum (5,000, ×2) over a rolling 365 days, with 30
// days of grace.
func tierProgram(t *testing.T, window string) *Program {
	t.Helper()
	tiers := config.Tiers{Window: window, GraceDays: 30, Levels: []config.TierLevel{
		{Name: "Silver", Threshold: "0"},
		{Name: "Gold", Threshold: "1000", Multiplier: "1.5"},
		{Name: "Platinum", Threshold: "5000", Multiplier: "2"},
	}}
	if window == config.TierWindowRolling {
		tiers.Days = 365
	}
	return compileProgram(t, config.Loyalty{Rules: []config.EarnRule{perSpend("spend", 1, "1000")}, Tiers: tiers})
}

// nextMember is next(a) for an event about another order.
func nextMember(a *Account, q *ledgerQualifying) *Account {
	b := next(a, counterStore{})
	b.Order = nil
	b.Qualifying = q.read
	return b
}

// ledgerQualifying answers Account.Qualifying from the entries of earlier
// accounts, as the store does from its ledger.
type ledgerQualifying struct{ entries []Entry }

func (q *ledgerQualifying) read(_ string, since time.Time) (*big.Rat, error) {
	var n int64
	for _, e := range q.entries {
		if (e.Kind == EntryEarn || e.Kind == EntryActivate || e.Kind == EntryReverse) && !e.At.Before(since) {
			n += e.Points
		}
	}
	return new(big.Rat).SetInt64(n), nil
}

func TestTierUpgradeAtOnceAndMultiplier(t *testing.T) {
	p := tierProgram(t, config.TierWindowRolling)
	q := &ledgerQualifying{}
	a := newAccount()
	a.New = true
	a.Qualifying = q.read
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "600000"))))
	assert.Equal(t, "Silver", a.Member.Tier.Name, "a new member starts at the first level")
	assert.Nil(t, a.Member.Tier.ReviewAt, "the first level is never reviewed")
	assert.Equal(t, []string{OutcomeMemberJoined, OutcomePointsEarned}, outcomeTypes(a.Outcomes()))
	q.entries = append(q.entries, a.Entries()...)

	b := nextMember(a, q)
	at := t0.Add(24 * time.Hour)
	require.NoError(t, p.Apply(b, paidEvent(t, "ev_2", at, order("o2", "500000"))))
	assert.Equal(t, int64(1100), b.Member.Balance, "600 + 500: Silver earns ×1")
	assert.Equal(t, "Gold", b.Member.Tier.Name, "1,100 points in the window reach Gold at once")
	assert.Equal(t, at, *b.Member.Tier.Since)
	review := at.AddDate(0, 0, 365+30)
	assert.Equal(t, review, *b.Member.Tier.ReviewAt, "reviewed when the window ends, after the grace days")
	data, ok := findOutcome(b.Outcomes(), OutcomeTierChanged)
	require.True(t, ok)
	assert.Equal(t, map[string]any{"from": "Silver", "to": "Gold", "direction": "up"}, data)
	q.entries = append(q.entries, b.Entries()...)

	c := nextMember(b, q)
	require.NoError(t, p.Apply(c, paidEvent(t, "ev_3", at.Add(time.Hour), order("o3", "100000"))))
	assert.Equal(t, int64(150), c.Entries()[0].Points, "Gold earns ×1.5")
	assert.Contains(t, c.Entries()[0].Reason, "×1.5 for the member's tier")

	tp, ok := p.Progress(c.Member, big.NewRat(1250, 1))
	require.True(t, ok)
	assert.Equal(t, TierProgress{Tier: "Gold", Basis: "points_earned", Qualifying: "1250", Next: "Platinum", Left: "3750", Multiplier: "1.5"}, tp)
}

func TestTierReviewDowngradesAfterGrace(t *testing.T) {
	p := tierProgram(t, config.TierWindowRolling)
	q := &ledgerQualifying{}
	a := newAccount()
	a.Qualifying = q.read
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "1200000"))))
	require.Equal(t, "Gold", a.Member.Tier.Name)
	q.entries = append(q.entries, a.Entries()...)
	review := *a.Member.Tier.ReviewAt

	b := next(a, counterStore{})
	b.Qualifying = q.read
	require.NoError(t, p.ReviewTier(b, review.Add(-time.Hour)))
	assert.Equal(t, "Gold", b.Member.Tier.Name, "kept until the review date")
	assert.Empty(t, b.Outcomes())

	require.NoError(t, p.ReviewTier(b, review))
	assert.Equal(t, "Silver", b.Member.Tier.Name, "nothing earned in the last 365 days")
	data, ok := findOutcome(b.Outcomes(), OutcomeTierChanged)
	require.True(t, ok)
	assert.Equal(t, "down", data["direction"])

	// A member who earned enough in the window keeps the level, and the
	// review moves on a period.
	c := next(a, counterStore{})
	c.Qualifying = q.read
	q.entries = append(q.entries, Entry{Kind: EntryEarn, Points: 1000, At: review.Add(-24 * time.Hour)})
	require.NoError(t, p.ReviewTier(c, review))
	assert.Equal(t, "Gold", c.Member.Tier.Name)
	assert.Equal(t, review.AddDate(0, 0, 365+30), *c.Member.Tier.ReviewAt)
	assert.Empty(t, c.Outcomes(), "renewed, not changed")
}

func TestTierSetByHandIsExplicitAndEnds(t *testing.T) {
	p := tierProgram(t, config.TierWindowCalendarYear)
	q := &ledgerQualifying{}
	a := newAccount()
	a.Qualifying = q.read
	until := t0.AddDate(0, 2, 0)
	require.NoError(t, p.SetTier(a, "platinum", &until, "ops@brand.example", "VIP event", t0))
	assert.Equal(t, "Platinum", a.Member.Tier.Name)
	assert.True(t, a.Member.Tier.Manual)
	assert.Equal(t, until, *a.Member.Tier.ManualUntil)
	data, ok := findOutcome(a.Outcomes(), OutcomeTierChanged)
	require.True(t, ok)
	assert.Equal(t, map[string]any{"from": "Silver", "to": "Platinum", "direction": "up", "manual": true,
		"actor": "ops@brand.example", "reason": "VIP event"}, data)

	b := nextMember(a, q)
	require.NoError(t, p.Apply(b, paidEvent(t, "ev_1", t0.Add(time.Hour), order("o1", "10000"))))
	assert.Equal(t, int64(20), b.Member.Balance, "Platinum's ×2 applies while it lasts")
	require.NoError(t, p.ReviewTier(b, until.Add(-time.Minute)))
	assert.Equal(t, "Platinum", b.Member.Tier.Name, "the program does not touch a level set by hand")

	require.NoError(t, p.ReviewTier(b, until))
	assert.Equal(t, "Silver", b.Member.Tier.Name, "reviewed when the hand-set level ends")
	assert.False(t, b.Member.Tier.Manual)

	require.ErrorIs(t, p.SetTier(newAccount(), "Diamond", nil, "ops", "typo", t0), ErrBadEvent)
	past := t0.Add(-time.Hour)
	require.ErrorIs(t, p.SetTier(newAccount(), "Gold", &past, "ops", "late", t0), ErrBadEvent)
}

func TestTierWindows(t *testing.T) {
	joined := local(2025, 3, 15, 10, 0)
	m := Member{CreatedAt: joined}
	now := local(2026, 11, 23, 9, 0)
	tests := []struct {
		window       string
		start, until time.Time
	}{
		{config.TierWindowRolling, now.AddDate(0, 0, -365), now.AddDate(0, 0, 365+30)},
		{config.TierWindowCalendarYear, local(2026, 1, 1, 0, 0), local(2027, 1, 1, 0, 0).AddDate(0, 0, 30)},
		{config.TierWindowAnniversary, local(2026, 3, 15, 0, 0), local(2027, 3, 15, 0, 0).AddDate(0, 0, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.window, func(t *testing.T) {
			p := tierProgram(t, tt.window)
			assert.Equal(t, tt.start, p.windowStart(m, now))
			assert.Equal(t, tt.until, p.reviewAt(m, now))
		})
	}
}

func TestSpendBasisCountsTheOrderBeingPaid(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{perSpend("spend", 1, "1000")}, Tiers: config.Tiers{
		Basis: config.TierBasisSpend, Levels: []config.TierLevel{{Name: "Member", Threshold: "0"}, {Name: "VIP", Threshold: "2500000.50"}},
	}})
	a := newAccount()
	a.Qualifying = func(basis string, _ time.Time) (*big.Rat, error) {
		assert.Equal(t, config.TierBasisSpend, basis)
		return big.NewRat(2000000, 1), nil
	}
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "500000.50"))))
	assert.Equal(t, "VIP", a.Member.Tier.Name, "2,000,000 before plus this 500,000.50")
}
