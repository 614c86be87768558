// Package cloud is the WhatsApp Cloud API wire protocol shared by the
// connectors that speak it: Meta's own (whatsapp_cloud) and 360dialog's
// (whatsapp_360dialog), which forwards the same bodies and answers. It holds
// the request encoding, the error classification, the throughput limits and
// the client that sends from one business number.
package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/sony/gobreaker/v2"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/internal/httpclient"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// CodePairRateLimit is Meta's per-recipient rate limit: it says nothing
// about the number's health, so the breaker ignores it.
const CodePairRateLimit = "131056"

// CodeThroughputReached is Meta's code for a number over its messages
// per second.
const CodeThroughputReached = "130429"

// Options say where a Client sends and how.
type Options struct {
	// Connector is the connector type, for error messages.
	Connector string
	// Account names the business number in logs and errors: Meta's phone
	// number id, or 360dialog's channel.
	Account string
	// MessagesURL is the send endpoint.
	MessagesURL string
	// Header is added to every request: the credentials.
	Header http.Header
	// Timeout bounds one HTTP attempt.
	Timeout    time.Duration
	Breaker    Breaker
	Throughput Throughput
	Logger     *slog.Logger
}

// Client sends messages from one business phone number. It is safe for
// concurrent use; its circuit breaker and throughput limits cover that number
// only, so build one Client per tenant and number.
type Client struct {
	opts     Options
	logger   *slog.Logger
	client   *resty.Client
	breaker  *gobreaker.CircuitBreaker[messaging.Result]
	openedAt atomic.Int64 // unix nanoseconds when the breaker last opened
	limits   *limits
}

// New builds a client from validated options; it does no I/O.
func New(opts Options) (*Client, error) {
	if opts.MessagesURL == "" {
		return nil, errors.New("building whatsapp client: no messages URL")
	}
	if err := opts.Breaker.Validate(); err != nil {
		return nil, fmt.Errorf("building whatsapp client: %w", err)
	}
	if err := opts.Throughput.Validate(); err != nil {
		return nil, fmt.Errorf("building whatsapp client: %w", err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{opts: opts, logger: logger, limits: newLimits(opts.Throughput)}

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 256
	// The HTTP layer retries only what the BSP certainly did not process:
	// failures to connect, and 502/503/504 with no long Retry-After.
	c.client = httpclient.New(httpclient.Options{Transport: transport, Timeout: opts.Timeout, Logger: logger})
	for k, vs := range opts.Header {
		for _, v := range vs {
			c.client.Header.Add(k, v)
		}
	}

	maxFailures := uint32(opts.Breaker.MaxFailures)
	c.breaker = gobreaker.NewCircuitBreaker[messaging.Result](gobreaker.Settings{
		Name:        opts.Connector + "/" + opts.Account,
		MaxRequests: 1,
		Timeout:     opts.Breaker.OpenFor,
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= maxFailures },
		// Permanent errors (a bad number, a missing template) say nothing
		// about the number's health.
		IsSuccessful: func(err error) bool { return err == nil || fault.IsPermanent(err) },
		// The pair limit is about one recipient, and the number's
		// throughput reached (130429) about our pace, which the limiter
		// and the retry's backoff correct: neither says the number is
		// failing. Counting 130429 opened the breaker of a number sending
		// at its throughput whenever a few sends landed in the next second.
		IsExcluded: func(err error) bool {
			code := fault.CodeOf(err)
			return errors.Is(err, context.Canceled) || code == CodePairRateLimit || code == CodeThroughputReached
		},
		OnStateChange: func(_ string, from, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				c.openedAt.Store(time.Now().UnixNano())
			}
			c.logger.Warn("whatsapp circuit breaker changed state",
				"account", opts.Account, "from", from.String(), "to", to.String())
		},
	})
	return c, nil
}

// Send delivers one message. It first waits for the number's throughput
// limit and the recipient's pair limit; a wait longer than the pair limit
// allows inline comes back as a retryable error with the delay, so nothing
// fails because of our own limits. Errors are *fault.Error values (wrapped):
// permanent ones carry Meta's code, retryable ones a RetryAfter when known; a
// request that may have reached the BSP without an answer is transient with
// code connectors.AmbiguousCode.
func (c *Client) Send(ctx context.Context, cmd messaging.Command) (messaging.Result, error) {
	body, err := Encode(cmd)
	if err != nil {
		return messaging.Result{}, fmt.Errorf("sending message: %w", fault.Permanent(fault.ClassRequest, err))
	}
	if err := ctx.Err(); err != nil {
		return messaging.Result{}, fmt.Errorf("sending %s message: %w", cmd.Kind, err)
	}
	recipient := cmd.To
	if recipient == "" {
		recipient = cmd.UserID
	}
	if c.breaker.State() == gobreaker.StateOpen {
		// Fail fast without taking the recipient's turn.
		return messaging.Result{}, fmt.Errorf("sending %s message: %w", cmd.Kind, c.breakerOpen(gobreaker.ErrOpenState))
	}
	refund, err := c.limits.wait(ctx, recipient)
	if err != nil {
		return messaging.Result{}, fmt.Errorf("sending %s message: %w", cmd.Kind, err)
	}
	res, err := c.breaker.Execute(func() (messaging.Result, error) { return c.post(ctx, body) })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		err = c.breakerOpen(err)
	}
	if err != nil && fault.CodeOf(err) != connectors.AmbiguousCode {
		// WhatsApp did not take the message: the recipient got nothing.
		refund()
	}
	if err != nil {
		if fault.CodeOf(err) == CodePairRateLimit {
			// Meta counts this recipient as busier than we did: hold back.
			if d := c.limits.penalise(recipient); d > fault.RetryAfter(err) {
				err = &fault.Error{Err: err, Class: fault.ClassThrottle, Code: CodePairRateLimit, RetryAfter: d}
			}
		}
		return messaging.Result{}, fmt.Errorf("sending %s message: %w", cmd.Kind, err)
	}
	c.logger.Debug("whatsapp message sent", "key", cmd.Key, "kind", cmd.Kind,
		"to", member.MaskPhone(recipient), "wamid", res.ProviderMessageID)
	return res, nil
}

// MarkRead marks an inbound message as read. It goes through the breaker
// but not the throughput limits: it sends nothing to the customer.
func (c *Client) MarkRead(ctx context.Context, messageID string) error {
	body, err := EncodeRead(messageID)
	if err != nil {
		return fault.Permanent(fault.ClassRequest, err)
	}
	_, err = c.breaker.Execute(func() (messaging.Result, error) {
		resp, err := c.client.R().SetContext(ctx).SetBody(body).Post(c.opts.MessagesURL)
		if err != nil {
			return messaging.Result{}, classifyTransport(err, false)
		}
		if resp.StatusCode() < 200 || resp.StatusCode() > 299 {
			return messaging.Result{}, classifyResponse(resp.StatusCode(), resp.Header(), resp.Body(), time.Now())
		}
		return messaging.Result{}, nil
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		err = c.breakerOpen(err)
	}
	if err != nil {
		return fmt.Errorf("marking message as read: %w", err)
	}
	return nil
}

// breakerOpen is the retryable error of a send the breaker refused.
func (c *Client) breakerOpen(err error) error {
	openFor := c.opts.Breaker.OpenFor
	wait := openFor - time.Since(time.Unix(0, c.openedAt.Load()))
	if wait <= 0 || errors.Is(err, gobreaker.ErrTooManyRequests) {
		// A trial send is in flight: look again soon.
		wait = max(min(openFor/10, time.Second), 10*time.Millisecond)
	}
	return &fault.Error{
		Err:        fmt.Errorf("business number %s is failing, circuit breaker open: %w", c.opts.Account, err),
		Class:      fault.ClassThrottle,
		Code:       connectors.BreakerOpenCode,
		RetryAfter: wait,
	}
}

// post makes one send request, with the HTTP layer's retries.
func (c *Client) post(ctx context.Context, body []byte) (messaging.Result, error) {
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{
		GetConn:      func(string) { wrote.Store(false) },
		WroteRequest: func(info httptrace.WroteRequestInfo) { wrote.Store(info.Err == nil) },
	}
	resp, err := c.client.R().
		SetContext(httptrace.WithClientTrace(ctx, trace)).
		SetBody(body).
		Post(c.opts.MessagesURL)
	if err != nil {
		return messaging.Result{}, classifyTransport(err, wrote.Load())
	}
	if resp.StatusCode() < 200 || resp.StatusCode() > 299 {
		return messaging.Result{}, classifyResponse(resp.StatusCode(), resp.Header(), resp.Body(), time.Now())
	}
	var sr sendResponse
	if err := json.Unmarshal(resp.Body(), &sr); err != nil || len(sr.Messages) == 0 || sr.Messages[0].ID == "" {
		// The BSP accepted something but the answer is unreadable: the
		// message may well be on its way.
		return messaging.Result{}, &fault.Error{
			Err:   fmt.Errorf("reading send response: no message id in HTTP %d answer of %d bytes", resp.StatusCode(), len(resp.Body())),
			Class: fault.ClassTransient,
			Code:  connectors.AmbiguousCode,
		}
	}
	res := messaging.Result{ProviderMessageID: sr.Messages[0].ID}
	if len(sr.Contacts) > 0 {
		res.WaID, res.UserID = sr.Contacts[0].WaID, sr.Contacts[0].UserID
	}
	return res, nil
}
