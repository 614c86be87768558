package runtime

import (
	"errors"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/loyalhub/loyalhub/core/fault"
)

// ErrNotSent ends a sender's admission when no send was tried (the policy
// skipped or deferred the message, its template was refused before the
// call): it says nothing about the credentials.
var ErrNotSent = errors.New("nothing was sent")

// Pause stops a sender whose BSP refused its credentials, on the
// states of a gobreaker circuit breaker: closed, sends go out; the first
// refusal (class auth) opens it for pipeline.send.auth_pause; then,
// half-open, it lets one trial send through, whose success closes it and
// whose refusal opens it again. Any other outcome, a send that was not
// tried included, leaves it as it was (a half-open pause lets the next
// send try).
//
// It is the one breaker that departs from the rule that breakers count
// retryable failures only and answer "retry after": refused credentials are
// permanent and need an operator. Retrying after a delay would only be
// refused again, each refusal a call the BSP counts against the account, so
// it trips on that permanent failure, and while it is open the sender's
// messages are held as dead letters, pending for replay once the
// credentials are fixed, rather than retried. The breaker of each business
// number (connectors/whatsapp/internal/cloud) is the ordinary kind.
//
// It is safe for concurrent use.
type Pause struct {
	d time.Duration
	// changed hears every change of state of the current breaker, and a
	// resume; it runs with the breaker locked and must not call back.
	changed func(from, to gobreaker.State)

	mu      sync.Mutex
	breaker *gobreaker.TwoStepCircuitBreaker[struct{}]
	gen     uint64    // the current breaker: changes of a replaced one are ignored
	until   time.Time // when the open state ends
	reason  string    // the refusal that opened it
	refusal string    // the last refusal reported
}

// NewPause returns a closed pause that opens for d at a time; changed, when
// not nil, hears its changes of state.
func NewPause(d time.Duration, changed func(from, to gobreaker.State)) *Pause {
	p := &Pause{d: d, changed: changed}
	p.breaker = p.newBreaker(p.gen)
	return p
}

func (p *Pause) newBreaker(gen uint64) *gobreaker.TwoStepCircuitBreaker[struct{}] {
	return gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "sender pause",
		MaxRequests: 1,
		Timeout:     p.d,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 1 },
		IsExcluded:  func(err error) bool { return err != nil && fault.ClassOf(err) != fault.ClassAuth },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			p.mu.Lock()
			if gen != p.gen {
				p.mu.Unlock()
				return
			}
			if to == gobreaker.StateOpen {
				// gobreaker times the open state on the machine's
				// clock, so the end it reports is read from it too.
				p.until, p.reason = time.Now().Add(p.d), p.refusal
			}
			p.mu.Unlock()
			if p.changed != nil {
				p.changed(from, to)
			}
		},
	})
}

// Admit lets a send through unless the sender is paused, in which case it
// returns until when and why. Otherwise done must be called with the send's
// error (nil when the message went out), or ErrNotSent when none was tried;
// calls after the first do nothing.
func (p *Pause) Admit() (done func(error), until time.Time, reason string, paused bool) {
	p.mu.Lock()
	b := p.breaker
	p.mu.Unlock()
	report, err := b.Allow()
	if err != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		return nil, p.until, p.reason, true
	}
	var once sync.Once
	return func(err error) {
		once.Do(func() {
			if err != nil && fault.ClassOf(err) == fault.ClassAuth {
				p.mu.Lock()
				p.refusal = err.Error()
				p.mu.Unlock()
			}
			report(err)
		})
	}, time.Time{}, "", false
}

// State reports whether the sender is paused (open or half-open), until
// when and why.
func (p *Pause) State() (paused bool, until time.Time, reason string) {
	p.mu.Lock()
	b := p.breaker
	p.mu.Unlock()
	if b.State() == gobreaker.StateClosed {
		return false, time.Time{}, ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return true, p.until, p.reason
}

// Resume lifts a pause at once (an operator fixed the credentials): a new,
// closed breaker takes the place of the old one, whose late outcomes no
// longer count.
func (p *Pause) Resume() {
	p.mu.Lock()
	b := p.breaker
	p.mu.Unlock()
	from := b.State() // not under p.mu: it may change the state
	p.mu.Lock()
	p.gen++
	p.breaker = p.newBreaker(p.gen)
	p.until, p.reason = time.Time{}, ""
	p.mu.Unlock()
	if p.changed != nil {
		p.changed(from, gobreaker.StateClosed)
	}
}
