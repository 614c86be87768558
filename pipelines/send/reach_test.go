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

	rm.fly("acme", "wa", "+62812")(func() {})
	got, _, _ = rm.get("acme", "wa", "+62811", 2000, now)
	assert.Equal(t, 1701, got.Reached, "this process's sends add up")
	rm.fly("acme", "wa", "+62813")(nil)
	got, _, _ = rm.get("acme", "wa", "+62811", 2000, now)
	assert.Equal(t, 1701, got.Reached, "a send that failed reached no one")

	_, _, ok = rm.get("acme", "wa", "+62811", 2000, now.Add(reachMemoAge))
	assert.False(t, ok, "stale")
	_, _, ok = rm.get("acme", "wa", "+62811", 2000, now.Add(-time.Millisecond))
	assert.False(t, ok, "a clock that went back")
	_, _, ok = rm.get("acme", "other", "+62811", 2000, now)
	assert.False(t, ok, "another sender")

	rm.put("acme", "wa", 1800, oldest, now)
	_, _, ok = rm.get("acme", "wa", "+62811", 2000, now)
	assert.True(t, ok, "200 below 2000: the margin is a tenth")
	rm.fly("acme", "wa", "+62812")(func() {})
	_, _, ok = rm.get("acme", "wa", "+62811", 2000, now)
	assert.False(t, ok, "within a tenth of the limit every decision counts")

	for _, c := range []struct {
		reached, limit int
		trusted        bool
		why            string
	}{
		{149, 250, true, "a small limit keeps a margin of 100"},
		{151, 250, false, "within 100 of a small limit"},
		{98_999, 100_000, true, "a large limit keeps a margin of 1,000"},
		{99_001, 100_000, false, "within 1,000 of a large limit"},
	} {
		rm.put("acme", "wa", c.reached, oldest, now)
		_, _, ok = rm.get("acme", "wa", "+62811", c.limit, now)
		assert.Equal(t, c.trusted, ok, c.why)
	}
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

// Conversations in flight count until they land, and landing moves them
// into the memo's count with their record in the store, behind the gate: a
// count never sees one twice or not at all.
func TestReachInFlight(t *testing.T) {
	now := time.Date(2026, 3, 14, 7, 0, 0, 0, time.UTC)
	var rm reachMemos
	landA := rm.fly("acme", "wa", "+1")
	rm.fly("acme", "wa", "+2")
	assert.Equal(t, 12, rm.counted("acme", "wa", "+3", 10, now, now), "ten counted, two in flight")
	assert.Equal(t, 11, rm.counted("acme", "wa", "+2", 10, now, now), "not its own conversation")

	// A decision counting the store holds the gate: +1's record waits for
	// it, so +1 is in flight for that count and in the store for the next.
	unlock := rm.gate("acme", "wa")
	recorded := make(chan struct{})
	go landA(func() { close(recorded) })
	select {
	case <-recorded:
		t.Fatal("the reach was recorded while a decision counted")
	case <-time.After(20 * time.Millisecond):
	}
	assert.Equal(t, 12, rm.counted("acme", "wa", "+3", 10, now, now), "+1 still in flight, not in the store")
	unlock()
	<-recorded
	assert.Eventually(t, func() bool {
		got, _, _ := rm.get("acme", "wa", "+3", 2000, now)
		return got.Reached == 12
	}, time.Second, time.Millisecond, "+1 moved from flight to the memo: still counted once")
	assert.Equal(t, 12, rm.counted("acme", "wa", "+3", 11, now, now), "the store has +1 now; the memo is the store's count")
	landA(nil) // landing twice lands once
	got, _, _ := rm.get("acme", "wa", "+3", 2000, now)
	assert.Equal(t, 12, got.Reached)
	rm.fly("acme", "other", "+9")(func() {})
	got, _, _ = rm.get("acme", "wa", "+3", 2000, now)
	assert.Equal(t, 12, got.Reached, "another sender's reach is its own")
}
