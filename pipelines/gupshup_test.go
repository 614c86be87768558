package pipelines_test

import (
	"bytes"
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

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

const (
	gupshupKey   = "gupshup-api-key"
	gupshupToken = "gupshup-webhook-token-0123"
)

// gupshupAPI is a minimal Gupshup template send API: it records each
// send's form and answers {"status":"submitted"} with an id of its own.
type gupshupAPI struct {
	mu    sync.Mutex
	forms []url.Values
}

func (f *gupshupAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("apikey") != gupshupKey || r.URL.Path != "/wa/api/v1/template/msg" || r.ParseForm() != nil {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"status":"error","message":"Authentication Failed"}`)
		return
	}
	f.mu.Lock()
	f.forms = append(f.forms, r.PostForm)
	n := len(f.forms)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, `{"status":"submitted","messageId":"00000000-0000-4000-8000-%012d"}`, n)
}

func (f *gupshupAPI) sent() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.forms...)
}

// postGupshup posts a v2 webhook to the Gupshup connector with the given
// token ("" for none).
func (h *harness) postGupshup(t *testing.T, token string, body map[string]any) int {
	t.Helper()
	target := h.url + "/hooks/acme/gupshup"
	if token != "" {
		target += "?token=" + token
	}
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func gupshupEvent(status, id, gsID, destination string, detail map[string]any) map[string]any {
	p := map[string]any{"id": id, "type": status, "destination": destination, "payload": detail}
	if gsID != "" {
		p["gsId"] = gsID
	}
	return map[string]any{"app": "KopiClub", "timestamp": 1795921300000, "version": 2, "type": "message-event", "payload": p}
}

// Notifications sent through Gupshup: a template by its Gupshup id with
// its params, and message-events that find the message by the Gupshup id
// the sender recorded and act on Gupshup's codes as on Meta's (1012,
// opted out, opts out of marketing like 131050); user-events' opt-outs
// and opt-ins change the customer's marketing consent. A webhook without
// the token is refused.
func TestGupshupSendsAndActsOnMessageEvents(t *testing.T) {
	fake := &gupshupAPI{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	h := newHarness(t, harnessOpts{yaml: func(cfg string) string {
		cfg = strings.Replace(cfg, "    connectors:\n", fmt.Sprintf(`    connectors:
      gupshup:
        type: whatsapp_gupshup
        api_key: %s
        app_name: KopiClub
        source: "+917834811114"
        webhook_token: %s
        base_url: %s
        templates:
          - name: points_earned
            language: en
            id: 5f9a3c1e-2b7d-4e8a-9c61-0d3b2a4f5e67
`, gupshupKey, gupshupToken, srv.URL), 1)
		cfg = marketing("    messaging:\n      marketing_consent: not_opted_out\n")(cfg)
		return strings.Replace(cfg, "        sender: whatsapp\n", "        sender: gupshup\n", 1)
	}})

	require.Equal(t, http.StatusOK, h.postSale(sale("G-1", "081234560020", "Fajar", "50000")))
	msgs := h.settled(t, 1)
	require.Equal(t, store.MessageSent, msgs[0].Status)
	require.Equal(t, "00000000-0000-4000-8000-000000000001", msgs[0].ProviderMessageID)
	forms := fake.sent()
	require.Len(t, forms, 1)
	assert.Equal(t, "6281234560020", forms[0].Get("destination"))
	assert.Equal(t, "917834811114", forms[0].Get("source"))
	assert.Equal(t, "KopiClub", forms[0].Get("src.name"))
	assert.JSONEq(t, `{"id":"5f9a3c1e-2b7d-4e8a-9c61-0d3b2a4f5e67","params":["Fajar","5","5"]}`, forms[0].Get("template"))

	// Delivered carries WhatsApp's id in id and Gupshup's in gsId.
	delivered := gupshupEvent("delivered", "gBEGkYaYVSEEAgnPFrOLcjkFjL8", msgs[0].ProviderMessageID, "6281234560020", map[string]any{"ts": 1795921300})
	assert.Equal(t, http.StatusUnauthorized, h.postGupshup(t, "", delivered), "no token")
	assert.Equal(t, http.StatusUnauthorized, h.postGupshup(t, "gupshup-webhook-token-0124", delivered), "wrong token")
	require.Equal(t, http.StatusOK, h.postGupshup(t, gupshupToken, delivered))
	eventually(t, "the delivered status", func() bool {
		var m store.Message
		h.admin(http.MethodGet, "/messages/"+msgs[0].Key, &m)
		return m.Status == store.MessageDelivered
	})

	require.Equal(t, http.StatusOK, h.postSale(sale("G-2", "081234560021", "Gita", "50000")))
	msgs = h.settled(t, 2)
	gsID := "00000000-0000-4000-8000-000000000002"
	failed := gupshupEvent("failed", gsID, "", "6281234560021",
		map[string]any{"code": 1012, "reason": "Message Sending failed as the phone number is opted out."})
	require.Equal(t, http.StatusOK, h.postGupshup(t, gupshupToken, failed))
	eventually(t, "the opt-out Gupshup reported", func() bool {
		return h.contact(t, "+6281234560021").Marketing == member.ConsentOptedOut
	})
	var got store.Message
	for _, m := range msgs {
		if m.ProviderMessageID == gsID {
			h.admin(http.MethodGet, "/messages/"+m.Key, &got)
		}
	}
	assert.Equal(t, store.MessageFailed, got.Status)
	assert.Equal(t, "1012", got.ErrorCode)

	// A user-event: the customer opted out at Gupshup, then in again.
	userEvent := func(kind string, ms int64) map[string]any {
		return map[string]any{"app": "KopiClub", "timestamp": ms, "version": 2, "type": "user-event",
			"payload": map[string]any{"phone": "6281234560020", "type": kind}}
	}
	require.Equal(t, http.StatusOK, h.postGupshup(t, gupshupToken, userEvent("opted-out", 1795921400000)))
	eventually(t, "the opt-out of the user-event", func() bool {
		return h.contact(t, "+6281234560020").Marketing == member.ConsentOptedOut
	})
	require.Equal(t, http.StatusOK, h.postGupshup(t, gupshupToken, userEvent("opted-in", 1795921500000)))
	eventually(t, "the opt-in of the user-event", func() bool {
		return h.contact(t, "+6281234560020").Marketing == member.ConsentOptedIn
	})
	require.Equal(t, http.StatusOK, h.postGupshup(t, gupshupToken, userEvent("sandbox-start", 1795921600000)))
	assert.Equal(t, member.ConsentOptedIn, h.contact(t, "+6281234560020").Marketing, "sandbox-start changes nothing")
}
