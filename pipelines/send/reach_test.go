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
	_, _, ok := rm.get("acme", "wa", "+62811", 2000, now)
	assert.False(t, ok, "nothing counted yet")

	rm.put("acme", "wa", 1700, oldest, now)
	got, _, ok := rm.get("acme", "wa", "+62811", 2000, now.Add(500*time.Millisecond))
	assert.True(t, ok, "far from the limit and fresh")
	assert.Equal(t, messaging.Reach{Limit: 2000, Reached: 1700, Oldest: oldest}, got)

	rm.sent("acme", "wa")
	got, _, _ = rm.get("acme", "wa", "+62811", 2000, now)
	assert.Equal(t, 1701, got.Reached, "this process's sends add up")

	_, _, ok = rm.get("acme", "wa", "+62811", 2000, now.Add(reachMemoAge))
	assert.False(t, ok, "stale")
	_, _, ok = rm.get("acme", "wa", "+62811", 2000, now.Add(-time.Millisecond))
	assert.False(t, ok, "a clock that went back")
	_, _, ok = rm.get("acme", "other", "+62811", 2000, now)
	assert.False(t, ok, "another sender")

	rm.put("acme", "wa", 1800, oldest, now)
	_, _, ok = rm.get("acme", "wa", "+62811", 2000, now)
	assert.True(t, ok, "200 below 2000: the margin is a tenth")
	rm.sent("acme", "wa")
	_, _, ok = rm.get("acme", "wa", "+62811", 2000, now)
	assert.False(t, ok, "within a tenth of the limit every decision counts")

	rm.put("acme", "wa", 149, oldest, now)
	_, _, ok = rm.get("acme", "wa", "+62811", 250, now)
	assert.True(t, ok, "a small limit keeps a margin of 100")
	rm.put("acme", "wa", 151, oldest, now)
	_, _, ok = rm.get("acme", "wa", "+62811", 250, now)
	assert.False(t, ok)
	rm.put("acme", "wa", 98_999, oldest, now)
	_, _, ok = rm.get("acme", "wa", "+62811", 100_000, now)
	assert.True(t, ok, "a large limit keeps a margin of 1,000")
	rm.put("acme", "wa", 99_001, oldest, now)
	_, _, ok = rm.get("acme", "wa", "+62811", 100_000, now)
	assert.False(t, ok)
}

// A count at the limit holds until its oldest reach leaves the 24 hours,
// however old: until then sends only add to it.
func TestFullReachMemo(t *testing.T) {
	now := time.Date(2026, 3, 14, 7, 0, 0, 0, time.UTC)
	oldest := now.Add(-20 * time.Hour)
	var rm reachMemos
	rm.put("acme", "wa", 250, oldest, now)
	got, full, ok := rm.get("acme", "wa", "+62811", 250, now.Add(3*time.Hour))
	assert.True(t, ok)
	assert.True(t, full, "whether +62811 is known is the caller's to read")
	assert.Equal(t, messaging.Reach{Limit: 250, Reached: 250, Oldest: oldest}, got)
	_, _, ok = rm.get("acme", "wa", "+62811", 250, oldest.Add(messaging.ReachWindow))
	assert.False(t, ok, "the oldest reach left: count again")
	_, full, ok = rm.get("acme", "wa", "+62811", 2000, now)
	assert.True(t, ok, "a raised limit: fresh and far from it")
	assert.False(t, full)
	_, _, ok = rm.get("acme", "wa", "+62811", 260, now.Add(2*time.Second))
	assert.False(t, ok, "below a raised limit and stale: count again")

	rm.put("acme", "wa", 249, oldest, now)
	rm.fly("acme", "wa", "+62812")
	_, full, ok = rm.get("acme", "wa", "+62811", 250, now.Add(time.Hour))
	assert.True(t, ok && full, "with the one in flight")
	_, _, ok = rm.get("acme", "wa", "+62812", 250, now.Add(time.Hour))
	assert.False(t, ok, "not its own conversation: below the limit, and stale")
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
	got, _, ok := rm.get("acme", "wa", "+3", 2000, now)
	assert.True(t, ok)
	assert.Equal(t, 12, got.Reached, "the memo and the one still in flight")
	rm.sent("acme", "other")
	got, _, _ = rm.get("acme", "wa", "+3", 2000, now)
	assert.Equal(t, 12, got.Reached, "another sender's reach is its own")
}
