package cloud

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/fault"
)

// Defaults of the shared settings.
const (
	DefaultBreakerFailures = 5
	DefaultBreakerOpenFor  = 30 * time.Second
	DefaultPerSecond       = 80
	MaxPerSecond           = 1000
	DefaultPairInterval    = 6 * time.Second
	DefaultPairBurst       = 3
)

// CodeRateLimit and CodePairLimit mark a send held back by our own limits:
// it is retried after the delay and never fails for it.
const (
	CodeRateLimit = "rate_limit"
	CodePairLimit = "pair_limit"
)

// maxPairWait is the longest a send waits inline for the recipient's pair
// limit; a longer wait is handed back to the queue as a retry delay, so a
// chatty recipient does not hold a send slot.
const maxPairWait = time.Second

// sharedRetry is the least delay before a send the shared limiter refused
// tries again.
const sharedRetry = time.Second

// giveBackTimeout bounds the round trip that gives a shared pair turn back,
// made when the send's own context may have ended.
const giveBackTimeout = 5 * time.Second

// pairSweepAt is the number of recipients tracked before idle ones are
// forgotten.
const pairSweepAt = 10_000

// Breaker configures the circuit breaker of one business number.
type Breaker struct {
	// MaxFailures is how many consecutive retryable failures open the
	// breaker. Default 5.
	MaxFailures int `koanf:"max_failures"`
	// OpenFor is how long the breaker refuses sends before it lets a trial
	// send through. Default 30s.
	OpenFor time.Duration `koanf:"open_for"`
}

// DefaultBreaker returns the defaults.
func DefaultBreaker() Breaker {
	return Breaker{MaxFailures: DefaultBreakerFailures, OpenFor: DefaultBreakerOpenFor}
}

// Validate reports problems at keys under "breaker".
func (b Breaker) Validate() error {
	var errs config.Errors
	if b.MaxFailures < 1 {
		errs = append(errs, &config.FieldError{Path: "breaker.max_failures", Msg: fmt.Sprintf("must be at least 1, got %d", b.MaxFailures)})
	}
	if b.OpenFor <= 0 {
		errs = append(errs, &config.FieldError{Path: "breaker.open_for", Msg: fmt.Sprintf("must be positive, got %s", b.OpenFor)})
	}
	return errs.Err()
}

// Throughput limits what one business number sends: WhatsApp's messages per
// second for the number, and its pair rate limit per recipient. Messages
// over either limit wait; they never fail because of them.
type Throughput struct {
	// PerSecond is the number's messages per second: 80 by default on the
	// Cloud API, up to 1,000 once Meta upgrades the number. Replicas on a
	// shared store (PostgreSQL) keep it together; on the embedded store
	// one process sends. Default 80.
	PerSecond float64 `koanf:"per_second"`
	// Burst is how many messages may leave at once above the steady rate.
	// Default 1: never above PerSecond in any second.
	Burst int `koanf:"burst"`
	// PairInterval is the steady gap between two messages to one
	// recipient. Default 6s (Meta's pair rate limit).
	PairInterval time.Duration `koanf:"pair_interval"`
	// PairBurst is how many messages one recipient may get at once before
	// PairInterval applies. Replicas on a shared store keep both pair
	// settings together, as PerSecond. Default 3.
	PairBurst int `koanf:"pair_burst"`
}

// DefaultThroughput returns the defaults.
func DefaultThroughput() Throughput {
	return Throughput{PerSecond: DefaultPerSecond, Burst: 1, PairInterval: DefaultPairInterval, PairBurst: DefaultPairBurst}
}

// Validate reports problems at keys under "throughput".
func (t Throughput) Validate() error {
	var errs config.Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, &config.FieldError{Path: "throughput." + key, Msg: fmt.Sprintf(format, args...)})
	}
	if t.PerSecond <= 0 || t.PerSecond > MaxPerSecond {
		bad("per_second", "must be more than 0 and at most %d (WhatsApp's highest throughput), got %g", MaxPerSecond, t.PerSecond)
	}
	if t.Burst < 1 {
		bad("burst", "must be at least 1, got %d", t.Burst)
	}
	if t.PairInterval <= 0 {
		bad("pair_interval", "must be positive, got %s", t.PairInterval)
	}
	if t.PairBurst < 1 {
		bad("pair_burst", "must be at least 1, got %d", t.PairBurst)
	}
	return errs.Err()
}

// limits holds one number's token bucket and its recipients' pair buckets.
// When the limits are shared by replicas (see docs/scale-out.md), both are
// kept in the shared store: the number's bucket by a shared limiter, each
// recipient's by a turn taken per message; the pair buckets in memory then
// stay empty.
type limits struct {
	number    connectors.RateLimiter
	perSecond float64
	shared    connectors.RateLimits // nil: the limits are the process's own
	key       string                // the number's, in shared keys
	pairEvery time.Duration
	pairBurst float64

	mu        sync.Mutex
	pairs     map[string]*pairBucket
	sweepSize int

	// now and sleep are the pair limit's clock (time.Now and a sleep that
	// ends with ctx), replaced in tests.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// pairBucket is one recipient's token bucket. Unlike rate.Limiter it can
// take a spent token back, for a message WhatsApp refused: the recipient
// got nothing, so the refusal must not cost its next turn.
type pairBucket struct {
	tokens float64 // at last; negative while messages wait their turn
	last   time.Time
}

// newLimits builds the limits of the number named key; shared, when not
// nil, holds the number's bucket for every replica.
func newLimits(t Throughput, shared connectors.RateLimits, key string) *limits {
	var number connectors.RateLimiter = rate.NewLimiter(rate.Limit(t.PerSecond), t.Burst)
	if shared != nil {
		number = shared.Limiter(key, t.PerSecond, t.Burst)
	}
	return &limits{
		number:    number,
		perSecond: t.PerSecond,
		shared:    shared,
		key:       key,
		pairEvery: t.PairInterval,
		pairBurst: float64(t.PairBurst),
		pairs:     map[string]*pairBucket{},
		sweepSize: pairSweepAt,
		now:       time.Now,
		sleep:     sleep,
	}
}

// tokensAt refills b up to now; the caller holds l.mu.
func (l *limits) tokensAt(b *pairBucket, now time.Time) float64 {
	if now.After(b.last) {
		b.tokens = min(l.pairBurst, b.tokens+float64(now.Sub(b.last))/float64(l.pairEvery))
		b.last = now
	}
	return b.tokens
}

// pair returns the recipient's bucket, forgetting full (idle) buckets when
// many are tracked; the caller holds l.mu.
func (l *limits) pair(recipient string, now time.Time) *pairBucket {
	if p, ok := l.pairs[recipient]; ok {
		return p
	}
	if len(l.pairs) >= l.sweepSize {
		for k, q := range l.pairs {
			if l.tokensAt(q, now) >= l.pairBurst {
				delete(l.pairs, k)
			}
		}
		l.sweepSize = max(pairSweepAt, 2*len(l.pairs))
	}
	p := &pairBucket{tokens: l.pairBurst, last: now}
	l.pairs[recipient] = p
	return p
}

// reservePair takes the recipient's next turn and returns how long until
// it comes; a turn further off than maxPairWait is not taken.
func (l *limits) reservePair(recipient string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.pair(recipient, now)
	tokens := l.tokensAt(p, now) - 1
	d := time.Duration(0)
	if tokens < 0 {
		d = time.Duration(-tokens * float64(l.pairEvery))
	}
	if d > maxPairWait {
		return d, false
	}
	p.tokens = tokens
	return d, true
}

// refundPair gives the recipient one turn back.
func (l *limits) refundPair(recipient string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	p := l.pair(recipient, now)
	p.tokens = min(l.pairBurst, l.tokensAt(p, now)+1)
}

// pairKey names the recipient's schedule in the shared store.
func (l *limits) pairKey(recipient string) string {
	return l.key + "/pair/" + recipient
}

// takePair takes the recipient's next turn, from the replicas' shared
// schedule when the limits are shared, and returns how long until it
// comes and a function that gives it back; a turn further off than
// maxPairWait is not taken (ok false).
func (l *limits) takePair(ctx context.Context, recipient string) (d time.Duration, ok bool, refund func(), err error) {
	if l.shared == nil {
		d, ok = l.reservePair(recipient, l.now())
		return d, ok, func() { l.refundPair(recipient) }, nil
	}
	key := l.pairKey(recipient)
	d, ok, err = l.shared.TakeTurn(ctx, key, l.pairEvery, int(l.pairBurst), maxPairWait)
	if err != nil || !ok {
		return d, false, nil, err
	}
	refund = func() {
		gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), giveBackTimeout)
		defer cancel()
		// A turn that cannot be given back stays spent: the recipient
		// waits longer for its next message, never less.
		_ = l.shared.GiveTurnBack(gctx, key, l.pairEvery)
	}
	// The turns of an idle recipient's burst are due already.
	return max(d, 0), true, refund, nil
}

// wait blocks until the recipient's pair limit and then the number's limit
// let one message go, and returns a function that gives the recipient's
// turn back when the message did not reach WhatsApp after all. A pair wait
// longer than maxPairWait, or a number wait beyond ctx's deadline, returns a
// retryable throttle error with the delay, as does a shared store that
// cannot be reached.
func (l *limits) wait(ctx context.Context, recipient string) (refund func(), err error) {
	d, ok, refund, err := l.takePair(ctx, recipient)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &fault.Error{
			Err:        fmt.Errorf("recipient's pair rate limit: %w", err),
			Class:      fault.ClassThrottle,
			Code:       CodePairLimit,
			RetryAfter: sharedRetry,
		}
	}
	if !ok {
		return nil, &fault.Error{
			Err:        fmt.Errorf("recipient's pair rate limit: next message in %s", d.Round(time.Millisecond)),
			Class:      fault.ClassThrottle,
			Code:       CodePairLimit,
			RetryAfter: d,
		}
	}
	if d > 0 {
		if err := l.sleep(ctx, d); err != nil {
			refund()
			return nil, err
		}
	}
	if err := l.number.Wait(ctx); err != nil {
		refund()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// The wait would outlast ctx's deadline, or the shared limit
		// cannot be reached now: try again in a second rather than
		// hammer a store that is down.
		retry := time.Duration(float64(time.Second) / l.perSecond)
		if l.shared != nil {
			retry = max(retry, sharedRetry)
		}
		return nil, &fault.Error{
			Err:        fmt.Errorf("number's throughput limit: %w", err),
			Class:      fault.ClassThrottle,
			Code:       CodeRateLimit,
			RetryAfter: retry,
		}
	}
	return refund, nil
}

// penalise empties the recipient's bucket after Meta refused a message for
// its pair rate limit, and returns the wait until the next message. Shared
// limits take every turn of the recipient's shared schedule that is due,
// so that no replica sends to them before the next one comes; a store that
// cannot be reached leaves the retry's delay alone to hold them back.
func (l *limits) penalise(ctx context.Context, recipient string) time.Duration {
	if l.shared != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), giveBackTimeout)
		defer cancel()
		key := l.pairKey(recipient)
		for range int(l.pairBurst) {
			if _, ok, err := l.shared.TakeTurn(ctx, key, l.pairEvery, int(l.pairBurst), 0); err != nil || !ok {
				break
			}
		}
		return l.pairEvery
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	p := l.pair(recipient, now)
	p.tokens = min(0, l.tokensAt(p, now))
	return l.pairEvery
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
