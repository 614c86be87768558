package cloud

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
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

// fakeClock is the pair limit's clock in tests: it moves only when a wait
// sleeps or the test advances it, so no assertion depends on how busy the
// machine is.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.t = c.t.Add(d)
	return ctx.Err()
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// limitsWithClock returns limits whose pair limit runs on a fake clock.
func limitsWithClock(tp Throughput) (*limits, *fakeClock) {
	l, c := newLimits(tp, nil, ""), newFakeClock()
	l.now, l.sleep = c.now, c.sleep
	return l, c
}

func TestPairLimit(t *testing.T) {
	ctx := context.Background()
	t.Run("a short wait happens inline", func(t *testing.T) {
		l, clock := limitsWithClock(Throughput{PerSecond: 1000, Burst: 1, PairInterval: 500 * time.Millisecond, PairBurst: 2})
		require.NoError(t, take(l, ctx, "a"))
		require.NoError(t, take(l, ctx, "a"))
		assert.Empty(t, clock.sleeps(), "the burst goes at once")
		require.NoError(t, take(l, ctx, "a"))
		assert.Equal(t, []time.Duration{500 * time.Millisecond}, clock.sleeps(), "the third waits one interval")
		clock.advance(250 * time.Millisecond)
		require.NoError(t, take(l, ctx, "a"))
		assert.Equal(t, []time.Duration{500 * time.Millisecond, 250 * time.Millisecond}, clock.sleeps(),
			"the next one waits what is left of the interval")
		require.NoError(t, take(l, ctx, "b"))
		assert.Len(t, clock.sleeps(), 2, "another recipient does not wait")
	})
	t.Run("a long wait is handed back", func(t *testing.T) {
		l, clock := limitsWithClock(Throughput{PerSecond: 1000, Burst: 1, PairInterval: time.Minute, PairBurst: 1})
		require.NoError(t, take(l, ctx, "a"))
		err := take(l, ctx, "a")
		require.Error(t, err)
		assert.Equal(t, CodePairLimit, fault.CodeOf(err))
		assert.False(t, fault.IsPermanent(err))
		assert.Equal(t, time.Minute, fault.RetryAfter(err))
		clock.advance(10 * time.Second)
		err = take(l, ctx, "a")
		require.Error(t, err)
		assert.Equal(t, 50*time.Second, fault.RetryAfter(err), "the refused attempt gave its slot back: the wait did not grow")
		assert.Empty(t, clock.sleeps())
		require.NoError(t, take(l, ctx, "b"))
	})
}

func TestRefundGivesTheTurnBack(t *testing.T) {
	l := newLimits(Throughput{PerSecond: 1000, Burst: 1, PairInterval: time.Minute, PairBurst: 1}, nil, "")
	refund, err := l.wait(context.Background(), "a")
	require.NoError(t, err)
	refund() // the BSP refused the message: the recipient got nothing
	require.NoError(t, take(l, context.Background(), "a"), "a refused message does not spend the recipient's turn")
	require.Error(t, take(l, context.Background(), "a"))
}

func TestPenalise(t *testing.T) {
	l := newLimits(Throughput{PerSecond: 1000, Burst: 1, PairInterval: 10 * time.Second, PairBurst: 5}, nil, "")
	assert.Equal(t, 10*time.Second, l.penalise(context.Background(), "a"))
	err := take(l, context.Background(), "a")
	require.Error(t, err, "after Meta's 131056 the recipient's burst is spent")
	assert.Equal(t, CodePairLimit, fault.CodeOf(err))
}

func TestNumberLimitDeadline(t *testing.T) {
	// One message per 1,000 s: the next turn is far beyond the deadline,
	// however long the machine takes between the two calls.
	l := newLimits(Throughput{PerSecond: 0.001, Burst: 1, PairInterval: time.Second, PairBurst: 100}, nil, "")
	require.NoError(t, take(l, context.Background(), "a"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := take(l, ctx, "b")
	require.Error(t, err)
	assert.Equal(t, CodeRateLimit, fault.CodeOf(err), "a wait beyond the deadline is handed back: %v", err)
	assert.Equal(t, fault.ClassThrottle, fault.ClassOf(err))
}

func TestPairsForgetIdleRecipients(t *testing.T) {
	l := newLimits(Throughput{PerSecond: 1000, Burst: 1, PairInterval: time.Millisecond, PairBurst: 1}, nil, "")
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

// sharedRates is connectors.RateLimits whose limiters answer refuse (nil:
// go now) and record what was asked for. Its turns are schedules in memory,
// as the store keeps them, on clock (time.Now when nil).
type sharedRates struct {
	refuse      error // of the number's limiter
	refuseTurns error // of the pair turns
	clock       func() time.Time

	mu    sync.Mutex
	asked []string
	waits int
	next  map[string]time.Time // each schedule's next free turn
	keys  []string             // of the turns taken
}

func (s *sharedRates) TakeTurn(_ context.Context, key string, interval time.Duration, burst int, maxWait time.Duration) (time.Duration, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuseTurns != nil {
		return 0, false, s.refuseTurns
	}
	now := time.Now()
	if s.clock != nil {
		now = s.clock()
	}
	first := now.Add(-time.Duration(burst-1) * interval)
	if next, ok := s.next[key]; ok && next.After(first) {
		first = next
	}
	if d := first.Sub(now); d > maxWait {
		return d, false, nil
	}
	if s.next == nil {
		s.next = map[string]time.Time{}
	}
	s.next[key] = first.Add(interval)
	s.keys = append(s.keys, key)
	return first.Sub(now), true, nil
}

func (s *sharedRates) GiveTurnBack(_ context.Context, key string, interval time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if next, ok := s.next[key]; ok {
		s.next[key] = next.Add(-interval)
	}
	return nil
}

func (s *sharedRates) Limiter(key string, perSecond float64, burst int) connectors.RateLimiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, fmt.Sprintf("%s %g/s burst %d", key, perSecond, burst))
	return s
}

func (s *sharedRates) Wait(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits++
	return s.refuse
}

func TestSharedNumberLimit(t *testing.T) {
	tp := Throughput{PerSecond: 250, Burst: 2, PairInterval: time.Minute, PairBurst: 1}
	t.Run("the number waits on the shared limiter", func(t *testing.T) {
		shared := &sharedRates{}
		l := newLimits(tp, shared, "whatsapp_cloud/1065")
		require.NoError(t, take(l, context.Background(), "a"))
		require.NoError(t, take(l, context.Background(), "b"))
		assert.Equal(t, []string{"whatsapp_cloud/1065 250/s burst 2"}, shared.asked)
		assert.Equal(t, 2, shared.waits)
		assert.Error(t, take(l, context.Background(), "a"), "the recipient's turn is spent")
		assert.Equal(t, []string{"whatsapp_cloud/1065/pair/a", "whatsapp_cloud/1065/pair/b"}, shared.keys,
			"the pair turns are the shared schedules of the number's recipients")
	})
	t.Run("a refused turn is a retry later that gives the recipient's turn back", func(t *testing.T) {
		shared := &sharedRates{refuse: errors.New("connection refused")}
		l := newLimits(tp, shared, "whatsapp_cloud/1065")
		err := take(l, context.Background(), "a")
		require.Error(t, err)
		assert.Equal(t, CodeRateLimit, fault.CodeOf(err))
		assert.Equal(t, fault.ClassThrottle, fault.ClassOf(err))
		assert.Equal(t, sharedRetry, fault.RetryAfter(err), "a store that is down is not asked again at once")
		shared.refuse = nil
		assert.NoError(t, take(l, context.Background(), "a"), "the recipient did not lose its turn")
	})
}

func TestSharedPairLimit(t *testing.T) {
	ctx := context.Background()
	tp := Throughput{PerSecond: 1000, Burst: 1, PairInterval: 2 * time.Second, PairBurst: 2}
	// Two replicas: limits of one number on one shared schedule and clock.
	clock := newFakeClock()
	shared := &sharedRates{clock: clock.now}
	replicas := make([]*limits, 2)
	for i := range replicas {
		replicas[i] = newLimits(tp, shared, "whatsapp_cloud/1065")
		replicas[i].now, replicas[i].sleep = clock.now, clock.sleep
	}
	a, b := replicas[0], replicas[1]
	require.NoError(t, take(a, ctx, "x"))
	require.NoError(t, take(b, ctx, "x"))
	assert.Empty(t, clock.sleeps(), "the burst of two goes at once, from either replica")
	for _, l := range replicas {
		err := take(l, ctx, "x")
		require.Error(t, err, "neither replica has a turn of its own left")
		assert.Equal(t, CodePairLimit, fault.CodeOf(err))
		assert.Equal(t, 2*time.Second, fault.RetryAfter(err))
	}
	require.NoError(t, take(a, ctx, "y"), "another recipient has a schedule of its own")

	clock.advance(1500 * time.Millisecond)
	require.NoError(t, take(b, ctx, "x"))
	assert.Equal(t, []time.Duration{500 * time.Millisecond}, clock.sleeps(), "a short wait happens inline")
	err := take(a, ctx, "x")
	require.Error(t, err)
	assert.Equal(t, 2*time.Second, fault.RetryAfter(err), "b's turn counts on a")

	require.NoError(t, take(b, ctx, "y"))
	refund, err := b.wait(ctx, "y")
	require.NoError(t, err, "y's burst is due again")
	refund() // the BSP refused the message: the recipient got nothing
	require.NoError(t, take(a, ctx, "y"), "b gave back the turn a takes")
	require.Error(t, take(a, ctx, "y"))

	t.Run("Meta's 131056 spends the recipient's shared burst on every replica", func(t *testing.T) {
		clock.advance(time.Minute) // z's burst of two is due
		assert.Equal(t, 2*time.Second, a.penalise(ctx, "z"))
		err := take(b, ctx, "z")
		require.Error(t, err, "the other replica waits too")
		assert.Equal(t, CodePairLimit, fault.CodeOf(err))
		clock.advance(2 * time.Second)
		require.NoError(t, take(b, ctx, "z"), "one turn an interval later")
		require.Error(t, take(a, ctx, "z"))
	})
	t.Run("a store that cannot be reached is a retry later", func(t *testing.T) {
		l := newLimits(tp, &sharedRates{refuseTurns: errors.New("connection refused")}, "whatsapp_cloud/1065")
		err := take(l, ctx, "x")
		require.Error(t, err)
		assert.Equal(t, CodePairLimit, fault.CodeOf(err))
		assert.Equal(t, fault.ClassThrottle, fault.ClassOf(err))
		assert.Equal(t, sharedRetry, fault.RetryAfter(err))
	})
}
