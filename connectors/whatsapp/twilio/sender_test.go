package twilio

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/messaging"
)

func testProtocol(t *testing.T, mutate func(*Config)) *protocol {
	t.Helper()
	cfg := testConfig(DefaultBaseURL)
	if mutate != nil {
		mutate(&cfg)
	}
	require.NoError(t, cfg.Validate())
	p, err := newProtocol(cfg)
	require.NoError(t, err)
	return p
}

func encodeForm(t *testing.T, p *protocol, cmd messaging.Command) (url.Values, error) {
	t.Helper()
	b, err := p.Encode(cmd)
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(b))
	require.NoError(t, err)
	return form, nil
}

func TestEncode(t *testing.T) {
	p := testProtocol(t, nil)
	base := messaging.Command{Key: "msg_1", Tenant: "acme", Sender: "wa", To: "+6281234567890", Category: messaging.CategoryService}
	cmd := func(mutate func(*messaging.Command)) messaging.Command {
		c := base
		mutate(&c)
		return c
	}
	tests := []struct {
		name string
		cmd  messaging.Command
		want url.Values
	}{
		{"text", cmd(func(c *messaging.Command) { c.Kind, c.Text = messaging.KindText, "Halo Sari & co" }), url.Values{
			"Body": {"Halo Sari & co"},
		}},
		{"image with caption", cmd(func(c *messaging.Command) {
			c.Kind, c.Media = messaging.KindImage, &messaging.Media{Link: "https://cdn.example.com/a.jpg", Caption: "Promo"}
		}), url.Values{"MediaUrl": {"https://cdn.example.com/a.jpg"}, "Body": {"Promo"}}},
		{"document named after its URL", cmd(func(c *messaging.Command) {
			c.Kind, c.Media = messaging.KindDocument, &messaging.Media{Link: "https://cdn.example.com/terms.pdf", Filename: "terms.pdf"}
		}), url.Values{"MediaUrl": {"https://cdn.example.com/terms.pdf"}}},
		{"template with default variables", cmd(func(c *messaging.Command) {
			c.Kind, c.Category = messaging.KindTemplate, messaging.CategoryUtility
			c.Template = &messaging.Template{Name: "points_earned", Language: "id", Body: messaging.Positional("Sari", `120 "poin"`)}
		}), url.Values{"ContentSid": {"HX00000000000000000000000000000001"}, "ContentVariables": {`{"1":"Sari","2":"120 \"poin\""}`}}},
		{"template without parameters", cmd(func(c *messaging.Command) {
			c.Kind, c.Category = messaging.KindTemplate, messaging.CategoryUtility
			c.Template = &messaging.Template{Name: "points_earned", Language: "id"}
		}), url.Values{"ContentSid": {"HX00000000000000000000000000000001"}}},
		{"language matched without case", cmd(func(c *messaging.Command) {
			c.Kind, c.Category = messaging.KindTemplate, messaging.CategoryUtility
			c.Template = &messaging.Template{Name: "tier_changed", Language: "en_us",
				Header: &messaging.Header{Type: messaging.HeaderText, Name: "tier", Text: "Gold"},
				Body:   []messaging.Param{{Name: "points", Text: "1,250"}, {Name: "first_name", Text: "Sari"}}}
		}), url.Values{"ContentSid": {"HX00000000000000000000000000000002"}, "ContentVariables": {`{"1":"Gold","2":"Sari","3":"1,250"}`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form, err := encodeForm(t, p, tt.cmd)
			require.NoError(t, err)
			tt.want.Set("To", "whatsapp:+6281234567890")
			tt.want.Set("From", "whatsapp:+14155238886")
			tt.want.Set("StatusCallback", testWebhook+"?loyalhub_key=msg_1")
			assert.Equal(t, tt.want, form)
		})
	}
}

func TestEncodeMessagingService(t *testing.T) {
	p := testProtocol(t, func(c *Config) {
		c.From, c.MessagingServiceSID = "", "MG0123456789abcdef0123456789abcdef"
		c.WebhookURL = "https://hub.example.com/hooks/acme/wa?region=id"
	})
	form, err := encodeForm(t, p, messaging.Command{Key: "k 1", To: "+6281234567890", Kind: messaging.KindText, Text: "hi", Category: messaging.CategoryService})
	require.NoError(t, err)
	assert.Empty(t, form.Get("From"))
	assert.Equal(t, "MG0123456789abcdef0123456789abcdef", form.Get("MessagingServiceSid"))
	assert.Equal(t, "https://hub.example.com/hooks/acme/wa?loyalhub_key=k+1&region=id", form.Get("StatusCallback"),
		"the webhook URL's own query is kept")
}

func TestEncodeRefuses(t *testing.T) {
	p := testProtocol(t, nil)
	tpl := func(t *messaging.Template) messaging.Command {
		return messaging.Command{Key: "k", To: "+6281234567890", Kind: messaging.KindTemplate, Category: messaging.CategoryUtility, Template: t}
	}
	tests := []struct {
		name        string
		cmd         messaging.Command
		unsupported bool
	}{
		{"template with no Content SID", tpl(&messaging.Template{Name: "unknown", Language: "id"}), false},
		{"parameter that fills no variable", tpl(&messaging.Template{Name: "tier_changed", Language: "en_US",
			Header: &messaging.Header{Type: messaging.HeaderText, Text: "Gold"},
			Body:   []messaging.Param{{Name: "first_name", Text: "Sari"}, {Name: "points", Text: "1"}, {Name: "extra", Text: "x"}}}), false},
		{"variable the message cannot fill", tpl(&messaging.Template{Name: "tier_changed", Language: "en_US",
			Body: []messaging.Param{{Name: "first_name", Text: "Sari"}, {Name: "points", Text: "1"}}}), false},
		{"document header named otherwise", tpl(&messaging.Template{Name: "statement", Language: "id",
			Header: &messaging.Header{Type: messaging.HeaderDocument, Link: "https://cdn.example.com/s.pdf", Filename: "statement.pdf"}}), true},
		{"list", messaging.Command{Key: "k", To: "+6281234567890", Kind: messaging.KindList, Category: messaging.CategoryService,
			Interactive: &messaging.Interactive{Body: "b", ListButton: "See", Sections: []messaging.Section{{Rows: []messaging.Row{{ID: "r", Title: "R"}}}}}}, true},
		{"business-scoped user id", messaging.Command{Key: "k", UserID: "ID.1349120865530274", Kind: messaging.KindText, Text: "hi", Category: messaging.CategoryService}, true},
		{"not E.164", messaging.Command{Key: "k", To: "081234567890", Kind: messaging.KindText, Text: "hi", Category: messaging.CategoryService}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Encode(tt.cmd)
			require.Error(t, err)
			assert.Equal(t, tt.unsupported, errors.Is(err, ErrUnsupported), "error: %v", err)
		})
	}
}

func TestClassify(t *testing.T) {
	now := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	p := &protocol{}
	tests := []struct {
		name      string
		status    int
		body      string
		header    http.Header
		class     fault.Class
		permanent bool
		code      string
		retry     time.Duration
	}{
		{"outside the window", 400, `{"code":63016,"message":"Failed to send freeform message because you are outside the allowed window.","more_info":"https://www.twilio.com/docs/errors/63016","status":400}`,
			nil, fault.ClassWindow, true, messaging.CodeReengagement, 0},
		{"unsubscribed", 400, `{"code":21610,"message":"Attempt to send to unsubscribed recipient","status":400}`, nil, fault.ClassPolicy, true, messaging.CodeStopped, 0},
		{"invalid To", 400, `{"code":21211,"message":"The 'To' number is not a valid phone number.","status":400}`, nil, fault.ClassRecipient, true, "21211", 0},
		{"too many requests", 429, `{"code":20429,"message":"Too Many Requests","status":429}`, http.Header{"Retry-After": {"7"}}, fault.ClassThrottle, false, "20429", 7 * time.Second},
		{"channel rate limit", 400, `{"code":63018,"message":"Rate limit exceeded","status":400}`, nil, fault.ClassThrottle, false, "130429", 0},
		{"credentials", 401, `{"code":20003,"message":"Authenticate","status":401}`, nil, fault.ClassAuth, true, "20003", 0},
		{"unknown code goes by status", 400, `{"code":29999,"message":"new","status":400}`, nil, fault.ClassRequest, true, "29999", 0},
		{"proxy error without a body", 503, `<html>busy</html>`, nil, fault.ClassTransient, false, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Classify(tt.status, tt.header, []byte(tt.body), now)
			assert.Equal(t, tt.class, fault.ClassOf(err))
			assert.Equal(t, tt.permanent, fault.IsPermanent(err))
			assert.Equal(t, tt.code, fault.CodeOf(err))
			assert.Equal(t, tt.retry, fault.RetryAfter(err))
		})
	}
}

func TestClassifyDeliveryError(t *testing.T) {
	s, err := NewSender(testConfig(DefaultBaseURL), nil)
	require.NoError(t, err)
	for code, want := range map[int]struct {
		class fault.Class
		code  string
	}{
		63016: {fault.ClassWindow, messaging.CodeReengagement},
		63049: {fault.ClassPolicy, messaging.CodeEcosystem},
		21610: {fault.ClassPolicy, messaging.CodeStopped},
		63024: {fault.ClassRecipient, "63024"},
		30008: {fault.ClassTransient, "30008"},
	} {
		err := s.ClassifyDeliveryError(code, "reported on a status callback")
		assert.Equal(t, want.class, fault.ClassOf(err), "%d", code)
		assert.Equal(t, want.code, fault.CodeOf(err), "%d", code)
		assert.Contains(t, err.Error(), "reported on a status callback")
	}
}

func TestMarkReadNeedsAMessageSID(t *testing.T) {
	s, err := NewSender(testConfig("http://127.0.0.1:1"), nil)
	require.NoError(t, err)
	err = s.MarkRead(context.Background(), "")
	require.Error(t, err)
	assert.True(t, fault.IsPermanent(err))
}
