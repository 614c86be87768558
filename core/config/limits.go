package config

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Limits bound the money and points a tenant's program accepts, so that no
// sum or product of them can overflow and a broken payload (a total of
// 10^20, a quantity of 10^20, a negative total) is refused with a reason
// instead of giving a member absurd points, or none.
type Limits struct {
	// MaxOrderTotal is the largest order total the program accepts, a
	// decimal in the program's currency (in whatever currency the order is
	// when the program has none). An order.paid above it, or with a
	// negative total, is refused: a dead letter whose reason names this
	// key. Empty means the default "1000000000000" (10^12: far above any
	// real sale, even in IDR).
	MaxOrderTotal string `koanf:"max_order_total"`
	// MaxPoints bounds points: what one event, rule, adjustment, reward,
	// challenge or referral may give or cost, what a member may hold
	// (balance plus pending points) and the debt a refund may leave.
	// An event or adjustment that would go beyond is refused (a dead letter
	// or a 400). At most 2^53 (9007199254740992, the largest integer every
	// JSON reader keeps exact). 0 means the default 1000000000000000
	// (10^15).
	MaxPoints int64 `koanf:"max_points"`
}

// Defaults and ceiling of the limits.
const (
	DefaultMaxOrderTotal = "1000000000000"
	DefaultMaxPoints     = int64(1_000_000_000_000_000)
	// MaxPointsCeiling is the highest max_points: 2^53. With every amount
	// of points at most 2^53, int64 sums of a thousand of them still fit.
	MaxPointsCeiling = int64(1) << 53
)

// limits checks the bounds and that the points the program's own
// configuration gives or costs stay within max_points.
func (v *validator) limits(base string, l Loyalty) {
	p := base + ".limits"
	if l.Limits.MaxOrderTotal != "" {
		v.decimal(p+".max_order_total", l.Limits.MaxOrderTotal, true)
	}
	max := l.Limits.Points()
	if max <= 0 || max > MaxPointsCeiling {
		v.add(p+".max_points", "must be between 1 and %d (2^53), got %d (0: the default %d)", MaxPointsCeiling, max, DefaultMaxPoints)
		return
	}
	over := func(path string, n int64) {
		if n > max {
			v.add(path, "%d is above %s.max_points (%d)", n, p, max)
		}
	}
	for i, r := range l.Rules {
		rp := fmt.Sprintf("%s.rules[%d]", base, i)
		if n, err := strconv.ParseInt(strings.TrimSpace(r.Points), 10, 64); err == nil {
			over(rp+".points", n)
		} else if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			v.add(rp+".points", "%s is above %s.max_points (%d)", strings.TrimSpace(r.Points), p, max)
		}
		if r.Spend != nil {
			over(rp+".spend.points", r.Spend.Points)
		}
	}
	for i, c := range l.Challenges {
		over(fmt.Sprintf("%s.challenges[%d].points", base, i), c.Points)
	}
	for i, r := range l.Rewards {
		over(fmt.Sprintf("%s.rewards[%d].cost", base, i), r.Cost)
	}
	over(base+".referrals.referrer_points", l.Referrals.ReferrerPoints)
	over(base+".referrals.referee_points", l.Referrals.RefereePoints)
}

// Points returns max_points, the default when it is 0.
func (l Limits) Points() int64 {
	if l.MaxPoints == 0 {
		return DefaultMaxPoints
	}
	return l.MaxPoints
}

// ParseMaxOrderTotal returns max_order_total as a number, the default when
// it is empty.
func (l Limits) ParseMaxOrderTotal() (*big.Rat, error) {
	s := strings.TrimSpace(l.MaxOrderTotal)
	if s == "" {
		s = DefaultMaxOrderTotal
	}
	if !decimalPattern.MatchString(s) {
		return nil, fmt.Errorf("%q is not a decimal number", s)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() <= 0 {
		return nil, fmt.Errorf("%q must be a positive decimal number", s)
	}
	return r, nil
}
