package shopify

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/fault"
)

func TestClassify(t *testing.T) {
	now := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		status    int
		header    http.Header
		body      string
		ok        bool
		permanent bool
		class     fault.Class
		code      string
		after     time.Duration
	}{
		{name: "created", status: 200, ok: true,
			body: `{"data":{"discountCodeBasicCreate":{"codeDiscountNode":{"id":"gid://shopify/DiscountCodeNode/1"},"userErrors":[]}}}`},
		{name: "taken", status: 200, ok: true,
			body: `{"data":{"discountCodeBasicCreate":{"codeDiscountNode":null,"userErrors":[{"field":["basicCodeDiscount","code"],"code":"TAKEN","message":"Code must be unique. Please try a different code."}]}}}`},
		{name: "taken beside another error", status: 200, ok: true,
			body: `{"data":{"discountCodeBasicCreate":{"codeDiscountNode":null,"userErrors":[{"field":["basicCodeDiscount","title"],"code":"TOO_LONG","message":"Title is too long"},{"field":["basicCodeDiscount","code"],"code":"TAKEN","message":"Code must be unique."}]}}}`},
		{name: "user error", status: 200, permanent: true, class: fault.ClassRequest, code: "INVALID",
			body: `{"data":{"discountCodeBasicCreate":{"codeDiscountNode":null,"userErrors":[{"field":["basicCodeDiscount","code"],"code":"INVALID","message":"Code is invalid"}]}}}`},
		{name: "throttled, cost at the top", status: 200, class: fault.ClassThrottle, code: "THROTTLED", after: 4 * time.Second,
			body: `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":210,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":10,"restoreRate":50.0}}}}`},
		{name: "throttled, cost in the error", status: 200, class: fault.ClassThrottle, code: "THROTTLED", after: 500 * time.Millisecond,
			body: `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","cost":{"requestedQueryCost":60,"throttleStatus":{"maximumAvailable":1000,"currentlyAvailable":10,"restoreRate":100}}}}]}`},
		{name: "throttled without a cost", status: 200, class: fault.ClassThrottle, code: "THROTTLED",
			body: `{"errors":[{"message":"Throttled"}]}`},
		{name: "throttle wait is bounded", status: 200, class: fault.ClassThrottle, code: "THROTTLED", after: time.Minute,
			body: `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":1000,"throttleStatus":{"maximumAvailable":1000,"currentlyAvailable":0,"restoreRate":1}}}}`},
		{name: "internal error", status: 200, class: fault.ClassTransient, code: "INTERNAL_SERVER_ERROR",
			body: `{"errors":[{"message":"Internal error. Looks like something went wrong on our end.","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`},
		{name: "access denied", status: 200, permanent: true, class: fault.ClassAuth, code: "ACCESS_DENIED",
			body: `{"errors":[{"message":"Access denied for discountCodeBasicCreate field.","extensions":{"code":"ACCESS_DENIED"}}]}`},
		{name: "bad query", status: 200, permanent: true, class: fault.ClassRequest,
			body: `{"errors":[{"message":"Parse error on \"}\" (RCURLY) at [1, 2]","locations":[{"line":1,"column":2}]}]}`},
		{name: "no data", status: 200, class: fault.ClassTransient, body: `{}`},
		{name: "neither node nor errors", status: 200, class: fault.ClassTransient,
			body: `{"data":{"discountCodeBasicCreate":{"codeDiscountNode":null,"userErrors":[]}}}`},
		{name: "not JSON", status: 200, class: fault.ClassTransient, body: `<!DOCTYPE html>`},
		{name: "401", status: 401, permanent: true, class: fault.ClassAuth, code: "401",
			body: `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`},
		{name: "403", status: 403, permanent: true, class: fault.ClassAuth, code: "403"},
		{name: "402 frozen shop", status: 402, permanent: true, class: fault.ClassAccount, code: "402",
			body: `{"errors":"Unavailable Shop"}`},
		{name: "423 locked shop", status: 423, permanent: true, class: fault.ClassAccount, code: "423"},
		{name: "404", status: 404, permanent: true, class: fault.ClassRequest, code: "404", body: `{"errors":"Not Found"}`},
		{name: "429 with seconds", status: 429, header: http.Header{"Retry-After": {"2.0"}}, class: fault.ClassThrottle,
			code: "THROTTLED", after: 2 * time.Second},
		{name: "429 with a date", status: 429, header: http.Header{"Retry-After": {"Mon, 23 Nov 2026 03:00:07 GMT"}},
			class: fault.ClassThrottle, code: "THROTTLED", after: 7 * time.Second},
		{name: "429 with a throttle status", status: 429, class: fault.ClassThrottle, code: "THROTTLED", after: 200 * time.Millisecond,
			body: `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":30,"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":10,"restoreRate":100}}}}`},
		{name: "429 bare", status: 429, class: fault.ClassThrottle, code: "THROTTLED"},
		{name: "500", status: 500, class: fault.ClassTransient, code: "500"},
		{name: "503 with Retry-After", status: 503, header: http.Header{"Retry-After": {"5"}}, class: fault.ClassTransient,
			code: "503", after: 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			err := classify(tt.status, h, []byte(tt.body), now)
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			assert.Error(t, err)
			assert.Equal(t, tt.permanent, fault.IsPermanent(err), "permanent")
			assert.Equal(t, tt.class, fault.ClassOf(err), "class")
			assert.Equal(t, tt.code, fault.CodeOf(err), "code")
			assert.Equal(t, tt.after, fault.RetryAfter(err), "retry after")
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"2.0", 2 * time.Second},
		{"0.5", 500 * time.Millisecond},
		{"-1", 0},
		{"NaN", 0},
		{"86400", time.Hour},
		{"1e10", time.Hour},
		{"1e300", time.Hour},
		{"Mon, 23 Nov 2026 03:00:30 GMT", 30 * time.Second},
		{"Mon, 23 Nov 2026 02:59:30 GMT", 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, retryAfter(tt.in, now), "%q", tt.in)
	}
}
