package hubspot

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/configtest"
	"github.com/loyalhub/loyalhub/mappings"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		want   []string
	}{
		{"valid", func(*Config) {}, nil},
		{"defaults alone", func(c *Config) { *c = *NewConfig() }, []string{"client_secret", "webhook_url", "access_token"}},
		{"blank secret", func(c *Config) { c.ClientSecret = "  " }, []string{"client_secret"}},
		{"no versions", func(c *Config) { c.SignatureVersions = nil }, []string{"signature_versions"}},
		{"unknown version", func(c *Config) { c.SignatureVersions = []string{"v3", "V2", "v4"} }, []string{"signature_versions[1]", "signature_versions[2]"}},
		{"v1 needs no webhook url", func(c *Config) { c.SignatureVersions = []string{"v1"}; c.WebhookURL = "" }, nil},
		{"v2 needs the webhook url", func(c *Config) { c.SignatureVersions = []string{"v2"}; c.WebhookURL = "" }, []string{"webhook_url"}},
		{"relative webhook url", func(c *Config) { c.WebhookURL = "/hooks/acme/hubspot" }, []string{"webhook_url"}},
		{"webhook url with a fragment", func(c *Config) { c.WebhookURL += "#x" }, []string{"webhook_url"}},
		{"max age zero", func(c *Config) { c.MaxAge = 0 }, []string{"max_age"}},
		{"no token", func(c *Config) { c.AccessToken = "" }, []string{"access_token"}},
		{"no token needed without enrich and write-back", func(c *Config) {
			c.AccessToken, c.Enrich, c.WriteBack.Enabled, c.Deals.PaidStages = "", false, false, nil
		}, nil},
		{"write-back alone needs the token", func(c *Config) { c.AccessToken, c.Enrich, c.Deals.PaidStages = "", false, nil }, []string{"access_token"}},
		{"api base url", func(c *Config) { c.APIBaseURL = "api.hubapi.com" }, []string{"api_base_url"}},
		{"api base url missing", func(c *Config) { c.APIBaseURL = "" }, []string{"api_base_url"}},
		{"timeout", func(c *Config) { c.Timeout = -time.Second }, []string{"timeout"}},
		{"rate limit", func(c *Config) { c.RateLimit = RateLimit{} }, []string{"rate_limit.requests", "rate_limit.interval"}},
		{"no contact properties", func(c *Config) { c.ContactProperties = nil }, []string{"contact_properties"}},
		{"contact property names", func(c *Config) { c.ContactProperties = []string{"phone", "First Name", "phone"} }, []string{"contact_properties[1]", "contact_properties[2]"}},
		{"no way to reach a contact", func(c *Config) { c.ContactProperties = []string{"firstname", "lastname", "city", "hs_language"} }, []string{"contact_properties"}},
		{"consent property name", func(c *Config) { c.Consent.Property = "WhatsApp Opt-In" }, []string{"consent.property"}},
		{"consent without opt-in values", func(c *Config) { c.Consent.OptInValues = nil }, []string{"consent.opt_in_values"}},
		{"consent unset needs no values", func(c *Config) { c.Consent.Property, c.Consent.OptInValues = "", nil }, nil},
		{"empty opt-in value", func(c *Config) { c.Consent.OptInValues = []string{"yes", " "} }, []string{"consent.opt_in_values[1]"}},
		{"consent on a written property", func(c *Config) { c.Consent.Property = "loyalty_tier" }, []string{"consent.property"}},
		{"consent category", func(c *Config) { c.Consent.Category = "marketing" }, []string{"consent.category"}},
		{"sms consent", func(c *Config) { c.Consent.Category = "sms_marketing" }, nil},
		{"blank stage", func(c *Config) { c.Deals.PaidStages = []string{"closedwon", ""} }, []string{"deals.paid_stages[1]"}},
		{"deals need enrich", func(c *Config) { c.Enrich = false }, []string{"deals.paid_stages"}},
		{"currency", func(c *Config) { c.Deals.Currency = "rupiah" }, []string{"deals.currency"}},
		{"write-back properties", func(c *Config) {
			c.WriteBack.PointsProperty, c.WriteBack.TierProperty, c.WriteBack.IDProperty = "", "Tier", "e-mail"
		}, []string{"write_back.points_property", "write_back.tier_property", "write_back.id_property"}},
		{"write-back into one property twice", func(c *Config) { c.WriteBack.TierProperty = c.WriteBack.PointsProperty }, []string{"write_back.tier_property"}},
		{"matching on a written property", func(c *Config) { c.WriteBack.IDProperty = "loyalty_points" }, []string{"write_back.id_property"}},
		{"no tier written", func(c *Config) { c.WriteBack.TierProperty = "" }, nil},
		{"write-back disabled needs no names", func(c *Config) {
			c.WriteBack = WriteBack{}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig("https://api.hubapi.com")
			tt.mutate(c)
			err := c.Validate()
			assert.Equal(t, tt.want, configtest.ErrorKeys(t, err), "%v", err)
			_, err = NewSource(c, connectors.Deps{})
			assert.Equal(t, tt.want == nil, err == nil, "NewSource validates: %v", err)
		})
	}
}

func TestNewConfigDefaults(t *testing.T) {
	c := NewConfig()
	assert.Equal(t, &Config{
		SignatureVersions: []string{"v3"},
		MaxAge:            5 * time.Minute,
		Enrich:            true,
		APIBaseURL:        "https://api.hubapi.com",
		Timeout:           10 * time.Second,
		RateLimit:         RateLimit{Requests: 100, Interval: 10 * time.Second},
		ContactProperties: []string{"phone", "mobilephone", "email", "firstname", "lastname", "city", "hs_language"},
		Consent:           Consent{OptInValues: []string{"true", "yes", "opted_in", "subscribed"}, Category: "marketing_messages"},
		WriteBack:         WriteBack{PointsProperty: "loyalty_points", TierProperty: "loyalty_tier", IDProperty: "email"},
	}, c)
	c.ContactProperties[0] = "changed"
	assert.Equal(t, "phone", NewConfig().ContactProperties[0], "each config has its own slices")
}

func TestReferenceDocumentsEveryKey(t *testing.T) {
	keys := configtest.Keys(reflect.TypeFor[Config]())
	require.Contains(t, keys, "rate_limit.interval")
	require.Contains(t, keys, "write_back.id_property")
	configtest.RequireDocumented(t, "../../docs/connectors/hubspot.md", "", reflect.TypeFor[Config]())
}

// decodeBlock decodes a hubspot block over the defaults the way the hub
// does.
func decodeBlock(t *testing.T, src string) *Config {
	t.Helper()
	cfg := NewConfig()
	configtest.DecodeBlock(t, Name, src, cfg)
	return cfg
}

type otherConfig struct{}

func (otherConfig) Validate() error { return nil }

func TestSpec(t *testing.T) {
	s := Spec()
	assert.Equal(t, "hubspot", s.Name)
	assert.True(t, s.Has(connectors.KindSource))
	assert.False(t, s.Has(connectors.KindSender))
	assert.NotEmpty(t, s.Summary)
	_, ok := mappings.Bundled(s.Mapping)
	assert.True(t, ok, "mapping %q is bundled", s.Mapping)
	require.NoError(t, connectors.NewRegistry().Register(s))

	t.Run("example decodes strictly and validates", func(t *testing.T) {
		cfg := decodeBlock(t, s.Example)
		require.NoError(t, cfg.Validate())
		want := NewConfig()
		want.ClientSecret = "${HUBSPOT_CLIENT_SECRET}"
		want.WebhookURL = "https://loyalty.example.com/hooks/acme/hubspot"
		want.AccessToken = "${HUBSPOT_ACCESS_TOKEN}"
		want.Consent.Property = "whatsapp_marketing_opt_in"
		want.Deals = Deals{PaidStages: []string{"closedwon"}, Currency: "IDR"}
		want.WriteBack.Enabled = true
		assert.Equal(t, want, cfg)
	})

	t.Run("lists replace the defaults", func(t *testing.T) {
		cfg := decodeBlock(t, "type: hubspot\ncontact_properties: [email]\nconsent:\n  opt_in_values: [ja]\nsignature_versions: v1\nmax_age: 90s\n")
		assert.Equal(t, []string{"email"}, cfg.ContactProperties)
		assert.Equal(t, []string{"ja"}, cfg.Consent.OptInValues)
		assert.Equal(t, []string{"v1"}, cfg.SignatureVersions)
		assert.Equal(t, 90*time.Second, cfg.MaxAge)
	})

	t.Run("build makes a source, enricher and member syncer", func(t *testing.T) {
		in, err := s.Build(testConfig("https://api.hubapi.com"), connectors.Deps{Tenant: "acme", Name: "hubspot"})
		require.NoError(t, err)
		assert.Equal(t, []connectors.Capability{connectors.CapSource, connectors.CapEnricher, connectors.CapMemberSyncer}, in.Capabilities())
	})

	t.Run("without write-back, build leaves the member syncer off", func(t *testing.T) {
		cfg := testConfig("https://api.hubapi.com")
		cfg.WriteBack.Enabled = false
		in, err := s.Build(cfg, connectors.Deps{Tenant: "acme", Name: "hubspot"})
		require.NoError(t, err)
		assert.Equal(t, []connectors.Capability{connectors.CapSource, connectors.CapEnricher}, in.Capabilities())
	})

	t.Run("build rejects another config type", func(t *testing.T) {
		_, err := s.Build(otherConfig{}, connectors.Deps{})
		require.ErrorContains(t, err, "want *hubspot.Config")
	})

	t.Run("build rejects an invalid config", func(t *testing.T) {
		_, err := s.Build(s.NewConfig(), connectors.Deps{})
		require.ErrorContains(t, err, "client_secret: required")
	})

	t.Run("the source keeps its own copy of the config", func(t *testing.T) {
		cfg := testConfig("https://api.hubapi.com")
		src, err := NewSource(cfg, connectors.Deps{})
		require.NoError(t, err)
		cfg.ContactProperties[0] = "changed"
		cfg.Deals.PaidStages[0] = "changed"
		assert.Equal(t, "phone", src.cfg.ContactProperties[0])
		assert.Equal(t, "closedwon", src.cfg.Deals.PaidStages[0])
	})
}
