package pipelines

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
)

// Stage (handler) names, as they appear in metrics and dead letters.
const (
	StageMapping    = "mapping"
	StageLoyalty    = "loyalty"
	StageNotify     = "notify"
	StageSend       = "send"
	StageDeadLetter = "deadletter"
)

// mapStage turns a raw delivery into normalized events with the mapping of
// its tenant's connector.
func (h *Hub) mapStage(msg *message.Message) ([]*message.Message, error) {
	events, err := h.mapEvents(msg, StageMapping, TopicInbound)
	if err != nil {
		return nil, err
	}
	return eventMessages(msg, events)
}

// mapEvents maps a delivery, consumed by stage from topic, to its events.
// The items the mapping failed are dead-lettered one by one first, and the
// parts it left aside counted, so that the events go on.
func (h *Hub) mapEvents(msg *message.Message, stage, topic string) ([]event.Event, error) {
	d, err := deliveryFromMessage(msg)
	if err != nil {
		return nil, fault.Permanent(fault.ClassRequest, err)
	}
	c, ok := h.connector(d.Tenant, d.Connector)
	if !ok || c.program == nil {
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("no mapping for connector %q of tenant %q", d.Connector, d.Tenant))
	}
	body := msg.Payload
	if c.enricher != nil {
		body, err = c.enricher.Enrich(msg.Context(), connectors.Delivery{ID: d.DeliveryID, Topic: d.Topic, Meta: d.Meta}, body)
		if err != nil {
			return nil, fmt.Errorf("enriching delivery %s: %w", d.DeliveryID, err)
		}
	}
	res, err := c.program.Map(msg.Context(), d, body)
	if err != nil {
		return nil, fmt.Errorf("mapping delivery %s: %w", d.DeliveryID, err)
	}
	if err := h.deadLetterItems(msg, d, stage, topic, res.Failed); err != nil {
		return nil, err
	}
	h.countIgnored(d, res.Ignored)
	return res.Events, nil
}

func eventMessages(msg *message.Message, events []event.Event) ([]*message.Message, error) {
	out := make([]*message.Message, 0, len(events))
	for _, ev := range events {
		m, err := jsonMessage(ev.ID, ev)
		if err != nil {
			return nil, err
		}
		m.Metadata.Set(MetaTenant, ev.Tenant)
		m.Metadata.Set(MetaType, ev.Type)
		m.Metadata.Set(MetaReceivedAt, msg.Metadata.Get(MetaReceivedAt))
		out = append(out, m)
	}
	return out, nil
}

// loyaltyStage applies the tenant's program to an event in one store
// transaction and emits its outcomes. A redelivered event finds itself
// recorded as processed and emits the same outcomes again (same ids), so
// nothing downstream is lost or doubled.
func (h *Hub) loyaltyStage(msg *message.Message) ([]*message.Message, error) {
	var ev event.Event
	if err := json.Unmarshal(msg.Payload, &ev); err != nil {
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding event: %w", err))
	}
	t, ok := h.tenants[ev.Tenant]
	if !ok {
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("unknown tenant %q", ev.Tenant))
	}
	if handled, err := h.commerceEvent(msg.Context(), t, ev); handled {
		return nil, err
	}
	if token := checkoutOf(ev); token != "" {
		if err := h.completeCheckout(msg.Context(), ev.Tenant, token, ev.OccurredAt); err != nil {
			return nil, err
		}
	}
	if !t.program.Handles(ev.Type) {
		return nil, nil
	}
	ref, err := AccountRef(t.cfg.DefaultRegion, ev)
	if errors.Is(err, errNamesNobody) {
		// A guest's sale with no phone, customer id or email: no member
		// to credit or create. A phone that is not a number, with
		// nothing else, is a bad event, dead-lettered below.
		h.metrics.EventsWithoutPhone.WithLabelValues(ev.Tenant, ev.Type).Inc()
		return nil, nil
	}
	if err != nil {
		return nil, fault.Permanent(fault.ClassRequest, err)
	}
	res, err := h.store.Transact(msg.Context(), ev.Tenant, ev.ID, ref, ev.OccurredAt, func(a *loyalty.Account) error {
		return t.program.Apply(a, ev)
	})
	if errors.Is(err, loyalty.ErrLimit) {
		h.metrics.LimitRefusals.WithLabelValues(ev.Tenant, ev.Type).Inc()
	}
	refund := ev.Type == event.TypeOrderRefunded || ev.Type == event.TypeOrderCancelled
	if refund && errors.Is(err, store.ErrNoMember) {
		err = fmt.Errorf("%w: %s", loyalty.ErrOrderNotFound, ref.OrderID)
	}
	switch {
	case errors.Is(err, loyalty.ErrOrderNotFound):
		// A refund may overtake its order: retry until the order has had
		// time to arrive.
		// It goes back to the queue rather than waiting in a worker,
		// which the order itself may need.
		if waited := time.Since(receivedAt(msg, ev)); waited < t.program.RefundWait {
			return nil, fault.Requeue(fault.ClassRequest, fmt.Errorf("%s for %w; retrying for up to %s", ev.Type, err, t.program.RefundWait-waited))
		}
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("%s for %w after waiting %s for the order", ev.Type, err, t.program.RefundWait))
	case errors.Is(err, loyalty.ErrBadEvent), errors.Is(err, store.ErrNoMember), errors.Is(err, loyalty.ErrInsufficientPoints):
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("event %s (%s): %w", ev.ID, ev.Type, err))
	case err != nil:
		return nil, fmt.Errorf("applying the loyalty program: %w", err)
	}
	if len(res.Merged) > 0 {
		h.metrics.MembersMerged.WithLabelValues(ev.Tenant).Add(float64(len(res.Merged)))
		h.logger.Info("members merged", "tenant", ev.Tenant, "event", ev.ID, "member", res.Member.ID, "merged", res.Merged)
	}
	if !res.Replayed {
		for _, oc := range res.Outcomes {
			if n, ok := oc.Data["points"].(int64); ok && oc.Type == loyalty.OutcomePointsEarned {
				h.metrics.PointsAwarded.WithLabelValues(ev.Tenant).Add(float64(n))
			}
		}
	}
	out, err := outcomeMessages(ev.Tenant, ev.ID, ev.OccurredAt, res)
	if err != nil {
		return nil, err
	}
	more, err := followUpMessages(msg.Context(), h.store, ev.Tenant, t.program, res.FollowUps)
	if err != nil {
		return nil, err
	}
	return append(out, more...), nil
}

// RunFollowUps runs the follow-ups of a committed loyalty transaction (a
// referrer's reward, say), each as a transaction and event of its own, and
// returns their results in order. One that ran before replays and changes
// nothing, so a caller that failed midway runs them all again.
func RunFollowUps(ctx context.Context, st store.Accounts, tenant string, p *loyalty.Program,
	fus []loyalty.FollowUp) ([]store.AccountResult, error) {
	out := make([]store.AccountResult, 0, len(fus))
	for _, f := range fus {
		res, err := st.Transact(ctx, tenant, f.EventID, store.AccountRef{MemberID: f.MemberID}, f.At,
			func(a *loyalty.Account) error { return p.CompleteReferral(a, f) })
		if err != nil {
			return out, fmt.Errorf("follow-up %s of member %s: %w", f.Kind, f.MemberID, err)
		}
		out = append(out, res)
	}
	return out, nil
}

// followUpMessages runs follow-ups and returns their outcome messages.
func followUpMessages(ctx context.Context, st store.Accounts, tenant string, p *loyalty.Program,
	fus []loyalty.FollowUp) ([]*message.Message, error) {
	if len(fus) == 0 {
		return nil, nil
	}
	results, err := RunFollowUps(ctx, st, tenant, p, fus)
	if err != nil {
		return nil, err
	}
	var out []*message.Message
	for i, res := range results {
		msgs, err := outcomeMessages(tenant, fus[i].EventID, fus[i].At, res)
		if err != nil {
			return nil, err
		}
		out = append(out, msgs...)
	}
	return out, nil
}

// receivedAt is when the event's delivery reached the hub, else when the
// event occurred.
func receivedAt(msg *message.Message, ev event.Event) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, msg.Metadata.Get(MetaReceivedAt)); err == nil {
		return t
	}
	return ev.OccurredAt
}

// notifyStage turns an outcome into message commands with the tenant's
// notification rules.
func (h *Hub) notifyStage(msg *message.Message) ([]*message.Message, error) {
	var o event.Outcome
	if err := json.Unmarshal(msg.Payload, &o); err != nil {
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding outcome: %w", err))
	}
	t, ok := h.tenants[o.Tenant]
	if !ok {
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("unknown tenant %q", o.Tenant))
	}
	if strings.HasPrefix(o.Member.Phone, store.RedactedPrefix) {
		return nil, nil // an erased member: nobody to write to
	}
	if sentInChat(o) {
		return nil, nil // the chat's answer carried it
	}
	var out []*message.Message
	for _, n := range t.notifications {
		if n.on != o.Type {
			continue
		}
		if o.Member.Phone == "" {
			// A member a shop knows by customer id or email alone:
			// nobody to write to on WhatsApp until a phone joins them.
			h.metrics.MessagesSkipped.WithLabelValues(o.Tenant, skipNoPhone).Inc()
			h.logger.Debug("notification skipped: the member has no phone", "tenant", o.Tenant,
				"notification", n.name, "member", o.Member.ID, "outcome", o.Type)
			continue
		}
		cmd, ok, err := n.renderer.Render(o)
		if err != nil {
			return nil, fmt.Errorf("rendering notification %q: %w", n.name, err)
		}
		if !ok {
			continue
		}
		if fitted := cmd.Fitted(); fitted > 0 {
			h.metrics.ParamsFitted.WithLabelValues(cmd.Tenant, n.name).Add(float64(fitted))
		}
		m, err := jsonMessage(cmd.Key, cmd)
		if err != nil {
			return nil, err
		}
		m.Metadata.Set(MetaTenant, cmd.Tenant)
		out = append(out, m)
	}
	return out, nil
}

// resolveEarlierAttempt decides what to do with a message whose key is
// already claimed. A sending or unknown message had an attempt whose
// outcome was lost: before its deadline the command is retried later (a
// status webhook may still come); after it, the unknown policy applies. It
// returns claimed=true when the caller now owns a new attempt.
func (h *Hub) resolveEarlierAttempt(ctx context.Context, cur store.Message) (claimed bool, err error) {
	switch cur.Status {
	case store.MessageSending, store.MessageUnknown:
	default:
		return false, nil
	}
	if h.sending.has(cur.Key) {
		return false, fault.Retryable(fault.ClassTransient,
			fmt.Errorf("message %s: an attempt is waiting for the BSP's answer", cur.Key), time.Second)
	}
	send := h.cfg.Pipeline.Send
	deadline := attemptDeadline(cur.Status, cur.UpdatedAt, h.startedAt, h.cfg.Queue.AckWait, send.UnknownGrace)
	if wait := time.Until(deadline); wait > 0 {
		err := fmt.Errorf("message %s: waiting until %s for the status of an earlier attempt",
			cur.Key, deadline.UTC().Format(time.RFC3339))
		switch waitFor(wait, h.inlineWait, send.UnknownPolicy, !h.cfg.Pipeline.Scheduler.Disabled) {
		case waitInline:
			return false, fault.Retryable(fault.ClassTransient, err, wait)
		case waitForRelay:
			h.logger.Debug("interrupted send attempt left to the relay", "tenant", cur.Tenant, "key", cur.Key,
				"deadline", deadline)
			return false, nil
		default:
			return false, fault.Requeue(fault.ClassTransient, err)
		}
	}
	if send.UnknownPolicy == config.UnknownHold {
		if cur.Status == store.MessageSending {
			if err := h.store.MarkUnknown(ctx, cur.Key, "no status webhook within the grace period", time.Now()); err != nil {
				return false, fmt.Errorf("recording unknown message: %w", err)
			}
		}
		return false, nil
	}
	claimed, err = h.store.RetakeMessage(ctx, cur, connectors.AmbiguousCode,
		"no status webhook within the grace period: sending again under the same key", time.Now())
	if err != nil {
		return false, fmt.Errorf("retaking message: %w", err)
	}
	if claimed {
		h.metrics.MessagesResent.WithLabelValues(cur.Tenant).Inc()
		h.logger.Info("no status webhook for an interrupted send attempt: sending again under the same key",
			"tenant", cur.Tenant, "key", cur.Key, "attempts", cur.Attempts+1)
	}
	return claimed, nil
}

// deadLetterStage stores poisoned messages with their reason.
func (h *Hub) deadLetterStage(msg *message.Message) error {
	d := store.DeadLetter{
		ID:        msg.UUID,
		Tenant:    msg.Metadata.Get(MetaTenant),
		Topic:     msg.Metadata.Get("topic_poisoned"),
		Handler:   msg.Metadata.Get("handler_poisoned"),
		Reason:    msg.Metadata.Get("reason_poisoned"),
		Payload:   msg.Payload,
		Metadata:  maps.Clone(map[string]string(msg.Metadata)),
		CreatedAt: time.Now().UTC(),
	}
	if err := h.storeDeadLetter(msg.Context(), d); err != nil {
		return fmt.Errorf("storing dead letter: %w", err)
	}
	return nil
}

// storeDeadLetter stores d, counts it under the stage that gave up
// (d.Handler) and logs it.
func (h *Hub) storeDeadLetter(ctx context.Context, d store.DeadLetter) error {
	if err := h.store.AddDeadLetter(ctx, d); err != nil {
		return err
	}
	h.metrics.DeadLetters.WithLabelValues(d.Handler).Inc()
	h.logger.Warn("dead letter stored", "tenant", d.Tenant, "connector", d.Metadata[MetaConnector], "stage", d.Handler,
		"id", d.ID, "reason", d.Reason)
	return nil
}

func deliveryFromMessage(msg *message.Message) (event.Delivery, error) {
	d := event.Delivery{
		Tenant:     msg.Metadata.Get(MetaTenant),
		Connector:  msg.Metadata.Get(MetaConnector),
		Kind:       msg.Metadata.Get(MetaKind),
		DeliveryID: msg.Metadata.Get(MetaDeliveryID),
		Topic:      msg.Metadata.Get(MetaTopic),
		Body:       msg.Payload,
	}
	if d.Tenant == "" || d.Connector == "" {
		return d, errors.New("delivery has no tenant or connector metadata")
	}
	for k, v := range msg.Metadata {
		if name, ok := strings.CutPrefix(k, MetaSourcePrefix); ok {
			if d.Meta == nil {
				d.Meta = map[string]string{}
			}
			d.Meta[name] = v
		}
	}
	if ts := msg.Metadata.Get(MetaReceivedAt); ts != "" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return d, fmt.Errorf("delivery received_at: %w", err)
		}
		d.ReceivedAt = t
	}
	return d, nil
}

func jsonMessage(uuid string, v any) (*message.Message, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("encoding %T: %w", v, err))
	}
	return message.NewMessage(uuid, b), nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
