package send

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/ledger"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
	"github.com/loyalhub/loyalhub/pipelines/telemetry"
)

// codeSenderPaused is the code of a message held while its sender is
// paused.
const codeSenderPaused = "sender_paused"

// Send delivers a message command (payload, its JSON as the outbox keeps
// it) through the tenant's BSP sender. It claims the command's idempotency
// key in the message log first, so that no key is ever sent twice, then
// applies the tenant's messaging policy and the account's templates before
// the BSP call, replaces the URLs of the message by the tenant's short
// links, and acts on the BSP's answer.
// A permanent error is for a dead letter; any other leaves the message
// where the outbox or the relay of interrupted attempts takes it again.
func (s *Sender) Send(ctx context.Context, payload []byte) error {
	var cmd messaging.Command
	if err := json.Unmarshal(payload, &cmd); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding message command: %w", err))
	}
	// Render fits what it builds; a command rendered before parameters
	// were fitted (a dead letter replayed) is fitted here.
	if fitted := cmd.Fit(); fitted > 0 {
		s.Metrics.ParamsFitted.WithLabelValues(cmd.Tenant, cmd.Rule).Add(float64(fitted))
	}
	if err := cmd.Validate(); err != nil {
		return fault.Permanent(fault.ClassRequest, err)
	}
	t, ok := s.Tenants.Tenant(cmd.Tenant)
	if !ok {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("unknown tenant %q", cmd.Tenant))
	}
	c, ok := t.Connectors[cmd.Sender]
	if !ok || c.Sender == nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("tenant %q has no sender %q", cmd.Tenant, cmd.Sender))
	}
	bg := context.WithoutCancel(ctx)
	rec := store.Message{
		Key: cmd.Key, Tenant: cmd.Tenant, MemberID: cmd.MemberID, Sender: cmd.Sender,
		Recipient: cmp.Or(cmd.To, cmd.UserID), Kind: cmd.Kind, Category: cmd.Category,
		Origin:    cmd.Origin,
		UpdatedAt: s.Now(), // the claim's time
	}
	if strings.HasSuffix(cmd.Key, messaging.FallbackKey("")) {
		// The fallback template of a message WhatsApp accepted, then
		// refused for the closed window.
		rec.SentAs = store.SentAsFallback
	}
	if cmd.Template != nil {
		rec.Template = cmd.Template.Name
	}
	// Kept so that an interrupted attempt can be sent again when its
	// command is no longer in the queue, and a window WhatsApp reports
	// closed after accepting a free-form message can still be met with its
	// fallback template.
	rec.Command = payload
	// The attempt's span, for the delivery reports to link to.
	rec.Trace = s.Tracing.TraceParent(ctx)
	cur, claimed, err := s.Store.ClaimMessage(ctx, rec)
	if err != nil {
		return fmt.Errorf("claiming message: %w", err)
	}
	attempts := cur.Attempts
	if !claimed {
		claimed, err = s.resolveEarlierAttempt(ctx, cur)
		if err != nil || !claimed {
			return err
		}
		attempts++
	}
	// This process owns the attempt until it returns: another delivery of
	// the command must not take it for interrupted meanwhile.
	s.sending.start(cmd.Key)
	defer s.sending.done(cmd.Key)

	now := s.Now()
	done, until, reason, paused := c.Pause.Admit()
	if paused {
		return s.holdForReplay(bg, cmd, codeSenderPaused,
			fmt.Errorf("sender %q is paused until %s after its credentials were refused: %s", cmd.Sender, until.Format(time.RFC3339), reason))
	}
	defer done(runtime.ErrNotSent)
	send, initiated, land, verdict, err := s.applyPolicy(ctx, t, c, cmd, payload, now)
	if err != nil || verdict {
		return err
	}
	// A new conversation stays counted as in flight until its reach is
	// recorded or the send failed.
	defer land(nil)
	if send, err = s.shortenLinks(ctx, t, send); err != nil {
		// Not sent: the message goes back to the outbox, due again after
		// a backoff.
		wait := backoff(s.cfg.Retry, attempts)
		if rerr := s.Store.DeferMessage(bg, cmd.Key, s.Now().Add(wait), payload,
			fmt.Sprintf("retrying after %s: storing short links: %v", wait, err), s.Now()); rerr != nil {
			return fmt.Errorf("queueing message %s again: %w", cmd.Key, rerr)
		}
		return fmt.Errorf("sending %s: storing short links: %w", cmd.Key, err)
	}

	res, err := s.callBSP(ctx, c, send)
	if fault.CodeOf(err) == messaging.CodeReengagement && send.Fallback != nil {
		// Meta knows the window better than we do: use the fallback.
		send = send.AsFallback()
		if err := s.markFallback(bg, send, messaging.CodeReengagement); err != nil {
			return err
		}
		res, err = s.callBSP(ctx, c, send)
	}
	done(err)
	if err == nil {
		s.Metrics.Sends.WithLabelValues(cmd.Tenant, cmd.Sender).Inc()
		c.Sends.Succeeded(s.Now())
		if err := s.Store.MarkSent(bg, cmd.Key, res.ProviderMessageID, s.Now()); err != nil {
			return fmt.Errorf("recording sent message: %w", err)
		}
		if initiated {
			// Counted toward the messaging limit once sent: a failure to
			// record it counts the recipient short, it loses no message.
			// It counts from when WhatsApp accepted it, not from the
			// decision: a send that waited for the number's throughput
			// counted from the decision left the 24 hours early, and the
			// simulated month saw the limit passed by the wait.
			land(func() {
				if err := s.Store.RecordReach(bg, cmd.Tenant, cmd.Sender, rec.Recipient, s.Now()); err != nil {
					s.Logger.Warn("recording a business-initiated conversation failed", "tenant", cmd.Tenant,
						"sender", cmd.Sender, "key", cmd.Key, "error", err)
				}
			})
		}
		return nil
	}
	return s.failed(bg, c, send, payload, attempts, err)
}

// callBSP sends cmd through the BSP connector c, in a client span named
// after the connector's type.
func (s *Sender) callBSP(ctx context.Context, c *runtime.Connector, cmd messaging.Command) (messaging.Result, error) {
	ctx, span := s.Tracing.Start(ctx, "send "+c.Spec.Name, trace.SpanKindClient)
	res, err := c.Sender.Send(ctx, cmd)
	if span.IsRecording() {
		span.SetAttributes(telemetry.AttrTenant.String(cmd.Tenant), telemetry.AttrSender.String(cmd.Sender),
			telemetry.AttrKind.String(c.Spec.Name), telemetry.AttrMessageKey.String(cmd.Key),
			attribute.String("loyalhub.message.kind", cmd.Kind), attribute.String("loyalhub.message.category", cmd.Category))
		if cmd.Template != nil {
			span.SetAttributes(attribute.String("loyalhub.message.template", cmd.Template.Name))
		}
		if res.ProviderMessageID != "" {
			span.SetAttributes(telemetry.AttrMsgID.String(res.ProviderMessageID))
		}
		if code := fault.CodeOf(err); code != "" {
			span.SetAttributes(telemetry.AttrErrorCode.String(code))
		}
	}
	telemetry.End(span, err)
	return res, err
}

// failed records a refused or failed send and decides what follows.
// A refusal for now queues the message again, due after a backoff that
// grows with its attempts (pipeline.retry) or the refusal's Retry-After.
func (s *Sender) failed(ctx context.Context, c *runtime.Connector, cmd messaging.Command, payload []byte, attempts int, err error) error {
	class := fault.ClassOf(err)
	s.Metrics.Errors.WithLabelValues(cmd.Tenant, cmd.Sender, string(class)).Inc()
	c.Sends.Failed(s.Now(), err.Error())
	code := fault.CodeOf(err)
	switch {
	case class == fault.ClassAuth:
		_, until, _ := c.Pause.State()
		s.Metrics.ConfigErrors.WithLabelValues(cmd.Tenant, cmd.Sender, code).Inc()
		s.Logger.Error("BSP refused the sender's credentials: sender paused", "tenant", cmd.Tenant,
			"sender", cmd.Sender, "until", until, "error", err)
		return s.holdForReplay(ctx, cmd, code, err)
	case class == fault.ClassTemplate:
		c.Templates.RefreshSoon()
		return s.templateRefused(ctx, c, cmd, err)
	case code == messaging.CodeStopped || code == messaging.CodeEcosystem:
		if rerr := s.RecipientRefused(ctx, cmd.Tenant, contactRef(cmd), code); rerr != nil {
			return rerr
		}
		if code == messaging.CodeEcosystem {
			if rerr := s.Store.MarkFailed(ctx, cmd.Key, code, err.Error(), s.Now()); rerr != nil {
				return fmt.Errorf("recording failed message: %w", rerr)
			}
			// Meta's own limit, not a fault: the member is held and the
			// message goes again when the hold ends.
			s.Logger.Info("recipient held for 24h after Meta's 131049", "tenant", cmd.Tenant, "key", cmd.Key)
			return s.retryAfterHold(ctx, cmd)
		}
	}
	switch {
	case fault.IsPermanent(err):
		if rerr := s.Store.MarkFailed(ctx, cmd.Key, code, err.Error(), s.Now()); rerr != nil {
			return fmt.Errorf("recording failed message: %w", rerr)
		}
		return fmt.Errorf("sending %s: %w", cmd.Key, err)
	case code == connectors.AmbiguousCode:
		// The request may have reached the BSP: wait for its status
		// webhook rather than resend at once.
		if rerr := s.Store.MarkUnknown(ctx, cmd.Key, err.Error(), s.Now()); rerr != nil {
			return fmt.Errorf("recording unknown message: %w", rerr)
		}
		return fault.Retryable(class, fmt.Errorf("sending %s: outcome unknown: %w", cmd.Key, err), s.cfg.Send.UnknownGrace)
	default:
		// The BSP refused this attempt for now: the message goes back to
		// the outbox, due again after a backoff or the refusal's wait,
		// in case the sender's own retries end first.
		wait := max(fault.RetryAfter(err), backoff(s.cfg.Retry, attempts))
		if rerr := s.Store.DeferMessage(ctx, cmd.Key, s.Now().Add(wait), payload,
			fmt.Sprintf("retrying after %s: %v", wait, err), s.Now()); rerr != nil {
			return fmt.Errorf("queueing message %s again: %w", cmd.Key, rerr)
		}
		return fmt.Errorf("sending %s: %w", cmd.Key, err)
	}
}

// RecipientRefused records what a refusal says about its recipient (see
// messaging.Refused), however it arrived: answered at once or on a failed
// status webhook.
func (s *Sender) RecipientRefused(ctx context.Context, tenant string, ref store.ContactRef, code string) error {
	change, ok := messaging.Refused(code, s.Now())
	if !ok {
		return nil
	}
	if _, err := s.Store.UpdateContact(ctx, tenant, ref, change); err != nil {
		return fmt.Errorf("recording what refusal %s says of the recipient: %w", code, err)
	}
	return nil
}

// templateRefused dead-letters a message whose template does not fit the
// account's, keeping it pending so a replay after the fix sends it.
func (s *Sender) templateRefused(ctx context.Context, c *runtime.Connector, cmd messaging.Command, err error) error {
	code := fault.CodeOf(err)
	var te *messaging.TemplateError
	if errors.As(err, &te) {
		code = te.Code
		err = fault.Permanent(fault.ClassTemplate, err)
	}
	s.Metrics.ConfigErrors.WithLabelValues(cmd.Tenant, cmd.Sender, code).Inc()
	return s.holdForReplay(ctx, cmd, code, err)
}

// retryAfterHold queues cmd again, under a key of its own, due when the
// recipient's 131049 hold ends (messaging.Command.EcosystemRetry).
func (s *Sender) retryAfterHold(ctx context.Context, cmd messaging.Command) error {
	retry, ok := cmd.EcosystemRetry(s.Now())
	if !ok {
		return nil
	}
	m, err := ledger.OutboxMessage(retry)
	if err != nil {
		return err
	}
	m.CreatedAt, m.DueAt = s.Now(), retry.NotBefore
	if err := s.Store.EnqueueMessages(ctx, []store.Message{m}); err != nil {
		return fmt.Errorf("queueing the message again after the hold: %w", err)
	}
	return nil
}

// holdForReplay returns a claimed message to pending with the reason and
// dead-letters its command: an operator fixes the cause and replays it.
func (s *Sender) holdForReplay(ctx context.Context, cmd messaging.Command, code string, err error) error {
	if rerr := s.Store.ReleaseMessage(ctx, cmd.Key, code, err.Error(), s.Now()); rerr != nil {
		return fmt.Errorf("releasing message: %w", rerr)
	}
	if !fault.IsPermanent(err) {
		err = fault.Permanent(fault.ClassPolicy, err)
	}
	return fmt.Errorf("sending %s: %w", cmd.Key, err)
}

// applyPolicy reads what the send decision needs for a claimed message
// (the recipient's contact, their marketing messages today, the account's
// templates, the sender's messaging limit, quality and reach, the month's
// spend), decides (messaging.Decide), and records a message that is not
// sent now. It returns the command to send (the fallback template when the
// window is closed, to the contact's wa_id) and whether it opens a
// business-initiated conversation, or done=true when the message was
// skipped, deferred or dead-lettered (err says which).
//
// A decision that counts the sender's reach holds the sender's gate from
// the count to the decision; a new conversation it decides on is in flight
// (counted by the next decisions) until land is called: with the function
// that records its reach once WhatsApp accepted it, or nil.
func (s *Sender) applyPolicy(ctx context.Context, t *runtime.Tenant, c *runtime.Connector, cmd messaging.Command, payload []byte, now time.Time) (send messaging.Command, initiated bool, land func(record func()), done bool, err error) {
	send, initiated, land, done, err = s.decide(ctx, t, c, cmd, payload, now)
	if land == nil {
		land = func(record func()) {
			if record != nil {
				record()
			}
		}
	}
	return send, initiated, land, done, err
}

// decide is applyPolicy without the default land.
func (s *Sender) decide(ctx context.Context, t *runtime.Tenant, c *runtime.Connector, cmd messaging.Command, payload []byte, now time.Time) (send messaging.Command, initiated bool, land func(record func()), done bool, err error) {
	bg := context.WithoutCancel(ctx)
	ct, err := s.Store.Contact(ctx, cmd.Tenant, contactRef(cmd))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return cmd, false, nil, true, fmt.Errorf("reading the recipient's contact: %w", err)
	}
	recipient := cmp.Or(cmd.To, cmd.UserID)
	facts := messaging.Facts{Templates: c.Templates.Catalog()}
	if cmd.Category == messaging.CategoryMarketing {
		n, err := s.Store.CountMessages(ctx, cmd.Tenant, cmp.Or(cmd.To, cmd.UserID), messaging.CategoryMarketing, t.Policy.DayStart(now))
		if err != nil {
			return cmd, false, nil, true, fmt.Errorf("counting today's marketing messages: %w", err)
		}
		facts.MarketingToday = n - 1 // the count includes this message, claimed
		facts.Unread = s.Unread.Waiting(cmd.Tenant, now, recipient, ct.WAID, ct.UserID)
	}
	unlock, err := s.senderFacts(ctx, t, cmd, ct, now, &facts)
	defer unlock()
	if err != nil {
		return cmd, false, nil, true, err
	}
	d := messaging.Decide(ct, cmd, t.Policy, facts, now)
	switch d.Verdict {
	case messaging.Skip:
		s.Metrics.Skipped.WithLabelValues(cmd.Tenant, d.Code).Inc()
		if err := s.Store.MarkSkipped(bg, cmd.Key, d.Code, d.Reason, now); err != nil {
			return cmd, false, nil, true, fmt.Errorf("recording skipped message: %w", err)
		}
		return cmd, false, nil, true, nil
	case messaging.Defer:
		s.Metrics.Deferred.WithLabelValues(cmd.Tenant).Inc()
		reason := d.Reason
		if d.Code != "" {
			s.Metrics.HeldBack.WithLabelValues(cmd.Tenant, cmd.Sender, d.Code).Inc()
			reason = d.Code + ": " + reason
		}
		until := d.Until
		if d.Code == messaging.CodeMessagingLimit {
			// Each message waiting for the limit gets its own turn (limitqueue.go).
			read := func(ctx context.Context, after, before time.Time, skip, n int) ([]time.Time, error) {
				return s.Store.ReachTimes(ctx, cmd.Tenant, cmd.Sender, after, before, skip, n)
			}
			if until, err = s.reach.turn(ctx, cmd.Tenant, cmd.Sender, facts.Reach, now, read); err != nil {
				return cmd, false, nil, true, fmt.Errorf("reading the sender's reaches for the next turn: %w", err)
			}
		}
		if err := s.Store.DeferMessage(bg, cmd.Key, until, payload, reason, now); err != nil {
			return cmd, false, nil, true, fmt.Errorf("deferring message: %w", err)
		}
		return cmd, false, nil, true, nil
	}
	if d.Fallback {
		if err := s.markFallback(bg, d.Command, messaging.CodeWindowClosed); err != nil {
			return cmd, false, nil, true, err
		}
	}
	if d.Verdict == messaging.Hold {
		if fault.ClassOf(d.Err) == fault.ClassTemplate {
			s.Metrics.ConfigErrors.WithLabelValues(cmd.Tenant, cmd.Sender, d.Code).Inc()
		}
		return cmd, false, nil, true, s.holdForReplay(bg, d.Command, d.Code, d.Err)
	}
	if d.Initiated && !facts.Reach.Known && facts.Reach.Limit > 0 {
		land = s.reach.fly(cmd.Tenant, cmd.Sender, recipient)
	}
	return d.Command, d.Initiated, land, false, nil
}

// countsReach reports whether the decision on cmd counts its sender's
// reach: a template (or a text that may go as its fallback template) to a
// recipient outside their window.
func countsReach(cmd messaging.Command, ct member.Contact, now time.Time) bool {
	return (cmd.Kind == messaging.KindTemplate || cmd.Fallback != nil) && !ct.WindowOpen(now)
}

// senderFacts reads what the decision needs of the sender and the month:
// for a template that may open a business-initiated conversation, the
// sender's messaging limit (WhatsApp's last word, else the configured one)
// and how much of it the last 24 hours used; for a marketing message, a
// quality pause and the month's spend against the budget. A message that
// needs none of them reads nothing more.
//
// When it counts the reach, it holds the sender's gate (reachMemos) and
// returns its unlock, for the caller to call once it has decided and put
// a new conversation in flight; otherwise unlock does nothing.
func (s *Sender) senderFacts(ctx context.Context, t *runtime.Tenant, cmd messaging.Command, ct member.Contact, now time.Time, f *messaging.Facts) (unlock func(), err error) {
	unlock = func() {}
	marketing := cmd.Category == messaging.CategoryMarketing
	counts := countsReach(cmd, ct, now)
	if !marketing && !counts {
		return unlock, nil
	}
	st, err := s.Store.SenderState(ctx, cmd.Tenant, cmd.Sender)
	if err != nil {
		return unlock, fmt.Errorf("reading the sender's state: %w", err)
	}
	if st.MarketingPaused {
		f.QualityPause = cmp.Or(st.PauseReason, st.Quality)
	}
	f.Reach.Limit = cmp.Or(st.MessagingLimit, t.Policy.MessagingLimit)
	if counts && f.Reach.Limit > 0 {
		unlock = s.reach.gate(cmd.Tenant, cmd.Sender)
		recipient := cmp.Or(cmd.To, cmd.UserID)
		if memo, full, ok := s.reach.get(cmd.Tenant, cmd.Sender, recipient, f.Reach.Limit, now); ok {
			f.Reach = memo
			if full {
				if f.Reach.Known, err = s.Store.Reached(ctx, cmd.Tenant, cmd.Sender, recipient, now.Add(-messaging.ReachWindow)); err != nil {
					return unlock, fmt.Errorf("looking up the recipient's business-initiated conversation: %w", err)
				}
			}
		} else {
			r, err := s.Store.Reach(ctx, cmd.Tenant, cmd.Sender, recipient, now.Add(-messaging.ReachWindow))
			if err != nil {
				return unlock, fmt.Errorf("counting the sender's business-initiated conversations: %w", err)
			}
			f.Reach.Oldest, f.Reach.Known = r.Oldest, r.Known
			f.Reach.Reached = s.reach.counted(cmd.Tenant, cmd.Sender, recipient, r.Reached, r.Oldest, now)
		}
	}
	if marketing && t.Policy.MonthlyBudget > 0 {
		spent, err := s.Store.Spend(ctx, cmd.Tenant, t.Policy.MonthStart(now))
		if err != nil {
			return unlock, fmt.Errorf("summing the month's spend: %w", err)
		}
		f.Budget, f.Spent, f.Cost = t.Policy.MonthlyBudget, spent, t.Rates.Estimate(cmd, ct, now)
	}
	return unlock, nil
}

// markFallback records in the message log that a claimed free-form message
// goes out as its fallback template, because of reason.
func (s *Sender) markFallback(ctx context.Context, fb messaging.Command, reason string) error {
	if err := s.Store.MarkFallback(ctx, fb.Key, fb.Template.Name, s.Now()); err != nil {
		return err
	}
	s.Metrics.Fallback.WithLabelValues(fb.Tenant, reason).Inc()
	return nil
}

// contactRef names a command's recipient as contacts are stored: by the
// canonical key of its number (a reply may be addressed to another form of
// it, the wa_id as WhatsApp gave it).
func contactRef(cmd messaging.Command) store.ContactRef {
	ref := store.ContactRef{UserID: cmd.UserID}
	if cmd.To != "" {
		ref.Phone = member.PhoneKey(cmd.To)
	}
	return ref
}

// backoff is the wait before attempt+1 of a message.
func backoff(r config.Retry, attempt int) time.Duration {
	d := float64(r.InitialInterval)
	for range attempt - 1 {
		d *= r.Multiplier
		if d >= float64(r.MaxInterval) {
			return r.MaxInterval
		}
	}
	return min(time.Duration(d), r.MaxInterval)
}
