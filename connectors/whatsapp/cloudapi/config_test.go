package cloudapi

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/configtest"
)

func TestConfigValidate(t *testing.T) {
	valid := testConfig(DefaultBaseURL)
	tests := []struct {
		name     string
		mutate   func(c *Config)
		wantKeys []string
	}{
		{"valid", func(*Config) {}, nil},
		{"phone number id missing", func(c *Config) { c.PhoneNumberID = "" }, []string{"phone_number_id"}},
		{"phone number id not numeric", func(c *Config) { c.PhoneNumberID = "+1555" }, []string{"phone_number_id"}},
		{"access token missing", func(c *Config) { c.AccessToken = "" }, []string{"access_token"}},
		{"app secret missing", func(c *Config) { c.AppSecret = "" }, []string{"app_secret"}},
		{"base url not http", func(c *Config) { c.BaseURL = "ftp://x" }, []string{"base_url"}},
		{"base url missing", func(c *Config) { c.BaseURL = "" }, []string{"base_url"}},
		{"graph version malformed", func(c *Config) { c.GraphVersion = "24" }, []string{"graph_version"}},
		{"timeout zero", func(c *Config) { c.Timeout = 0 }, []string{"timeout"}},
		{"breaker", func(c *Config) { c.Breaker = Breaker{MaxFailures: 0, OpenFor: -time.Second} }, []string{"breaker.max_failures", "breaker.open_for"}},
		{"several", func(c *Config) { *c = DefaultConfig() }, []string{"phone_number_id", "access_token", "app_secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
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
	assert.Equal(t, "https://graph.facebook.com", c.BaseURL)
	assert.Equal(t, "v24.0", c.GraphVersion)
	assert.Equal(t, 10*time.Second, c.Timeout)
	assert.Equal(t, Breaker{MaxFailures: 5, OpenFor: 30 * time.Second}, c.Breaker)
}

func TestReferenceDocumentsEveryKey(t *testing.T) {
	configtest.RequireDocumented(t, "../../../docs/config.md", TypeName, reflect.TypeFor[Config]())
}
