package inbox

import (
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/connectors/internal/httpclient"
	"github.com/loyalhub/loyalhub/core/fault"
)

// maxRetryAfter caps the delay an inbox may ask for.
const maxRetryAfter = time.Hour

// classify decides what the inbox's answer means: 2xx is success; 429,
// 408 and 5xx are retryable after the Retry-After the inbox asked for; 401
// and 403 are permanent auth failures (the inbox refused the signature:
// conversation.handoff.secret differs from the inbox's); any other answer
// is permanent: the same request cannot succeed (a wrong webhook_url
// answers 404).
func classify(status int, retryAfter string, now time.Time) error {
	if status >= 200 && status <= 299 {
		return nil
	}
	err := fmt.Errorf("posting to the inbox: it answered HTTP %d", status)
	class, retryable := httpclient.StatusClass(status)
	switch {
	case retryable:
		return fault.Retryable(class, err, httpclient.RetryAfter(retryAfter, now, maxRetryAfter))
	case class == fault.ClassAuth:
		return fault.Permanent(class, fmt.Errorf("%w (check conversation.handoff.secret)", err))
	default:
		return fault.Permanent(class, fmt.Errorf("%w (check conversation.handoff.webhook_url)", err))
	}
}
