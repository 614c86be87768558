package twilio

import (
	"maps"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/configtest"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloud"
)

func TestConfigValidate(t *testing.T) {
	valid := testConfig(DefaultBaseURL)
	tests := []struct {
		name     string
		mutate   func(c *Config)
		wantKeys []string
	}{
		{"valid", func(*Config) {}, nil},
		{"messaging service instead of a number", func(c *Config) { c.From, c.MessagingServiceSID = "", "MG0123456789abcdef0123456789abcdef" }, nil},
		{"api key", func(c *Config) { c.APIKeySID, c.APIKeySecret = "SK0123456789abcdef0123456789abcdef", "s" }, nil},
		{"account sid missing", func(c *Config) { c.AccountSID = "" }, []string{"account_sid"}},
		{"account sid malformed", func(c *Config) { c.AccountSID = "AC123" }, []string{"account_sid"}},
		{"auth token missing with an api key", func(c *Config) {
			c.AuthToken, c.APIKeySID, c.APIKeySecret = "", "SK0123456789abcdef0123456789abcdef", "s"
		}, []string{"auth_token"}},
		{"api key secret alone", func(c *Config) { c.APIKeySecret = "s" }, []string{"api_key_sid"}},
		{"api key sid alone", func(c *Config) { c.APIKeySID = "SK0123456789abcdef0123456789abcdef" }, []string{"api_key_secret"}},
		{"api key sid malformed", func(c *Config) { c.APIKeySID, c.APIKeySecret = "AC0123456789abcdef0123456789abcdef", "s" }, []string{"api_key_sid"}},
		{"no sender", func(c *Config) { c.From = "" }, []string{"from"}},
		{"sender not E.164", func(c *Config) { c.From = "whatsapp:+14155238886" }, []string{"from"}},
		{"messaging service malformed", func(c *Config) { c.MessagingServiceSID = "MG1" }, []string{"messaging_service_sid"}},
		{"webhook url missing", func(c *Config) { c.WebhookURL = "" }, []string{"webhook_url"}},
		{"webhook url with a fragment", func(c *Config) { c.WebhookURL = testWebhook + "#x" }, []string{"webhook_url"}},
		{"base urls", func(c *Config) { c.BaseURL, c.MessagingBaseURL = "ftp://x", "" }, []string{"base_url", "messaging_base_url"}},
		{"timeout", func(c *Config) { c.Timeout = 0 }, []string{"timeout"}},
		{"content sid malformed", func(c *Config) { c.Templates[1].ContentSID = "HX1" }, []string{"templates[1].content_sid"}},
		{"template without name and language", func(c *Config) { c.Templates[0].Name, c.Templates[0].Language = "", "" },
			[]string{"templates[0].name", "templates[0].language"}},
		{"template mapped twice", func(c *Config) { c.Templates[2].Name, c.Templates[2].Language = "points_earned", "id" }, []string{"templates[2]"}},
		{"variable source unknown", func(c *Config) { c.Templates[1].Variables = map[string]string{"1": "footer", "2": "body.1"} },
			[]string{"templates[1].variables.1"}},
		{"variable filled twice", func(c *Config) { c.Templates[1].Variables = map[string]string{"1": "body.1", "2": "body.1"} },
			[]string{"templates[1].variables.2"}},
		{"breaker", func(c *Config) { c.Breaker = cloud.Breaker{MaxFailures: 0, OpenFor: time.Second} }, []string{"breaker.max_failures"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			c.Templates = nil
			for _, tpl := range valid.Templates {
				tpl.Variables = maps.Clone(tpl.Variables)
				c.Templates = append(c.Templates, tpl)
			}
			tt.mutate(&c)
			err := c.Validate()
			if tt.wantKeys == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.wantKeys, configtest.ErrorKeys(t, err))
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	assert.Equal(t, "https://api.twilio.com", c.BaseURL)
	assert.Equal(t, "https://messaging.twilio.com", c.MessagingBaseURL)
	assert.Equal(t, 10*time.Second, c.Timeout)
	assert.Equal(t, cloud.DefaultBreaker(), c.Breaker)
}

func TestDecodeExample(t *testing.T) {
	cfg := DefaultConfig()
	block := os.Expand(Example, func(name string) string {
		return map[string]string{"TWILIO_ACCOUNT_SID": testAccount, "TWILIO_AUTH_TOKEN": testToken}[name]
	})
	configtest.DecodeBlock(t, TypeName, block, &cfg)
	require.NoError(t, cfg.Validate())
	require.Len(t, cfg.Templates, 1)
	assert.Equal(t, map[string]string{"1": "body.1", "2": "body.2"}, cfg.Templates[0].Variables)
}

func TestReferenceDocumentsEveryKey(t *testing.T) {
	configtest.RequireDocumented(t, "../../../docs/config.md", TypeName, reflect.TypeFor[Config]())
}
