package hubspot

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/sourcetest"
)

// The vectors of HubSpot's SDKs: hubspot-api-nodejs test/unit/signature.spec.ts
// and hubspot-api-python tests/spec/utils/test_signature.py.
const (
	vectorURL          = "https://www.example.com/webhook_uri"
	vectorBatch        = `[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]`
	vectorExample      = `{"example_field":"example_value"}`
	vectorSingleQuoted = `{'example_field':'example_value'}`
	vectorTimestamp    = "15000000"
)

func TestSignVectors(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"v1 contact.creation batch (node)", SignV1(testSecret, []byte(vectorBatch)),
			"232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"},
		{"v1 single-quoted body (python)", SignV1(testSecret, []byte(vectorSingleQuoted)),
			"69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750"},
		{"v2 GET empty body", SignV2(testSecret, http.MethodGet, vectorURL, nil),
			"eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"},
		{"v2 POST body (node)", SignV2(testSecret, http.MethodPost, vectorURL, []byte(vectorExample)),
			"9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900"},
		{"v2 POST single-quoted body (python)", SignV2(testSecret, http.MethodPost, vectorURL, []byte(vectorSingleQuoted)),
			"4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383"},
		{"v3 POST timestamp 15000000 (python)", SignV3(testSecret, http.MethodPost, vectorURL, []byte(vectorSingleQuoted), vectorTimestamp),
			"HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.got)
		})
	}
}

func TestDecodeURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://www.example.com/webhook_uri", "https://www.example.com/webhook_uri"},
		{"https://h.example.com/hooks/acme/hubspot?x=1", "https://h.example.com/hooks/acme/hubspot?x=1"},
		{"https://h.example.com/a%3Ab%2Fc%3Fd%40e%21f%24g%27h%28i%29j%2Ak%2Cl%3Bm", "https://h.example.com/a:b/c?d@e!f$g'h(i)j*k,l;m"},
		{"https://h.example.com/p?next=https%3a%2f%2fx.example%2Fy", "https://h.example.com/p?next=https://x.example/y"},
		// Other escapes stay: a space, a percent sign, an ampersand.
		{"https://h.example.com/p?q=a%20b%25c%26d", "https://h.example.com/p?q=a%20b%25c%26d"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, DecodeURI(tt.in))
		})
	}
}

// vectorSource accepts the vectors' URL and secret with the given versions,
// its clock stopped at now.
func vectorSource(t *testing.T, now time.Time, versions ...string) *Source {
	t.Helper()
	cfg := NewConfig()
	cfg.ClientSecret = testSecret
	cfg.WebhookURL = vectorURL
	cfg.SignatureVersions = versions
	cfg.Enrich = false
	s := newTestSource(t, cfg)
	s.now = func() time.Time { return now }
	return s
}

func request(method string, body string, headers map[string]string) *http.Request {
	// The request's own URL differs from webhook_url on purpose: a proxy
	// in front of the hub rewrites it, and the signature must not care.
	r := httptest.NewRequest(method, "http://10.0.0.7:8080/hooks/acme/hubspot", strings.NewReader(body))
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

func TestAcceptVectors(t *testing.T) {
	// The v3 vector's timestamp, 15000000 ms, is 1970-01-01T04:10:00Z.
	vectorTime := time.UnixMilli(15000000)
	tests := []struct {
		name     string
		versions []string
		now      time.Time
		method   string
		body     string
		headers  map[string]string
	}{
		{
			name: "v1", versions: []string{"v1"}, method: http.MethodPost, body: vectorBatch,
			headers: map[string]string{"X-HubSpot-Signature": "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de",
				"X-HubSpot-Signature-Version": "v1"},
		},
		{
			name: "v1 without a version header", versions: []string{"v1"}, method: http.MethodPost, body: vectorBatch,
			headers: map[string]string{"X-HubSpot-Signature": "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"},
		},
		{
			name: "v2 GET", versions: []string{"v2"}, method: http.MethodGet, body: "",
			headers: map[string]string{"X-HubSpot-Signature": "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e",
				"X-HubSpot-Signature-Version": "v2"},
		},
		{
			name: "v2 POST", versions: []string{"v2"}, method: http.MethodPost, body: vectorExample,
			headers: map[string]string{"X-HubSpot-Signature": "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900",
				"X-HubSpot-Signature-Version": "v2"},
		},
		{
			name: "v2 uppercase hex and version", versions: []string{"v2"}, method: http.MethodPost, body: vectorExample,
			headers: map[string]string{"X-HubSpot-Signature": strings.ToUpper("9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900"),
				"X-HubSpot-Signature-Version": "V2"},
		},
		{
			name: "v3 with the clock at the timestamp", versions: []string{"v3"}, now: vectorTime, method: http.MethodPost, body: vectorSingleQuoted,
			headers: map[string]string{"X-HubSpot-Signature-v3": "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=", "X-HubSpot-Request-Timestamp": vectorTimestamp},
		},
		{
			name: "v3 header names in any case", versions: []string{"v3"}, now: vectorTime.Add(4 * time.Minute), method: http.MethodPost, body: vectorSingleQuoted,
			headers: map[string]string{"x-hubspot-signature-V3": "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=", "X-HUBSPOT-REQUEST-TIMESTAMP": vectorTimestamp},
		},
		{
			name: "v3 beside a v1 signature it does not need", versions: []string{"v3"}, now: vectorTime, method: http.MethodPost, body: vectorSingleQuoted,
			headers: map[string]string{"X-HubSpot-Signature-v3": "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=", "X-HubSpot-Request-Timestamp": vectorTimestamp,
				"X-HubSpot-Signature": "0000", "X-HubSpot-Signature-Version": "v1"},
		},
		{
			name: "v1 when v3 is present but not accepted", versions: []string{"v1"}, now: vectorTime.Add(time.Hour), method: http.MethodPost, body: vectorBatch,
			headers: map[string]string{"X-HubSpot-Signature": "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de",
				"X-HubSpot-Signature-Version": "v1", "X-HubSpot-Signature-v3": "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=",
				"X-HubSpot-Request-Timestamp": vectorTimestamp},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := vectorSource(t, tt.now, tt.versions...)
			d, err := s.Accept(request(tt.method, tt.body, tt.headers), []byte(tt.body))
			require.NoError(t, err)
			sum := sha256.Sum256([]byte(tt.body))
			assert.Equal(t, hex.EncodeToString(sum[:]), d.ID)
			assert.Empty(t, d.Topic)
		})
	}
}

func TestAcceptRefuses(t *testing.T) {
	vectorTime := time.UnixMilli(15000000)
	v3 := map[string]string{"X-HubSpot-Signature-v3": "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=", "X-HubSpot-Request-Timestamp": vectorTimestamp}
	with := func(base map[string]string, k, v string) map[string]string {
		out := map[string]string{}
		for key, val := range base {
			out[key] = val
		}
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	v1 := map[string]string{"X-HubSpot-Signature": "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de", "X-HubSpot-Signature-Version": "v1"}
	tests := []struct {
		name     string
		versions []string
		now      time.Time
		body     string
		headers  map[string]string
		want     string
	}{
		{name: "nothing", versions: []string{"v3"}, body: vectorSingleQuoted, headers: nil, want: "missing X-HubSpot-Signature-v3 header"},
		{name: "nothing, v1 only", versions: []string{"v1"}, body: vectorBatch, headers: nil, want: "missing X-HubSpot-Signature header"},
		{name: "v3 stale by a second", versions: []string{"v3"}, now: vectorTime.Add(5*time.Minute + time.Second), body: vectorSingleQuoted, headers: v3,
			want: "request timestamp is 5m1s old, beyond max_age 5m0s"},
		{name: "v3 ancient (the vector at today's clock)", versions: []string{"v3"}, now: time.Now(), body: vectorSingleQuoted, headers: v3, want: "old, beyond max_age"},
		{name: "v3 from the future", versions: []string{"v3"}, now: vectorTime.Add(-6 * time.Minute), body: vectorSingleQuoted, headers: v3,
			want: "request timestamp is 6m0s in the future, beyond max_age 5m0s"},
		{name: "v3 far future", versions: []string{"v3"}, now: vectorTime, body: vectorSingleQuoted,
			headers: with(v3, "X-HubSpot-Request-Timestamp", "9223372036854775807"), want: "in the future"},
		{name: "v3 without timestamp", versions: []string{"v3"}, now: vectorTime, body: vectorSingleQuoted,
			headers: with(v3, "X-HubSpot-Request-Timestamp", ""), want: "missing X-HubSpot-Request-Timestamp header"},
		{name: "v3 timestamp in seconds with a fraction", versions: []string{"v3"}, now: vectorTime, body: vectorSingleQuoted,
			headers: with(v3, "X-HubSpot-Request-Timestamp", "15000.000"), want: "is not a Unix time in milliseconds"},
		{name: "v3 negative timestamp", versions: []string{"v3"}, now: vectorTime, body: vectorSingleQuoted,
			headers: with(v3, "X-HubSpot-Request-Timestamp", "-15000000"), want: "is not a Unix time in milliseconds"},
		{name: "v3 timestamp with a sign", versions: []string{"v3"}, now: vectorTime, body: vectorSingleQuoted,
			headers: with(v3, "X-HubSpot-Request-Timestamp", "+15000000"), want: "is not a Unix time in milliseconds"},
		{name: "v3 timestamp changed", versions: []string{"v3"}, now: vectorTime, body: vectorSingleQuoted,
			headers: with(v3, "X-HubSpot-Request-Timestamp", "15000001"), want: "v3 signature mismatch"},
		{name: "v3 timestamp with a leading zero", versions: []string{"v3"}, now: vectorTime, body: vectorSingleQuoted,
			headers: with(v3, "X-HubSpot-Request-Timestamp", "015000000"), want: "v3 signature mismatch"},
		{name: "v3 not base64", versions: []string{"v3"}, now: vectorTime, body: vectorSingleQuoted,
			headers: with(v3, "X-HubSpot-Signature-v3", "not base64!"), want: "is not a base64 HMAC-SHA256"},
		{name: "v3 hex instead of base64", versions: []string{"v3"}, now: vectorTime, body: vectorSingleQuoted,
			headers: with(v3, "X-HubSpot-Signature-v3", "1cf5bbdd152d2a6718a040c00c6d2ce8c9861565335892805b4eebf110e0710c"), want: "is not a base64 HMAC-SHA256"},
		{name: "v3 body changed", versions: []string{"v3"}, now: vectorTime, body: vectorExample, headers: v3, want: "v3 signature mismatch"},
		{name: "v3 decides: no fallback to a valid v1", versions: []string{"v1", "v3"}, now: vectorTime, body: vectorBatch,
			headers: with(v1, "X-HubSpot-Signature-v3", "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw="), want: "missing X-HubSpot-Request-Timestamp header"},
		{name: "v1 refused when only v3 is accepted", versions: []string{"v3"}, body: vectorBatch, headers: v1,
			want: "signature version v1 is not accepted (signature_versions: v3)"},
		{name: "v2 refused when only v1 is accepted", versions: []string{"v1"}, body: vectorExample,
			headers: map[string]string{"X-HubSpot-Signature": "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900", "X-HubSpot-Signature-Version": "v2"},
			want:    "signature version v2 is not accepted (signature_versions: v1)"},
		{name: "unknown version", versions: []string{"v1", "v2"}, body: vectorBatch, headers: with(v1, "X-HubSpot-Signature-Version", "v9"),
			want: `X-HubSpot-Signature-Version "v9" is not v1 or v2`},
		{name: "v1 other secret", versions: []string{"v1"}, body: vectorBatch, headers: with(v1, "X-HubSpot-Signature", SignV1("other", []byte(vectorBatch))),
			want: "v1 signature mismatch"},
		{name: "v1 truncated", versions: []string{"v1"}, body: vectorBatch, headers: with(v1, "X-HubSpot-Signature", "232db2615f3d666f"),
			want: "is not a hex SHA-256"},
		{name: "v2 for another URL", versions: []string{"v2"}, body: vectorExample,
			headers: map[string]string{"X-HubSpot-Signature": SignV2(testSecret, http.MethodPost, "http://www.example.com/webhook_uri", []byte(vectorExample)), "X-HubSpot-Signature-Version": "v2"},
			want:    "v2 signature mismatch: check client_secret and that webhook_url is exactly the target URL registered in HubSpot"},
		{name: "v2 for another method", versions: []string{"v2"}, body: "",
			headers: map[string]string{"X-HubSpot-Signature": "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e", "X-HubSpot-Signature-Version": "v2"},
			want:    "v2 signature mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := vectorSource(t, tt.now, tt.versions...)
			_, err := s.Accept(request(http.MethodPost, tt.body, tt.headers), []byte(tt.body))
			require.Error(t, err)
			assert.ErrorIs(t, err, connectors.ErrUnauthorized)
			assert.Contains(t, err.Error(), "verifying hubspot signature: unauthorized: ")
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), testSecret)
		})
	}
}

// The webhook URL HubSpot calls may carry escapes; v3 signs it with some
// of them decoded, v2 as registered.
func TestAcceptEscapedWebhookURL(t *testing.T) {
	const registered = "https://loyalty.example.com/hooks/acme/hubspot?from=hubspot%3Aapp%2C7906213&x=a%20b"
	const signedByHubSpot = "https://loyalty.example.com/hooks/acme/hubspot?from=hubspot:app,7906213&x=a%20b"
	cfg := testConfig("https://api.hubapi.com")
	cfg.WebhookURL = registered
	cfg.SignatureVersions = []string{"v3"}
	s := newTestSource(t, cfg)
	now := time.Now()
	s.now = func() time.Time { return now }
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	body := `[{"eventId":1,"objectId":847297356,"subscriptionType":"contact.creation"}]`
	sig := SignV3(testSecret, http.MethodPost, registered, []byte(body), ts)
	assert.Equal(t, SignV3(testSecret, http.MethodPost, signedByHubSpot, []byte(body), ts), sig)
	_, err := s.Accept(request(http.MethodPost, body, map[string]string{HeaderSignatureV3: sig, HeaderTimestamp: ts}), []byte(body))
	require.NoError(t, err)
}

func TestConformance(t *testing.T) {
	body := []byte(`[{"eventId":3029365631,"subscriptionId":686627,"portalId":891472211,"appId":7906213,"occurredAt":1795402860896,"subscriptionType":"contact.propertyChange","attemptNumber":0,"objectId":847297356,"propertyName":"phone","propertyValue":"+6281234567890","changeSource":"CRM_UI","sourceId":"userId:882761034","isSensitive":false}]`)
	tests := []struct {
		name     string
		versions []string
		sign     func(r *http.Request, body []byte)
	}{
		{
			name: "v3", versions: []string{"v3"},
			sign: func(r *http.Request, body []byte) {
				ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
				r.Header.Set(HeaderSignatureV3, SignV3(testSecret, r.Method, testWebhookURL, body, ts))
				r.Header.Set(HeaderTimestamp, ts)
			},
		},
		{
			name: "v3 with v1 beside it, all accepted", versions: []string{"v1", "v2", "v3"},
			sign: func(r *http.Request, body []byte) {
				ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
				r.Header.Set(HeaderSignatureV3, SignV3(testSecret, r.Method, testWebhookURL, body, ts))
				r.Header.Set(HeaderTimestamp, ts)
				r.Header.Set(HeaderSignature, SignV1(testSecret, body))
				r.Header.Set(HeaderSignatureVersion, "v1")
			},
		},
		{
			name: "v2", versions: []string{"v2"},
			sign: func(r *http.Request, body []byte) {
				r.Header.Set(HeaderSignature, SignV2(testSecret, r.Method, testWebhookURL, body))
				r.Header.Set(HeaderSignatureVersion, "v2")
			},
		},
		{
			name: "v1", versions: []string{"v1"},
			sign: func(r *http.Request, body []byte) {
				r.Header.Set(HeaderSignature, SignV1(testSecret, body))
				r.Header.Set(HeaderSignatureVersion, "v1")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig("https://api.hubapi.com")
			cfg.SignatureVersions = tt.versions
			sourcetest.Run(t, sourcetest.Harness{
				Source: newTestSource(t, cfg),
				Sign:   tt.sign,
				Body:   body,
				Path:   "/hooks/acme/hubspot",
			})
		})
	}
}
