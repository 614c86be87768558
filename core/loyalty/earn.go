// Package loyalty holds the program rules that turn events into points.
package loyalty

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// SpendRule awards floor(total / Unit) × PerStep for an order.
type SpendRule struct {
	Name    string
	Unit    *big.Rat // spend per step, in the currency's major unit
	PerStep int64    // points per step
}

// NewSpendRule parses unit, a positive decimal such as "10000" or "0.5".
func NewSpendRule(name, unit string, points int64) (SpendRule, error) {
	u, err := ParseAmount(unit)
	if err != nil {
		return SpendRule{}, fmt.Errorf("parsing unit: %w", err)
	}
	if u.Sign() <= 0 {
		return SpendRule{}, errors.New("unit must be positive")
	}
	if points < 0 {
		return SpendRule{}, errors.New("points must not be negative")
	}
	return SpendRule{Name: name, Unit: u, PerStep: points}, nil
}

// ErrInvalidAmount is returned for a money amount that is not a decimal.
var ErrInvalidAmount = errors.New("invalid amount")

// ParseAmount parses a decimal money amount exactly ("257500.00", "19.99",
// "257500"). Exponents, fractions and thousands separators are rejected.
func ParseAmount(s string) (*big.Rat, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "eE/_, ") {
		return nil, fmt.Errorf("%w: %q", ErrInvalidAmount, s)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrInvalidAmount, s)
	}
	return r, nil
}

// Points returns the points an order of total earns: floor(total / Unit) ×
// Points. A negative total earns nothing.
func (r SpendRule) Points(total *big.Rat) int64 {
	if total.Sign() <= 0 {
		return 0
	}
	q := new(big.Rat).Quo(total, r.Unit)
	steps := new(big.Int).Quo(q.Num(), q.Denom()) // floor for positive values
	if !steps.IsInt64() {
		return 0
	}
	return steps.Int64() * r.PerStep
}
