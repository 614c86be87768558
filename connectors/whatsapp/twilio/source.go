package twilio

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/loyalhub/loyalhub/connectors"
)

// SignatureHeader carries Twilio's webhook signature.
const SignatureHeader = "X-Twilio-Signature"

// Topics of the deliveries a Source accepts.
const (
	TopicStatus  = "status"  // a status callback: MessageStatus of a message sent
	TopicMessage = "message" // an incoming message
)

// Source authenticates the webhooks Twilio sends for one sender: incoming
// messages and status callbacks. It is safe for concurrent use.
type Source struct {
	authToken []byte
	webhook   *url.URL // scheme, host and path of the configured webhook URL
}

var _ connectors.Source = (*Source)(nil)

// NewSource builds a source from a validated config; it does no I/O.
func NewSource(cfg Config) *Source {
	u, err := url.Parse(cfg.WebhookURL)
	if err != nil {
		u = &url.URL{}
	}
	return &Source{authToken: []byte(cfg.AuthToken), webhook: u}
}

// Accept verifies X-Twilio-Signature against the configured webhook URL,
// with the query the request arrived with (a status callback's carries the
// message key), and the form parameters of the body; a JSON-bodied webhook
// (a bodySHA256 query parameter) is verified by the URL and the body's
// SHA-256 instead. The delivery id is the hex SHA-256 of the body: a
// redelivered webhook has the same body. The body is not mapped here; one
// that is not form-encoded cannot be verified and is unauthorized.
func (s *Source) Accept(r *http.Request, body []byte) (connectors.Delivery, error) {
	sig := r.Header.Get(SignatureHeader)
	switch {
	case len(s.authToken) == 0:
		return connectors.Delivery{}, fmt.Errorf("verifying %s: no auth token configured: %w", SignatureHeader, connectors.ErrUnauthorized)
	case sig == "":
		return connectors.Delivery{}, fmt.Errorf("verifying %s: header missing: %w", SignatureHeader, connectors.ErrUnauthorized)
	}
	signedURL := *s.webhook
	signedURL.RawQuery = r.URL.RawQuery
	if signedURL.RawQuery == "" {
		signedURL.RawQuery = s.webhook.RawQuery
	}
	query := signedURL.Query()
	var params url.Values
	if want := query.Get("bodySHA256"); want != "" {
		sum := sha256.Sum256(body)
		if !hmac.Equal([]byte(strings.ToLower(want)), []byte(hex.EncodeToString(sum[:]))) {
			return connectors.Delivery{}, fmt.Errorf("verifying %s: bodySHA256 does not match the body: %w", SignatureHeader, connectors.ErrUnauthorized)
		}
	} else {
		var err error
		if params, err = url.ParseQuery(string(body)); err != nil {
			return connectors.Delivery{}, fmt.Errorf("verifying %s: body is not form-encoded: %w", SignatureHeader, connectors.ErrUnauthorized)
		}
	}
	if !s.valid(sig, &signedURL, params) {
		return connectors.Delivery{}, fmt.Errorf("verifying %s: signature mismatch: %w", SignatureHeader, connectors.ErrUnauthorized)
	}
	sum := sha256.Sum256(body)
	d := connectors.Delivery{ID: hex.EncodeToString(sum[:]), Topic: TopicMessage}
	if params.Has("MessageStatus") {
		d.Topic = TopicStatus
	} else if from, ok := strings.CutPrefix(params.Get("From"), "whatsapp:"); ok {
		// A customer's WhatsApp message: marketing to them waits until it
		// is applied.
		d.Writers = []string{cmp.Or(params.Get("WaId"), strings.TrimPrefix(from, "+"))}
	}
	if key := query.Get(KeyParam); key != "" {
		d.Meta = map[string]string{"callback_data": key}
	}
	return d, nil
}

// valid checks sig against the URL as given and with its default port
// added or removed, as Twilio's own libraries do: the URL Twilio signs may
// name the port or not.
func (s *Source) valid(sig string, u *url.URL, params url.Values) bool {
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	for _, candidate := range urlVariants(u) {
		if hmac.Equal(got, signature(s.authToken, candidate, params)) {
			return true
		}
	}
	return false
}

func urlVariants(u *url.URL) []string {
	out := []string{u.String()}
	port := map[string]string{"https": "443", "http": "80"}[u.Scheme]
	if port == "" {
		return out
	}
	other := *u
	if host, p, err := net.SplitHostPort(u.Host); err == nil {
		if p != port {
			return out
		}
		other.Host = host
	} else {
		other.Host = net.JoinHostPort(u.Hostname(), port)
	}
	return append(out, other.String())
}

// Signature is X-Twilio-Signature of a webhook to fullURL with the POST
// parameters params: the base64 HMAC-SHA1, keyed with the auth token, of
// the URL followed by each parameter's name and value, sorted by name (a
// repeated name's values sorted too).
func Signature(authToken, fullURL string, params url.Values) string {
	return base64.StdEncoding.EncodeToString(signature([]byte(authToken), fullURL, params))
}

func signature(authToken []byte, fullURL string, params url.Values) []byte {
	mac := hmac.New(sha1.New, authToken)
	mac.Write([]byte(fullURL))
	for _, k := range slices.Sorted(maps.Keys(params)) {
		for _, v := range slices.Sorted(slices.Values(params[k])) {
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return mac.Sum(nil)
}
