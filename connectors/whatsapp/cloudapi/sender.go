package cloudapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloud"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// Sender sends messages from one business phone number through Meta's
// Cloud API. It is safe for concurrent use; its circuit breaker and
// throughput limits cover that number only, so build one Sender per tenant
// and number.
type Sender struct {
	*cloud.Client
	baseURL, graphVersion, wabaID string
}

var (
	_ connectors.Sender             = (*Sender)(nil)
	_ connectors.BreakerReporter    = (*Sender)(nil)
	_ connectors.DeliveryClassifier = (*Sender)(nil)
	_ messaging.TemplateLister      = (*Sender)(nil)
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
	endpoint, err := url.JoinPath(cfg.BaseURL, cfg.GraphVersion, cfg.PhoneNumberID, "messages")
	if err != nil {
		return nil, fmt.Errorf("building endpoint URL: %w", err)
	}
	c, err := cloud.New(cloud.Options{
		Connector:   TypeName,
		Account:     cfg.PhoneNumberID,
		MessagesURL: endpoint,
		Header:      http.Header{"Authorization": {"Bearer " + cfg.AccessToken}},
		Timeout:     cfg.Timeout,
		Breaker:     cfg.Breaker,
		Throughput:  cfg.Throughput,
		Rates:       rates,
		Logger:      logger,
	})
	if err != nil {
		return nil, err
	}
	return &Sender{Client: c, baseURL: cfg.BaseURL, graphVersion: cfg.GraphVersion, wabaID: cfg.WABAID}, nil
}

// Templates lists the templates of the configured WhatsApp Business
// Account (waba_id), every page of them.
func (s *Sender) Templates(ctx context.Context) ([]messaging.TemplateInfo, error) {
	if s.wabaID == "" {
		return nil, fmt.Errorf("listing templates: waba_id is not configured: %w", messaging.ErrTemplatesUnavailable)
	}
	first, err := url.JoinPath(s.baseURL, s.graphVersion, s.wabaID, "message_templates")
	if err != nil {
		return nil, fmt.Errorf("listing templates: %w", err)
	}
	first += "?fields=name,language,status,category,parameter_format,components&limit=100"
	return cloud.FetchTemplates(ctx, s.Client, first, cloud.GraphPage)
}
