package pos

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
)

// Presets: the POS systems whose formats the connector knows.
const (
	PresetPlain    = "plain"    // the plain JSON sale format (mapping pos_webhook)
	PresetSquare   = "square"   // Square webhook notifications (mapping square)
	PresetLoyverse = "loyverse" // Loyverse webhooks (mapping loyverse)
)

// Authentication schemes (auth.scheme).
const (
	SchemeHMAC   = "hmac"    // a keyed hash of the body in a header
	SchemeAPIKey = "api_key" // a static key in a header
	SchemeBasic  = "basic"   // HTTP basic authentication
	SchemeNone   = "none"    // nothing but the sender's address (allow_ips)
)

// Values of auth.algorithm, auth.encoding and auth.signed.
const (
	AlgorithmSHA256 = "sha256"
	AlgorithmSHA1   = "sha1"
	EncodingHex     = "hex"
	EncodingBase64  = "base64"
	SignedBody      = "body"     // the raw body
	SignedURLBody   = "url_body" // auth.url followed by the raw body, as Square signs
)

// Defaults.
const (
	DefaultSignatureHeader  = "X-Loyalhub-Signature"
	DefaultDeliveryIDHeader = "X-Loyalhub-Delivery"
	DefaultAPIKeyHeader     = "X-API-Key"
	// SquareSignatureHeader carries Square's base64 HMAC-SHA256 of the
	// notification URL followed by the body.
	SquareSignatureHeader = "x-square-hmacsha256-signature"
	// LoyverseSignatureHeader carries Loyverse's base64 HMAC-SHA1 of the
	// body.
	LoyverseSignatureHeader = "X-Loyverse-Signature"
	DefaultSquareBaseURL    = "https://connect.squareup.com"
	DefaultLoyverseBaseURL  = "https://api.loyverse.com"
	// DefaultSquareVersion is the Square-Version header of customer
	// lookups.
	DefaultSquareVersion     = "2026-07-15"
	DefaultRequestsPerSecond = 5
	DefaultLookupTimeout     = 10 * time.Second
	// MinAPIKey is the shortest auth.key accepted.
	MinAPIKey = 16
)

// Config is one pos_webhook connector's settings. Empty strings take the
// preset's defaults.
type Config struct {
	// Preset names the POS: "plain" (default, the plain JSON sale format),
	// "square" or "loyverse". It sets the defaults of Auth and the bundled
	// mapping.
	Preset string `koanf:"preset"`
	// Secret is the short form of Auth.Secret for the hmac scheme.
	Secret string `koanf:"secret"`
	// SignatureHeader is the short form of Auth.Header for the hmac scheme.
	// Default: the preset's signature header (X-Loyalhub-Signature).
	SignatureHeader string `koanf:"signature_header"`
	// DeliveryIDHeader optionally carries the POS's own delivery id. Default
	// "X-Loyalhub-Delivery"; empty turns it off.
	DeliveryIDHeader string `koanf:"delivery_id_header"`
	// Auth says how requests are authenticated. Default: the preset's HMAC.
	Auth Auth `koanf:"auth"`
	// AllowIPs, when set, refuses requests from any other address: IPs or
	// CIDR prefixes, compared with the connection's remote address.
	AllowIPs []string `koanf:"allow_ips"`
	// Lookup fetches the customer of each sale from the POS's API (square
	// and loyverse presets).
	Lookup Lookup `koanf:"lookup"`
}

// Auth is how requests are authenticated.
type Auth struct {
	// Scheme is "hmac" (default), "api_key", "basic" or "none" (only with
	// allow_ips).
	Scheme string `koanf:"scheme"`
	// Secret keys the HMAC (hmac). Required for hmac, here or as secret.
	Secret string `koanf:"secret"`
	// Header carries the signature (hmac; default: the preset's) or the
	// key (api_key; default X-API-Key).
	Header string `koanf:"header"`
	// Algorithm of the HMAC: "sha256" or "sha1". Default: the preset's.
	Algorithm string `koanf:"algorithm"`
	// Encoding of the signature: "hex" or "base64". Default: the preset's.
	Encoding string `koanf:"encoding"`
	// Signed is what is signed: "body" or "url_body" (URL then body).
	// Default: the preset's.
	Signed string `koanf:"signed"`
	// URL is the exact notification URL the POS calls, signed with the
	// body under url_body. Required then; never rebuilt from the request.
	URL string `koanf:"url"`
	// Prefix is an optional prefix of the signature, such as "sha256=",
	// accepted case-insensitively. Default: "<algorithm>=" with the plain
	// preset, none otherwise.
	Prefix string `koanf:"prefix"`
	// Key is the API key (api_key), at least 16 characters.
	Key string `koanf:"key"`
	// Username and Password are the basic credentials (basic).
	Username string `koanf:"username"`
	Password string `koanf:"password"`
}

// Lookup configures the customer lookup of the square and loyverse presets.
type Lookup struct {
	// AccessToken for the POS's API (Square: an access token with
	// CUSTOMERS_READ; Loyverse: an access token with CUSTOMERS_READ). The
	// lookup is off without it.
	AccessToken string `koanf:"access_token"`
	// BaseURL of the POS's API. Default https://connect.squareup.com
	// (square) or https://api.loyverse.com (loyverse).
	BaseURL string `koanf:"base_url"`
	// RequestsPerSecond bounds the lookups of this connector. Default 5.
	RequestsPerSecond float64 `koanf:"requests_per_second"`
	// Timeout bounds one lookup request. Default 10s.
	Timeout time.Duration `koanf:"timeout"`
	// SquareVersion is the Square-Version header (square). Default
	// DefaultSquareVersion.
	SquareVersion string `koanf:"square_version"`
}

// NewConfig returns a config holding the defaults.
func NewConfig() *Config {
	return &Config{
		Preset:           PresetPlain,
		DeliveryIDHeader: DefaultDeliveryIDHeader,
		Lookup: Lookup{
			RequestsPerSecond: DefaultRequestsPerSecond,
			Timeout:           DefaultLookupTimeout,
		},
	}
}

// Validate checks the values; every problem is a config.FieldError at a key
// relative to the connector's block.
func (c *Config) Validate() error {
	_, errs := c.resolve()
	return errs.Err()
}

// LookupEnabled reports whether deliveries are enriched with the customers
// looked up from the POS's API.
func (c *Config) LookupEnabled() bool {
	return c.Lookup.AccessToken != "" && (c.Preset == PresetSquare || c.Preset == PresetLoyverse)
}

// settings is a validated config with every default applied.
type settings struct {
	preset           string
	auth             authSettings
	allow            []netip.Prefix
	deliveryIDHeader string
	lookup           lookupSettings
}

type authSettings struct {
	scheme    string
	secret    string
	header    string
	algorithm string
	encoding  string
	signed    string
	url       string
	prefix    string
	key       string
	username  string
	password  string
}

type lookupSettings struct {
	enabled       bool
	token         string
	baseURL       string
	rps           float64
	timeout       time.Duration
	squareVersion string
}

// presetHMAC is a preset's signature scheme.
type presetHMAC struct {
	header, algorithm, encoding, signed string
}

var presetHMACs = map[string]presetHMAC{
	PresetPlain:    {DefaultSignatureHeader, AlgorithmSHA256, EncodingHex, SignedBody},
	PresetSquare:   {SquareSignatureHeader, AlgorithmSHA256, EncodingBase64, SignedURLBody},
	PresetLoyverse: {LoyverseSignatureHeader, AlgorithmSHA1, EncodingBase64, SignedBody},
}

var (
	headerNamePattern = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	// visiblePattern is a header value that arrives byte for byte: no
	// control characters, and no spaces.
	visiblePattern = regexp.MustCompile(`^[!-~]+$`)
	versionPattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// resolve validates c and applies the defaults.
func (c *Config) resolve() (settings, config.Errors) {
	var errs config.Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, &config.FieldError{Path: key, Msg: fmt.Sprintf(format, args...)})
	}
	s := settings{preset: c.Preset, deliveryIDHeader: c.DeliveryIDHeader}
	switch c.Preset {
	case "":
		s.preset = PresetPlain
	case PresetPlain, PresetSquare, PresetLoyverse:
	default:
		bad("preset", "%q is not one of plain, square, loyverse", c.Preset)
		s.preset = PresetPlain
	}

	s.auth = c.resolveAuth(s.preset, bad)

	for i, v := range c.AllowIPs {
		p, err := parseAllowed(v)
		if err != nil {
			bad(fmt.Sprintf("allow_ips[%d]", i), "%q is not an IP address or CIDR prefix", v)
			continue
		}
		s.allow = append(s.allow, p)
	}
	if s.auth.scheme == SchemeNone && len(c.AllowIPs) == 0 {
		bad("allow_ips", "required with auth.scheme none: without a signature or key, only the sender's address authenticates requests")
	}

	if h := c.DeliveryIDHeader; h != "" {
		authHeader := s.auth.header
		if s.auth.scheme == SchemeBasic {
			authHeader = "Authorization"
		}
		switch {
		case !headerNamePattern.MatchString(h):
			bad("delivery_id_header", "must be a valid HTTP header name, got %q", h)
		case authHeader != "" && strings.EqualFold(h, authHeader):
			bad("delivery_id_header", "must differ from the authentication header %s", authHeader)
		}
	}

	s.lookup = c.resolveLookup(s.preset, bad)
	return s, errs
}

func (c *Config) resolveAuth(preset string, bad func(key, format string, args ...any)) authSettings {
	a := c.Auth
	as := authSettings{scheme: a.Scheme}
	switch a.Scheme {
	case "":
		as.scheme = SchemeHMAC
	case SchemeHMAC, SchemeAPIKey, SchemeBasic, SchemeNone:
	default:
		bad("auth.scheme", "%q is not one of hmac, api_key, basic, none", a.Scheme)
		return as
	}
	onlyWith := func(key, val, schemes string) {
		if val != "" {
			bad(key, "only with auth.scheme %s", schemes)
		}
	}

	if c.Secret != "" && a.Secret != "" {
		bad("secret", "set secret or auth.secret, not both (secret is the short form of auth.secret)")
	}
	if c.SignatureHeader != "" && a.Header != "" {
		bad("signature_header", "set signature_header or auth.header, not both (signature_header is the short form of auth.header)")
	}
	if as.scheme != SchemeHMAC {
		onlyWith("secret", c.Secret, "hmac: it is the short form of auth.secret")
		onlyWith("signature_header", c.SignatureHeader, "hmac: it is the short form of auth.header")
		for _, f := range []struct{ key, val string }{
			{"auth.secret", a.Secret}, {"auth.algorithm", a.Algorithm}, {"auth.encoding", a.Encoding},
			{"auth.signed", a.Signed}, {"auth.url", a.URL}, {"auth.prefix", a.Prefix},
		} {
			onlyWith(f.key, f.val, "hmac")
		}
	}
	if as.scheme != SchemeAPIKey {
		onlyWith("auth.key", a.Key, "api_key")
	}
	if as.scheme != SchemeBasic {
		onlyWith("auth.username", a.Username, "basic")
		onlyWith("auth.password", a.Password, "basic")
	}
	if as.scheme == SchemeBasic || as.scheme == SchemeNone {
		onlyWith("auth.header", a.Header, "hmac or api_key")
	}

	switch as.scheme {
	case SchemeHMAC:
		c.resolveHMAC(preset, &as, bad)
	case SchemeAPIKey:
		as.header = a.Header
		if as.header == "" {
			as.header = DefaultAPIKeyHeader
		}
		if !headerNamePattern.MatchString(as.header) {
			bad("auth.header", "must be a valid HTTP header name, got %q", as.header)
		}
		as.key = a.Key
		switch {
		case a.Key == "":
			bad("auth.key", "required with auth.scheme api_key: at least %d characters", MinAPIKey)
		case len(a.Key) < MinAPIKey:
			bad("auth.key", "must be at least %d characters, got %d", MinAPIKey, len(a.Key))
		case !visiblePattern.MatchString(a.Key):
			bad("auth.key", "must be visible ASCII characters without spaces: it travels as an HTTP header value")
		}
	case SchemeBasic:
		as.username, as.password = a.Username, a.Password
		switch {
		case a.Username == "":
			bad("auth.username", "required with auth.scheme basic")
		case strings.Contains(a.Username, ":") || hasControl(a.Username):
			bad("auth.username", "must not contain a colon or control characters")
		}
		switch {
		case a.Password == "":
			bad("auth.password", "required with auth.scheme basic")
		case hasControl(a.Password):
			bad("auth.password", "must not contain control characters")
		}
	}
	return as
}

func (c *Config) resolveHMAC(preset string, as *authSettings, bad func(key, format string, args ...any)) {
	a := c.Auth
	d := presetHMACs[preset]

	as.secret = a.Secret
	if as.secret == "" {
		as.secret = c.Secret
	}
	if strings.TrimSpace(as.secret) == "" {
		key := "auth.secret"
		if a == (Auth{}) {
			key = "secret"
		}
		bad(key, "required: %s", secretHint(preset))
	}

	as.header, as.algorithm, as.encoding, as.signed = d.header, d.algorithm, d.encoding, d.signed
	switch {
	case a.Header != "":
		as.header = a.Header
		if !headerNamePattern.MatchString(a.Header) {
			bad("auth.header", "must be a valid HTTP header name, got %q", a.Header)
		}
	case c.SignatureHeader != "":
		as.header = c.SignatureHeader
		if !headerNamePattern.MatchString(c.SignatureHeader) {
			bad("signature_header", "must be a valid HTTP header name, got %q", c.SignatureHeader)
		}
	}
	if a.Algorithm != "" {
		as.algorithm = a.Algorithm
		if a.Algorithm != AlgorithmSHA256 && a.Algorithm != AlgorithmSHA1 {
			bad("auth.algorithm", "%q is not one of sha256, sha1", a.Algorithm)
		}
	}
	if a.Encoding != "" {
		as.encoding = a.Encoding
		if a.Encoding != EncodingHex && a.Encoding != EncodingBase64 {
			bad("auth.encoding", "%q is not one of hex, base64", a.Encoding)
		}
	}
	if a.Signed != "" {
		as.signed = a.Signed
		if a.Signed != SignedBody && a.Signed != SignedURLBody {
			bad("auth.signed", "%q is not one of body, url_body", a.Signed)
		}
	}
	as.url = a.URL
	switch {
	case as.signed == SignedURLBody && a.URL == "":
		bad("auth.url", "required with signed: url_body: the exact notification URL the POS calls (Square: the subscription's notification URL)")
	case as.signed == SignedURLBody:
		if u, err := url.Parse(a.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("auth.url", "must be an absolute http or https URL, got %q", a.URL)
		}
	case a.URL != "":
		bad("auth.url", "only with signed: url_body")
	}
	as.prefix = a.Prefix
	switch {
	case a.Prefix != "" && (len(a.Prefix) > 32 || !visiblePattern.MatchString(a.Prefix)):
		bad("auth.prefix", "must be at most 32 visible ASCII characters without spaces, got %q", a.Prefix)
	case a.Prefix == "" && preset == PresetPlain:
		as.prefix = as.algorithm + "="
	}
}

func secretHint(preset string) string {
	switch preset {
	case PresetSquare:
		return "the signature key of the Square webhook subscription"
	case PresetLoyverse:
		return "the client secret of the Loyverse OAuth app that created the webhook"
	default:
		return "the key shared with the POS that signs each body"
	}
}

func (c *Config) resolveLookup(preset string, bad func(key, format string, args ...any)) lookupSettings {
	l := c.Lookup
	ls := lookupSettings{
		token: l.AccessToken, baseURL: l.BaseURL, rps: l.RequestsPerSecond,
		timeout: l.Timeout, squareVersion: l.SquareVersion,
	}
	if preset == PresetPlain {
		if l.AccessToken != "" {
			bad("lookup.access_token", "only with preset square or loyverse: the plain sale format carries the customer's phone")
		}
		if l.BaseURL != "" {
			bad("lookup.base_url", "only with preset square or loyverse")
		}
	}
	if preset != PresetSquare && l.SquareVersion != "" {
		bad("lookup.square_version", "only with preset square")
	}
	if preset == PresetPlain || l.AccessToken == "" {
		return ls
	}
	ls.enabled = true
	if !visiblePattern.MatchString(l.AccessToken) {
		bad("lookup.access_token", "must be visible ASCII characters without spaces")
	}
	if ls.baseURL == "" {
		ls.baseURL = DefaultSquareBaseURL
		if preset == PresetLoyverse {
			ls.baseURL = DefaultLoyverseBaseURL
		}
	} else if u, err := url.Parse(l.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("lookup.base_url", "must be an http or https URL, got %q", l.BaseURL)
	}
	ls.baseURL = strings.TrimRight(ls.baseURL, "/")
	if !(l.RequestsPerSecond > 0 && l.RequestsPerSecond <= 1000) {
		bad("lookup.requests_per_second", "must be a number above 0 and at most 1000, got %v", l.RequestsPerSecond)
	}
	if l.Timeout <= 0 {
		bad("lookup.timeout", "must be a positive duration, got %s", l.Timeout)
	}
	if preset == PresetSquare {
		if ls.squareVersion == "" {
			ls.squareVersion = DefaultSquareVersion
		} else if !versionPattern.MatchString(ls.squareVersion) {
			bad("lookup.square_version", "must be a Square API version such as %s, got %q", DefaultSquareVersion, l.SquareVersion)
		}
	}
	return ls
}

// parseAllowed reads an allow_ips entry: an address (a prefix of one
// address) or a CIDR prefix. IPv4-mapped IPv6 forms are read as IPv4.
func parseAllowed(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("address %q has a zone", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
