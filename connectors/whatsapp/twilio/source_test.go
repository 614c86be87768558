package twilio

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/sourcetest"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/mappings"
)

// The worked example of Twilio's request validation documentation
// (twilio-php's docs/usage/validation): auth token 12345, this URL and
// these POST parameters are signed RSOYDt4T1cUTdK1PDd93/VVr8B8=.
func TestSignatureDocumentedExample(t *testing.T) {
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+14158675309"},
		"Digits":  {"1234"},
		"From":    {"+14158675309"},
		"To":      {"+18005551212"},
	}
	const signed = "https://mycompany.com/myapp.php?foo=1&bar=2"
	assert.Equal(t, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", Signature("12345", signed, params))

	cfg := testConfig(DefaultBaseURL)
	cfg.AuthToken, cfg.WebhookURL = "12345", "https://mycompany.com/myapp.php"
	r := httptest.NewRequest(http.MethodPost, "http://10.0.0.7:8080/myapp.php?foo=1&bar=2", strings.NewReader(params.Encode()))
	r.Header.Set(SignatureHeader, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
	_, err := NewSource(cfg).Accept(r, []byte(params.Encode()))
	require.NoError(t, err, "checked against the public URL with the query the request came with")
}

// Repeated parameters are signed each, sorted by value.
func TestSignatureRepeatedParameter(t *testing.T) {
	a := Signature("tok", "https://h/x", url.Values{"A": {"2", "1"}, "B": {"x"}})
	b := Signature("tok", "https://h/x", url.Values{"A": {"1", "2"}, "B": {"x"}})
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, Signature("tok", "https://h/x", url.Values{"A": {"12"}, "B": {"x"}}))
}

func readForms(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/*.form")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		out[strings.TrimSuffix(filepath.Base(f), ".form")] = b
	}
	return out
}

func sign(r *http.Request, body []byte) {
	params, err := ParseForm(body)
	if err != nil {
		params = nil
	}
	u := testWebhook
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	r.Header.Set(SignatureHeader, Signature(testToken, u, params))
}

func TestSourceConformance(t *testing.T) {
	forms := readForms(t)
	src, _ := mappings.Bundled(TypeName)
	p, err := mappings.Compile(TypeName, src)
	require.NoError(t, err)
	sourcetest.Run(t, sourcetest.Harness{
		Source:  NewSource(testConfig(DefaultBaseURL)),
		Sign:    sign,
		Body:    forms["status_sent"],
		Other:   forms["status_read"],
		Samples: forms,
		Check: func(t *testing.T, name string, d connectors.Delivery, body []byte) {
			in, err := Form{}.Enrich(context.Background(), d, body)
			require.NoError(t, err)
			res, err := p.Map(context.Background(), event.Delivery{
				Tenant: "acme", Connector: "wa", Kind: TypeName, DeliveryID: d.ID, Topic: d.Topic, Meta: d.Meta,
				ReceivedAt: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC),
			}, in)
			require.NoError(t, err, "a signed webhook never fails as a whole")
			if strings.HasPrefix(name, "malformed_") {
				assert.NotEmpty(t, res.Failed, "a malformed case fails its item, dead-lettered with the reason")
				return
			}
			assert.Empty(t, res.Failed)
			assert.NotZero(t, len(res.Events)+len(res.Ignored))
			wantTopic := TopicMessage
			if strings.HasPrefix(name, "status_") || strings.HasPrefix(name, "malformed_status") {
				wantTopic = TopicStatus
			}
			assert.Equal(t, wantTopic, d.Topic)
			sourcetest.CheckWriters(t, name, d, res.Events)
		},
	})
}

func TestAccept(t *testing.T) {
	forms := readForms(t)
	body := forms["status_sent"]
	cfg := testConfig(DefaultBaseURL)
	src := NewSource(cfg)
	params, err := ParseForm(body)
	require.NoError(t, err)
	callback := statusCallback(testWebhook, "msg_8f3a2c1d9e7b6a5f")
	jsonBody := []byte(`{"MessageSid":"SM1","MessageStatus":"read"}`)
	sum := sha256.Sum256(jsonBody)
	jsonURL := testWebhook + "?bodySHA256=" + hex.EncodeToString(sum[:])

	tests := []struct {
		name      string
		target    string // the request's URL as the hub sees it
		signedURL string // the URL the signature covers
		params    url.Values
		body      []byte
		ok        bool
		meta      map[string]string
	}{
		{"inbound webhook", "http://10.0.0.7:8080/webhooks/acme/wa", testWebhook, params, body, true, nil},
		{"status callback with the message key", "http://10.0.0.7:8080/webhooks/acme/wa?" + strings.SplitN(callback, "?", 2)[1],
			callback, params, body, true, map[string]string{"callback_data": "msg_8f3a2c1d9e7b6a5f"}},
		{"URL signed with the default port", "http://10.0.0.7/webhooks/acme/wa", "https://hub.example.com:443/webhooks/acme/wa", params, body, true, nil},
		{"signed for the hub's own address", "http://10.0.0.7:8080/webhooks/acme/wa", "http://10.0.0.7:8080/webhooks/acme/wa", params, body, false, nil},
		{"signed for another path", "http://10.0.0.7/webhooks/acme/wa", "https://hub.example.com/webhooks/acme/other", params, body, false, nil},
		{"key changed after signing", "http://10.0.0.7/webhooks/acme/wa?loyalhub_key=msg_other", callback, params, body, false, nil},
		{"parameter added", "http://10.0.0.7/webhooks/acme/wa", testWebhook, params, append(bytes.Clone(body), "&ErrorCode=63016"...), false, nil},
		{"not form-encoded", "http://10.0.0.7/webhooks/acme/wa", testWebhook, nil, []byte("MessageSid=%zz"), false, nil},
		{"JSON body with its hash", "http://10.0.0.7/webhooks/acme/wa?" + strings.SplitN(jsonURL, "?", 2)[1], jsonURL, nil, jsonBody, true, nil},
		{"JSON body changed", "http://10.0.0.7/webhooks/acme/wa?" + strings.SplitN(jsonURL, "?", 2)[1], jsonURL, nil, []byte(`{"MessageSid":"SM2"}`), false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tt.target, bytes.NewReader(tt.body))
			r.Header.Set(SignatureHeader, Signature(testToken, tt.signedURL, tt.params))
			d, err := src.Accept(r, tt.body)
			if !tt.ok {
				require.ErrorIs(t, err, connectors.ErrUnauthorized)
				return
			}
			require.NoError(t, err)
			h := sha256.Sum256(tt.body)
			assert.Equal(t, hex.EncodeToString(h[:]), d.ID)
			assert.Equal(t, tt.meta, d.Meta)
		})
	}
	t.Run("wrong auth token", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/acme/wa", bytes.NewReader(body))
		r.Header.Set(SignatureHeader, Signature("another-token", testWebhook, params))
		_, err := src.Accept(r, body)
		require.ErrorIs(t, err, connectors.ErrUnauthorized)
	})
	t.Run("not base64", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/acme/wa", bytes.NewReader(body))
		r.Header.Set(SignatureHeader, "!!")
		_, err := src.Accept(r, body)
		require.ErrorIs(t, err, connectors.ErrUnauthorized)
	})
}

func TestEnrich(t *testing.T) {
	forms := readForms(t)
	out, err := Form{}.Enrich(context.Background(), connectors.Delivery{}, forms["inbound_image"])
	require.NoError(t, err)
	var obj map[string]any
	require.NoError(t, json.Unmarshal(out, &obj))
	assert.Equal(t, "image/jpeg", obj["MediaContentType0"])
	assert.Equal(t, "whatsapp:+6281234567890", obj["From"])

	out, err = Form{}.Enrich(context.Background(), connectors.Delivery{}, []byte("A=1&A=2&B=3"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"A":["1","2"],"B":"3"}`, string(out))

	replayed := []byte(`{"MessageSid":"SM1","MessageStatus":"read"}`)
	out, err = Form{}.Enrich(context.Background(), connectors.Delivery{}, replayed)
	require.NoError(t, err)
	assert.Equal(t, replayed, out, "a failed item's JSON, replayed, passes as it is")

	_, err = Form{}.Enrich(context.Background(), connectors.Delivery{}, []byte("MessageSid=%zz"))
	require.Error(t, err)
	assert.True(t, fault.IsPermanent(err), "dead-lettered with the reason: %v", err)
}

// FuzzParseForm feeds the webhook reader arbitrary bodies, seeded with the
// recorded webhooks of testdata: a body it reads signs and verifies, and
// turns into a JSON object; one it cannot read is refused, never accepted.
func FuzzParseForm(f *testing.F) {
	for _, b := range readForms(f) {
		f.Add(b)
	}
	f.Add([]byte("MessageSid=%zz&Body=a"))
	f.Add([]byte("a=1&a=2;b"))
	src := NewSource(testConfig(DefaultBaseURL))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/acme/wa", bytes.NewReader(body))
		sign(r, body)
		params, perr := ParseForm(body)
		d, err := src.Accept(r, body)
		if perr != nil {
			if err == nil {
				t.Fatalf("a body that cannot be read was accepted: %q", body)
			}
			return
		}
		if err != nil {
			t.Fatalf("a signed readable body was refused: %v", err)
		}
		out, err := Form{}.Enrich(context.Background(), d, body)
		if bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) && json.Valid(bytes.TrimSpace(body)) {
			return // a JSON object passes as it is
		}
		if err != nil {
			t.Fatalf("enriching a readable body: %v", err)
		}
		var obj map[string]any
		if err := json.Unmarshal(out, &obj); err != nil || (len(obj) == 0) != (len(params) == 0) {
			t.Fatalf("enriched %q into %s: %v", body, out, err)
		}
	})
}
