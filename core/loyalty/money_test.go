package loyalty

import (
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want *big.Rat
	}{
		{"257500.00", big.NewRat(257500, 1)},
		{"257500", big.NewRat(257500, 1)},
		{"19.99", big.NewRat(1999, 100)},
		{" 12.5 ", big.NewRat(25, 2)},
		{"0", new(big.Rat)},
		{"0.001", big.NewRat(1, 1000)},
		{"010", big.NewRat(10, 1)},
		{"-3.5", big.NewRat(-7, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAmount(tt.in)
			require.NoError(t, err)
			assert.Zero(t, got.Cmp(tt.want), "got %s, want %s", got, tt.want)
		})
	}
}

func TestParseAmountRejects(t *testing.T) {
	for _, in := range []string{
		"", "   ", "1e3", "1E3", "1,000", "1 000", "1_000", "1/2", "0x10", "0b101", "0o17", "1p3",
		"abc", "1.2.3", "Inf", "NaN", "Rp 1000", "$5", ".", "-",
	} {
		t.Run(in, func(t *testing.T) {
			_, err := ParseAmount(in)
			require.ErrorIs(t, err, ErrInvalidAmount)
		})
	}
}

func TestParseAmountComparesAsNumbers(t *testing.T) {
	a, err := ParseAmount("257500.00")
	require.NoError(t, err)
	b, err := ParseAmount("257500")
	require.NoError(t, err)
	assert.Zero(t, a.Cmp(b))
}

func TestMinorUnits(t *testing.T) {
	tests := []struct {
		currency string
		want     int
	}{
		{"IDR", 0}, {"idr", 0}, {"JPY", 0}, {"VND", 0},
		{"EUR", 2}, {"USD", 2}, {"SGD", 2}, {"", 2}, {"XYZ", 2},
		{"KWD", 3}, {"BHD", 3},
		{"CLF", 4},
	}
	for _, tt := range tests {
		t.Run(tt.currency, func(t *testing.T) {
			assert.Equal(t, tt.want, MinorUnits(tt.currency))
		})
	}
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		amount, currency, want string
	}{
		{"257500", "IDR", "257500"},
		{"257500.00", "IDR", "257500"},
		{"257500.5", "IDR", "257501"},
		{"-257500.5", "IDR", "-257501"},
		{"19.99", "EUR", "19.99"},
		{"19.9", "EUR", "19.90"},
		{"19.995", "EUR", "20.00"},
		{"19", "USD", "19.00"},
		{"1.5", "KWD", "1.500"},
		{"0", "", "0.00"},
	}
	for _, tt := range tests {
		t.Run(tt.amount+" "+tt.currency, func(t *testing.T) {
			r, err := ParseAmount(tt.amount)
			require.NoError(t, err)
			assert.Equal(t, tt.want, FormatAmount(r, tt.currency))
		})
	}
}

func TestRound(t *testing.T) {
	tests := []struct {
		name              string
		in                *big.Rat
		floor, half, ceil int64
	}{
		{"integer", big.NewRat(3, 1), 3, 3, 3},
		{"zero", new(big.Rat), 0, 0, 0},
		{"below half", big.NewRat(24, 10), 2, 2, 3},
		{"exact half", big.NewRat(5, 2), 2, 3, 3},
		{"above half", big.NewRat(26, 10), 2, 3, 3},
		{"one third", big.NewRat(1, 3), 0, 0, 1},
		{"two thirds", big.NewRat(2, 3), 0, 1, 1},
		{"just below half", big.NewRat(4999, 10000), 0, 0, 1},
		{"exact half of a point", big.NewRat(1, 2), 0, 1, 1},
		{"large", big.NewRat(128750, 1000), 128, 129, 129},
		{"negative", big.NewRat(-5, 2), 0, 0, 0},
		{"negative integer", big.NewRat(-3, 1), 0, 0, 0},
		{"negative below one", big.NewRat(-1, 3), 0, 0, 0},
		{"beyond int64 saturates", new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(1), 70), big.NewInt(1)), math.MaxInt64, math.MaxInt64, math.MaxInt64},
		{"largest int64", new(big.Rat).SetInt64(math.MaxInt64), math.MaxInt64, math.MaxInt64, math.MaxInt64},
		{"just below the largest int64 rounds up to it", new(big.Rat).Sub(new(big.Rat).SetInt64(math.MaxInt64), big.NewRat(1, 2)), math.MaxInt64 - 1, math.MaxInt64, math.MaxInt64},
		{"just below the largest int64 plus one", new(big.Rat).Add(new(big.Rat).SetInt64(math.MaxInt64), big.NewRat(1, 2)), math.MaxInt64, math.MaxInt64, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.floor, Round(tt.in, Floor), "floor")
			assert.Equal(t, tt.half, Round(tt.in, HalfUp), "half_up")
			assert.Equal(t, tt.ceil, Round(tt.in, Ceil), "ceil")
		})
	}
}

func TestDecimalStringRoundTrips(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"257500.00", "257500"},
		{"19.99", "19.99"},
		{"0.5", "0.5"},
		{"0.125", "0.125"},
		{"0.0001", "0.0001"},
		{"-12.50", "-12.5"},
		{"0", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseAmount(tt.in)
			require.NoError(t, err)
			got := decimalString(r)
			assert.Equal(t, tt.want, got)
			back, err := ParseAmount(got)
			require.NoError(t, err)
			assert.Zero(t, back.Cmp(r))
		})
	}
}

func TestProportion(t *testing.T) {
	tests := []struct {
		name        string
		part, whole *big.Rat
		want        *big.Rat
	}{
		{"part of the whole", big.NewRat(1, 1), big.NewRat(4, 1), big.NewRat(1, 4)},
		{"all", big.NewRat(4, 1), big.NewRat(4, 1), big.NewRat(1, 1)},
		{"capped at one", big.NewRat(5, 1), big.NewRat(4, 1), big.NewRat(1, 1)},
		{"negative part", big.NewRat(-1, 1), big.NewRat(4, 1), new(big.Rat)},
		{"zero whole", big.NewRat(1, 1), new(big.Rat), big.NewRat(1, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := proportion(tt.part, tt.whole)
			assert.Zero(t, got.Cmp(tt.want), "got %s, want %s", got, tt.want)
		})
	}
}
