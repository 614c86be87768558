package conversation

import (
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/loyalty"
)

// Effect is something a turn needs done outside the conversation: one of
// SetConsent, Handoff, Join, Redeem and ReadAccount. The hub carries it out
// in its store, its inbox webhook or its program.
type Effect interface{ effect() }

// SetConsent records the customer's consent to promotional messages.
type SetConsent struct {
	// OptIn is true for consent given, false for consent refused or taken
	// back.
	OptIn bool
	// Source says where: "whatsapp:join" with the join's source
	// ("whatsapp:join:qr") for the answer to the consent question,
	// "whatsapp:chat" for STOP or START.
	Source string
	// Shown is what the customer agreed to: the consent question in their
	// language, or what they wrote.
	Shown string
	// At is when: the message's time.
	At time.Time
	// Command is ConsentStop or ConsentResume when the customer wrote STOP
	// or START; "" for the answer to the consent question.
	Command string
}

// SetConsent commands.
const (
	ConsentStop   = "stop"
	ConsentResume = "resume"
)

// Handoff tells the person answering (the tenant's inbox webhook) about
// the conversation.
type Handoff struct {
	// Event is HandoffStarted, HandoffMessage or HandoffEnded.
	Event string
	// Reason says why the handoff started (HandoffAsked,
	// HandoffMisunderstood) or ended (HandoffTimeout).
	Reason string
	// Until is when the handoff ends unless released; zero for an ended
	// one.
	Until time.Time
	// Language is the language the bot spoke with the customer.
	Language string
	// WithMessage is true when the customer's message goes with the event.
	WithMessage bool
}

// Join makes the customer a member through the loyalty program, with the
// joining points of its rules; a referral code links the referrer. Joining
// twice changes nothing. The store's answer goes to Result.Joined.
type Join struct {
	// Code is the referral code the customer joined with, "" for none.
	Code string
}

// Redeem redeems a reward for the member once per request id. The
// store's answer goes to Result.Redeemed.
type Redeem struct {
	MemberID string
	RewardID string
	// RequestID is the question the customer answered, so that tapping
	// the same button twice redeems once.
	RequestID string
}

// ReadAccount reads what the points answer shows besides the balance: the
// tier progress, points expiring soon and the last Recent ledger entries.
// It changes nothing, but is costly, so a turn asks for it only when it
// answers with the points. The answer goes to Result.WithAccount.
type ReadAccount struct {
	MemberID string
	Recent   int
}

func (SetConsent) effect()  {}
func (Handoff) effect()     {}
func (Join) effect()        {}
func (Redeem) effect()      {}
func (ReadAccount) effect() {}

// JoinAnswer is what a Join did.
type JoinAnswer struct {
	// MemberID is the new member's id; the replies go to that member.
	MemberID string
	// Points is what joining earned; Balance the member's balance after.
	Points  int64
	Balance int64
}

// Joined returns r with the replies to a join made: the consent answered,
// the welcome with the joining points and the menu. r must be waiting for
// a Join.
func (r Result) Joined(a JoinAnswer) Result {
	return r.complete(func(t *turn) {
		t.text(consentKey(t.consented), nil)
		t.text(MsgWelcomeNew, map[string]string{"points": t.points(a.Points), "balance": t.points(a.Balance)})
		t.text(MsgMenu, nil)
	})
}

// Refusal is why a redemption did not go through.
type Refusal string

// Refusals.
const (
	RefusedNotEnough   Refusal = "not_enough"  // too few points
	RefusedUnavailable Refusal = "unavailable" // out of stock, another tier or outside its dates
	RefusedFailed      Refusal = "failed"      // anything else refused it; nothing was redeemed
)

// RedeemAnswer is what a Redeem did: the reward's code and the balance
// after, or why it was refused.
type RedeemAnswer struct {
	Code    string
	Balance int64
	Refused Refusal
}

// Redeemed returns r with the reply to a redemption: the code, or why
// nothing was redeemed. r must be waiting for a Redeem.
func (r Result) Redeemed(a RedeemAnswer) Result {
	red, _ := r.Pending.(Redeem)
	return r.complete(func(t *turn) {
		rw, _ := t.reward(red.RewardID)
		switch a.Refused {
		case RefusedNotEnough:
			t.text(MsgRedeemNotEnough, t.rewardArgs(rw))
		case RefusedUnavailable:
			t.text(MsgRedeemUnavailable, map[string]string{"reward": t.rewardName(rw)})
		case "":
			t.text(MsgRedeemed, map[string]string{"reward": t.rewardName(rw), "code": a.Code, "balance": t.points(a.Balance)})
		default:
			t.text(MsgRedeemFailed, nil)
		}
	})
}

// Account is what ReadAccount read.
type Account struct {
	// Progress is where the member stands in the tiers; nil without
	// tiers.
	Progress *loyalty.TierProgress
	// Expiring is the points expiring soon, and NextExpiry when the first
	// of them do (zero: none).
	Expiring   int64
	NextExpiry time.Time
	// Recent are the last ledger entries, newest first.
	Recent []Entry
}

// Entry is a ledger entry as the points answer reads it.
type Entry struct {
	// Kind, Points, PendingPoints and Rule are the entry's.
	Kind          string
	Points        int64
	PendingPoints int64
	Rule          string
	// RewardID is the reward of a redeem entry's redemption, "" when
	// unknown.
	RewardID string
	// At is when the entry was written.
	At time.Time
}

// WithAccount returns r with the points answer: the balance, pending
// points, the tier and what is left to the next, points expiring soon and
// the last transactions. r must be waiting for a ReadAccount.
func (r Result) WithAccount(a Account) Result {
	return r.complete(func(t *turn) { t.account(a) })
}

// account adds the points answer.
func (t *turn) account(a Account) {
	lines := []string{t.catalogText(MsgPointsSummary, map[string]string{
		"balance": t.points(t.mem.Balance), "pending": t.points(t.mem.Pending)})}
	if p := a.Progress; p != nil {
		lines = append(lines, t.catalogText(MsgPointsTier, map[string]string{"tier": t.tierName(p.Tier)}))
		if p.Next != "" {
			left := p.Left
			if n, err := strconv.ParseInt(left, 10, 64); err == nil {
				left = t.points(n)
			}
			lines = append(lines, t.catalogText(MsgPointsNextTier, map[string]string{"remaining": left, "next_tier": t.tierName(p.Next)}))
		} else {
			lines = append(lines, t.catalogText(MsgPointsTopTier, nil))
		}
	}
	if a.Expiring > 0 && !a.NextExpiry.IsZero() {
		lines = append(lines, t.catalogText(MsgPointsExpiring, map[string]string{
			"points": t.points(a.Expiring), "date": FormatDate(t.lang, a.NextExpiry.In(t.bot.Location))}))
	}
	if len(a.Recent) > 0 {
		lines = append(lines, "", t.catalogText(MsgPointsRecentHeader, nil))
		for _, e := range a.Recent {
			n := e.Points
			if e.Kind == loyalty.EntryPending {
				n = e.PendingPoints // held, not in the balance yet
			}
			pts := t.points(n)
			if n > 0 {
				pts = "+" + pts
			}
			lines = append(lines, t.catalogText(MsgPointsRecentLine, map[string]string{
				"date": FormatDate(t.lang, e.At.In(t.bot.Location)), "points": pts, "reason": t.ledgerReason(e)}))
		}
	}
	t.texts = append(t.texts, strings.Join(lines, "\n"))
}

// ledgerReason says why a ledger entry changed the balance, in the
// customer's language: the entry's own reason is written for the admin
// API.
func (t *turn) ledgerReason(e Entry) string {
	line := LedgerLine{Kind: e.Kind, Points: e.Points, Rule: e.Rule}
	if names, ok := t.bot.Names.Rules[e.Rule]; ok {
		line.RuleName = LocalName(names, t.lang, "")
	}
	if name, ok := strings.CutPrefix(e.Rule, loyalty.ChallengeRulePrefix); ok {
		if names, ok := t.bot.Names.Challenges[name]; ok {
			line.RuleName = LocalName(names, t.lang, "")
		}
	}
	if e.Kind == loyalty.EntryRedeem {
		line.Reward = e.RewardID
		if rw, ok := t.reward(e.RewardID); ok {
			line.Reward = t.rewardName(rw)
		}
	}
	return t.bot.Catalog.LedgerReason(t.lang, line)
}
