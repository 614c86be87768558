package send

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/store"
)

// maxRetryAfter is the hub's inline wait (Config.InlineWait).
const maxRetryAfter = 30 * time.Second

// The deadlines are pure functions of the times they are given: the clock
// is the table's.
func TestAttemptDeadline(t *testing.T) {
	started := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	const ackWait, grace = time.Minute, 30 * time.Second
	later := started.Add(time.Hour)
	tests := []struct {
		name    string
		status  string
		updated time.Time
		want    time.Time
	}{
		{"unknown since the start: a live process got its webhooks", store.MessageUnknown, later, later.Add(grace)},
		{"unknown at the start", store.MessageUnknown, started, started.Add(grace)},
		{"sending, nobody here making it: its maker died holding the webhook",
			store.MessageSending, later, later.Add(ackWait + grace)},
		{"unknown before a restart: the webhook may wait out an ack wait",
			store.MessageUnknown, started.Add(-time.Second), started.Add(ackWait + grace)},
		{"sending long before a restart", store.MessageSending, started.Add(-48 * time.Hour), started.Add(ackWait + grace)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, attemptDeadline(tt.status, tt.updated, started, ackWait, grace))
		})
	}
}

func TestStaleCutoff(t *testing.T) {
	started := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	const ackWait, grace = time.Minute, 30 * time.Second
	const wait = ackWait + grace
	tests := []struct {
		name   string
		now    time.Time
		want   time.Time
		wantOK bool
	}{
		{"right after the start", started.Add(time.Second), time.Time{}, false},
		{"webhooks of attempts before the start may still come", started.Add(wait - time.Nanosecond), time.Time{}, false},
		{"every earlier attempt is due", started.Add(wait), started, true},
		{"later", started.Add(time.Hour), started.Add(time.Hour - wait), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := staleCutoff(tt.now, started, ackWait, grace)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got)
			if !ok {
				return
			}
			// Whatever the cutoff lets through is past its deadline.
			for _, status := range []string{store.MessageSending, store.MessageUnknown} {
				for _, updated := range []time.Time{got, got.Add(-time.Hour), started.Add(-time.Hour)} {
					assert.False(t, attemptDeadline(status, updated, started, ackWait, grace).After(tt.now), "%s updated %s", status, updated)
				}
			}
		})
	}
}

func TestInFlight(t *testing.T) {
	var f inFlight
	assert.False(t, f.has("k"))
	f.start("k")
	assert.True(t, f.has("k"))
	assert.False(t, f.has("other"))
	f.done("k")
	assert.False(t, f.has("k"))
}

func TestWaitFor(t *testing.T) {
	tests := []struct {
		name   string
		wait   time.Duration
		policy string
		relay  bool
		want   int
	}{
		{"a short wait in the handler", maxRetryAfter, config.UnknownResend, true, waitInline},
		{"a short wait in the handler, under hold too", time.Second, config.UnknownHold, false, waitInline},
		{"a long wait left to the relay", maxRetryAfter + time.Millisecond, config.UnknownResend, true, waitForRelay},
		{"no relay in this process: back to the queue", 2 * time.Minute, config.UnknownResend, false, waitInQueue},
		{"hold relays nothing: back to the queue", 2 * time.Minute, config.UnknownHold, true, waitInQueue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, waitFor(tt.wait, maxRetryAfter, tt.policy, tt.relay))
		})
	}
}
