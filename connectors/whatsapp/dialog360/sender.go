package dialog360

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloud"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// APIKeyHeader carries 360dialog's channel key.
const APIKeyHeader = "D360-API-KEY"

// templatesPageSize is how many templates one listing request asks for.
const templatesPageSize = 100

// Sender sends from one 360dialog channel. It is safe for concurrent use.
type Sender struct {
	*cloud.Client
	baseURL string
}

var (
	_ connectors.Sender        = (*Sender)(nil)
	_ connectors.ReadMarker    = (*Sender)(nil)
	_ messaging.TemplateLister = (*Sender)(nil)
)

// NewSender builds a sender from a validated config; it does no I/O. A nil
// logger discards logs.
func NewSender(cfg Config, logger *slog.Logger) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("validating config: %w", err)
	}
	endpoint, err := url.JoinPath(cfg.BaseURL, "messages")
	if err != nil {
		return nil, fmt.Errorf("building endpoint URL: %w", err)
	}
	account := cfg.PhoneNumberID
	if account == "" {
		account = "360dialog channel"
	}
	c, err := cloud.New(cloud.Options{
		Connector:   TypeName,
		Account:     account,
		MessagesURL: endpoint,
		Header:      http.Header{APIKeyHeader: {cfg.APIKey}},
		Timeout:     cfg.Timeout,
		Breaker:     cfg.Breaker,
		Throughput:  cfg.Throughput,
		Logger:      logger,
	})
	if err != nil {
		return nil, err
	}
	return &Sender{Client: c, baseURL: cfg.BaseURL}, nil
}

// Templates lists the channel's WABA templates, every page of them.
func (s *Sender) Templates(ctx context.Context) ([]messaging.TemplateInfo, error) {
	first, err := s.templatesURL(0)
	if err != nil {
		return nil, fmt.Errorf("listing templates: %w", err)
	}
	return cloud.FetchTemplates(ctx, s.Client, first, func(body []byte) ([]cloud.WireTemplate, string, error) {
		var p struct {
			Count     int                  `json:"count"`
			Offset    int                  `json:"offset"`
			Total     int                  `json:"total"`
			Templates []cloud.WireTemplate `json:"waba_templates"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, "", err
		}
		got := len(p.Templates)
		if p.Count > 0 {
			got = p.Count
		}
		if got == 0 || p.Offset+got >= p.Total {
			return p.Templates, "", nil
		}
		next, err := s.templatesURL(p.Offset + got)
		return p.Templates, next, err
	})
}

func (s *Sender) templatesURL(offset int) (string, error) {
	u, err := url.JoinPath(s.baseURL, "v1", "configs", "templates")
	if err != nil {
		return "", err
	}
	return u + "?limit=" + strconv.Itoa(templatesPageSize) + "&offset=" + strconv.Itoa(offset), nil
}
