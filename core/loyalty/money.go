package loyalty

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
)

// ErrInvalidAmount is returned for a money amount that is not a decimal.
var ErrInvalidAmount = errors.New("invalid amount")

// ParseAmount parses a decimal money amount exactly ("257500.00", "19.99",
// "257500"). Exponents, fractions and thousands separators are rejected.
// Amounts are compared as numbers, so "257500.00" equals "257500".
func ParseAmount(s string) (*big.Rat, error) {
	s = strings.TrimSpace(s)
	// big.Rat also reads fractions, exponents and 0x, 0b and 0o prefixes
	// ("0x10", "1p3"); a money amount is only a sign, digits and a point.
	if s == "" || strings.Trim(s, "+-.0123456789") != "" {
		return nil, fmt.Errorf("%w: %q", ErrInvalidAmount, s)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrInvalidAmount, s)
	}
	return r, nil
}

// decimalString writes r, which holds a decimal amount, exactly as a
// decimal ("19.99", "257500") that ParseAmount reads back. A rational that
// has no finite decimal form is written with 18 decimals.
func decimalString(r *big.Rat) string {
	d := new(big.Int).Set(r.Denom())
	var twos, fives int
	two, five, rem := big.NewInt(2), big.NewInt(5), new(big.Int)
	for {
		if q, m := new(big.Int).QuoRem(d, two, rem); m.Sign() == 0 {
			d, twos = q, twos+1
			continue
		}
		if q, m := new(big.Int).QuoRem(d, five, rem); m.Sign() == 0 {
			d, fives = q, fives+1
			continue
		}
		break
	}
	if d.Cmp(big.NewInt(1)) != 0 {
		return r.FloatString(18)
	}
	return r.FloatString(max(twos, fives))
}

// minorUnits are the ISO 4217 currencies whose minor unit is not two
// decimals.
var minorUnits = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IDR": 0, "ISK": 0, "JPY": 0, "KMF": 0,
	"KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0,
	"XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// MinorUnits is the number of decimals of the currency's minor unit: 2 for
// most, 0 for IDR and JPY, 3 for KWD. (IDR amounts are often written with
// ".00" all the same; they parse to the same number.)
func MinorUnits(currency string) int {
	if n, ok := minorUnits[strings.ToUpper(currency)]; ok {
		return n
	}
	return 2
}

// FormatAmount writes r with the currency's minor units, rounding half away
// from zero: "257500" for IDR, "19.99" for EUR.
func FormatAmount(r *big.Rat, currency string) string {
	return r.FloatString(MinorUnits(currency))
}

// Rounding is how computed points are rounded to an integer.
type Rounding int

// Rounding modes.
const (
	Floor Rounding = iota
	HalfUp
	Ceil
)

// Round rounds a rational to an integer with mode m; zero and negative
// values give 0, as no rule computes negative points, and values beyond
// int64 give math.MaxInt64 (callers bound points well below it first).
func Round(r *big.Rat, m Rounding) int64 {
	if r.Sign() <= 0 {
		return 0
	}
	q, rem := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	switch m {
	case Ceil:
		if rem.Sign() > 0 {
			q.Add(q, big.NewInt(1))
		}
	case HalfUp:
		if new(big.Int).Lsh(rem, 1).Cmp(r.Denom()) >= 0 {
			q.Add(q, big.NewInt(1))
		}
	}
	if !q.IsInt64() {
		return math.MaxInt64
	}
	return q.Int64()
}
