package shopify_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/shopify"
	"github.com/loyalhub/loyalhub/connectors/sourcetest"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/mappings"
)

const (
	secret     = "shpss_test_secret"
	oldSecret  = "shpss_previous_secret"
	shopDomain = "jsmith.myshopify.com"
)

// referenceBody and referenceSignature are the signature test vector.
const (
	referenceBody      = `{"id":820982911946154508,"financial_status":"paid"}`
	referenceSignature = "KUADzJEAdqvKOAaEiILAmpio/iFL3NPBTdT+0cV1djc="
)

func orderPaid(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../../mappings/testdata/shopify/orders_paid_pos.json")
	require.NoError(t, err)
	return b
}

func newConnector(t testing.TB, mutate func(c *shopify.Config)) *shopify.Connector {
	t.Helper()
	c := shopify.NewConfig()
	c.Secret = secret
	if mutate != nil {
		mutate(c)
	}
	conn, err := shopify.New(c, connectors.Deps{Tenant: "acme", Name: "shop"})
	require.NoError(t, err)
	return conn
}

// signAs returns a Harness.Sign that signs like Shopify with key, giving
// every body its own event id.
func signAs(key string) func(r *http.Request, body []byte) {
	return func(r *http.Request, body []byte) {
		sum := sha256.Sum256(body)
		r.Header.Set(shopify.HeaderHMAC, shopify.Sign(key, body))
		r.Header.Set(shopify.HeaderTopic, "orders/paid")
		r.Header.Set(shopify.HeaderShopDomain, shopDomain)
		r.Header.Set(shopify.HeaderAPIVersion, "2026-01")
		r.Header.Set(shopify.HeaderEventID, "evt-"+hex.EncodeToString(sum[:8]))
	}
}

func TestConformance(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *shopify.Config)
		sign   func(r *http.Request, body []byte)
	}{
		{name: "secret", sign: signAs(secret)},
		{
			name:   "previous secret during a rotation",
			mutate: func(c *shopify.Config) { c.PreviousSecret = oldSecret },
			sign:   signAs(oldSecret),
		},
		{
			name:   "shop domain configured",
			mutate: func(c *shopify.Config) { c.ShopDomain = shopDomain },
			sign:   signAs(secret),
		},
		{
			name: "webhook id only",
			sign: func(r *http.Request, body []byte) {
				sum := sha256.Sum256(body)
				r.Header.Set(shopify.HeaderHMAC, shopify.Sign(secret, body))
				r.Header.Set(shopify.HeaderTopic, "orders/paid")
				r.Header.Set(shopify.HeaderWebhookID, "b54557e4-bdd9-4b37-8a5f-"+hex.EncodeToString(sum[:6]))
			},
		},
		{
			name: "signature header only",
			sign: func(r *http.Request, body []byte) {
				r.Header.Set(shopify.HeaderHMAC, shopify.Sign(secret, body))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sourcetest.Run(t, sourcetest.Harness{
				Source: newConnector(t, tt.mutate),
				Sign:   tt.sign,
				Body:   orderPaid(t),
			})
		})
	}
}

func TestSign(t *testing.T) {
	tests := []struct {
		name, key, body, want string
	}{
		{"reference vector", secret, referenceBody, referenceSignature},
		// RFC 4231, test case 2, in base64.
		{"rfc 4231 case 2", "Jefe", "what do ya want for nothing?", "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, shopify.Sign(tt.key, []byte(tt.body)))
		})
	}
}

func request(body string, headers map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hooks/acme/shop", strings.NewReader(body))
	for k, v := range headers {
		r.Header[k] = []string{v} // as given: some tests use lower-case names
	}
	return r
}

func TestAccept(t *testing.T) {
	full := map[string]string{
		"X-Shopify-Hmac-Sha256":  referenceSignature,
		"X-Shopify-Topic":        "orders/paid",
		"X-Shopify-Shop-Domain":  shopDomain,
		"X-Shopify-Api-Version":  "2026-01",
		"X-Shopify-Webhook-Id":   "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
		"X-Shopify-Triggered-At": "2026-11-23T03:00:01.123456789Z",
		"X-Shopify-Event-Id":     "98880550-7158-44d4-b7cd-2c97c8a091b5",
	}
	with := func(changes map[string]string, drop ...string) map[string]string {
		h := map[string]string{}
		for k, v := range full {
			h[k] = v
		}
		for k, v := range changes {
			h[k] = v
		}
		for _, k := range drop {
			delete(h, k)
		}
		return h
	}
	bodySum := sha256.Sum256([]byte(referenceBody))
	bodyHash := hex.EncodeToString(bodySum[:])

	tests := []struct {
		name     string
		mutate   func(c *shopify.Config)
		headers  map[string]string
		body     string
		want     connectors.Delivery
		wantErr  string // a part of the error; it wraps ErrUnauthorized
		wantMeta map[string]string
	}{
		{
			name:    "every header",
			headers: full,
			want: connectors.Delivery{
				ID:    "jsmith.myshopify.com/orders/paid/98880550-7158-44d4-b7cd-2c97c8a091b5/" + bodyHash,
				Topic: "orders/paid",
				Meta: map[string]string{
					"shop_domain": shopDomain, "api_version": "2026-01",
					"triggered_at": "2026-11-23T03:00:01.123456789Z",
					"webhook_id":   "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
					"event_id":     "98880550-7158-44d4-b7cd-2c97c8a091b5", "include_test_orders": "false",
				},
			},
		},
		{
			name: "lower-case header names, as HTTP/2 sends them",
			headers: map[string]string{
				"x-shopify-hmac-sha256": referenceSignature, "x-shopify-topic": "refunds/create",
				"x-shopify-shop-domain": shopDomain, "x-shopify-event-id": "e-1",
			},
			want: connectors.Delivery{
				ID: "jsmith.myshopify.com/refunds/create/e-1/" + bodyHash, Topic: "refunds/create",
				Meta: map[string]string{"shop_domain": shopDomain, "event_id": "e-1", "include_test_orders": "false"},
			},
		},
		{
			name:    "webhook id without an event id",
			headers: with(nil, "X-Shopify-Event-Id"),
			want: connectors.Delivery{
				ID: "jsmith.myshopify.com/orders/paid/b54557e4-bdd9-4b37-8a5f-bf7d70bcd043/" + bodyHash, Topic: "orders/paid",
			},
		},
		{
			name:    "body hash without either id",
			headers: with(nil, "X-Shopify-Event-Id", "X-Shopify-Webhook-Id"),
			want: connectors.Delivery{
				ID: "jsmith.myshopify.com/orders/paid/" + hex.EncodeToString(bodySum[:]), Topic: "orders/paid",
			},
		},
		{
			name:     "test orders included",
			mutate:   func(c *shopify.Config) { c.IncludeTestOrders = true },
			headers:  full,
			wantMeta: map[string]string{"include_test_orders": "true"},
		},
		{
			name:    "configured shop",
			mutate:  func(c *shopify.Config) { c.ShopDomain = shopDomain },
			headers: with(map[string]string{"X-Shopify-Shop-Domain": "JSmith.myshopify.com"}),
			want: connectors.Delivery{
				ID: "jsmith.myshopify.com/orders/paid/98880550-7158-44d4-b7cd-2c97c8a091b5/" + bodyHash, Topic: "orders/paid",
			},
		},
		{
			name:    "previous secret",
			mutate:  func(c *shopify.Config) { c.Secret, c.PreviousSecret = "shpss_new_secret", secret },
			headers: full,
			want: connectors.Delivery{
				ID: "jsmith.myshopify.com/orders/paid/98880550-7158-44d4-b7cd-2c97c8a091b5/" + bodyHash, Topic: "orders/paid",
			},
		},
		{
			name:    "signature with surrounding spaces",
			headers: with(map[string]string{"X-Shopify-Hmac-Sha256": " " + referenceSignature + " "}),
			want: connectors.Delivery{
				ID: "jsmith.myshopify.com/orders/paid/98880550-7158-44d4-b7cd-2c97c8a091b5/" + bodyHash, Topic: "orders/paid",
			},
		},
		{
			name:    "overlong ids are hashed",
			headers: with(map[string]string{"X-Shopify-Event-Id": strings.Repeat("e", 200)}),
			want: connectors.Delivery{
				ID: "jsmith.myshopify.com/orders/paid/h:" + sha256Hex(strings.Repeat("e", 200)) + "/" + bodyHash, Topic: "orders/paid",
			},
		},
		{name: "missing signature", headers: with(nil, "X-Shopify-Hmac-Sha256"),
			wantErr: "missing X-Shopify-Hmac-Sha256 header"},
		{name: "signature not base64", headers: with(map[string]string{"X-Shopify-Hmac-Sha256": "not base64!"}),
			wantErr: "not a base64 HMAC-SHA256"},
		{name: "hex signature", headers: with(map[string]string{"X-Shopify-Hmac-Sha256": hex.EncodeToString(bodySum[:])}),
			wantErr: "not a base64 HMAC-SHA256"},
		{name: "signature of another secret", headers: with(map[string]string{"X-Shopify-Hmac-Sha256": shopify.Sign("other", []byte(referenceBody))}),
			wantErr: "does not match"},
		{name: "previous secret not configured", mutate: func(c *shopify.Config) { c.Secret = "shpss_new_secret" },
			headers: full, wantErr: "does not match"},
		{name: "body changed", headers: full, body: `{"id":820982911946154509,"financial_status":"paid"}`,
			wantErr: "does not match"},
		{name: "another shop", mutate: func(c *shopify.Config) { c.ShopDomain = "acme-coffee.myshopify.com" },
			headers: full, wantErr: `X-Shopify-Shop-Domain "jsmith.myshopify.com" is not the configured shop`},
		{name: "no shop header with a configured shop", mutate: func(c *shopify.Config) { c.ShopDomain = shopDomain },
			headers: with(nil, "X-Shopify-Shop-Domain"), wantErr: "is not the configured shop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if body == "" {
				body = referenceBody
			}
			d, err := newConnector(t, tt.mutate).Accept(request(body, tt.headers), []byte(body))
			if tt.wantErr != "" {
				require.ErrorIs(t, err, connectors.ErrUnauthorized)
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			if tt.wantMeta != nil {
				for k, v := range tt.wantMeta {
					assert.Equal(t, v, d.Meta[k], k)
				}
				return
			}
			if tt.want.Meta == nil {
				d.Meta = nil
			}
			assert.Equal(t, tt.want, d)
		})
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// One merchant action fires several topics with the same event id: each
// topic's delivery is its own, and a retry of one is a duplicate.
func TestDeliveryIDsByTopic(t *testing.T) {
	conn := newConnector(t, nil)
	accept := func(topic string) string {
		r := request(referenceBody, map[string]string{
			"X-Shopify-Hmac-Sha256": referenceSignature, "X-Shopify-Topic": topic,
			"X-Shopify-Shop-Domain": shopDomain, "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
			"X-Shopify-Webhook-Id": fmt.Sprintf("webhook-%d", time.Now().UnixNano()),
		})
		d, err := conn.Accept(r, []byte(referenceBody))
		require.NoError(t, err)
		return d.ID
	}
	paid, created := accept("orders/paid"), accept("orders/create")
	assert.NotEqual(t, paid, created)
	assert.Equal(t, paid, accept("orders/paid"), "a retry has a new webhook id but the same event id")
}

// X-Shopify-Event-Id is not signed: two deliveries under one event id are
// one only when their signed bodies are the same. A retry, which carries
// the original body, stays a duplicate.
func TestDeliveryIdentity(t *testing.T) {
	const (
		order     = `{"id":820982911946154508,"updated_at":"2026-11-23T10:00:00+07:00","financial_status":"paid"}`
		nextID    = `{"id":820982911946154509,"updated_at":"2026-11-23T10:00:00+07:00","financial_status":"paid"}`
		newer     = `{"id":820982911946154508,"updated_at":"2026-11-23T10:05:00+07:00","financial_status":"paid"}`
		refund    = `{"id":890088186047892319,"order_id":820982911946154508,"created_at":"2026-11-23T10:00:00+07:00"}`
		refund2   = `{"id":890088186047892320,"order_id":820982911946154508,"created_at":"2026-11-23T10:00:00+07:00"}`
		checkout  = `{"token":"123123123","updated_at":"2026-11-23T10:00:00+07:00"}`
		checkout2 = `{"token":"123123124","updated_at":"2026-11-23T10:00:00+07:00"}`
		redact    = `{"shop_domain":"jsmith.myshopify.com","customer":{"id":191167,"email":"john@example.com"}}`
		redact2   = `{"shop_domain":"jsmith.myshopify.com","customer":{"id":191168,"email":"jane@example.com"}}`
		notJSON   = `{"id": 1, "updated_at": `
	)
	conn := newConnector(t, nil)
	id := func(topic, eventID, body string) string {
		t.Helper()
		r := request(body, map[string]string{
			"X-Shopify-Hmac-Sha256": shopify.Sign(secret, []byte(body)), "X-Shopify-Topic": topic,
			"X-Shopify-Shop-Domain": shopDomain, "X-Shopify-Event-Id": eventID,
		})
		d, err := conn.Accept(r, []byte(body))
		require.NoError(t, err)
		return d.ID
	}
	tests := []struct {
		name         string
		topic        string
		first, again string
		same         bool
	}{
		{"a retry of the same body", "orders/paid", order, order, true},
		{"another order under the same event id", "orders/paid", order, nextID, false},
		{"the same order updated since", "orders/updated", order, newer, false},
		{"another refund of the same order", "refunds/create", refund, refund2, false},
		{"another checkout", "checkouts/update", checkout, checkout2, false},
		{"another customer's privacy request", "customers/redact", redact, redact2, false},
		{"a body that is not JSON, retried", "orders/paid", notJSON, notJSON, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, again := id(tt.topic, "evt-1", tt.first), id(tt.topic, "evt-1", tt.again)
			if tt.same {
				assert.Equal(t, first, again)
			} else {
				assert.NotEqual(t, first, again)
			}
		})
	}

	t.Run("the id ends with the hash of the signed body", func(t *testing.T) {
		assert.Equal(t, shopDomain+"/orders/paid/evt-1/"+sha256Hex(order), id("orders/paid", "evt-1", order))
	})
	t.Run("another event id is another delivery", func(t *testing.T) {
		assert.NotEqual(t, id("orders/paid", "evt-1", order), id("orders/paid", "evt-2", order))
	})
}

// A delivery accepted by the connector maps with the bundled mapping.
func TestAcceptedOrderMaps(t *testing.T) {
	body := orderPaid(t)
	r := request(string(body), map[string]string{
		"X-Shopify-Hmac-Sha256": shopify.Sign(secret, body), "X-Shopify-Topic": "orders/paid",
		"X-Shopify-Shop-Domain": "kopi-nusantara.myshopify.com", "X-Shopify-Event-Id": "0f9a2c44-7d0e-4c41-b1f2-9b63d1c0a001",
	})
	d, err := newConnector(t, nil).Accept(r, body)
	require.NoError(t, err)

	src, ok := mappings.Bundled(shopify.Spec().Mapping)
	require.True(t, ok, "bundled mapping %q", shopify.Spec().Mapping)
	p, err := mappings.Compile(shopify.Spec().Mapping, src)
	require.NoError(t, err)
	events, err := p.Run(context.Background(), event.Delivery{
		Tenant: "acme", Connector: "shop", Kind: shopify.Name, DeliveryID: d.ID, Topic: d.Topic,
		Meta: d.Meta, ReceivedAt: time.Now(),
	}, body)
	require.NoError(t, err)
	require.Len(t, events, 1)
	assert.Equal(t, event.TypeOrderPaid, events[0].Type)
	assert.Equal(t, event.ID("acme", "shop", "order.paid/5812736451234"), events[0].ID)
}

func BenchmarkAccept(b *testing.B) {
	conn := newConnector(b, func(c *shopify.Config) { c.PreviousSecret = oldSecret; c.ShopDomain = shopDomain })
	body := orderPaid(b)
	r := request(string(body), map[string]string{
		"X-Shopify-Hmac-Sha256": shopify.Sign(oldSecret, body), "X-Shopify-Topic": "orders/paid",
		"X-Shopify-Shop-Domain": shopDomain, "X-Shopify-Api-Version": "2026-01",
		"X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
	})
	r.Header = r.Header.Clone()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := conn.Accept(r, body); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleSign() {
	body := []byte(`{"id":820982911946154508,"financial_status":"paid"}`)
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080/hooks/acme/shop", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(shopify.HeaderTopic, "orders/paid")
	req.Header.Set(shopify.HeaderShopDomain, "jsmith.myshopify.com")
	req.Header.Set(shopify.HeaderHMAC, shopify.Sign("shpss_test_secret", body))
	fmt.Println(req.Header.Get(shopify.HeaderHMAC))
	// Output:
	// KUADzJEAdqvKOAaEiILAmpio/iFL3NPBTdT+0cV1djc=
}
