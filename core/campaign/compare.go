package campaign

import "math"

// Rate is how many of a variant's members did something (converted,
// replied, clicked) out of how many it reached.
type Rate struct {
	Hits  int64
	Total int64
}

// Value is the share of hits, 0 when the variant reached nobody.
func (r Rate) Value() float64 {
	if r.Total == 0 {
		return 0
	}
	return float64(r.Hits) / float64(r.Total)
}

// Comparison is the result of comparing variant B with variant A.
type Comparison struct {
	// Lift is B's rate relative to A's (0.25: B did 25 % better); 0 when
	// A's rate is 0.
	Lift float64 `json:"lift"`
	// Z is the two-proportion z statistic and P its two-sided p-value.
	Z float64 `json:"z"`
	P float64 `json:"p"`
	// Significant is P below the level asked for.
	Significant bool `json:"significant"`
}

// Compare tests whether B's rate differs from A's beyond chance, with a
// two-proportion z-test on the pooled rate, at significance level alpha
// (0.05 is usual). With too few members for the test (fewer than 5 hits or
// 5 misses in either variant) P is 1 and the difference is not
// significant.
func Compare(a, b Rate, alpha float64) Comparison {
	var c Comparison
	if pa := a.Value(); pa > 0 {
		c.Lift = b.Value()/pa - 1
	}
	if !testable(a) || !testable(b) {
		c.P = 1
		return c
	}
	pooled := float64(a.Hits+b.Hits) / float64(a.Total+b.Total)
	se := math.Sqrt(pooled * (1 - pooled) * (1/float64(a.Total) + 1/float64(b.Total)))
	if se == 0 {
		c.P = 1
		return c
	}
	c.Z = (b.Value() - a.Value()) / se
	c.P = math.Erfc(math.Abs(c.Z) / math.Sqrt2)
	c.Significant = c.P < alpha
	return c
}

// testable is whether a rate has enough hits and misses for the normal
// approximation the z-test rests on.
func testable(r Rate) bool {
	return r.Hits >= 5 && r.Total-r.Hits >= 5
}
