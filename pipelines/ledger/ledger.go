package ledger

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
	"github.com/loyalhub/loyalhub/pipelines/telemetry"
)

// Store is what the ledger writes: the loyalty transactions, the
// redemptions they settle and the outbox.
type Store interface {
	store.Accounts
	store.Rewards
	// EnqueueMessages writes messages to the outbox (see store.Messages).
	EnqueueMessages(ctx context.Context, ms []store.Message) error
}

// Metrics are the ledger's instruments.
type Metrics struct {
	// Skipped counts notifications left unwritten, by reason
	// (loyalhub_messages_skipped_total; here no_phone).
	Skipped *prometheus.CounterVec // tenant, reason
	// ParamsFitted counts notification texts cut or cleaned to fit
	// WhatsApp's limits (loyalhub_notify_params_fitted_total).
	ParamsFitted *prometheus.CounterVec // tenant, rule
}

// Deps are what the ledger works with.
type Deps struct {
	Store Store
	// Now is the hub's clock: the times of the messages it queues.
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics Metrics
	// Wake tells the sender that messages were queued; it is called after
	// every commit that may have written some.
	Wake func()
	// Tracing traces the transactions and keeps the trace context of the
	// messages they queue in the outbox (nil: nothing).
	Tracing *telemetry.Tracing
}

// Ledger runs the tenants' loyalty transactions with their effects and
// queues commands to the outbox. Make it with New; it is safe for
// concurrent use.
type Ledger struct {
	d Deps
}

// New returns a ledger; it does no I/O.
func New(d Deps) *Ledger { return &Ledger{d: d} }

// Transact runs a loyalty transaction of tenant t with its effects (the
// notifications of its outcomes in the outbox, write-backs), then its
// follow-ups (a referrer's reward, say), each a transaction of its own with
// the same effects. via marks the reward.redeemed outcomes with where the
// member asked for the reward. A follow-up that ran before replays and
// changes nothing, so a caller that failed midway runs it all again. See
// store.Accounts for the rest.
func (l *Ledger) Transact(ctx context.Context, t *runtime.Tenant, via, eventID string, ref store.AccountRef, at time.Time,
	fn func(a *loyalty.Account) error) (store.AccountResult, error) {
	tl := l.Tenant(t, via)
	res, err := tl.Transact(ctx, t.ID, eventID, ref, at, fn)
	if err != nil || len(res.FollowUps) == 0 {
		return res, err
	}
	_, err = RunFollowUps(ctx, tl, t.ID, t.Program, res.FollowUps, nil)
	return res, err
}

// Tenant is the store as tenant t's loyalty transactions use it: every
// transaction on it writes its effects (via as for Transact) and wakes the
// sender once committed. A redemption is confirmed or released on it.
func (l *Ledger) Tenant(t *runtime.Tenant, via string) store.RedemptionStore {
	return tenantLedger{Store: l.d.Store, l: l, t: t, via: via}
}

// tenantLedger is Ledger.Tenant's store.
type tenantLedger struct {
	Store
	l   *Ledger
	t   *runtime.Tenant
	via string
}

// Transact runs a loyalty transaction with the tenant's effects; see
// store.Accounts.
func (tl tenantLedger) Transact(ctx context.Context, tenant, eventID string, ref store.AccountRef, at time.Time,
	fn func(a *loyalty.Account) error) (res store.AccountResult, err error) {
	if ref.Effects == nil {
		ref.Effects = tl.l.Effects(tl.t, eventID, at, tl.via)
	}
	ctx, span := tl.l.d.Tracing.Start(ctx, "loyalty transact", trace.SpanKindInternal)
	queued := 0
	if span.IsRecording() {
		// The messages the transaction queues carry its span to the
		// send attempt.
		tp, effects := tl.l.d.Tracing.TraceParent(ctx), ref.Effects
		ref.Effects = func(res store.AccountResult) (store.Effects, error) {
			e, err := effects(res)
			for i := range e.Messages {
				e.Messages[i].Trace = tp
			}
			queued = len(e.Messages)
			return e, err
		}
	}
	defer func() {
		if span.IsRecording() {
			span.SetAttributes(telemetry.AttrTenant.String(tenant), telemetry.AttrEventID.String(eventID),
				telemetry.AttrOutcomes.Int(len(res.Outcomes)), telemetry.AttrMessages.Int(queued))
		}
		telemetry.End(span, err)
	}()
	res, err = tl.Store.Transact(ctx, tenant, eventID, ref, at, fn)
	if err == nil {
		tl.l.d.Wake()
	}
	return res, err
}

// Enqueue writes commands to the outbox in one transaction, one
// microsecond apart in their order, and wakes the sender.
func (l *Ledger) Enqueue(ctx context.Context, cmds []messaging.Command) error {
	ms := make([]store.Message, 0, len(cmds))
	now := l.d.Now()
	for _, cmd := range cmds {
		if err := cmd.Validate(); err != nil {
			return fmt.Errorf("message %s: %w", cmd.Key, err)
		}
		var err error
		if ms, err = appendQueued(ms, cmd, now); err != nil {
			return err
		}
	}
	if tp := l.d.Tracing.TraceParent(ctx); tp != "" {
		for i := range ms {
			ms[i].Trace = tp
		}
	}
	if err := l.d.Store.EnqueueMessages(ctx, ms); err != nil {
		return fmt.Errorf("queueing messages: %w", err)
	}
	l.d.Wake()
	return nil
}

// EnqueueDue writes a command to the outbox, due at due: the relay sends it
// then (a survey's invitation after its delay). A command due now wakes the
// sender.
func (l *Ledger) EnqueueDue(ctx context.Context, cmd messaging.Command, due time.Time) error {
	if err := cmd.Validate(); err != nil {
		return fmt.Errorf("message %s: %w", cmd.Key, err)
	}
	m, err := OutboxMessage(cmd)
	if err != nil {
		return err
	}
	now := l.d.Now()
	m.CreatedAt, m.DueAt = now, due
	m.Trace = l.d.Tracing.TraceParent(ctx)
	if err := l.d.Store.EnqueueMessages(ctx, []store.Message{m}); err != nil {
		return fmt.Errorf("queueing message: %w", err)
	}
	if !due.After(now) {
		l.d.Wake()
	}
	return nil
}
