package conversation

import "strings"

// Reply ids of the bot's own buttons and list rows. WhatsApp returns the
// id of what a customer tapped; put it in Input.ReplyID and Parse reads it
// back. Ids are "<what>:<value>"; the value is everything after the first
// colon, so a reward id may itself hold colons. WhatsApp allows 256
// characters for a button id and 200 for a list row id.
const (
	ReplyConsentYes = "consent:yes" // consent_yes_button → KindConsentYes
	ReplyConsentNo  = "consent:no"  // consent_no_button → KindConsentNo
)

// Reply id prefixes.
const (
	replyConsent  = "consent"
	replyReward   = "reward"
	replyConfirm  = "confirm"
	replyCancel   = "cancel"
	replyLanguage = "lang"
	replyMenu     = "menu"
)

// RewardReplyID is the id of a rewards list row: "reward:<id>", read as
// KindRedeem with RewardID.
func RewardReplyID(rewardID string) string { return replyReward + ":" + rewardID }

// ConfirmReplyID is the id of the confirm button of a redemption:
// "confirm:<id>", read as KindConfirm with RewardID. Check RewardID against
// the reward awaiting confirmation: a customer may tap an older message.
func ConfirmReplyID(rewardID string) string { return replyConfirm + ":" + rewardID }

// CancelReplyID is the id of the cancel button of a redemption:
// "cancel:<id>", read as KindCancel with RewardID.
func CancelReplyID(rewardID string) string { return replyCancel + ":" + rewardID }

// LanguageReplyID is the id of a language list row: "lang:<code>", read as
// KindLanguage with Language.
func LanguageReplyID(lang string) string { return replyLanguage + ":" + lang }

// MenuReplyID is the id of a button, list row or template quick reply
// payload that asks for what a keyword would: "menu:<kind>", for KindJoin,
// KindPoints, KindRewards, KindRefer, KindStop, KindStart, KindHelp,
// KindAgent and KindLanguage. A marketing template's "Stop promotions"
// quick reply with payload MenuReplyID(KindStop) reads as KindStop in
// every language.
func MenuReplyID(k Kind) string { return replyMenu + ":" + string(k) }

// menuKinds are the kinds a menu reply id may ask for.
var menuKinds = map[Kind]bool{
	KindJoin: true, KindPoints: true, KindRewards: true, KindRefer: true, KindStop: true,
	KindStart: true, KindHelp: true, KindAgent: true, KindLanguage: true,
}

// parseReplyID reads one of the bot's reply ids; ok is false for any
// other id.
func parseReplyID(id string) (it Intent, ok bool) {
	what, value, found := strings.Cut(id, ":")
	if !found || value == "" {
		return Intent{}, false
	}
	switch what {
	case replyConsent:
		switch id {
		case ReplyConsentYes:
			return Intent{Kind: KindConsentYes}, true
		case ReplyConsentNo:
			return Intent{Kind: KindConsentNo}, true
		}
	case replyReward:
		return Intent{Kind: KindRedeem, RewardID: value}, true
	case replyConfirm:
		return Intent{Kind: KindConfirm, RewardID: value}, true
	case replyCancel:
		return Intent{Kind: KindCancel, RewardID: value}, true
	case replyLanguage:
		if IsLanguage(value) {
			return Intent{Kind: KindLanguage, Language: value}, true
		}
	case replyMenu:
		if k := Kind(value); menuKinds[k] {
			return Intent{Kind: k}, true
		}
	}
	return Intent{}, false
}
