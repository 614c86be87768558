package pipelines

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The deadlines are pure functions of the times they are given: the clock
// is the table's.
func TestAttemptDeadline(t *testing.T) {
	started := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	const ackWait, grace = time.Minute, 30 * time.Second
	tests := []struct {
		name    string
		updated time.Time
		want    time.Time
	}{
		{"attempt in this process", started.Add(time.Hour), started.Add(time.Hour + grace)},
		{"attempt at the start", started, started.Add(grace)},
		{"attempt before a restart: the webhook may wait out two ack waits",
			started.Add(-time.Second), started.Add(2*ackWait + grace)},
		{"attempt long before a restart", started.Add(-48 * time.Hour), started.Add(2*ackWait + grace)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, attemptDeadline(tt.updated, started, ackWait, grace))
		})
	}
}

func TestStaleCutoff(t *testing.T) {
	started := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	const ackWait, grace = time.Minute, 30 * time.Second
	tests := []struct {
		name   string
		now    time.Time
		want   time.Time
		wantOK bool
	}{
		{"right after the start", started.Add(time.Second), time.Time{}, false},
		{"webhooks of attempts before the start may still come", started.Add(2*ackWait + grace - time.Nanosecond), time.Time{}, false},
		{"every earlier attempt is due", started.Add(2*ackWait + grace), started.Add(2 * ackWait), true},
		{"later", started.Add(time.Hour), started.Add(time.Hour - grace), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := staleCutoff(tt.now, started, ackWait, grace)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got)
			if ok {
				// Whatever the cutoff lets through is past its deadline.
				for _, updated := range []time.Time{got, got.Add(-time.Hour), started.Add(-time.Hour)} {
					if !updated.After(got) {
						assert.False(t, attemptDeadline(updated, started, ackWait, grace).After(tt.now), "updated %s", updated)
					}
				}
			}
		})
	}
}

func TestInFlight(t *testing.T) {
	var f inFlight
	assert.False(t, f.has("k"))
	assert.True(t, f.start("k"))
	assert.False(t, f.start("k"), "one attempt of a key at a time")
	assert.True(t, f.has("k"))
	f.done("k")
	assert.False(t, f.has("k"))
	assert.True(t, f.start("k"))
}
