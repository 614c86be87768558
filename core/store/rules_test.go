package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestClockStamp(t *testing.T) {
	clockAt := time.Date(2031, 5, 4, 3, 2, 1, 0, time.UTC)
	given := time.Date(2030, 1, 2, 3, 4, 5, 6789, time.FixedZone("WIB", 7*60*60))
	clock := Clock(func() time.Time { return clockAt.Add(123 * time.Nanosecond) })
	tests := []struct {
		name string
		got  time.Time
		want time.Time
	}{
		{"a given time is kept, in UTC to the microsecond", clock.Stamp(given), time.Date(2030, 1, 1, 20, 4, 5, 6000, time.UTC)},
		{"no time is the clock's", clock.Stamp(time.Time{}), clockAt},
		{"the clock's now, to the microsecond", clock.Now(), clockAt},
		{"StampOr keeps a given time", StampOr(given, clockAt), time.Date(2030, 1, 1, 20, 4, 5, 6000, time.UTC)},
		{"StampOr falls back to now", StampOr(time.Time{}, clockAt), clockAt},
		{"Stamp keeps no time as none", Stamp(time.Time{}), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.got)
		})
	}
}
