package shopify

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
)

// Defaults.
const (
	DefaultAPIVersion        = "2026-01"
	DefaultTimeout           = 10 * time.Second
	DefaultRequestsPerSecond = 2.0
	DefaultValidDays         = 30
	DefaultCodePrefix        = "LH-"
	// DefaultTitlePrefix starts a discount's default title, followed by
	// the reward's name.
	DefaultTitlePrefix = "Loyalty reward "
)

// Config is one shopify connector instance: one shop.
type Config struct {
	// Secret keys the HMAC-SHA256 signature of every webhook: the app's
	// client secret, or the store's webhook signing key for webhooks
	// created in the store admin (Settings > Notifications > Webhooks).
	// Required.
	Secret string `koanf:"secret"`
	// PreviousSecret is also accepted while the app's client secret is
	// rotated: Shopify can take up to an hour to sign with the new one.
	// Optional.
	PreviousSecret string `koanf:"previous_secret"`
	// ShopDomain is the shop's *.myshopify.com domain. When set, a delivery
	// whose X-Shopify-Shop-Domain differs is refused as unauthorized, and
	// the Admin API is called at https://<shop_domain> unless
	// admin.base_url says otherwise. Optional.
	ShopDomain string `koanf:"shop_domain"`
	// IncludeTestOrders makes test orders ("test": true) count like real
	// ones, with their cancellations and refunds (a refund whose
	// transactions are all test transactions). Default false: they earn
	// nothing and take nothing back.
	IncludeTestOrders bool `koanf:"include_test_orders"`
	// Admin reaches the shop's Admin GraphQL API to issue rewards'
	// discount codes. Needed only when a reward's codes come from this
	// connector.
	Admin Admin `koanf:"admin"`
}

// Admin is the Admin GraphQL API access of a shopify connector.
type Admin struct {
	// AccessToken is the Admin API access token (X-Shopify-Access-Token)
	// of an app with the write_discounts scope. Required when discounts
	// are set.
	AccessToken string `koanf:"access_token"`
	// APIVersion is the Admin API version, YYYY-MM. Default "2026-01".
	APIVersion string `koanf:"api_version"`
	// BaseURL is where the Admin API is. Default "https://<shop_domain>".
	BaseURL string `koanf:"base_url"`
	// Timeout bounds one HTTP attempt. Default 10s.
	Timeout time.Duration `koanf:"timeout"`
	// RequestsPerSecond paces calls to the Admin API. Default 2.
	RequestsPerSecond float64 `koanf:"requests_per_second"`
	// Discounts says, by reward id, what discount a reward's code gives.
	Discounts map[string]Discount `koanf:"discounts"`
}

// Discount is the discount a reward's code gives: exactly one of Amount
// and Percentage.
type Discount struct {
	// Amount is a fixed amount off the order, a decimal in the shop's
	// currency ("50000", "5.50").
	Amount string `koanf:"amount"`
	// Percentage is a percentage off the order, 0 < p ≤ 100.
	Percentage float64 `koanf:"percentage"`
	// MinimumSubtotal is the order subtotal the code needs, a decimal.
	// Optional.
	MinimumSubtotal string `koanf:"minimum_subtotal"`
	// ValidDays is how long a code can be used after it is issued.
	// Default (0) 30.
	ValidDays int `koanf:"valid_days"`
	// Title names the discount in the shop's admin. Default "Loyalty
	// reward <reward name>".
	Title string `koanf:"title"`
	// Prefix starts every code. Default (empty) "LH-".
	Prefix string `koanf:"prefix"`
}

// NewConfig returns a config holding the defaults.
func NewConfig() *Config {
	return &Config{
		Admin: Admin{
			APIVersion:        DefaultAPIVersion,
			Timeout:           DefaultTimeout,
			RequestsPerSecond: DefaultRequestsPerSecond,
		},
	}
}

var (
	shopDomainPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*\.myshopify\.com$`)
	apiVersionPattern = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)
	decimalPattern    = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	// prefixPattern keeps codes easy to type and to read out.
	prefixPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{0,20}$`)
)

// Validate checks the values; every problem is a config.FieldError at a key
// relative to the connector's block.
func (c *Config) Validate() error {
	var errs config.Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, &config.FieldError{Path: key, Msg: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(c.Secret) == "" {
		bad("secret", "required: the app's client secret, or the store's webhook signing key")
	}
	if c.PreviousSecret != "" && strings.TrimSpace(c.PreviousSecret) == "" {
		bad("previous_secret", "must not be blank")
	}
	if c.ShopDomain != "" && !shopDomainPattern.MatchString(c.ShopDomain) {
		bad("shop_domain", "must be the shop's lower-case *.myshopify.com domain, got %q", c.ShopDomain)
	}

	a := c.Admin
	if !apiVersionPattern.MatchString(a.APIVersion) {
		bad("admin.api_version", "must be an API version YYYY-MM, such as %q, got %q", DefaultAPIVersion, a.APIVersion)
	}
	if a.BaseURL != "" {
		if u, err := url.Parse(a.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("admin.base_url", "must be an http or https URL, got %q", a.BaseURL)
		}
	}
	if a.Timeout <= 0 {
		bad("admin.timeout", "must be positive, got %s", a.Timeout)
	}
	if !(a.RequestsPerSecond > 0) {
		bad("admin.requests_per_second", "must be positive, got %v", a.RequestsPerSecond)
	}
	if a.AccessToken != "" && a.BaseURL == "" && c.ShopDomain == "" {
		bad("admin.base_url", "required when shop_domain is not set: the Admin API is at https://<shop_domain>")
	}
	if len(a.Discounts) > 0 && strings.TrimSpace(a.AccessToken) == "" {
		bad("admin.access_token", "required when admin.discounts is set: discount codes are created with the Admin API")
	}
	ids := make([]string, 0, len(a.Discounts))
	for id := range a.Discounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		errs = append(errs, config.Prefix("admin.discounts."+id, a.Discounts[id].validate().Err())...)
	}
	return errs.Err()
}

// validate checks one discount; paths are relative to it.
func (d Discount) validate() config.Errors {
	var errs config.Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, &config.FieldError{Path: key, Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case d.Amount == "" && d.Percentage == 0:
		bad("amount", "set exactly one of amount and percentage")
	case d.Amount != "" && d.Percentage != 0:
		bad("percentage", "set exactly one of amount and percentage")
	case d.Amount != "":
		if !decimalPattern.MatchString(d.Amount) || isZeroDecimal(d.Amount) {
			bad("amount", "must be a positive decimal, such as \"5.00\", got %q", d.Amount)
		}
	default:
		if !(d.Percentage > 0 && d.Percentage <= 100) {
			bad("percentage", "must be more than 0 and at most 100, got %v", d.Percentage)
		}
	}
	if d.MinimumSubtotal != "" && !decimalPattern.MatchString(d.MinimumSubtotal) {
		bad("minimum_subtotal", "must be a decimal, such as \"100.00\", got %q", d.MinimumSubtotal)
	}
	if d.ValidDays < 0 {
		bad("valid_days", "must not be negative, got %d", d.ValidDays)
	}
	if !prefixPattern.MatchString(d.Prefix) {
		bad("prefix", "must be at most 20 letters, digits, _ or -, got %q", d.Prefix)
	}
	if len(d.Title) > 255 {
		bad("title", "must be at most 255 characters, got %d", len(d.Title))
	}
	return errs
}

func isZeroDecimal(s string) bool {
	return strings.Trim(s, "0.") == ""
}

// adminBaseURL is where the Admin API is, without a trailing slash.
func (c *Config) adminBaseURL() string {
	if c.Admin.BaseURL != "" {
		return strings.TrimRight(c.Admin.BaseURL, "/")
	}
	return "https://" + c.ShopDomain
}
