package gupshup

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloud"
)

// Sender sends WhatsApp messages from one Gupshup app. It is safe for
// concurrent use; its circuit breaker and throughput limits cover that app
// only, so build one Sender per tenant and app.
//
// Gupshup's API takes no idempotency key and echoes no reference of ours:
// a request that may have reached Gupshup without an answer fails as
// ambiguous rather than being sent again, and statuses find their message
// by the message id Gupshup answered.
type Sender struct {
	*cloud.Client
}

var (
	_ connectors.Sender             = (*Sender)(nil)
	_ connectors.BreakerReporter    = (*Sender)(nil)
	_ connectors.ReadMarker         = (*Sender)(nil)
	_ connectors.DeliveryClassifier = (*Sender)(nil)
)

// NewSender builds a sender from a validated config; it does no I/O. A nil
// logger discards logs.
func NewSender(cfg Config, logger *slog.Logger) (*Sender, error) {
	return newSender(cfg, logger, nil)
}

// newSender builds a sender; rates, when not nil, hold the number's
// throughput limit for every replica of the hub.
func newSender(cfg Config, logger *slog.Logger, rates connectors.RateLimits) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("validating config: %w", err)
	}
	p, err := newProtocol(cfg)
	if err != nil {
		return nil, err
	}
	c, err := cloud.New(cloud.Options{
		Connector:   TypeName,
		Account:     cfg.AppName,
		MessagesURL: p.messagesURL,
		Header: http.Header{
			"Apikey":       {cfg.APIKey},
			"Content-Type": {"application/x-www-form-urlencoded"},
			"Accept":       {"application/json"},
		},
		Timeout:    cfg.Timeout,
		Breaker:    cfg.Breaker,
		Throughput: cfg.Throughput,
		Rates:      rates,
		Logger:     logger,
		Protocol:   p,
	})
	if err != nil {
		return nil, err
	}
	return &Sender{Client: c}, nil
}

// ClassifyDeliveryError classifies the code of a failed message-event
// exactly as Send classifies the same code answered at once.
func (s *Sender) ClassifyDeliveryError(code int, details string) error {
	return classify(0, code, details, nil, time.Time{})
}
