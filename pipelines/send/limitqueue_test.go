package send

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/messaging"
)

// reachLog is a sender's reach times, earliest first, read as the store
// reads them; reads counts the reads.
type reachLog struct {
	times []time.Time
	reads int
}

func (l *reachLog) read(_ context.Context, after, until time.Time, skip, n int) ([]time.Time, error) {
	l.reads++
	var out []time.Time
	for _, t := range l.times {
		if !t.After(after) || t.After(until) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(out) == n {
			break
		}
		out = append(out, t)
	}
	return out, nil
}

func TestEachWaitingMessageGetsItsOwnTurn(t *testing.T) {
	now := time.Date(2027, 1, 10, 12, 0, 0, 0, time.UTC)
	day := messaging.ReachWindow
	// A limit of 2,500 used up over the last 24 hours, one reach every
	// 30 seconds or so.
	const limit = 2500
	log := &reachLog{}
	for i := range limit {
		log.times = append(log.times, now.Add(-day).Add(time.Duration(i+1)*day/limit))
	}
	reach := messaging.Reach{Limit: limit, Reached: limit, Oldest: log.times[0]}
	var rm reachMemos
	ctx := context.Background()

	// The first round: the k-th message waits for the k-th reach to leave.
	var turns []time.Time
	for range limit {
		at, err := rm.turn(ctx, "acme", "wa", reach, now, log.read)
		require.NoError(t, err)
		turns = append(turns, at)
	}
	for k, at := range turns {
		require.Equal(t, log.times[k].Add(day), at, "turn %d", k)
	}
	assert.Equal(t, 3, log.reads, "read in pages of %d", turnPage)

	// Past the reaches in the window, the turns go round a window later.
	for k := range 3 {
		at, err := rm.turn(ctx, "acme", "wa", reach, now, log.read)
		require.NoError(t, err)
		assert.Equal(t, turns[k].Add(day), at)
	}
	assert.Equal(t, 4, log.reads, "one more read found the window's end; the next round needs none")

	// Another sender has its own queue.
	at, err := rm.turn(ctx, "acme", "other", messaging.Reach{Limit: 1, Reached: 1}, now, (&reachLog{times: log.times[:1]}).read)
	require.NoError(t, err)
	assert.Equal(t, log.times[0].Add(day), at)
}

func TestLimitQueueStartsOver(t *testing.T) {
	now := time.Date(2027, 1, 10, 12, 0, 0, 0, time.UTC)
	day := messaging.ReachWindow
	log := &reachLog{}
	for i := range 5 {
		log.times = append(log.times, now.Add(-day).Add(time.Duration(i+1)*time.Hour))
	}
	var rm reachMemos
	ctx := context.Background()
	turn := func(reach messaging.Reach, now time.Time) time.Time {
		t.Helper()
		at, err := rm.turn(ctx, "acme", "wa", reach, now, log.read)
		require.NoError(t, err)
		return at
	}

	// Over the limit (it was lowered): the first reaches to leave free
	// no place.
	assert.Equal(t, log.times[2].Add(day), turn(messaging.Reach{Limit: 3, Reached: 5}, now))
	assert.Equal(t, log.times[3].Add(day), turn(messaging.Reach{Limit: 3, Reached: 5}, now))

	// Another limit builds the queue anew.
	assert.Equal(t, log.times[0].Add(day), turn(messaging.Reach{Limit: 5, Reached: 5}, now))
	assert.Equal(t, log.times[1].Add(day), turn(messaging.Reach{Limit: 5, Reached: 5}, now))

	// Once every turn given has come, no message of the queue waits: it
	// starts over from the window then, and reaches that left are passed.
	later := log.times[1].Add(day)
	log.times = append(log.times, later.Add(-time.Minute))
	assert.Equal(t, log.times[2].Add(day), turn(messaging.Reach{Limit: 5, Reached: 5}, later))
	// A queue given turns that have passed meanwhile passes over them.
	assert.Equal(t, log.times[4].Add(day), turn(messaging.Reach{Limit: 5, Reached: 5}, log.times[3].Add(day)))
}

func TestLimitQueueWithoutReaches(t *testing.T) {
	now := time.Date(2027, 1, 10, 12, 0, 0, 0, time.UTC)
	var rm reachMemos
	empty := &reachLog{}
	at, err := rm.turn(context.Background(), "acme", "wa", messaging.Reach{Limit: 250, Reached: 250}, now, empty.read)
	require.NoError(t, err)
	assert.Equal(t, now.Add(time.Minute), at, "the count is ahead of the store: look again soon")

	failing := func(context.Context, time.Time, time.Time, int, int) ([]time.Time, error) {
		return nil, errors.New("store down")
	}
	_, err = rm.turn(context.Background(), "acme", "other", messaging.Reach{Limit: 250, Reached: 250}, now, failing)
	require.Error(t, err)
}
