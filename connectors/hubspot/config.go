package hubspot

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
)

// Defaults.
const (
	DefaultAPIBaseURL        = "https://api.hubapi.com"
	DefaultMaxAge            = 5 * time.Minute
	DefaultTimeout           = 10 * time.Second
	DefaultRateLimitRequests = 100
	DefaultRateLimitInterval = 10 * time.Second
	DefaultConsentCategory   = event.ConsentMarketingMessages
	DefaultPointsProperty    = "loyalty_points"
	DefaultTierProperty      = "loyalty_tier"
	DefaultIDProperty        = "email"
)

// Signature versions HubSpot signs webhooks with.
const (
	SignatureV1 = "v1"
	SignatureV2 = "v2"
	SignatureV3 = "v3"
)

// DefaultContactProperties returns the contact properties read by default:
// the ones the bundled mapping turns into a member and its profile.
func DefaultContactProperties() []string {
	return []string{"phone", "mobilephone", "email", "firstname", "lastname", "city", "hs_language"}
}

// DefaultOptInValues returns the consent property values that mean "opted
// in" by default (compared case-insensitively).
func DefaultOptInValues() []string {
	return []string{"true", "yes", "opted_in", "subscribed"}
}

// Config is one hubspot connector: one HubSpot app installed in one portal
// (HubSpot account).
type Config struct {
	// ClientSecret is the app's client secret, which keys HubSpot's webhook
	// signatures. Required.
	ClientSecret string `koanf:"client_secret"`
	// WebhookURL is the exact target URL registered in the app's webhook
	// settings (scheme, host, path and query), which v2 and v3 signatures
	// cover. It is never rebuilt from the request, so proxies in front of
	// the hub do not matter. Required when v2 or v3 is accepted.
	WebhookURL string `koanf:"webhook_url"`
	// SignatureVersions lists the signature versions accepted: v1, v2, v3.
	// Default [v3].
	SignatureVersions []string `koanf:"signature_versions"`
	// MaxAge refuses v3 requests whose timestamp is older than this, or as
	// far in the future. Default 5m (HubSpot's own limit).
	MaxAge time.Duration `koanf:"max_age"`
	// Enrich reads the contacts and deals that events name from HubSpot's
	// API before they are mapped; without it events carry no phone, so only
	// privacy deletions map to anything. Default true.
	Enrich bool `koanf:"enrich"`
	// AccessToken is a private app's access token or an OAuth access token
	// for the portal, sent as a bearer token. Required unless enrich is off
	// and write_back is disabled.
	AccessToken string `koanf:"access_token"`
	// APIBaseURL is HubSpot's API. Default https://api.hubapi.com.
	APIBaseURL string `koanf:"api_base_url"`
	// Timeout bounds one HTTP attempt, rate limit waits excluded. Default
	// 10s.
	Timeout time.Duration `koanf:"timeout"`
	// RateLimit caps the API calls this connector makes to the portal.
	RateLimit RateLimit `koanf:"rate_limit"`
	// ContactProperties are the contact properties read for a contact, and
	// the ones whose changes count. Default phone, mobilephone, email,
	// firstname, lastname, city, hs_language.
	ContactProperties []string `koanf:"contact_properties"`
	// Consent maps a contact property to WhatsApp marketing consent.
	Consent Consent `koanf:"consent"`
	// Deals turns deals reaching a paid stage into paid orders.
	Deals Deals `koanf:"deals"`
	// WriteBack writes members' points and tier to contact properties.
	WriteBack WriteBack `koanf:"write_back"`
}

// RateLimit is a budget of API calls per interval.
type RateLimit struct {
	// Requests is the most API calls in any interval. Default 100 (the
	// burst limit of a Free or Starter portal's private apps, shared by
	// every app of the portal).
	Requests int `koanf:"requests"`
	// Interval is the window Requests applies to. Default 10s.
	Interval time.Duration `koanf:"interval"`
}

// Consent maps a contact property to a consent category.
type Consent struct {
	// Property is the contact property holding the customer's consent,
	// such as whatsapp_marketing_opt_in. Empty: consent is not read from
	// HubSpot.
	Property string `koanf:"property"`
	// OptInValues are the property's values (case-insensitive) meaning the
	// customer opted in; any other value means they opted out. Default
	// true, yes, opted_in, subscribed.
	OptInValues []string `koanf:"opt_in_values"`
	// Category is the consent category changed: marketing_messages
	// (WhatsApp marketing) or sms_marketing. Default marketing_messages.
	Category string `koanf:"category"`
}

// Deals says which deals are paid orders.
type Deals struct {
	// PaidStages are the dealstage ids (internal values, such as
	// closedwon) in which a deal counts as paid. Empty: deals are ignored.
	PaidStages []string `koanf:"paid_stages"`
	// Currency is the ISO 4217 currency of deals that carry no
	// deal_currency_code. Default empty: the tenant's currency applies.
	Currency string `koanf:"currency"`
}

// WriteBack writes members' loyalty state to their HubSpot contacts.
type WriteBack struct {
	// Enabled turns write-back on. Default false.
	Enabled bool `koanf:"enabled"`
	// PointsProperty is the number property receiving the spendable
	// balance. Default loyalty_points.
	PointsProperty string `koanf:"points_property"`
	// TierProperty is the property receiving the tier name; empty leaves
	// tiers out. Default loyalty_tier.
	TierProperty string `koanf:"tier_property"`
	// IDProperty is the unique contact property members are matched on:
	// email, or a custom unique property holding the member's phone in
	// E.164. Default email.
	IDProperty string `koanf:"id_property"`
}

// NewConfig returns a config holding the defaults.
func NewConfig() *Config {
	return &Config{
		SignatureVersions: []string{SignatureV3},
		MaxAge:            DefaultMaxAge,
		Enrich:            true,
		APIBaseURL:        DefaultAPIBaseURL,
		Timeout:           DefaultTimeout,
		RateLimit:         RateLimit{Requests: DefaultRateLimitRequests, Interval: DefaultRateLimitInterval},
		ContactProperties: DefaultContactProperties(),
		Consent:           Consent{OptInValues: DefaultOptInValues(), Category: DefaultConsentCategory},
		WriteBack: WriteBack{
			PointsProperty: DefaultPointsProperty,
			TierProperty:   DefaultTierProperty,
			IDProperty:     DefaultIDProperty,
		},
	}
}

var (
	// propertyNamePattern is a HubSpot property's internal name.
	propertyNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	currencyPattern     = regexp.MustCompile(`^[A-Z]{3}$`)
)

// Validate checks the values; every problem is a config.FieldError at a key
// relative to the connector's block.
func (c *Config) Validate() error {
	var errs config.Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, &config.FieldError{Path: key, Msg: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(c.ClientSecret) == "" {
		bad("client_secret", "required: the app's client secret, which signs HubSpot's webhooks")
	}

	versions := map[string]bool{}
	if len(c.SignatureVersions) == 0 {
		bad("signature_versions", "must list at least one of v1, v2, v3")
	}
	for i, v := range c.SignatureVersions {
		switch v {
		case SignatureV1, SignatureV2, SignatureV3:
			versions[v] = true
		default:
			bad(fmt.Sprintf("signature_versions[%d]", i), "%q is not one of v1, v2, v3", v)
		}
	}
	switch {
	case c.WebhookURL == "" && (versions[SignatureV2] || versions[SignatureV3]):
		bad("webhook_url", "required: the exact target URL registered in HubSpot, which v2 and v3 signatures cover")
	case c.WebhookURL != "":
		if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("webhook_url", "must be an absolute http or https URL, got %q", c.WebhookURL)
		} else if u.Fragment != "" || strings.Contains(c.WebhookURL, "#") {
			bad("webhook_url", "must not hold a fragment (#…): HubSpot never sends one")
		}
	}
	if c.MaxAge <= 0 {
		bad("max_age", "must be a positive duration, got %s", c.MaxAge)
	}

	needsAPI := c.Enrich || c.WriteBack.Enabled
	if needsAPI && strings.TrimSpace(c.AccessToken) == "" {
		bad("access_token", "required to read contacts and deals (enrich) or to write members back: a private app or OAuth access token")
	}
	if u, err := url.Parse(c.APIBaseURL); c.APIBaseURL == "" {
		bad("api_base_url", "required")
	} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		bad("api_base_url", "must be an http or https URL without a query, got %q", c.APIBaseURL)
	}
	if c.Timeout <= 0 {
		bad("timeout", "must be a positive duration, got %s", c.Timeout)
	}
	if c.RateLimit.Requests <= 0 {
		bad("rate_limit.requests", "must be positive, got %d", c.RateLimit.Requests)
	}
	if c.RateLimit.Interval <= 0 {
		bad("rate_limit.interval", "must be a positive duration, got %s", c.RateLimit.Interval)
	}

	if len(c.ContactProperties) == 0 {
		bad("contact_properties", "must list the contact properties to read, such as phone and email")
	}
	seen := map[string]int{}
	for i, p := range c.ContactProperties {
		key := fmt.Sprintf("contact_properties[%d]", i)
		if !propertyNamePattern.MatchString(p) {
			bad(key, "%q is not a HubSpot property's internal name (lower-case letters, digits and _)", p)
		} else if j, dup := seen[p]; dup {
			bad(key, "%q is already contact_properties[%d]", p, j)
		}
		seen[p] = i
	}
	if len(c.ContactProperties) > 0 && !slices.ContainsFunc(c.ContactProperties, func(p string) bool {
		return p == "phone" || p == "mobilephone" || p == "email"
	}) {
		bad("contact_properties", "must include phone, mobilephone or email: without them no contact becomes a member")
	}

	if p := c.Consent.Property; p != "" {
		if !propertyNamePattern.MatchString(p) {
			bad("consent.property", "%q is not a HubSpot property's internal name (lower-case letters, digits and _)", p)
		}
		if len(c.Consent.OptInValues) == 0 {
			bad("consent.opt_in_values", "must list the values meaning opted in when consent.property is set")
		}
		if c.WriteBack.Enabled && (p == c.WriteBack.PointsProperty || p == c.WriteBack.TierProperty) {
			bad("consent.property", "%q is written back by loyalhub, it cannot hold consent", p)
		}
	}
	for i, v := range c.Consent.OptInValues {
		if strings.TrimSpace(v) == "" {
			bad(fmt.Sprintf("consent.opt_in_values[%d]", i), "must not be empty")
		}
	}
	if c.Consent.Category != event.ConsentMarketingMessages && c.Consent.Category != event.ConsentSMSMarketing {
		bad("consent.category", "%q is not one of %s, %s", c.Consent.Category, event.ConsentMarketingMessages, event.ConsentSMSMarketing)
	}

	for i, s := range c.Deals.PaidStages {
		if strings.TrimSpace(s) == "" {
			bad(fmt.Sprintf("deals.paid_stages[%d]", i), "must be a dealstage id, such as closedwon")
		}
	}
	if len(c.Deals.PaidStages) > 0 && !c.Enrich {
		bad("deals.paid_stages", "needs enrich: a deal's amount and contacts are read from HubSpot's API")
	}
	if c.Deals.Currency != "" && !currencyPattern.MatchString(c.Deals.Currency) {
		bad("deals.currency", "must be an ISO 4217 code such as IDR, got %q", c.Deals.Currency)
	}

	w := c.WriteBack
	switch {
	case w.PointsProperty == "" && w.Enabled:
		bad("write_back.points_property", "required: the contact property receiving the points balance")
	case w.PointsProperty != "" && !propertyNamePattern.MatchString(w.PointsProperty):
		bad("write_back.points_property", "%q is not a HubSpot property's internal name (lower-case letters, digits and _)", w.PointsProperty)
	}
	if w.TierProperty != "" {
		if !propertyNamePattern.MatchString(w.TierProperty) {
			bad("write_back.tier_property", "%q is not a HubSpot property's internal name (lower-case letters, digits and _)", w.TierProperty)
		} else if w.TierProperty == w.PointsProperty {
			bad("write_back.tier_property", "must differ from write_back.points_property")
		}
	}
	switch {
	case w.IDProperty == "" && w.Enabled:
		bad("write_back.id_property", "required: email, or a unique contact property holding the member's phone")
	case w.IDProperty != "" && !propertyNamePattern.MatchString(w.IDProperty):
		bad("write_back.id_property", "%q is not a HubSpot property's internal name (lower-case letters, digits and _)", w.IDProperty)
	case w.IDProperty != "" && (w.IDProperty == w.PointsProperty || w.IDProperty == w.TierProperty):
		bad("write_back.id_property", "must differ from the properties written back")
	}
	return errs.Err()
}
