package shopify_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/configtest"
	"github.com/loyalhub/loyalhub/connectors/shopify"
	"github.com/loyalhub/loyalhub/mappings"
)

type otherConfig struct{}

func (otherConfig) Validate() error { return nil }

func TestSpec(t *testing.T) {
	s := shopify.Spec()
	assert.Equal(t, "shopify", s.Name)
	assert.True(t, s.Has(connectors.KindSource))
	assert.False(t, s.Has(connectors.KindSender))
	assert.NotEmpty(t, s.Summary)
	assert.Equal(t, "shopify", s.Mapping)
	_, ok := mappings.Bundled(s.Mapping)
	assert.True(t, ok, "mapping %q is bundled", s.Mapping)
	require.NoError(t, connectors.NewRegistry().Register(s))

	t.Run("example decodes strictly and validates", func(t *testing.T) {
		cfg := s.NewConfig()
		configtest.DecodeBlock(t, "shopify", s.Example, cfg)
		require.NoError(t, cfg.Validate())
		want := shopify.NewConfig()
		want.Secret, want.ShopDomain = "${SHOPIFY_WEBHOOK_SECRET}", "acme-coffee.myshopify.com"
		want.Admin.AccessToken = "${SHOPIFY_ADMIN_TOKEN}"
		want.Admin.Discounts = map[string]shopify.Discount{"coffee-voucher": {Amount: "25000.00"}}
		assert.Equal(t, want, cfg)
	})

	t.Run("defaults", func(t *testing.T) {
		assert.Equal(t, shopify.NewConfig(), s.NewConfig())
	})

	t.Run("build makes a source and a code issuer", func(t *testing.T) {
		c := s.NewConfig().(*shopify.Config)
		c.Secret = secret
		in, err := s.Build(c, connectors.Deps{Tenant: "acme", Name: "shop"})
		require.NoError(t, err)
		assert.Equal(t, []connectors.Capability{connectors.CapSource, connectors.CapCodeIssuer}, in.Capabilities())
	})

	t.Run("build rejects another config type", func(t *testing.T) {
		_, err := s.Build(otherConfig{}, connectors.Deps{})
		require.ErrorContains(t, err, "want *shopify.Config")
	})

	t.Run("build rejects an invalid config", func(t *testing.T) {
		_, err := s.Build(s.NewConfig(), connectors.Deps{})
		require.ErrorContains(t, err, "secret: required")
	})
}
