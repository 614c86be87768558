package pos

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPresetDefaults(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		auth   authSettings
		lookup lookupSettings
	}{
		{
			name:   "plain",
			mutate: func(c *Config) { c.Secret = "s3cret" },
			auth: authSettings{scheme: "hmac", secret: "s3cret", header: "X-Loyalhub-Signature", algorithm: "sha256",
				encoding: "hex", signed: "body", prefix: "sha256="},
			lookup: lookupSettings{rps: 5, timeout: 10 * time.Second},
		},
		{
			name:   "plain with sha1 keeps a matching prefix",
			mutate: func(c *Config) { c.Auth = Auth{Secret: "s3cret", Algorithm: "sha1"} },
			auth: authSettings{scheme: "hmac", secret: "s3cret", header: "X-Loyalhub-Signature", algorithm: "sha1",
				encoding: "hex", signed: "body", prefix: "sha1="},
			lookup: lookupSettings{rps: 5, timeout: 10 * time.Second},
		},
		{
			name: "square",
			mutate: func(c *Config) {
				c.Preset = "square"
				c.Secret = "key"
				c.Auth.URL = "https://example.com/hooks/acme/square"
				c.Lookup.AccessToken = "token"
			},
			auth: authSettings{scheme: "hmac", secret: "key", header: "x-square-hmacsha256-signature", algorithm: "sha256",
				encoding: "base64", signed: "url_body", url: "https://example.com/hooks/acme/square"},
			lookup: lookupSettings{enabled: true, token: "token", baseURL: "https://connect.squareup.com", rps: 5,
				timeout: 10 * time.Second, squareVersion: DefaultSquareVersion},
		},
		{
			name: "loyverse",
			mutate: func(c *Config) {
				c.Preset = "loyverse"
				c.Secret = "client-secret"
				c.Lookup.AccessToken = "token"
				c.Lookup.BaseURL = "http://127.0.0.1:8080/"
			},
			auth: authSettings{scheme: "hmac", secret: "client-secret", header: "X-Loyverse-Signature", algorithm: "sha1",
				encoding: "base64", signed: "body"},
			lookup: lookupSettings{enabled: true, token: "token", baseURL: "http://127.0.0.1:8080", rps: 5, timeout: 10 * time.Second},
		},
		{
			name: "square preset overridden",
			mutate: func(c *Config) {
				c.Preset = "square"
				c.Auth = Auth{Secret: "key", Signed: "body", Encoding: "hex", Header: "X-Relay-Signature", Prefix: "v1="}
			},
			auth: authSettings{scheme: "hmac", secret: "key", header: "X-Relay-Signature", algorithm: "sha256",
				encoding: "hex", signed: "body", prefix: "v1="},
			lookup: lookupSettings{rps: 5, timeout: 10 * time.Second},
		},
		{
			name:   "api key under a preset takes the scheme's header",
			mutate: func(c *Config) { c.Preset = "loyverse"; c.Auth = Auth{Scheme: "api_key", Key: "0123456789abcdef"} },
			auth:   authSettings{scheme: "api_key", header: "X-API-Key", key: "0123456789abcdef"},
			lookup: lookupSettings{rps: 5, timeout: 10 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConfig()
			tt.mutate(c)
			s, errs := c.resolve()
			require.NoError(t, errs.Err())
			assert.Equal(t, tt.auth, s.auth)
			assert.Equal(t, tt.lookup, s.lookup)
		})
	}
}
