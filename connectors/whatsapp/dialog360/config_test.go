package dialog360

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/configtest"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloud"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(c *Config)
		wantKeys []string
	}{
		{"valid", func(*Config) {}, nil},
		{"phone number id set", func(c *Config) { c.PhoneNumberID = "106540352242922" }, nil},
		{"token of exactly the minimum length", func(c *Config) { c.WebhookToken = strings.Repeat("x", MinWebhookToken) }, nil},
		{"own header name", func(c *Config) { c.WebhookHeader = "X-Acme-Hook" }, nil},
		{"base url missing", func(c *Config) { c.BaseURL = "" }, []string{"base_url"}},
		{"base url not http", func(c *Config) { c.BaseURL = "ftp://waba-v2.360dialog.io" }, []string{"base_url"}},
		{"base url without host", func(c *Config) { c.BaseURL = "https://" }, []string{"base_url"}},
		{"api key missing", func(c *Config) { c.APIKey = "" }, []string{"api_key"}},
		{"phone number id not numeric", func(c *Config) { c.PhoneNumberID = "+15550783881" }, []string{"phone_number_id"}},
		{"webhook header missing", func(c *Config) { c.WebhookHeader = "" }, []string{"webhook_header"}},
		{"webhook header with a space", func(c *Config) { c.WebhookHeader = "X Token" }, []string{"webhook_header"}},
		{"webhook header with a colon", func(c *Config) { c.WebhookHeader = "X-Token:" }, []string{"webhook_header"}},
		{"webhook token missing", func(c *Config) { c.WebhookToken = "" }, []string{"webhook_token"}},
		{"webhook token short", func(c *Config) { c.WebhookToken = strings.Repeat("x", MinWebhookToken-1) }, []string{"webhook_token"}},
		{"webhook token with a space", func(c *Config) { c.WebhookToken = "a-long-enough webhook-token" }, []string{"webhook_token"}},
		{"webhook token with a newline", func(c *Config) { c.WebhookToken = "a-long-enough-webhook-token\n" }, []string{"webhook_token"}},
		{"timeout zero", func(c *Config) { c.Timeout = 0 }, []string{"timeout"}},
		{"timeout negative", func(c *Config) { c.Timeout = -time.Second }, []string{"timeout"}},
		{"breaker", func(c *Config) { c.Breaker = cloud.Breaker{MaxFailures: 0, OpenFor: -time.Second} },
			[]string{"breaker.max_failures", "breaker.open_for"}},
		{"throughput", func(c *Config) { c.Throughput = cloud.Throughput{PerSecond: 5000} },
			[]string{"throughput.per_second", "throughput.burst", "throughput.pair_interval", "throughput.pair_burst"}},
		{"defaults lack the secrets", func(c *Config) { *c = DefaultConfig() }, []string{"api_key", "webhook_token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig(DefaultBaseURL)
			tt.mutate(&c)
			err := c.Validate()
			if tt.wantKeys == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			keys := configtest.ErrorKeys(t, err)
			assert.Equal(t, tt.wantKeys, keys)
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	assert.Equal(t, "https://waba-v2.360dialog.io", c.BaseURL)
	assert.Equal(t, "X-Loyalhub-Webhook-Token", c.WebhookHeader)
	assert.Equal(t, 10*time.Second, c.Timeout)
	assert.Equal(t, cloud.DefaultBreaker(), c.Breaker)
	assert.Equal(t, cloud.DefaultThroughput(), c.Throughput)

	// The defaults are valid once the two secrets are given.
	c.APIKey, c.WebhookToken = "key", "a-long-enough-webhook-token"
	require.NoError(t, c.Validate())
}

func TestReferenceDocumentsEveryKey(t *testing.T) {
	require.Contains(t, configtest.Keys(reflect.TypeFor[Config]()), "throughput.pair_burst", "nested blocks are walked")
	configtest.RequireDocumented(t, "../../../docs/config.md", TypeName, reflect.TypeFor[Config]())
}
