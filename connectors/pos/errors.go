package pos

import (
	"errors"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/connectors/internal/httpclient"
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
	class, retryable := fault.ClassTransient, true
	if status >= 400 {
		class, retryable = httpclient.StatusClass(status)
	}
	switch {
	case retryable:
		return fault.Retryable(class, err, httpclient.RetryAfter(retryAfter, now, maxRetryAfter))
	case class == fault.ClassAuth:
		return fault.Permanent(class, fmt.Errorf("%w (check lookup.access_token and its CUSTOMERS_READ permission)", err))
	default:
		return fault.Permanent(class, err)
	}
}

// classifyTransport turns a lookup that got no answer into a retryable
// fault: a throttle when it could not get its turn from lookup.requests_per_second
// before its deadline, transient otherwise.
func classifyTransport(api string, err error) error {
	if errors.Is(err, httpclient.ErrRateLimited) {
		return fault.Retryable(fault.ClassThrottle, fmt.Errorf("waiting for the lookup rate limit: %w", err), 0)
	}
	return fault.Retryable(fault.ClassTransient, fmt.Errorf("calling the %s customer API: %w", api, err), 0)
}
