package cloudapi

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
	DefaultBaseURL      = "https://graph.facebook.com"
	DefaultGraphVersion = "v24.0"
	DefaultTimeout      = 10 * time.Second
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
	// WABAID is the WhatsApp Business Account id: it lists the account's
	// templates. Optional: without it templates are not checked.
	WABAID string `koanf:"waba_id"`
	// Breaker guards the number against sending into an outage.
	Breaker Breaker `koanf:"breaker"`
	// Throughput limits what the number sends.
	Throughput Throughput `koanf:"throughput"`
}

// Breaker configures the circuit breaker of one business number.
type Breaker = cloud.Breaker

// Throughput limits one business number's sends: messages per second and
// the pair rate limit per recipient.
type Throughput = cloud.Throughput

// DefaultConfig returns a config holding the defaults.
func DefaultConfig() Config {
	return Config{
		BaseURL:      DefaultBaseURL,
		GraphVersion: DefaultGraphVersion,
		Timeout:      DefaultTimeout,
		Breaker:      cloud.DefaultBreaker(),
		Throughput:   cloud.DefaultThroughput(),
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
	if c.WABAID != "" && !phoneIDPattern.MatchString(c.WABAID) {
		bad("waba_id", "must be Meta's numeric WhatsApp Business Account id, got %q", c.WABAID)
	}
	errs = append(errs, config.Prefix("", c.Breaker.Validate())...)
	errs = append(errs, config.Prefix("", c.Throughput.Validate())...)
	return errs.Err()
}
