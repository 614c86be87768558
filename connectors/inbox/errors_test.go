package inbox

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/fault"
)

func TestClassify(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		status     int
		retryAfter string
		ok         bool
		permanent  bool
		class      fault.Class
		after      time.Duration
		contains   string
	}{
		{status: 200, ok: true},
		{status: 202, ok: true},
		{status: 204, ok: true},
		{status: 500, class: fault.ClassTransient, contains: "HTTP 500"},
		{status: 503, retryAfter: "120", class: fault.ClassTransient, after: 2 * time.Minute},
		{status: 502, retryAfter: now.Add(90 * time.Second).Format(http.TimeFormat), class: fault.ClassTransient, after: 90 * time.Second},
		{status: 504, retryAfter: "86400", class: fault.ClassTransient, after: time.Hour},
		{status: 429, retryAfter: "7", class: fault.ClassThrottle, after: 7 * time.Second},
		{status: 408, class: fault.ClassTransient},
		{status: 401, permanent: true, class: fault.ClassAuth, contains: "check conversation.handoff.secret"},
		{status: 403, permanent: true, class: fault.ClassAuth},
		{status: 404, permanent: true, class: fault.ClassRequest, contains: "check conversation.handoff.webhook_url"},
		{status: 400, permanent: true, class: fault.ClassRequest},
		{status: 410, retryAfter: "5", permanent: true, class: fault.ClassRequest},
		{status: 422, permanent: true, class: fault.ClassRequest},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			err := classify(tt.status, tt.retryAfter, now)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.permanent, fault.IsPermanent(err))
			assert.Equal(t, tt.class, fault.ClassOf(err))
			assert.Equal(t, tt.after, fault.RetryAfter(err))
			assert.Contains(t, err.Error(), tt.contains)
		})
	}
}
