package pipelines_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

const testMetaAppSecret = "meta-app-secret"

func withApp(cfg string) string {
	return cfg + fmt.Sprintf("whatsapp_apps:\n  agency:\n    app_secret: %s\n    verify_token: app-verify\n", testMetaAppSecret)
}

func (h *harness) postApp(t *testing.T, body, secret string) (int, map[string]any) {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	req, err := http.NewRequest(http.MethodPost, h.url+"/apps/agency/whatsapp", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := h.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestSharedAppWebhookRoutesByPhoneNumberID(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: withApp})
	at := time.Now().Unix()
	change := func(phoneID, from, id string) string {
		return fmt.Sprintf(`{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"%s"},"contacts":[{"profile":{"name":"Sari"},"wa_id":"%s"}],"messages":[{"from":"%s","id":"%s","timestamp":"%d","type":"text","text":{"body":"hi"}}]}}`,
			phoneID, from, from, id, at)
	}
	body := `{"object":"whatsapp_business_account","entry":[{"id":"200000000000009","changes":[` +
		change(testNumberID, "6281234561111", "wamid.A1") + `,` + change("999999999999999", "6281234562222", "wamid.B1") + `]}]}`

	code, _ := h.postApp(t, body, "wrong secret")
	assert.Equal(t, http.StatusUnauthorized, code)

	code, out := h.postApp(t, body, testMetaAppSecret)
	require.Equal(t, http.StatusOK, code)
	assert.EqualValues(t, 1, out["deliveries"])
	assert.EqualValues(t, 1, out["unrouted"])
	var health struct {
		Connectors []struct {
			Name       string
			Deliveries struct{ OK int64 }
		}
	}
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/health", &health))
	routed := map[string]int64{}
	for _, c := range health.Connectors {
		routed[c.Name] = c.Deliveries.OK
	}
	assert.Equal(t, map[string]int64{"pos": 0, "whatsapp": 1}, routed, "the change routed to the tenant's number is its delivery")

	eventually(t, "the routed message's contact", func() bool {
		var c struct {
			Contact    member.Contact
			WindowOpen bool `json:"window_open"`
		}
		return h.admin(http.MethodGet, "/contacts?phone=6281234561111", &c) == http.StatusOK && c.WindowOpen
	})

	req, _ := http.NewRequest(http.MethodGet, h.url+"/api/v1/apps/agency/deadletters", nil)
	req.Header.Set("Authorization", "Bearer "+testAdmin)
	resp, err := h.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var dl struct {
		DeadLetters []store.DeadLetter `json:"dead_letters"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&dl))
	require.Len(t, dl.DeadLetters, 1)
	assert.Contains(t, dl.DeadLetters[0].Reason, "999999999999999")
	assert.Contains(t, string(dl.DeadLetters[0].Payload), "wamid.B1")
	assert.NotContains(t, string(dl.DeadLetters[0].Payload), "wamid.A1")

	// Meta's verification of the shared URL.
	resp2, err := h.client.Get(h.url + "/apps/agency/whatsapp?hub.mode=subscribe&hub.verify_token=app-verify&hub.challenge=42")
	require.NoError(t, err)
	defer resp2.Body.Close()
	assert.Equal(t, http.StatusOK, resp2.StatusCode)
}

// A signed body of the shared app that is JSON but not a WhatsApp webhook
// (another product subscribed to the same app) is counted and answered,
// neither dead-lettered nor silently dropped; one that is not JSON is kept.
func TestSharedAppWebhookCountsWhatIsNotAnEnvelope(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: withApp})
	for _, body := range []string{
		`{"object":"page","entry":[{"id":"1","time":1795404800,"messaging":[]}]}`,
		`[{"object":"whatsapp_business_account"}]`,
		`{"hello":"world"}`,
	} {
		code, out := h.postApp(t, body, testMetaAppSecret)
		require.Equal(t, http.StatusOK, code, body)
		assert.EqualValues(t, 0, out["deliveries"], body)
		assert.EqualValues(t, 0, out["unrouted"], body)
	}
	assert.EqualValues(t, 3, counterValue(t, h.hub.Metrics().PartsIgnored.WithLabelValues("app:agency", "agency", "not_an_envelope")))

	code, out := h.postApp(t, `{"object": "whatsapp_business_account", "entry": [`, testMetaAppSecret)
	require.Equal(t, http.StatusOK, code)
	assert.EqualValues(t, 1, out["unrouted"], "a signed body that is not JSON is kept as a dead letter")
}
