package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
)

func TestConversationValidate(t *testing.T) {
	tenantID := ""
	for id := range valid().Tenants {
		tenantID = id
	}
	p := "tenants." + tenantID + ".conversation."
	tests := []struct {
		name   string
		mutate func(c *config.Conversation)
		want   map[string]string
	}{
		{name: "off by default", mutate: func(*config.Conversation) {}},
		{name: "on", mutate: func(c *config.Conversation) { c.Enabled, c.Sender, c.PhoneNumber = true, "wa", "6281100001111" }},
		{
			name:   "on needs the sender and the number",
			mutate: func(c *config.Conversation) { c.Enabled = true },
			want:   map[string]string{p + "sender": "required when the conversation is enabled", p + "phone_number": "digits"},
		},
		{
			name:   "the sender is a connector",
			mutate: func(c *config.Conversation) { c.Enabled, c.Sender, c.PhoneNumber = true, "sms", "+62 811" },
			want:   map[string]string{p + "sender": `"sms" is not a connector`, p + "phone_number": `"+62 811"`},
		},
		{
			name: "languages",
			mutate: func(c *config.Conversation) {
				c.Languages, c.DefaultLanguage = []string{"id", "fr"}, "en"
				c.Messages = map[string]map[string]string{"de": {"menu": "x"}}
				c.Keywords = map[string]map[string][]string{"es": {"join": {"unirse"}}}
			},
			want: map[string]string{
				p + "languages[1]": `"fr" is not a language`, p + "default_language": `"en" is not one of languages`,
				p + "messages.de": `"de"`, p + "keywords.es": `"es"`,
			},
		},
		{
			name: "handoff",
			mutate: func(c *config.Conversation) {
				c.JoinKeyword = "join us"
				c.Handoff = config.Handoff{WebhookURL: "ftp://inbox", Timeout: -time.Minute, AfterMisunderstood: -2}
			},
			want: map[string]string{
				p + "join_keyword": "one word", p + "handoff.webhook_url": "http(s) URL", p + "handoff.secret": "required",
				p + "handoff.timeout": "", p + "handoff.after_misunderstood": "-1 (never)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			ten := c.Tenants[tenantID]
			tt.mutate(&ten.Conversation)
			c.Tenants[tenantID] = ten
			errs := c.Validate()
			if tt.want == nil {
				require.Empty(t, errs)
				return
			}
			got := map[string]string{}
			for _, e := range errs {
				got[e.Path] = e.Msg
			}
			for path, part := range tt.want {
				require.Contains(t, got, path, "%v", errs)
				assert.Contains(t, got[path], part)
			}
			assert.Len(t, got, len(tt.want), "%v", errs)
		})
	}
}

// TestLocalizedNamesValidate: the per-language names of rules, tier
// levels and rewards are checked with their key paths.
func TestLocalizedNamesValidate(t *testing.T) {
	good := map[string]string{"id": "Kopi gratis", "ar": "قهوة مجانية"}
	bad := map[string]string{"id": "Kopi gratis", "fr": "Café offert", "tr": " "}
	tests := []struct {
		name  string
		names map[string]string
		want  map[string]string
	}{
		{name: "languages of the bot", names: good},
		{name: "none", names: nil},
		{
			name:  "unknown language and blank name",
			names: bad,
			want: map[string]string{
				"tenants.demo.loyalty.rules[0].names.fr":        `"fr" is not a language of the bot`,
				"tenants.demo.loyalty.rules[0].names.tr":        "must not be blank",
				"tenants.demo.loyalty.tiers.levels[1].names.fr": `"fr"`,
				"tenants.demo.loyalty.tiers.levels[1].names.tr": "blank",
				"tenants.demo.loyalty.rewards[0].names.fr":      `"fr"`,
				"tenants.demo.loyalty.rewards[0].names.tr":      "blank",
				"tenants.demo.loyalty.challenges[0].names.fr":   `"fr"`,
				"tenants.demo.loyalty.challenges[0].names.tr":   "blank",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			ten := c.Tenants["demo"]
			ten.Loyalty.Rules[0].Names = tt.names
			ten.Loyalty.Tiers = config.Tiers{Basis: config.TierBasisPoints, Window: config.TierWindowRolling, Days: 365, Levels: []config.TierLevel{
				{Name: "Silver", Threshold: "0", Multiplier: "1"},
				{Name: "Gold", Threshold: "500", Multiplier: "1", Names: tt.names},
			}}
			ten.Loyalty.Rewards = []config.Reward{{ID: "coffee", Name: "Free coffee", Names: tt.names, Cost: 50, Codes: config.RewardCodes{Pool: true}}}
			ten.Loyalty.Challenges = []config.Challenge{{Name: "three-a-week", Names: tt.names, On: "order.paid", Count: 3, Period: config.PeriodWeek, Points: 15}}
			c.Tenants["demo"] = ten
			got := map[string]string{}
			for _, e := range c.Validate() {
				got[e.Path] = e.Msg
			}
			for path, part := range tt.want {
				require.Contains(t, got, path, "%v", got)
				assert.Contains(t, got[path], part)
			}
			assert.Len(t, got, len(tt.want), "%v", got)
		})
	}
}
