package campaign

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitValidate(t *testing.T) {
	for _, tc := range []struct {
		split Split
		want  string
	}{
		{Split{Weights: []int{1}}, ""},
		{Split{Holdout: 50, Weights: []int{50, 50}}, ""},
		{Split{Holdout: -1, Weights: []int{1}}, "holdout: -1% is not between 0 and 50%"},
		{Split{Holdout: 60, Weights: []int{1}}, "holdout: 60% is not between 0 and 50%"},
		{Split{}, "variants: at least one variant is needed"},
		{Split{Weights: []int{1, 0}}, "variants[1].weight: 0 is not positive"},
	} {
		err := tc.split.Validate()
		if tc.want == "" {
			assert.NoError(t, err, "%+v", tc.split)
			continue
		}
		require.ErrorIs(t, err, ErrSplit)
		assert.Contains(t, err.Error(), tc.want)
	}
}

// shares assigns n members and returns the share held out and each
// variant's share of those not held out.
func shares(s Split, campaign string, n int) (holdout float64, variants []float64) {
	counts := make([]int, len(s.Weights))
	held := 0
	for i := range n {
		v, h := s.Assign(campaign, fmt.Sprintf("mem_%08d", i))
		if h {
			held++
			continue
		}
		counts[v]++
	}
	for _, c := range counts {
		variants = append(variants, float64(c)/float64(n-held))
	}
	return float64(held) / float64(n), variants
}

func TestAssignFollowsTheShares(t *testing.T) {
	holdout, variants := shares(Split{Holdout: 10, Weights: []int{1, 3}}, "cmp_weekend", 100_000)
	assert.InDelta(t, 0.10, holdout, 0.005)
	assert.InDelta(t, 0.25, variants[0], 0.01)
	assert.InDelta(t, 0.75, variants[1], 0.01)

	holdout, variants = shares(Split{Weights: []int{1, 1, 1}}, "cmp_three", 60_000)
	assert.Zero(t, holdout, "no holdout holds nobody out")
	for i, v := range variants {
		assert.InDelta(t, 1.0/3, v, 0.01, "variant %d", i)
	}
}

func TestAssignIsStableAndIndependentOfTheHoldout(t *testing.T) {
	small := Split{Holdout: 5, Weights: []int{1, 1}}
	large := Split{Holdout: 20, Weights: []int{1, 1}}
	moved, kept := 0, 0
	for i := range 20_000 {
		id := fmt.Sprintf("mem_%d", i)
		v1, h1 := small.Assign("cmp_x", id)
		again, hAgain := small.Assign("cmp_x", id)
		require.Equal(t, v1, again)
		require.Equal(t, h1, hAgain)
		v2, h2 := large.Assign("cmp_x", id)
		if h1 {
			assert.True(t, h2, "a member held out of 5%% is held out of 20%% too")
		}
		if !h1 && !h2 {
			kept++
			if v1 != v2 {
				moved++
			}
		}
	}
	assert.Positive(t, kept)
	assert.Zero(t, moved, "a larger holdout does not move members between variants")
}

func TestAssignDiffersBetweenCampaigns(t *testing.T) {
	s := Split{Weights: []int{1, 1}}
	same := 0
	for i := range 10_000 {
		id := fmt.Sprintf("mem_%d", i)
		a, _ := s.Assign("cmp_a", id)
		b, _ := s.Assign("cmp_b", id)
		if a == b {
			same++
		}
	}
	assert.InDelta(t, 5_000, same, 300, "two campaigns split the same members independently")
}
