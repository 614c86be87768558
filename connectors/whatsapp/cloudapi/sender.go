package cloudapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/sony/gobreaker/v2"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// HTTP-layer retries of requests that certainly were not processed.
const (
	httpRetries  = 2
	retryWaitMin = 100 * time.Millisecond
	retryWaitMax = time.Second
)

// codePairRateLimit is Meta's per-recipient rate limit: it says nothing about
// the number's health, so the breaker ignores it.
const codePairRateLimit = "131056"

// Sender sends messages from one business phone number. It is safe for
// concurrent use; its circuit breaker covers that number only, so build one
// Sender per tenant and number.
type Sender struct {
	cfg      Config
	logger   *slog.Logger
	endpoint string
	client   *resty.Client
	breaker  *gobreaker.CircuitBreaker[messaging.Result]
	openedAt atomic.Int64 // unix nanoseconds when the breaker last opened
}

var _ connectors.Sender = (*Sender)(nil)

// NewSender builds a sender from a validated config; it does no I/O. A nil
// logger discards logs.
func NewSender(cfg Config, logger *slog.Logger) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("validating config: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	endpoint, err := url.JoinPath(cfg.BaseURL, cfg.GraphVersion, cfg.PhoneNumberID, "messages")
	if err != nil {
		return nil, fmt.Errorf("building endpoint URL: %w", err)
	}
	s := &Sender{cfg: cfg, logger: logger, endpoint: endpoint}

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{Transport: transport, Timeout: cfg.Timeout}
	rc.Logger = nil
	rc.RetryMax = httpRetries
	rc.RetryWaitMin = retryWaitMin
	rc.RetryWaitMax = retryWaitMax
	rc.CheckRetry = checkRetry
	rc.Backoff = retryablehttp.DefaultBackoff
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	s.client = resty.NewWithClient(rc.StandardClient()).
		SetRetryCount(0).
		SetLogger(restyLogger{logger}).
		SetAuthToken(cfg.AccessToken).
		SetHeader("Content-Type", "application/json").
		SetHeader("Accept", "application/json")

	maxFailures := uint32(cfg.Breaker.MaxFailures)
	s.breaker = gobreaker.NewCircuitBreaker[messaging.Result](gobreaker.Settings{
		Name:        TypeName + "/" + cfg.PhoneNumberID,
		MaxRequests: 1,
		Timeout:     cfg.Breaker.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= maxFailures },
		// Permanent errors (a bad number, a missing template) say nothing
		// about the number's health.
		IsSuccessful: func(err error) bool { return err == nil || fault.IsPermanent(err) },
		IsExcluded: func(err error) bool {
			return isCancelled(err) || fault.CodeOf(err) == codePairRateLimit
		},
		OnStateChange: func(_ string, from, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				s.openedAt.Store(time.Now().UnixNano())
			}
			s.logger.Warn("whatsapp circuit breaker changed state",
				"phone_number_id", cfg.PhoneNumberID, "from", from.String(), "to", to.String())
		},
	})
	return s, nil
}

// checkRetry lets the HTTP layer retry only what Meta certainly did not
// process: failures to connect, and 502/503/504 with no long Retry-After.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if err != nil {
		if ctx.Err() != nil {
			return false, nil
		}
		return isDialError(err), nil
	}
	switch resp.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()) > retryWaitMax {
			return false, nil // the caller's backoff honours it
		}
		return true, nil
	}
	return false, nil
}

// Send delivers one template or text message. Errors are *fault.Error values
// (wrapped): permanent ones carry Meta's code, retryable ones a RetryAfter
// when known; a request that may have reached Meta without an answer is
// transient with code connectors.AmbiguousCode.
func (s *Sender) Send(ctx context.Context, cmd messaging.Command) (messaging.Result, error) {
	body, err := encode(cmd)
	if err != nil {
		return messaging.Result{}, fmt.Errorf("sending message: %w", fault.Permanent(fault.ClassRequest, err))
	}
	if err := ctx.Err(); err != nil {
		return messaging.Result{}, fmt.Errorf("sending %s message: %w", cmd.Kind, err)
	}
	res, err := s.breaker.Execute(func() (messaging.Result, error) { return s.post(ctx, body) })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		err = s.breakerOpen(err)
	}
	if err != nil {
		return messaging.Result{}, fmt.Errorf("sending %s message: %w", cmd.Kind, err)
	}
	s.logger.Debug("whatsapp message sent", "key", cmd.Key, "kind", cmd.Kind,
		"to", member.MaskPhone(cmd.To), "wamid", res.ProviderMessageID)
	return res, nil
}

// breakerOpen is the retryable error of a send the breaker refused.
func (s *Sender) breakerOpen(err error) error {
	wait := s.cfg.Breaker.OpenFor - time.Since(time.Unix(0, s.openedAt.Load()))
	if wait <= 0 || errors.Is(err, gobreaker.ErrTooManyRequests) {
		// A trial send is in flight: look again soon.
		wait = max(min(s.cfg.Breaker.OpenFor/10, time.Second), 10*time.Millisecond)
	}
	return &fault.Error{
		Err:        fmt.Errorf("phone number %s is failing, circuit breaker open: %w", s.cfg.PhoneNumberID, err),
		Class:      fault.ClassThrottle,
		Code:       connectors.BreakerOpenCode,
		RetryAfter: wait,
	}
}

// post makes one send request, with the HTTP layer's retries.
func (s *Sender) post(ctx context.Context, body []byte) (messaging.Result, error) {
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{
		GetConn:      func(string) { wrote.Store(false) },
		WroteRequest: func(info httptrace.WroteRequestInfo) { wrote.Store(info.Err == nil) },
	}
	resp, err := s.client.R().
		SetContext(httptrace.WithClientTrace(ctx, trace)).
		SetBody(body).
		Post(s.endpoint)
	if err != nil {
		return messaging.Result{}, classifyTransport(err, wrote.Load())
	}
	if resp.StatusCode() < 200 || resp.StatusCode() > 299 {
		return messaging.Result{}, classifyResponse(resp.StatusCode(), resp.Header(), resp.Body(), time.Now())
	}
	var sr sendResponse
	if err := json.Unmarshal(resp.Body(), &sr); err != nil || len(sr.Messages) == 0 || sr.Messages[0].ID == "" {
		// Meta accepted something but the answer is unreadable: the message
		// may well be on its way.
		return messaging.Result{}, &fault.Error{
			Err:   fmt.Errorf("reading send response: no message id in HTTP %d answer of %d bytes", resp.StatusCode(), len(resp.Body())),
			Class: fault.ClassTransient,
			Code:  connectors.AmbiguousCode,
		}
	}
	res := messaging.Result{ProviderMessageID: sr.Messages[0].ID}
	if len(sr.Contacts) > 0 {
		res.WaID = sr.Contacts[0].WaID
	}
	return res, nil
}

// encode renders a command as a Cloud API send request.
func encode(cmd messaging.Command) ([]byte, error) {
	if err := cmd.Validate(); err != nil {
		return nil, err
	}
	to := member.WhatsAppID(cmd.To)
	if !isDigits(to) {
		return nil, fmt.Errorf("recipient %q is not an E.164 phone number", member.MaskPhone(cmd.To))
	}
	req := sendRequest{
		MessagingProduct:      "whatsapp",
		RecipientType:         "individual",
		To:                    to,
		BizOpaqueCallbackData: cmd.Key,
		Type:                  cmd.Kind,
	}
	switch cmd.Kind {
	case messaging.KindTemplate:
		t := &template{Name: cmd.Template.Name, Language: language{Code: cmd.Template.Language}}
		if len(cmd.Template.BodyParams) > 0 {
			params := make([]parameter, len(cmd.Template.BodyParams))
			for i, p := range cmd.Template.BodyParams {
				params[i] = parameter{Type: "text", Text: p}
			}
			t.Components = []component{{Type: "body", Parameters: params}}
		}
		req.Template = t
	case messaging.KindText:
		req.Text = &text{Body: cmd.Text}
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encoding send request: %w", err)
	}
	return b, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

// restyLogger sends resty's own messages to slog at debug level.
type restyLogger struct{ l *slog.Logger }

func (r restyLogger) Errorf(format string, v ...any) {
	r.l.Debug("resty: " + fmt.Sprintf(format, v...))
}
func (r restyLogger) Warnf(format string, v ...any) { r.l.Debug("resty: " + fmt.Sprintf(format, v...)) }
func (r restyLogger) Debugf(format string, v ...any) {
	r.l.Debug("resty: " + fmt.Sprintf(format, v...))
}
