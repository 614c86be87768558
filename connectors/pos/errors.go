package pos

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/fault"
)

// maxRetryAfter caps the delay a customer API may ask for.
const maxRetryAfter = time.Hour

// classifyStatus turns a customer API's answer other than 200 and 404 into
// a fault: 401 and 403 are permanent (the access token is wrong or lacks
// CUSTOMERS_READ: an operator must act), 429 and 5xx retryable after the
// Retry-After the API asked for, 408 retryable, any other 4xx permanent
// (a request the API will never accept), anything else retryable.
func classifyStatus(api string, status int, retryAfter string, body []byte, now time.Time) error {
	msg := fmt.Sprintf("%s customer API answered HTTP %d", api, status)
	if detail := apiErrors(body); detail != "" {
		msg += ": " + detail
	}
	err := fmt.Errorf("%s", msg)
	after := parseRetryAfter(retryAfter, now)
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fault.Permanent(fault.ClassAuth, fmt.Errorf("%w (check lookup.access_token and its CUSTOMERS_READ permission)", err))
	case status == http.StatusTooManyRequests:
		return fault.Retryable(fault.ClassThrottle, err, after)
	case status == http.StatusRequestTimeout, status >= 500:
		return fault.Retryable(fault.ClassTransient, err, after)
	case status >= 400:
		return fault.Permanent(fault.ClassRequest, err)
	default:
		return fault.Retryable(fault.ClassTransient, err, after)
	}
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date. Zero when absent, unreadable or in the past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
