package shopify

import (
	"context"
	"log/slog"
	"time"

	"github.com/go-resty/resty/v2"
	"golang.org/x/time/rate"

	"github.com/loyalhub/loyalhub/connectors/internal/httpclient"
)

// maxAnswerBytes bounds the Admin API answer read.
const maxAnswerBytes = 1 << 20

// adminClient calls one shop's Admin GraphQL API.
type adminClient struct {
	endpoint   string
	apiVersion string
	timeout    time.Duration
	discounts  map[string]Discount
	client     *resty.Client
	now        func() time.Time
}

func newAdminClient(cfg *Config, logger *slog.Logger) *adminClient {
	a := cfg.Admin
	return &adminClient{
		endpoint:   cfg.adminBaseURL() + "/admin/api/" + a.APIVersion + "/graphql.json",
		apiVersion: a.APIVersion,
		timeout:    a.Timeout,
		discounts:  a.Discounts,
		// Every attempt waits for admin.requests_per_second; the HTTP
		// layer asks again only for what Shopify certainly did not
		// process, and the caller for the rest, after its RetryAfter.
		client: httpclient.New(httpclient.Options{
			Timeout: a.Timeout,
			Limiter: rate.NewLimiter(rate.Limit(a.RequestsPerSecond), 1),
			Logger:  logger,
		}).
			SetResponseBodyLimit(maxAnswerBytes).
			SetHeader("X-Shopify-Access-Token", a.AccessToken),
		now: time.Now,
	}
}

// post sends one GraphQL request and classifies its answer. Sending it
// again is safe: the request creates a code that is the same on every
// attempt, and an existing code counts as success.
func (a *adminClient) post(ctx context.Context, body []byte) error {
	resp, err := a.client.R().SetContext(ctx).SetBody(body).Post(a.endpoint)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return classifyTransport(err, a.timeout)
	}
	return classify(resp.StatusCode(), resp.Header(), resp.Body(), a.now())
}
