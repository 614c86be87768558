package loyalty_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/loyalty"
)

func TestAnniversary(t *testing.T) {
	jkt, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name        string
		joined, now time.Time
		want        int
	}{
		{"first", time.Date(2025, 6, 11, 9, 0, 0, 0, jkt), time.Date(2026, 6, 11, 0, 0, 0, 0, jkt), 1},
		{"fifth", time.Date(2021, 6, 11, 9, 0, 0, 0, jkt), time.Date(2026, 6, 11, 23, 59, 0, 0, jkt), 5},
		{"by the local date, not the UTC one", time.Date(2025, 6, 10, 20, 0, 0, 0, time.UTC), time.Date(2026, 6, 11, 8, 0, 0, 0, jkt), 1},
		{"the day before", time.Date(2025, 6, 12, 9, 0, 0, 0, jkt), time.Date(2026, 6, 11, 9, 0, 0, 0, jkt), 0},
		{"the year they joined", time.Date(2026, 6, 11, 9, 0, 0, 0, jkt), time.Date(2026, 6, 11, 10, 0, 0, 0, jkt), 0},
		{"29 February, on the 28th of a common year", time.Date(2024, 2, 29, 9, 0, 0, 0, jkt), time.Date(2025, 2, 28, 9, 0, 0, 0, jkt), 1},
		{"29 February, on the 29th of a leap year", time.Date(2024, 2, 29, 9, 0, 0, 0, jkt), time.Date(2028, 2, 29, 9, 0, 0, 0, jkt), 4},
		{"29 February, not on the 28th of a leap year", time.Date(2024, 2, 29, 9, 0, 0, 0, jkt), time.Date(2028, 2, 28, 9, 0, 0, 0, jkt), 0},
	} {
		assert.Equal(t, tt.want, loyalty.Anniversary(tt.joined, tt.now, jkt), tt.name)
	}
}
