package gupshup

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/loyalhub/loyalhub/connectors/internal/httpclient"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloud"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// APIError is an answer of Gupshup's API other than 2xx, or the error a
// failed message-event reported (HTTPStatus 0).
type APIError struct {
	HTTPStatus int
	Code       int // Gupshup's or Meta's error code; 0 when none was given
	Message    string
}

func (e *APIError) Error() string {
	msg := ""
	if e.Message != "" {
		msg = ": " + e.Message
	}
	switch {
	case e.HTTPStatus == 0:
		return fmt.Sprintf("gupshup reported the message failed: code %d%s", e.Code, msg)
	case e.Code == 0:
		return fmt.Sprintf("gupshup answered HTTP %d%s", e.HTTPStatus, msg)
	}
	return fmt.Sprintf("gupshup answered HTTP %d: code %d%s", e.HTTPStatus, e.Code, msg)
}

// rule is how one of Gupshup's own error codes is handled. code, when set,
// is the hub's code for the same refusal (Meta's), so that the hub acts on
// it as it does on Meta's.
type rule struct {
	class     fault.Class
	retryable bool
	code      string
}

// codeRules classifies Gupshup's own error codes
// (docs.gupshup.io/docs/error-and-status-messages). Gupshup passes Meta's
// codes on as they are: those are classified as the Cloud API senders
// classify them, and any other code by HTTP status.
var codeRules = map[int]rule{
	500:  {fault.ClassTransient, true, ""},                         // internal server error
	1001: {fault.ClassAccount, false, ""},                          // sandbox app: the user has not proxied to it
	1002: {fault.ClassRecipient, false, ""},                        // number does not exist on WhatsApp
	1003: {fault.ClassAccount, false, ""},                          // wallet balance low
	1004: {fault.ClassAccount, false, ""},                          // outside the window and template messaging disabled
	1005: {fault.ClassWindow, false, messaging.CodeReengagement},   // outside the window and not a template
	1006: {fault.ClassPolicy, false, ""},                           // outside the window, not opted in to templates
	1007: {fault.ClassPolicy, false, ""},                           // outside the window, not opted in, not a template
	1008: {fault.ClassPolicy, false, ""},                           // not opted in and inactive
	1010: {fault.ClassRequest, false, ""},                          // invalid media URL
	1011: {fault.ClassRequest, false, ""},                          // invalid media size
	1012: {fault.ClassPolicy, false, messaging.CodeStopped},        // the number opted out
	4001: {fault.ClassThrottle, true, cloud.CodeThroughputReached}, // API rate limited: the number's pace, not its health
	4002: {fault.ClassTransient, true, ""},                         // invalid response from WhatsApp
	4003: {fault.ClassTemplate, false, ""},                         // no template match
	4004: {fault.ClassRequest, false, ""},                          // only on Meta's Cloud API
	4005: {fault.ClassTemplate, false, ""},                         // paused template
}

// classify turns an error code (0 for none) and the HTTP status of the
// answer into a classified error. status 0 is a failed message-event's
// error, classified as Gupshup would answer it at once.
func classify(status, code int, msg string, header http.Header, now time.Time) *fault.Error {
	apiErr := &APIError{HTTPStatus: status, Code: code, Message: msg}
	httpStatus := status
	if httpStatus == 0 {
		httpStatus = http.StatusBadRequest
	}
	class, retryable := httpclient.StatusClass(httpStatus)
	r := rule{class: class, retryable: retryable}
	if byCode, ok := codeRules[code]; ok {
		r = byCode
	} else if meta, ok := cloud.ClassifyMetaCode(code, msg); ok && code != 0 {
		r = rule{class: meta.Class, retryable: !meta.Permanent, code: meta.Code}
	}
	fe := &fault.Error{Err: apiErr, Permanent: !r.retryable, Class: r.class, Code: r.code}
	if fe.Code == "" && code != 0 {
		fe.Code = strconv.Itoa(code)
	}
	if r.retryable && header != nil {
		fe.RetryAfter = httpclient.RetryAfter(header.Get("Retry-After"), now, httpclient.MaxRetryAfter)
	}
	return fe
}
