package cloud

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/internal/httpclient"
	"github.com/loyalhub/loyalhub/core/fault"
)

// APIError is an answer of the Cloud API other than 2xx.
type APIError struct {
	HTTPStatus int
	// Graph is the Graph error object; nil when the body carried none (a
	// proxy or load balancer answered).
	Graph *GraphError
}

func (e *APIError) Error() string {
	if e.Graph == nil {
		return fmt.Sprintf("whatsapp cloud api answered HTTP %d", e.HTTPStatus)
	}
	msg := fmt.Sprintf("whatsapp cloud api answered HTTP %d: code %d: %s", e.HTTPStatus, e.Graph.Code, e.Graph.Message)
	if e.Graph.ErrorData != nil && e.Graph.ErrorData.Details != "" {
		msg += ": " + e.Graph.ErrorData.Details
	}
	return msg
}

// rule is how one Meta error code is handled.
type rule struct {
	class     fault.Class
	retryable bool
}

// codeRules classifies every code of Meta's error code table. Meta publishes
// no retryable flag: codes meaning "rejected before processing, try later"
// are retryable, everything needing a change of message, recipient, template
// or account is permanent.
var codeRules = map[int]rule{
	// Rate limits: back off, honour Retry-After.
	4:      {fault.ClassThrottle, true}, // application request limit
	80007:  {fault.ClassThrottle, true}, // WABA rate limit
	130429: {fault.ClassThrottle, true}, // Cloud API throughput reached
	131056: {fault.ClassThrottle, true}, // (business, consumer) pair rate limit
	132069: {fault.ClassThrottle, true}, // flow throttled

	// Transient trouble on Meta's side.
	1:      {fault.ClassTransient, true}, // API unknown
	2:      {fault.ClassTransient, true}, // API service temporarily unavailable
	131000: {fault.ClassTransient, true}, // something went wrong
	131016: {fault.ClassTransient, true}, // service unavailable
	131057: {fault.ClassTransient, true}, // account in maintenance mode
	133004: {fault.ClassTransient, true}, // server temporarily unavailable

	// The recipient cannot be reached.
	131026: {fault.ClassRecipient, false}, // message undeliverable
	130472: {fault.ClassRecipient, false}, // number part of an experiment
	131021: {fault.ClassRecipient, false}, // recipient cannot be the sender

	// Messaging policy.
	131048: {fault.ClassPolicy, false}, // spam rate limit
	131049: {fault.ClassPolicy, false}, // not delivered for ecosystem health
	131050: {fault.ClassPolicy, false}, // user stopped marketing messages
	368:    {fault.ClassPolicy, false}, // temporarily blocked for policy violations

	// Free-form message outside the 24-hour window.
	131047: {fault.ClassWindow, false},

	// Templates.
	132000: {fault.ClassTemplate, false}, // parameter count mismatch
	132001: {fault.ClassTemplate, false}, // template does not exist
	132005: {fault.ClassTemplate, false}, // hydrated text too long
	132007: {fault.ClassTemplate, false}, // format character policy violated
	132012: {fault.ClassTemplate, false}, // parameter format mismatch
	132015: {fault.ClassTemplate, false}, // template paused
	132016: {fault.ClassTemplate, false}, // template disabled
	132018: {fault.ClassTemplate, false}, // parameter text refused: line break, tab or more than 4 spaces
	132068: {fault.ClassTemplate, false}, // flow blocked

	// Credentials and permissions (200-299 are handled as a range).
	0:   {fault.ClassAuth, false}, // AuthException
	3:   {fault.ClassAuth, false}, // capability
	10:  {fault.ClassAuth, false}, // permission denied
	190: {fault.ClassAuth, false}, // access token expired or invalid

	// Malformed or invalid requests.
	100:    {fault.ClassRequest, false}, // invalid parameter
	131008: {fault.ClassRequest, false}, // required parameter missing
	131009: {fault.ClassRequest, false}, // parameter value not valid
	131051: {fault.ClassRequest, false}, // unsupported message type
	131052: {fault.ClassRequest, false}, // media download error
	131053: {fault.ClassRequest, false}, // media upload error

	// Business account or number configuration.
	131030: {fault.ClassAccount, false}, // recipient not in the allowed list
	131031: {fault.ClassAccount, false}, // business account locked
	131037: {fault.ClassAccount, false}, // display name needs approval
	131042: {fault.ClassAccount, false}, // business eligibility payment issue
	131062: {fault.ClassAccount, false}, // authentication template needs a phone number
	131064: {fault.ClassAccount, false}, // limited for template-classification violations
	130497: {fault.ClassAccount, false}, // restricted from messaging this country
	133000: {fault.ClassAccount, false}, // incomplete deregistration
	133005: {fault.ClassAccount, false}, // two-step PIN mismatch
	133006: {fault.ClassAccount, false}, // phone number needs re-verification
	133008: {fault.ClassAccount, false}, // too many two-step PIN guesses
	133009: {fault.ClassAccount, false}, // two-step PIN entered too fast
	133010: {fault.ClassAccount, false}, // phone number not registered
	133015: {fault.ClassAccount, false}, // recently deleted number, wait
	133016: {fault.ClassAccount, false}, // registration rate limit
}

// ruleFor returns the rule of a Meta error code.
func ruleFor(code int) (rule, bool) {
	if code >= 200 && code <= 299 {
		return rule{fault.ClassAuth, false}, true // API permission not granted
	}
	r, ok := codeRules[code]
	return r, ok
}

// ruleForStatus classifies an answer by HTTP status alone: when the body
// carries no Graph error, or a code missing from the table.
func ruleForStatus(status int) rule {
	class, retryable := httpclient.StatusClass(status)
	return rule{class, retryable}
}

// parseGraphError extracts the Graph error object from a response body; it
// returns nil when the body holds none.
func parseGraphError(body []byte) *GraphError {
	var r errorResponse
	if err := json.Unmarshal(body, &r); err != nil || r.Error == nil {
		return nil
	}
	return r.Error
}

// DeliveryError is an error a status webhook reports for a message Meta
// accepted and then could not deliver (status "failed").
type DeliveryError struct {
	Code    int
	Details string
}

func (e *DeliveryError) Error() string {
	if e.Details == "" {
		return fmt.Sprintf("whatsapp reported the message failed: code %d", e.Code)
	}
	return fmt.Sprintf("whatsapp reported the message failed: code %d: %s", e.Code, e.Details)
}

// ClassifyDeliveryError classifies the error of a failed status webhook
// with the table that classifies the API's answers; a code missing from it
// is a permanent request error, as it would be answered with HTTP 400.
func (c *Client) ClassifyDeliveryError(code int, details string) error {
	return classifyDelivery(code, details)
}

func classifyDelivery(code int, details string) *fault.Error {
	r, ok := ruleFor(code)
	if !ok {
		r = ruleForStatus(http.StatusBadRequest)
	}
	return &fault.Error{Err: &DeliveryError{Code: code, Details: details}, Permanent: !r.retryable, Class: r.class, Code: strconv.Itoa(code)}
}

// classifyResponse turns an answer other than 2xx into a classified error.
func classifyResponse(status int, header http.Header, body []byte, now time.Time) *fault.Error {
	ge := parseGraphError(body)
	apiErr := &APIError{HTTPStatus: status, Graph: ge}
	r := ruleForStatus(status)
	code := ""
	if ge != nil {
		code = strconv.Itoa(ge.Code)
		if byCode, ok := ruleFor(ge.Code); ok {
			r = byCode
		}
	}
	fe := &fault.Error{Err: apiErr, Permanent: !r.retryable, Class: r.class, Code: code}
	if r.retryable {
		fe.RetryAfter = httpclient.RetryAfter(header.Get("Retry-After"), now, httpclient.MaxRetryAfter)
	}
	return fe
}

// classifyTransport classifies a failure to get an answer. wrote tells
// whether the request was completely written to the connection: after that,
// Meta may have processed it, and the send is ambiguous.
func classifyTransport(err error, wrote bool) *fault.Error {
	if wrote && !httpclient.IsDialError(err) {
		return &fault.Error{Err: err, Class: fault.ClassTransient, Code: connectors.AmbiguousCode}
	}
	return &fault.Error{Err: err, Class: fault.ClassTransient}
}

// ClassifyMetaCode classifies one of Meta's error codes, which a BSP passes
// on as they are, as the Cloud API senders do; ok is false for a code
// missing from their table.
func ClassifyMetaCode(code int, details string) (fe *fault.Error, ok bool) {
	if _, known := ruleFor(code); !known {
		return nil, false
	}
	return classifyDelivery(code, details), true
}
