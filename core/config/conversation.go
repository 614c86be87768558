package config

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Languages the chatbot speaks.
var ConversationLanguages = []string{"en", "id", "tr", "it", "ar"}

// Defaults of a tenant's conversation block.
const (
	DefaultJoinKeyword        = "JOIN"
	DefaultConversationLang   = "en"
	DefaultHandoffTimeout     = 24 * time.Hour
	DefaultHandoffAfterMisses = 3
)

// Conversation is a tenant's chatbot on WhatsApp: customers join, check
// their points, redeem rewards, refer friends, stop and resume promotions,
// and reach a person, all in the chat.
type Conversation struct {
	// Enabled turns the chatbot on. Default false: customers' messages
	// are recorded (they open the 24-hour window) but not answered.
	Enabled bool `koanf:"enabled"`
	// Sender is the WhatsApp connector that receives the customers'
	// messages and answers them. Required when enabled.
	Sender string `koanf:"sender"`
	// PhoneNumber is the business number customers write to, digits with
	// the country code ("6281100001111"), for wa.me join links. Required
	// when enabled.
	PhoneNumber string `koanf:"phone_number"`
	// Brand names the program in messages. Default: the tenant's name.
	Brand string `koanf:"brand"`
	// JoinKeyword starts a join message in every language ("JOIN ABC12345"
	// joins with that referral code), beside each language's own words.
	// Default JOIN.
	JoinKeyword string `koanf:"join_keyword"`
	// Languages the bot answers in, of en, id, tr, it, ar. Default all.
	Languages []string `koanf:"languages"`
	// DefaultLanguage answers a customer whose language is known neither
	// from their choice, their words nor their phone number. Default en.
	DefaultLanguage string `koanf:"default_language"`
	// Messages override the bot's texts: language → message key → text
	// with the key's {placeholders}.
	Messages map[string]map[string]string `koanf:"messages"`
	// Keywords add words to the bot's intents: language → intent → words.
	Keywords map[string]map[string][]string `koanf:"keywords"`
	Handoff  Handoff                        `koanf:"handoff"`
}

// Handoff hands a conversation to a person: on "agent" (in any language)
// or after misunderstood messages, the customer's messages go to a webhook
// (an inbox such as Chatwoot's) and the bot stays silent until released
// or Timeout.
type Handoff struct {
	// WebhookURL receives every message of a handed-off conversation as
	// JSON (docs/config.md). Empty: handoffs are kept for the admin API
	// only.
	WebhookURL string `koanf:"webhook_url"`
	// Secret signs the webhook's body: X-Loyalhub-Signature, hex
	// HMAC-SHA256. Required with a webhook_url.
	Secret string `koanf:"secret"`
	// Timeout ends a handoff nobody released. Default 24h.
	Timeout time.Duration `koanf:"timeout"`
	// AfterMisunderstood hands over after this many messages in a row the
	// bot did not understand. Default 3; 0 keeps the default, -1 never.
	AfterMisunderstood int `koanf:"after_misunderstood"`
}

func (c *Conversation) applyDefaults(tenantName string) {
	if c.Brand == "" {
		c.Brand = tenantName
	}
	setString(&c.JoinKeyword, DefaultJoinKeyword)
	setString(&c.DefaultLanguage, DefaultConversationLang)
	if len(c.Languages) == 0 {
		c.Languages = slices.Clone(ConversationLanguages)
	}
	setDuration(&c.Handoff.Timeout, DefaultHandoffTimeout)
	if c.Handoff.AfterMisunderstood == 0 {
		c.Handoff.AfterMisunderstood = DefaultHandoffAfterMisses
	}
}

var (
	digitsPattern      = regexp.MustCompile(`^[1-9][0-9]{6,14}$`)
	joinKeywordPattern = regexp.MustCompile(`^[\pL\pN]{2,20}$`)
)

func (v *validator) conversation(base string, t Tenant) {
	c := t.Conversation
	p := base + ".conversation"
	for i, lang := range c.Languages {
		if !slices.Contains(ConversationLanguages, lang) {
			v.add(fmt.Sprintf("%s.languages[%d]", p, i), "%q is not a language of the bot (%v)", lang, ConversationLanguages)
		}
	}
	if !slices.Contains(c.Languages, c.DefaultLanguage) {
		v.add(p+".default_language", "%q is not one of languages %v", c.DefaultLanguage, c.Languages)
	}
	if !joinKeywordPattern.MatchString(c.JoinKeyword) {
		v.add(p+".join_keyword", "must be one word of 2 to 20 letters or digits, got %q", c.JoinKeyword)
	}
	for _, lang := range sortedKeys(c.Messages) {
		if !slices.Contains(ConversationLanguages, lang) {
			v.add(p+".messages."+lang, "%q is not a language of the bot (%v)", lang, ConversationLanguages)
		}
	}
	for _, lang := range sortedKeys(c.Keywords) {
		if !slices.Contains(ConversationLanguages, lang) {
			v.add(p+".keywords."+lang, "%q is not a language of the bot (%v)", lang, ConversationLanguages)
		}
	}
	h := c.Handoff
	if h.WebhookURL != "" {
		if u, err := url.Parse(h.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(p+".handoff.webhook_url", "must be an http(s) URL, got %q", h.WebhookURL)
		}
		v.required(p+".handoff.secret", h.Secret)
	}
	v.positiveDuration(p+".handoff.timeout", h.Timeout)
	if h.AfterMisunderstood < -1 {
		v.add(p+".handoff.after_misunderstood", "must be -1 (never) or positive, got %d", h.AfterMisunderstood)
	}
	if !c.Enabled {
		return
	}
	switch {
	case c.Sender == "":
		v.add(p+".sender", "required when the conversation is enabled: the WhatsApp connector that answers")
	default:
		if _, ok := t.Connectors[c.Sender]; !ok {
			v.add(p+".sender", "%q is not a connector of the tenant", c.Sender)
		}
	}
	if !digitsPattern.MatchString(c.PhoneNumber) {
		v.add(p+".phone_number", "must be the business number's digits with the country code, such as 6281100001111, got %q", c.PhoneNumber)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// names checks the per-language names of a reward, tier level or rule:
// each key a language of the bot, each name not blank.
func (v *validator) names(p string, names map[string]string) {
	for _, lang := range sortedKeys(names) {
		switch {
		case !slices.Contains(ConversationLanguages, lang):
			v.add(p+"."+lang, "%q is not a language of the bot (%v)", lang, ConversationLanguages)
		case strings.TrimSpace(names[lang]) == "":
			v.add(p+"."+lang, "must not be blank: leave the language out to use the name")
		}
	}
}
