package loyalty

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/member"
)

func TestMerge(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	expires := t0.AddDate(0, 1, 0)
	lot := func(id string, status string, remaining int64, exp *time.Time) *Lot {
		return &Lot{ID: id, Points: 100, Remaining: remaining, Status: status, EarnedAt: t0, ExpiresAt: exp}
	}
	tests := []struct {
		name             string
		survivor, other  Member
		lots             []*Lot
		balance, pending int64
		remaining        map[string]int64 // lots changed, by id
	}{
		{
			name:     "points add up",
			survivor: Member{ID: "s", Balance: 40}, other: Member{ID: "x", Balance: 60, Pending: 10},
			lots:    []*Lot{lot("l1", LotActive, 40, nil), lot("l2", LotActive, 60, nil), lot("l3", LotPending, 10, nil)},
			balance: 100, pending: 10, remaining: map[string]int64{},
		},
		{
			name:     "the survivor's debt is paid first to expire first",
			survivor: Member{ID: "s", Balance: -30}, other: Member{ID: "x", Balance: 50},
			lots:    []*Lot{lot("never", LotActive, 25, nil), lot("soon", LotActive, 25, &expires)},
			balance: 20, remaining: map[string]int64{"soon": 0, "never": 20},
		},
		{
			name:     "a debt larger than the points",
			survivor: Member{ID: "s", Balance: 10}, other: Member{ID: "x", Balance: -50},
			lots:    []*Lot{lot("l1", LotActive, 10, nil)},
			balance: -40, remaining: map[string]int64{"l1": 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, changed, e, err := Merge(tt.survivor, tt.other, tt.lots, "ev_1", t0)
			require.NoError(t, err)
			assert.Equal(t, tt.balance, m.Balance)
			assert.Equal(t, tt.pending, m.Pending)
			got := map[string]int64{}
			for _, l := range changed {
				got[l.ID] = l.Remaining
			}
			assert.Equal(t, tt.remaining, got)
			assert.Equal(t, Entry{Kind: EntryMerge, BalanceAfter: tt.balance, PendingAfter: tt.pending, EventID: "ev_1",
				Rule: "x", Reason: "merged member x", At: t0}, e)
			a := &Account{Member: m, Lots: tt.lots}
			require.NoError(t, a.Check(true), "the merged account holds its invariants")
		})
	}
}

func TestMergeFields(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := Member{ID: "s", Phone: "+62811", Name: "Sari", Tier: member.Tier{Name: "gold"},
		Referral: member.Referral{Code: "SCODE"}, CreatedAt: t0.AddDate(0, 0, 5)}
	x := Member{ID: "x", Name: "S. W.", Email: "sari@example.com", Birthday: "04-12", BirthdayYear: 2024,
		Tier: member.Tier{Name: "silver"}, Referral: member.Referral{Code: "XCODE", ReferredBy: "r", Status: member.ReferralLinked},
		CreatedAt: t0}
	m, _, _, err := Merge(s, x, nil, "ev", t0)
	require.NoError(t, err)
	assert.Equal(t, "Sari", m.Name, "the survivor's own name stays")
	assert.Equal(t, "sari@example.com", m.Email, "an empty field takes the other's")
	assert.Equal(t, "04-12", m.Birthday)
	assert.Equal(t, 2024, m.BirthdayYear)
	assert.Equal(t, "gold", m.Tier.Name)
	assert.Equal(t, member.Referral{Code: "SCODE", ReferredBy: "r", Status: member.ReferralLinked}, m.Referral)
	assert.True(t, t0.Equal(m.CreatedAt), "the earlier start")

	self := x
	self.Referral.ReferredBy = "s"
	m, _, _, err = Merge(s, self, nil, "ev", t0)
	require.NoError(t, err)
	assert.Empty(t, m.Referral.ReferredBy, "a member does not refer itself")

	_, _, _, err = Merge(Member{ID: "s", Balance: math.MaxInt64}, Member{ID: "x", Balance: 1}, nil, "ev", t0)
	assert.ErrorIs(t, err, ErrMergeOverflow)
}
