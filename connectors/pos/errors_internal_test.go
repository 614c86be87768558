package pos

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/fault"
)

func TestClassifyStatus(t *testing.T) {
	now := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		status     int
		retryAfter string
		body       string
		permanent  bool
		class      fault.Class
		after      time.Duration
		msg        string
	}{
		{status: 401, retryAfter: "5", body: `{"errors":[{"code":"UNAUTHORIZED","detail":"This request could not be authorized."}]}`,
			permanent: true, class: fault.ClassAuth,
			msg: "Square customer API answered HTTP 401: UNAUTHORIZED: This request could not be authorized. (check lookup.access_token and its CUSTOMERS_READ permission)"},
		{status: 403, permanent: true, class: fault.ClassAuth, msg: "HTTP 403 (check lookup.access_token"},
		{status: 429, retryAfter: "7", class: fault.ClassThrottle, after: 7 * time.Second},
		{status: 429, retryAfter: now.Add(30 * time.Second).Format(http.TimeFormat), class: fault.ClassThrottle, after: 30 * time.Second},
		{status: 503, retryAfter: "86400", class: fault.ClassTransient, after: time.Hour},
		{status: 500, class: fault.ClassTransient},
		{status: 408, retryAfter: "2", class: fault.ClassTransient, after: 2 * time.Second},
		{status: 400, retryAfter: "5", permanent: true, class: fault.ClassRequest, msg: "Square customer API answered HTTP 400"},
		{status: 422, permanent: true, class: fault.ClassRequest},
		{status: 302, retryAfter: "3", class: fault.ClassTransient, after: 3 * time.Second},
		{status: 204, class: fault.ClassTransient},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			err := classifyStatus("Square", tt.status, tt.retryAfter, []byte(tt.body), now)
			assert.Equal(t, tt.permanent, fault.IsPermanent(err))
			assert.Equal(t, tt.class, fault.ClassOf(err))
			assert.Equal(t, tt.after, fault.RetryAfter(err))
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}
