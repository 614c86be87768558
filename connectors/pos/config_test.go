package pos_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/configtest"
	"github.com/loyalhub/loyalhub/connectors/pos"
)

const (
	squareKey = "Ibxx_5AKakO-3qeNVR61Dw"
	squareURL = "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9"
	apiKey    = "k3y-0123456789abcdef"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *pos.Config)
		// want lists the expected errors, each "key.path: the start of
		// its message", in order.
		want []string
	}{
		{name: "short form", mutate: func(c *pos.Config) { c.Secret = secret }},
		{name: "short form with its headers", mutate: func(c *pos.Config) {
			c.Secret, c.SignatureHeader, c.DeliveryIDHeader = secret, "X-Till-Signature", "X-Till-Event"
		}},
		{name: "no delivery header", mutate: func(c *pos.Config) { c.Secret = secret; c.DeliveryIDHeader = "" }},
		{name: "empty signature header takes the default", mutate: func(c *pos.Config) { c.Secret = secret; c.SignatureHeader = "" }},
		{name: "empty preset is plain", mutate: func(c *pos.Config) { c.Secret = secret; c.Preset = "" }},
		{name: "missing secret", mutate: func(c *pos.Config) {}, want: []string{"secret: required"}},
		{name: "blank secret", mutate: func(c *pos.Config) { c.Secret = "  " }, want: []string{"secret: required"}},
		{name: "missing secret in an auth block", mutate: func(c *pos.Config) { c.Auth.Algorithm = "sha1" },
			want: []string{"auth.secret: required"}},
		{
			name:   "bad header names",
			mutate: func(c *pos.Config) { c.SignatureHeader = "X Sig"; c.DeliveryIDHeader = "X:Id" },
			want: []string{"secret: required", "signature_header: must be a valid HTTP header name",
				"delivery_id_header: must be a valid HTTP header name"},
		},
		{
			name:   "delivery header is the signature header",
			mutate: func(c *pos.Config) { c.Secret = secret; c.DeliveryIDHeader = "x-loyalhub-signature" },
			want:   []string{"delivery_id_header: must differ from the authentication header X-Loyalhub-Signature"},
		},
		{
			name: "delivery header is the basic Authorization header",
			mutate: func(c *pos.Config) {
				c.Auth = pos.Auth{Scheme: "basic", Username: "till", Password: "pw"}
				c.DeliveryIDHeader = "authorization"
			},
			want: []string{"delivery_id_header: must differ from the authentication header Authorization"},
		},
		{name: "unknown preset", mutate: func(c *pos.Config) { c.Secret = secret; c.Preset = "toast" },
			want: []string{`preset: "toast" is not one of plain, square, loyverse`}},
		{name: "unknown scheme", mutate: func(c *pos.Config) { c.Auth.Scheme = "oauth" },
			want: []string{`auth.scheme: "oauth" is not one of hmac, api_key, basic, none`}},
		{name: "both secrets", mutate: func(c *pos.Config) { c.Secret = secret; c.Auth.Secret = secret },
			want: []string{"secret: set secret or auth.secret, not both"}},
		{name: "both headers", mutate: func(c *pos.Config) { c.Secret = secret; c.SignatureHeader = "X-A"; c.Auth.Header = "X-B" },
			want: []string{"signature_header: set signature_header or auth.header, not both"}},
		{name: "hmac sha1 base64", mutate: func(c *pos.Config) {
			c.Auth = pos.Auth{Secret: secret, Algorithm: "sha1", Encoding: "base64", Header: "X-Sig", Prefix: "v1="}
		}},
		{name: "bad algorithm encoding and signed", mutate: func(c *pos.Config) {
			c.Auth = pos.Auth{Secret: secret, Algorithm: "md5", Encoding: "base32", Signed: "headers"}
		}, want: []string{`auth.algorithm: "md5" is not one of sha256, sha1`, `auth.encoding: "base32" is not one of hex, base64`,
			`auth.signed: "headers" is not one of body, url_body`}},
		{name: "url_body without url", mutate: func(c *pos.Config) { c.Auth = pos.Auth{Secret: secret, Signed: "url_body"} },
			want: []string{"auth.url: required with signed: url_body"}},
		{name: "url_body with a relative url", mutate: func(c *pos.Config) {
			c.Auth = pos.Auth{Secret: secret, Signed: "url_body", URL: "/hooks/acme/pos"}
		}, want: []string{`auth.url: must be an absolute http or https URL, got "/hooks/acme/pos"`}},
		{name: "url without url_body", mutate: func(c *pos.Config) { c.Auth = pos.Auth{Secret: secret, URL: squareURL} },
			want: []string{"auth.url: only with signed: url_body"}},
		{name: "prefix with a space", mutate: func(c *pos.Config) { c.Auth = pos.Auth{Secret: secret, Prefix: "sha256 ="} },
			want: []string{"auth.prefix: must be at most 32 visible ASCII characters"}},
		{name: "api key", mutate: func(c *pos.Config) { c.Auth = pos.Auth{Scheme: "api_key", Key: apiKey} }},
		{name: "api key in Authorization", mutate: func(c *pos.Config) {
			c.Auth = pos.Auth{Scheme: "api_key", Key: apiKey, Header: "Authorization"}
		}},
		{name: "api key missing", mutate: func(c *pos.Config) { c.Auth = pos.Auth{Scheme: "api_key"} },
			want: []string{"auth.key: required with auth.scheme api_key"}},
		{name: "api key short", mutate: func(c *pos.Config) { c.Auth = pos.Auth{Scheme: "api_key", Key: "short-key"} },
			want: []string{"auth.key: must be at least 16 characters, got 9"}},
		{name: "api key with a space", mutate: func(c *pos.Config) { c.Auth = pos.Auth{Scheme: "api_key", Key: "a long enough key value"} },
			want: []string{"auth.key: must be visible ASCII characters without spaces"}},
		{name: "api key with hmac keys", mutate: func(c *pos.Config) {
			c.Secret = secret
			c.Auth = pos.Auth{Scheme: "api_key", Key: apiKey, Algorithm: "sha1", Username: "till"}
		}, want: []string{"secret: only with auth.scheme hmac", "auth.algorithm: only with auth.scheme hmac",
			"auth.username: only with auth.scheme basic"}},
		{name: "basic", mutate: func(c *pos.Config) { c.Auth = pos.Auth{Scheme: "basic", Username: "till-7", Password: "s3cret pw"} }},
		{name: "basic without credentials", mutate: func(c *pos.Config) { c.Auth = pos.Auth{Scheme: "basic"} },
			want: []string{"auth.username: required with auth.scheme basic", "auth.password: required with auth.scheme basic"}},
		{name: "basic username with a colon", mutate: func(c *pos.Config) {
			c.Auth = pos.Auth{Scheme: "basic", Username: "till:7", Password: "pw", Key: apiKey, Header: "X-User"}
		}, want: []string{"auth.key: only with auth.scheme api_key", "auth.header: only with auth.scheme hmac or api_key",
			"auth.username: must not contain a colon"}},
		{name: "none with allow_ips", mutate: func(c *pos.Config) {
			c.Auth.Scheme = "none"
			c.AllowIPs = []string{"203.0.113.0/24", "2001:db8::/32", "198.51.100.7", "::1"}
		}},
		{name: "none without allow_ips", mutate: func(c *pos.Config) { c.Auth.Scheme = "none" },
			want: []string{"allow_ips: required with auth.scheme none"}},
		{name: "bad allow_ips", mutate: func(c *pos.Config) {
			c.Secret = secret
			c.AllowIPs = []string{"203.0.113.0/24", "example.com", "10.0.0.0/33", "fe80::1%eth0"}
		}, want: []string{`allow_ips[1]: "example.com" is not an IP address or CIDR prefix`, `allow_ips[2]: "10.0.0.0/33"`,
			`allow_ips[3]: "fe80::1%eth0"`}},
		{name: "square", mutate: func(c *pos.Config) { c.Preset = "square"; c.Secret = squareKey; c.Auth.URL = squareURL }},
		{name: "square short form without url", mutate: func(c *pos.Config) { c.Preset = "square"; c.Secret = squareKey },
			want: []string{"auth.url: required with signed: url_body"}},
		{name: "square without key", mutate: func(c *pos.Config) { c.Preset = "square"; c.Auth.URL = squareURL },
			want: []string{"auth.secret: required: the signature key of the Square webhook subscription"}},
		{name: "square with lookup", mutate: func(c *pos.Config) {
			c.Preset = "square"
			c.Auth = pos.Auth{Secret: squareKey, URL: squareURL}
			c.Lookup.AccessToken = "EAAAl-token"
			c.Lookup.SquareVersion = "2025-10-16"
		}},
		{name: "loyverse", mutate: func(c *pos.Config) { c.Preset = "loyverse"; c.Secret = "client-secret" }},
		{name: "loyverse with lookup", mutate: func(c *pos.Config) {
			c.Preset = "loyverse"
			c.Secret = "client-secret"
			c.Lookup = pos.Lookup{AccessToken: "pat-token", BaseURL: "http://127.0.0.1:9/", RequestsPerSecond: 2.5, Timeout: time.Second}
		}},
		{name: "loyverse personal token webhook", mutate: func(c *pos.Config) {
			c.Preset = "loyverse"
			c.Auth.Scheme = "none"
			c.AllowIPs = []string{"203.0.113.10"}
		}},
		{name: "lookup with the plain preset", mutate: func(c *pos.Config) {
			c.Secret = secret
			c.Lookup.AccessToken = "token"
			c.Lookup.BaseURL = "https://api.example.com"
			c.Lookup.SquareVersion = "2025-10-16"
		}, want: []string{"lookup.access_token: only with preset square or loyverse", "lookup.base_url: only with preset square or loyverse",
			"lookup.square_version: only with preset square"}},
		{name: "bad lookup", mutate: func(c *pos.Config) {
			c.Preset = "square"
			c.Auth = pos.Auth{Secret: squareKey, URL: squareURL}
			c.Lookup = pos.Lookup{AccessToken: "a token", BaseURL: "ftp://connect.squareup.com", RequestsPerSecond: 0, Timeout: -time.Second, SquareVersion: "latest"}
		}, want: []string{"lookup.access_token: must be visible ASCII", `lookup.base_url: must be an http or https URL, got "ftp://connect.squareup.com"`,
			"lookup.requests_per_second: must be a number above 0 and at most 1000, got 0", "lookup.timeout: must be a positive duration",
			`lookup.square_version: must be a Square API version such as 2026-07-15, got "latest"`}},
		{name: "lookup settings without a token are not checked", mutate: func(c *pos.Config) {
			c.Preset = "loyverse"
			c.Secret = "client-secret"
			c.Lookup.RequestsPerSecond = 0
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := pos.NewConfig()
			tt.mutate(c)
			err := c.Validate()
			var got []string
			for _, fe := range configtest.FieldErrors(t, err) {
				got = append(got, fe.Error())
			}
			require.Len(t, got, len(tt.want), "errors: %v", got)
			for i, w := range tt.want {
				assert.True(t, strings.HasPrefix(got[i], w), "error %d: %q does not start with %q", i, got[i], w)
			}
			_, nerr := pos.NewSource(c)
			if len(tt.want) == 0 {
				require.NoError(t, nerr)
			} else {
				require.Error(t, nerr, "NewSource validates too")
			}
		})
	}
}

func TestNewConfig(t *testing.T) {
	assert.Equal(t, &pos.Config{
		Preset:           "plain",
		DeliveryIDHeader: "X-Loyalhub-Delivery",
		Lookup:           pos.Lookup{RequestsPerSecond: 5, Timeout: 10 * time.Second},
	}, pos.NewConfig())
}

func TestMappingOf(t *testing.T) {
	spec := pos.Spec()
	require.NotNil(t, spec.MappingOf)
	for preset, want := range map[string]string{"": "pos_webhook", "plain": "pos_webhook", "square": "square", "loyverse": "loyverse"} {
		c := pos.NewConfig()
		c.Preset = preset
		assert.Equal(t, want, spec.MappingOf(c), "preset %q", preset)
		assert.Equal(t, want, pos.MappingOf(c), "preset %q", preset)
	}
	assert.Equal(t, "pos_webhook", spec.MappingOf(otherConfig{}))
	assert.Equal(t, "pos_webhook", pos.MappingOf(nil))
}

func TestReferenceDocumentsEveryKey(t *testing.T) {
	keys := configtest.Keys(reflect.TypeFor[pos.Config]())
	require.Contains(t, keys, "lookup.requests_per_second", "nested blocks are walked")
	require.Contains(t, keys, "allow_ips")
	configtest.RequireDocumented(t, "../../docs/connectors/pos_webhook.md", "", reflect.TypeFor[pos.Config]())
}
