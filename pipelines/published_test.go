package pipelines_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/shopify"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/pipelines"
)

// usdShop is the test tenant as a shop selling in US dollars: 1 point per
// 10 dollars.
func usdShop(cfg string) string {
	return strings.Replace(withShop(cfg), `unit: "10000"`, `unit: "10"`, 1)
}

// Shopify's own published payloads (the shopify-api-ruby fixtures and the
// webhook reference's samples), delivered as Shopify signs them, do what
// a merchant expects: the order earns for the customer, whose address
// phone is one of the fictional 555 numbers and so not a WhatsApp number,
// by the shop's customer id and email; the refund of an older API version
// (lines without subtotals) takes back the points of the money returned;
// the customer and checkout are recorded; the reference's sample order,
// a test order, earns nothing; and nothing is dead-lettered.
func TestPublishedShopifyPayloads(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: usdShop})
	deliver := func(topic, sample string) {
		t.Helper()
		body := shopifySample(t, sample)
		require.Equal(t, http.StatusOK, h.postShopify(shopify.Sign(shopifySecret, body), topic, "ev-"+sample, body), sample)
	}
	const bob = "customer_id=207119551&connector=shop"

	// 409.94 USD at 1 point per 10.
	deliver("orders/paid", "orders_paid_api_ruby_fixture")
	var m member.Member
	eventually(t, "the order's points", func() bool {
		var ok bool
		m, ok = h.memberBy(bob)
		return ok && m.Balance == 40
	})
	assert.Empty(t, m.Phone, "555 numbers are fictional: not a WhatsApp number")
	assert.Equal(t, "Bob Norman", m.Name)
	byEmail, ok := h.memberBy("email=bob.norman@hostmail.com")
	require.True(t, ok)
	assert.Equal(t, m.ID, byEmail.ID)

	// 209.00 USD of 409.94 returned: 20 of the 40 points taken back.
	deliver("refunds/create", "refunds_create_api_ruby_fixture")
	eventually(t, "the refund's points taken back", func() bool {
		m, ok := h.memberBy(bob)
		return ok && m.Balance == 20
	})

	deliver("customers/update", "customers_update_api_ruby_fixture")
	deliver("checkouts/create", "checkouts_create_api_ruby_fixture")
	deliver("orders/paid", "orders_paid_docs_sample")
	eventually(t, "every delivery handled", func() bool {
		return processed(h, pipelines.StageMapping) >= 5
	})
	time.Sleep(200 * time.Millisecond)
	_, ok = h.memberBy("customer_id=115310627314723954&connector=shop")
	assert.False(t, ok, "the reference's sample is a test order")
	m, _ = h.memberBy(bob)
	assert.Equal(t, int64(20), m.Balance)
	assert.Empty(t, h.deadLetters().DeadLetters)
}

// pywaSample is one of pywa's published webhook examples recorded in the
// mappings' testdata. When at is not zero, its messages are sent at at and
// get ids of their own: pywa's examples share one message id, which would
// make them one message.
func pywaSample(t *testing.T, name string, at time.Time) string {
	t.Helper()
	body := string(mappingSample(t, "whatsapp_cloud", name))
	if !at.IsZero() {
		body = regexp.MustCompile(`"timestamp": "\d+"`).ReplaceAllString(body, fmt.Sprintf(`"timestamp": "%d"`, at.Unix()))
		body = strings.ReplaceAll(body, `"id": "wamid.`, fmt.Sprintf(`"id": "wamid.%d.`, at.UnixNano()))
	}
	return body
}

// Published webhook examples as WhatsApp delivers them. pywa's (an Israeli
// number that phonenumbers' metadata calls invalid, a business number the
// tenant does not send from): the chat answers the customer's opening of
// the chat and their text at the wa_id WhatsApp gave. Replayed as
// recorded, years old, every published example (each message type,
// statuses, system messages, preferences, template updates, batches of
// several changes, a number without its country code) is recorded
// without an answer and without a dead letter.
func TestPublishedWhatsAppPayloads(t *testing.T) {
	in := newInbox(t)
	h := newHarness(t, harnessOpts{yaml: botConfig(in.srv.URL),
		env: []string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true"}})
	const customer = "972987654321"

	h.postWebhook(t, pywaSample(t, "pywa_chat_opened", time.Now()))
	eventually(t, "the answer to the opened chat", func() bool { return h.sentTo(customer) >= 1 })
	answered := h.sentTo(customer)
	h.postWebhook(t, pywaSample(t, "pywa_message_text", time.Now().Add(time.Second)))
	eventually(t, "the answer to the text", func() bool { return h.sentTo(customer) > answered })

	// Every published example as recorded: pywa's, piusalfred/whatsapp's,
	// whatsapp-api-js's and Meta's documentation's.
	before, sent := processed(h, pipelines.StageBSP), len(h.sb.Messages())
	var n int
	for _, prefix := range []string{"pywa_", "piusalfred_", "whatsapp_api_js_", "meta_docs_"} {
		names, err := filepath.Glob(filepath.Join("..", "mappings", "testdata", "whatsapp_cloud", prefix+"*.json"))
		require.NoError(t, err)
		for _, name := range names {
			if strings.HasSuffix(name, ".golden.json") {
				continue
			}
			n++
			h.postWebhook(t, string(mappingSample(t, "whatsapp_cloud", strings.TrimSuffix(filepath.Base(name), ".json"))))
		}
	}
	require.Greater(t, n, 40)
	eventually(t, "every example mapped", func() bool { return processed(h, pipelines.StageBSP) >= before+float64(n) })
	time.Sleep(300 * time.Millisecond)
	assert.Empty(t, h.deadLetters().DeadLetters)
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, sent, len(h.sb.Messages()), "nothing years old is answered")
}

// mappingSample is a recorded payload of the bundled mappings' testdata.
func mappingSample(t *testing.T, connector, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "mappings", "testdata", connector, name+".json"))
	require.NoError(t, err)
	return body
}

// A message a customer writes in a group the business is in (Meta's group
// messages webhook: the message carries group_id) is the group's
// conversation: the bot does not answer it in private and it opens no
// 24-hour window with its sender (WhatsApp opens one with the group),
// while the same words written to the business are answered.
func TestGroupMessageNotAnswered(t *testing.T) {
	in := newInbox(t)
	h := newHarness(t, harnessOpts{yaml: botConfig(in.srv.URL),
		env: []string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true"}})
	const customer = "6281234567890"
	group := strings.Replace(inboundText("wamid.group-1", customer, "JOIN", time.Now()),
		`"from":"`+customer+`",`, `"from":"`+customer+`","group_id":"Y2FwaV9ncm91cDo2MjgxMTAwMDAxMTExOjEyMDM2MzAyNDA3MjYwMzc0MQ==",`, 1)
	require.Contains(t, group, "group_id")
	h.postWebhook(t, group)
	eventually(t, "the group message ignored", func() bool {
		return counterValue(t, h.hub.Metrics().BotReplies.WithLabelValues("acme", "ignore")) >= 1
	})
	time.Sleep(300 * time.Millisecond)
	assert.Zero(t, h.sentTo(customer), "no private answer to a group message")
	assert.True(t, h.contact(t, "+"+customer).LastInboundAt.IsZero(),
		"a group message opens the window with the group, not with its sender")
	h.postWebhook(t, inboundText("wamid.direct-1", customer, "JOIN", time.Now()))
	eventually(t, "the direct message answered", func() bool { return h.sentTo(customer) >= 1 })
	assert.False(t, h.contact(t, "+"+customer).LastInboundAt.IsZero())
	assert.Empty(t, h.deadLetters().DeadLetters)
}

// Shopify's webhook reference samples with test orders counted (a shop
// setting up its program): the sample order, its ids above 2^53 and its
// fictional 555-555-SHIP phone, earns for the customer by id and email,
// and the sample refund of two of its lines takes back the points of
// 109.98 of its 398.00.
func TestPublishedShopifySamplesWithTestOrders(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: func(cfg string) string {
		return strings.Replace(usdShop(cfg), "        shop_domain: kopi-nusantara.myshopify.com\n",
			"        shop_domain: kopi-nusantara.myshopify.com\n        include_test_orders: true\n", 1)
	}})
	deliver := func(topic, sample string) {
		t.Helper()
		body := shopifySample(t, sample)
		require.Equal(t, http.StatusOK, h.postShopify(shopify.Sign(shopifySecret, body), topic, "ev-"+sample, body), sample)
	}
	const jon = "customer_id=115310627314723954&connector=shop"

	// 398.00 USD at 1 point per 10.
	deliver("orders/paid", "orders_paid_docs_sample")
	eventually(t, "the sample order's points", func() bool {
		m, ok := h.memberBy(jon)
		return ok && m.Balance == 39
	})
	m, _ := h.memberBy(jon)
	assert.Empty(t, m.Phone, "555-555-SHIP is no WhatsApp number")
	assert.Equal(t, "jon@example.com", m.Email)

	// 109.98 of 398.00 refunded: 10 of the 39 points taken back.
	deliver("refunds/create", "refunds_create_line_items")
	eventually(t, "the sample refund's points taken back", func() bool {
		m, ok := h.memberBy(jon)
		return ok && m.Balance == 29
	})
	assert.Empty(t, h.deadLetters().DeadLetters)
}

// A walk-in sale at a shop's POS names no customer: it earns nothing and
// is counted as an event without a phone. Its cancellation is then no
// cancellation of an order the hub waits for: it is counted as a guest's
// and nothing is dead-lettered once wait_for_order has passed.
func TestShopifyGuestOrderCancelled(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: func(cfg string) string {
		return strings.Replace(withShop(cfg), "    loyalty:\n", "    loyalty:\n      refunds:\n        wait_for_order: 200ms\n", 1)
	}})
	cancelled := shopifySample(t, "orders_cancelled_guest_pos")
	paid := []byte(strings.NewReplacer(`"cancel_reason": "other"`, `"cancel_reason": null`,
		`"cancelled_at": "2026-11-23T10:15:00+07:00"`, `"cancelled_at": null`,
		`"financial_status": "refunded"`, `"financial_status": "paid"`,
		`"current_total_price": "0.00"`, `"current_total_price": "64000.00"`).Replace(string(cancelled)))
	require.NotEqual(t, string(cancelled), string(paid))
	require.Equal(t, http.StatusOK, h.postShopify(shopify.Sign(shopifySecret, paid), "orders/paid", "ev-guest-paid", paid))
	eventually(t, "the guest's sale counted", func() bool {
		return counterValue(t, h.hub.Metrics().EventsWithoutPhone.WithLabelValues("acme", "order.paid")) == 1
	})
	require.Equal(t, http.StatusOK, h.postShopify(shopify.Sign(shopifySecret, cancelled), "orders/cancelled", "ev-guest-cancelled", cancelled))
	eventually(t, "the guest's cancellation counted", func() bool {
		return counterValue(t, h.hub.Metrics().PartsIgnored.WithLabelValues("acme", "shop", "guest_order")) == 1
	})
	time.Sleep(500 * time.Millisecond) // past wait_for_order
	assert.Empty(t, h.deadLetters().DeadLetters)
}
