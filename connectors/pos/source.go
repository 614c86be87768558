package pos

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/loyalhub/loyalhub/connectors"
)

// maxDeliveryIDLen bounds a delivery id taken from the header as is; longer
// values are replaced by their hash.
const maxDeliveryIDLen = 128

var _ connectors.Source = (*Source)(nil)

// Source accepts signed POS deliveries. It is safe for concurrent use.
type Source struct {
	secret           []byte
	signatureHeader  string
	deliveryIDHeader string
}

// NewSource returns a source for a validated config. It does no I/O.
func NewSource(cfg *Config) (*Source, error) {
	if cfg == nil {
		return nil, errors.New("creating pos_webhook source: nil config")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("creating pos_webhook source: %w", err)
	}
	return &Source{
		secret:           []byte(cfg.Secret),
		signatureHeader:  cfg.SignatureHeader,
		deliveryIDHeader: cfg.DeliveryIDHeader,
	}, nil
}

// Sign returns the signature of body under secret, as the POS sends it:
// lowercase hex HMAC-SHA256.
func Sign(secret string, body []byte) string {
	return hex.EncodeToString(mac([]byte(secret), body))
}

func mac(secret, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return m.Sum(nil)
}

// Accept authenticates the request by its body's signature and names the
// delivery. It never parses the body. Failed authentication returns an error
// wrapping connectors.ErrUnauthorized.
func (s *Source) Accept(r *http.Request, body []byte) (connectors.Delivery, error) {
	sig := strings.TrimSpace(r.Header.Get(s.signatureHeader))
	if sig == "" {
		return connectors.Delivery{}, fmt.Errorf("verifying pos_webhook signature: %w: missing %s header",
			connectors.ErrUnauthorized, s.signatureHeader)
	}
	if len(sig) > len("sha256=") && strings.EqualFold(sig[:len("sha256=")], "sha256=") {
		sig = sig[len("sha256="):]
	}
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return connectors.Delivery{}, fmt.Errorf("verifying pos_webhook signature: %w: %s is not a hex HMAC-SHA256",
			connectors.ErrUnauthorized, s.signatureHeader)
	}
	if !hmac.Equal(got, mac(s.secret, body)) {
		return connectors.Delivery{}, fmt.Errorf("verifying pos_webhook signature: %w: signature mismatch",
			connectors.ErrUnauthorized)
	}
	return connectors.Delivery{ID: s.deliveryID(r, body)}, nil
}

// deliveryID is the POS's delivery header when present, else the hex
// SHA-256 of the body.
func (s *Source) deliveryID(r *http.Request, body []byte) string {
	if s.deliveryIDHeader != "" {
		if id := strings.TrimSpace(r.Header.Get(s.deliveryIDHeader)); id != "" {
			if len(id) <= maxDeliveryIDLen {
				return id
			}
			sum := sha256.Sum256([]byte(id))
			return "h:" + hex.EncodeToString(sum[:])
		}
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
