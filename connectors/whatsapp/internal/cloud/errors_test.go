package cloud

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/fault"
)

func graphBody(code int) []byte {
	return fmt.Appendf(nil, `{"error":{"message":"(#%d) something","type":"OAuthException","code":%d,"error_data":{"messaging_product":"whatsapp","details":"more"},"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}`, code, code)
}

// Every code of Meta's error table, with its expected handling.
var codeTable = []struct {
	code      int
	class     fault.Class
	permanent bool
}{
	{0, fault.ClassAuth, true},
	{3, fault.ClassAuth, true},
	{10, fault.ClassAuth, true},
	{190, fault.ClassAuth, true},
	{200, fault.ClassAuth, true},
	{250, fault.ClassAuth, true},
	{299, fault.ClassAuth, true},
	{4, fault.ClassThrottle, false},
	{80007, fault.ClassThrottle, false},
	{130429, fault.ClassThrottle, false},
	{131056, fault.ClassThrottle, false},
	{132069, fault.ClassThrottle, false},
	{1, fault.ClassTransient, false},
	{2, fault.ClassTransient, false},
	{131000, fault.ClassTransient, false},
	{131016, fault.ClassTransient, false},
	{131057, fault.ClassTransient, false},
	{133004, fault.ClassTransient, false},
	{131026, fault.ClassRecipient, true},
	{130472, fault.ClassRecipient, true},
	{131021, fault.ClassRecipient, true},
	{131048, fault.ClassPolicy, true},
	{131049, fault.ClassPolicy, true},
	{131050, fault.ClassPolicy, true},
	{368, fault.ClassPolicy, true},
	{131047, fault.ClassWindow, true},
	{132000, fault.ClassTemplate, true},
	{132001, fault.ClassTemplate, true},
	{132005, fault.ClassTemplate, true},
	{132007, fault.ClassTemplate, true},
	{132012, fault.ClassTemplate, true},
	{132015, fault.ClassTemplate, true},
	{132016, fault.ClassTemplate, true},
	{132018, fault.ClassTemplate, true},
	{132068, fault.ClassTemplate, true},
	{100, fault.ClassRequest, true},
	{131008, fault.ClassRequest, true},
	{131009, fault.ClassRequest, true},
	{131051, fault.ClassRequest, true},
	{131052, fault.ClassRequest, true},
	{131053, fault.ClassRequest, true},
	{131030, fault.ClassAccount, true},
	{131031, fault.ClassAccount, true},
	{131037, fault.ClassAccount, true},
	{131042, fault.ClassAccount, true},
	{131062, fault.ClassAccount, true},
	{131064, fault.ClassAccount, true},
	{130497, fault.ClassAccount, true},
	{133000, fault.ClassAccount, true},
	{133005, fault.ClassAccount, true},
	{133006, fault.ClassAccount, true},
	{133008, fault.ClassAccount, true},
	{133009, fault.ClassAccount, true},
	{133010, fault.ClassAccount, true},
	{133015, fault.ClassAccount, true},
	{133016, fault.ClassAccount, true},
}

func TestClassifyCodes(t *testing.T) {
	for _, tt := range codeTable {
		t.Run(strconv.Itoa(tt.code), func(t *testing.T) {
			// The HTTP status must not matter: Meta's code decides.
			for _, status := range []int{400, 403, 500} {
				fe := classifyResponse(status, http.Header{}, graphBody(tt.code), time.Now())
				assert.Equal(t, tt.class, fe.Class, "HTTP %d", status)
				assert.Equal(t, tt.permanent, fe.Permanent, "HTTP %d", status)
				assert.Equal(t, strconv.Itoa(tt.code), fe.Code)
				var apiErr *APIError
				require.ErrorAs(t, fe, &apiErr)
				assert.Equal(t, status, apiErr.HTTPStatus)
				assert.Equal(t, "more", apiErr.Graph.ErrorData.Details)
			}
		})
	}
}

// A failed status webhook's code is classified by the same table.
func TestClassifyDeliveryError(t *testing.T) {
	c := &Client{}
	for _, tt := range codeTable {
		t.Run(strconv.Itoa(tt.code), func(t *testing.T) {
			err := c.ClassifyDeliveryError(tt.code, "Message failed to send.")
			assert.Equal(t, tt.class, fault.ClassOf(err))
			assert.Equal(t, tt.permanent, fault.IsPermanent(err))
			assert.Equal(t, strconv.Itoa(tt.code), fault.CodeOf(err))
			var de *DeliveryError
			require.ErrorAs(t, err, &de)
			assert.Contains(t, err.Error(), "Message failed to send.")
		})
	}
	t.Run("unknown code", func(t *testing.T) {
		err := c.ClassifyDeliveryError(139999, "")
		assert.Equal(t, fault.ClassRequest, fault.ClassOf(err))
		assert.True(t, fault.IsPermanent(err))
		assert.Equal(t, "whatsapp reported the message failed: code 139999", err.Error())
	})
}

func TestCodeTableComplete(t *testing.T) {
	tested := map[int]bool{}
	for _, tt := range codeTable {
		tested[tt.code] = true
	}
	for code := range codeRules {
		assert.True(t, tested[code], "code %d has a rule but no test", code)
	}
}

func TestClassifyWithoutCode(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		class     fault.Class
		permanent bool
	}{
		{"500 without body", 500, "", fault.ClassTransient, false},
		{"502 html", 502, "<html>Bad Gateway</html>", fault.ClassTransient, false},
		{"503 plain", 503, "Service Unavailable", fault.ClassTransient, false},
		{"429 without code", 429, "", fault.ClassThrottle, false},
		{"401 without code", 401, "", fault.ClassAuth, true},
		{"400 garbage", 400, "{", fault.ClassRequest, true},
		{"error object not an object", 400, `{"error":"nope"}`, fault.ClassRequest, true},
		{"unknown code on 400", 400, string(graphBody(999999)), fault.ClassRequest, true},
		{"unknown code on 503", 503, string(graphBody(999999)), fault.ClassTransient, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := classifyResponse(tt.status, http.Header{}, []byte(tt.body), time.Now())
			assert.Equal(t, tt.class, fe.Class)
			assert.Equal(t, tt.permanent, fe.Permanent)
			assert.NotEmpty(t, fe.Error())
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		code   int
		header string
		want   time.Duration
	}{
		{"seconds on throttle", 130429, "5", 5 * time.Second},
		{"http date on throttle", 80007, now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"absent", 130429, "", 0},
		{"garbage", 130429, "soon", 0},
		{"negative", 4, "-3", 0},
		{"date in the past", 4, now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"huge capped to a day", 4, "99999999", 24 * time.Hour},
		{"transient honours it too", 131016, "2", 2 * time.Second},
		{"ignored on permanent", 131026, "5", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("Retry-After", tt.header)
			}
			fe := classifyResponse(400, h, graphBody(tt.code), now)
			assert.Equal(t, tt.want, fe.RetryAfter)
		})
	}
}

func TestClassifyTransport(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	read := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
	tests := []struct {
		name     string
		err      error
		wrote    bool
		wantCode string
	}{
		{"dial error before writing", dial, false, ""},
		{"dial error is never ambiguous", dial, true, ""},
		{"dns error", &net.DNSError{Err: "no such host", Name: "graph.example"}, false, ""},
		{"reset after writing", read, true, connectors.AmbiguousCode},
		{"reset before writing", read, false, ""},
		{"timeout after writing", errors.New("Client.Timeout exceeded"), true, connectors.AmbiguousCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := classifyTransport(tt.err, tt.wrote)
			assert.False(t, fe.Permanent)
			assert.Equal(t, fault.ClassTransient, fe.Class)
			assert.Equal(t, tt.wantCode, fe.Code)
			assert.ErrorIs(t, fe, tt.err)
		})
	}
}
