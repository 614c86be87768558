package shopify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"github.com/loyalhub/loyalhub/core/fault"
)

// Inline retry of one Issue call: at most one more attempt, and only when
// the wait it needs is short. Longer waits go back to the caller as a
// retryable error with RetryAfter.
const (
	inlineRetryWait = 250 * time.Millisecond // when the answer names no delay
	maxInlineWait   = 2 * time.Second
)

// maxAnswerBytes bounds the Admin API answer read.
const maxAnswerBytes = 1 << 20

// adminClient calls one shop's Admin GraphQL API.
type adminClient struct {
	endpoint   string
	token      string
	apiVersion string
	discounts  map[string]Discount
	http       *http.Client
	limiter    *rate.Limiter
	logger     *slog.Logger
	now        func() time.Time
}

func newAdminClient(cfg *Config, logger *slog.Logger) *adminClient {
	a := cfg.Admin
	transport := http.DefaultTransport.(*http.Transport).Clone()
	return &adminClient{
		endpoint:   cfg.adminBaseURL() + "/admin/api/" + a.APIVersion + "/graphql.json",
		token:      a.AccessToken,
		apiVersion: a.APIVersion,
		discounts:  a.Discounts,
		http:       &http.Client{Transport: transport, Timeout: a.Timeout},
		limiter:    rate.NewLimiter(rate.Limit(a.RequestsPerSecond), 1),
		logger:     logger,
		now:        time.Now,
	}
}

// do sends one GraphQL request, paced by the limiter, and retries it once
// inline when the first answer is retryable after a short wait. Sending it
// again is safe: the request creates a code that is the same on every
// attempt, and an existing code counts as success.
func (a *adminClient) do(ctx context.Context, body []byte) error {
	for attempt := 0; ; attempt++ {
		if err := a.limiter.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fault.Retryable(fault.ClassThrottle, fmt.Errorf("pacing admin API calls: %w", err), 0)
		}
		err := a.post(ctx, body)
		if err == nil || attempt > 0 || fault.IsPermanent(err) || ctx.Err() != nil {
			return err
		}
		wait := fault.RetryAfter(err)
		if wait == 0 {
			wait = inlineRetryWait
		}
		if wait > maxInlineWait {
			return err
		}
		a.logger.Debug("shopify admin API call retried", "after", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// post makes one HTTP request and classifies its answer.
func (a *adminClient) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.endpoint, bytes.NewReader(body))
	if err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("building admin API request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Shopify-Access-Token", a.token)
	resp, err := a.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ue interface{ Timeout() bool }
		if errors.As(err, &ue) && ue.Timeout() {
			return fault.Retryable(fault.ClassTransient, fmt.Errorf("calling shopify admin API: timed out after %s", a.http.Timeout), 0)
		}
		return fault.Retryable(fault.ClassTransient, fmt.Errorf("calling shopify admin API: %w", err), 0)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return fault.Retryable(fault.ClassTransient, fmt.Errorf("reading shopify admin API answer: %w", err), 0)
	}
	return classify(resp.StatusCode, resp.Header, answer, a.now())
}
