package shopify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/shopify"
	"github.com/loyalhub/loyalhub/connectors/sourcetest"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/mappings"
)

// documentedTopics are the webhook topics Shopify documents that a loyalty
// shop subscribes to: the ones the mapping turns into events and the ones
// it ignores on purpose. Each has a recorded payload.
var documentedTopics = []string{
	"orders/create", "orders/paid", "orders/updated", "orders/cancelled", "orders/edited",
	"refunds/create",
	"customers/create", "customers/update", "customers/delete",
	"customers_marketing_consent/update", "customers_email_marketing_consent/update",
	"checkouts/create", "checkouts/update", "checkouts/delete",
	"customers/data_request", "customers/redact", "shop/redact",
	"app/uninstalled",
}

// recorded is one recorded payload of mappings/testdata/shopify: its body,
// the topic and meta it was delivered with, and the events its golden
// file expects.
type recorded struct {
	name  string
	body  []byte
	topic string
	meta  map[string]string
	want  []event.Event
	err   bool
}

func recordedPayloads(t *testing.T) []recorded {
	t.Helper()
	dir := filepath.Join("..", "..", "mappings", "testdata", "shopify")
	files, err := filepath.Glob(filepath.Join(dir, "*.delivery.json"))
	require.NoError(t, err)
	var out []recorded
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".delivery.json")
		r := recorded{name: name}
		var side struct {
			Topic string            `json:"topic"`
			Meta  map[string]string `json:"meta"`
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &side), f)
		r.topic, r.meta = side.Topic, side.Meta
		r.body, err = os.ReadFile(filepath.Join(dir, name+".json"))
		require.NoError(t, err)
		var golden struct {
			Events []event.Event `json:"events"`
			Error  string        `json:"error"`
		}
		b, err = os.ReadFile(filepath.Join(dir, name+".golden.json"))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &golden), name)
		r.want, r.err = golden.Events, golden.Error != ""
		out = append(out, r)
	}
	return out
}

// Every documented topic has a recorded payload.
func TestRecordedTopics(t *testing.T) {
	seen := map[string]int{}
	for _, r := range recordedPayloads(t) {
		if !strings.HasPrefix(r.name, "malformed_") {
			seen[r.topic]++
		}
	}
	for _, topic := range documentedTopics {
		assert.NotZero(t, seen[topic], "no recorded payload of %s", topic)
	}
	t.Logf("recorded payloads by topic: %v", seen)
}

// The source conformance suite passes with every recorded payload, each
// delivered under its own topic.
func TestConformanceEveryTopic(t *testing.T) {
	for _, r := range recordedPayloads(t) {
		t.Run(r.name, func(t *testing.T) {
			sourcetest.Run(t, sourcetest.Harness{
				Source: newConnector(t, nil),
				Sign: func(req *http.Request, body []byte) {
					signAs(secret)(req, body)
					req.Header.Set(shopify.HeaderTopic, r.topic)
				},
				Body: r.body,
			})
		})
	}
}

// Every recorded payload, signed and accepted like Shopify's delivery of
// it, maps to the events of its golden file (the mapping's $meta comes
// from Accept, the connector's include_test_orders from the case).
func TestAcceptedPayloadsMap(t *testing.T) {
	src, ok := mappings.Bundled(shopify.Spec().Mapping)
	require.True(t, ok)
	p, err := mappings.Compile(shopify.Spec().Mapping, src)
	require.NoError(t, err)
	for _, r := range recordedPayloads(t) {
		t.Run(r.name, func(t *testing.T) {
			conn := newConnector(t, func(c *shopify.Config) { c.IncludeTestOrders = r.meta["include_test_orders"] == "true" })
			shop := r.meta["shop_domain"]
			req := request(string(r.body), map[string]string{
				shopify.HeaderHMAC: shopify.Sign(secret, r.body), shopify.HeaderTopic: r.topic,
				shopify.HeaderShopDomain: shop, shopify.HeaderAPIVersion: "2026-01",
				shopify.HeaderEventID: "3f1c2b9a-5d4e-4f60-8a7b-" + r.name[:min(12, len(r.name))],
			})
			d, err := conn.Accept(req, r.body)
			require.NoError(t, err)
			assert.Equal(t, r.topic, d.Topic)
			assert.True(t, strings.HasPrefix(d.ID, shop+"/"+r.topic+"/"), d.ID)

			events, err := p.Run(context.Background(), event.Delivery{
				Tenant: "acme", Connector: "main_shopify", Kind: shopify.Name, DeliveryID: d.ID, Topic: d.Topic,
				Meta: d.Meta, ReceivedAt: time.Date(2026, 11, 23, 3, 0, 5, 0, time.UTC),
			}, r.body)
			if r.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Len(t, events, len(r.want))
			for i, e := range events {
				assert.Equal(t, r.want[i].Type, e.Type)
				assert.JSONEq(t, string(r.want[i].Data), string(e.Data))
			}
		})
	}
}
