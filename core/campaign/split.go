package campaign

import (
	"errors"
	"fmt"
	"hash/fnv"
)

// buckets is the resolution of a split: shares are given in hundredths of
// a percent.
const buckets = 10_000

// MaxHoldout is the largest holdout share, in percent: a campaign that
// holds out more than half its audience is a mistake more often than a
// design.
const MaxHoldout = 50

// Split divides a campaign's audience: Holdout percent of it gets nothing,
// and the rest is divided between variants by their weights. A member's
// place depends only on the campaign's and the member's ids, so it is the
// same on every replica, after a restart, and when the audience is
// prepared again.
type Split struct {
	// Holdout is the share of the audience kept out, in percent (0 to
	// MaxHoldout, to two decimals).
	Holdout float64
	// Weights are the variants' relative weights (at least one, each
	// positive).
	Weights []int
}

// ErrSplit is wrapped by the errors of an invalid split.
var ErrSplit = errors.New("invalid split")

// Validate reports the first thing wrong with the split, naming it as a
// campaign's keys do ("holdout", "variants[1].weight").
func (s Split) Validate() error {
	if s.Holdout < 0 || s.Holdout > MaxHoldout {
		return fmt.Errorf("%w: holdout: %v%% is not between 0 and %d%%", ErrSplit, s.Holdout, MaxHoldout)
	}
	if len(s.Weights) == 0 {
		return fmt.Errorf("%w: variants: at least one variant is needed", ErrSplit)
	}
	for i, w := range s.Weights {
		if w <= 0 {
			return fmt.Errorf("%w: variants[%d].weight: %d is not positive", ErrSplit, i, w)
		}
	}
	return nil
}

// Assign places a member of the campaign's audience: held out
// (holdout=true), or in the variant of index variant. The holdout and the
// variant are drawn from two independent hashes, so that changing the
// holdout share does not move members between variants.
func (s Split) Assign(campaignID, memberID string) (variant int, holdout bool) {
	if bucket(campaignID, memberID, "holdout") < int(s.Holdout*buckets/100+0.5) {
		return 0, true
	}
	total := 0
	for _, w := range s.Weights {
		total += w
	}
	b := bucket(campaignID, memberID, "variant") * total / buckets
	for i, w := range s.Weights {
		if b < w {
			return i, false
		}
		b -= w
	}
	return len(s.Weights) - 1, false
}

// bucket hashes a campaign, a member and what is drawn to [0, buckets).
func bucket(campaignID, memberID, draw string) int {
	h := fnv.New64a()
	for _, s := range []string{campaignID, memberID, draw} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return int(h.Sum64() % buckets)
}
