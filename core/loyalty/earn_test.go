package loyalty

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSpendRulePoints(t *testing.T) {
	tests := []struct {
		name   string
		unit   string
		points int64
		total  string
		want   int64
	}{
		{"exact multiple", "10000", 1, "250000", 25},
		{"floors the remainder", "10000", 1, "257500.00", 25},
		{"same amount without minor units", "10000", 1, "257500", 25},
		{"points per step", "1", 10, "19.99", 190},
		{"fractional unit", "0.5", 1, "2.25", 4},
		{"below one unit", "10000", 5, "9999.99", 0},
		{"zero total", "1", 1, "0", 0},
		{"negative total earns nothing", "1", 1, "-20", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewSpendRule("spend", tt.unit, tt.points)
			require.NoError(t, err)
			total, err := ParseAmount(tt.total)
			require.NoError(t, err)
			require.Equal(t, tt.want, r.Points(total))
		})
	}
}

func TestParseAmountRejects(t *testing.T) {
	for _, s := range []string{"", "1e5", "1,000", "1/2", "abc", "12 000"} {
		t.Run(s, func(t *testing.T) {
			_, err := ParseAmount(s)
			require.ErrorIs(t, err, ErrInvalidAmount)
		})
	}
}

func TestNewSpendRuleRejects(t *testing.T) {
	_, err := NewSpendRule("r", "0", 1)
	require.Error(t, err)
	_, err = NewSpendRule("r", "1", -1)
	require.Error(t, err)
	_, err = NewSpendRule("r", "x", 1)
	require.Error(t, err)
}

func BenchmarkSpendRulePoints(b *testing.B) {
	r, _ := NewSpendRule("spend", "10000", 1)
	for b.Loop() {
		total, _ := ParseAmount("257500.00")
		_ = r.Points(total)
	}
}
