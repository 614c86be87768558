// Package httpclient is the HTTP plumbing the connectors share: a JSON
// client whose HTTP layer retries only what the other side certainly did not
// process, the reading of Retry-After, and the classes of HTTP statuses and
// failed connections in core/fault's terms. What a vendor's answers mean
// beyond their status (Meta's error codes, HubSpot's categories, Shopify's
// GraphQL errors) stays in each connector's errors.go.
package httpclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/loyalhub/loyalhub/core/fault"
)

// HTTP-layer retries of requests that certainly were not processed.
const (
	httpRetries  = 2
	retryWaitMin = 100 * time.Millisecond
	retryWaitMax = time.Second
)

// New returns a resty client that sends and accepts JSON through hc. Its
// HTTP layer (go-retryablehttp) retries a request at most twice, and only
// when CheckRetry allows; resty's own retries are off, and its messages go
// to logger at debug level. Everything the HTTP layer does not retry comes
// back to the caller to classify.
func New(hc *http.Client, logger *slog.Logger) *resty.Client {
	rc := retryablehttp.NewClient()
	rc.HTTPClient = hc
	rc.Logger = nil
	rc.RetryMax = httpRetries
	rc.RetryWaitMin = retryWaitMin
	rc.RetryWaitMax = retryWaitMax
	rc.CheckRetry = CheckRetry
	rc.Backoff = retryablehttp.DefaultBackoff
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	return resty.NewWithClient(rc.StandardClient()).
		SetRetryCount(0).
		SetLogger(restyLogger{logger}).
		SetHeader("Content-Type", "application/json").
		SetHeader("Accept", "application/json")
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
