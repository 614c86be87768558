package process

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/trace"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/chat"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
	"github.com/loyalhub/loyalhub/pipelines/telemetry"
)

// Process is the process stage: it takes a delivery from shops, CRMs and
// POS systems through to the outbox: it maps the delivery to events (jq),
// and runs each event's commerce handling and loyalty transaction, which
// writes the event's notifications to the outbox and its member to the
// write-back queue in the same store transaction. The events of a delivery (a CSV batch, a POS
// batch) run together in waves (processEvents), and concurrent deliveries'
// events with them: the stores commit the transactions waiting at the same
// moment together (pipeline.batch), each isolated in its own savepoint.
//
// One bad event of a delivery is dead-lettered alone, as a mapped event a
// replay runs without mapping again; the others go on. Any other failure
// (a store error, a refund that arrived before its order) retries the whole
// delivery, whose events that committed replay and change nothing.
func (l *Lanes) Process(msg *message.Message) error {
	ev, mapped, err := mappedEvent(msg)
	if err != nil {
		return err
	}
	if mapped {
		return l.processOne(msg, ev)
	}
	events, err := l.mapEvents(msg, l.processLane())
	if err != nil {
		return err
	}
	errs := l.processEvents(msg, events)
	for i, err := range errs {
		if err == nil {
			continue
		}
		if !fault.IsPermanent(err) || len(events) == 1 {
			// A delivery of one event fails whole: its dead letter is the
			// delivery, whose replay maps it again (after a mapping fix).
			return err
		}
		if err := l.deadLetterEvent(l.processLane(), msg, events[i], err); err != nil {
			return err
		}
	}
	return nil
}

// processEvents runs the events of one delivery in waves of up to
// BatchSize events (at least one) at once, so that their transactions commit together. A
// wave ends before an event that names an order, member, phone, customer id
// or email an event of the wave names, so that one customer's events apply
// in the delivery's order (a refund after its sale), and before an event
// that is not a sale's (consent, checkout, privacy), which runs alone. It
// returns the errors of the events it ran, in their order; after a wave
// with a failure that is not the event's own, it runs no more.
func (l *Lanes) processEvents(msg *message.Message, events []event.Event) []error {
	errs := make([]error, 0, len(events))
	limit := max(l.BatchSize, 1)
	for len(errs) < len(events) {
		from := len(errs)
		n := waveLen(events[from:], limit)
		errs = errs[:from+n]
		if n == 1 {
			errs[from] = l.processOne(msg, events[from])
		} else {
			var wg sync.WaitGroup
			for i := from; i < from+n; i++ {
				wg.Go(func() { errs[i] = l.processOne(msg, events[i]) })
			}
			wg.Wait()
		}
		for _, err := range errs[from:] {
			if err != nil && !fault.IsPermanent(err) {
				return errs
			}
		}
	}
	return errs
}

// waveLen is how many of events, from the first, run together: at most
// limit, up to the first event that names a customer or order an earlier one
// of them names, or that is to run alone (see processEvents).
func waveLen(events []event.Event, limit int) int {
	if len(events) <= 1 {
		// A delivery of one sale (most webhooks): nothing to decode.
		return len(events)
	}
	seen := map[string]struct{}{}
	for i, ev := range events {
		if i == limit {
			return i
		}
		keys, alone := waveKeys(ev)
		if alone {
			return max(i, 1)
		}
		for _, k := range keys {
			if _, ok := seen[k]; ok {
				return i
			}
		}
		for _, k := range keys {
			seen[k] = struct{}{}
		}
	}
	return len(events)
}

// waveKeys returns what an event names of its customer and order, as the
// delivery wrote them; alone is true for an event that is not a sale's.
func waveKeys(ev event.Event) (keys []string, alone bool) {
	if isCommerceEvent(ev.Type) {
		return nil, true
	}
	var d struct {
		OrderID    string          `json:"order_id"`
		MemberID   string          `json:"member_id"`
		Phone      string          `json:"phone"`
		CustomerID json.RawMessage `json:"customer_id"`
		Email      string          `json:"email"`
	}
	if json.Unmarshal(ev.Data, &d) != nil {
		return nil, true
	}
	add := func(kind, v string) {
		if v != "" {
			keys = append(keys, kind+v)
		}
	}
	add("order:", d.OrderID)
	add("member:", d.MemberID)
	add("phone:", phoneDigits(d.Phone))
	add("customer:", customerID(d.CustomerID))
	add("email:", strings.ToLower(strings.TrimSpace(d.Email)))
	return keys, false
}

// phoneDigits is the last nine digits of a phone number as written: enough
// to tell one customer's number from another's whatever the prefix.
func phoneDigits(raw string) string {
	var b []byte
	for i := len(raw) - 1; i >= 0 && len(b) < 9; i-- {
		if c := raw[i]; c >= '0' && c <= '9' {
			b = append(b, c)
		}
	}
	return string(b)
}

// processOne processes one event of the delivery msg, and counts it once
// processed.
func (l *Lanes) processOne(msg *message.Message, ev event.Event) error {
	ctx, span := l.Tracing.Start(msg.Context(), "process event", trace.SpanKindInternal)
	if span.IsRecording() {
		span.SetAttributes(telemetry.AttrEventType.String(ev.Type), telemetry.AttrEventID.String(ev.ID))
	}
	err := l.processEvent(ctx, ev, receivedAt(msg, ev))
	telemetry.End(span, err)
	if err != nil {
		return err
	}
	l.Metrics.EventsProcessed.Inc()
	return nil
}

// processEvent applies the tenant's program (and commerce handling) to one
// event. A redelivered event finds itself recorded as processed and changes
// nothing; what it queued was written with it.
func (l *Lanes) processEvent(ctx context.Context, ev event.Event, received time.Time) error {
	t, ok := l.Tenants.Tenant(ev.Tenant)
	if !ok {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("unknown tenant %q", ev.Tenant))
	}
	if handled, err := l.commerceEvent(ctx, t, ev); handled {
		return err
	}
	if token := checkoutOf(ev); token != "" {
		if err := l.completeCheckout(ctx, ev.Tenant, token, ev.OccurredAt); err != nil {
			return err
		}
	}
	if !t.Program.Handles(ev.Type) {
		return nil
	}
	ref, err := AccountRef(t.Config.DefaultRegion, ev)
	if errors.Is(err, errNamesNobody) {
		// A guest's sale with no phone, customer id or email: no member
		// to credit or create. A phone that is not a number, with
		// nothing else, is a bad event, dead-lettered below.
		l.Metrics.EventsWithoutPhone.WithLabelValues(ev.Tenant, ev.Type).Inc()
		return nil
	}
	if err != nil {
		return fault.Permanent(fault.ClassRequest, err)
	}
	res, err := l.Transact(ctx, t, "", ev.ID, ref, ev.OccurredAt, func(a *loyalty.Account) error {
		return t.Program.Apply(a, ev)
	})
	if errors.Is(err, loyalty.ErrLimit) {
		l.Metrics.LimitRefusals.WithLabelValues(ev.Tenant, ev.Type).Inc()
	}
	refund := ev.Type == event.TypeOrderRefunded || ev.Type == event.TypeOrderCancelled
	if refund && errors.Is(err, store.ErrNoMember) {
		err = fmt.Errorf("%w: %s", loyalty.ErrOrderNotFound, ref.OrderID)
	}
	switch {
	case errors.Is(err, loyalty.ErrOrderNotFound):
		// A refund may overtake its order: retry until the order has had
		// time to arrive. It goes back to the queue rather than waiting
		// in a worker, which the order itself may need.
		if waited := l.Now().Sub(received); waited < t.Program.RefundWait {
			return fault.Requeue(fault.ClassRequest, fmt.Errorf("%s for %w; retrying for up to %s", ev.Type, err, t.Program.RefundWait-waited))
		}
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("%s for %w after waiting %s for the order", ev.Type, err, t.Program.RefundWait))
	case errors.Is(err, loyalty.ErrBadEvent), errors.Is(err, store.ErrNoMember), errors.Is(err, loyalty.ErrInsufficientPoints):
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("event %s (%s): %w", ev.ID, ev.Type, err))
	case err != nil:
		return fmt.Errorf("applying the loyalty program: %w", err)
	}
	if len(res.Merged) > 0 {
		l.Metrics.MembersMerged.WithLabelValues(ev.Tenant).Add(float64(len(res.Merged)))
		l.Logger.Info("members merged", "tenant", ev.Tenant, "event", ev.ID, "member", res.Member.ID, "merged", res.Merged)
	}
	if err := l.invite(ctx, t, ev, res.Member); err != nil {
		return err
	}
	if !res.Replayed {
		for _, oc := range res.Outcomes {
			if n, ok := oc.Data["points"].(int64); ok && oc.Type == loyalty.OutcomePointsEarned {
				l.Metrics.PointsAwarded.WithLabelValues(ev.Tenant).Add(float64(n))
			}
		}
	}
	return nil
}

// invite invites the member of ev to the tenant's surveys ev triggers. It
// runs on a replayed event too: an invitation is written once, by its id,
// so a crash after the loyalty transaction loses none.
func (l *Lanes) invite(ctx context.Context, t *runtime.Tenant, ev event.Event, m loyalty.Member) error {
	triggers := false
	for _, s := range t.Config.Surveys {
		triggers = triggers || s.Trigger == ev.Type
	}
	if !triggers || m.Phone == "" {
		return nil
	}
	var d struct {
		OrderID string `json:"order_id"`
		StoreID string `json:"store_id"`
	}
	_ = json.Unmarshal(ev.Data, &d) // read by AccountRef already
	return l.Chat.Invite(ctx, t, chat.Trigger{Type: ev.Type, EventID: ev.ID, At: ev.OccurredAt, MemberID: m.ID, Phone: m.Phone,
		OrderID: d.OrderID, StoreID: d.StoreID})
}
