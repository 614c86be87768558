package hubspot

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/connectors/internal/httpclient"
	"github.com/loyalhub/loyalhub/core/fault"
)

func TestClassifyResponse(t *testing.T) {
	now := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		status    int
		header    http.Header
		body      string
		permanent bool
		class     fault.Class
		after     time.Duration
		msg       string
	}{
		{status: 429, header: http.Header{"Retry-After": {"12"}}, body: `{"status":"error","message":"You have reached your daily limit.","policyName":"DAILY"}`,
			class: fault.ClassThrottle, after: 12 * time.Second, msg: "reading 1 contacts: hubspot api answered HTTP 429: You have reached your daily limit."},
		{status: 429, header: http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}},
			class: fault.ClassThrottle, after: 90 * time.Second},
		{status: 429, class: fault.ClassThrottle, after: 10 * time.Second},
		{status: 423, body: `{"status":"error","message":"Locked"}`, class: fault.ClassThrottle, after: 2 * time.Second},
		{status: 500, class: fault.ClassTransient},
		{status: 502, header: http.Header{"Retry-After": {"30"}}, class: fault.ClassTransient, after: 30 * time.Second},
		{status: 408, class: fault.ClassTransient},
		{status: 401, body: `{"status":"error","message":"The OAuth token used to make this call expired 2 hour(s) ago.","correlationId":"abc","category":"EXPIRED_AUTHENTICATION"}`,
			permanent: true, class: fault.ClassAuth, msg: "reading 1 contacts: hubspot api answered HTTP 401: EXPIRED_AUTHENTICATION: The OAuth token used to make this call expired 2 hour(s) ago. (correlation id abc)"},
		{status: 403, body: `<html>forbidden</html>`, permanent: true, class: fault.ClassAuth, msg: "reading 1 contacts: hubspot api answered HTTP 403"},
		{status: 400, body: `{"status":"error","category":"VALIDATION_ERROR","message":"Email sari@example.com and phone +62 812-3456-7890 are invalid"}`,
			permanent: true, class: fault.ClassRequest, msg: "VALIDATION_ERROR: Email <email> and phone <phone> are invalid"},
		{status: 404, permanent: true, class: fault.ClassRequest},
		{status: 409, permanent: true, class: fault.ClassRequest},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			err := classifyResponse("reading 1 contacts", tt.status, tt.header, []byte(tt.body), now, 10*time.Second)
			assert.Equal(t, tt.permanent, fault.IsPermanent(err))
			assert.Equal(t, tt.class, fault.ClassOf(err))
			assert.Equal(t, tt.after, fault.RetryAfter(err))
			var ae *APIError
			assert.True(t, errors.As(err, &ae))
			assert.Equal(t, tt.status, ae.HTTPStatus)
			if tt.msg != "" {
				assert.Contains(t, err.Error(), tt.msg)
			}
		})
	}
}

func TestClassifyTransport(t *testing.T) {
	err := classifyTransport("reading 3 deals", errors.New("connection reset by peer"))
	assert.False(t, fault.IsPermanent(err))
	assert.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	assert.EqualError(t, err, "reading 3 deals: connection reset by peer")

	err = classifyTransport("reading 3 deals", fmt.Errorf("%w: context deadline exceeded", httpclient.ErrRateLimited))
	assert.Equal(t, fault.ClassThrottle, fault.ClassOf(err))
	assert.False(t, fault.IsPermanent(err))
}
