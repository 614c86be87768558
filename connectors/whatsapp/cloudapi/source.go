package cloudapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/loyalhub/loyalhub/connectors"
)

// SignatureHeader carries Meta's webhook signature.
const SignatureHeader = "X-Hub-Signature-256"

// Source authenticates the webhook deliveries of one Meta app. It is safe
// for concurrent use.
type Source struct {
	appSecret   []byte
	verifyToken string
}

var (
	_ connectors.Source     = (*Source)(nil)
	_ connectors.Handshaker = (*Source)(nil)
)

// NewSource builds a source from a validated config; it does no I/O.
func NewSource(cfg Config) *Source {
	return &Source{appSecret: []byte(cfg.AppSecret), verifyToken: cfg.VerifyToken}
}

// Accept verifies X-Hub-Signature-256 on the raw body. The delivery id is
// the hex SHA-256 of the body, since Meta sends no delivery id; a
// redelivered webhook has the same body and so the same id. The body is read
// only for its writers (Writers).
func (s *Source) Accept(r *http.Request, body []byte) (connectors.Delivery, error) {
	if err := VerifySignature(s.appSecret, r.Header.Get(SignatureHeader), body); err != nil {
		return connectors.Delivery{}, err
	}
	sum := sha256.Sum256(body)
	return connectors.Delivery{ID: hex.EncodeToString(sum[:]), Writers: Writers(body)}, nil
}

// VerifySignature checks an X-Hub-Signature-256 value,
// "sha256=<hex HMAC-SHA256(appSecret, body)>", in constant time. Every
// failure wraps connectors.ErrUnauthorized.
func VerifySignature(appSecret []byte, header string, body []byte) error {
	if len(appSecret) == 0 {
		return fmt.Errorf("verifying %s: no app secret configured: %w", SignatureHeader, connectors.ErrUnauthorized)
	}
	if header == "" {
		return fmt.Errorf("verifying %s: header missing: %w", SignatureHeader, connectors.ErrUnauthorized)
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return fmt.Errorf("verifying %s: not a sha256= value: %w", SignatureHeader, connectors.ErrUnauthorized)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("verifying %s: malformed digest: %w", SignatureHeader, connectors.ErrUnauthorized)
	}
	mac := hmac.New(sha256.New, appSecret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("verifying %s: signature mismatch: %w", SignatureHeader, connectors.ErrUnauthorized)
	}
	return nil
}

// Handshake answers Meta's endpoint verification: a GET with
// hub.mode=subscribe and hub.verify_token equal to the configured token gets
// 200 with the raw hub.challenge; anything else gets 403.
func (s *Source) Handshake(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token := q.Get("hub.verify_token")
	if r.Method != http.MethodGet || q.Get("hub.mode") != "subscribe" || s.verifyToken == "" ||
		subtle.ConstantTimeCompare([]byte(token), []byte(s.verifyToken)) != 1 {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, q.Get("hub.challenge"))
}
