package hubspot

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/connectors/internal/httpclient"
	"github.com/loyalhub/loyalhub/core/fault"
)

// APIError is an answer of HubSpot's API other than 2xx.
type APIError struct {
	Op         string // what was being done, such as "reading contacts"
	HTTPStatus int
	Category   string // HubSpot's error category, such as VALIDATION_ERROR
	Message    string
	// CorrelationID identifies the request to HubSpot's support.
	CorrelationID string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("hubspot api answered HTTP %d", e.HTTPStatus)
	if e.Op != "" {
		msg = e.Op + ": " + msg
	}
	if e.Category != "" {
		msg += ": " + e.Category
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.CorrelationID != "" {
		msg += " (correlation id " + e.CorrelationID + ")"
	}
	return msg
}

// rule is how an HTTP status is handled.
type rule struct {
	class     fault.Class
	retryable bool
}

// ruleForStatus classifies an answer by its HTTP status: 429 (HubSpot's
// rate limits), 423 (a record locked by a concurrent write) and 5xx are
// retried; 401 and 403 (bad token, missing scope) need an operator; any
// other 4xx is a request that cannot succeed as it is.
func ruleForStatus(status int) rule {
	if status == http.StatusLocked {
		return rule{fault.ClassThrottle, true}
	}
	class, retryable := httpclient.StatusClass(status)
	return rule{class, retryable}
}

// lockedRetryAfter is the wait HubSpot asks for after a 423.
const lockedRetryAfter = 2 * time.Second

// classifyResponse turns an answer other than 2xx into a classified error.
// A 429 without Retry-After is retried after fallback, the rate limit's
// window.
func classifyResponse(op string, status int, header http.Header, body []byte, now time.Time, fallback time.Duration) *fault.Error {
	var eb errorBody
	_ = json.Unmarshal(body, &eb) // every field is optional; a proxy may answer HTML
	apiErr := &APIError{Op: op, HTTPStatus: status, Category: eb.Category, Message: trimMessage(eb.Message), CorrelationID: eb.CorrelationID}
	r := ruleForStatus(status)
	fe := &fault.Error{Err: apiErr, Permanent: !r.retryable, Class: r.class, Code: strconv.Itoa(status)}
	if r.retryable {
		fe.RetryAfter = httpclient.RetryAfter(header.Get("Retry-After"), now, httpclient.MaxRetryAfter)
		switch {
		case fe.RetryAfter > 0:
		case status == http.StatusTooManyRequests:
			fe.RetryAfter = fallback
		case status == http.StatusLocked:
			fe.RetryAfter = lockedRetryAfter
		}
	}
	return fe
}

var (
	emailPattern = regexp.MustCompile(`[^\s"'<>@,;:()\[\]]+@[^\s"'<>@,;:()\[\]]+`)
	phonePattern = regexp.MustCompile(`\+[0-9][0-9 ().-]{5,}[0-9]`)
)

// trimMessage bounds an error message taken from an answer and masks the
// email addresses and phone numbers HubSpot may quote in it: it ends up in
// logs and dead-letter reasons.
func trimMessage(s string) string {
	s = emailPattern.ReplaceAllString(strings.TrimSpace(s), "<email>")
	s = phonePattern.ReplaceAllString(s, "<phone>")
	const n = 300
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// classifyTransport classifies a call that got no answer. Every call the
// connector makes is idempotent (reads, and updates that set absolute
// values), so all of them are retryable.
func classifyTransport(op string, err error) *fault.Error {
	if errors.Is(err, httpclient.ErrRateLimited) {
		return &fault.Error{Err: fmt.Errorf("%s: %w", op, err), Class: fault.ClassThrottle}
	}
	return &fault.Error{Err: fmt.Errorf("%s: %w", op, err), Class: fault.ClassTransient}
}
