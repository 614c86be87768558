package messaging

import (
	"errors"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/member"
)

// Codes of the messages the send decision does not send: a skipped
// message's code in the message log and the reason label of
// loyalhub_messages_skipped_total, and the code of a message held for a
// replay.
const (
	SkipNoConsent    = "no_consent"
	SkipOptedOut     = "opted_out"
	SkipDailyCap     = "daily_cap"
	SkipHeld         = "held"
	SkipBudget       = "budget"
	CodeWindowClosed = "window_closed"
	// CodeMessagingLimit defers a new business-initiated conversation
	// beyond the sender's messaging limit.
	CodeMessagingLimit = "messaging_limit"
	// CodeQualityPaused defers a marketing message while its sender is
	// paused for its number's quality.
	CodeQualityPaused = "quality_paused"
	// CodeUnread defers a marketing message while its recipient has
	// written in a webhook the hub accepted and has not applied yet.
	CodeUnread = "unread_inbound"
)

// UnreadRecheck is how long a marketing message waits for its recipient's
// unread words before it is decided again.
const UnreadRecheck = 2 * time.Second

// ReachWindow is the moving period WhatsApp's messaging limit counts the
// unique users a business reached outside a customer service window in.
const ReachWindow = 24 * time.Hour

// QualityRecheck is how long a marketing message waits while its sender is
// paused for its number's quality before it is decided again, unless the
// pause is lifted first (the hub then makes it due at once): a paused
// broadcast is not decided again every few minutes.
const QualityRecheck = time.Hour

// Verdict is what the send decision does with a message.
type Verdict int

// Verdicts of the send decision.
const (
	// Send sends Decision.Command now.
	Send Verdict = iota + 1
	// Skip does not send the message, ever: the policy refuses it
	// (Decision.Code says why). Not a fault.
	Skip
	// Defer sends the message at Decision.Until (quiet hours).
	Defer
	// Hold keeps the message until an operator fixes the cause and
	// replays it (Decision.Code, Decision.Err): it cannot be sent as it
	// stands.
	Hold
)

func (v Verdict) String() string {
	switch v {
	case Send:
		return "send"
	case Skip:
		return "skip"
	case Defer:
		return "defer"
	case Hold:
		return "hold"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// Decision is the send decision on one message.
type Decision struct {
	Verdict Verdict
	// Command is the message to send (Send) or to hold (Hold): the
	// command decided on, as its fallback template when Fallback is set,
	// addressed to the wa_id WhatsApp last gave for its recipient when
	// that is another form of the number (Brazil's mobiles without the
	// ninth digit, Mexico's 521: WhatsApp delivers to the account it
	// knows). Skip and Defer return the command as given.
	Command Command
	// Fallback is set when a free-form message goes as its fallback
	// template because the customer's 24-hour window is closed
	// (CodeWindowClosed).
	Fallback bool
	// Code and Reason say why a message is skipped or held; Reason is
	// also why it is deferred.
	Code, Reason string
	// Until is when a deferred message is due.
	Until time.Time
	// Initiated is set when the message sent opens a business-initiated
	// conversation (a template outside the customer's service window): its
	// recipient counts toward the sender's messaging limit.
	Initiated bool
	// Err is a held message's cause, permanent and classified
	// (fault.ClassWindow, fault.ClassTemplate).
	Err error
}

// Policy is a tenant's messaging policy, from its config (see
// config.Messaging): what a marketing message needs from its recipient,
// the quiet hours and the daily cap, in the tenant's time zone.
type Policy struct {
	// OptInRequired is set when a marketing message needs a recorded
	// opt-in; otherwise it goes to anyone who has not opted out.
	OptInRequired bool
	// QuietStart and QuietEnd are the marketing quiet hours, as local
	// times of day since midnight; equal when there are none. Start after
	// End spans midnight.
	QuietStart, QuietEnd time.Duration
	// MarketingDailyCap is the most marketing messages one recipient gets
	// in one local day.
	MarketingDailyCap int
	// Location is the tenant's time zone; nil is UTC.
	Location *time.Location
	// MessagingLimit is the configured messaging limit (Reach.Limit), for
	// a sender WhatsApp has not reported one for.
	MessagingLimit int
	// MonthlyBudget is what the tenant may spend on messages in one local
	// month, in micros; 0 is no budget.
	MonthlyBudget int64
}

// NewPolicy returns the policy of a tenant's validated messaging config in
// its time zone.
func NewPolicy(m config.Messaging, loc *time.Location) Policy {
	p := Policy{
		OptInRequired:     m.MarketingConsent == config.ConsentOptIn,
		MarketingDailyCap: m.MarketingDailyCap,
		Location:          loc,
	}
	p.MessagingLimit, _ = config.ParseMessagingLimit(m.MessagingLimit)
	p.MonthlyBudget, _ = config.ParseMicros(m.MonthlyBudget)
	if q := m.QuietHours; q.Start != "" {
		p.QuietStart, _ = config.ParseClock(q.Start)
		p.QuietEnd, _ = config.ParseClock(q.End)
	}
	return p
}

func (p Policy) loc() *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

// DayStart is the start of now's local day, since when a recipient's
// marketing messages count toward the daily cap.
func (p Policy) DayStart(now time.Time) time.Time {
	local := now.In(p.loc())
	return time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, p.loc())
}

// MonthStart is the start of now's local month, since when the month's
// spend counts toward the budget.
func (p Policy) MonthStart(now time.Time) time.Time {
	local := now.In(p.loc())
	return time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, p.loc())
}

// QuietUntil reports whether now falls in the quiet hours, and when they
// end. Times of day are read on the wall clock, so that on a day the
// clocks change the quiet hours still end at their local time.
func (p Policy) QuietUntil(now time.Time) (time.Time, bool) {
	if p.QuietStart == p.QuietEnd {
		return time.Time{}, false
	}
	local := now.In(p.loc())
	since := time.Duration(local.Hour())*time.Hour + time.Duration(local.Minute())*time.Minute +
		time.Duration(local.Second())*time.Second + time.Duration(local.Nanosecond())
	at := func(d time.Duration, days int) time.Time {
		return time.Date(local.Year(), local.Month(), local.Day()+days, int(d/time.Hour), int(d%time.Hour/time.Minute), 0, 0, p.loc())
	}
	if p.QuietStart < p.QuietEnd {
		if since >= p.QuietStart && since < p.QuietEnd {
			return at(p.QuietEnd, 0), true
		}
		return time.Time{}, false
	}
	switch {
	case since >= p.QuietStart:
		return at(p.QuietEnd, 1), true
	case since < p.QuietEnd:
		return at(p.QuietEnd, 0), true
	}
	return time.Time{}, false
}

// Facts are what the send decision needs to know beyond the contact, read
// by the caller at the time of the send.
type Facts struct {
	// MarketingToday is how many marketing messages the recipient already
	// got since Policy.DayStart, this one not counted. Only a marketing
	// message needs it.
	MarketingToday int
	// Templates is the sender's account's template catalogue as last
	// listed; nil when the sender cannot list it (templates go
	// unchecked).
	Templates *Catalog
	// Reach is the sender's messaging limit and the recipients it reached
	// outside a service window in the last ReachWindow. Only a template
	// outside the window needs it.
	Reach Reach
	// QualityPause is why the sender's marketing messages are paused for
	// its number's quality; empty when they are not.
	QualityPause string
	// Unread is whether the recipient wrote in a webhook the hub accepted
	// and has not applied yet (a marketing message only).
	Unread bool
	// Budget is the tenant's monthly budget in micros (0: none), Spent what
	// the month's messages cost so far and Cost the message's estimate
	// (RateCard.Estimate). Only a marketing message needs them.
	Budget, Spent, Cost int64
}

// Reach is a sender's messaging limit and how much of it is used.
type Reach struct {
	// Limit is the most unique users the sender may reach outside a
	// service window in a moving ReachWindow: 0 when none is known, -1
	// unlimited.
	Limit int
	// Reached is how many it reached so in the last ReachWindow, and
	// Oldest when the first of them was reached.
	Reached int
	Oldest  time.Time
	// Known is set when the recipient is one of them: a conversation with
	// them counts once.
	Known bool
}

// Full reports whether a new recipient would pass the limit.
func (r Reach) Full() bool { return r.Limit > 0 && !r.Known && r.Reached >= r.Limit }

var errWindowClosed = errors.New("the customer's 24-hour window is closed and the message has no fallback template")

// Decide is the send decision on a message to a contact (the zero Contact
// for one the hub does not know) at now, under a tenant's policy:
//
//   - a free-form message outside the customer's 24-hour window goes as
//     its fallback template, or is held (CodeWindowClosed) without one,
//     or skipped (CodeWindowClosed) when it is WindowOnly;
//   - a marketing message is skipped while its recipient is held after
//     WhatsApp refused to deliver (SkipHeld), when they opted out
//     (SkipOptedOut) or, when the policy requires an opt-in, have not
//     opted in (SkipNoConsent); it is deferred while they have written
//     in a webhook not applied yet (CodeUnread, for UnreadRecheck), in
//     the quiet hours until they end, and skipped beyond the daily cap
//     (SkipDailyCap).
//     Utility, authentication and service messages are not held to
//     consent, quiet hours or the cap;
//   - a marketing message is deferred while its sender is paused for its
//     number's quality (CodeQualityPaused, rechecked after
//     QualityRecheck), and skipped when its estimated cost would take the
//     month's spend past the budget (SkipBudget);
//   - a template the sender's account does not have as sent (missing,
//     not approved, other parameters) is held with the template's code;
//   - a template outside the customer's window to a recipient the sender
//     has not reached in the last ReachWindow is deferred while the
//     sender's messaging limit is used up (CodeMessagingLimit), until the
//     oldest reached recipient leaves the window (the send stage gives
//     each waiting message its own turn instead);
//   - anything else is sent (Initiated when it opens a business-initiated
//     conversation).
func Decide(c member.Contact, cmd Command, p Policy, f Facts, now time.Time) Decision {
	send := cmd
	fallback := false
	if FreeForm(cmd.Kind) && !c.WindowOpen(now) {
		if cmd.Fallback == nil && cmd.WindowOnly {
			return Decision{Verdict: Skip, Command: cmd, Code: CodeWindowClosed, Reason: errWindowClosed.Error()}
		}
		if cmd.Fallback == nil {
			return Decision{Verdict: Hold, Command: cmd, Code: CodeWindowClosed, Reason: errWindowClosed.Error(),
				Err: fault.Permanent(fault.ClassWindow, errWindowClosed)}
		}
		send, fallback = cmd.AsFallback(), true
	}
	if cmd.Category == CategoryMarketing {
		if d, refused := marketing(c, cmd, p, f, now); refused {
			return d
		}
	}
	if f.Templates != nil && send.Kind == KindTemplate {
		if err := f.Templates.Check(send.Template); err != nil {
			code := CodeTemplateMissing
			var te *TemplateError
			if errors.As(err, &te) {
				code = te.Code
			}
			return Decision{Verdict: Hold, Command: addressed(send, c), Fallback: fallback, Code: code,
				Reason: err.Error(), Err: fault.Permanent(fault.ClassTemplate, err)}
		}
	}
	initiated := send.Kind == KindTemplate && !c.WindowOpen(now)
	if initiated && f.Reach.Full() {
		until := f.Reach.Oldest.Add(ReachWindow)
		if !until.After(now) {
			until = now.Add(time.Minute) // the count is behind: look again soon
		}
		return Decision{Verdict: Defer, Command: cmd, Code: CodeMessagingLimit, Until: until,
			Reason: fmt.Sprintf("the sender reached %d of %d unique users outside a service window in 24h",
				f.Reach.Reached, f.Reach.Limit)}
	}
	return Decision{Verdict: Send, Command: addressed(send, c), Fallback: fallback, Initiated: initiated}
}

// marketing applies what a marketing message needs beyond the window:
// refused is set when the message is skipped or deferred.
func marketing(c member.Contact, cmd Command, p Policy, f Facts, now time.Time) (d Decision, refused bool) {
	skip := func(code, reason string) (Decision, bool) {
		return Decision{Verdict: Skip, Command: cmd, Code: code, Reason: reason}, true
	}
	switch {
	case c.Held(now):
		return skip(SkipHeld, fmt.Sprintf("the recipient is held until %s (%s)", c.HoldUntil.Format(time.RFC3339), c.HoldReason))
	case c.Marketing == member.ConsentOptedOut:
		return skip(SkipOptedOut, "the recipient opted out of marketing messages ("+c.MarketingSource+")")
	case c.Marketing != member.ConsentOptedIn && p.OptInRequired:
		return skip(SkipNoConsent, "the recipient has not opted in to marketing messages")
	case f.Unread:
		// Their words may be a STOP: applied first, not crossed.
		return Decision{Verdict: Defer, Command: cmd, Code: CodeUnread, Until: now.Add(UnreadRecheck),
			Reason: "the recipient wrote in a webhook the hub has not applied yet"}, true
	}
	if until, quiet := p.QuietUntil(now); quiet {
		return Decision{Verdict: Defer, Command: cmd, Until: until,
			Reason: "quiet hours until " + until.In(p.loc()).Format("15:04")}, true
	}
	if f.MarketingToday >= p.MarketingDailyCap {
		return skip(SkipDailyCap, fmt.Sprintf("the recipient already got %d marketing messages today (cap %d)", f.MarketingToday, p.MarketingDailyCap))
	}
	if f.QualityPause != "" {
		return Decision{Verdict: Defer, Command: cmd, Code: CodeQualityPaused, Until: now.Add(QualityRecheck),
			Reason: "the sender's marketing messages are paused for its number's quality (" + f.QualityPause + ")"}, true
	}
	if f.Budget > 0 && f.Spent+f.Cost > f.Budget {
		return skip(SkipBudget, fmt.Sprintf("the month's spend %s plus this message's %s would pass the budget %s",
			FormatMicros(f.Spent), FormatMicros(f.Cost), FormatMicros(f.Budget)))
	}
	return Decision{}, false
}

// addressed sends a message to a number to the wa_id WhatsApp last gave
// for that person, when it is another form of the number. The message log
// keeps the recipient as claimed.
func addressed(cmd Command, c member.Contact) Command {
	if cmd.To != "" && c.WAID != "" && c.Phone == member.PhoneKey(cmd.To) {
		cmd.To = "+" + c.WAID
	}
	return cmd
}

// AsFallback is a free-form command turned into its fallback template.
func (c Command) AsFallback() Command {
	c.Kind, c.Template, c.Fallback = KindTemplate, c.Fallback, nil
	c.Text, c.Interactive, c.Media = "", nil, nil
	return c
}

// WhatsApp's refusals the hub acts on beyond retrying or dead-lettering.
const (
	CodeReengagement = "131047" // outside the 24-hour window: the fallback template goes instead
	CodeEcosystem    = "131049" // not delivered to keep the ecosystem healthy
	CodeStopped      = "131050" // the user stopped marketing messages
)

// EcosystemHold is how long a recipient WhatsApp refused with CodeEcosystem
// is spared further marketing messages: Meta advises against retrying
// within 24 hours.
const EcosystemHold = 24 * time.Hour

// Refused is what WhatsApp's refusal of a message with code says about its
// recipient, however it arrived (answered at once or on a failed status
// webhook) at now: CodeStopped opts them out of marketing messages,
// CodeEcosystem holds them from marketing for EcosystemHold. ok is false
// for a code that says nothing about them.
func Refused(code string, now time.Time) (change member.Change, ok bool) {
	switch code {
	case CodeStopped:
		return member.SetConsent(member.ConsentOptedOut, "whatsapp:"+code, now), true
	case CodeEcosystem:
		return member.Hold(now.Add(EcosystemHold), code), true
	}
	return nil, false
}
