package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
	"golang.org/x/time/rate"

	"github.com/loyalhub/loyalhub/connectors/internal/httpclient"
)

// maxBatch is the most inputs HubSpot takes in one batch call.
const maxBatch = 100

// maxResponseBytes bounds an API answer read into memory.
const maxResponseBytes = 16 << 20

// API paths.
const (
	pathContactsRead   = "/crm/v3/objects/contacts/batch/read"
	pathContactsUpdate = "/crm/v3/objects/contacts/batch/update"
	pathDealsRead      = "/crm/v3/objects/deals/batch/read"
	pathDealContacts   = "/crm/v4/associations/deals/contacts/batch/read"
)

// dealProperties are the deal properties read.
var dealProperties = []string{"amount", "deal_currency_code", "dealstage", "dealname"}

// client calls HubSpot's CRM API for one portal. Every HTTP attempt,
// retries included, waits for the portal's rate limiter first.
type client struct {
	base     string
	client   *resty.Client
	interval time.Duration // the rate limit's window, the wait after a bare 429
	logger   *slog.Logger
}

// newLimiter returns a token bucket that never lets more than requests
// calls through in any interval: a tenth of the budget may go at once, the
// rest is spread evenly.
func newLimiter(requests int, interval time.Duration) *rate.Limiter {
	burst := max(1, requests/10)
	refill := requests - burst
	if refill <= 0 {
		refill = requests
	}
	return rate.NewLimiter(rate.Limit(float64(refill)/interval.Seconds()), burst)
}

func newClient(cfg *Config, logger *slog.Logger) *client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 32
	// Every attempt, retries included, waits for the portal's rate limiter
	// first; the HTTP layer retries only what HubSpot certainly did not
	// process. Everything else goes back to the caller, classified.
	rest := httpclient.New(httpclient.Options{
		Transport: transport,
		Timeout:   cfg.Timeout,
		Limiter:   newLimiter(cfg.RateLimit.Requests, cfg.RateLimit.Interval),
		Logger:    logger,
	}).
		SetResponseBodyLimit(maxResponseBytes).
		SetAuthToken(cfg.AccessToken)
	return &client{
		base:     strings.TrimRight(cfg.APIBaseURL, "/"),
		client:   rest,
		interval: cfg.RateLimit.Interval,
		logger:   logger,
	}
}

// post sends one JSON request and decodes a 2xx answer (200 or 207) into
// out. op names the call in errors.
func (c *client) post(ctx context.Context, op, path string, in, out any) (status int, err error) {
	body, err := json.Marshal(in)
	if err != nil {
		return 0, fmt.Errorf("%s: encoding request: %w", op, err)
	}
	resp, err := c.client.R().SetContext(ctx).SetBody(body).Post(c.base + path)
	if err != nil {
		return 0, classifyTransport(op, err)
	}
	if resp.StatusCode() < 200 || resp.StatusCode() > 299 {
		return resp.StatusCode(), classifyResponse(op, resp.StatusCode(), resp.Header(), resp.Body(), time.Now(), c.interval)
	}
	if out != nil && len(resp.Body()) > 0 {
		if err := json.Unmarshal(resp.Body(), out); err != nil {
			// HubSpot answered 2xx with something else than its JSON: a
			// proxy, most likely; try again later.
			return resp.StatusCode(), classifyTransport(op, fmt.Errorf("reading HTTP %d answer: %w", resp.StatusCode(), err))
		}
	}
	return resp.StatusCode(), nil
}

// readObjects batch-reads the records of objectType named by ids (at most
// maxBatch per call) with the given properties. Records that do not exist
// are left out.
func (c *client) readObjects(ctx context.Context, path, what string, ids, properties []string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for chunk := range slices.Chunk(ids, maxBatch) {
		inputs := make([]idInput, len(chunk))
		for i, id := range chunk {
			inputs[i] = idInput{ID: id}
		}
		var resp batchObjectsResponse
		op := fmt.Sprintf("reading %d %s", len(chunk), what)
		if _, err := c.post(ctx, op, path, batchReadRequest{Properties: properties, Inputs: inputs}, &resp); err != nil {
			return nil, err
		}
		for _, o := range resp.Results {
			props := map[string]string{}
			for _, p := range properties {
				if v := o.Properties[p]; v != nil {
					props[p] = *v
				}
			}
			out[string(o.ID)] = props
		}
		c.logPartial(op, resp.Errors)
	}
	return out, nil
}

// readDealContacts returns the ids of the contacts associated with each
// deal, in HubSpot's order (the first page of each).
func (c *client) readDealContacts(ctx context.Context, dealIDs []string) (map[string][]string, error) {
	out := map[string][]string{}
	for chunk := range slices.Chunk(dealIDs, maxBatch) {
		inputs := make([]idInput, len(chunk))
		for i, id := range chunk {
			inputs[i] = idInput{ID: id}
		}
		var resp associationsResponse
		op := fmt.Sprintf("reading the contacts of %d deals", len(chunk))
		if _, err := c.post(ctx, op, pathDealContacts, associationsRequest{Inputs: inputs}, &resp); err != nil {
			return nil, err
		}
		for _, r := range resp.Results {
			for _, to := range r.To {
				if to.ToObjectID != "" {
					out[string(r.From.ID)] = append(out[string(r.From.ID)], string(to.ToObjectID))
				}
			}
		}
		c.logPartial(op, resp.Errors)
	}
	return out, nil
}

// logPartial logs the errors of a partly successful batch read other than
// missing records and associations, which are expected.
func (c *client) logPartial(op string, errs []batchError) {
	for _, e := range errs {
		if e.Category == categoryObjectNotFound {
			continue
		}
		c.logger.Warn("hubspot batch partly failed", "op", op, "category", e.Category, "message", trimMessage(e.Message))
	}
}
