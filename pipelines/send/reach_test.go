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
	_, ok := rm.get("acme", "wa", 2000, now)
	assert.False(t, ok, "nothing counted yet")

	rm.put("acme", "wa", 1700, oldest, now)
	got, ok := rm.get("acme", "wa", 2000, now.Add(500*time.Millisecond))
	assert.True(t, ok, "far from the limit and fresh")
	assert.Equal(t, messaging.Reach{Limit: 2000, Reached: 1700, Oldest: oldest}, got)

	rm.sent("acme", "wa")
	got, _ = rm.get("acme", "wa", 2000, now)
	assert.Equal(t, 1701, got.Reached, "this process's sends add up")

	_, ok = rm.get("acme", "wa", 2000, now.Add(reachMemoAge))
	assert.False(t, ok, "stale")
	_, ok = rm.get("acme", "wa", 2000, now.Add(-time.Millisecond))
	assert.False(t, ok, "a clock that went back")
	_, ok = rm.get("acme", "other", 2000, now)
	assert.False(t, ok, "another sender")

	rm.put("acme", "wa", 1800, oldest, now)
	_, ok = rm.get("acme", "wa", 2000, now)
	assert.True(t, ok, "200 below 2000: the margin is a tenth")
	rm.sent("acme", "wa")
	_, ok = rm.get("acme", "wa", 2000, now)
	assert.False(t, ok, "within a tenth of the limit every decision counts")

	rm.put("acme", "wa", 149, oldest, now)
	_, ok = rm.get("acme", "wa", 250, now)
	assert.True(t, ok, "a small limit keeps a margin of 100")
	rm.put("acme", "wa", 151, oldest, now)
	_, ok = rm.get("acme", "wa", 250, now)
	assert.False(t, ok)
}
