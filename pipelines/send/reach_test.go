package send

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/messaging"
)

func TestReachMemos(t *testing.T) {
	now := time.Date(2026, 3, 14, 7, 0, 0, 0, time.UTC)
	oldest := now.Add(-time.Hour)
	var rm reachMemos
	_, ok := rm.get("acme", "wa", "+62811", 2000, now)
	assert.False(t, ok, "nothing counted yet")

	rm.put("acme", "wa", 1700, oldest, now)
	got, ok := rm.get("acme", "wa", "+62811", 2000, now.Add(500*time.Millisecond))
	assert.True(t, ok, "far from the limit and fresh")
	assert.Equal(t, messaging.Reach{Limit: 2000, Reached: 1700, Oldest: oldest}, got)

	rm.sent("acme", "wa")
	got, _ = rm.get("acme", "wa", "+62811", 2000, now)
	assert.Equal(t, 1701, got.Reached, "this process's sends add up")

	_, ok = rm.get("acme", "wa", "+62811", 2000, now.Add(reachMemoAge))
	assert.False(t, ok, "stale")
	_, ok = rm.get("acme", "wa", "+62811", 2000, now.Add(-time.Millisecond))
	assert.False(t, ok, "a clock that went back")
	_, ok = rm.get("acme", "other", "+62811", 2000, now)
	assert.False(t, ok, "another sender")

	rm.put("acme", "wa", 1800, oldest, now)
	_, ok = rm.get("acme", "wa", "+62811", 2000, now)
	assert.True(t, ok, "200 below 2000: the margin is a tenth")
	rm.sent("acme", "wa")
	_, ok = rm.get("acme", "wa", "+62811", 2000, now)
	assert.False(t, ok, "within a tenth of the limit every decision counts")

	rm.put("acme", "wa", 149, oldest, now)
	_, ok = rm.get("acme", "wa", "+62811", 250, now)
	assert.True(t, ok, "a small limit keeps a margin of 100")
	rm.put("acme", "wa", 151, oldest, now)
	_, ok = rm.get("acme", "wa", "+62811", 250, now)
	assert.False(t, ok)
}

// Conversations in flight count until they land, and a count read from the
// store adds the reaches recorded while it was read.
func TestReachInFlight(t *testing.T) {
	now := time.Date(2026, 3, 14, 7, 0, 0, 0, time.UTC)
	var rm reachMemos
	landA := rm.fly("acme", "wa", "+1")
	rm.fly("acme", "wa", "+2")
	since := rm.mark("acme", "wa")
	assert.Equal(t, 12, rm.counted("acme", "wa", "+3", 10, now, since, now), "ten counted, two in flight")
	assert.Equal(t, 11, rm.counted("acme", "wa", "+2", 10, now, since, now), "not its own conversation")

	// +1 is accepted and recorded while a count reads the store without
	// it, and lands before the count is done.
	since = rm.mark("acme", "wa")
	rm.sent("acme", "wa")
	landA()
	landA() // landing twice lands once
	assert.Equal(t, 12, rm.counted("acme", "wa", "+3", 10, now, since, now), "the reach recorded during the read counts")
	got, ok := rm.get("acme", "wa", "+3", 2000, now)
	assert.True(t, ok)
	assert.Equal(t, 12, got.Reached, "the memo and the one still in flight")
	rm.sent("acme", "other")
	got, _ = rm.get("acme", "wa", "+3", 2000, now)
	assert.Equal(t, 12, got.Reached, "another sender's reach is its own")
}
