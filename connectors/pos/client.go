package pos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/time/rate"

	"github.com/loyalhub/loyalhub/connectors"
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
	http          *http.Client
	limiter       *rate.Limiter
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
		http:          &http.Client{Timeout: s.lookup.timeout},
		limiter:       rate.NewLimiter(rate.Limit(s.lookup.rps), 1),
		log:           log.With("connector_type", Name, "preset", s.preset),
		now:           time.Now,
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
	if !ok || len(ids) == 0 || l.http == nil {
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
	if err := l.limiter.Wait(ctx); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		// The deadline comes before our turn: try again later.
		return nil, fault.Retryable(fault.ClassThrottle, fmt.Errorf("waiting for the lookup rate limit: %w", err), 0)
	}
	var endpoint, api string
	switch l.preset {
	case PresetSquare:
		endpoint, api = l.baseURL+"/v2/customers/"+url.PathEscape(id), "Square"
	default:
		endpoint, api = l.baseURL+"/v1.0/customers/"+url.PathEscape(id), "Loyverse"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("building the request: %w", err))
	}
	req.Header.Set("Authorization", "Bearer "+l.token)
	req.Header.Set("Accept", "application/json")
	if l.preset == PresetSquare {
		req.Header.Set("Square-Version", l.squareVersion)
	}
	resp, err := l.http.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fault.Retryable(fault.ClassTransient, fmt.Errorf("calling the %s customer API: %w", api, err), 0)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxCustomerResponse))
	if err != nil {
		return nil, fault.Retryable(fault.ClassTransient, fmt.Errorf("reading the %s customer API response: %w", api, err), 0)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, nil
	default:
		return nil, classifyStatus(api, resp.StatusCode, resp.Header.Get("Retry-After"), raw, l.now())
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
