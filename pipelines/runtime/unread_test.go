package runtime

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestUnread(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	var u Unread
	assert.False(t, u.Waiting("acme", t0, "+6281200000001"))

	u.Note("acme", []string{"6281200000001", ""}, t0)
	assert.True(t, u.Waiting("acme", t0, "+6281200000001"), "a phone's + does not matter")
	assert.True(t, u.Waiting("acme", t0, "", "6281200000001"), "any of the forms given")
	assert.False(t, u.Waiting("beta", t0, "6281200000001"), "tenants apart")

	// A second webhook arrives before the lane read the first.
	u.Note("acme", []string{"6281200000001"}, t0.Add(time.Second))
	u.Read("acme", "+6281200000001", t0)
	assert.True(t, u.Waiting("acme", t0.Add(2*time.Second), "6281200000001"), "the later words are still unread")
	u.Read("acme", "6281200000001", t0.Add(time.Second))
	assert.False(t, u.Waiting("acme", t0.Add(2*time.Second), "6281200000001"))
	assert.Zero(t, u.Len())

	// A delivery the lane never reads holds marketing back for
	// UnreadMaxWait at most.
	u.Note("acme", []string{"905321234567"}, t0)
	assert.True(t, u.Waiting("acme", t0.Add(UnreadMaxWait), "905321234567"))
	assert.False(t, u.Waiting("acme", t0.Add(UnreadMaxWait+time.Millisecond), "905321234567"))
	assert.Zero(t, u.Len(), "an expired writer is dropped")

	var none *Unread
	none.Note("acme", []string{"1"}, t0)
	none.Read("acme", "1", t0)
	assert.False(t, none.Waiting("acme", t0, "1"))
}

func TestUnreadDropsExpiredWritersAsItGrows(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	var u Unread
	numbers := writers("62812", unreadSweepAt)
	u.Note("acme", numbers, t0)
	assert.Equal(t, unreadSweepAt, u.Len())
	u.Note("acme", []string{"6281200000001"}, t0.Add(UnreadMaxWait+time.Second))
	assert.Equal(t, 1, u.Len())
}

func TestUnreadSweepsLiveWritersOnlyAsTheyDouble(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	var u Unread
	numbers := writers("62813", unreadSweepAt)
	u.Note("acme", numbers, t0)
	u.Note("acme", []string{"6281200000001"}, t0.Add(time.Second)) // a sweep that finds no one expired
	assert.Equal(t, unreadSweepAt+1, u.Len())
	assert.Equal(t, 2*unreadSweepAt, u.sweepAt, "the next sweep waits for twice as many")
}

// writers returns n distinct numbers starting with prefix.
func writers(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + time.Duration(i).String()
	}
	return out
}
