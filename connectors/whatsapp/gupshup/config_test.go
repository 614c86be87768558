package gupshup

import (
	"os"
	"reflect"
	"slices"
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
		{"no app id", func(c *Config) { c.AppID = "" }, nil},
		{"api key missing", func(c *Config) { c.APIKey = "" }, []string{"api_key"}},
		{"app name missing", func(c *Config) { c.AppName = "" }, []string{"app_name"}},
		{"app id with a slash", func(c *Config) { c.AppID = "a/b" }, []string{"app_id"}},
		{"source missing", func(c *Config) { c.Source = "" }, []string{"source"}},
		{"source without a plus", func(c *Config) { c.Source = "917834811114" }, []string{"source"}},
		{"webhook token missing", func(c *Config) { c.WebhookToken = "" }, []string{"webhook_token"}},
		{"webhook token short", func(c *Config) { c.WebhookToken = "short" }, []string{"webhook_token"}},
		{"webhook token needing escapes", func(c *Config) { c.WebhookToken = "s3cret token &0123456" }, []string{"webhook_token"}},
		{"base url", func(c *Config) { c.BaseURL = "ftp://x" }, []string{"base_url"}},
		{"timeout", func(c *Config) { c.Timeout = 0 }, []string{"timeout"}},
		{"template id not a uuid", func(c *Config) { c.Templates[1].ID = "statement" }, []string{"templates[1].id"}},
		{"template without name and language", func(c *Config) { c.Templates[0].Name, c.Templates[0].Language = "", "" },
			[]string{"templates[0].name", "templates[0].language"}},
		{"template mapped twice", func(c *Config) { c.Templates[1].Name = "points_earned" }, []string{"templates[1]"}},
		{"breaker", func(c *Config) { c.Breaker = cloud.Breaker{MaxFailures: 0, OpenFor: time.Second} }, []string{"breaker.max_failures"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			c.Templates = slices.Clone(valid.Templates)
			tt.mutate(&c)
			assert.Equal(t, tt.wantKeys, configtest.ErrorKeys(t, c.Validate()))
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	assert.Equal(t, "https://api.gupshup.io", c.BaseURL)
	assert.Equal(t, 10*time.Second, c.Timeout)
	assert.Equal(t, cloud.DefaultBreaker(), c.Breaker)
}

func TestDecodeExample(t *testing.T) {
	cfg := DefaultConfig()
	block := os.Expand(Example, func(name string) string {
		return map[string]string{"GUPSHUP_API_KEY": "k", "GUPSHUP_WEBHOOK_TOKEN": testToken}[name]
	})
	configtest.DecodeBlock(t, TypeName, block, &cfg)
	require.NoError(t, cfg.Validate())
	require.Len(t, cfg.Templates, 1)
	assert.Equal(t, "5f9a3c1e-2b7d-4e8a-9c61-0d3b2a4f5e67", cfg.Templates[0].ID)
}

func TestReferenceDocumentsEveryKey(t *testing.T) {
	configtest.RequireDocumented(t, "../../../docs/config.md", TypeName, reflect.TypeFor[Config]())
}
