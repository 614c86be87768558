package pipelines_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/member"
)

// passThrough makes the test config's POS connector map {"events": [...]}
// to those events as they are, so that a test can post any normalized
// event, as a shop's or CRM's mapping would produce it.
func passThrough(extra string) func(string) string {
	return func(cfg string) string {
		cfg = strings.Replace(cfg, "        type: pos_webhook\n", "        type: pos_webhook\n        mapping: '.events[]'\n", 1)
		return strings.Replace(cfg, "    notifications:\n", extra+"    notifications:\n", 1)
	}
}

func (h *harness) postEvents(t *testing.T, events ...string) {
	t.Helper()
	require.Equal(t, http.StatusOK, h.postSale([]byte(`{"events": [`+strings.Join(events, ",")+`]}`)))
}

func TestCustomerUpsertedMakesAMember(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: passThrough("")})
	h.postEvents(t,
		`{"type": "customer.upserted", "id": "c1/1", "data": {"customer_id": "c1", "phone": "0812-3456-0101", "name": "Rina", "email": "rina@example.com"}}`,
		`{"type": "customer.upserted", "id": "c2/1", "data": {"customer_id": "c2", "email": "nophone@example.com"}}`)
	eventually(t, "the member", func() bool {
		m, ok := h.member("081234560101")
		return ok && m.Name == "Rina" && m.Email == "rina@example.com"
	})
	eventually(t, "the customer without a phone, a member by email and customer id", func() bool {
		var byEmail, byID member.Member
		return h.admin(http.MethodGet, "/members?email=NoPhone@example.com", &byEmail) == http.StatusOK &&
			h.admin(http.MethodGet, "/members?customer_id=c2&connector=pos", &byID) == http.StatusOK &&
			byEmail.ID == byID.ID && byEmail.Phone == ""
	})
	assert.Zero(t, counterValue(t, h.hub.Metrics().EventsWithoutPhone.WithLabelValues("acme", "customer.upserted")))
	assert.Empty(t, h.deadLetters().DeadLetters)
}

func TestShopConsent(t *testing.T) {
	consent := func(phone, category, value string, at int64) string {
		return fmt.Sprintf(`{"type": "consent.changed", "id": "%s/%s/%d", "data": {"phone": %q, "category": %q, "value": %q, "source": "shopify", "timestamp": %q}}`,
			phone, value, at, phone, category, value, time.Unix(at, 0).UTC().Format(time.RFC3339))
	}
	t.Run("sms consent counts only where the tenant says so", func(t *testing.T) {
		h := newHarness(t, harnessOpts{yaml: passThrough("")})
		h.postEvents(t, consent("081234560201", "sms_marketing", "resume", 1795400000))
		eventually(t, "the ignored consent", func() bool {
			return counterValue(t, h.hub.Metrics().ConsentChanges.WithLabelValues("acme", "ignored")) == 1
		})
		var body struct{ Contact member.Contact }
		h.admin(http.MethodGet, "/contacts?phone=081234560201", &body)
		assert.NotEqual(t, member.ConsentOptedIn, body.Contact.Marketing)
	})
	t.Run("counted, the latest wins", func(t *testing.T) {
		h := newHarness(t, harnessOpts{yaml: passThrough("    messaging:\n      sms_consent: true\n")})
		h.postEvents(t, consent("081234560202", "sms_marketing", "resume", 1795400000))
		eventually(t, "the opt-in", func() bool {
			var body struct{ Contact member.Contact }
			return h.admin(http.MethodGet, "/contacts?phone=081234560202", &body) == http.StatusOK &&
				body.Contact.Marketing == member.ConsentOptedIn && body.Contact.MarketingSource == "shopify:sms_marketing"
		})
		// An older stop arriving late changes nothing; a newer one does.
		h.postEvents(t, consent("081234560202", "sms_marketing", "stop", 1795300000))
		eventually(t, "the late report", func() bool {
			return counterValue(t, h.hub.Metrics().ConsentChanges.WithLabelValues("acme", "stop")) == 1
		})
		assert.Equal(t, member.ConsentOptedIn, h.contact(t, "+6281234560202").Marketing)
		h.postEvents(t, consent("081234560202", "sms_marketing", "stop", 1795500000))
		eventually(t, "the opt-out", func() bool { return h.contact(t, "+6281234560202").Marketing == member.ConsentOptedOut })
	})
	t.Run("a phone read with its address's country", func(t *testing.T) {
		// A CRM's British contact of an Indonesian shop: the national
		// number is no Indonesian one.
		h := newHarness(t, harnessOpts{yaml: passThrough("")})
		h.postEvents(t, `{"type": "consent.changed", "id": "uk/resume", "data": {"phone": "07911 123456", "phone_country": "GB", "category": "marketing_messages", "value": "resume", "source": "hubspot", "timestamp": "2026-11-23T03:05:00Z"}}`)
		eventually(t, "the opt-in of the British number", func() bool {
			var body struct{ Contact member.Contact }
			return h.admin(http.MethodGet, "/contacts?phone=%2B447911123456", &body) == http.StatusOK &&
				body.Contact.Marketing == member.ConsentOptedIn
		})
		assert.Empty(t, h.deadLetters().DeadLetters)
	})
}

func TestAbandonedCheckout(t *testing.T) {
	h := newHarness(t, harnessOpts{env: []string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true"}, yaml: func(cfg string) string {
		cfg = passThrough("    messaging:\n      marketing_consent: not_opted_out\n")(cfg)
		return cfg + `      - name: cart
        on: checkout.abandoned
        sender: whatsapp
        category: marketing
        template:
          name: cart_reminder
          language: en
          body: ["member.name", "data.url"]
`
	}})
	checkout := func(token, phone string, at int64, completed bool) string {
		return fmt.Sprintf(`{"type": "checkout.updated", "id": "%s/%d", "occurred_at": %d, "data": {"token": %q, "phone": %q, "name": "\u202eTia\u200f\t", "total": "150000.00", "currency": "IDR", "url": "https://shop.example/checkouts/%s/recover", "completed": %t}}`,
			token, at, at, token, phone, token, completed)
	}
	now := time.Now().Unix()
	h.postEvents(t,
		checkout("tok-abandoned", "081234560301", now-60, false),
		checkout("tok-abandoned", "081234560301", now-120, false), // older: changes nothing
		checkout("tok-ordered", "081234560302", now-60, false),
		checkout("tok-deleted", "081234560303", now-60, false),
		checkout("tok-deleted", "", now-30, true),
		checkout("tok-nophone", "", now-60, false),
		`{"type": "order.paid", "id": "O-1", "data": {"order_id": "O-1", "phone": "081234560302", "name": "Tia", "total": "150000", "currency": "IDR", "checkout_token": "tok-ordered"}}`)
	eventually(t, "the order's message", func() bool { return h.sentTo("+6281234560302") == 1 })

	// Not due yet: nothing is announced.
	h.hub.Sweep(context.Background(), "test", time.Now())
	time.Sleep(100 * time.Millisecond)
	assert.Zero(t, h.sentTo("+6281234560301"))

	later := time.Now().Add(2 * time.Hour)
	reports := h.hub.Sweep(context.Background(), "test", later)
	require.Len(t, reports, 1)
	assert.Equal(t, 1, reports[0].Abandoned, "%+v", reports[0])
	eventually(t, "the reminder", func() bool { return h.sentTo("+6281234560301") == 1 })
	for _, m := range h.sb.Messages() {
		if m.To == "6281234560301" {
			name, params := templateOf(t, m)
			assert.Equal(t, "cart_reminder", name)
			assert.Equal(t, []string{"Tia", "https://shop.example/checkouts/tok-abandoned/recover"}, params,
				"the checkout's name cleaned where it entered")
		}
	}
	// Announced once; completed and deleted checkouts never.
	h.hub.Sweep(context.Background(), "test", later.Add(time.Hour))
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, 1, h.sentTo("+6281234560301"))
	assert.Equal(t, 1, h.sentTo("+6281234560302"), "only the order's points message")
	assert.Zero(t, h.sentTo("+6281234560303"))
	assert.Equal(t, 1.0, counterValue(t, h.hub.Metrics().CheckoutsAbandoned.WithLabelValues("acme")))
}

func TestPrivacyRedaction(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: passThrough("")})
	sale := func(id, phone string) string {
		return fmt.Sprintf(`{"type": "order.paid", "id": %q, "data": {"order_id": %q, "phone": %q, "name": "Nia", "email": "nia@example.com", "total": "50000", "currency": "IDR"}}`, id, id, phone)
	}
	h.postEvents(t, sale("R-1", "081234560401"), sale("R-2", "081234560402"), sale("R-3", "081234560403"))
	var before member.Member
	eventually(t, "the members", func() bool {
		_, ok2 := h.member("081234560402")
		_, ok3 := h.member("081234560403")
		var ok1 bool
		before, ok1 = h.member("081234560401")
		return ok1 && ok2 && ok3 && before.Balance == 5
	})

	h.postEvents(t, `{"type": "privacy.redact", "id": "redact-1", "data": {"shop_domain": "acme.myshopify.com", "customer_id": "7", "phone": "+62 812-3456-0401", "email": "nia@example.com"}}`)
	eventually(t, "the erasure", func() bool { _, ok := h.member("081234560401"); return !ok })
	var after member.Member
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+before.ID, &after))
	assert.Equal(t, before.Balance, after.Balance, "points stay")
	assert.Empty(t, after.Name)
	assert.Empty(t, after.Email)
	assert.NotContains(t, after.Phone, "81234560401")

	h.postEvents(t, `{"type": "privacy.shop_redact", "id": "shop-1", "data": {"shop_domain": "acme.myshopify.com"}}`)
	eventually(t, "every member erased", func() bool {
		_, ok2 := h.member("081234560402")
		_, ok3 := h.member("081234560403")
		return !ok2 && !ok3
	})
	assert.Equal(t, 1.0, counterValue(t, h.hub.Metrics().PrivacyRequests.WithLabelValues("acme", "privacy.shop_redact", "erased")))
	assert.Empty(t, h.deadLetters().DeadLetters)
}

// fakeCRM is a connector type for the tests: a source authenticated by a
// token header whose thin deliveries are enriched, and which takes
// members' state back.
type fakeCRM struct {
	mu       sync.Mutex
	synced   []connectors.MemberState
	failNext bool
}

type fakeCRMConfig struct{}

func (fakeCRMConfig) Validate() error { return nil }

func (f *fakeCRM) Accept(r *http.Request, body []byte) (connectors.Delivery, error) {
	if r.Header.Get("X-Fake-Token") != "t0ken" {
		return connectors.Delivery{}, fmt.Errorf("bad token: %w", connectors.ErrUnauthorized)
	}
	sum := sha256.Sum256(body)
	return connectors.Delivery{ID: hex.EncodeToString(sum[:])}, nil
}

func (f *fakeCRM) Enrich(_ context.Context, _ connectors.Delivery, body []byte) ([]byte, error) {
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, err
	}
	in["name"] = fmt.Sprintf("Enriched %v", in["id"])
	return json.Marshal(in)
}

func (f *fakeCRM) SyncMembers(_ context.Context, ms []connectors.MemberState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNext {
		f.failNext = false
		return errors.New("crm unavailable")
	}
	f.synced = append(f.synced, ms...)
	return nil
}

func (f *fakeCRM) last(phone string) (connectors.MemberState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.synced) - 1; i >= 0; i-- {
		if f.synced[i].Phone == phone {
			return f.synced[i], true
		}
	}
	return connectors.MemberState{}, false
}

func TestEnrichedSourceAndWriteBack(t *testing.T) {
	crm := &fakeCRM{failNext: true}
	h := newHarness(t, harnessOpts{
		env: []string{"LOYALHUB_PIPELINE__SYNC__INTERVAL=50ms"},
		register: func(reg *connectors.Registry) {
			require.NoError(t, reg.Register(connectors.Spec{
				Name:         "fake_crm",
				Capabilities: []connectors.Capability{connectors.CapSource, connectors.CapEnricher, connectors.CapMemberSyncer},
				NewConfig:    func() connectors.Config { return &fakeCRMConfig{} },
				New:          connectors.Construct(func(*fakeCRMConfig, connectors.Deps) (*fakeCRM, error) { return crm, nil }),
			}))
		},
		yaml: func(cfg string) string {
			return strings.Replace(cfg, "    connectors:\n", `    connectors:
      crm:
        type: fake_crm
        mapping: '{type: "customer.upserted", id: .id, data: {customer_id: .id, phone: .phone, name: .name}}'
`, 1)
		},
	})
	req, err := http.NewRequest(http.MethodPost, h.url+"/hooks/acme/crm", strings.NewReader(`{"id": "c9", "phone": "081234560501"}`))
	require.NoError(t, err)
	req.Header.Set("X-Fake-Token", "t0ken")
	resp, err := h.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	eventually(t, "the enriched member", func() bool {
		m, ok := h.member("081234560501")
		return ok && m.Name == "Enriched c9"
	})

	// A sale: the member's new balance goes back to the CRM, after a
	// failed first attempt.
	require.Equal(t, http.StatusOK, h.postSale(sale("WB-1", "081234560501", "", "50000")))
	eventually(t, "the write-back", func() bool {
		st, ok := crm.last("+6281234560501")
		return ok && st.Balance == 5
	})
	assert.Greater(t, counterValue(t, h.hub.Metrics().MembersSynced.WithLabelValues("acme", "crm", "failed")), 0.0)
	assert.Greater(t, counterValue(t, h.hub.Metrics().MembersSynced.WithLabelValues("acme", "crm", "ok")), 0.0)
}
