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
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
)

// Stage (handler) names, as they appear in metrics and dead letters.
const (
	StageProcess    = "process"
	StageMappingBSP = "mapping_bsp"
	StageStatus     = "status"
	StageSend       = "send"
	StageDeadLetter = "deadletter"
)

// mapBSPStage maps a BSP's webhook like mapStage, and applies its delivery
// reports to the message log at once, in one transaction per webhook: they
// are most of a BSP's traffic (three per message sent) and need nothing but
// the message log. Its other events (customers' messages, consent and
// template changes, and failed deliveries, which the hub acts on) go on to
// the BSP stage. A redelivered webhook applies its reports again, which
// changes nothing.
func (h *Hub) mapBSPStage(msg *message.Message) ([]*message.Message, error) {
	events, err := h.mapEvents(msg, StageMappingBSP, TopicInboundBSP)
	if err != nil {
		return nil, err
	}
	var updates []store.StatusUpdate
	rest := events[:0]
	for _, ev := range events {
		if ev.Type != event.TypeMessageStatus {
			rest = append(rest, ev)
			continue
		}
		u, st, err := statusUpdate(ev)
		if err != nil || u.Status == store.MessageFailed {
			// A report this stage cannot apply goes on alone, so that
			// it is dead-lettered with its reason without holding back
			// the rest of the webhook.
			rest = append(rest, ev)
			continue
		}
		if u.Status == "" {
			h.metrics.StatusesIgnored.WithLabelValues(ev.Tenant, metricLabel(st.Status)).Inc()
			continue // a status the message log does not track
		}
		updates = append(updates, u)
	}
	if len(updates) > 0 {
		missing, err := h.store.ApplyStatuses(msg.Context(), updates)
		if err != nil {
			return nil, fmt.Errorf("applying statuses: %w", err)
		}
		for i, m := range missing {
			if m {
				// A report for a message this hub did not send (another
				// system on the same number): nothing to update.
				h.metrics.StatusUnmatched.WithLabelValues(updates[i].Tenant).Inc()
			}
		}
		h.metrics.StatusesApplied.Add(float64(len(updates)))
	}
	return eventMessages(msg, rest)
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

// receivedAt is when the event's delivery reached the hub, else when the
// event occurred.
func receivedAt(msg *message.Message, ev event.Event) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, msg.Metadata.Get(MetaReceivedAt)); err == nil {
		return t
	}
	return ev.OccurredAt
}

// bspStage applies what a BSP's webhooks report: delivery statuses to the
// message log, customers' messages to their contacts (opening the 24-hour
// window; a redelivered message is dropped), consent changes, and template
// status changes to the sender's template list.
func (h *Hub) bspStage(msg *message.Message) error {
	var ev event.Event
	if err := json.Unmarshal(msg.Payload, &ev); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding event: %w", err))
	}
	switch msg.Metadata.Get(MetaType) {
	case event.TypeMessageStatus:
		return h.applyStatus(msg.Context(), ev)
	case event.TypeMessageReceived:
		return h.receiveMessage(msg.Context(), ev)
	case event.TypeConsentChanged:
		return h.changeConsent(msg.Context(), h.tenants[ev.Tenant], ev)
	case event.TypeIdentityChanged:
		return h.changeIdentity(msg.Context(), ev)
	case event.TypeTemplateStatus:
		return h.templateStatus(ev)
	case event.TypeWebhookError:
		return h.webhookError(ev)
	case event.TypeTemplateQuality, event.TypeNumberQuality:
		h.logger.Info("whatsapp quality update", "tenant", ev.Tenant, "connector", ev.Connector, "type", ev.Type, "data", string(ev.Data))
	}
	return nil
}

func (h *Hub) applyStatus(ctx context.Context, ev event.Event) error {
	u, st, err := statusUpdate(ev)
	if err != nil {
		return err
	}
	if u.Status == "" {
		h.metrics.StatusesIgnored.WithLabelValues(ev.Tenant, metricLabel(st.Status)).Inc()
		return nil // a status the message log does not track
	}
	h.metrics.StatusesApplied.Inc()
	if _, err := h.store.ApplyStatus(ctx, u); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("applying status: %w", err)
		}
		h.metrics.StatusUnmatched.WithLabelValues(ev.Tenant).Inc()
	}
	if u.Status == store.MessageFailed {
		return h.deliveryFailed(ctx, ev, st, u)
	}
	return nil
}

// statusUpdate reads a message.status event.
func statusUpdate(ev event.Event) (store.StatusUpdate, event.MessageStatus, error) {
	var st event.MessageStatus
	if err := json.Unmarshal(ev.Data, &st); err != nil {
		return store.StatusUpdate{}, st, fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding message.status data: %w", err))
	}
	u := store.StatusUpdate{
		Tenant:            ev.Tenant,
		ProviderMessageID: st.ProviderMessageID,
		Key:               st.CallbackData,
		Status:            st.Status,
		At:                st.Timestamp,
	}
	if len(st.Errors) > 0 {
		u.ErrorCode = fmt.Sprint(st.Errors[0].Code)
		u.Error = firstNonEmpty(st.Errors[0].Details, st.Errors[0].Message, st.Errors[0].Title)
	}
	switch u.Status {
	case store.MessageSent, store.MessageDelivered, store.MessageRead, store.MessageFailed:
	default:
		// Nothing the message log tracks: played (a voice or video
		// message was played) follows read, deleted says a customer
		// deleted their own message, the log's own states are not a
		// BSP's to report, and a status WhatsApp adds later is no reason
		// for a dead letter that could never succeed.
		u.Status = ""
	}
	return u, st, nil
}

// deliveryFailed acts on a message WhatsApp accepted and then reported
// failed, as the send stage acts on the same refusal answered at once
// (Meta reports most recipient refusals this way): 131050 revokes the
// recipient's marketing consent, 131049 holds them from marketing for 24
// hours, 131047 sends the message's fallback template or dead-letters it
// with the reason, and a template error counts as a configuration error
// and fetches the account's templates again.
func (h *Hub) deliveryFailed(ctx context.Context, ev event.Event, st event.MessageStatus, u store.StatusUpdate) error {
	code := u.ErrorCode
	if code == "" {
		code = "unknown"
	}
	h.metrics.DeliveryFailures.WithLabelValues(ev.Tenant, code).Inc()
	c, _ := h.connector(ev.Tenant, ev.Connector)
	var err error = fault.Permanent(fault.ClassRecipient, errors.New(u.Error))
	if c != nil && c.classifier != nil && len(st.Errors) > 0 {
		err = c.classifier.ClassifyDeliveryError(st.Errors[0].Code, u.Error)
	}
	var m store.Message
	if u.Key != "" {
		var lerr error
		m, lerr = h.store.Message(ctx, ev.Tenant, u.Key)
		if lerr != nil && !errors.Is(lerr, store.ErrNotFound) {
			return fmt.Errorf("reading the failed message: %w", lerr)
		}
	}
	// recipient_id is the wa_id WhatsApp delivered to: its canonical key
	// finds the contact whatever form of the number it is.
	ref := store.ContactRef{UserID: st.RecipientUserID}
	if id, perr := member.ParseWhatsAppID(st.RecipientID); perr == nil {
		ref.Phone = id.Key
	}
	if ref.Phone == "" && ref.UserID == "" && m.Recipient != "" {
		if strings.HasPrefix(m.Recipient, "+") {
			ref.Phone = member.PhoneKey(m.Recipient)
		} else {
			ref.UserID = m.Recipient
		}
	}
	h.logger.Info("whatsapp reported a message failed", "tenant", ev.Tenant, "connector", ev.Connector,
		"key", u.Key, "code", code, "class", fault.ClassOf(err))
	switch {
	case fault.ClassOf(err) == fault.ClassTemplate:
		h.metrics.ConfigErrors.WithLabelValues(ev.Tenant, ev.Connector, code).Inc()
		if c != nil {
			c.refreshSoon()
		}
	case code == messaging.CodeStopped || code == messaging.CodeEcosystem:
		if ref.Phone == "" && ref.UserID == "" {
			return nil // nobody to record it for
		}
		return h.recipientRefused(ctx, ev.Tenant, ref, code)
	case code == messaging.CodeReengagement:
		return h.windowClosedLate(ctx, m, err)
	}
	return nil
}

// windowClosedLate handles a free-form message WhatsApp accepted, then
// refused because the customer's 24-hour window had closed: its fallback
// template is sent under a key of its own, or, without one, the command is
// dead-lettered with the reason under a new key, for a replay once the
// customer writes again.
func (h *Hub) windowClosedLate(ctx context.Context, m store.Message, cause error) error {
	if len(m.Command) == 0 {
		return nil // not a free-form message of ours: nothing to resend
	}
	var cmd messaging.Command
	if err := json.Unmarshal(m.Command, &cmd); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding the failed message's command: %w", err))
	}
	if !messaging.FreeForm(cmd.Kind) {
		return nil // a template is not held to the window: nothing to resend
	}
	if cmd.Fallback != nil {
		fb := cmd.AsFallback()
		fb.Key = messaging.FallbackKey(cmd.Key)
		if err := h.enqueueCommands(ctx, []messaging.Command{fb}); err != nil {
			return fmt.Errorf("queueing the fallback template: %w", err)
		}
		h.metrics.MessagesFallback.WithLabelValues(fb.Tenant, messaging.CodeReengagement).Inc()
		return nil
	}
	cmd.Key = messaging.ResendKey(cmd.Key)
	payload, err := json.Marshal(cmd)
	if err != nil {
		return fmt.Errorf("encoding the command to resend: %w", err)
	}
	d := store.DeadLetter{
		ID: "resend_" + hashID([]byte(cmd.Key)), Tenant: cmd.Tenant, Topic: TopicOutbox, Handler: StageSend,
		Reason:  fmt.Sprintf("WhatsApp refused the message after accepting it and it has no fallback template: %v", cause),
		Payload: payload, Metadata: map[string]string{MetaTenant: cmd.Tenant}, CreatedAt: h.now().UTC(),
	}
	if err := h.storeDeadLetter(ctx, d); err != nil {
		return fmt.Errorf("storing dead letter: %w", err)
	}
	return nil
}

func (h *Hub) receiveMessage(ctx context.Context, ev event.Event) error {
	var m event.MessageReceived
	if err := json.Unmarshal(ev.Data, &m); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding message.received data: %w", err))
	}
	m.Name = member.CleanName(m.Name) // the WhatsApp profile name, as the customer typed it
	phone, form := h.senderIdentity(ev, &m)
	content, err := inboundContent(ev.Data)
	if err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("message %s: %w", m.MessageID, err))
	}
	_, dup, err := h.store.RecordInbound(ctx, store.InboundMessage{
		Tenant: ev.Tenant, ProviderMessageID: m.MessageID,
		Contact: store.ContactRef{Phone: phone, UserID: m.UserID}, WAID: m.WAID,
		Name: m.Name, Type: m.Type, Text: m.Text, At: m.Timestamp, GroupID: m.GroupID,
		Content: content,
	})
	if err != nil {
		if errors.Is(err, store.ErrNoContact) || errors.Is(err, store.ErrContentNotJSON) {
			return fault.Permanent(fault.ClassRequest, fmt.Errorf("message %s: %w", m.MessageID, err))
		}
		return fmt.Errorf("recording inbound message: %w", err)
	}
	result := "new"
	if dup {
		result = "duplicate"
	}
	h.metrics.InboundMessages.WithLabelValues(ev.Tenant, result).Inc()
	if form != "" && !dup {
		h.metrics.InboundNumbers.WithLabelValues(ev.Tenant, form).Inc()
	}
	t, ok := h.tenants[ev.Tenant]
	if !ok || t.cfg.Conversation.Sender != ev.Connector {
		return nil // the bot answers on its own number only
	}
	if m.Type == messageTypeSystem {
		// WhatsApp's notice (a changed number or user id), not the
		// customer's words: never answered.
		return nil
	}
	return h.converse(ctx, t, m, phone, dup)
}

// templateStatus applies a template's new status to the sender's list at
// once, and asks for a full listing at the next scheduler tick.
func (h *Hub) templateStatus(ev event.Event) error {
	var ts event.TemplateStatus
	if err := json.Unmarshal(ev.Data, &ts); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding template.status data: %w", err))
	}
	c, ok := h.connector(ev.Tenant, ev.Connector)
	if !ok {
		return nil
	}
	if cat := c.catalog(); cat != nil {
		c.cat.Store(cat.WithStatus(ts.Name, ts.Language, strings.ToUpper(ts.Event)))
	}
	c.refreshSoon()
	h.logger.Info("template status changed", "tenant", ev.Tenant, "connector", ev.Connector,
		"template", ts.Name, "language", ts.Language, "status", ts.Event, "reason", ts.Reason)
	return nil
}

// bspLaneHops is the number of queue hops a BSP status webhook takes before
// it reaches the message log.
const bspLaneHops = 2

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
