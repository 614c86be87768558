package cloudapi

import (
	"fmt"
	"github.com/loyalhub/loyalhub/core/config"
	"net/url"
	"regexp"
	"time"
)

// Defaults.
const (
	DefaultBaseURL         = "https://graph.facebook.com"
	DefaultGraphVersion    = "v24.0"
	DefaultTimeout         = 10 * time.Second
	DefaultBreakerFailures = 5
	DefaultBreakerOpenFor  = 30 * time.Second
)

// Config is one whatsapp_cloud connector instance: one business phone number.
type Config struct {
	// BaseURL of the Graph API. Default https://graph.facebook.com.
	BaseURL string `koanf:"base_url"`
	// GraphVersion is the Graph API version, such as v24.0. Default v24.0.
	GraphVersion string `koanf:"graph_version"`
	// PhoneNumberID is Meta's id of the business phone number (not the
	// number itself). Required.
	PhoneNumberID string `koanf:"phone_number_id"`
	// AccessToken is a system-user or business-integration token. Required.
	AccessToken string `koanf:"access_token"`
	// AppSecret of the Meta app: it verifies webhook signatures. Required.
	AppSecret string `koanf:"app_secret"`
	// VerifyToken answers Meta's webhook verification handshake. Optional:
	// empty refuses every handshake.
	VerifyToken string `koanf:"verify_token"`
	// Timeout bounds one HTTP attempt. Default 10s.
	Timeout time.Duration `koanf:"timeout"`
	// Breaker guards the number against sending into an outage.
	Breaker Breaker `koanf:"breaker"`
}

// Breaker configures the circuit breaker of one sender.
type Breaker struct {
	// MaxFailures is how many consecutive retryable failures open the
	// breaker. Default 5.
	MaxFailures int `koanf:"max_failures"`
	// OpenFor is how long the breaker refuses sends before it lets a trial
	// send through. Default 30s.
	OpenFor time.Duration `koanf:"open_for"`
}

// DefaultConfig returns a config holding the defaults.
func DefaultConfig() Config {
	return Config{
		BaseURL:      DefaultBaseURL,
		GraphVersion: DefaultGraphVersion,
		Timeout:      DefaultTimeout,
		Breaker:      Breaker{MaxFailures: DefaultBreakerFailures, OpenFor: DefaultBreakerOpenFor},
	}
}

var (
	graphVersionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)
	phoneIDPattern      = regexp.MustCompile(`^[0-9]+$`)
)

// Validate checks the values; every problem is reported as a
// config.FieldError at a key relative to the connector's block, such as
// "breaker.open_for".
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
	if !graphVersionPattern.MatchString(c.GraphVersion) {
		bad("graph_version", "must look like v24.0, got %q", c.GraphVersion)
	}
	switch {
	case c.PhoneNumberID == "":
		bad("phone_number_id", "required")
	case !phoneIDPattern.MatchString(c.PhoneNumberID):
		bad("phone_number_id", "must be Meta's numeric phone number id, got %q", c.PhoneNumberID)
	}
	if c.AccessToken == "" {
		bad("access_token", "required")
	}
	if c.AppSecret == "" {
		bad("app_secret", "required: it verifies webhook signatures")
	}
	if c.Timeout <= 0 {
		bad("timeout", "must be positive, got %s", c.Timeout)
	}
	if c.Breaker.MaxFailures < 1 {
		bad("breaker.max_failures", "must be at least 1, got %d", c.Breaker.MaxFailures)
	}
	if c.Breaker.OpenFor <= 0 {
		bad("breaker.open_for", "must be positive, got %s", c.Breaker.OpenFor)
	}
	return errs.Err()
}
