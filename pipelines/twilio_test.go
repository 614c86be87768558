package pipelines_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/twilio"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

const (
	twilioAccount = "AC0123456789abcdef0123456789abcdef"
	twilioToken   = "twilio-auth-token"
	twilioHook    = "https://hub.example.com/hooks/acme/twilio"
)

// twilioMessages is a minimal Twilio Messages API: it records each send's
// form and answers a Message resource with a SID of its own.
type twilioMessages struct {
	mu    sync.Mutex
	forms []url.Values
}

func (f *twilioMessages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if user, pass, ok := r.BasicAuth(); !ok || user != twilioAccount || pass != twilioToken ||
		r.URL.Path != "/2010-04-01/Accounts/"+twilioAccount+"/Messages.json" || r.ParseForm() != nil {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"code":20003,"message":"Authenticate","status":401}`)
		return
	}
	f.mu.Lock()
	f.forms = append(f.forms, r.PostForm)
	n := len(f.forms)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"sid":"SM%032d","status":"queued","to":%q,"error_code":null}`, n, r.PostForm.Get("To"))
}

func (f *twilioMessages) sent() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.forms...)
}

// postTwilio posts a status callback or incoming message to the Twilio
// connector, at the URL Twilio would call (query included), signed with
// the auth token unless sign is false.
func (h *harness) postTwilio(t *testing.T, query string, params url.Values, sign bool) int {
	t.Helper()
	target, signed := h.url+"/hooks/acme/twilio", twilioHook
	if query != "" {
		target, signed = target+"?"+query, signed+"?"+query
	}
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(params.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sign {
		req.Header.Set(twilio.SignatureHeader, twilio.Signature(twilioToken, signed, params))
	}
	resp, err := h.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// Notifications sent through Twilio: a Content template with its
// variables, and status callbacks that find the message by its SID and act
// on Twilio's codes as on Meta's (21610, unsubscribed, opts out of
// marketing like 131050).
func TestTwilioSendsAndActsOnStatusCallbacks(t *testing.T) {
	fake := &twilioMessages{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	h := newHarness(t, harnessOpts{yaml: func(cfg string) string {
		cfg = strings.Replace(cfg, "    connectors:\n", fmt.Sprintf(`    connectors:
      twilio:
        type: whatsapp_twilio
        account_sid: %s
        auth_token: %s
        from: "+14155238886"
        webhook_url: %s
        base_url: %s
        messaging_base_url: %s
        templates:
          - name: points_earned
            language: en
            content_sid: HX0123456789abcdef0123456789abcdef
`, twilioAccount, twilioToken, twilioHook, srv.URL, srv.URL), 1)
		cfg = marketing("    messaging:\n      marketing_consent: not_opted_out\n")(cfg)
		return strings.Replace(cfg, "        sender: whatsapp\n", "        sender: twilio\n", 1)
	}})

	require.Equal(t, http.StatusOK, h.postSale(sale("T-1", "081234560010", "Fajar", "50000")))
	msgs := h.settled(t, 1)
	require.Equal(t, store.MessageSent, msgs[0].Status)
	require.Equal(t, "SM00000000000000000000000000000001", msgs[0].ProviderMessageID)
	forms := fake.sent()
	require.Len(t, forms, 1)
	assert.Equal(t, "whatsapp:+6281234560010", forms[0].Get("To"))
	assert.Equal(t, "whatsapp:+14155238886", forms[0].Get("From"))
	assert.Equal(t, "HX0123456789abcdef0123456789abcdef", forms[0].Get("ContentSid"))
	var vars map[string]string
	require.NoError(t, json.Unmarshal([]byte(forms[0].Get("ContentVariables")), &vars))
	assert.Equal(t, map[string]string{"1": "Fajar", "2": "5", "3": "5"}, vars)
	callback, err := url.Parse(forms[0].Get("StatusCallback"))
	require.NoError(t, err)
	assert.Equal(t, msgs[0].Key, callback.Query().Get(twilio.KeyParam))

	delivered := url.Values{
		"MessageSid": {msgs[0].ProviderMessageID}, "SmsSid": {msgs[0].ProviderMessageID},
		"MessageStatus": {"delivered"}, "SmsStatus": {"delivered"}, "ChannelPrefix": {"whatsapp"},
		"To": {"whatsapp:+6281234560010"}, "From": {"whatsapp:+14155238886"},
		"AccountSid": {twilioAccount}, "ApiVersion": {"2010-04-01"},
	}
	assert.Equal(t, http.StatusUnauthorized, h.postTwilio(t, callback.RawQuery, delivered, false), "unsigned")
	require.Equal(t, http.StatusOK, h.postTwilio(t, callback.RawQuery, delivered, true))
	eventually(t, "the delivered status", func() bool {
		var m store.Message
		h.admin(http.MethodGet, "/messages/"+msgs[0].Key, &m)
		return m.Status == store.MessageDelivered
	})

	require.Equal(t, http.StatusOK, h.postSale(sale("T-2", "081234560011", "Gita", "50000")))
	msgs = h.settled(t, 2)
	sid := "SM00000000000000000000000000000002"
	undelivered := url.Values{
		"MessageSid": {sid}, "MessageStatus": {"undelivered"}, "ErrorCode": {"21610"},
		"To": {"whatsapp:+6281234560011"}, "From": {"whatsapp:+14155238886"}, "AccountSid": {twilioAccount},
	}
	// No key in the URL: the status finds its message by the SID alone.
	require.Equal(t, http.StatusOK, h.postTwilio(t, "", undelivered, true))
	eventually(t, "the opt-out Twilio reported", func() bool {
		return h.contact(t, "+6281234560011").Marketing == member.ConsentOptedOut
	})
	var failed store.Message
	for _, m := range msgs {
		if m.ProviderMessageID == sid {
			h.admin(http.MethodGet, "/messages/"+m.Key, &failed)
		}
	}
	assert.Equal(t, store.MessageFailed, failed.Status)
	assert.Equal(t, "21610", failed.ErrorCode)
}
