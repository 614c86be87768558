package gupshup

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// A failed message-event's code is classified as the same code answered
// at once: Gupshup's own codes by their table, Meta's (passed on) as the
// Cloud API senders classify them, anything else as a request error.
func TestClassifyDeliveryError(t *testing.T) {
	s, err := NewSender(testConfig(DefaultBaseURL), nil)
	require.NoError(t, err)
	for _, tt := range []struct {
		code      int
		class     fault.Class
		permanent bool
		want      string
	}{
		{1002, fault.ClassRecipient, true, "1002"},
		{1003, fault.ClassAccount, true, "1003"},
		{1005, fault.ClassWindow, true, messaging.CodeReengagement},
		{1012, fault.ClassPolicy, true, messaging.CodeStopped},
		{4001, fault.ClassThrottle, false, "130429"},
		{4005, fault.ClassTemplate, true, "4005"},
		{131047, fault.ClassWindow, true, messaging.CodeReengagement},
		{131026, fault.ClassRecipient, true, "131026"},
		{99999, fault.ClassRequest, true, "99999"},
	} {
		err := s.ClassifyDeliveryError(tt.code, "reason")
		assert.Equal(t, tt.class, fault.ClassOf(err), "%d", tt.code)
		assert.Equal(t, tt.permanent, fault.IsPermanent(err), "%d", tt.code)
		assert.Equal(t, tt.want, fault.CodeOf(err), "%d", tt.code)
	}
}

// An error answer's code may be a number or absent; a 429 without a code
// is a throttle that honours Retry-After.
func TestClassifyAnswer(t *testing.T) {
	p, err := newProtocol(testConfig(DefaultBaseURL))
	require.NoError(t, err)
	now := time.Now()
	fe := p.Classify(http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}}, []byte(`{"status":"error","message":"Too Many Requests"}`), now)
	assert.Equal(t, fault.ClassThrottle, fe.Class)
	assert.Equal(t, 7*time.Second, fe.RetryAfter)
	fe = p.Classify(http.StatusBadRequest, nil, []byte(`{"status":"error","code":1002,"message":{"text":"no"}}`), now)
	assert.Equal(t, fault.ClassRecipient, fe.Class)
	assert.Contains(t, fe.Error(), `{"text":"no"}`)
	fe = p.Classify(http.StatusBadGateway, nil, []byte(`<html>`), now)
	assert.Equal(t, fault.ClassTransient, fe.Class)
	assert.Empty(t, fe.Code)
}

// The wire form of a send: Gupshup's fields, numbers without "+", the
// message as JSON; a template goes to the template endpoint by its id.
func TestEncode(t *testing.T) {
	p, err := newProtocol(testConfig("https://api.example.com"))
	require.NoError(t, err)
	cmd := messaging.Command{Key: "k1", To: "+6281234567890", Kind: messaging.KindText, Category: messaging.CategoryService, Text: "Halo"}
	endpoint, body, err := p.EncodeTo(cmd)
	require.NoError(t, err)
	assert.Equal(t, "https://api.example.com/wa/api/v1/msg", endpoint)
	f, err := url.ParseQuery(string(body))
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"channel": {"whatsapp"}, "source": {"917834811114"}, "destination": {"6281234567890"},
		"src.name": {"KopiClub"}, "message": {`{"type":"text","text":"Halo"}`},
	}, f)

	cmd = messaging.Command{Key: "k2", To: "+6281234567890", Kind: messaging.KindTemplate, Category: messaging.CategoryUtility,
		Template: &messaging.Template{Name: "points_earned", Language: "ID", Body: messaging.Positional("Sari", "120")}}
	endpoint, body, err = p.EncodeTo(cmd)
	require.NoError(t, err)
	assert.Equal(t, "https://api.example.com/wa/api/v1/template/msg", endpoint)
	f, err = url.ParseQuery(string(body))
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"00000000-0000-4000-8000-000000000001","params":["Sari","120"]}`, f.Get("template"))
	assert.Empty(t, f.Get("message"))

	cmd.Template.Name = "unknown"
	_, _, err = p.EncodeTo(cmd)
	require.ErrorContains(t, err, "no Gupshup template id")
}

func TestMarkReadNeedsAnAppID(t *testing.T) {
	cfg := testConfig(DefaultBaseURL)
	cfg.AppID = ""
	s, err := NewSender(cfg, nil)
	require.NoError(t, err)
	err = s.MarkRead(context.Background(), "wamid.1")
	require.Error(t, err)
	assert.True(t, fault.IsPermanent(err))
}
