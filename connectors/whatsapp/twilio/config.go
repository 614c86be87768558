package twilio

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloud"
	"github.com/loyalhub/loyalhub/core/config"
)

// Defaults.
const (
	DefaultBaseURL          = "https://api.twilio.com"
	DefaultMessagingBaseURL = "https://messaging.twilio.com"
	DefaultTimeout          = 10 * time.Second
)

// Config is one whatsapp_twilio connector instance: one WhatsApp sender (a
// number, or a Messaging Service) of one Twilio account.
type Config struct {
	// AccountSID is the account's SID, AC followed by 32 hex digits.
	// Required.
	AccountSID string `koanf:"account_sid"`
	// AuthToken is the account's auth token. Required: Twilio signs its
	// webhooks with it, and it authenticates API calls unless an API key
	// is set.
	AuthToken string `koanf:"auth_token"`
	// APIKeySID and APIKeySecret are an API key (SK…) the API calls use
	// instead of the auth token. Optional; set both or neither.
	APIKeySID    string `koanf:"api_key_sid"`
	APIKeySecret string `koanf:"api_key_secret"`
	// From is the WhatsApp sender's number in E.164 form (+14155238886).
	// Required unless MessagingServiceSID is set.
	From string `koanf:"from"`
	// MessagingServiceSID (MG…) sends through a Messaging Service's sender
	// pool. Optional.
	MessagingServiceSID string `koanf:"messaging_service_sid"`
	// WebhookURL is this connector's webhook URL exactly as Twilio calls it
	// (https://hub.example.com/webhooks/acme/wa): Twilio signs the URL it
	// calls, which a proxy in front of the hub changes, so the signature is
	// checked against this one. Status callbacks are asked for at it.
	// Required.
	WebhookURL string `koanf:"webhook_url"`
	// BaseURL of Twilio's REST API. Default https://api.twilio.com.
	BaseURL string `koanf:"base_url"`
	// MessagingBaseURL of Twilio's Messaging v2 API, where read marks go.
	// Default https://messaging.twilio.com.
	MessagingBaseURL string `koanf:"messaging_base_url"`
	// Timeout bounds one HTTP attempt. Default 10s.
	Timeout time.Duration `koanf:"timeout"`
	// Templates maps the hub's templates to Twilio Content templates.
	Templates []Template `koanf:"templates"`
	// Breaker guards the sender against sending into an outage.
	Breaker cloud.Breaker `koanf:"breaker"`
	// Throughput limits what the sender sends.
	Throughput cloud.Throughput `koanf:"throughput"`
}

// Template maps one of the hub's templates (a name and a language) to a
// Twilio Content template and its variables.
type Template struct {
	Name       string `koanf:"name"`
	Language   string `koanf:"language"`
	ContentSID string `koanf:"content_sid"` // HX followed by 32 hex digits
	// Variables names, for each of the content's variables, what fills
	// it: "header" (the header's text, or its media link), "body.N" (the
	// Nth body parameter, from 1), "body.NAME" (the body parameter NAME)
	// or "button.N" (the value of the button at index N). Default: the
	// body parameters in order fill "1", "2"…
	Variables map[string]string `koanf:"variables"`
}

// DefaultConfig returns a config holding the defaults.
func DefaultConfig() Config {
	return Config{
		BaseURL:          DefaultBaseURL,
		MessagingBaseURL: DefaultMessagingBaseURL,
		Timeout:          DefaultTimeout,
		Breaker:          cloud.DefaultBreaker(),
		Throughput:       cloud.DefaultThroughput(),
	}
}

var (
	accountSIDPattern = regexp.MustCompile(`^AC[0-9a-f]{32}$`)
	keySIDPattern     = regexp.MustCompile(`^SK[0-9a-f]{32}$`)
	serviceSIDPattern = regexp.MustCompile(`^MG[0-9a-f]{32}$`)
	contentSIDPattern = regexp.MustCompile(`^HX[0-9a-f]{32}$`)
	e164Pattern       = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	variablePattern   = regexp.MustCompile(`^[0-9A-Za-z_]{1,64}$`)
	sourcePattern     = regexp.MustCompile(`^(header|body\.([1-9][0-9]*|[a-z_][a-z0-9_]*)|button\.[0-9])$`)
)

// Validate checks the values; every problem is a config.FieldError at a key
// relative to the connector's block, such as "templates[0].content_sid".
func (c Config) Validate() error {
	var errs config.Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, &config.FieldError{Path: key, Msg: fmt.Sprintf(format, args...)})
	}
	httpURL := func(key, v string) {
		if u, err := url.Parse(v); v == "" {
			bad(key, "required")
		} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(key, "must be an http or https URL, got %q", v)
		}
	}
	switch {
	case c.AccountSID == "":
		bad("account_sid", "required")
	case !accountSIDPattern.MatchString(c.AccountSID):
		bad("account_sid", "must be AC followed by 32 lowercase hex digits, got %q", c.AccountSID)
	}
	if c.AuthToken == "" {
		bad("auth_token", "required: Twilio signs its webhooks with it")
	}
	switch {
	case c.APIKeySID == "" && c.APIKeySecret != "":
		bad("api_key_sid", "required with api_key_secret")
	case c.APIKeySID != "" && !keySIDPattern.MatchString(c.APIKeySID):
		bad("api_key_sid", "must be SK followed by 32 lowercase hex digits, got %q", c.APIKeySID)
	case c.APIKeySID != "" && c.APIKeySecret == "":
		bad("api_key_secret", "required with api_key_sid")
	}
	switch {
	case c.From == "" && c.MessagingServiceSID == "":
		bad("from", "required unless messaging_service_sid is set")
	case c.From != "" && !e164Pattern.MatchString(c.From):
		bad("from", "must be the sender's number in E.164 form (+14155238886), got %q", c.From)
	}
	if c.MessagingServiceSID != "" && !serviceSIDPattern.MatchString(c.MessagingServiceSID) {
		bad("messaging_service_sid", "must be MG followed by 32 lowercase hex digits, got %q", c.MessagingServiceSID)
	}
	httpURL("webhook_url", c.WebhookURL)
	if u, err := url.Parse(c.WebhookURL); err == nil && u.Fragment != "" {
		bad("webhook_url", "must not have a fragment: Twilio signs the URL without one")
	}
	httpURL("base_url", c.BaseURL)
	httpURL("messaging_base_url", c.MessagingBaseURL)
	if c.Timeout <= 0 {
		bad("timeout", "must be positive, got %s", c.Timeout)
	}
	seen := map[string]int{}
	for i, t := range c.Templates {
		errs = append(errs, config.Prefix(fmt.Sprintf("templates[%d]", i), t.validate())...)
		k := t.Name + "/" + t.Language
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
	if !contentSIDPattern.MatchString(t.ContentSID) {
		bad("content_sid", "must be a Content SID, HX followed by 32 lowercase hex digits, got %q", t.ContentSID)
	}
	used := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(t.Variables)) {
		src := t.Variables[k]
		if !variablePattern.MatchString(k) {
			bad("variables", "variable %q: must be letters, digits or _", k)
		}
		if !sourcePattern.MatchString(src) {
			bad("variables."+k, "must be header, body.N, body.NAME or button.N, got %q", src)
			continue
		}
		if other, dup := used[src]; dup {
			bad("variables."+k, "%s already fills variable %s", src, other)
		}
		used[src] = k
	}
	return errs.Err()
}

// variables returns the template's variables, or the default: the body
// parameters 1…n fill the variables "1"…"n".
func (t Template) variables(n int) map[string]string {
	if len(t.Variables) > 0 {
		return t.Variables
	}
	out := make(map[string]string, n)
	for i := 1; i <= n; i++ {
		out[strconv.Itoa(i)] = "body." + strconv.Itoa(i)
	}
	return out
}

func templateKey(name, language string) string {
	return name + "/" + strings.ToLower(language)
}
