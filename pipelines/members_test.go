package pipelines_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/shopify"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// postShopifyFile delivers a recorded Shopify webhook body of
// testdata/shopify_members as Shopify signs it.
func (h *harness) postShopifyFile(t *testing.T, topic, file string) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "shopify_members", file))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, h.postShopify(shopify.Sign(shopifySecret, body), topic, "ev-"+file, body), file)
}

// memberBy looks a member up through the admin API by a query such as
// "email=…" or "customer_id=…&connector=…".
func (h *harness) memberBy(query string) (member.Member, bool) {
	var m member.Member
	if h.admin(http.MethodGet, "/members?"+query, &m) != http.StatusOK {
		return m, false
	}
	return m, true
}

// A shop's customer without a phone earns on a member keyed by the shop's
// customer id and email, and a refund takes the points back; when they
// join on WhatsApp and a later order carries their phone, the two members
// become the chat member, with one ledger.
func TestShopCustomerWithoutPhone(t *testing.T) {
	in := newInbox(t)
	h := newHarness(t, harnessOpts{
		yaml: func(cfg string) string { return withShop(botConfig(in.srv.URL)(cfg)) },
		env: []string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true",
			"LOYALHUB_TENANTS__ACME__CONNECTORS__WHATSAPP__THROUGHPUT__PAIR_BURST=45"},
		sandbox: func(c *sandbox.Config) { c.EnforceWindow = true },
	})
	const byCustomer = "customer_id=7650019839001&connector=shop"

	// 200,000 IDR at 1 point per 10,000, and 100 for joining.
	h.postShopifyFile(t, "orders/paid", "orders_paid_no_phone.json")
	var shopMember member.Member
	eventually(t, "the points of the customer without a phone", func() bool {
		var ok bool
		shopMember, ok = h.memberBy(byCustomer)
		return ok && shopMember.Balance == 120
	})
	assert.Empty(t, shopMember.Phone)
	assert.Equal(t, "Sekar Ayu", shopMember.Name)
	byEmail, ok := h.memberBy("email=SEKAR@example.com")
	require.True(t, ok, "found by email in any case")
	assert.Equal(t, shopMember.ID, byEmail.ID)
	eventually(t, "the notification skipped, not failed", func() bool {
		return counterValue(t, h.hub.Metrics().MessagesSkipped.WithLabelValues("acme", "no_phone")) >= 1
	})

	h.postShopifyFile(t, "refunds/create", "refunds_create_no_phone.json")
	eventually(t, "the refund's points taken back", func() bool {
		m, ok := h.memberBy(byCustomer)
		return ok && m.Balance == 110
	})

	// The same person joins on WhatsApp: no identity links the number to
	// the shop's customer yet, so the chat makes a member of its own.
	c := newChat(t, h, "id", "6281234560999")
	c.say("JOIN")
	c.tap(last(t, c.expect(conversation.MsgConsentQuestion)), conversation.ReplyConsentYes)
	c.expect(conversation.MsgConsentGiven, conversation.MsgWelcomeNew)
	var chatMember member.Member
	eventually(t, "the chat member", func() bool {
		var ok bool
		chatMember, ok = h.member("+6281234560999")
		return ok && chatMember.Balance == 100
	})
	require.NotEqual(t, shopMember.ID, chatMember.ID)

	// A later order carries the phone (its billing address's, read with
	// the address's country): one member, the chat's, with both ledgers.
	h.postShopifyFile(t, "orders/paid", "orders_paid_with_phone.json")
	var merged member.Member
	eventually(t, "the merged member", func() bool {
		var ok bool
		merged, ok = h.memberBy(byCustomer)
		return ok && merged.ID == chatMember.ID && merged.Balance == 100+110+15
	})
	assert.Equal(t, "+6281234560999", merged.Phone)
	assert.Equal(t, 1.0, counterValue(t, h.hub.Metrics().MembersMerged.WithLabelValues("acme")))
	assert.Contains(t, merged.Identities, member.Identity{Kind: member.IdentityEmail, Value: "sekar@example.com"})
	assert.Contains(t, merged.Identities, member.Identity{Kind: member.IdentityMerged, Value: shopMember.ID})

	var old member.Member
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+shopMember.ID, &old))
	assert.Equal(t, chatMember.ID, old.ID, "the shop member's id finds the merged member")
	var ledger struct {
		MemberID string              `json:"member_id"`
		Entries  []store.LedgerEntry `json:"entries"`
	}
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+shopMember.ID+"/ledger", &ledger))
	assert.Equal(t, chatMember.ID, ledger.MemberID)
	var sum int64
	kinds := map[string]int{}
	for _, e := range ledger.Entries {
		sum += e.Points
		kinds[e.Kind]++
	}
	assert.Equal(t, merged.Balance, sum, "one ledger adds up to the balance")
	assert.Equal(t, 1, kinds[loyalty.EntryMerge])
	assert.Equal(t, 1, kinds[loyalty.EntryReverse], "the refund's entry moved too")
	assert.Empty(t, h.deadLetters().DeadLetters)
}

// A privacy request naming only an email, or only the shop's customer id,
// erases the member it finds, and the dead letters that hold that person's
// data lose their payload; other people's stay.
func TestPrivacyRedactWithoutPhone(t *testing.T) {
	tests := []struct {
		name    string
		request string
	}{
		{"by email", `{"email": "Nadia@Example.com"}`},
		{"by customer id", `{"customer_id": "c-77"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{yaml: passThrough("")})
			order := func(id, customer, email, name, total string) string {
				return fmt.Sprintf(`{"type": "order.paid", "id": %q, "data": {"order_id": %q, "customer_id": %q, "email": %q, "name": %q, "total": %q, "currency": "IDR"}}`,
					id, id, customer, email, name, total)
			}
			h.postEvents(t, order("N-1", "c-77", "nadia@example.com", "Nadia Putri", "50000"),
				order("N-2", "c-78", "other@example.com", "Oki", "50000"))
			var nadia member.Member
			eventually(t, "the members", func() bool {
				var ok bool
				nadia, ok = h.memberBy("customer_id=c-77&connector=pos")
				_, other := h.memberBy("customer_id=c-78&connector=pos")
				return ok && other && nadia.Balance == 5
			})
			// Dead letters holding her data: a sale the program refuses,
			// and a delivery the mapping cannot read, with her phone.
			h.postEvents(t, order("N-3", "c-77", "nadia@example.com", "Nadia Putri", "not money"),
				order("N-4", "c-78", "other@example.com", "Oki", "not money"))
			body := []byte(`{"events": 5, "customer": {"phone": "0812 3456 0777", "email": "nadia@example.com"}}`)
			require.Equal(t, http.StatusOK, h.postSale(body))
			eventually(t, "the dead letters", func() bool { return len(h.deadLetters().DeadLetters) == 3 })

			h.postEvents(t, `{"type": "privacy.redact", "id": "redact-`+tt.name+`", "data": `+tt.request+`}`)
			eventually(t, "the erasure", func() bool {
				return counterValue(t, h.hub.Metrics().PrivacyRequests.WithLabelValues("acme", "privacy.redact", "erased")) == 1
			})
			var after member.Member
			require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+nadia.ID, &after))
			assert.Empty(t, after.Name)
			assert.Empty(t, after.Email)
			assert.Empty(t, after.Identities)
			assert.Equal(t, nadia.Balance, after.Balance, "points stay")
			_, found := h.memberBy("email=nadia@example.com")
			assert.False(t, found)

			erased := 0
			for _, d := range h.deadLetters().DeadLetters {
				for _, personal := range []string{"nadia", "Nadia", "0777"} {
					assert.NotContains(t, d.Payload, personal, "dead letter %s", d.ID)
				}
				if d.Metadata[store.RedactedMeta] != "" {
					erased++
					continue
				}
				assert.Contains(t, d.Payload, "other@example.com", "another customer's dead letter stays")
				assert.Equal(t, http.StatusAccepted, h.admin(http.MethodPost, "/deadletters/"+d.ID+"/replay", nil))
			}
			assert.Equal(t, 2, erased)
			for _, d := range h.deadLetters().DeadLetters {
				if d.Metadata[store.RedactedMeta] != "" {
					assert.Equal(t, http.StatusConflict, h.admin(http.MethodPost, "/deadletters/"+d.ID+"/replay", nil),
						"an erased dead letter cannot be replayed")
				}
			}
		})
	}
}

// A checkout's phone is read with the country of the address it came from
// before the tenant's region: a British number in an Indonesian shop gets
// its reminder.
func TestCheckoutPhoneReadWithItsCountry(t *testing.T) {
	h := newHarness(t, harnessOpts{env: []string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true"}, yaml: func(cfg string) string {
		return passThrough("    messaging:\n      marketing_consent: not_opted_out\n")(cfg) + `      - name: cart
        on: checkout.abandoned
        sender: whatsapp
        template:
          name: cart_reminder
          language: en
          body: ["data.url"]
`
	}})
	h.postEvents(t, fmt.Sprintf(`{"type": "checkout.updated", "id": "uk/1", "occurred_at": %d, "data": {"token": "tok-uk", "phone": "020 7946 0958", "phone_country": "GB", "total": "150000.00", "url": "https://shop.example/r/tok-uk"}}`,
		time.Now().Add(-time.Minute).Unix()))
	eventually(t, "the reminder to the British number", func() bool {
		h.hub.Sweep(t.Context(), "test", time.Now().Add(2*time.Hour))
		return h.sentTo("+442079460958") == 1
	})
}

// A simulated order finds a shop's customer by their customer id, and a
// merge it would make is not written.
func TestSimulateByCustomerID(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: passThrough("")})
	h.postEvents(t,
		`{"type": "order.paid", "id": "C-1", "data": {"order_id": "C-1", "customer_id": "c-9", "email": "c9@example.com", "total": "100000", "currency": "IDR"}}`,
		`{"type": "order.paid", "id": "C-2", "data": {"order_id": "C-2", "phone": "081234560888", "total": "50000", "currency": "IDR"}}`)
	var shop, chat member.Member
	eventually(t, "both members", func() bool {
		var ok1, ok2 bool
		shop, ok1 = h.memberBy("customer_id=c-9&connector=pos")
		chat, ok2 = h.member("081234560888")
		return ok1 && ok2
	})
	var out struct {
		Member  loyalty.Member
		New     bool `json:"new_member"`
		Entries []loyalty.Entry
	}
	sim := map[string]any{"type": "order.paid", "connector": "pos",
		"data": map[string]any{"order_id": "SIM-9", "customer_id": "c-9", "total": "20000", "currency": "IDR"}}
	require.Equal(t, http.StatusOK, h.adminPost("/program/simulate", sim, &out))
	assert.False(t, out.New)
	assert.Equal(t, shop.ID, out.Member.ID)
	assert.Equal(t, shop.Balance+2, out.Member.Balance)

	sim["data"] = map[string]any{"order_id": "SIM-10", "customer_id": "c-9", "phone": "081234560888", "total": "20000", "currency": "IDR"}
	require.Equal(t, http.StatusOK, h.adminPost("/program/simulate", sim, &out))
	assert.Equal(t, chat.ID, out.Member.ID, "the simulation merges into the member with the phone")
	assert.Equal(t, shop.Balance+chat.Balance+2, out.Member.Balance)
	again, ok := h.memberBy("customer_id=c-9&connector=pos")
	require.True(t, ok)
	assert.Equal(t, shop.ID, again.ID, "nothing was written")
	assert.Equal(t, shop.Balance, again.Balance)
}

// A privacy request naming a phone and a customer id that two members
// hold (not merged yet) erases both; a member with another phone who
// shares the email is someone else and keeps their data.
func TestPrivacyRedactEveryMemberOfThePerson(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: passThrough("")})
	h.postEvents(t,
		`{"type": "order.paid", "id": "P-1", "data": {"order_id": "P-1", "phone": "081234560501", "name": "Putri", "total": "50000"}}`,
		`{"type": "order.paid", "id": "P-2", "data": {"order_id": "P-2", "customer_id": "c-501", "name": "Putri", "total": "50000"}}`,
		`{"type": "order.paid", "id": "P-3", "data": {"order_id": "P-3", "phone": "081234560502", "email": "family@example.com", "name": "Ibu", "total": "50000"}}`)
	var chat, shop, family member.Member
	eventually(t, "the three members", func() bool {
		var ok1, ok2, ok3 bool
		chat, ok1 = h.member("081234560501")
		shop, ok2 = h.memberBy("customer_id=c-501&connector=pos")
		family, ok3 = h.member("081234560502")
		return ok1 && ok2 && ok3
	})
	h.postEvents(t, `{"type": "privacy.redact", "id": "redact-p", "data": {"customer_id": "c-501", "phone": "0812-3456-0501", "email": "family@example.com"}}`)
	eventually(t, "the erasure", func() bool {
		return counterValue(t, h.hub.Metrics().PrivacyRequests.WithLabelValues("acme", "privacy.redact", "erased")) == 1
	})
	for _, m := range []member.Member{chat, shop} {
		var after member.Member
		require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+m.ID, &after))
		assert.Empty(t, after.Name, "member %s erased", m.ID)
		assert.Empty(t, after.Identities)
	}
	still, ok := h.member("081234560502")
	require.True(t, ok)
	assert.Equal(t, family.ID, still.ID)
	assert.Equal(t, "Ibu", still.Name, "another phone's member keeps their data")
	assert.Equal(t, "family@example.com", still.Email)
}
