package conversation

import (
	"strings"

	"github.com/loyalhub/loyalhub/core/loyalty"
)

// LocalName returns the name of a reward, tier or rule in lang: names[lang]
// when the tenant gave one, else fallback (the name the program knows it
// by).
func LocalName(names map[string]string, lang, fallback string) string {
	if n := strings.TrimSpace(names[lang]); n != "" {
		return n
	}
	return fallback
}

// LedgerLine is a ledger entry as the points answer shows it.
type LedgerLine struct {
	// Kind is the entry's kind as the loyalty program writes it
	// (loyalty.EntryEarn, EntryPending, EntryActivate, EntryRedeem,
	// EntryReverse, EntryExpire, EntryAdjust).
	Kind string
	// Points is the change of the balance; a redeem entry of positive
	// points gives back the points of a released redemption.
	Points int64
	// Rule is the rule that earned the points (earn, pending):
	// loyalty.ChallengeRulePrefix and its name for a challenge's points.
	Rule string
	// RuleName is the name in the language of the rule or challenge, ""
	// when the tenant gave it none: both are known by identifiers, not
	// names.
	RuleName string
	// Reward is the name in the language of the reward redeemed (redeem).
	Reward string
}

// LedgerReason returns why a ledger entry changed the balance, in lang,
// for the points answer's points_recent_line: the rule's name in the
// language when it has one, else the catalog's phrase for the kind of
// entry (ledger_earned, ledger_redeemed with the reward…). The entry's own
// reason, written for the admin API in English, is never shown.
func (c *Catalog) LedgerReason(lang string, l LedgerLine) string {
	key, args := MsgLedgerAdjusted, map[string]string(nil)
	switch l.Kind {
	case loyalty.EntryEarn, loyalty.EntryPending:
		switch {
		case l.RuleName != "":
			return l.RuleName
		case l.Kind == loyalty.EntryPending:
			key = MsgLedgerPending
		case l.Rule == loyalty.RuleReferral:
			key = MsgLedgerReferral
		case strings.HasPrefix(l.Rule, loyalty.ChallengeRulePrefix):
			key = MsgLedgerChallenge
		default:
			key = MsgLedgerEarned
		}
	case loyalty.EntryActivate:
		key = MsgLedgerActivated
	case loyalty.EntryRedeem:
		key, args = MsgLedgerRedeemed, map[string]string{"reward": l.Reward}
		if l.Points > 0 {
			key = MsgLedgerReleased
		}
	case loyalty.EntryReverse:
		key = MsgLedgerReversed
	case loyalty.EntryExpire:
		key = MsgLedgerExpired
	case loyalty.EntryMerge:
		key = MsgLedgerMerged
	}
	return c.Text(lang, key, args)
}
