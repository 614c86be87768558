package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCohortMonths(t *testing.T) {
	jakarta := time.FixedZone("WIB", 7*60*60)
	tests := []struct {
		name  string
		q     ProgramQuery
		first time.Time
		n     int
	}{
		{name: "mid-month, in the tenant's zone",
			q:     ProgramQuery{To: time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC), Location: jakarta, Months: 3},
			first: time.Date(2026, 10, 1, 0, 0, 0, 0, jakarta), n: 3},
		{name: "the first instant of a month leaves it out",
			q:     ProgramQuery{To: time.Date(2026, 12, 1, 0, 0, 0, 0, jakarta), Location: jakarta, Months: 2},
			first: time.Date(2026, 10, 1, 0, 0, 0, 0, jakarta), n: 2},
		{name: "at most three years",
			q:     ProgramQuery{To: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), Months: 100},
			first: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), n: MaxCohortMonths},
		{name: "a year by default, across the new year",
			q:     ProgramQuery{To: time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)},
			first: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), n: 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CohortMonths(tt.q)
			require.Len(t, got, tt.n+1)
			assert.True(t, tt.first.Equal(got[0]), "first %v", got[0])
			assert.True(t, tt.q.To.Equal(got[tt.n]), "ends at To")
			for i := 1; i < tt.n; i++ {
				assert.Equal(t, 1, got[i].Day(), "month %d starts on the 1st", i)
				assert.True(t, got[i-1].Before(got[i]))
			}
		})
	}
}

func TestFoldCohorts(t *testing.T) {
	months := CohortMonths(ProgramQuery{To: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), Months: 3})
	got := FoldCohorts(months, []CohortCount{
		{Joined: 0, Ordered: -1, Members: 4},
		{Joined: 0, Ordered: 0, Members: 2},
		{Joined: 0, Ordered: 2, Members: 1},
		{Joined: 2, Ordered: -1, Members: 3},
		{Joined: 2, Ordered: 2, Members: 3},
		{Joined: 5, Ordered: -1, Members: 9}, // outside: ignored
	})
	require.Len(t, got, 3)
	assert.Equal(t, "2026-01", got[0].Month)
	assert.Equal(t, []int64{2, 0, 1}, got[0].Ordered)
	assert.Equal(t, []float64{0.5, 0, 0.25}, got[0].Retention)
	assert.Equal(t, Cohort{Month: "2026-02", Start: months[1], Ordered: []int64{0, 0}, Retention: []float64{0, 0}}, got[1],
		"a month nobody joined")
	assert.Equal(t, []float64{1}, got[2].Retention)
}

func TestProgramRates(t *testing.T) {
	var k ProgramKPIs
	for _, p := range []struct {
		kind   string
		points int64
	}{{"earn", 900}, {"pending", 100}, {"redeem", -300}, {"redeem", 50}, {"expire", -50}, {"reverse", -20},
		{"adjust", 30}, {"adjust", -40}, {"activate", 100}} {
		k.AddPoints(p.kind, p.points)
	}
	assert.Equal(t, ProgramKPIs{PointsIssued: 1000, PointsRedeemed: 250, PointsExpired: 50, PointsReversed: 20,
		PointsAdjusted: -10}, k)
	k.AddSource("", 10, 2)
	k.AddSource("shop", 5, 3)
	k.AddSource("qr", 7, 0)
	assert.EqualValues(t, 22, k.Members)
	assert.EqualValues(t, 5, k.NewMembers)
	assert.Equal(t, map[string]int64{UnknownSource: 2, "shop": 3}, k.NewBySource)

	k.ActiveMembers, k.Redeemers = 8, 2
	k.Buyers, k.RepeatBuyers, k.PeriodBuyers, k.ReturningBuyers = 3, 1, 0, 0
	assert.Equal(t, ProgramRates{RepeatRate: 0.3333, ReturningRate: 0, RedemptionRate: 0.25,
		RedeemedShare: 0.25, Breakage: 0.1667}, k.Rates())
}
