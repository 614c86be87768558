package send

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
	"github.com/loyalhub/loyalhub/pipelines/schedule"
	"github.com/loyalhub/loyalhub/pipelines/telemetry"
)

// Store is what the sender reads and writes: the message log, the
// recipients' contacts and the senders' states for the send decision, and
// the short links of the messages it sends.
type Store interface {
	store.Messages
	store.Contacts
	store.Senders
	store.Links
}

// Config is the sender's part of the configuration.
type Config struct {
	// Send is pipeline.send.
	Send config.Send
	// Retry is pipeline.retry: the attempts at a message and the backoff
	// between them.
	Retry config.Retry
	// HandlerTimeout bounds one attempt (pipeline.handler_timeout).
	HandlerTimeout time.Duration
	// StatusRedelivery is how long a status webhook a dead process held
	// may wait in the queue before it is delivered again: queue.ack_wait
	// at each of the BSP lane's queue hops.
	StatusRedelivery time.Duration
	// Relay is true when this process runs the relay of interrupted
	// attempts (RelayStale, from the scheduler).
	Relay bool
	// InlineWait is the longest wait for an earlier attempt's deadline
	// spent in a delivery's handler.
	InlineWait time.Duration
	// MaxRetryAfter caps how long one attempt waits for a BSP's
	// Retry-After before the next.
	MaxRetryAfter time.Duration
}

// Metrics are the sender's instruments.
type Metrics struct {
	// Processed, Failed (by class: permanent, retryable) and Duration are
	// the send stage's loyalhub_stage_* instruments.
	Processed prometheus.Counter
	Failed    *prometheus.CounterVec // class
	Duration  prometheus.Observer
	// Sends and Errors count the BSP's answers.
	Sends  *prometheus.CounterVec // tenant, sender
	Errors *prometheus.CounterVec // tenant, sender, class
	// ConfigErrors counts sends refused for the configuration: credentials
	// or templates.
	ConfigErrors *prometheus.CounterVec // tenant, sender, code
	Skipped      *prometheus.CounterVec // tenant, reason
	Deferred     *prometheus.CounterVec // tenant
	// HeldBack counts messages deferred for their sender: its messaging
	// limit used up (messaging_limit) or its marketing paused for its
	// number's quality (quality_paused); and marketing deferred for the
	// recipient's words not applied yet (unread_inbound).
	HeldBack *prometheus.CounterVec // tenant, sender, reason
	Fallback *prometheus.CounterVec // tenant, reason
	// Resent counts messages sent again under their key after an
	// interrupted attempt; Relayed the stale attempts the relay handed
	// back.
	Resent  *prometheus.CounterVec // tenant
	Relayed *prometheus.CounterVec // tenant
	// ParamsFitted counts notification texts cut or cleaned to fit
	// WhatsApp's limits.
	ParamsFitted *prometheus.CounterVec // tenant, rule
	// LinksShortened counts the URLs replaced by short links.
	LinksShortened *prometheus.CounterVec // tenant
}

// Deps are what the sender works with.
type Deps struct {
	Store   Store
	Tenants *runtime.Tenants
	// Now is the hub's clock: every time the sender decides by or
	// records. StartedAt is when the hub started, by it.
	Now       func() time.Time
	StartedAt time.Time
	Logger    *slog.Logger
	Metrics   Metrics
	// DeadLetter stores the dead letter of a message the sender gave up on
	// for good (cause says why), for a replay that queues its command
	// again.
	DeadLetter func(ctx context.Context, d store.DeferredMessage, cause error) error
	// Tracing traces each attempt, child of the span that queued the
	// message, and its BSP call (nil: nothing).
	Tracing *telemetry.Tracing
	// Unread knows the customers whose words the hub accepted and has
	// not applied yet: marketing to them waits (nil: no one).
	Unread *runtime.Unread
}

// outboxLease is how long messages the sender took from the outbox are not
// taken again: a crash between taking and claiming them delays them by this
// much at most.
const outboxLease = time.Minute

// Sender sends what the outbox holds. Make it with New; it is safe for
// concurrent use.
type Sender struct {
	Deps
	cfg Config

	// wake tells the relay that messages were queued; work hands the
	// workers the messages to send.
	wake    chan struct{}
	work    chan []store.DeferredMessage
	sending inFlight // keys of the send attempts this process is making
	turns   turns    // the recipients a worker is sending to
	reach   reachMemos
	workers *schedule.Workers
}

// New returns a sender; it does no I/O and starts nothing.
func New(d Deps, cfg Config) *Sender {
	return &Sender{
		Deps: d, cfg: cfg,
		wake: make(chan struct{}, 1),
		work: make(chan []store.DeferredMessage),
	}
}

// Wake tells the sender that messages were queued; it never blocks.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Start starts the sender: pipeline.send.concurrency workers sending
// what one relay takes from the outbox as it comes due. The relay looks
// when woken after a commit that queued messages, and every
// pipeline.send.relay, for what another replica or a crash left behind.
// Close stops them.
func (s *Sender) Start(ctx context.Context) {
	n := s.cfg.Send.Concurrency
	w := schedule.NewWorkers(ctx, "sender")
	for range n {
		w.Go(func(ctx context.Context) {
			for {
				select {
				case ds := <-s.work:
					release, ok := s.turns.take(ctx, recipientKey(ds[0]))
					if !ok {
						return
					}
					for _, d := range ds {
						s.sendOutboxed(ctx, d)
					}
					release()
				case <-ctx.Done():
					return
				}
			}
		})
	}
	w.Go(func(ctx context.Context) { s.relayOutbox(ctx, n) })
	s.workers = w
}

// Close stops the workers and waits for them; it is safe on a sender that
// was not started.
func (s *Sender) Close(ctx context.Context) error {
	if s == nil || s.workers == nil {
		return nil
	}
	return s.workers.Close(ctx)
}

// relayOutbox hands due messages to the workers, batch at a time.
func (s *Sender) relayOutbox(ctx context.Context, batch int) {
	poll := time.NewTicker(s.cfg.Send.Relay)
	defer poll.Stop()
	for {
		due, err := s.Store.DueMessages(ctx, s.Now(), batch, outboxLease)
		if err != nil && ctx.Err() == nil {
			s.Logger.Warn("reading the outbox failed; retrying", "error", err)
		}
		if s.handBack(ctx, due) < len(due) {
			return
		}
		if len(due) == batch {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-poll.C:
		}
	}
}

// sendOutboxed sends one message taken from the outbox, or from the relay
// of interrupted attempts. Like a stage's delivery, a retryable failure is
// tried again at once, after the failure's Retry-After and a backoff
// (pipeline.retry), up to max_retries times; past those, or for a requeue,
// the message stays where the outbox (it was queued again, due later) or
// the relay of interrupted attempts takes it again. A permanent failure is
// dead-lettered with the command, for a replay that queues it again.
func (s *Sender) sendOutboxed(ctx context.Context, d store.DeferredMessage) {
	r := s.cfg.Retry
	for attempt := 1; ; attempt++ {
		err := s.attempt(ctx, d)
		switch {
		case err == nil:
			return
		case fault.IsPermanent(err):
			if derr := s.DeadLetter(context.WithoutCancel(ctx), d, err); derr != nil {
				s.Logger.Error("storing a dead letter failed; the message stays held", "tenant", d.Tenant, "key", d.Key,
					"reason", err, "error", derr)
			}
			return
		case fault.IsRequeue(err) || attempt > r.MaxRetries:
			s.Logger.Debug("message left for a later attempt", "tenant", d.Tenant, "key", d.Key, "error", err)
			return
		}
		select {
		case <-time.After(max(min(fault.RetryAfter(err), s.cfg.MaxRetryAfter), backoff(r, attempt))):
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// attempt makes one attempt at a message, bounded by
// pipeline.handler_timeout, and measures it as a stage's.
func (s *Sender) attempt(ctx context.Context, d store.DeferredMessage) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.HandlerTimeout)
	defer cancel()
	start := time.Now()
	ctx, span := s.Tracing.Start(s.Tracing.WithTraceParent(ctx, d.Trace), "process outbox", trace.SpanKindConsumer)
	if span.IsRecording() {
		span.SetAttributes(telemetry.OutboxAttributes(d.Tenant, d.Key)...)
	}
	err := s.Send(ctx, d.Command)
	telemetry.End(span, err)
	s.Metrics.Duration.Observe(time.Since(start).Seconds())
	switch {
	case err == nil:
		s.Metrics.Processed.Inc()
	case fault.IsPermanent(err):
		s.Metrics.Failed.WithLabelValues("permanent").Inc()
	default:
		s.Metrics.Failed.WithLabelValues("retryable").Inc()
	}
	return err
}
