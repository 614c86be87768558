package pipelines

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
)

// Meta's codes the send stage acts on beyond retrying or dead-lettering.
const (
	codeReengagement = "131047" // outside the 24-hour window
	codeEcosystem    = "131049" // not delivered to keep the ecosystem healthy
	codeStopped      = "131050" // the user stopped marketing messages
)

// ecosystemHold is how long a recipient Meta refused with 131049 is spared
// further marketing messages: Meta advises against retrying within 24 h.
const ecosystemHold = 24 * time.Hour

// Policy codes of skipped and dead-lettered messages.
const (
	skipNoConsent    = "no_consent"
	skipOptedOut     = "opted_out"
	skipDailyCap     = "daily_cap"
	skipHeld         = "held"
	codeWindowClosed = "window_closed"
	codeSenderPaused = "sender_paused"
)

// sendStage delivers a message command through the tenant's BSP sender. It
// claims the command's idempotency key in the message log first, so that no
// key is ever sent twice, then applies the tenant's messaging policy and the
// account's templates before the BSP call, and acts on the BSP's answer.
func (h *Hub) sendStage(msg *message.Message) error {
	var cmd messaging.Command
	if err := json.Unmarshal(msg.Payload, &cmd); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding message command: %w", err))
	}
	// Render fits what it builds; a command rendered before parameters
	// were fitted (a dead letter replayed) is fitted here.
	if fitted := cmd.Fit(); fitted > 0 {
		h.metrics.ParamsFitted.WithLabelValues(cmd.Tenant, cmd.Rule).Add(float64(fitted))
	}
	if err := cmd.Validate(); err != nil {
		return fault.Permanent(fault.ClassRequest, err)
	}
	t, ok := h.tenants[cmd.Tenant]
	if !ok {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("unknown tenant %q", cmd.Tenant))
	}
	c, ok := t.connectors[cmd.Sender]
	if !ok || c.sender == nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("tenant %q has no sender %q", cmd.Tenant, cmd.Sender))
	}
	ctx := msg.Context()
	bg := context.WithoutCancel(ctx)
	rec := store.Message{
		Key: cmd.Key, Tenant: cmd.Tenant, MemberID: cmd.MemberID, Sender: cmd.Sender,
		Recipient: firstNonEmpty(cmd.To, cmd.UserID), Kind: cmd.Kind, Category: cmd.Category,
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
	rec.Command = msg.Payload
	cur, claimed, err := h.store.ClaimMessage(ctx, rec)
	if err != nil {
		return fmt.Errorf("claiming message: %w", err)
	}
	if !claimed {
		claimed, err = h.resolveEarlierAttempt(ctx, cur)
		if err != nil || !claimed {
			return err
		}
	}
	// This process owns the attempt until it returns: another delivery of
	// the command must not take it for interrupted meanwhile.
	h.sending.start(cmd.Key)
	defer h.sending.done(cmd.Key)

	now := h.now()
	done, until, reason, paused := c.pause.admit()
	if paused {
		return h.holdForReplay(bg, cmd, codeSenderPaused,
			fmt.Errorf("sender %q is paused until %s after its credentials were refused: %s", cmd.Sender, until.Format(time.RFC3339), reason))
	}
	defer done(errNotSent)
	send, verdict, err := h.applyPolicy(ctx, t, cmd, msg.Payload, now)
	if err != nil || verdict {
		return err
	}
	if messaging.FreeForm(cmd.Kind) && !messaging.FreeForm(send.Kind) {
		if err := h.markFallback(bg, send, codeWindowClosed); err != nil {
			return err
		}
	}
	if cat := c.catalog(); cat != nil && send.Kind == messaging.KindTemplate {
		if err := cat.Check(send.Template); err != nil {
			return h.templateRefused(bg, c, send, err)
		}
	}

	res, err := c.sender.Send(ctx, send)
	if fault.CodeOf(err) == codeReengagement && send.Fallback != nil {
		// Meta knows the window better than we do: use the fallback.
		send = withFallback(send)
		if err := h.markFallback(bg, send, codeReengagement); err != nil {
			return err
		}
		res, err = c.sender.Send(ctx, send)
	}
	done(err)
	if err == nil {
		h.metrics.SenderSends.WithLabelValues(cmd.Tenant, cmd.Sender).Inc()
		if err := h.store.MarkSent(bg, cmd.Key, res.ProviderMessageID, time.Now()); err != nil {
			return fmt.Errorf("recording sent message: %w", err)
		}
		return nil
	}
	return h.sendFailed(bg, t, c, send, err)
}

// sendFailed records a refused or failed send and decides what follows.
func (h *Hub) sendFailed(ctx context.Context, t *tenantRuntime, c *connectorRuntime, cmd messaging.Command, err error) error {
	class := fault.ClassOf(err)
	h.metrics.SenderErrors.WithLabelValues(cmd.Tenant, cmd.Sender, string(class)).Inc()
	code := fault.CodeOf(err)
	switch {
	case class == fault.ClassAuth:
		_, until, _ := c.pause.state()
		h.metrics.ConfigErrors.WithLabelValues(cmd.Tenant, cmd.Sender, code).Inc()
		h.logger.Error("BSP refused the sender's credentials: sender paused", "tenant", cmd.Tenant,
			"sender", cmd.Sender, "until", until, "error", err)
		return h.holdForReplay(ctx, cmd, code, err)
	case class == fault.ClassTemplate:
		c.refreshSoon()
		return h.templateRefused(ctx, c, cmd, err)
	case code == codeStopped || code == codeEcosystem:
		if rerr := h.recipientRefused(ctx, cmd.Tenant, contactRef(cmd), code); rerr != nil {
			return rerr
		}
		if code == codeEcosystem {
			if rerr := h.store.MarkFailed(ctx, cmd.Key, code, err.Error(), time.Now()); rerr != nil {
				return fmt.Errorf("recording failed message: %w", rerr)
			}
			// Meta's own limit, not a fault: the member is held, nothing
			// to replay.
			h.logger.Info("recipient held for 24h after Meta's 131049", "tenant", cmd.Tenant, "key", cmd.Key)
			return nil
		}
	}
	switch {
	case fault.IsPermanent(err):
		if rerr := h.store.MarkFailed(ctx, cmd.Key, code, err.Error(), time.Now()); rerr != nil {
			return fmt.Errorf("recording failed message: %w", rerr)
		}
		return fmt.Errorf("sending %s: %w", cmd.Key, err)
	case code == connectors.AmbiguousCode:
		// The request may have reached the BSP: wait for its status
		// webhook rather than resend at once.
		if rerr := h.store.MarkUnknown(ctx, cmd.Key, err.Error(), time.Now()); rerr != nil {
			return fmt.Errorf("recording unknown message: %w", rerr)
		}
		return fault.Retryable(class, fmt.Errorf("sending %s: outcome unknown: %w", cmd.Key, err), h.cfg.Pipeline.Send.UnknownGrace)
	default:
		if rerr := h.store.ReleaseMessage(ctx, cmd.Key, code, err.Error(), time.Now()); rerr != nil {
			return fmt.Errorf("releasing message: %w", rerr)
		}
		return fmt.Errorf("sending %s: %w", cmd.Key, err)
	}
}

// recipientRefused records what a refusal says about its recipient, however
// it arrived (answered at once or on a failed status webhook): 131050
// revokes their marketing consent, 131049 holds them from marketing for 24
// hours.
func (h *Hub) recipientRefused(ctx context.Context, tenant string, ref store.ContactRef, code string) error {
	switch code {
	case codeStopped:
		if _, err := h.store.UpdateContact(ctx, tenant, ref,
			store.SetConsent(store.ConsentOptedOut, "whatsapp:"+code, time.Now())); err != nil {
			return fmt.Errorf("recording the opt-out: %w", err)
		}
	case codeEcosystem:
		if _, err := h.store.UpdateContact(ctx, tenant, ref,
			store.HoldContact(time.Now().Add(ecosystemHold), code)); err != nil {
			return fmt.Errorf("holding the recipient: %w", err)
		}
	}
	return nil
}

// templateRefused dead-letters a message whose template does not fit the
// account's, keeping it pending so a replay after the fix sends it.
func (h *Hub) templateRefused(ctx context.Context, c *connectorRuntime, cmd messaging.Command, err error) error {
	code := fault.CodeOf(err)
	var te *messaging.TemplateError
	if errors.As(err, &te) {
		code = te.Code
		err = fault.Permanent(fault.ClassTemplate, err)
	}
	h.metrics.ConfigErrors.WithLabelValues(cmd.Tenant, cmd.Sender, code).Inc()
	return h.holdForReplay(ctx, cmd, code, err)
}

// holdForReplay returns a claimed message to pending with the reason and
// dead-letters its command: an operator fixes the cause and replays it.
func (h *Hub) holdForReplay(ctx context.Context, cmd messaging.Command, code string, err error) error {
	if rerr := h.store.ReleaseMessage(ctx, cmd.Key, code, err.Error(), time.Now()); rerr != nil {
		return fmt.Errorf("releasing message: %w", rerr)
	}
	if !fault.IsPermanent(err) {
		err = fault.Permanent(fault.ClassPolicy, err)
	}
	return fmt.Errorf("sending %s: %w", cmd.Key, err)
}

// applyPolicy checks the tenant's messaging policy for a claimed message.
// It returns the command to send (the fallback template when the window is
// closed; to the contact's wa_id, see addressed), or done=true when the message was skipped, deferred or
// dead-lettered (err says which).
func (h *Hub) applyPolicy(ctx context.Context, t *tenantRuntime, cmd messaging.Command, payload []byte, now time.Time) (send messaging.Command, done bool, err error) {
	bg := context.WithoutCancel(ctx)
	ref := contactRef(cmd)
	ct, err := h.store.Contact(ctx, cmd.Tenant, ref)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return cmd, true, fmt.Errorf("reading the recipient's contact: %w", err)
	}
	skip := func(code, reason string) (messaging.Command, bool, error) {
		h.metrics.MessagesSkipped.WithLabelValues(cmd.Tenant, code).Inc()
		if err := h.store.MarkSkipped(bg, cmd.Key, code, reason, now); err != nil {
			return cmd, true, fmt.Errorf("recording skipped message: %w", err)
		}
		return cmd, true, nil
	}
	if messaging.FreeForm(cmd.Kind) && !ct.WindowOpen(now) {
		if cmd.Fallback == nil {
			return cmd, true, h.holdForReplay(bg, cmd, codeWindowClosed, fault.Permanent(fault.ClassWindow,
				errors.New("the customer's 24-hour window is closed and the message has no fallback template")))
		}
		cmd = withFallback(cmd)
	}
	if cmd.Category != messaging.CategoryMarketing {
		return addressed(cmd, ref, ct), false, nil
	}
	m := t.cfg.Messaging
	switch {
	case ct.Held(now):
		return skip(skipHeld, fmt.Sprintf("the recipient is held until %s (%s)", ct.HoldUntil.Format(time.RFC3339), ct.HoldReason))
	case ct.Marketing == store.ConsentOptedOut:
		return skip(skipOptedOut, "the recipient opted out of marketing messages ("+ct.MarketingSource+")")
	case ct.Marketing != store.ConsentOptedIn && m.MarketingConsent == config.ConsentOptIn:
		return skip(skipNoConsent, "the recipient has not opted in to marketing messages")
	}
	if until, quiet := t.quietUntil(now); quiet {
		h.metrics.MessagesDeferred.WithLabelValues(cmd.Tenant).Inc()
		if err := h.store.DeferMessage(bg, cmd.Key, until, payload, "quiet hours until "+until.In(t.loc).Format("15:04"), now); err != nil {
			return cmd, true, fmt.Errorf("deferring message: %w", err)
		}
		return cmd, true, nil
	}
	local := now.In(t.loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, t.loc)
	n, err := h.store.CountMessages(ctx, cmd.Tenant, firstNonEmpty(cmd.To, cmd.UserID), messaging.CategoryMarketing, midnight)
	if err != nil {
		return cmd, true, fmt.Errorf("counting today's marketing messages: %w", err)
	}
	if n-1 >= m.MarketingDailyCap { // the count includes this message, claimed
		return skip(skipDailyCap, fmt.Sprintf("the recipient already got %d marketing messages today (cap %d)", n-1, m.MarketingDailyCap))
	}
	return addressed(cmd, ref, ct), false, nil
}

// addressed sends a message to a number to the wa_id WhatsApp last gave
// for that person, when it is another form of the number (Brazil's mobiles
// without the ninth digit, Mexico's 521): WhatsApp delivers to the account
// it knows. The message log keeps the recipient as claimed.
func addressed(cmd messaging.Command, ref store.ContactRef, ct store.Contact) messaging.Command {
	if cmd.To != "" && ct.WAID != "" && ct.Phone == ref.Phone {
		cmd.To = "+" + ct.WAID
	}
	return cmd
}

// markFallback records in the message log that a claimed free-form message
// goes out as its fallback template, because of reason.
func (h *Hub) markFallback(ctx context.Context, fb messaging.Command, reason string) error {
	if err := h.store.MarkFallback(ctx, fb.Key, fb.Template.Name, time.Now()); err != nil {
		return err
	}
	h.metrics.MessagesFallback.WithLabelValues(fb.Tenant, reason).Inc()
	return nil
}

// withFallback turns a free-form command into its fallback template.
func withFallback(cmd messaging.Command) messaging.Command {
	cmd.Kind, cmd.Template, cmd.Fallback = messaging.KindTemplate, cmd.Fallback, nil
	cmd.Text, cmd.Interactive, cmd.Media = "", nil, nil
	return cmd
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

// quietUntil reports whether now falls in the tenant's quiet hours, and
// when they end.
func (t *tenantRuntime) quietUntil(now time.Time) (time.Time, bool) {
	if t.quietStart == t.quietEnd {
		return time.Time{}, false
	}
	local := now.In(t.loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, t.loc)
	since := local.Sub(day)
	at := func(d time.Duration, days int) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day()+days, int(d/time.Hour), int(d%time.Hour/time.Minute), 0, 0, t.loc)
	}
	if t.quietStart < t.quietEnd {
		if since >= t.quietStart && since < t.quietEnd {
			return at(t.quietEnd, 0), true
		}
		return time.Time{}, false
	}
	switch {
	case since >= t.quietStart:
		return at(t.quietEnd, 1), true
	case since < t.quietEnd:
		return at(t.quietEnd, 0), true
	}
	return time.Time{}, false
}
