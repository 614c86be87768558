package pipelines_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

// specReceiver is another system's endpoint, written from the Standard
// Webhooks specification alone: it checks the timestamp is recent and one
// of the v1 signatures is the HMAC-SHA256 of "{id}.{timestamp}.{body}"
// under the secret's base64 key, then keeps the message.
type specReceiver struct {
	key []byte
	mu  sync.Mutex
	ids []string
	msg []map[string]any
	bad int
}

func (rc *specReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id, ts, sigs := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
	sec, err := strconv.ParseInt(ts, 10, 64)
	ok := err == nil && time.Since(time.Unix(sec, 0)).Abs() < 5*time.Minute
	if ok {
		mac := hmac.New(sha256.New, rc.key)
		mac.Write([]byte(id + "." + ts + "." + string(body)))
		want := mac.Sum(nil)
		ok = false
		for _, s := range strings.Fields(sigs) {
			if v, sig, _ := strings.Cut(s, ","); v == "v1" {
				got, err := base64.StdEncoding.DecodeString(sig)
				ok = ok || (err == nil && hmac.Equal(got, want))
			}
		}
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !ok {
		rc.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	rc.ids = append(rc.ids, id)
	rc.msg = append(rc.msg, m)
	w.WriteHeader(http.StatusNoContent)
}

func (rc *specReceiver) received() ([]string, []map[string]any, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.ids...), append([]map[string]any(nil), rc.msg...), rc.bad
}

func TestSaleSendsASignedPointsEarnedWebhook(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	rc := &specReceiver{key: key}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	h := newHarness(t, harnessOpts{yaml: func(cfg string) string {
		return cfg + `
    webhooks:
      - name: crm
        url: ` + srv.URL + `
        secret: ` + secret + `
        events: [points.earned, tier.*]
`
	}})
	require.Equal(t, http.StatusOK, h.postSale(sale("WH-1", "081234560201", "Sari Dewi", "100000")))
	eventually(t, "the points.earned webhook", func() bool {
		ids, _, _ := rc.received()
		return len(ids) == 1
	})
	ids, msgs, bad := rc.received()
	assert.Zero(t, bad, "every request verified")
	assert.True(t, strings.HasPrefix(ids[0], "msg_"))
	assert.Equal(t, "points.earned", msgs[0]["type"])
	assert.NotEmpty(t, msgs[0]["timestamp"])
	data := msgs[0]["data"].(map[string]any)
	member := data["member"].(map[string]any)
	assert.Equal(t, "+6281234560201", member["phone"])
	assert.EqualValues(t, 10, member["balance"])
	assert.Equal(t, "acme", data["tenant"])

	// The runner run again (another replica, a restart) has nothing to send.
	n, err := h.hub.Webhooks().RunDue(context.Background())
	require.NoError(t, err)
	assert.Zero(t, n)

	// The same sale again is the same event: no second delivery.
	require.Equal(t, http.StatusOK, h.postSale(sale("WH-1", "081234560201", "Sari Dewi", "100000")))

	var list struct {
		Webhooks []struct {
			Name     string
			Disabled bool
			Health   store.WebhookEndpoint
		}
	}
	eventually(t, "the endpoint's success recorded", func() bool {
		return h.admin(http.MethodGet, "/webhooks", &list) == http.StatusOK && len(list.Webhooks) == 1 &&
			!list.Webhooks[0].Health.LastSuccessAt.IsZero()
	})
	assert.Equal(t, "crm", list.Webhooks[0].Name)
	assert.False(t, list.Webhooks[0].Disabled)

	var deliveries struct{ Deliveries []store.WebhookDelivery }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/webhooks/crm/deliveries?status=delivered", &deliveries))
	require.Len(t, deliveries.Deliveries, 1, "one delivery of the event")
	assert.Equal(t, ids[0], deliveries.Deliveries[0].ID)
	var one struct {
		Delivery store.WebhookDelivery
		Attempts []store.WebhookAttempt
	}
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/webhooks/crm/deliveries/"+ids[0], &one))
	require.Len(t, one.Attempts, 1)
	assert.Equal(t, http.StatusNoContent, one.Attempts[0].StatusCode)

	require.Equal(t, http.StatusOK, h.admin(http.MethodPost, "/webhooks/crm/deliveries/"+ids[0]+"/replay", nil))
	eventually(t, "the replay", func() bool {
		got, _, _ := rc.received()
		return len(got) == 2
	})
	ids, msgs, _ = rc.received()
	assert.Equal(t, ids[0], ids[1], "a replay carries the same webhook-id")
	assert.Equal(t, msgs[0], msgs[1])

	require.Equal(t, http.StatusOK, h.admin(http.MethodPost, "/webhooks/crm/enable", nil))
	assert.Equal(t, http.StatusNotFound, h.admin(http.MethodGet, "/webhooks/erp/deliveries", nil))
	assert.Equal(t, http.StatusNotFound, h.admin(http.MethodPost, "/webhooks/crm/deliveries/msg_none/replay", nil))
	assert.Equal(t, http.StatusBadRequest, h.admin(http.MethodGet, "/webhooks/crm/deliveries?status=lost", nil))
	ids, _, _ = rc.received()
	assert.Len(t, ids, 2, "nothing else was sent")
}
