package pos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/go-resty/resty/v2"
	"golang.org/x/time/rate"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/internal/httpclient"
	"github.com/loyalhub/loyalhub/core/fault"
)

// maxCustomerResponse bounds the customer API response read.
const maxCustomerResponse = 1 << 20

var _ connectors.Enricher = (*LookupSource)(nil)

// LookupSource is a Source whose deliveries are enriched, before mapping,
// with the contact details of their customers, looked up from the POS's
// API (Square payments and Loyverse receipts name a customer_id, not a
// phone). It is safe for concurrent use.
type LookupSource struct {
	*Source
	baseURL       string
	token         string
	squareVersion string
	client        *resty.Client
	log           *slog.Logger
	now           func() time.Time
}

// NewLookupSource returns the source of a config that enables the lookup
// (preset square or loyverse with lookup.access_token). It does no I/O.
func NewLookupSource(cfg *Config, deps connectors.Deps) (*LookupSource, error) {
	if cfg == nil {
		return nil, errors.New("creating pos_webhook source: nil config")
	}
	s, errs := cfg.resolve()
	if err := errs.Err(); err != nil {
		return nil, fmt.Errorf("creating pos_webhook source: %w", err)
	}
	if !s.lookup.enabled {
		return nil, errors.New("creating pos_webhook source: the customer lookup needs preset square or loyverse and lookup.access_token")
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &LookupSource{
		Source:        newSource(s),
		baseURL:       s.lookup.baseURL,
		token:         s.lookup.token,
		squareVersion: s.lookup.squareVersion,
		// Every attempt waits for the lookup rate limit; the HTTP layer
		// retries only what the POS certainly did not answer, and the
		// pipeline's retries the rest.
		client: httpclient.New(httpclient.Options{
			Timeout: s.lookup.timeout,
			Limiter: rate.NewLimiter(rate.Limit(s.lookup.rps), 1),
			Logger:  log,
		}).SetResponseBodyLimit(maxCustomerResponse),
		log: log.With("connector_type", Name, "preset", s.preset),
		now: time.Now,
	}, nil
}

// Enrich looks up the customer of every sale in body that earns points (a
// completed Square payment; an uncancelled Loyverse SALE receipt) and
// returns
//
//	{"payload": <body, byte for byte>,
//	 "customers": {"<customer_id>": {"phone": "…", "email": "…", "name": "…"}}}
//
// where a customer unknown to the POS (404) is null. A body with no such
// sale, or that is not JSON of the expected shape, is returned unchanged.
// Lookups are rate-limited to lookup.requests_per_second per connector. A
// source built without the lookup returns every body unchanged.
// Errors are classified with core/fault: 401 and 403 are permanent (auth),
// 429, 5xx and transport failures retryable, honouring Retry-After.
func (l *LookupSource) Enrich(ctx context.Context, _ connectors.Delivery, body []byte) ([]byte, error) {
	ids, ok := customerIDs(l.preset, body)
	if !ok || len(ids) == 0 || l.client == nil {
		return body, nil
	}
	found := make(map[string]*customer, len(ids))
	for _, id := range ids {
		c, err := l.customer(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("looking up %s customer %s: %w", l.preset, id, err)
		}
		if c == nil {
			l.log.DebugContext(ctx, "customer unknown to the POS; the sale goes on without a phone", "customer_id", id)
		}
		found[id] = c
	}
	var b bytes.Buffer
	b.Grow(len(body) + 64*len(found) + 32)
	b.WriteString(`{"payload":`)
	b.Write(bytes.TrimSpace(body))
	b.WriteString(`,"customers":`)
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(found); err != nil {
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("encoding the looked-up customers: %w", err))
	}
	b.Truncate(b.Len() - 1) // the encoder's newline
	b.WriteByte('}')
	return b.Bytes(), nil
}

// customer fetches one customer; nil when the POS does not know it.
func (l *LookupSource) customer(ctx context.Context, id string) (*customer, error) {
	var endpoint, api string
	switch l.preset {
	case PresetSquare:
		endpoint, api = l.baseURL+"/v2/customers/"+url.PathEscape(id), "Square"
	default:
		endpoint, api = l.baseURL+"/v1.0/customers/"+url.PathEscape(id), "Loyverse"
	}
	req := l.client.R().SetContext(ctx).SetAuthToken(l.token)
	if l.preset == PresetSquare {
		req.SetHeader("Square-Version", l.squareVersion)
	}
	resp, err := req.Get(endpoint)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, classifyTransport(api, err)
	}
	raw := resp.Body()
	switch resp.StatusCode() {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, nil
	default:
		return nil, classifyStatus(api, resp.StatusCode(), resp.Header().Get("Retry-After"), raw, l.now())
	}
	if l.preset == PresetSquare {
		var r squareCustomerResponse
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fault.Retryable(fault.ClassTransient, fmt.Errorf("decoding the %s customer: %w", api, err), 0)
		}
		return r.customer(), nil
	}
	var c loyverseCustomer
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fault.Retryable(fault.ClassTransient, fmt.Errorf("decoding the %s customer: %w", api, err), 0)
	}
	return c.customer(), nil
}
