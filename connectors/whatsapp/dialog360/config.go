package dialog360

import (
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloud"
	"github.com/loyalhub/loyalhub/core/config"
)

// Defaults.
const (
	DefaultBaseURL       = "https://waba-v2.360dialog.io"
	DefaultWebhookHeader = "X-Loyalhub-Webhook-Token"
	DefaultTimeout       = 10 * time.Second
	// MinWebhookToken is the shortest webhook token accepted.
	MinWebhookToken = 16
)

// Config is one whatsapp_360dialog connector instance: one channel (phone
// number).
type Config struct {
	// BaseURL of 360dialog's Cloud API. Default https://waba-v2.360dialog.io.
	BaseURL string `koanf:"base_url"`
	// APIKey is the channel's D360-API-KEY. Required.
	APIKey string `koanf:"api_key"`
	// PhoneNumberID is Meta's id of the channel's number. Optional: it
	// names the number in logs.
	PhoneNumberID string `koanf:"phone_number_id"`
	// WebhookHeader is the header 360dialog is told to send with each
	// webhook. Default X-Loyalhub-Webhook-Token.
	WebhookHeader string `koanf:"webhook_header"`
	// WebhookToken is that header's secret value: at least 16 visible
	// ASCII characters, no spaces. Required.
	WebhookToken string `koanf:"webhook_token"`
	// Timeout bounds one HTTP attempt. Default 10s.
	Timeout time.Duration `koanf:"timeout"`
	// Breaker guards the number against sending into an outage.
	Breaker cloud.Breaker `koanf:"breaker"`
	// Throughput limits what the number sends.
	Throughput cloud.Throughput `koanf:"throughput"`
}

// DefaultConfig returns a config holding the defaults.
func DefaultConfig() Config {
	return Config{
		BaseURL:       DefaultBaseURL,
		WebhookHeader: DefaultWebhookHeader,
		Timeout:       DefaultTimeout,
		Breaker:       cloud.DefaultBreaker(),
		Throughput:    cloud.DefaultThroughput(),
	}
}

var (
	headerNamePattern = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	numericPattern    = regexp.MustCompile(`^[0-9]+$`)
	// visiblePattern is a header value that arrives byte for byte: no
	// control characters, and no spaces (those at the ends are trimmed).
	visiblePattern = regexp.MustCompile(`^[!-~]+$`)
)

// Validate checks the values; every problem is a config.FieldError at a key
// relative to the connector's block.
func (c Config) Validate() error {
	var errs config.Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, &config.FieldError{Path: key, Msg: fmt.Sprintf(format, args...)})
	}
	if u, err := url.Parse(c.BaseURL); c.BaseURL == "" {
		bad("base_url", "required")
	} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("base_url", "must be an http or https URL, got %q", c.BaseURL)
	}
	if c.APIKey == "" {
		bad("api_key", "required: the channel's D360-API-KEY")
	}
	if c.PhoneNumberID != "" && !numericPattern.MatchString(c.PhoneNumberID) {
		bad("phone_number_id", "must be Meta's numeric phone number id, got %q", c.PhoneNumberID)
	}
	if !headerNamePattern.MatchString(c.WebhookHeader) {
		bad("webhook_header", "must be an HTTP header name, got %q", c.WebhookHeader)
	}
	switch {
	case c.WebhookToken == "":
		bad("webhook_token", "required: 360dialog's webhooks are not signed, this secret header authenticates them")
	case len(c.WebhookToken) < MinWebhookToken:
		bad("webhook_token", "must be at least %d characters, got %d", MinWebhookToken, len(c.WebhookToken))
	case !visiblePattern.MatchString(c.WebhookToken):
		bad("webhook_token", "must be visible ASCII characters without spaces: it travels as an HTTP header value")
	}
	if c.Timeout <= 0 {
		bad("timeout", "must be positive, got %s", c.Timeout)
	}
	errs = append(errs, config.Prefix("", c.Breaker.Validate())...)
	errs = append(errs, config.Prefix("", c.Throughput.Validate())...)
	return errs.Err()
}
