package conversation_test

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/conversation"
)

func TestFormatPoints(t *testing.T) {
	tests := []struct {
		lang string
		n    int64
		want string
	}{
		{"en", 0, "0"},
		{"en", 999, "999"},
		{"en", 1250, "1,250"},
		{"en", 1234567, "1,234,567"},
		{"en", -1250, "-1,250"},
		{"en", -100, "-100"},
		{"id", 1250, "1.250"},
		{"id", 100000, "100.000"},
		{"tr", 1250, "1.250"},
		{"it", 1250, "1.250"},
		{"ar", 1250, "1,250"},
		{"fr", 1250, "1,250"},
		{"en", math.MinInt64, "-9,223,372,036,854,775,808"},
		{"it", math.MaxInt64, "9.223.372.036.854.775.807"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+strconv.FormatInt(tt.n, 10), func(t *testing.T) {
			assert.Equal(t, tt.want, conversation.FormatPoints(tt.lang, tt.n))
		})
	}
}

func TestFormatDate(t *testing.T) {
	dec := time.Date(2026, time.December, 6, 23, 30, 0, 0, time.UTC)
	may := time.Date(2027, time.May, 31, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		lang string
		t    time.Time
		want string
	}{
		{"en", dec, "6 Dec 2026"},
		{"id", dec, "6 Des 2026"},
		{"tr", dec, "6 Ara 2026"},
		{"it", dec, "6 dic 2026"},
		{"ar", dec, "6 ديسمبر 2026"},
		{"en", may, "31 May 2027"},
		{"id", may, "31 Mei 2027"},
		{"tr", may, "31 May 2027"},
		{"it", may, "31 mag 2027"},
		{"ar", may, "31 مايو 2027"},
		{"xx", may, "31 May 2027"},
		// The date is the one in t's location.
		{"en", dec.In(time.FixedZone("WIB", 7*3600)), "7 Dec 2026"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, conversation.FormatDate(tt.lang, tt.t))
		})
	}
}
