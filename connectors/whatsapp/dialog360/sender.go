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
	_ connectors.Sender             = (*Sender)(nil)
	_ connectors.BreakerReporter    = (*Sender)(nil)
	_ connectors.DeliveryClassifier = (*Sender)(nil)
	_ connectors.ReadMarker         = (*Sender)(nil)
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
		Rates:       rates,
		Logger:      logger,
	})
	if err != nil {
		return nil, err
	}
	return &Sender{Client: c, baseURL: cfg.BaseURL}, nil
}

// Templates lists the channel's WABA templates, every page of them.
// 360dialog pages by offset: each page says how many templates it holds
// and how many there are in all.
func (s *Sender) Templates(ctx context.Context) ([]messaging.TemplateInfo, error) {
	endpoint, err := url.JoinPath(s.baseURL, "v1", "configs", "templates")
	if err != nil {
		return nil, fmt.Errorf("listing templates: %w", err)
	}
	return cloud.FetchTemplates(ctx, s.Client, templatesPageURL(endpoint, 0), newPageReader(endpoint))
}

// templatesPage is what a page of GET /v1/configs/templates needs read;
// its count, limit and offset echo the request and the page's length.
type templatesPage struct {
	Total     int                  `json:"total"`
	Templates []cloud.WireTemplate `json:"waba_templates"`
}

// newPageReader reads the pages of a listing at endpoint in order, starting
// at offset 0: each call reads one page and names the next, or "" after
// the last one. The next offset counts the templates received, so a page
// shorter than asked for skips nothing; an empty page ends the listing.
func newPageReader(endpoint string) func(body []byte) ([]cloud.WireTemplate, string, error) {
	offset := 0
	return func(body []byte) ([]cloud.WireTemplate, string, error) {
		var p templatesPage
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, "", err
		}
		got := len(p.Templates)
		if got == 0 || offset+got >= p.Total {
			return p.Templates, "", nil
		}
		offset += got
		return p.Templates, templatesPageURL(endpoint, offset), nil
	}
}

func templatesPageURL(endpoint string, offset int) string {
	q := url.Values{"limit": {strconv.Itoa(templatesPageSize)}, "offset": {strconv.Itoa(offset)}}
	return endpoint + "?" + q.Encode()
}
