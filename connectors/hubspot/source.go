package hubspot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/connectors"
)

var (
	_ connectors.Source       = (*Source)(nil)
	_ connectors.Enricher     = (*Source)(nil)
	_ connectors.MemberSyncer = (*Source)(nil)
)

// Source is one hubspot connector: it accepts the app's signed webhooks,
// enriches their events with the contacts and deals they name, and writes
// members' loyalty state back to contacts. It is safe for concurrent use;
// every API call it makes waits for the one rate limiter of its portal.
type Source struct {
	cfg      Config
	secret   []byte
	uriV3    string // webhook_url as HubSpot writes it for v3
	versions map[string]bool
	now      func() time.Time
	api      *client // nil without an access token
	logger   *slog.Logger
}

// NewSource returns the connector for a validated config. It does no I/O.
func NewSource(cfg *Config, deps connectors.Deps) (*Source, error) {
	if cfg == nil {
		return nil, errors.New("creating hubspot source: nil config")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("creating hubspot source: %w", err)
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Source{
		cfg:      cloneConfig(cfg),
		secret:   []byte(cfg.ClientSecret),
		uriV3:    DecodeURI(cfg.WebhookURL),
		versions: map[string]bool{},
		now:      time.Now,
		logger:   logger,
	}
	for _, v := range cfg.SignatureVersions {
		s.versions[v] = true
	}
	if cfg.AccessToken != "" {
		s.api = newClient(cfg, logger)
	}
	return s, nil
}

// cloneConfig copies cfg deeply enough that later changes to the caller's
// slices do not reach the connector.
func cloneConfig(cfg *Config) Config {
	c := *cfg
	c.SignatureVersions = slices.Clone(cfg.SignatureVersions)
	c.ContactProperties = slices.Clone(cfg.ContactProperties)
	c.Consent.OptInValues = slices.Clone(cfg.Consent.OptInValues)
	c.Deals.PaidStages = slices.Clone(cfg.Deals.PaidStages)
	return c
}

// Webhook request headers.
const (
	HeaderSignature        = "X-HubSpot-Signature"
	HeaderSignatureVersion = "X-HubSpot-Signature-Version"
	HeaderSignatureV3      = "X-HubSpot-Signature-v3"
	HeaderTimestamp        = "X-HubSpot-Request-Timestamp"
)

// SignV1 returns a v1 signature: hex SHA-256 of the client secret followed
// by the body.
func SignV1(clientSecret string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(clientSecret))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// SignV2 returns a v2 signature: hex SHA-256 of the client secret, the
// method, the URI and the body.
func SignV2(clientSecret, method, uri string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(clientSecret))
	h.Write([]byte(method))
	h.Write([]byte(uri))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// SignV3 returns a v3 signature: base64 HMAC-SHA256, keyed with the client
// secret, of the method, the URI as HubSpot writes it (see DecodeURI), the
// body and the timestamp header's value (Unix milliseconds).
func SignV3(clientSecret, method, uri string, body []byte, timestamp string) string {
	return base64.StdEncoding.EncodeToString(macV3([]byte(clientSecret), method, DecodeURI(uri), body, timestamp))
}

func macV3(secret []byte, method, uri string, body []byte, timestamp string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(method))
	m.Write([]byte(uri))
	m.Write(body)
	m.Write([]byte(timestamp))
	return m.Sum(nil)
}

// uriEscapes are the escapes HubSpot decodes in the URI it signs with v3.
var uriEscapes = strings.NewReplacer(
	"%3A", ":", "%3a", ":",
	"%2F", "/", "%2f", "/",
	"%3F", "?", "%3f", "?",
	"%40", "@",
	"%21", "!",
	"%24", "$",
	"%27", "'",
	"%28", "(",
	"%29", ")",
	"%2A", "*", "%2a", "*",
	"%2C", ",", "%2c", ",",
	"%3B", ";", "%3b", ";",
)

// DecodeURI returns uri as HubSpot signs it with v3: with the escapes
// %3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B decoded and everything
// else, the ? starting the query included, left as it is.
func DecodeURI(uri string) string { return uriEscapes.Replace(uri) }

// Accept authenticates a webhook request by its signature and names the
// delivery: the hex SHA-256 of the body, which holds a batch of events. It
// never parses the body. When the v3 signature header is present and v3 is
// accepted, v3 alone decides; otherwise X-HubSpot-Signature is checked as
// the version X-HubSpot-Signature-Version names (v1 when absent), if that
// version is accepted. Failures wrap connectors.ErrUnauthorized.
func (s *Source) Accept(r *http.Request, body []byte) (connectors.Delivery, error) {
	if err := s.verify(r, body); err != nil {
		return connectors.Delivery{}, fmt.Errorf("verifying hubspot signature: %w: %s", connectors.ErrUnauthorized, err)
	}
	sum := sha256.Sum256(body)
	return connectors.Delivery{ID: hex.EncodeToString(sum[:])}, nil
}

// verify returns why the request is not authentic, or nil.
func (s *Source) verify(r *http.Request, body []byte) error {
	sigV3 := strings.TrimSpace(r.Header.Get(HeaderSignatureV3))
	if sigV3 != "" && s.versions[SignatureV3] {
		return s.verifyV3(r, body, sigV3)
	}
	sig := strings.TrimSpace(r.Header.Get(HeaderSignature))
	if sig == "" {
		if s.versions[SignatureV3] {
			return fmt.Errorf("missing %s header", HeaderSignatureV3)
		}
		return fmt.Errorf("missing %s header", HeaderSignature)
	}
	version := strings.ToLower(strings.TrimSpace(r.Header.Get(HeaderSignatureVersion)))
	if version == "" {
		version = SignatureV1
	}
	switch version {
	case SignatureV1, SignatureV2:
	default:
		return fmt.Errorf("%s %q is not v1 or v2", HeaderSignatureVersion, preview(version))
	}
	if !s.versions[version] {
		return fmt.Errorf("signature version %s is not accepted (signature_versions: %s)", version, strings.Join(s.cfg.SignatureVersions, ", "))
	}
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%s is not a hex SHA-256", HeaderSignature)
	}
	var want string
	if version == SignatureV1 {
		want = SignV1(s.cfg.ClientSecret, body)
	} else {
		want = SignV2(s.cfg.ClientSecret, r.Method, s.cfg.WebhookURL, body)
	}
	wantSum, _ := hex.DecodeString(want)
	if !hmac.Equal(got, wantSum) {
		if version == SignatureV1 {
			return fmt.Errorf("%s signature mismatch: check client_secret", version)
		}
		return fmt.Errorf("%s signature mismatch: check client_secret and that webhook_url is exactly the target URL registered in HubSpot", version)
	}
	return nil
}

func (s *Source) verifyV3(r *http.Request, body []byte, sig string) error {
	ts := strings.TrimSpace(r.Header.Get(HeaderTimestamp))
	if ts == "" {
		return fmt.Errorf("missing %s header", HeaderTimestamp)
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || !isDigits(ts) {
		return fmt.Errorf("%s %q is not a Unix time in milliseconds", HeaderTimestamp, preview(ts))
	}
	// Compare in milliseconds: durations of far-off timestamps overflow.
	age := s.now().UnixMilli() - ms
	maxAge := s.cfg.MaxAge.Milliseconds()
	switch {
	case age > maxAge:
		return fmt.Errorf("request timestamp is %s old, beyond max_age %s", roundAge(age), s.cfg.MaxAge)
	case -age > maxAge:
		return fmt.Errorf("request timestamp is %s in the future, beyond max_age %s", roundAge(-age), s.cfg.MaxAge)
	}
	// The timestamp is signed as sent, byte for byte. The signature is
	// compared as text: HubSpot sends canonical base64.
	want := base64.StdEncoding.EncodeToString(macV3(s.secret, r.Method, s.uriV3, body, ts))
	if !hmac.Equal([]byte(sig), []byte(want)) {
		if got, err := base64.StdEncoding.Strict().DecodeString(sig); err != nil || len(got) != sha256.Size {
			return fmt.Errorf("%s is not a base64 HMAC-SHA256", HeaderSignatureV3)
		}
		return fmt.Errorf("v3 signature mismatch: check client_secret and that webhook_url is exactly the target URL registered in HubSpot")
	}
	return nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// roundAge prints a distance in milliseconds for an error message.
func roundAge(ms int64) string {
	const maxDays = 365 * 100
	if ms/int64(24*time.Hour/time.Millisecond) > maxDays {
		return "over a century"
	}
	return (time.Duration(ms) * time.Millisecond).Round(time.Second).String()
}

// preview bounds a header value quoted in an error.
func preview(s string) string {
	const n = 32
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
