package cloud

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/fault"
)

func TestThroughputValidate(t *testing.T) {
	require.NoError(t, DefaultThroughput().Validate())
	tp := Throughput{PerSecond: 1001, Burst: 0, PairInterval: 0, PairBurst: 0}
	err := tp.Validate()
	require.Error(t, err)
	for _, key := range []string{"throughput.per_second", "throughput.burst", "throughput.pair_interval", "throughput.pair_burst"} {
		assert.Contains(t, err.Error(), key)
	}
	assert.Contains(t, err.Error(), "at most 1000")
}

func TestPairLimit(t *testing.T) {
	l := newLimits(Throughput{PerSecond: 1000, Burst: 1, PairInterval: 500 * time.Millisecond, PairBurst: 2})
	ctx := context.Background()
	require.NoError(t, take(l, ctx, "a"))
	require.NoError(t, take(l, ctx, "a"))
	start := time.Now()
	require.NoError(t, take(l, ctx, "a"), "a short pair wait happens inline")
	assert.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond)

	l = newLimits(Throughput{PerSecond: 1000, Burst: 1, PairInterval: time.Minute, PairBurst: 1})
	require.NoError(t, take(l, ctx, "a"))
	err := take(l, ctx, "a")
	require.Error(t, err)
	assert.Equal(t, CodePairLimit, fault.CodeOf(err))
	assert.False(t, fault.IsPermanent(err))
	assert.InDelta(t, time.Minute.Seconds(), fault.RetryAfter(err).Seconds(), 1)
	// The refused attempt gave its slot back: the wait did not grow.
	err = take(l, ctx, "a")
	assert.InDelta(t, time.Minute.Seconds(), fault.RetryAfter(err).Seconds(), 1)
	require.NoError(t, take(l, ctx, "b"))
}

func TestRefundGivesTheTurnBack(t *testing.T) {
	l := newLimits(Throughput{PerSecond: 1000, Burst: 1, PairInterval: time.Minute, PairBurst: 1})
	refund, err := l.wait(context.Background(), "a")
	require.NoError(t, err)
	refund() // the BSP refused the message: the recipient got nothing
	require.NoError(t, take(l, context.Background(), "a"), "a refused message does not spend the recipient's turn")
	require.Error(t, take(l, context.Background(), "a"))
}

func TestPenalise(t *testing.T) {
	l := newLimits(Throughput{PerSecond: 1000, Burst: 1, PairInterval: 10 * time.Second, PairBurst: 5})
	assert.Equal(t, 10*time.Second, l.penalise("a"))
	err := take(l, context.Background(), "a")
	require.Error(t, err, "after Meta's 131056 the recipient's burst is spent")
	assert.Equal(t, CodePairLimit, fault.CodeOf(err))
}

func TestNumberLimitDeadline(t *testing.T) {
	l := newLimits(Throughput{PerSecond: 1, Burst: 1, PairInterval: time.Second, PairBurst: 100})
	require.NoError(t, take(l, context.Background(), "a"))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := take(l, ctx, "b")
	require.Error(t, err)
	assert.Equal(t, CodeRateLimit, fault.CodeOf(err), "a wait beyond the deadline is handed back: %v", err)
	assert.Equal(t, fault.ClassThrottle, fault.ClassOf(err))
}

func TestPairsForgetIdleRecipients(t *testing.T) {
	l := newLimits(Throughput{PerSecond: 1000, Burst: 1, PairInterval: time.Millisecond, PairBurst: 1})
	now := time.Now()
	l.mu.Lock()
	for i := range pairSweepAt {
		l.pair(fmt.Sprint(i), now)
	}
	l.pair("new", now.Add(time.Hour))
	n := len(l.pairs)
	l.mu.Unlock()
	assert.Equal(t, 1, n, "full buckets are dropped; the new one stays")
	assert.Equal(t, pairSweepAt, l.sweepSize)
}

// take waits for one message's turn and keeps it.
func take(l *limits, ctx context.Context, recipient string) error {
	_, err := l.wait(ctx, recipient)
	return err
}
