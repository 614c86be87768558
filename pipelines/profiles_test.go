package pipelines_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/shopify"
	"github.com/loyalhub/loyalhub/core/member"
)

// shopifyOrderWith is a recorded paid order with its id and its customer's
// tags, city and locale replaced.
func shopifyOrderWith(t *testing.T, orderID int64, tags, city, locale string) []byte {
	t.Helper()
	var order map[string]any
	require.NoError(t, json.Unmarshal(shopifySample(t, "orders_paid_gift_card_and_codes"), &order))
	order["id"] = orderID
	order["customer_locale"] = locale
	c := order["customer"].(map[string]any)
	c["tags"] = tags
	c["default_address"] = map[string]any{"city": city, "country_code": "ID"}
	body, err := json.Marshal(order)
	require.NoError(t, err)
	return body
}

// A Shopify order whose customer has tags, a city and a locale fills the
// member's profile; a later order merges into it: the city changes, tags
// add up, and the source stays the one that made the member.
func TestShopifyOrderFillsTheProfile(t *testing.T) {
	h := shopifyHarness(t, "")
	first := shopifyOrderWith(t, 6104338591901, "vip, coffee lover", "Jakarta", "id-ID")
	require.Equal(t, http.StatusOK, h.postShopify(shopify.Sign(shopifySecret, first), "orders/paid", "ev-p1", first))
	want := member.Profile{Source: "shopify", City: "Jakarta", Language: "id", Tags: []string{"vip", "coffee lover"}}
	eventually(t, "the profile", func() bool {
		m, ok := h.member("+6281122334455")
		return ok && m.Profile.Equal(want)
	})

	second := shopifyOrderWith(t, 6104338591902, "vip, reseller", "Bandung", "en")
	require.Equal(t, http.StatusOK, h.postShopify(shopify.Sign(shopifySecret, second), "orders/paid", "ev-p2", second))
	want = member.Profile{Source: "shopify", City: "Bandung", Language: "en", Tags: []string{"vip", "coffee lover", "reseller"}}
	eventually(t, "the merged profile", func() bool {
		m, ok := h.member("+6281122334455")
		return ok && m.Profile.Equal(want)
	})
	m, _ := h.member("+6281122334455")
	assert.Equal(t, want, m.Profile)
	assert.Empty(t, h.deadLetters().DeadLetters)
}
