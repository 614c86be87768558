package loyalty

import (
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/loyalhub/loyalhub/core/config"
)

// ErrLimit marks an event or adjustment refused because an amount is beyond
// the program's limits (loyalty.limits): an order total above
// max_order_total or negative, or points above max_points. Errors carrying
// it also carry ErrBadEvent: retrying cannot help.
var ErrLimit = errors.New("beyond the program's limits")

// limits are a program's compiled bounds.
type limits struct {
	maxTotal  *big.Rat
	maxPoints int64
}

func compileLimits(c config.Limits) (limits, error) {
	total, err := c.ParseMaxOrderTotal()
	if err != nil {
		return limits{}, fmt.Errorf("max_order_total: %w", err)
	}
	n := c.Points()
	if n <= 0 || n > config.MaxPointsCeiling {
		return limits{}, fmt.Errorf("max_points must be between 1 and %d, got %d", config.MaxPointsCeiling, n)
	}
	return limits{maxTotal: total, maxPoints: n}, nil
}

// MaxPoints is the most points one event, rule or adjustment may give or
// take, and a member may hold (loyalty.limits.max_points).
func (p *Program) MaxPoints() int64 { return p.limits.maxPoints }

// MaxOrderTotal is the largest order total the program accepts
// (loyalty.limits.max_order_total).
func (p *Program) MaxOrderTotal() *big.Rat { return new(big.Rat).Set(p.limits.maxTotal) }

// limitError is an error of an amount beyond the program's limits.
func limitError(format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrBadEvent, ErrLimit, fmt.Sprintf(format, args...))
}

// checkTotal refuses a negative order total or one above max_order_total.
func (p *Program) checkTotal(orderID string, total *big.Rat) error {
	switch {
	case total.Sign() < 0:
		return limitError("order %s total %s is negative", orderID, decimalString(total))
	case total.Cmp(p.limits.maxTotal) > 0:
		return limitError("order %s total %s is above loyalty.limits.max_order_total (%s)",
			orderID, decimalString(total), decimalString(p.limits.maxTotal))
	}
	return nil
}

// checkPoints refuses points above max_points that one rule, challenge or
// adjustment would give or take.
func (p *Program) checkPoints(what string, n int64) error {
	if n > p.limits.maxPoints || n < -p.limits.maxPoints {
		return limitError("%s: %d points is beyond loyalty.limits.max_points (%d)", what, n, p.limits.maxPoints)
	}
	return nil
}

// held is what a member holds: the spendable points (none while the
// balance is a debt) and the pending ones; math.MaxInt64 when that does
// not fit.
func held(m Member) int64 {
	h, ok := addInt64(max(m.Balance, 0), m.Pending)
	if !ok {
		return math.MaxInt64
	}
	return h
}

// debt is what a member owes: 0, or the negative balance as a positive
// number (math.MaxInt64 for the one balance whose negation does not fit).
func debt(m Member) int64 {
	switch {
	case m.Balance >= 0:
		return 0
	case m.Balance == math.MinInt64:
		return math.MaxInt64
	}
	return -m.Balance
}

// room is how far a balance moved by change stays above a debt of limit:
// balance + change + limit, negative when the debt would go deeper, and
// computed without overflow (clamped to the int64 range).
func room(balance, change, limit int64) int64 {
	r := new(big.Int).Add(big.NewInt(balance), big.NewInt(change))
	r.Add(r, big.NewInt(limit))
	switch {
	case r.IsInt64():
		return r.Int64()
	case r.Sign() < 0:
		return math.MinInt64
	}
	return math.MaxInt64
}

// checkHeld refuses an event that leaves the member holding more than
// max_points when it added to what they held before (before): an event
// that only takes points away is never refused, even from a member above a
// lowered limit.
func (p *Program) checkHeld(a *Account, before int64) error {
	if err := a.overflow; err != nil {
		return err
	}
	if h := held(a.Member); h > p.limits.maxPoints && h > before {
		return limitError("member %s would hold %d points (balance %d, pending %d), above loyalty.limits.max_points (%d)",
			a.Member.ID, h, a.Member.Balance, a.Member.Pending, p.limits.maxPoints)
	}
	return nil
}

// addInt64 adds without overflowing: ok is false when x+y does not fit.
func addInt64(x, y int64) (sum int64, ok bool) {
	if (y > 0 && x > math.MaxInt64-y) || (y < 0 && x < math.MinInt64-y) {
		return 0, false
	}
	return x + y, true
}
