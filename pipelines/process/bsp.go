package process

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/trace"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/chat"
	"github.com/loyalhub/loyalhub/pipelines/queue"
	"github.com/loyalhub/loyalhub/pipelines/telemetry"
)

// BSP is the BSP stage: it handles a BSP's webhook in one hop. It maps it,
// applies its delivery reports to the message log in one write (they are
// most of a BSP's traffic, three per message sent, and need nothing but
// the message log; the store shares that write with concurrent webhooks'),
// then acts on its other events in order: customers' messages and the
// chatbot, consent and identity changes, template status changes, failed
// deliveries and the BSP's own errors.
//
// An event that fails permanently is dead-lettered alone, as a mapped event
// whose replay does not map it again, and the rest of the webhook goes on.
// Any other failure fails the webhook, which is retried whole: what it
// applied already is harmless to apply again (reports only move a message
// forward, a redelivered customer message is recognised, consent, identity
// and template changes are states, not increments).
func (l *Lanes) BSP(msg *message.Message) error {
	ev, mapped, err := mappedEvent(msg)
	if err != nil {
		return err
	}
	if mapped {
		return l.runStep(msg, bspStep{ev: ev, run: func(ctx context.Context) error { return l.bspEvent(ctx, ev) }})
	}
	events, err := l.mapEvents(msg, l.bspLane())
	if err != nil {
		return err
	}
	steps, err := l.applyReports(msg.Context(), events)
	if err != nil {
		return err
	}
	for _, s := range steps {
		if err := l.runStep(msg, s); err != nil {
			return err
		}
	}
	l.read(events, receivedAt(msg, event.Event{}))
	return nil
}

// read tells Unread that the writers of a webhook received at at have
// nothing unread in it any more: their messages and marketing stops are
// applied (or dead-lettered).
func (l *Lanes) read(events []event.Event, at time.Time) {
	if l.Unread == nil {
		return
	}
	for _, ev := range events {
		for _, form := range event.Writer(ev) {
			l.Unread.Read(ev.Tenant, form, at)
		}
	}
}

// runStep runs s for the webhook msg, and dead-letters its event when it
// fails permanently. It returns the failures that fail the webhook.
func (l *Lanes) runStep(msg *message.Message, s bspStep) error {
	err := s.run(msg.Context())
	if err == nil || !fault.IsPermanent(err) {
		return err
	}
	return l.deadLetterEvent(l.bspLane(), msg, s.ev, fmt.Errorf("event %s (%s): %w", s.ev.ID, s.ev.Type, err))
}

// bspStep is what is left to do for one event of a webhook once its
// delivery reports are applied.
type bspStep struct {
	ev  event.Event
	run func(ctx context.Context) error
}

// applyReports applies the delivery reports among events to the message log
// in one write, and returns the steps left for the webhook's events, in
// their order: failed deliveries (applied, but to act on) and every event
// that is not a report. A report that cannot be read is left as a step, to
// fail alone.
func (l *Lanes) applyReports(ctx context.Context, events []event.Event) ([]bspStep, error) {
	var updates []store.StatusUpdate
	var steps []bspStep
	for _, ev := range events {
		if ev.Type != event.TypeMessageStatus {
			steps = append(steps, bspStep{ev: ev, run: func(ctx context.Context) error { return l.bspEvent(ctx, ev) }})
			continue
		}
		u, st, err := l.statusUpdate(ev)
		switch {
		case err != nil:
			steps = append(steps, bspStep{ev: ev, run: func(context.Context) error { return err }})
			continue
		case u.Status == "":
			l.Metrics.StatusesIgnored.WithLabelValues(ev.Tenant, metricLabel(st.Status)).Inc()
			continue // a status the message log does not track
		case u.Status == store.MessageFailed:
			steps = append(steps, bspStep{ev: ev, run: func(ctx context.Context) error { return l.deliveryFailed(ctx, ev, st, u) }})
		}
		updates = append(updates, u)
	}
	if len(updates) == 0 {
		return steps, nil
	}
	missing, err := l.Store.ApplyStatuses(ctx, updates)
	if err != nil {
		return nil, fmt.Errorf("applying statuses: %w", err)
	}
	for i, m := range missing {
		if m {
			// A report for a message this hub did not send (another
			// system on the same number): nothing to update.
			l.Metrics.StatusUnmatched.WithLabelValues(updates[i].Tenant).Inc()
		}
	}
	l.Metrics.StatusesApplied.Add(float64(len(updates)))
	l.traceReports(ctx, updates, missing)
	return steps, nil
}

// traceReports records a span for each delivery report applied, linked to
// the span of the send attempt of its message, which the message log
// keeps: the report arrives in a trace of its own, minutes after the send.
// Only a recorded webhook's reports look their messages' traces up.
func (l *Lanes) traceReports(ctx context.Context, updates []store.StatusUpdate, missing []bool) {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return
	}
	for i, u := range updates {
		var opts []trace.SpanStartOption
		if !missing[i] {
			tp, err := l.Store.MessageTrace(ctx, u)
			if err != nil {
				l.Logger.Debug("reading the trace of a message failed", "tenant", u.Tenant, "error", err)
			}
			if sc := telemetry.SpanContext(tp); sc.IsValid() {
				opts = append(opts, trace.WithLinks(trace.Link{SpanContext: sc}))
			}
		}
		_, span := l.Tracing.Start(ctx, "message "+u.Status, trace.SpanKindInternal, opts...)
		span.SetAttributes(telemetry.AttrTenant.String(u.Tenant), telemetry.AttrStatus.String(u.Status),
			telemetry.AttrMsgID.String(u.ProviderMessageID))
		span.End()
	}
}

// bspEvent acts on one event of a BSP's webhook.
func (l *Lanes) bspEvent(ctx context.Context, ev event.Event) error {
	switch ev.Type {
	case event.TypeMessageStatus:
		return l.applyStatus(ctx, ev)
	case event.TypeMessageReceived:
		return l.receiveMessage(ctx, ev)
	case event.TypeConsentChanged:
		t, _ := l.Tenants.Tenant(ev.Tenant)
		return l.changeConsent(ctx, t, ev)
	case event.TypeIdentityChanged:
		return l.changeIdentity(ctx, ev)
	case event.TypeTemplateStatus:
		return l.templateStatus(ev)
	case event.TypeWebhookError:
		return l.webhookError(ev)
	case event.TypeNumberQuality:
		return l.numberQuality(ctx, ev)
	case event.TypeMessagingLimit:
		return l.messagingLimit(ctx, ev)
	case event.TypeTemplateQuality:
		l.Logger.Info("whatsapp quality update", "tenant", ev.Tenant, "connector", ev.Connector, "type", ev.Type, "data", string(ev.Data))
	}
	return nil
}

func (l *Lanes) applyStatus(ctx context.Context, ev event.Event) error {
	u, st, err := l.statusUpdate(ev)
	if err != nil {
		return err
	}
	if u.Status == "" {
		l.Metrics.StatusesIgnored.WithLabelValues(ev.Tenant, metricLabel(st.Status)).Inc()
		return nil // a status the message log does not track
	}
	l.Metrics.StatusesApplied.Inc()
	if _, err := l.Store.ApplyStatus(ctx, u); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("applying status: %w", err)
		}
		l.Metrics.StatusUnmatched.WithLabelValues(ev.Tenant).Inc()
	}
	if u.Status == store.MessageFailed {
		return l.deliveryFailed(ctx, ev, st, u)
	}
	return nil
}

// statusUpdate reads a message.status event, with its pricing costed.
func (l *Lanes) statusUpdate(ev event.Event) (store.StatusUpdate, event.MessageStatus, error) {
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
		Pricing:           l.statusPricing(ev.Tenant, st),
	}
	if len(st.Errors) > 0 {
		u.ErrorCode = fmt.Sprint(st.Errors[0].Code)
		u.Error = cmp.Or(st.Errors[0].Details, st.Errors[0].Message, st.Errors[0].Title)
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
func (l *Lanes) deliveryFailed(ctx context.Context, ev event.Event, st event.MessageStatus, u store.StatusUpdate) error {
	code := u.ErrorCode
	if code == "" {
		code = "unknown"
	}
	l.Metrics.DeliveryFailures.WithLabelValues(ev.Tenant, code).Inc()
	c, _ := l.Tenants.Connector(ev.Tenant, ev.Connector)
	var err error = fault.Permanent(fault.ClassRecipient, errors.New(u.Error))
	if c != nil && c.Classifier != nil && len(st.Errors) > 0 {
		err = c.Classifier.ClassifyDeliveryError(st.Errors[0].Code, u.Error)
		// A BSP with codes of its own (Twilio's 63016) classifies them
		// with the hub's code for the same refusal (131047): act on that.
		if fc := fault.CodeOf(err); fc != "" {
			code = fc
		}
	}
	var m store.Message
	if u.Key != "" {
		var lerr error
		m, lerr = l.Store.Message(ctx, ev.Tenant, u.Key)
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
	l.Logger.Info("whatsapp reported a message failed", "tenant", ev.Tenant, "connector", ev.Connector,
		"key", u.Key, "code", code, "class", fault.ClassOf(err))
	switch {
	case fault.ClassOf(err) == fault.ClassTemplate:
		l.Metrics.ConfigErrors.WithLabelValues(ev.Tenant, ev.Connector, code).Inc()
		if c != nil {
			c.Templates.RefreshSoon()
		}
	case code == messaging.CodeStopped || code == messaging.CodeEcosystem:
		if ref.Phone == "" && ref.UserID == "" {
			return nil // nobody to record it for
		}
		if err := l.RecipientRefused(ctx, ev.Tenant, ref, code); err != nil {
			return err
		}
		if code == messaging.CodeEcosystem {
			return l.retryAfterHold(ctx, m)
		}
		return nil
	case code == messaging.CodeReengagement:
		return l.windowClosedLate(ctx, m, err)
	}
	return nil
}

// retryAfterHold queues a message WhatsApp did not deliver for its
// ecosystem limit (131049) again, due when the recipient's hold ends:
// Meta asks to retry later, not to drop it.
func (l *Lanes) retryAfterHold(ctx context.Context, m store.Message) error {
	if len(m.Command) == 0 {
		return nil // not a message of the outbox: nothing to send again
	}
	var cmd messaging.Command
	if err := json.Unmarshal(m.Command, &cmd); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding the held message's command: %w", err))
	}
	retry, ok := cmd.EcosystemRetry(l.Now())
	if !ok {
		return nil
	}
	if err := l.Enqueue(ctx, []messaging.Command{retry}); err != nil {
		return fmt.Errorf("queueing the message again after the hold: %w", err)
	}
	return nil
}

// windowClosedLate handles a free-form message WhatsApp accepted, then
// refused because the customer's 24-hour window had closed: its fallback
// template is sent under a key of its own, or, without one, the command is
// dead-lettered with the reason under a new key, for a replay once the
// customer writes again.
func (l *Lanes) windowClosedLate(ctx context.Context, m store.Message, cause error) error {
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
		if err := l.Enqueue(ctx, []messaging.Command{fb}); err != nil {
			return fmt.Errorf("queueing the fallback template: %w", err)
		}
		l.Metrics.MessagesFallback.WithLabelValues(fb.Tenant, messaging.CodeReengagement).Inc()
		return nil
	}
	cmd.Key = messaging.ResendKey(cmd.Key)
	payload, err := json.Marshal(cmd)
	if err != nil {
		return fmt.Errorf("encoding the command to resend: %w", err)
	}
	d := store.DeadLetter{
		ID: "resend_" + event.ContentID([]byte(cmd.Key)), Tenant: cmd.Tenant, Topic: l.Topics.Outbox, Handler: l.Topics.SendStage,
		Reason:  fmt.Sprintf("WhatsApp refused the message after accepting it and it has no fallback template: %v", cause),
		Payload: payload, Metadata: map[string]string{queue.MetaTenant: cmd.Tenant}, CreatedAt: l.Now().UTC(),
	}
	if err := l.DeadLetter(ctx, d); err != nil {
		return fmt.Errorf("storing dead letter: %w", err)
	}
	return nil
}

func (l *Lanes) receiveMessage(ctx context.Context, ev event.Event) error {
	var m event.MessageReceived
	if err := json.Unmarshal(ev.Data, &m); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding message.received data: %w", err))
	}
	m.Name = member.CleanName(m.Name) // the WhatsApp profile name, as the customer typed it
	phone, form := l.senderIdentity(ev, &m)
	content, err := chat.InboundContent(ev.Data)
	if err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("message %s: %w", m.MessageID, err))
	}
	_, dup, err := l.Store.RecordInbound(ctx, store.InboundMessage{
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
	l.Metrics.InboundMessages.WithLabelValues(ev.Tenant, result).Inc()
	if form != "" && !dup {
		l.Metrics.InboundNumbers.WithLabelValues(ev.Tenant, form).Inc()
	}
	t, ok := l.Tenants.Tenant(ev.Tenant)
	if !ok || t.Config.Conversation.Sender != ev.Connector {
		return nil // the bot answers on its own number only
	}
	if m.Type == messageTypeSystem {
		// WhatsApp's notice (a changed number or user id), not the
		// customer's words: never answered.
		return nil
	}
	return l.Chat.Converse(ctx, t, m, phone, dup)
}

// templateStatus applies a template's new status to the sender's list at
// once, and asks for a full listing at the next scheduler tick.
func (l *Lanes) templateStatus(ev event.Event) error {
	var ts event.TemplateStatus
	if err := json.Unmarshal(ev.Data, &ts); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding template.status data: %w", err))
	}
	c, ok := l.Tenants.Connector(ev.Tenant, ev.Connector)
	if !ok {
		return nil
	}
	c.Templates.SetStatus(ts.Name, ts.Language, strings.ToUpper(ts.Event))
	c.Templates.RefreshSoon()
	l.Logger.Info("template status changed", "tenant", ev.Tenant, "connector", ev.Connector,
		"template", ts.Name, "language", ts.Language, "status", ts.Event, "reason", ts.Reason)
	return nil
}
