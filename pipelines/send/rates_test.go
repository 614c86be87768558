package send

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTurns is store.RateTurns in memory, as PostgreSQL's statement does
// it, with a round trip's latency; fail makes every reservation fail.
type fakeTurns struct {
	latency time.Duration
	fail    error

	mu       sync.Mutex
	next     map[string]time.Time
	reserved int // turns
	calls    int
	keys     []string // of TakeTurn, as stored
}

func (f *fakeTurns) ReserveTurns(ctx context.Context, key string, n int, interval time.Duration, burst int) (time.Duration, error) {
	time.Sleep(f.latency)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return 0, f.fail
	}
	now := time.Now()
	first := f.firstFree(key, interval, burst, now)
	f.next[key] = first.Add(time.Duration(n) * interval)
	f.reserved += n
	return first.Sub(now), nil
}

// TakeTurn keeps one schedule a key, as PostgreSQL's statement does.
func (f *fakeTurns) TakeTurn(ctx context.Context, key string, interval time.Duration, burst int, maxWait time.Duration) (time.Duration, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.keys = append(f.keys, key)
	if f.fail != nil {
		return 0, false, f.fail
	}
	now := time.Now()
	first := f.firstFree(key, interval, burst, now)
	if first.Sub(now) > maxWait {
		return first.Sub(now), false, nil
	}
	f.next[key] = first.Add(interval)
	return first.Sub(now), true, nil
}

// firstFree returns key's first free turn at now: its next one, or an idle
// key's burst early. The caller holds f.mu.
func (f *fakeTurns) firstFree(key string, interval time.Duration, burst int, now time.Time) time.Time {
	if f.next == nil {
		f.next = map[string]time.Time{}
	}
	first := now.Add(-time.Duration(burst-1) * interval)
	if next, ok := f.next[key]; ok && next.After(first) {
		first = next
	}
	return first
}

func (f *fakeTurns) GiveTurnBack(ctx context.Context, key string, interval time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if next, ok := f.next[key]; ok {
		f.next[key] = next.Add(-interval)
	}
	return nil
}

func newRateMetrics() RateMetrics {
	return RateMetrics{
		Wait:         prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "wait"}, []string{"tenant", "sender"}),
		Reservations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reservations"}, []string{"tenant", "sender", "result"}),
		Missed:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "missed"}, []string{"tenant", "sender"}),
	}
}

// replicaRates returns the limits of one replica on the shared turns.
func replicaRates(turns *fakeTurns) (*Rates, RateMetrics) {
	m := newRateMetrics()
	r := NewRates(m)
	r.Bind(turns)
	return r, m
}

func TestSharedRate(t *testing.T) {
	ctx := context.Background()
	t.Run("replicas keep one rate together, a round trip per few turns", func(t *testing.T) {
		const perSecond, workers, each = 200, 8, 10
		turns := &fakeTurns{latency: 2 * time.Millisecond}
		a, ma := replicaRates(turns)
		b, mb := replicaRates(turns)
		// One limiter a replica, as each builds one sender.
		replicas := []interface{ Wait(context.Context) error }{
			a.For("acme", "whatsapp").Limiter("number", perSecond, 1),
			b.For("acme", "whatsapp").Limiter("number", perSecond, 1),
		}
		began := time.Now()
		var wg sync.WaitGroup
		for i := range 2 * workers {
			l := replicas[i%2]
			wg.Go(func() {
				for range each {
					assert.NoError(t, l.Wait(ctx))
				}
			})
		}
		wg.Wait()
		sends := 2 * workers * each
		// The turns are 5 ms apart and each send waited for its own: the
		// last cannot come before the sends-1 turns ahead of it.
		assert.GreaterOrEqual(t, time.Since(began), time.Duration(sends-1)*time.Second/perSecond)
		trips := value(ma.Reservations.WithLabelValues("acme", "whatsapp", "ok")) +
			value(mb.Reservations.WithLabelValues("acme", "whatsapp", "ok"))
		assert.EqualValues(t, turns.calls, trips)
		t.Logf("%d sends, %d round trips", sends, turns.calls)
		assert.Less(t, turns.calls, sends/2, "waiting senders share a round trip")
		assert.GreaterOrEqual(t, turns.reserved, sends)
		var waits uint64
		for _, m := range []RateMetrics{ma, mb} {
			var h dto.Metric
			require.NoError(t, m.Wait.WithLabelValues("acme", "whatsapp").(prometheus.Metric).Write(&h))
			waits += h.GetHistogram().GetSampleCount()
		}
		assert.EqualValues(t, sends, waits, "every wait is timed")
	})
	t.Run("a turn after the deadline is refused at once and kept for the next send", func(t *testing.T) {
		turns := &fakeTurns{}
		r, _ := replicaRates(turns)
		l := r.For("acme", "whatsapp").Limiter("number", 2, 1)
		require.NoError(t, l.Wait(ctx), "an idle rate's first turn is now")
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		err := l.Wait(short)
		require.ErrorIs(t, err, errTurnAfterDeadline)
		assert.NoError(t, short.Err(), "refused without waiting for the deadline")
		require.NoError(t, l.Wait(ctx))
		assert.Equal(t, 2, turns.reserved, "the refused turn went to the next send")
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		turns := &fakeTurns{}
		r, _ := replicaRates(turns)
		l := r.For("acme", "whatsapp").Limiter("number", 1, 1)
		require.NoError(t, l.Wait(ctx))
		cctx, cancel := context.WithCancel(ctx)
		go func() { time.Sleep(20 * time.Millisecond); cancel() }()
		require.ErrorIs(t, l.Wait(cctx), context.Canceled)
	})
	t.Run("an unreachable store is an error, not a send", func(t *testing.T) {
		turns := &fakeTurns{fail: errors.New("connection refused")}
		r, m := replicaRates(turns)
		l := r.For("acme", "whatsapp").Limiter("number", 80, 1)
		err := l.Wait(ctx)
		require.Error(t, err)
		assert.NotErrorIs(t, err, context.Canceled)
		assert.EqualValues(t, 1, value(m.Reservations.WithLabelValues("acme", "whatsapp", "failed")))
	})
	t.Run("before the store is bound", func(t *testing.T) {
		l := NewRates(newRateMetrics()).For("acme", "whatsapp").Limiter("number", 80, 1)
		assert.Error(t, l.Wait(ctx))
	})
	t.Run("senders and keys have rates of their own", func(t *testing.T) {
		turns := &fakeTurns{}
		r, _ := replicaRates(turns)
		for _, l := range []interface{ Wait(context.Context) error }{
			r.For("acme", "whatsapp").Limiter("number", 1, 1),
			r.For("acme", "twilio").Limiter("number", 1, 1),
			r.For("other", "whatsapp").Limiter("number", 1, 1),
			r.For("acme", "whatsapp").Limiter("second", 1, 1),
		} {
			short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			assert.NoError(t, l.Wait(short), "each first turn is now")
			cancel()
		}
	})
}

func value(c prometheus.Counter) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}

func TestSharedTurns(t *testing.T) {
	ctx := context.Background()
	const interval, recipient = time.Hour, "whatsapp_cloud/1065/pair/+31612345678"
	t.Run("replicas take one recipient's turns from one schedule", func(t *testing.T) {
		turns := &fakeTurns{}
		a, ma := replicaRates(turns)
		b, _ := replicaRates(turns)
		ra, rb := a.For("acme", "whatsapp"), b.For("acme", "whatsapp")
		for i, r := range []interface {
			TakeTurn(context.Context, string, time.Duration, int, time.Duration) (time.Duration, bool, error)
		}{ra, rb} {
			_, ok, err := r.TakeTurn(ctx, recipient, interval, 2, 0)
			require.NoError(t, err)
			assert.True(t, ok, "turn %d of the burst of two", i)
		}
		wait, ok, err := rb.TakeTurn(ctx, recipient, interval, 2, time.Second)
		require.NoError(t, err)
		assert.False(t, ok, "the burst is spent on both replicas")
		assert.InDelta(t, interval.Seconds(), wait.Seconds(), 1)
		require.NoError(t, ra.GiveTurnBack(ctx, recipient, interval))
		_, ok, err = rb.TakeTurn(ctx, recipient, interval, 2, time.Second)
		require.NoError(t, err)
		assert.True(t, ok, "a turn given back on one replica is taken on the other")
		_, ok, err = ra.TakeTurn(ctx, "whatsapp_cloud/1065/pair/+31687654321", interval, 2, 0)
		require.NoError(t, err)
		assert.True(t, ok, "another recipient has a schedule of its own")
		assert.Equal(t, 2.0, value(ma.Reservations.WithLabelValues("acme", "whatsapp", "ok")))

		require.Len(t, turns.keys, 5)
		assert.Equal(t, turns.keys[0], turns.keys[3], "both replicas name the recipient's schedule alike")
		assert.NotEqual(t, turns.keys[0], turns.keys[4])
		for _, k := range turns.keys {
			assert.Regexp(t, `^acme/whatsapp/[0-9a-f]{32}$`, k, "the store sees no phone number")
		}
		_, _, err = b.For("other", "whatsapp").TakeTurn(ctx, recipient, interval, 2, 0)
		require.NoError(t, err)
		assert.NotEqual(t, turns.keys[0], turns.keys[5], "each tenant's sender keeps its own")
	})
	t.Run("a store that fails or is not open takes nothing", func(t *testing.T) {
		r := NewRates(newRateMetrics()).For("acme", "whatsapp")
		_, ok, err := r.TakeTurn(ctx, recipient, interval, 2, 0)
		assert.Error(t, err)
		assert.False(t, ok)
		assert.Error(t, r.GiveTurnBack(ctx, recipient, interval))

		turns := &fakeTurns{fail: errors.New("connection refused")}
		rates, m := replicaRates(turns)
		_, ok, err = rates.For("acme", "whatsapp").TakeTurn(ctx, recipient, interval, 2, 0)
		assert.ErrorContains(t, err, "connection refused")
		assert.False(t, ok)
		assert.Equal(t, 1.0, value(m.Reservations.WithLabelValues("acme", "whatsapp", "failed")))
	})
}
