package send

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/store"
)

// turnSpan is how much of a rate one round trip to the store reserves at
// most: 50 ms of turns, so that a number at 1,000 messages a second costs
// 20 round trips a second per replica, not 1,000.
const turnSpan = 50 * time.Millisecond

// lateTurn is how late a turn may still be used. A replica that wakes
// later than that (a stall, a busy machine) gives the turn up and takes
// another: sending on its due turns together would crowd a second beyond
// the number's rate.
const lateTurn = 10 * time.Millisecond

// maxMissed is how many late turns one send gives up at most.
const maxMissed = 3

// errTurnAfterDeadline is a send's turn coming after its deadline.
var errTurnAfterDeadline = errors.New("the number's next turn comes after the send's deadline")

// RateMetrics are the shared limits' instruments, by tenant and sender.
type RateMetrics struct {
	// Wait times how long each send waited for its turn.
	Wait *prometheus.HistogramVec
	// Reservations counts the round trips to the store, for the number's
	// turns and the recipients' pair turns, by result (ok, failed).
	Reservations *prometheus.CounterVec
	// Missed counts the turns given up because the replica came to them
	// more than lateTurn late.
	Missed *prometheus.CounterVec
}

// Rates are the senders' throughput limits shared by the hub's replicas
// through a store with store.RateTurns (PostgreSQL). They are built with the
// connectors, before the store opens; Bind hands them the store before the
// first send.
type Rates struct {
	metrics RateMetrics
	turns   atomic.Pointer[store.RateTurns]
}

// NewRates returns shared limits reporting to m.
func NewRates(m RateMetrics) *Rates { return &Rates{metrics: m} }

// Bind makes the limits reserve their turns in s.
func (r *Rates) Bind(s store.RateTurns) { r.turns.Store(&s) }

// For returns the limits of one tenant's sender, for its connector.
func (r *Rates) For(tenant, sender string) connectors.RateLimits {
	return senderRates{r: r, tenant: tenant, sender: sender}
}

// senderRates are the limits of one tenant's sender: the keys of its
// limiters start with the tenant and the sender, which every replica names
// alike.
type senderRates struct {
	r              *Rates
	tenant, sender string
}

func (s senderRates) Limiter(key string, perSecond float64, burst int) connectors.RateLimiter {
	interval := time.Duration(float64(time.Second) / perSecond)
	return &sharedLimiter{
		rates:    s.r,
		key:      s.tenant + "/" + s.sender + "/" + key,
		interval: interval,
		burst:    max(1, burst),
		chunk:    max(1, int(turnSpan/interval)),
		wait:     s.r.metrics.Wait.WithLabelValues(s.tenant, s.sender),
		reserved: s.r.metrics.Reservations.WithLabelValues(s.tenant, s.sender, "ok"),
		failed:   s.r.metrics.Reservations.WithLabelValues(s.tenant, s.sender, "failed"),
		missed:   s.r.metrics.Missed.WithLabelValues(s.tenant, s.sender),
	}
}

// TakeTurn takes one turn of a schedule every replica keeps, such as a
// recipient's pair limit, a round trip to the store each; see
// connectors.RateLimits.
func (s senderRates) TakeTurn(ctx context.Context, key string, interval time.Duration, burst int, maxWait time.Duration) (time.Duration, bool, error) {
	p := s.r.turns.Load()
	if p == nil {
		return 0, false, errors.New("taking a turn: the store is not open")
	}
	wait, ok, err := (*p).TakeTurn(ctx, s.turnKey(key), interval, burst, maxWait)
	if err != nil {
		s.r.metrics.Reservations.WithLabelValues(s.tenant, s.sender, "failed").Inc()
		return 0, false, fmt.Errorf("taking a turn: %w", err)
	}
	s.r.metrics.Reservations.WithLabelValues(s.tenant, s.sender, "ok").Inc()
	return wait, ok, nil
}

// GiveTurnBack returns a turn TakeTurn handed out; see
// connectors.RateLimits.
func (s senderRates) GiveTurnBack(ctx context.Context, key string, interval time.Duration) error {
	p := s.r.turns.Load()
	if p == nil {
		return errors.New("giving back a turn: the store is not open")
	}
	if err := (*p).GiveTurnBack(ctx, s.turnKey(key), interval); err != nil {
		return fmt.Errorf("giving back a turn: %w", err)
	}
	return nil
}

// turnKey names a schedule in the store: the connector's key, which may
// hold a recipient's number, only as a hash.
func (s senderRates) turnKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return s.tenant + "/" + s.sender + "/" + hex.EncodeToString(sum[:16])
}

// sharedLimiter paces one sender across replicas: it reserves turns in the
// store a few at a time and hands them out in order, each caller sleeping
// until its turn. A reservation takes as many turns as this replica spent
// in the last turnSpan, or as many as callers wait for, up to chunk: a busy
// replica makes a round trip per chunk, a quiet one reserves no turns it
// will not use, which the other replicas could have had.
type sharedLimiter struct {
	rates    *Rates
	key      string
	interval time.Duration
	burst    int
	chunk    int
	wait     prometheus.Observer
	reserved prometheus.Counter
	failed   prometheus.Counter
	missed   prometheus.Counter

	fetch   sync.Mutex // one round trip at a time
	mu      sync.Mutex
	due     []time.Time // reserved turns not handed out yet, in order
	needing int         // callers in Wait without a turn yet
	// handed counts the turns handed out since the last reservation, at
	// lastReserved: the pace at which this replica spends them.
	handed       int
	lastReserved time.Time
}

var _ connectors.RateLimiter = (*sharedLimiter)(nil)

// Wait blocks until the caller's turn; see connectors.RateLimiter.
func (l *sharedLimiter) Wait(ctx context.Context) error {
	began := time.Now()
	for missed := 0; ; missed++ {
		l.mu.Lock()
		l.needing++
		l.mu.Unlock()
		at, err := l.take(ctx)
		l.mu.Lock()
		l.needing--
		l.mu.Unlock()
		if err != nil {
			return err
		}
		if deadline, ok := ctx.Deadline(); ok && at.After(deadline) {
			l.giveBack(at)
			return errTurnAfterDeadline
		}
		if err := sleepUntil(ctx, at); err != nil {
			l.giveBack(at)
			return err
		}
		// A replica late every time would never send: the last try goes.
		if time.Since(at) <= lateTurn || missed == maxMissed {
			l.wait.Observe(time.Since(began).Seconds())
			return nil
		}
		l.missed.Inc()
	}
}

// sleepUntil sleeps until at, or returns ctx's error when it ends first.
func sleepUntil(ctx context.Context, at time.Time) error {
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// take returns the next reserved turn, reserving more when none is left.
func (l *sharedLimiter) take(ctx context.Context) (time.Time, error) {
	if at, ok := l.pop(); ok {
		return at, nil
	}
	l.fetch.Lock()
	defer l.fetch.Unlock()
	// Another caller may have reserved while this one waited for the lock.
	if at, ok := l.pop(); ok {
		return at, nil
	}
	p := l.rates.turns.Load()
	if p == nil {
		return time.Time{}, fmt.Errorf("reserving a turn of %s: the store is not open", l.key)
	}
	l.mu.Lock()
	n := l.needing
	if since := time.Since(l.lastReserved); !l.lastReserved.IsZero() && since > 0 {
		n = max(n, int(math.Ceil(float64(l.handed)*float64(turnSpan)/float64(since))))
	}
	n = min(l.chunk, max(1, n))
	l.mu.Unlock()
	first, err := (*p).ReserveTurns(ctx, l.key, n, l.interval, l.burst)
	if err != nil {
		l.failed.Inc()
		if ctx.Err() != nil {
			return time.Time{}, ctx.Err()
		}
		return time.Time{}, fmt.Errorf("reserving a turn: %w", err)
	}
	l.reserved.Inc()
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.handed, l.lastReserved = 1, now
	for i := range n {
		// The turns of an idle rate's burst are due already: now.
		l.due = append(l.due, later(now, now.Add(first+time.Duration(i)*l.interval)))
	}
	at := l.due[0]
	l.due = l.due[1:]
	return at, nil
}

// pop returns the earliest reserved turn, forgetting those more than
// lateTurn past: sending on them late would crowd the turns that other
// replicas hold.
func (l *sharedLimiter) pop() (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	stale := time.Now().Add(-lateTurn)
	for len(l.due) > 0 && l.due[0].Before(stale) {
		l.due = l.due[1:]
	}
	if len(l.due) == 0 {
		return time.Time{}, false
	}
	at := l.due[0]
	l.due = l.due[1:]
	l.handed++
	return at, true
}

// giveBack returns a turn the caller will not use, for the next caller.
func (l *sharedLimiter) giveBack(at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := 0
	for i < len(l.due) && l.due[i].Before(at) {
		i++
	}
	l.due = append(l.due[:i], append([]time.Time{at}, l.due[i:]...)...)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
