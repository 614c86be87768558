package campaign

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCompareTwoProportions(t *testing.T) {
	// 20% against 25% of 1,000 each: pooled 22.5%, standard error
	// sqrt(0.225 × 0.775 × (1/1000 + 1/1000)) = 0.018675, z = 2.6774, and
	// the two-sided p-value 2 × (1 − Φ(2.6774)) = 0.00742.
	c := Compare(Rate{Hits: 200, Total: 1000}, Rate{Hits: 250, Total: 1000}, 0.05)
	assert.InDelta(t, 0.25, c.Lift, 1e-9)
	assert.InDelta(t, 2.6774, c.Z, 1e-3)
	assert.InDelta(t, 0.00742, c.P, 1e-4)
	assert.True(t, c.Significant)
	assert.False(t, Compare(Rate{Hits: 200, Total: 1000}, Rate{Hits: 250, Total: 1000}, 0.001).Significant,
		"the level decides")

	back := Compare(Rate{Hits: 250, Total: 1000}, Rate{Hits: 200, Total: 1000}, 0.05)
	assert.InDelta(t, -c.Z, back.Z, 1e-9, "the statistic is signed, the p-value two-sided")
	assert.InDelta(t, c.P, back.P, 1e-12)
	assert.InDelta(t, -0.2, back.Lift, 1e-9)
}

func TestCompareNeedsEnoughMembers(t *testing.T) {
	for _, tc := range []struct{ a, b Rate }{
		{Rate{Hits: 3, Total: 10}, Rate{Hits: 9, Total: 10}},    // too few misses in B
		{Rate{Hits: 4, Total: 100}, Rate{Hits: 40, Total: 100}}, // too few hits in A
		{Rate{}, Rate{Hits: 50, Total: 100}},
	} {
		c := Compare(tc.a, tc.b, 0.05)
		assert.Equal(t, 1.0, c.P)
		assert.False(t, c.Significant)
		assert.False(t, math.IsNaN(c.Lift))
	}
	same := Compare(Rate{Hits: 100, Total: 1000}, Rate{Hits: 100, Total: 1000}, 0.05)
	assert.InDelta(t, 1, same.P, 1e-12, "equal rates are no difference")
	assert.Zero(t, same.Lift)
}
