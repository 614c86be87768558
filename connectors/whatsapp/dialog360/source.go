package dialog360

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/cloudapi"
)

// Source authenticates the webhooks 360dialog forwards for one channel by
// the secret header set when the webhook was registered. It is safe for
// concurrent use.
type Source struct {
	header string
	token  []byte
}

var _ connectors.Source = (*Source)(nil)

// NewSource builds a source from a validated config; it does no I/O.
func NewSource(cfg Config) *Source {
	return &Source{header: cfg.WebhookHeader, token: []byte(cfg.WebhookToken)}
}

// Accept checks the secret header in constant time. The delivery id is the
// hex SHA-256 of the body (360dialog sends no delivery id; a redelivery has
// the same body). The body is read only for its writers (cloudapi.Writers).
func (s *Source) Accept(r *http.Request, body []byte) (connectors.Delivery, error) {
	got := r.Header.Get(s.header)
	switch {
	case len(s.token) == 0:
		return connectors.Delivery{}, fmt.Errorf("verifying %s: no webhook token configured: %w", s.header, connectors.ErrUnauthorized)
	case got == "":
		return connectors.Delivery{}, fmt.Errorf("verifying %s: header missing: %w", s.header, connectors.ErrUnauthorized)
	case subtle.ConstantTimeCompare([]byte(got), s.token) != 1:
		return connectors.Delivery{}, fmt.Errorf("verifying %s: wrong token: %w", s.header, connectors.ErrUnauthorized)
	}
	sum := sha256.Sum256(body)
	return connectors.Delivery{ID: hex.EncodeToString(sum[:]), Writers: cloudapi.Writers(body)}, nil
}
