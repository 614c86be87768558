package pipelines_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/shopify"
)

const shopifySecret = "shpss_e2e_secret"

// shopifyHarness runs a hub whose tenant acme has a shopify connector
// "shop" for kopi-nusantara.myshopify.com.
func shopifyHarness(t *testing.T, backend string) *harness {
	return newHarness(t, harnessOpts{backend: backend, yaml: withShop})
}

// withShop adds a Shopify connector named shop to the test config.
func withShop(cfg string) string {
	return strings.Replace(cfg, "    connectors:\n", "    connectors:\n      shop:\n        type: shopify\n        secret: "+shopifySecret+
		"\n        shop_domain: kopi-nusantara.myshopify.com\n", 1)
}

// postShopify delivers body as Shopify does, signed with sig, under the
// given topic and event id, and returns the hub's status.
func (h *harness) postShopify(sig, topic, eventID string, body []byte) int {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url+"/hooks/acme/shop", strings.NewReader(string(body)))
	require.NoError(h.t, err)
	req.Header.Set("X-Shopify-Hmac-Sha256", sig)
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Shop-Domain", "kopi-nusantara.myshopify.com")
	req.Header.Set("X-Shopify-Api-Version", "2026-01")
	req.Header.Set("X-Shopify-Event-Id", eventID)
	req.Header.Set("X-Shopify-Webhook-Id", fmt.Sprintf("wh-%d", time.Now().UnixNano()))
	resp, err := h.client.Do(req)
	require.NoError(h.t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func shopifySample(t *testing.T, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "mappings", "testdata", "shopify", name+".json"))
	require.NoError(t, err)
	return body
}

// A shop's paid order, as Shopify signs and delivers it, earns once;
// Shopify's retry of the same event changes nothing, a wrong signature
// stores nothing.
func TestShopifyOrderEndToEnd(t *testing.T) {
	h := shopifyHarness(t, "")
	body := shopifySample(t, "orders_paid_gift_card_and_codes")
	post := func(sig, eventID string) int { return h.postShopify(sig, "orders/paid", eventID, body) }
	require.Equal(t, http.StatusUnauthorized, post(shopify.Sign("another-secret", body), "ev-1"))
	require.Equal(t, http.StatusOK, post(shopify.Sign(shopifySecret, body), "ev-1"))
	require.Equal(t, http.StatusOK, post(shopify.Sign(shopifySecret, body), "ev-1"))
	// 290,000 IDR at 1 point per 10,000.
	eventually(t, "the points", func() bool {
		m, ok := h.member("+6281122334455")
		return ok && m.Balance == 29 && m.Name == "Rina" && m.Email == "rina@example.com"
	})
	time.Sleep(200 * time.Millisecond)
	m, _ := h.member("+6281122334455")
	assert.Equal(t, int64(29), m.Balance, "earned once")
	assert.Empty(t, h.deadLetters().DeadLetters)
	assert.Equal(t, 1.0, counterValue(t, h.hub.Metrics().ConnectorSigFailures.WithLabelValues("acme", "shop")))
}

// X-Shopify-Event-Id is not signed: another order delivered under an event
// id already seen earns like any order (the queue, which drops repeated
// delivery ids, must not take it for a retry), while a true retry still
// earns once.
func TestShopifyReusedEventID(t *testing.T) {
	for _, backend := range backends(t) {
		t.Run(backend, func(t *testing.T) {
			h := shopifyHarness(t, backend)
			first := shopifySample(t, "orders_paid_guest_billing_phone")
			second := []byte(strings.NewReplacer(
				"6104338591794", "6104338591795", "0812-9876-5432", "0812-9876-5433", "#1043", "#1044",
			).Replace(string(first)))
			for _, body := range [][]byte{first, first, second} {
				require.Equal(t, http.StatusOK, h.postShopify(shopify.Sign(shopifySecret, body), "orders/paid", "ev-reused", body))
			}
			// 184,000 IDR at 1 point per 10,000, each.
			eventually(t, "both orders' points", func() bool {
				a, okA := h.member("+6281298765432")
				b, okB := h.member("+6281298765433")
				return okA && okB && a.Balance == 18 && b.Balance == 18
			})
			time.Sleep(200 * time.Millisecond)
			a, _ := h.member("+6281298765432")
			assert.Equal(t, int64(18), a.Balance, "the retried order earned once")
			assert.Empty(t, h.deadLetters().DeadLetters)
		})
	}
}

// A CSV export dropped in the folder: good rows earn, a bad row goes to
// the rejects report, the file moves to done/, and dropping it again
// changes nothing.
func TestCSVDropEndToEnd(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, harnessOpts{yaml: func(cfg string) string {
		return strings.Replace(cfg, "    connectors:\n", fmt.Sprintf(`    connectors:
      drops:
        type: csv_drop
        dir: %s
        poll_interval: 50ms
        settle: 50ms
        default_region: ID
        default_currency: IDR
        decimal_separator: ","
        thousands_separator: "."
`, dir), 1)
	}})
	csv := "\ufeffNo Struk;Tanggal;Total;No HP;Nama\n" +
		"T-1;2026-11-20 10:00:00;Rp 150.000,00;0812-3456-0601;Ayu\n" +
		"T-2;2026-11-20 11:00:00;not money;0812-3456-0602;Bima\n" +
		"T-3;2026-11-21;57.500;6.28123E+12;Cici\n" +
		"T-4;21/11/2026;250.000;081234560604;Dodi\n"
	write := func() {
		tmp := filepath.Join(t.TempDir(), "sales.csv")
		require.NoError(t, os.WriteFile(tmp, []byte(csv), 0o600))
		require.NoError(t, os.Rename(tmp, filepath.Join(dir, "sales.csv")))
	}
	write()
	eventually(t, "the points", func() bool {
		a, okA := h.member("+6281234560601")
		d, okD := h.member("+6281234560604")
		return okA && okD && a.Balance == 15 && d.Balance == 25
	})
	eventually(t, "the file done", func() bool {
		_, err := os.Stat(filepath.Join(dir, "done", "sales.csv"))
		return err == nil
	})
	rejects, err := os.ReadFile(filepath.Join(dir, "rejects", "sales.csv.rejects.csv"))
	require.NoError(t, err)
	assert.Contains(t, string(rejects), "T-2")
	assert.Contains(t, string(rejects), "T-3")
	assert.NotContains(t, string(rejects), "T-1")

	// The same export dropped again: nothing more is earned.
	write()
	eventually(t, "the second file done", func() bool {
		entries, _ := os.ReadDir(filepath.Join(dir, "done"))
		return len(entries) == 2
	})
	time.Sleep(300 * time.Millisecond)
	a, _ := h.member("+6281234560601")
	assert.Equal(t, int64(15), a.Balance)
	assert.Empty(t, h.deadLetters().DeadLetters)
}
