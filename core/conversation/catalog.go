package conversation

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Message keys: every message the bot sends. Each comment gives the
// message's placeholders, its WhatsApp limit or when it is sent.
const (
	MsgWelcomeNew            = "welcome_new"             // {points} joining points, {balance}
	MsgWelcomeBack           = "welcome_back"            // {name}, {balance}
	MsgConsentQuestion       = "consent_question"        // asks whether they want promotional messages here
	MsgConsentYesButton      = "consent_yes_button"      // reply button title, ≤ 20 characters
	MsgConsentNoButton       = "consent_no_button"       // reply button title, ≤ 20 characters
	MsgConsentGiven          = "consent_given"           // after consent_yes
	MsgConsentDeclined       = "consent_declined"        // after consent_no
	MsgPointsSummary         = "points_summary"          // {balance}, {pending}
	MsgPointsTier            = "points_tier"             // {tier}
	MsgPointsNextTier        = "points_next_tier"        // {remaining} points to {next_tier}
	MsgPointsTopTier         = "points_top_tier"         // instead of points_next_tier at the top level
	MsgPointsExpiring        = "points_expiring"         // {points} expire on {date}
	MsgPointsRecentHeader    = "points_recent_header"    // above the points_recent_line lines
	MsgPointsRecentLine      = "points_recent_line"      // {date}, {points} (signed), {reason}
	MsgRewardsIntro          = "rewards_intro"           // {balance}; the rewards list's body
	MsgRewardsButton         = "rewards_button"          // list button, ≤ 20 characters
	MsgRewardsSection        = "rewards_section"         // list section title, ≤ 24 characters
	MsgRewardRowTitle        = "reward_row_title"        // {name}; list row title, ≤ 24 characters once formatted
	MsgRewardRowDescription  = "reward_row_description"  // {cost}; list row description, ≤ 72 characters
	MsgRewardsNone           = "rewards_none"            // {balance}, {cheapest}: the cost of the cheapest reward
	MsgRewardsEmpty          = "rewards_empty"           // the catalog has no rewards
	MsgRedeemConfirmQuestion = "redeem_confirm_question" // {reward}, {cost}, {balance}
	MsgConfirmButton         = "confirm_button"          // reply button title, ≤ 20 characters
	MsgCancelButton          = "cancel_button"           // reply button title, ≤ 20 characters
	MsgRedeemed              = "redeemed"                // {reward}, {code}, {balance}
	MsgRedeemNotEnough       = "redeem_not_enough"       // {reward}, {cost}, {balance}, {missing}
	MsgRedeemUnavailable     = "redeem_unavailable"      // {reward}
	MsgRedeemCancelled       = "redeem_cancelled"        // after a cancel
	MsgRedeemFailed          = "redeem_failed"           // the redemption did not go through
	MsgRefer                 = "refer"                   // {code}; followed by refer_forward
	MsgReferForward          = "refer_forward"           // {link}, {brand}: a message to forward to friends
	MsgStopped               = "stopped"                 // after a stop
	MsgStarted               = "started"                 // after a start
	MsgMenu                  = "menu"                    // the keywords of the language, as a list
	MsgNotUnderstood         = "not_understood"          // send the menu after it
	MsgHandoffStarted        = "handoff_started"         // a person takes over
	MsgHandoffEnded          = "handoff_ended"           // the bot answers again
	MsgLanguageQuestion      = "language_question"       // the language list's body
	MsgLanguageButton        = "language_button"         // list button, ≤ 20 characters
	MsgLanguageChanged       = "language_changed"        // in the new language
	MsgNotMember             = "not_member"              // {keyword}: the tenant's join keyword
	MsgErrorLater            = "error_later"             // anything else went wrong
	MsgWelcomePrompt         = "welcome_prompt"          // {brand}, {keyword}: answers request_welcome from someone not a member
	MsgLedgerEarned          = "ledger_earned"           // a points_recent_line reason: points a rule without a name in the language earned
	MsgLedgerPending         = "ledger_pending"          // reason: points held for the returns window
	MsgLedgerActivated       = "ledger_activated"        // reason: held points became available
	MsgLedgerReferral        = "ledger_referral"         // reason: points for a referral
	MsgLedgerChallenge       = "ledger_challenge"        // reason: points for a challenge completed
	MsgLedgerRedeemed        = "ledger_redeemed"         // reason: {reward} redeemed
	MsgLedgerReleased        = "ledger_released"         // reason: the points of {reward} given back
	MsgLedgerReversed        = "ledger_reversed"         // reason: points taken back after a refund or cancellation
	MsgLedgerExpired         = "ledger_expired"          // reason: points expired
	MsgLedgerAdjusted        = "ledger_adjusted"         // reason: a correction by the team
	MsgLedgerMerged          = "ledger_merged"           // reason: two accounts of the member were joined
)

// WhatsApp's limits on interactive message parts, in characters.
const (
	MaxButtonTitle     = 20   // reply button title
	MaxListButton      = 20   // the button that opens a list
	MaxSectionTitle    = 24   // list section title
	MaxRowTitle        = 24   // list row title
	MaxRowDescription  = 72   // list row description
	MaxInteractiveBody = 1024 // body of a message with buttons or a list
)

// messageSpec is what a message key takes.
type messageSpec struct {
	params   []string // placeholders it may hold
	required []string // placeholders an override must keep: the message is useless without them
	limit    int      // most characters, not counting placeholders
}

var messageSpecs = map[string]messageSpec{
	MsgWelcomeNew:            {params: []string{"points", "balance"}},
	MsgWelcomeBack:           {params: []string{"name", "balance"}},
	MsgConsentQuestion:       {limit: MaxInteractiveBody},
	MsgConsentYesButton:      {limit: MaxButtonTitle},
	MsgConsentNoButton:       {limit: MaxButtonTitle},
	MsgConsentGiven:          {},
	MsgConsentDeclined:       {},
	MsgPointsSummary:         {params: []string{"balance", "pending"}},
	MsgPointsTier:            {params: []string{"tier"}},
	MsgPointsNextTier:        {params: []string{"remaining", "next_tier"}},
	MsgPointsTopTier:         {},
	MsgPointsExpiring:        {params: []string{"points", "date"}},
	MsgPointsRecentHeader:    {},
	MsgPointsRecentLine:      {params: []string{"date", "points", "reason"}},
	MsgRewardsIntro:          {params: []string{"balance"}, limit: MaxInteractiveBody},
	MsgRewardsButton:         {limit: MaxListButton},
	MsgRewardsSection:        {limit: MaxSectionTitle},
	MsgRewardRowTitle:        {params: []string{"name"}, required: []string{"name"}, limit: MaxRowTitle},
	MsgRewardRowDescription:  {params: []string{"cost"}, limit: MaxRowDescription},
	MsgRewardsNone:           {params: []string{"balance", "cheapest"}},
	MsgRewardsEmpty:          {},
	MsgRedeemConfirmQuestion: {params: []string{"reward", "cost", "balance"}, limit: MaxInteractiveBody},
	MsgConfirmButton:         {limit: MaxButtonTitle},
	MsgCancelButton:          {limit: MaxButtonTitle},
	MsgRedeemed:              {params: []string{"reward", "code", "balance"}, required: []string{"code"}},
	MsgRedeemNotEnough:       {params: []string{"reward", "cost", "balance", "missing"}},
	MsgRedeemUnavailable:     {params: []string{"reward"}},
	MsgRedeemCancelled:       {},
	MsgRedeemFailed:          {},
	MsgRefer:                 {params: []string{"code"}, required: []string{"code"}},
	MsgReferForward:          {params: []string{"link", "brand"}, required: []string{"link"}},
	MsgStopped:               {},
	MsgStarted:               {},
	MsgMenu:                  {},
	MsgNotUnderstood:         {},
	MsgHandoffStarted:        {},
	MsgHandoffEnded:          {},
	MsgLanguageQuestion:      {limit: MaxInteractiveBody},
	MsgLanguageButton:        {limit: MaxListButton},
	MsgLanguageChanged:       {},
	MsgNotMember:             {params: []string{"keyword"}, required: []string{"keyword"}},
	MsgErrorLater:            {},
	MsgWelcomePrompt:         {params: []string{"brand", "keyword"}, required: []string{"keyword"}},
	MsgLedgerEarned:          {limit: maxLedgerReason},
	MsgLedgerPending:         {limit: maxLedgerReason},
	MsgLedgerActivated:       {limit: maxLedgerReason},
	MsgLedgerReferral:        {limit: maxLedgerReason},
	MsgLedgerChallenge:       {limit: maxLedgerReason},
	MsgLedgerRedeemed:        {params: []string{"reward"}, limit: maxLedgerReason},
	MsgLedgerReleased:        {params: []string{"reward"}, limit: maxLedgerReason},
	MsgLedgerReversed:        {limit: maxLedgerReason},
	MsgLedgerExpired:         {limit: maxLedgerReason},
	MsgLedgerAdjusted:        {limit: maxLedgerReason},
	MsgLedgerMerged:          {limit: maxLedgerReason},
}

// maxLedgerReason is the most characters of a ledger line's reason: a
// short phrase on one line of the points answer.
const maxLedgerReason = 60

// maxText is WhatsApp's limit on a text message body, in characters.
const maxText = 4096

// MessageKeys returns every message key, sorted.
func MessageKeys() []string { return slices.Sorted(maps.Keys(messageSpecs)) }

// MessagePlaceholders returns the placeholders a message key takes, without
// braces ("balance"), nil for an unknown key.
func MessagePlaceholders(key string) []string { return slices.Clone(messageSpecs[key].params) }

// Catalog holds the messages the bot sends, per language and key. A
// Catalog is immutable and safe for concurrent use; With returns a new one.
type Catalog struct {
	texts map[string]map[string]string // lang → key → text
}

var defaultCatalog = sync.OnceValue(func() *Catalog { return &Catalog{texts: defaultMessages} })

// DefaultCatalog returns the built-in messages: every key in every
// supported language.
func DefaultCatalog() *Catalog { return defaultCatalog() }

// With returns c with tenant overrides: overrides maps a language, then a
// message key, to a text. A text may hold only the placeholders its key
// takes (see MessagePlaceholders), must keep those without which the
// message is useless ({code} in redeemed and refer, {link} in
// refer_forward, {keyword} in not_member, {name} in reward_row_title), and
// must fit WhatsApp's limit for where it appears (button titles 20
// characters, placeholders not counted). Errors are *OverrideError values,
// joined, whose paths are relative to overrides ("id.points_summary").
func (c *Catalog) With(overrides map[string]map[string]string) (*Catalog, error) {
	var errs []error
	for _, lang := range slices.Sorted(maps.Keys(overrides)) {
		if !IsLanguage(lang) {
			errs = append(errs, &OverrideError{Path: lang, Msg: unknownLanguageMsg(lang)})
			continue
		}
		for _, key := range slices.Sorted(maps.Keys(overrides[lang])) {
			if msg := checkMessage(key, overrides[lang][key]); msg != "" {
				errs = append(errs, &OverrideError{Path: lang + "." + key, Msg: msg})
			}
		}
	}
	if len(errs) > 0 {
		return c, errors.Join(errs...)
	}
	out := &Catalog{texts: map[string]map[string]string{}}
	for lang, texts := range c.texts {
		out.texts[lang] = maps.Clone(texts)
	}
	for lang, texts := range overrides {
		if out.texts[lang] == nil {
			out.texts[lang] = map[string]string{}
		}
		maps.Copy(out.texts[lang], texts)
	}
	return out, nil
}

// checkMessage returns what is wrong with text as the message key, or "".
func checkMessage(key, text string) string {
	spec, ok := messageSpecs[key]
	switch {
	case !ok:
		return unknownMsg("message key", key, MessageKeys())
	case strings.TrimSpace(text) == "":
		return "empty message"
	case !utf8.ValidString(text):
		return "not valid UTF-8"
	}
	used := placeholders(text)
	for _, p := range used {
		if !slices.Contains(spec.params, p) {
			if len(spec.params) == 0 {
				return fmt.Sprintf("unknown placeholder {%s}: this message takes none", p)
			}
			return fmt.Sprintf("unknown placeholder {%s}: this message takes {%s}", p, strings.Join(spec.params, "}, {"))
		}
	}
	for _, p := range spec.required {
		if !slices.Contains(used, p) {
			return fmt.Sprintf("missing placeholder {%s}", p)
		}
	}
	limit := cmp.Or(spec.limit, maxText)
	if n := utf8.RuneCountInString(stripPlaceholders(text)); n > limit {
		return fmt.Sprintf("%d characters, more than WhatsApp's %d", n, limit)
	}
	return ""
}

// Text returns the message key in lang, with each {placeholder} replaced by
// its value in args; a placeholder without a value stays as written. A
// language the catalog lacks falls back to English, and an unknown key
// gives "". In Arabic every value is wrapped in a first-strong isolate
// (U+2068 … U+2069) so numbers, codes, Latin names, links and dates keep
// their order inside right-to-left text; nothing else changes direction.
func (c *Catalog) Text(lang, key string, args map[string]string) string {
	texts, ok := c.texts[lang]
	if !ok || texts[key] == "" {
		lang, texts = English, c.texts[English]
	}
	text := texts[key]
	if len(args) == 0 || !strings.Contains(text, "{") {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + 32)
	for {
		start, end, name := nextPlaceholder(text)
		if start < 0 {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:start])
		switch v, ok := args[name]; {
		case !ok:
			b.WriteString(text[start:end])
		case lang == Arabic && v != "":
			b.WriteString(Isolate(v))
		default:
			b.WriteString(v)
		}
		text = text[end:]
	}
}

// Isolate wraps s in a first-strong isolate (U+2068 … U+2069): inside
// right-to-left text it renders in its own direction without reordering
// what surrounds it. Text does it for every value of an Arabic message.
func Isolate(s string) string { return "\u2068" + s + "\u2069" }

// nextPlaceholder finds the first "{name}" in s, name being lower-case
// letters, digits and underscores; start is -1 when there is none.
func nextPlaceholder(s string) (start, end int, name string) {
	off := 0
	for {
		i := strings.IndexByte(s[off:], '{')
		if i < 0 {
			return -1, -1, ""
		}
		i += off
		j := i + 1
		for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9' || s[j] == '_') {
			j++
		}
		if j > i+1 && j < len(s) && s[j] == '}' {
			return i, j + 1, s[i+1 : j]
		}
		off = i + 1
	}
}

// placeholders lists the distinct placeholder names in s, in order.
func placeholders(s string) []string {
	var out []string
	for {
		start, end, name := nextPlaceholder(s)
		if start < 0 {
			return out
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
		s = s[end:]
	}
}

// stripPlaceholders removes every placeholder from s.
func stripPlaceholders(s string) string {
	var b strings.Builder
	for {
		start, end, _ := nextPlaceholder(s)
		if start < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:start])
		s = s[end:]
	}
}
