package shopify_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/configtest"
	"github.com/loyalhub/loyalhub/connectors/shopify"
)

func validConfig() *shopify.Config {
	c := shopify.NewConfig()
	c.Secret = "shpss_test_secret"
	c.ShopDomain = "acme-coffee.myshopify.com"
	c.Admin.AccessToken = "shpat_0123456789abcdef"
	c.Admin.Discounts = map[string]shopify.Discount{
		"coffee": {Amount: "25000.00"},
		"tenoff": {Percentage: 10, MinimumSubtotal: "100000", ValidDays: 14, Prefix: "WA-", Title: "10% off"},
	}
	return c
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(c *shopify.Config)
		wantKeys []string
	}{
		{"valid", func(*shopify.Config) {}, nil},
		{"webhooks only", func(c *shopify.Config) { c.Admin = shopify.NewConfig().Admin; c.ShopDomain = "" }, nil},
		{"previous secret", func(c *shopify.Config) { c.PreviousSecret = "shpss_old" }, nil},
		{"base url instead of shop domain", func(c *shopify.Config) {
			c.ShopDomain = ""
			c.Admin.BaseURL = "http://127.0.0.1:8080/"
		}, nil},
		{"older api version", func(c *shopify.Config) { c.Admin.APIVersion = "2025-04" }, nil},
		{"secret missing", func(c *shopify.Config) { c.Secret = "" }, []string{"secret"}},
		{"secret blank", func(c *shopify.Config) { c.Secret = "  " }, []string{"secret"}},
		{"previous secret blank", func(c *shopify.Config) { c.PreviousSecret = " " }, []string{"previous_secret"}},
		{"shop domain not myshopify", func(c *shopify.Config) { c.ShopDomain = "shop.acme.com" }, []string{"shop_domain"}},
		{"shop domain with scheme", func(c *shopify.Config) { c.ShopDomain = "https://acme.myshopify.com" }, []string{"shop_domain"}},
		{"shop domain upper case", func(c *shopify.Config) { c.ShopDomain = "Acme.myshopify.com" }, []string{"shop_domain"}},
		{"api version", func(c *shopify.Config) { c.Admin.APIVersion = "2026-1" }, []string{"admin.api_version"}},
		{"api version month", func(c *shopify.Config) { c.Admin.APIVersion = "2026-13" }, []string{"admin.api_version"}},
		{"base url", func(c *shopify.Config) { c.Admin.BaseURL = "ftp://acme.myshopify.com" }, []string{"admin.base_url"}},
		{"no admin address", func(c *shopify.Config) { c.ShopDomain = "" }, []string{"admin.base_url"}},
		{"timeout", func(c *shopify.Config) { c.Admin.Timeout = 0 }, []string{"admin.timeout"}},
		{"requests per second", func(c *shopify.Config) { c.Admin.RequestsPerSecond = -1 }, []string{"admin.requests_per_second"}},
		{"discounts without a token", func(c *shopify.Config) { c.Admin.AccessToken = "" }, []string{"admin.access_token"}},
		{"neither amount nor percentage", func(c *shopify.Config) {
			c.Admin.Discounts["coffee"] = shopify.Discount{}
		}, []string{"admin.discounts.coffee.amount"}},
		{"both amount and percentage", func(c *shopify.Config) {
			c.Admin.Discounts["coffee"] = shopify.Discount{Amount: "5", Percentage: 5}
		}, []string{"admin.discounts.coffee.percentage"}},
		{"amount not a decimal", func(c *shopify.Config) {
			c.Admin.Discounts["coffee"] = shopify.Discount{Amount: "5,00"}
		}, []string{"admin.discounts.coffee.amount"}},
		{"amount zero", func(c *shopify.Config) {
			c.Admin.Discounts["coffee"] = shopify.Discount{Amount: "0.00"}
		}, []string{"admin.discounts.coffee.amount"}},
		{"percentage over 100", func(c *shopify.Config) {
			c.Admin.Discounts["tenoff"] = shopify.Discount{Percentage: 150}
		}, []string{"admin.discounts.tenoff.percentage"}},
		{"percentage negative", func(c *shopify.Config) {
			c.Admin.Discounts["tenoff"] = shopify.Discount{Percentage: -10}
		}, []string{"admin.discounts.tenoff.percentage"}},
		{"every discount problem", func(c *shopify.Config) {
			c.Admin.Discounts["tenoff"] = shopify.Discount{Percentage: 100, MinimumSubtotal: "lots", ValidDays: -1,
				Prefix: "LOYAL HUB", Title: strings.Repeat("x", 256)}
		}, []string{"admin.discounts.tenoff.minimum_subtotal", "admin.discounts.tenoff.valid_days",
			"admin.discounts.tenoff.prefix", "admin.discounts.tenoff.title"}},
		{"defaults lack the secret", func(c *shopify.Config) { *c = *shopify.NewConfig() }, []string{"secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.mutate(c)
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

func TestNewConfigDefaults(t *testing.T) {
	c := shopify.NewConfig()
	assert.Equal(t, "2026-01", c.Admin.APIVersion)
	assert.Equal(t, 10*time.Second, c.Admin.Timeout)
	assert.Equal(t, 2.0, c.Admin.RequestsPerSecond)
	assert.False(t, c.IncludeTestOrders)
	assert.Empty(t, c.Admin.AccessToken)
	assert.Empty(t, c.Admin.Discounts)

	// The defaults are valid once the secret is given.
	c.Secret = "shpss_test_secret"
	require.NoError(t, c.Validate())
}

// The connector's reference documents every key, one table row each; the
// discounts are documented by reward, as admin.discounts.<reward>.amount.
func TestReferenceDocumentsEveryKey(t *testing.T) {
	keys := configtest.Keys(reflect.TypeFor[shopify.Config]())
	require.Contains(t, keys, "admin.discounts."+configtest.MapKey+".amount", "maps of blocks are walked")
	require.Contains(t, keys, "admin.access_token", "nested blocks are walked")
	configtest.RequireDocumented(t, "../../docs/connectors/shopify.md", "", reflect.TypeFor[shopify.Config]())
}
