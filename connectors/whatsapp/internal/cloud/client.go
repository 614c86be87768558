// Package cloud is the WhatsApp Cloud API wire protocol shared by the
// connectors that speak it: Meta's own (whatsapp_cloud) and 360dialog's
// (whatsapp_360dialog), which forwards the same bodies and answers. It holds
// the request encoding, the error classification, the throughput limits and
// the client that sends from one business number. A BSP with a protocol of
// its own (Twilio's) drives the same client, limits and breaker through a
// Protocol.
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
	// Rates, when set, hold the number's throughput limit for every
	// replica of the hub (connectors.Deps.Rates); nil limits this process.
	Rates  connectors.RateLimits
	Logger *slog.Logger
	// Protocol writes the requests and reads the answers. Default: the
	// Cloud API's JSON, sent to MessagesURL.
	Protocol Protocol
}

// Protocol is how a BSP's requests are written and its answers read.
type Protocol interface {
	// Encode renders the send request body of a command; an error is a
	// command the BSP cannot carry.
	Encode(cmd messaging.Command) ([]byte, error)
	// EncodeRead renders the request marking an inbound message read:
	// where it goes and its body.
	EncodeRead(messageID string) (endpoint string, body []byte, err error)
	// Decode reads the answer to an accepted send; ok is false when it
	// names no message.
	Decode(body []byte) (res messaging.Result, ok bool)
	// Classify turns an answer other than 2xx into a classified error.
	Classify(status int, header http.Header, body []byte, now time.Time) *fault.Error
}

// Router is a Protocol whose requests go to more than one endpoint, or
// mark messages read with another HTTP method than POST.
type Router interface {
	Protocol
	// EncodeTo renders the send request of a command and where it goes.
	EncodeTo(cmd messaging.Command) (endpoint string, body []byte, err error)
	// ReadMethod is the HTTP method of the request EncodeRead renders.
	ReadMethod() string
}

// cloudProtocol is the Cloud API's JSON protocol.
type cloudProtocol struct{ messagesURL string }

func (cloudProtocol) Encode(cmd messaging.Command) ([]byte, error) { return Encode(cmd) }

func (p cloudProtocol) EncodeRead(messageID string) (string, []byte, error) {
	body, err := EncodeRead(messageID)
	return p.messagesURL, body, err
}

func (cloudProtocol) Decode(body []byte) (messaging.Result, bool) {
	var sr sendResponse
	if err := json.Unmarshal(body, &sr); err != nil || len(sr.Messages) == 0 || sr.Messages[0].ID == "" {
		return messaging.Result{}, false
	}
	res := messaging.Result{ProviderMessageID: sr.Messages[0].ID}
	if len(sr.Contacts) > 0 {
		res.WaID, res.UserID = sr.Contacts[0].WaID, sr.Contacts[0].UserID
	}
	return res, true
}

func (cloudProtocol) Classify(status int, header http.Header, body []byte, now time.Time) *fault.Error {
	return classifyResponse(status, header, body, now)
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
	if opts.Protocol == nil {
		opts.Protocol = cloudProtocol{messagesURL: opts.MessagesURL}
	}
	c := &Client{opts: opts, logger: logger, limits: newLimits(opts.Throughput, opts.Rates, opts.Connector+"/"+opts.Account)}

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 256
	// The HTTP layer retries only what the BSP certainly did not process:
	// failures to connect, and 502/503/504 with no long Retry-After.
	c.client = httpclient.New(httpclient.Options{Transport: transport, Timeout: opts.Timeout, Logger: logger})
	for k, vs := range opts.Header {
		c.client.Header.Del(k) // the options' values replace the defaults
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

// Breaker reports the number's circuit breaker state and when it last
// opened (connectors.BreakerReporter).
func (c *Client) Breaker() (state string, openedAt time.Time) {
	if n := c.openedAt.Load(); n != 0 {
		openedAt = time.Unix(0, n)
	}
	return c.breaker.State().String(), openedAt
}

// Send delivers one message. It first waits for the number's throughput
// limit and the recipient's pair limit; a wait longer than the pair limit
// allows inline comes back as a retryable error with the delay, so nothing
// fails because of our own limits. Errors are *fault.Error values (wrapped):
// permanent ones carry Meta's code, retryable ones a RetryAfter when known; a
// request that may have reached the BSP without an answer is transient with
// code connectors.AmbiguousCode.
func (c *Client) Send(ctx context.Context, cmd messaging.Command) (messaging.Result, error) {
	endpoint := c.opts.MessagesURL
	var body []byte
	var err error
	if r, ok := c.opts.Protocol.(Router); ok {
		endpoint, body, err = r.EncodeTo(cmd)
	} else {
		body, err = c.opts.Protocol.Encode(cmd)
	}
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
	res, err := c.breaker.Execute(func() (messaging.Result, error) { return c.post(ctx, endpoint, body) })
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
			if d := c.limits.penalise(ctx, recipient); d > fault.RetryAfter(err) {
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
	endpoint, body, err := c.opts.Protocol.EncodeRead(messageID)
	if err != nil {
		return fault.Permanent(fault.ClassRequest, err)
	}
	_, err = c.breaker.Execute(func() (messaging.Result, error) {
		method := http.MethodPost
		if r, ok := c.opts.Protocol.(Router); ok {
			method = r.ReadMethod()
		}
		resp, err := c.client.R().SetContext(ctx).SetBody(body).Execute(method, endpoint)
		if err != nil {
			return messaging.Result{}, classifyTransport(err, false)
		}
		if resp.StatusCode() < 200 || resp.StatusCode() > 299 {
			return messaging.Result{}, c.opts.Protocol.Classify(resp.StatusCode(), resp.Header(), resp.Body(), time.Now())
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
func (c *Client) post(ctx context.Context, endpoint string, body []byte) (messaging.Result, error) {
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{
		GetConn:      func(string) { wrote.Store(false) },
		WroteRequest: func(info httptrace.WroteRequestInfo) { wrote.Store(info.Err == nil) },
	}
	resp, err := c.client.R().
		SetContext(httptrace.WithClientTrace(ctx, trace)).
		SetBody(body).
		Post(endpoint)
	if err != nil {
		return messaging.Result{}, classifyTransport(err, wrote.Load())
	}
	if resp.StatusCode() < 200 || resp.StatusCode() > 299 {
		return messaging.Result{}, c.opts.Protocol.Classify(resp.StatusCode(), resp.Header(), resp.Body(), time.Now())
	}
	res, ok := c.opts.Protocol.Decode(resp.Body())
	if !ok {
		// The BSP accepted something but the answer is unreadable: the
		// message may well be on its way.
		return messaging.Result{}, &fault.Error{
			Err:   fmt.Errorf("reading send response: no message id in HTTP %d answer of %d bytes", resp.StatusCode(), len(resp.Body())),
			Class: fault.ClassTransient,
			Code:  connectors.AmbiguousCode,
		}
	}
	return res, nil
}
