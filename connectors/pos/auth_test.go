package pos_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/pos"
	"github.com/loyalhub/loyalhub/connectors/sourcetest"
)

// squareBody is the notification of Square's signature test vector
// (square-python-sdk, tests/integration/test_webhooks_helper.py).
const squareBody = `{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}`

const squareSignature = "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4="

// squareOther is another notification, with another event_id.
const squareOther = `{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"0d4c9f3e-6b1a-4f2d-8e7c-5a9b3c1d2e4f","created_at":"2022-07-13T20:31:12.118204513Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}`

var loyverseBody = []byte(`{"merchant_id":"4c0d6a2e-8f3b-4b7d-9e1a-5f2c8d7b6a30","type":"receipts.update","created_at":"2026-11-23T07:48:06.000Z","receipts":[{"receipt_number":"2-7340","receipt_type":"SALE","refund_for":null,"receipt_date":"2026-11-23T07:48:00.000Z","cancelled_at":null,"total_money":185.00,"customer_id":"e3b6a7c1-52d4-4f0e-9a8b-1c2d3e4f5a6b","store_id":"6b365a0c-a2a8-4774-8904-06cedede22e6","line_items":[]}]}`)

func mac(newHash func() hash.Hash, key string, parts ...[]byte) []byte {
	m := hmac.New(newHash, []byte(key))
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func squareConfig() *pos.Config {
	c := pos.NewConfig()
	c.Preset = pos.PresetSquare
	c.Auth = pos.Auth{Secret: squareKey, URL: squareURL}
	return c
}

func loyverseConfig() *pos.Config {
	c := pos.NewConfig()
	c.Preset = pos.PresetLoyverse
	c.Secret = "lv-client-secret-9d2a"
	return c
}

func signSquare(r *http.Request, body []byte) {
	r.Header.Set("X-Square-HmacSha256-Signature", b64(mac(sha256.New, squareKey, []byte(squareURL), body)))
}

func signLoyverse(r *http.Request, body []byte) {
	r.Header.Set("X-Loyverse-Signature", b64(mac(sha1.New, "lv-client-secret-9d2a", body)))
}

func TestConformanceSchemesAndPresets(t *testing.T) {
	apiKeyCfg := pos.NewConfig()
	apiKeyCfg.Auth = pos.Auth{Scheme: "api_key", Key: apiKey}

	bearerCfg := pos.NewConfig()
	bearerCfg.Auth = pos.Auth{Scheme: "api_key", Key: apiKey, Header: "Authorization"}

	basicCfg := pos.NewConfig()
	basicCfg.Auth = pos.Auth{Scheme: "basic", Username: "till-7", Password: "c0rrect horse"}

	noneCfg := pos.NewConfig()
	noneCfg.Auth.Scheme = "none"
	noneCfg.AllowIPs = []string{"203.0.113.0/24", "2001:db8:7::/48"}

	hmacAndIPs := pos.NewConfig()
	hmacAndIPs.Secret = secret
	hmacAndIPs.AllowIPs = []string{"198.51.100.7"}

	sha1Cfg := pos.NewConfig()
	sha1Cfg.Auth = pos.Auth{Secret: secret, Algorithm: "sha1", Encoding: "base64", Header: "X-Till-Signature", Prefix: "v1="}

	urlBodyCfg := pos.NewConfig()
	urlBodyCfg.Auth = pos.Auth{Secret: secret, Signed: "url_body", URL: "https://loyalhub.example.com/hooks/acme/pos"}

	tests := []struct {
		name       string
		cfg        *pos.Config
		sign       func(r *http.Request, body []byte)
		wrongSign  func(r *http.Request, body []byte)
		body       []byte
		other      []byte
		senderOnly bool
	}{
		{
			name: "square preset", cfg: squareConfig(), sign: signSquare,
			body: []byte(squareBody), other: []byte(squareOther),
		},
		{name: "loyverse preset", cfg: loyverseConfig(), sign: signLoyverse, body: loyverseBody},
		{
			name: "hmac sha1 base64 with a prefix", cfg: sha1Cfg, body: sampleSale,
			sign: func(r *http.Request, body []byte) {
				r.Header.Set("X-Till-Signature", "v1="+b64(mac(sha1.New, secret, body)))
			},
		},
		{
			name: "hmac over url and body", cfg: urlBodyCfg, body: sampleSale,
			sign: func(r *http.Request, body []byte) {
				r.Header.Set(pos.DefaultSignatureHeader,
					hex.EncodeToString(mac(sha256.New, secret, []byte("https://loyalhub.example.com/hooks/acme/pos"), body)))
			},
		},
		{
			name: "hmac from an allowed address", cfg: hmacAndIPs, body: sampleSale,
			sign: func(r *http.Request, body []byte) {
				r.RemoteAddr = "198.51.100.7:40312"
				r.Header.Set(pos.DefaultSignatureHeader, pos.Sign(secret, body))
			},
		},
		{
			name: "api key", cfg: apiKeyCfg, body: sampleSale, senderOnly: true,
			sign: func(r *http.Request, body []byte) { r.Header.Set("X-API-Key", apiKey) },
		},
		{
			name: "api key as a bearer token", cfg: bearerCfg, body: sampleSale, senderOnly: true,
			sign: func(r *http.Request, body []byte) { r.Header.Set("Authorization", "Bearer "+apiKey) },
		},
		{
			name: "basic", cfg: basicCfg, body: sampleSale, senderOnly: true,
			sign: func(r *http.Request, body []byte) { r.SetBasicAuth("till-7", "c0rrect horse") },
		},
		{
			name: "none from an allowed network", cfg: noneCfg, body: sampleSale, senderOnly: true,
			sign:      func(r *http.Request, body []byte) { r.RemoteAddr = "[2001:db8:7::15]:52100" },
			wrongSign: func(r *http.Request, body []byte) { r.RemoteAddr = "[2001:db8:8::15]:52100" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sourcetest.Run(t, sourcetest.Harness{
				Source:     newSource(t, tt.cfg),
				Sign:       tt.sign,
				WrongSign:  tt.wrongSign,
				Body:       tt.body,
				Other:      tt.other,
				SenderOnly: tt.senderOnly,
			})
		})
	}
}

func TestSquareSignatureVector(t *testing.T) {
	// The vector itself, computed independently of the source.
	require.Equal(t, squareSignature, b64(mac(sha256.New, squareKey, []byte(squareURL), []byte(squareBody))))

	src := newSource(t, squareConfig())
	accept := func(sig, body string) (connectors.Delivery, error) {
		r := httptest.NewRequest(http.MethodPost, "/hooks/acme/square", strings.NewReader(body))
		r.Header.Set("x-square-hmacsha256-signature", sig)
		return src.Accept(r, []byte(body))
	}
	d, err := accept(squareSignature, squareBody)
	require.NoError(t, err)
	assert.Equal(t, "ac3ac95b-f97d-458c-a6e6-18981597e05f", d.ID, "the event_id names the delivery")

	// The negative cases of Square's own helper tests.
	tests := []struct {
		name, cfgURL, cfgKey, sig, body string
	}{
		{name: "another notification URL", cfgURL: "https://webhook.site/79a4f3a-dcfa-49ee-bac5-9d0edad886b9", sig: squareSignature, body: squareBody},
		{name: "another signature key", cfgKey: "MCmhFRxGX82xMwg5FsaoQA", sig: squareSignature, body: squareBody},
		{name: "another body", sig: squareSignature, body: strings.Replace(squareBody, "MLEFBHHSJGVHD", "MLEFBHHSJGVHE", 1)},
		{name: "a signature of the body without the URL", sig: b64(mac(sha256.New, squareKey, []byte(squareBody))), body: squareBody},
		{name: "empty signature", sig: "", body: squareBody},
		{name: "hex signature", sig: hex.EncodeToString(mac(sha256.New, squareKey, []byte(squareURL), []byte(squareBody))), body: squareBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := squareConfig()
			if tt.cfgURL != "" {
				cfg.Auth.URL = tt.cfgURL
			}
			if tt.cfgKey != "" {
				cfg.Auth.Secret = tt.cfgKey
			}
			r := httptest.NewRequest(http.MethodPost, "/hooks/acme/square", strings.NewReader(tt.body))
			r.Header.Set("X-Square-Hmacsha256-Signature", tt.sig)
			_, err := newSource(t, cfg).Accept(r, []byte(tt.body))
			require.ErrorIs(t, err, connectors.ErrUnauthorized)
			assert.NotContains(t, err.Error(), squareKey)
		})
	}
}

func TestAcceptSchemes(t *testing.T) {
	body := sampleSale
	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])
	sha1Sig := mac(sha1.New, secret, body)
	sha256Sig := mac(sha256.New, secret, body)

	hmacCfg := func(a pos.Auth) *pos.Config {
		c := pos.NewConfig()
		a.Secret = secret
		c.Auth = a
		return c
	}
	withIPs := func(c *pos.Config, ips ...string) *pos.Config {
		c.AllowIPs = ips
		return c
	}
	apiKeyCfg := func(header string) *pos.Config {
		c := pos.NewConfig()
		c.Auth = pos.Auth{Scheme: "api_key", Key: apiKey, Header: header}
		return c
	}
	basicCfg := pos.NewConfig()
	basicCfg.Auth = pos.Auth{Scheme: "basic", Username: "till-7", Password: "c0rrect horse"}
	noneCfg := func(ips ...string) *pos.Config {
		c := pos.NewConfig()
		c.Auth.Scheme = "none"
		c.AllowIPs = ips
		return c
	}
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}

	tests := []struct {
		name    string
		cfg     *pos.Config
		remote  string // default 192.0.2.1:1234
		headers map[string]string
		wantErr string // when set, the error wraps ErrUnauthorized and contains it
	}{
		// hmac: algorithm, encoding, prefix
		{name: "sha1 base64", cfg: hmacCfg(pos.Auth{Algorithm: "sha1", Encoding: "base64"}),
			headers: map[string]string{"X-Loyalhub-Signature": b64(sha1Sig)}},
		{name: "sha1 base64 unpadded", cfg: hmacCfg(pos.Auth{Algorithm: "sha1", Encoding: "base64"}),
			headers: map[string]string{"X-Loyalhub-Signature": strings.TrimRight(b64(sha1Sig), "=")}},
		{name: "sha256 base64 url alphabet", cfg: hmacCfg(pos.Auth{Encoding: "base64"}),
			headers: map[string]string{"X-Loyalhub-Signature": base64.URLEncoding.EncodeToString(sha256Sig)}},
		{name: "sha1 prefix by default with the plain preset", cfg: hmacCfg(pos.Auth{Algorithm: "sha1"}),
			headers: map[string]string{"X-Loyalhub-Signature": "SHA1=" + hex.EncodeToString(sha1Sig)}},
		{name: "sha1 hex is not sha256", cfg: hmacCfg(pos.Auth{}),
			headers: map[string]string{"X-Loyalhub-Signature": hex.EncodeToString(sha1Sig)}, wantErr: "is not a hex HMAC-SHA256"},
		{name: "sha256 under sha1", cfg: hmacCfg(pos.Auth{Algorithm: "sha1", Encoding: "base64"}),
			headers: map[string]string{"X-Loyalhub-Signature": b64(sha256Sig)}, wantErr: "is not a base64 HMAC-SHA1"},
		{name: "configured prefix, any case", cfg: hmacCfg(pos.Auth{Prefix: "v1,"}),
			headers: map[string]string{"X-Loyalhub-Signature": "V1," + hex.EncodeToString(sha256Sig)}},
		{name: "configured prefix is optional", cfg: hmacCfg(pos.Auth{Prefix: "v1,"}),
			headers: map[string]string{"X-Loyalhub-Signature": hex.EncodeToString(sha256Sig)}},
		{name: "configured prefix replaces the default one", cfg: hmacCfg(pos.Auth{Prefix: "v1,"}),
			headers: map[string]string{"X-Loyalhub-Signature": "sha256=" + hex.EncodeToString(sha256Sig)}, wantErr: "is not a hex HMAC-SHA256"},
		{name: "not base64", cfg: hmacCfg(pos.Auth{Encoding: "base64"}),
			headers: map[string]string{"X-Loyalhub-Signature": "not*base64!"}, wantErr: "is not a base64 HMAC-SHA256"},
		{name: "url_body needs the url", cfg: hmacCfg(pos.Auth{Signed: "url_body", URL: "https://loyalhub.example.com/hooks/acme/pos"}),
			headers: map[string]string{"X-Loyalhub-Signature": hex.EncodeToString(sha256Sig)}, wantErr: "signature mismatch"},
		{name: "url_body signed", cfg: hmacCfg(pos.Auth{Signed: "url_body", URL: "https://loyalhub.example.com/hooks/acme/pos"}),
			headers: map[string]string{"X-Loyalhub-Signature": hex.EncodeToString(
				mac(sha256.New, secret, []byte("https://loyalhub.example.com/hooks/acme/pos"), body))}},
		{name: "url_body does not use the request URL", cfg: hmacCfg(pos.Auth{Signed: "url_body", URL: "https://loyalhub.example.com/hooks/acme/pos"}),
			headers: map[string]string{"X-Loyalhub-Signature": hex.EncodeToString(
				mac(sha256.New, secret, []byte("http://example.com/webhooks/acme/pos"), body))}, wantErr: "signature mismatch"},

		// api_key
		{name: "api key", cfg: apiKeyCfg(""), headers: map[string]string{"X-API-Key": apiKey}},
		{name: "api key, spaces around", cfg: apiKeyCfg(""), headers: map[string]string{"x-api-key": " " + apiKey + " "}},
		{name: "api key missing", cfg: apiKeyCfg(""), headers: map[string]string{"X-Api-Token": apiKey}, wantErr: "missing X-API-Key header"},
		{name: "api key wrong", cfg: apiKeyCfg(""), headers: map[string]string{"X-API-Key": apiKey + "x"}, wantErr: "key mismatch"},
		{name: "api key prefix only", cfg: apiKeyCfg(""), headers: map[string]string{"X-API-Key": apiKey[:8]}, wantErr: "key mismatch"},
		{name: "bearer key", cfg: apiKeyCfg("Authorization"), headers: map[string]string{"Authorization": "Bearer " + apiKey}},
		{name: "bearer scheme in any case", cfg: apiKeyCfg("Authorization"), headers: map[string]string{"Authorization": "bearer " + apiKey}},
		{name: "bare key in Authorization", cfg: apiKeyCfg("Authorization"), headers: map[string]string{"Authorization": apiKey}},
		{name: "bearer without a key", cfg: apiKeyCfg("Authorization"), headers: map[string]string{"Authorization": "Bearer "}, wantErr: "key mismatch"},
		{name: "Bearer is not stripped from another header", cfg: apiKeyCfg(""),
			headers: map[string]string{"X-API-Key": "Bearer " + apiKey}, wantErr: "key mismatch"},

		// basic
		{name: "basic", cfg: basicCfg, headers: map[string]string{"Authorization": basic("till-7", "c0rrect horse")}},
		{name: "basic wrong password", cfg: basicCfg, headers: map[string]string{"Authorization": basic("till-7", "c0rrect horse!")},
			wantErr: "credentials mismatch"},
		{name: "basic wrong user", cfg: basicCfg, headers: map[string]string{"Authorization": basic("till-8", "c0rrect horse")},
			wantErr: "credentials mismatch"},
		{name: "basic missing", cfg: basicCfg, headers: map[string]string{}, wantErr: "missing basic Authorization header"},
		{name: "bearer instead of basic", cfg: basicCfg, headers: map[string]string{"Authorization": "Bearer " + apiKey},
			wantErr: "missing basic Authorization header"},

		// allow_ips
		{name: "ipv4 in a cidr", cfg: noneCfg("203.0.113.0/24"), remote: "203.0.113.77:5000"},
		{name: "ipv4 outside a cidr", cfg: noneCfg("203.0.113.0/24"), remote: "203.0.114.77:5000", wantErr: "203.0.114.77 is not in allow_ips"},
		{name: "single ipv4", cfg: noneCfg("198.51.100.7"), remote: "198.51.100.7:443"},
		{name: "neighbour of a single ipv4", cfg: noneCfg("198.51.100.7"), remote: "198.51.100.8:443", wantErr: "is not in allow_ips"},
		{name: "ipv4-mapped ipv6 remote", cfg: noneCfg("203.0.113.0/24"), remote: "[::ffff:203.0.113.9]:5000"},
		{name: "ipv4-mapped allow entry", cfg: noneCfg("::ffff:203.0.113.0/120"), remote: "203.0.113.9:5000"},
		{name: "ipv6 in a cidr", cfg: noneCfg("2001:db8:7::/48"), remote: "[2001:db8:7:1::9]:5000"},
		{name: "ipv6 outside a cidr", cfg: noneCfg("2001:db8:7::/48"), remote: "[2001:db8:8::9]:5000", wantErr: "2001:db8:8::9 is not in allow_ips"},
		{name: "ipv6 loopback", cfg: noneCfg("::1"), remote: "[::1]:5000"},
		{name: "ipv6 with a zone", cfg: noneCfg("fe80::/10"), remote: "[fe80::1%eth0]:5000"},
		{name: "ipv4 does not match an ipv6 cidr", cfg: noneCfg("::/0"), remote: "203.0.113.9:5000", wantErr: "is not in allow_ips"},
		{name: "remote without a port", cfg: noneCfg("203.0.113.0/24"), remote: "203.0.113.9"},
		{name: "remote not an ip", cfg: noneCfg("0.0.0.0/0"), remote: "pipe", wantErr: `remote address "pipe" is not an IP address`},
		{name: "allowed address, bad signature", cfg: withIPs(hmacCfg(pos.Auth{}), "203.0.113.0/24"), remote: "203.0.113.9:5000",
			headers: map[string]string{"X-Loyalhub-Signature": pos.Sign("other", body)}, wantErr: "signature mismatch"},
		{name: "good signature, refused address", cfg: withIPs(hmacCfg(pos.Auth{}), "203.0.113.0/24"), remote: "192.0.2.1:5000",
			headers: map[string]string{"X-Loyalhub-Signature": pos.Sign(secret, body)}, wantErr: "192.0.2.1 is not in allow_ips"},
		{name: "good signature, allowed address", cfg: withIPs(hmacCfg(pos.Auth{}), "203.0.113.0/24", "192.0.2.0/28"), remote: "192.0.2.1:5000",
			headers: map[string]string{"X-Loyalhub-Signature": pos.Sign(secret, body)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/hooks/acme/pos", strings.NewReader(string(body)))
			if tt.remote != "" {
				r.RemoteAddr = tt.remote
			}
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			d, err := newSource(t, tt.cfg).Accept(r, body)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, connectors.ErrUnauthorized)
				assert.Contains(t, err.Error(), tt.wantErr)
				for _, s := range []string{secret, apiKey, "c0rrect horse"} {
					assert.NotContains(t, err.Error(), s)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, bodyHash, d.ID)
		})
	}
}

func TestDeliveryID(t *testing.T) {
	sum := func(b string) string {
		s := sha256.Sum256([]byte(b))
		return hex.EncodeToString(s[:])
	}
	long := strings.Repeat("e", 129)
	tests := []struct {
		name   string
		cfg    *pos.Config
		sign   func(r *http.Request, body []byte)
		body   string
		header string // X-Loyalhub-Delivery
		want   string
	}{
		{name: "square event_id", cfg: squareConfig(), sign: signSquare, body: squareBody,
			want: "ac3ac95b-f97d-458c-a6e6-18981597e05f"},
		{name: "square event_id wins over the delivery header", cfg: squareConfig(), sign: signSquare, body: squareBody,
			header: "relay-1", want: "ac3ac95b-f97d-458c-a6e6-18981597e05f"},
		{name: "square event_id with escapes", cfg: squareConfig(), sign: signSquare,
			body: `{"type":"payment.updated","event_id":"a\u002fb"}`, want: "a/b"},
		{name: "square overlong event_id is hashed", cfg: squareConfig(), sign: signSquare,
			body: fmt.Sprintf(`{"event_id":%q}`, long), want: "h:" + sum(long)},
		{name: "square without event_id", cfg: squareConfig(), sign: signSquare, body: `{"type":"payment.updated"}`,
			want: sum(`{"type":"payment.updated"}`)},
		{name: "square event_id not a string", cfg: squareConfig(), sign: signSquare, body: `{"event_id":42}`,
			want: sum(`{"event_id":42}`)},
		{name: "square event_id only at the top", cfg: squareConfig(), sign: signSquare, body: `{"data":{"event_id":"x"}}`,
			want: sum(`{"data":{"event_id":"x"}}`)},
		{name: "square not json, delivery header", cfg: squareConfig(), sign: signSquare, body: `not json`,
			header: "relay-1", want: "relay-1/" + sum(`not json`)},
		{name: "loyverse body hash", cfg: loyverseConfig(), sign: signLoyverse, body: string(loyverseBody),
			want: sum(string(loyverseBody))},
		{name: "plain ignores event_id", cfg: defaultConfig(), body: squareBody,
			sign: func(r *http.Request, body []byte) { r.Header.Set(pos.DefaultSignatureHeader, pos.Sign(secret, body)) },
			want: sum(squareBody)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/hooks/acme/pos", strings.NewReader(tt.body))
			tt.sign(r, []byte(tt.body))
			if tt.header != "" {
				r.Header.Set(pos.DefaultDeliveryIDHeader, tt.header)
			}
			d, err := newSource(t, tt.cfg).Accept(r, []byte(tt.body))
			require.NoError(t, err)
			assert.Equal(t, tt.want, d.ID)
			assert.Empty(t, d.Topic)
		})
	}
}
