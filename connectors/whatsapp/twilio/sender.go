package twilio

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloud"
)

// Sender sends WhatsApp messages from one Twilio sender. It is safe for
// concurrent use; its circuit breaker and throughput limits cover that
// sender only, so build one Sender per tenant and sender.
//
// Twilio's Messages API takes no idempotency key: like the Cloud API
// sender, a request that may have reached Twilio without an answer fails
// as ambiguous rather than being sent again.
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
	user, password := cfg.AccountSID, cfg.AuthToken
	if cfg.APIKeySID != "" {
		user, password = cfg.APIKeySID, cfg.APIKeySecret
	}
	account := cfg.From
	if account == "" {
		account = cfg.MessagingServiceSID
	}
	c, err := cloud.New(cloud.Options{
		Connector:   TypeName,
		Account:     account,
		MessagesURL: p.messagesURL,
		Header: http.Header{
			"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))},
			"Content-Type":  {"application/x-www-form-urlencoded"},
			"Accept":        {"application/json"},
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

// ClassifyDeliveryError classifies the ErrorCode of a failed or
// undelivered status callback exactly as Send classifies the same code
// answered at once.
func (s *Sender) ClassifyDeliveryError(code int, details string) error {
	return classify(0, code, details, nil, time.Time{})
}

// newProtocol builds the wire protocol of a validated config.
func newProtocol(cfg Config) (*protocol, error) {
	messagesURL, err := url.JoinPath(cfg.BaseURL, "2010-04-01", "Accounts", cfg.AccountSID, "Messages.json")
	if err != nil {
		return nil, fmt.Errorf("building endpoint URL: %w", err)
	}
	typingURL, err := url.JoinPath(cfg.MessagingBaseURL, "v2", "Indicators", "Typing.json")
	if err != nil {
		return nil, fmt.Errorf("building endpoint URL: %w", err)
	}
	p := &protocol{
		messagesURL: messagesURL,
		typingURL:   typingURL,
		from:        cfg.From,
		service:     cfg.MessagingServiceSID,
		webhookURL:  cfg.WebhookURL,
		templates:   make(map[string]Template, len(cfg.Templates)),
	}
	for _, t := range cfg.Templates {
		p.templates[templateKey(t.Name, t.Language)] = t
	}
	return p, nil
}
