package shopify

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/connectors/internal/httpclient"
	"github.com/loyalhub/loyalhub/core/fault"
)

// Vendor codes carried by the errors of Issue.
const (
	CodeThrottled    = "THROTTLED"     // GraphQL cost limit reached
	CodeAccessDenied = "ACCESS_DENIED" // the token lacks a scope (write_discounts)
	CodeTaken        = "TAKEN"         // a userError: the code exists already
)

// maxThrottleWait bounds the delay derived from the throttle status.
const maxThrottleWait = time.Minute

// classifyTransport classifies a call that got no answer: a throttle when
// it could not get its turn from admin.requests_per_second before its
// deadline, transient otherwise (a timeout after timeout, a failed
// connection). Both are retryable: a code is the same on every attempt.
func classifyTransport(err error, timeout time.Duration) error {
	if errors.Is(err, httpclient.ErrRateLimited) {
		return fault.Retryable(fault.ClassThrottle, fmt.Errorf("pacing admin API calls: %w", err), 0)
	}
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return fault.Retryable(fault.ClassTransient, fmt.Errorf("calling shopify admin API: timed out after %s", timeout), 0)
	}
	return fault.Retryable(fault.ClassTransient, fmt.Errorf("calling shopify admin API: %w", err), 0)
}

// classify decides what an Admin API answer to discountCodeBasicCreate
// means: nil when the discount exists (created now, or by an earlier
// attempt whose answer was lost, which Shopify reports as the code being
// taken), otherwise an error classified with core/fault. Every retryable
// answer is safe to retry: the code is the same on every attempt.
func classify(status int, h http.Header, body []byte, now time.Time) error {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &fault.Error{
			Err:       fmt.Errorf("shopify admin API refused the access token (HTTP %d)%s", status, restMessage(body)),
			Permanent: true, Class: fault.ClassAuth, Code: strconv.Itoa(status),
		}
	case status == http.StatusTooManyRequests:
		wait := retryAfter(h.Get("Retry-After"), now)
		if wait == 0 {
			var r graphQLResponse
			if json.Unmarshal(body, &r) == nil {
				wait = throttleWait(r)
			}
		}
		return &fault.Error{
			Err:   fmt.Errorf("shopify admin API is rate limiting this app (HTTP 429)"),
			Class: fault.ClassThrottle, Code: CodeThrottled, RetryAfter: wait,
		}
	case status >= 500:
		return &fault.Error{
			Err:   fmt.Errorf("shopify admin API failed (HTTP %d)", status),
			Class: fault.ClassTransient, Code: strconv.Itoa(status), RetryAfter: retryAfter(h.Get("Retry-After"), now),
		}
	case status == http.StatusPaymentRequired || status == http.StatusLocked:
		// A frozen (unpaid) or locked shop.
		return &fault.Error{
			Err:       fmt.Errorf("shopify shop cannot be used (HTTP %d)%s", status, restMessage(body)),
			Permanent: true, Class: fault.ClassAccount, Code: strconv.Itoa(status),
		}
	case status < 200 || status > 299:
		// 400, 404 (wrong base_url or api_version), 406…: retrying the same
		// request cannot help.
		return &fault.Error{
			Err:       fmt.Errorf("shopify admin API rejected the request (HTTP %d)%s", status, restMessage(body)),
			Permanent: true, Class: fault.ClassRequest, Code: strconv.Itoa(status),
		}
	}

	var r graphQLResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return fault.Retryable(fault.ClassTransient,
			fmt.Errorf("reading shopify admin API answer: HTTP %d with %d bytes that are not JSON", status, len(body)), 0)
	}
	if len(r.Errors) > 0 {
		return classifyGraphQLErrors(r)
	}
	if r.Data == nil || r.Data.DiscountCodeBasicCreate == nil {
		return fault.Retryable(fault.ClassTransient,
			fmt.Errorf("reading shopify admin API answer: no discountCodeBasicCreate in it"), 0)
	}
	payload := r.Data.DiscountCodeBasicCreate
	if len(payload.UserErrors) > 0 {
		for _, ue := range payload.UserErrors {
			if codeTaken(ue) {
				return nil
			}
		}
		msgs := make([]string, len(payload.UserErrors))
		for i, ue := range payload.UserErrors {
			msgs[i] = ue.String()
		}
		return &fault.Error{
			Err:       fmt.Errorf("shopify refused the discount: %s", strings.Join(msgs, "; ")),
			Permanent: true, Class: fault.ClassRequest, Code: payload.UserErrors[0].Code,
		}
	}
	if payload.CodeDiscountNode == nil || payload.CodeDiscountNode.ID == "" {
		return fault.Retryable(fault.ClassTransient,
			fmt.Errorf("reading shopify admin API answer: neither a discount nor user errors in it"), 0)
	}
	return nil
}

// classifyGraphQLErrors classifies an answer with top-level errors.
func classifyGraphQLErrors(r graphQLResponse) error {
	msgs := make([]string, 0, len(r.Errors))
	code := ""
	for _, e := range r.Errors {
		c := ""
		if e.Extensions != nil {
			c = e.Extensions.Code
		}
		if c == "" && strings.EqualFold(e.Message, "throttled") {
			c = CodeThrottled
		}
		if code == "" || c == CodeThrottled {
			code = c
		}
		if c != "" {
			msgs = append(msgs, fmt.Sprintf("%s (%s)", e.Message, c))
		} else {
			msgs = append(msgs, e.Message)
		}
	}
	err := fmt.Errorf("shopify admin API answered errors: %s", strings.Join(msgs, "; "))
	switch code {
	case CodeThrottled:
		return &fault.Error{Err: err, Class: fault.ClassThrottle, Code: code, RetryAfter: throttleWait(r)}
	case CodeAccessDenied:
		return &fault.Error{Err: err, Permanent: true, Class: fault.ClassAuth, Code: code}
	case "INTERNAL_SERVER_ERROR":
		return &fault.Error{Err: err, Class: fault.ClassTransient, Code: code}
	}
	// A query the API does not accept (a field unknown to api_version, a
	// malformed value): sending it again cannot help.
	return &fault.Error{Err: err, Permanent: true, Class: fault.ClassRequest, Code: code}
}

// throttleWait is how long until the bucket holds the cost of the request
// again, from the throttle status of a throttled answer; zero when the
// answer does not say.
func throttleWait(r graphQLResponse) time.Duration {
	cost := (*queryCost)(nil)
	if r.Extensions != nil {
		cost = r.Extensions.Cost
	}
	for _, e := range r.Errors {
		if cost == nil && e.Extensions != nil {
			cost = e.Extensions.Cost
		}
	}
	if cost == nil || cost.ThrottleStatus == nil || !(cost.ThrottleStatus.RestoreRate > 0) {
		return 0
	}
	ts := cost.ThrottleStatus
	missing := math.Max(cost.RequestedQueryCost-ts.CurrentlyAvailable, 1)
	wait := time.Duration(math.Ceil(missing/ts.RestoreRate*float64(time.Second/time.Millisecond))) * time.Millisecond
	return min(wait, maxThrottleWait)
}

// codeTaken reports whether a user error says that the code exists.
func codeTaken(ue userError) bool {
	if ue.Code == CodeTaken {
		return true
	}
	onCode := len(ue.Field) > 0 && strings.EqualFold(ue.Field[len(ue.Field)-1], "code")
	msg := strings.ToLower(ue.Message)
	return onCode && (strings.Contains(msg, "unique") || strings.Contains(msg, "taken") ||
		strings.Contains(msg, "already exists"))
}

func (ue userError) String() string {
	s := ue.Message
	if len(ue.Field) > 0 {
		s = strings.Join(ue.Field, ".") + ": " + s
	}
	if ue.Code != "" {
		s += " (" + ue.Code + ")"
	}
	return s
}

// retryAfter parses a Retry-After header, at most an hour: seconds, which
// Shopify writes with a fraction ("2.0"), or an HTTP date; zero when absent
// or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	if s, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
		if s <= 0 || math.IsNaN(s) || math.IsInf(s, 0) {
			return 0
		}
		return time.Duration(min(s, time.Hour.Seconds()) * float64(time.Second))
	}
	return httpclient.RetryAfter(v, now, time.Hour)
}

// restMessage is the "errors" of a non-GraphQL error body, for a message.
func restMessage(body []byte) string {
	var env restEnvelope
	if json.Unmarshal(body, &env) != nil || env.Errors == nil {
		return ""
	}
	b, err := json.Marshal(env.Errors)
	if err != nil {
		return ""
	}
	return ": " + preview(string(b))
}
