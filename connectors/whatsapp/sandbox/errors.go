package sandbox

import (
	"fmt"
	"net/http"
)

// apiError is a Graph API error the sandbox answers with.
type apiError struct {
	status  int
	code    int
	subcode int
	message string // full message, "(#131008) Required parameter is missing"
	details string // error_data.details; empty leaves error_data out
}

// codeTitles are Meta's titles for the codes the sandbox produces, used for
// injected faults and failed statuses.
var codeTitles = map[int]string{
	0:      "AuthException",
	1:      "API Unknown",
	2:      "API Service",
	3:      "API Method",
	4:      "Application request limit reached",
	10:     "Permission Denied",
	100:    "Invalid parameter",
	190:    "Invalid OAuth access token",
	200:    "Permission Denied",
	368:    "Temporarily blocked for policies violations",
	80007:  "Rate limit issues",
	130429: "Rate limit hit",
	130472: "User's number is part of an experiment",
	130497: "Business account is restricted from messaging users in this country",
	131000: "Something went wrong",
	131008: "Required parameter is missing",
	131009: "Parameter value is not valid",
	131016: "Service unavailable",
	131021: "Recipient cannot be sender",
	131026: "Message undeliverable",
	131030: "Recipient phone number not in allowed list",
	131031: "Business Account locked",
	131037: "WhatsApp provided number needs display name approval before message can be sent",
	131042: "Business eligibility payment issue",
	131047: "Re-engagement message",
	131048: "Spam rate limit hit",
	131049: "This message was not delivered to maintain healthy ecosystem engagement",
	131050: "User has stopped marketing messages",
	131051: "Unsupported message type",
	131053: "Media upload error",
	131056: "(Business Account, Consumer Account) pair rate limit hit",
	131057: "Account in maintenance mode",
	132000: "Number of parameters does not match the expected number of params",
	132001: "Template name does not exist in the translation",
	132005: "Translated text too long",
	132007: "Template format character policy violated",
	132012: "Template parameter format mismatch",
	132015: "Template is paused",
	132016: "Template is disabled",
	132018: "There's an issue with the parameters in your template message",
	133004: "Server temporarily unavailable",
	133010: "Phone number not registered",
}

func codeTitle(code int) string {
	if t, ok := codeTitles[code]; ok {
		return t
	}
	return "Error"
}

// codeStatus is the HTTP status the sandbox answers a code with.
func codeStatus(code int) int {
	switch {
	case code == 0 || code == 190:
		return http.StatusUnauthorized
	case code == 3 || code == 10 || (code >= 200 && code <= 299):
		return http.StatusForbidden
	case code == 1 || code == 131000:
		return http.StatusInternalServerError
	case code == 2 || code == 131016 || code == 133004:
		return http.StatusServiceUnavailable
	default:
		return http.StatusBadRequest
	}
}

// codeError builds the error Meta answers for code.
func codeError(code int, details string) *apiError {
	if details == "" {
		details = codeTitle(code)
	}
	return &apiError{
		status:  codeStatus(code),
		code:    code,
		message: fmt.Sprintf("(#%d) %s", code, codeTitle(code)),
		details: details,
	}
}

func invalidParameter(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: 100, message: "(#100) " + msg}
}

func missingParameter(param string) *apiError {
	return codeError(131008, fmt.Sprintf("The parameter %s is required.", param))
}

func invalidValue(details string) *apiError {
	return codeError(131009, details)
}
