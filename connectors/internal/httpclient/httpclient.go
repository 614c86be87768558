// Package httpclient is the HTTP plumbing the connectors share: the one
// client every outbound call goes through (resty over go-retryablehttp),
// whose HTTP layer retries only what the other side certainly did not
// process, paces attempts with a connector's rate limit and bounds each with
// its timeout; the reading of Retry-After; and the classes of HTTP statuses
// and failed connections in core/fault's terms. What a vendor's answers mean
// beyond their status (Meta's error codes, HubSpot's categories, Shopify's
// GraphQL errors) stays in each connector's errors.go.
package httpclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"

	"github.com/loyalhub/loyalhub/core/fault"
)

// HTTP-layer retries of requests that certainly were not processed.
const (
	httpRetries  = 2
	retryWaitMin = 100 * time.Millisecond
	retryWaitMax = time.Second
)

// ErrRateLimited marks a request that could not get its turn from its
// client's Limiter before its context ended: a throttle of our own, to try
// again later.
var ErrRateLimited = errors.New("rate limit: no turn before the deadline")

// Options set up the client of one connector. The zero value sends at once,
// with no bound but the request's context, through a clone of
// http.DefaultTransport.
type Options struct {
	// Transport makes each attempt; default a clone of
	// http.DefaultTransport.
	Transport http.RoundTripper
	// Timeout bounds one attempt, from sending the request to reading the
	// end of its answer, but not its wait for Limiter: a long queue for a
	// rate limit is not a slow answer. Zero: no bound of its own.
	Timeout time.Duration
	// Limiter, when set, paces every attempt, the HTTP layer's retries
	// included. A request whose context would end before its turn fails at
	// once with ErrRateLimited.
	Limiter *rate.Limiter
	// Logger takes resty's own messages, at debug level; default none.
	Logger *slog.Logger
}

// New returns a resty client that sends and accepts JSON as opts say. Its
// HTTP layer (go-retryablehttp) is the only retry loop below the caller's:
// it sends a request again at most twice, and only when CheckRetry allows,
// after Backoff; resty's own retries are off. Everything the HTTP layer does
// not retry comes back to the caller to classify, and the caller's layer
// (Watermill's Retry middleware for a message, a request's own loop when a
// person waits) decides whether to try again later.
func New(opts Options) *resty.Client {
	transport := opts.Transport
	if transport == nil {
		transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	hc := &http.Client{Transport: transport, Timeout: opts.Timeout}
	if opts.Limiter != nil {
		hc = &http.Client{Transport: &pacedTransport{limiter: opts.Limiter, timeout: opts.Timeout, base: transport}}
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	rc := retryablehttp.NewClient()
	rc.HTTPClient = hc
	rc.Logger = nil
	rc.RetryMax = httpRetries
	rc.RetryWaitMin = retryWaitMin
	rc.RetryWaitMax = retryWaitMax
	rc.CheckRetry = CheckRetry
	rc.Backoff = Backoff
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	return resty.NewWithClient(rc.StandardClient()).
		SetRetryCount(0).
		SetLogger(restyLogger{logger}).
		SetHeader("Content-Type", "application/json").
		SetHeader("Accept", "application/json")
}

// Backoff is the wait before the HTTP layer's retry: the Retry-After the
// answer asked for (CheckRetry retries none longer than longest), or else
// exponential from shortest, at most longest.
func Backoff(shortest, longest time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d := RetryAfter(resp.Header.Get("Retry-After"), time.Now(), longest); d > 0 {
			return d
		}
	}
	return retryablehttp.DefaultBackoff(shortest, longest, attempt, nil)
}

// pacedTransport waits for the limiter, then makes one attempt bounded by
// timeout. The wait is outside the timeout.
type pacedTransport struct {
	limiter *rate.Limiter
	timeout time.Duration
	base    http.RoundTripper
}

func (t *pacedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.limiter.Wait(r.Context()); err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("%w: %w", ErrRateLimited, err)
	}
	if t.timeout <= 0 {
		return t.base.RoundTrip(r)
	}
	ctx, cancel := context.WithTimeout(r.Context(), t.timeout)
	resp, err := t.base.RoundTrip(r.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelBody ends an attempt's context once its answer is read.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// CheckRetry lets the HTTP layer retry only what the other side certainly
// did not process: failures to connect, and 502, 503 and 504 that ask for no
// wait longer than the HTTP layer's own (the caller's backoff honours a
// longer one).
func CheckRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if err != nil {
		if ctx.Err() != nil {
			return false, nil
		}
		return IsDialError(err), nil
	}
	switch resp.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if RetryAfter(resp.Header.Get("Retry-After"), time.Now(), MaxRetryAfter) > retryWaitMax {
			return false, nil
		}
		return true, nil
	}
	return false, nil
}

// IsDialError reports whether err happened while connecting, so the request
// certainly was not sent.
func IsDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// MaxRetryAfter is the longest wait RetryAfter reads when its caller sets no
// tighter bound: a day.
const MaxRetryAfter = 24 * time.Hour

// RetryAfter reads a Retry-After value, delay seconds or an HTTP date, as a
// wait from now of at most limit (a whole number of seconds); zero when
// absent, unreadable, not positive or in the past.
func RetryAfter(v string, now time.Time, limit time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(limit/time.Second) {
			return limit
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, limit)
		}
	}
	return 0
}

// StatusClass classifies an answer other than 2xx by its HTTP status alone:
// 429 is a throttle and 408 and 5xx transient, both retryable; 401 and 403
// are permanent auth failures (a bad credential or a missing permission: an
// operator must act); anything else is a permanent request failure, a
// request that cannot succeed as it is.
func StatusClass(status int) (class fault.Class, retryable bool) {
	switch {
	case status == http.StatusTooManyRequests:
		return fault.ClassThrottle, true
	case status >= 500 || status == http.StatusRequestTimeout:
		return fault.ClassTransient, true
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fault.ClassAuth, false
	default:
		return fault.ClassRequest, false
	}
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
