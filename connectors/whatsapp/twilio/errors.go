package twilio

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

// APIError is an answer of Twilio's API other than 2xx, or an error a
// status callback reported (HTTPStatus 0).
type APIError struct {
	HTTPStatus int
	Code       int // Twilio's error code; 0 when the body carried none
	Message    string
}

func (e *APIError) Error() string {
	switch {
	case e.HTTPStatus == 0:
		return fmt.Sprintf("twilio reported the message failed: error %d%s", e.Code, suffix(e.Message))
	case e.Code == 0:
		return fmt.Sprintf("twilio answered HTTP %d", e.HTTPStatus)
	}
	return fmt.Sprintf("twilio answered HTTP %d: error %d%s", e.HTTPStatus, e.Code, suffix(e.Message))
}

func suffix(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}

// rule is how one Twilio error code is handled. code, when set, is the
// hub's code for the same refusal (Meta's), so that the hub acts on it as
// it does on Meta's: the fallback template, the marketing opt-out, the
// ecosystem hold.
type rule struct {
	class     fault.Class
	retryable bool
	code      string
}

// codeRules classifies Twilio's error codes for WhatsApp and the Messages
// API (twilio.com/docs/api/errors). Codes missing from it are classified by
// HTTP status.
var codeRules = map[int]rule{
	// Rate limits.
	20429: {fault.ClassThrottle, true, ""},                          // too many requests
	63018: {fault.ClassThrottle, true, cloud.CodeThroughputReached}, // rate limit exceeded for the channel: the number's pace, not its health

	// Transient trouble on Twilio's or WhatsApp's side.
	63012: {fault.ClassTransient, true, ""}, // channel internal error
	30008: {fault.ClassTransient, true, ""}, // unknown error

	// Outside the customer service window: the fallback template goes.
	63016: {fault.ClassWindow, false, messaging.CodeReengagement},

	// Opt-outs and WhatsApp's marketing limits.
	21610: {fault.ClassPolicy, false, messaging.CodeStopped},   // the recipient replied STOP
	63049: {fault.ClassPolicy, false, messaging.CodeEcosystem}, // Meta chose not to deliver a marketing message
	63013: {fault.ClassPolicy, false, ""},                      // channel policy violation
	30007: {fault.ClassPolicy, false, ""},                      // message filtered

	// The recipient cannot be reached.
	21211: {fault.ClassRecipient, false, ""}, // invalid To number
	21614: {fault.ClassRecipient, false, ""}, // To is not a valid mobile number
	63003: {fault.ClassRecipient, false, ""}, // channel could not find the To address
	63024: {fault.ClassRecipient, false, ""}, // invalid message recipient
	63032: {fault.ClassRecipient, false, ""}, // cannot send to this user because of a WhatsApp limitation
	30003: {fault.ClassRecipient, false, ""}, // unreachable destination
	30005: {fault.ClassRecipient, false, ""}, // unknown destination
	30006: {fault.ClassRecipient, false, ""}, // landline or unreachable carrier

	// Content templates.
	21656: {fault.ClassTemplate, false, ""}, // ContentVariables invalid
	63027: {fault.ClassTemplate, false, ""}, // template does not exist for the language
	63028: {fault.ClassTemplate, false, ""}, // parameter count mismatch
	63029: {fault.ClassTemplate, false, ""}, // template parameters could not be filled

	// Credentials.
	20003: {fault.ClassAuth, false, ""}, // authentication failed
	63001: {fault.ClassAuth, false, ""}, // channel could not authenticate the request

	// Sender, account or number configuration.
	20404: {fault.ClassAccount, false, ""}, // resource not found: the account
	21408: {fault.ClassAccount, false, ""}, // region not enabled
	21606: {fault.ClassAccount, false, ""}, // From is not a sender of the account
	63007: {fault.ClassAccount, false, ""}, // no channel with the From address
	63020: {fault.ClassAccount, false, ""}, // business not approved
	63112: {fault.ClassAccount, false, ""}, // business account disabled by Meta

	// Requests that cannot succeed as they are.
	21617: {fault.ClassRequest, false, ""}, // body over 1600 characters
	63005: {fault.ClassRequest, false, ""}, // channel did not accept the content
	63019: {fault.ClassRequest, false, ""}, // media failed to download
	63021: {fault.ClassRequest, false, ""}, // channel invalid content
	63030: {fault.ClassRequest, false, ""}, // unsupported parameter
}

// classify turns Twilio's error code (0 for none) and the HTTP status of
// the answer into a classified error. status 0 is a failed status
// callback's error, classified as Twilio would answer it at once.
func classify(status, code int, msg string, header http.Header, now time.Time) *fault.Error {
	httpStatus := status
	if httpStatus == 0 {
		httpStatus = http.StatusBadRequest
	}
	class, retryable := httpclient.StatusClass(httpStatus)
	r := rule{class: class, retryable: retryable}
	if byCode, ok := codeRules[code]; ok {
		r = byCode
	}
	fe := &fault.Error{Err: &APIError{HTTPStatus: status, Code: code, Message: msg}, Permanent: !r.retryable, Class: r.class, Code: r.code}
	if fe.Code == "" && code != 0 {
		fe.Code = strconv.Itoa(code)
	}
	if r.retryable && header != nil {
		fe.RetryAfter = httpclient.RetryAfter(header.Get("Retry-After"), now, httpclient.MaxRetryAfter)
	}
	return fe
}
