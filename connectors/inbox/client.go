// Package inbox posts handed-off conversations to a tenant's agents'
// inbox: the handoff webhook, a JSON POST signed with the tenant's
// conversation.handoff.secret. It is the hub's client of that outside
// system; what the events say is the pipelines' business.
//
// Retries: the HTTP layer of the shared client asks again, at once, only
// for what the inbox certainly did not receive (a failed connection; a 502,
// 503 or 504 without a long Retry-After, whose short one it waits). Every
// other failure comes back classified (errors.go): retryable ones, with the
// Retry-After the inbox asked for, for the caller's retry (the pipeline
// processes the customer's message again); permanent ones (a 4xx: a wrong
// URL, a refused signature) need an operator and are not retried.
package inbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/loyalhub/loyalhub/connectors/internal/httpclient"
	"github.com/loyalhub/loyalhub/core/fault"
)

// SignatureHeader carries the hex HMAC-SHA256 of an event's body, keyed
// with the tenant's conversation.handoff.secret.
const SignatureHeader = "X-Loyalhub-Signature"

// DefaultTimeout bounds one attempt at posting an event.
const DefaultTimeout = 10 * time.Second

// maxAnswerBytes bounds the inbox's answer read: only its status matters.
const maxAnswerBytes = 1 << 16

// Client posts events to inboxes. It is safe for concurrent use; one
// serves every tenant, each call naming its inbox.
type Client struct {
	client *resty.Client
	now    func() time.Time
}

// New returns a client whose attempts are bounded by timeout (DefaultTimeout
// when zero). It does no I/O.
func New(timeout time.Duration, logger *slog.Logger) *Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Client{
		client: httpclient.New(httpclient.Options{Timeout: timeout, Logger: logger}).
			SetResponseBodyLimit(maxAnswerBytes),
		now: time.Now,
	}
}

// Post sends body, an event encoded as JSON, to the inbox at url, signed
// with secret in SignatureHeader. Any 2xx answer is success. Errors are
// classified with core/fault: see the package comment.
func (c *Client) Post(ctx context.Context, url, secret string, body []byte) error {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	resp, err := c.client.R().
		SetContext(ctx).
		SetHeader(SignatureHeader, hex.EncodeToString(mac.Sum(nil))).
		SetBody(body).
		Post(url)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("posting to the inbox: %w", ctxErr)
		}
		return fault.Retryable(fault.ClassTransient, fmt.Errorf("posting to the inbox: %w", err), 0)
	}
	return classify(resp.StatusCode(), resp.Header().Get("Retry-After"), c.now())
}
