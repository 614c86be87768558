package gupshup

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloud"
	"github.com/loyalhub/loyalhub/core/config"
)

// Defaults.
const (
	DefaultBaseURL = "https://api.gupshup.io"
	DefaultTimeout = 10 * time.Second
)

// Config is one whatsapp_gupshup connector instance: one Gupshup app and
// its WhatsApp number.
type Config struct {
	// APIKey is the account's API key, sent in the apikey header.
	// Required.
	APIKey string `koanf:"api_key"`
	// AppName is the Gupshup app's name (src.name). Required.
	AppName string `koanf:"app_name"`
	// AppID is the Gupshup app's id, where read marks go. Optional:
	// without it messages are not marked read.
	AppID string `koanf:"app_id"`
	// Source is the app's WhatsApp number in E.164 form (+917834811114).
	// Required.
	Source string `koanf:"source"`
	// WebhookToken is the secret the callback URL set at Gupshup carries
	// in its token query parameter: Gupshup signs no webhook, so a request
	// without it is refused. At least 16 characters. Required.
	WebhookToken string `koanf:"webhook_token"`
	// BaseURL of Gupshup's API. Default https://api.gupshup.io.
	BaseURL string `koanf:"base_url"`
	// Timeout bounds one HTTP attempt. Default 10s.
	Timeout time.Duration `koanf:"timeout"`
	// Templates maps the hub's templates to Gupshup template ids.
	Templates []Template `koanf:"templates"`
	// Breaker guards the sender against sending into an outage.
	Breaker cloud.Breaker `koanf:"breaker"`
	// Throughput limits what the sender sends.
	Throughput cloud.Throughput `koanf:"throughput"`
}

// Template maps one of the hub's templates (a name and a language) to the
// id Gupshup gave the approved template.
type Template struct {
	Name     string `koanf:"name"`
	Language string `koanf:"language"`
	ID       string `koanf:"id"` // a UUID
}

// DefaultConfig returns a config holding the defaults.
func DefaultConfig() Config {
	return Config{
		BaseURL:    DefaultBaseURL,
		Timeout:    DefaultTimeout,
		Breaker:    cloud.DefaultBreaker(),
		Throughput: cloud.DefaultThroughput(),
	}
}

var (
	e164Pattern = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// minTokenLen is the shortest webhook token accepted: it is the only
// thing that authenticates Gupshup's webhooks.
const minTokenLen = 16

// Validate checks the values; every problem is a config.FieldError at a key
// relative to the connector's block, such as "templates[0].id".
func (c Config) Validate() error {
	var errs config.Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, &config.FieldError{Path: key, Msg: fmt.Sprintf(format, args...)})
	}
	if c.APIKey == "" {
		bad("api_key", "required")
	}
	if c.AppName == "" {
		bad("app_name", "required: the Gupshup app's name")
	}
	if strings.ContainsAny(c.AppID, "/?#") {
		bad("app_id", "must be the app's id, got %q", c.AppID)
	}
	switch {
	case c.Source == "":
		bad("source", "required: the app's WhatsApp number")
	case !e164Pattern.MatchString(c.Source):
		bad("source", "must be the app's number in E.164 form (+917834811114), got %q", c.Source)
	}
	switch {
	case c.WebhookToken == "":
		bad("webhook_token", "required: Gupshup signs no webhook, the token in the callback URL authenticates them")
	case len(c.WebhookToken) < minTokenLen:
		bad("webhook_token", "must be at least %d characters, got %d", minTokenLen, len(c.WebhookToken))
	case url.QueryEscape(c.WebhookToken) != c.WebhookToken:
		bad("webhook_token", "must be letters, digits, '-', '_' or '.', to sit in a URL as it is")
	}
	if u, err := url.Parse(c.BaseURL); c.BaseURL == "" {
		bad("base_url", "required")
	} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("base_url", "must be an http or https URL, got %q", c.BaseURL)
	}
	if c.Timeout <= 0 {
		bad("timeout", "must be positive, got %s", c.Timeout)
	}
	seen := map[string]int{}
	for i, t := range c.Templates {
		errs = append(errs, config.Prefix(fmt.Sprintf("templates[%d]", i), t.validate())...)
		k := templateKey(t.Name, t.Language)
		if j, dup := seen[k]; dup && t.Name != "" {
			bad(fmt.Sprintf("templates[%d]", i), "maps %s in %s again, as templates[%d] does", t.Name, t.Language, j)
		}
		seen[k] = i
	}
	errs = append(errs, config.Prefix("", c.Breaker.Validate())...)
	errs = append(errs, config.Prefix("", c.Throughput.Validate())...)
	return errs.Err()
}

func (t Template) validate() error {
	var errs config.Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, &config.FieldError{Path: key, Msg: fmt.Sprintf(format, args...)})
	}
	if t.Name == "" {
		bad("name", "required: the hub's template name")
	}
	if t.Language == "" {
		bad("language", "required: the template's language, such as en_US")
	}
	if !uuidPattern.MatchString(t.ID) {
		bad("id", "must be the template's id at Gupshup, a lowercase UUID, got %q", t.ID)
	}
	return errs.Err()
}

func templateKey(name, language string) string {
	return name + "/" + strings.ToLower(language)
}
