package pipelines_test

import (
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

// redactAnswer is the admin API's answer to POST /privacy/redact.
type redactAnswer struct {
	RequestID   string    `json:"request_id"`
	Actor       string    `json:"actor"`
	Members     []string  `json:"members"`
	DeadLetters int       `json:"dead_letters"`
	At          time.Time `json:"at"`
	Replayed    bool      `json:"replayed"`
	Error       string    `json:"error"`
}

// posSale is a POS sale of customer (raw JSON of the documented
// "customer" object).
func posSale(id, customer, total string) []byte {
	return fmt.Appendf(nil, `{"sale_id":%q,"customer":%s,"total":%q,"currency":"IDR"}`, id, customer, total)
}

// deadLetterOf returns the dead letter of a sale: the one whose reason
// names the sale's id.
func (h *harness) deadLetterOf(t *testing.T, saleID string) (id string, payload string, meta map[string]string) {
	t.Helper()
	for _, d := range h.deadLetters().DeadLetters {
		if strings.Contains(d.Reason, saleID) {
			return d.ID, d.Payload, d.Metadata
		}
	}
	t.Fatalf("no dead letter of sale %s", saleID)
	return "", "", nil
}

// A customer no source sends privacy webhooks for (a POS or CSV customer,
// someone who wrote on WhatsApp) is erased on their request through the
// admin API, as a shop's privacy.redact erases: by phone or by email, the
// member, what they sent on WhatsApp and their dead letters' payloads,
// once per request id; a redacted dead letter cannot be replayed.
func TestOperatorErasure(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	const (
		sariPhone = "081234567301"
		sariWAID  = "6281234567301"
		dewiEmail = "Dewi.Lestari@example.com"
		budiPhone = "081234567302"
	)
	sales := []struct {
		id, customer, total string
		status              int
	}{
		{"P-SARI-1", `{"phone":"0812-3456-7301","name":"Sari","email":"sari@example.com"}`, "100000", http.StatusOK},
		// A sale refused (a negative total): a dead letter naming Sari.
		{"P-SARI-BAD", `{"phone":"+62 812-3456-7301","name":"Sari"}`, "-5000", http.StatusOK},
		// Dewi has no phone: the POS knows her by customer id and email.
		{"P-DEWI-1", `{"id":"C-77","name":"Dewi","email":"dewi.lestari@example.com"}`, "50000", http.StatusOK},
		{"P-DEWI-BAD", `{"id":"C-77","email":"DEWI.LESTARI@example.com"}`, "-100", http.StatusOK},
		// Budi is someone else and keeps everything.
		{"P-BUDI-1", `{"phone":"081234567302","name":"Budi","email":"budi@example.com"}`, "70000", http.StatusOK},
		{"P-BUDI-BAD", `{"phone":"081234567302","name":"Budi"}`, "-1", http.StatusOK},
	}
	for _, s := range sales {
		require.Equal(t, s.status, h.postSale(posSale(s.id, s.customer, s.total)), s.id)
	}
	// Sari wrote on WhatsApp too, sharing her location.
	h.postWebhook(t, inboundOf("wamid.SARI-PLACE", sariWAID, "location",
		`{"latitude":-6.2297,"longitude":106.8296,"address":"Jl. Melati 5, Jakarta"}`, time.Now().Add(-time.Minute)))
	var sari, dewi, budi member.Member
	eventually(t, "the members, their dead letters and the message", func() bool {
		var ok1, ok2, ok3 bool
		sari, ok1 = h.memberBy("phone=" + sariPhone)
		dewi, ok2 = h.memberBy("email=" + dewiEmail)
		budi, ok3 = h.memberBy("phone=" + budiPhone)
		return ok1 && ok2 && ok3 && sari.Balance > 0 && dewi.Balance > 0 && budi.Balance > 0 &&
			len(h.deadLetters().DeadLetters) == 3 && len(h.inbound(t, "phone="+sariPhone).Messages) == 1
	})
	require.Empty(t, dewi.Phone, "a member without a phone")
	sariLetter, _, _ := h.deadLetterOf(t, "P-SARI-BAD")
	dewiLetter, _, _ := h.deadLetterOf(t, "P-DEWI-BAD")
	_, budiPayload, _ := h.deadLetterOf(t, "P-BUDI-BAD")
	require.Contains(t, budiPayload, "081234567302")

	erase := func(body map[string]any) (int, redactAnswer) {
		t.Helper()
		var a redactAnswer
		code := h.adminPost("/privacy/redact", body, &a)
		return code, a
	}

	t.Run("by phone", func(t *testing.T) {
		code, a := erase(map[string]any{"phone": "+62 812 3456 7301", "request_id": "DSR-1", "actor": "dpo@kopikita.example"})
		require.Equal(t, http.StatusCreated, code, a.Error)
		assert.Equal(t, []string{sari.ID}, a.Members)
		assert.Equal(t, 1, a.DeadLetters, "the refused sale names her")
		assert.Equal(t, "DSR-1", a.RequestID)
		assert.Equal(t, "dpo@kopikita.example", a.Actor)
		assert.False(t, a.Replayed)

		_, found := h.memberBy("phone=" + sariPhone)
		assert.False(t, found, "the phone no longer finds her")
		var m member.Member
		require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+sari.ID, &m))
		assert.Equal(t, store.RedactedPhone(sari.ID), m.Phone)
		assert.Empty(t, m.Name)
		assert.Empty(t, m.Email)
		assert.Equal(t, sari.Balance, m.Balance, "points stay under the member id")
		assert.Empty(t, h.inbound(t, "phone="+sariPhone).Messages, "what she sent on WhatsApp is erased")

		_, payload, meta := h.deadLetterOf(t, "P-SARI-BAD")
		assert.Empty(t, payload)
		assert.NotEmpty(t, meta[store.RedactedMeta])
		var refused struct{ Error string }
		assert.Equal(t, http.StatusConflict, h.adminPost("/deadletters/"+sariLetter+"/replay", nil, &refused))
		assert.Contains(t, refused.Error, "erased")
	})

	t.Run("the same request id erases once", func(t *testing.T) {
		code, a := erase(map[string]any{"phone": sariPhone, "request_id": "DSR-1", "actor": "someone else"})
		require.Equal(t, http.StatusOK, code, a.Error)
		assert.True(t, a.Replayed)
		assert.Equal(t, []string{sari.ID}, a.Members, "what it erased then")
		assert.Equal(t, 1, a.DeadLetters)
		assert.Equal(t, "dpo@kopikita.example", a.Actor)
	})

	t.Run("by email, a member without a phone", func(t *testing.T) {
		code, a := erase(map[string]any{"email": dewiEmail, "request_id": "DSR-2", "actor": "dpo@kopikita.example"})
		require.Equal(t, http.StatusCreated, code, a.Error)
		assert.Equal(t, []string{dewi.ID}, a.Members)
		assert.Equal(t, 1, a.DeadLetters)
		_, found := h.memberBy("email=" + dewiEmail)
		assert.False(t, found)
		_, found = h.memberBy("customer_id=C-77&connector=pos")
		assert.False(t, found, "her customer id is erased with her")
		_, payload, meta := h.deadLetterOf(t, "P-DEWI-BAD")
		assert.Empty(t, payload)
		assert.NotEmpty(t, meta[store.RedactedMeta])
		assert.Equal(t, http.StatusConflict, h.adminPost("/deadletters/"+dewiLetter+"/replay", nil, nil))
	})

	t.Run("someone else keeps everything", func(t *testing.T) {
		m, found := h.memberBy("phone=" + budiPhone)
		require.True(t, found)
		assert.Equal(t, "Budi", m.Name)
		assert.Equal(t, "budi@example.com", m.Email)
		_, payload, meta := h.deadLetterOf(t, "P-BUDI-BAD")
		assert.Equal(t, budiPayload, payload)
		assert.Empty(t, meta[store.RedactedMeta])
	})

	t.Run("by member id", func(t *testing.T) {
		code, a := erase(map[string]any{"member_id": budi.ID, "request_id": "DSR-3", "actor": "ops"})
		require.Equal(t, http.StatusCreated, code, a.Error)
		assert.Equal(t, []string{budi.ID}, a.Members)
		assert.Equal(t, 1, a.DeadLetters, "found by the member's phone")
		_, found := h.memberBy("phone=" + budiPhone)
		assert.False(t, found)
	})

	t.Run("refused requests", func(t *testing.T) {
		tests := []struct {
			name string
			body map[string]any
			code int
		}{
			{"no request id", map[string]any{"phone": budiPhone, "actor": "ops"}, http.StatusBadRequest},
			{"no actor", map[string]any{"phone": budiPhone, "request_id": "DSR-9"}, http.StatusBadRequest},
			{"nobody named", map[string]any{"request_id": "DSR-9", "actor": "ops"}, http.StatusBadRequest},
			{"not a phone number", map[string]any{"phone": "call me", "request_id": "DSR-9", "actor": "ops"}, http.StatusBadRequest},
			{"not an email address", map[string]any{"email": "dewi at example", "request_id": "DSR-9", "actor": "ops"}, http.StatusBadRequest},
			{"a customer id without its connector", map[string]any{"customer_id": "C-77", "request_id": "DSR-9", "actor": "ops"}, http.StatusBadRequest},
			{"a member id with a phone", map[string]any{"member_id": budi.ID, "phone": budiPhone, "request_id": "DSR-9", "actor": "ops"}, http.StatusBadRequest},
			{"an unknown field", map[string]any{"phone": budiPhone, "name": "Budi", "request_id": "DSR-9", "actor": "ops"}, http.StatusBadRequest},
			{"an unknown member id", map[string]any{"member_id": "mem_nobody", "request_id": "DSR-9", "actor": "ops"}, http.StatusNotFound},
			{"nobody found", map[string]any{"phone": "081234567399", "request_id": "DSR-9", "actor": "ops"}, http.StatusNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, a := erase(tt.body)
				assert.Equal(t, tt.code, code, a.Error)
				assert.NotEmpty(t, a.Error)
			})
		}
	})

	t.Run("one request sent twice at once erases once", func(t *testing.T) {
		require.Equal(t, http.StatusOK, h.postSale(posSale("P-TONO-1", `{"phone":"081234567304","name":"Tono"}`, "30000")))
		var tono member.Member
		eventually(t, "Tono", func() bool { var ok bool; tono, ok = h.memberBy("phone=081234567304"); return ok })
		type result struct {
			code int
			a    redactAnswer
			err  error
		}
		results := make(chan result, 2)
		body := `{"phone": "081234567304", "request_id": "DSR-5", "actor": "ops"}`
		for range 2 {
			go func() {
				var r result
				req, err := http.NewRequest(http.MethodPost, h.url+"/api/v1/tenants/acme/privacy/redact", strings.NewReader(body))
				if err == nil {
					req.Header.Set("Authorization", "Bearer "+testAdmin)
					var resp *http.Response
					if resp, err = h.client.Do(req); err == nil {
						r.code = resp.StatusCode
						err = json.NewDecoder(resp.Body).Decode(&r.a)
						resp.Body.Close()
					}
				}
				r.err = err
				results <- r
			}()
		}
		codes := map[int]int{}
		for range 2 {
			r := <-results
			require.NoError(t, r.err)
			codes[r.code]++
			assert.Equal(t, []string{tono.ID}, r.a.Members, r.a.Error)
		}
		assert.Equal(t, map[int]int{http.StatusCreated: 1, http.StatusOK: 1}, codes)
	})

	t.Run("a request that found nobody can be corrected under its id", func(t *testing.T) {
		require.Equal(t, http.StatusOK, h.postSale(posSale("P-RINA-1", `{"phone":"081234567303","name":"Rina"}`, "30000")))
		eventually(t, "Rina", func() bool { _, ok := h.memberBy("phone=081234567303"); return ok })
		code, _ := erase(map[string]any{"phone": "081234567330", "request_id": "DSR-4", "actor": "ops"})
		require.Equal(t, http.StatusNotFound, code, "a typo")
		code, a := erase(map[string]any{"phone": "081234567303", "request_id": "DSR-4", "actor": "ops"})
		require.Equal(t, http.StatusCreated, code, a.Error)
		assert.Len(t, a.Members, 1)
	})
}
