package gupshup

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/loyalhub/loyalhub/connectors"
)

// TokenParam is the query parameter of the callback URL that carries the
// webhook token.
const TokenParam = "token"

// Source authenticates the webhooks Gupshup sends for one app: messages,
// message-events and user-events. It is safe for concurrent use.
//
// Gupshup signs no webhook. The callback URL set at Gupshup carries a
// secret token (?token=…), which Accept compares in constant time: a
// request without it, or with another, is unauthorized. Serve the hub over
// HTTPS so that the token does not travel in the clear.
type Source struct {
	token []byte
}

var _ connectors.Source = (*Source)(nil)

// NewSource builds a source from a validated config; it does no I/O.
func NewSource(cfg Config) *Source {
	return &Source{token: []byte(cfg.WebhookToken)}
}

// Accept checks the token of the request's URL. The delivery id is the hex
// SHA-256 of the body: a redelivered webhook has the same body. The topic
// is the webhook's type when the body is a JSON object naming one; the
// body is not mapped here, and one that cannot be read is accepted and
// dead-lettered by the mapping with the reason.
func (s *Source) Accept(r *http.Request, body []byte) (connectors.Delivery, error) {
	got := r.URL.Query().Get(TokenParam)
	switch {
	case len(s.token) == 0:
		return connectors.Delivery{}, fmt.Errorf("verifying the webhook token: none configured: %w", connectors.ErrUnauthorized)
	case got == "":
		return connectors.Delivery{}, fmt.Errorf("verifying the webhook token: %s query parameter missing: %w", TokenParam, connectors.ErrUnauthorized)
	case subtle.ConstantTimeCompare([]byte(got), s.token) != 1:
		return connectors.Delivery{}, fmt.Errorf("verifying the webhook token: mismatch: %w", connectors.ErrUnauthorized)
	}
	sum := sha256.Sum256(body)
	d := connectors.Delivery{ID: hex.EncodeToString(sum[:])}
	var envelope struct {
		Type    string `json:"type"`
		Payload struct {
			Source string `json:"source"` // a message's sender
			Phone  string `json:"phone"`  // a user-event's customer
			Type   string `json:"type"`   // a user-event's kind
		} `json:"payload"`
	}
	if json.Unmarshal(body, &envelope) == nil {
		d.Topic = envelope.Type
		// A customer's message or consent: marketing to them waits until
		// it is applied.
		w := ""
		switch {
		case envelope.Type == "message":
			w = envelope.Payload.Source
		case envelope.Type == "user-event" && (envelope.Payload.Type == "opted-out" || envelope.Payload.Type == "opted-in"):
			w = envelope.Payload.Phone
		}
		if w != "" {
			d.Writers = []string{strings.TrimPrefix(w, "+")}
		}
	}
	return d, nil
}
