package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
)

func TestMappingTest(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	sale := write("sale.json", `{"sale_id": "S-1", "customer": {"phone": "081234567890"}, "total": "50000", "currency": "IDR"}`)
	noID := write("noid.json", `{"customer": {"phone": "081234567890"}, "total": "50000"}`)

	t.Run("bundled mapping of a connector type", func(t *testing.T) {
		out, _, err := runCLI(t, nil, "mapping", "test", "--connector", "pos_webhook", sale)
		require.NoError(t, err)
		var events []event.Event
		require.NoError(t, json.Unmarshal([]byte(out), &events))
		require.Len(t, events, 1)
		assert.Equal(t, event.TypeOrderPaid, events[0].Type)
		assert.JSONEq(t, `{"order_id":"S-1","phone":"081234567890","total":"50000","currency":"IDR"}`, string(events[0].Data))
	})
	t.Run("the error and where the mapping raised it", func(t *testing.T) {
		_, stderr, err := runCLI(t, nil, "mapping", "test", "--connector", "pos_webhook", noID)
		require.Error(t, err)
		assert.Contains(t, stderr, "sale_id is required")
		assert.Regexp(t, `at mappings/pos_webhook\.jq:\d+:\d+`, stderr)
		assert.Contains(t, stderr, `error("sale_id is required`)
		assert.Contains(t, stderr, "^")
	})
	t.Run("a mapping file, topic and source meta", func(t *testing.T) {
		jq := write("m.jq", `{type: "t", id: "1", data: {topic: $meta.topic, shop: $meta.source.shop_domain}}`)
		out, _, err := runCLI(t, nil, "mapping", "test", "--mapping", jq, "--topic", "orders/paid", "--meta", "shop_domain=acme.myshopify.com", sale)
		require.NoError(t, err)
		assert.Contains(t, out, `"topic": "orders/paid"`)
		assert.Contains(t, out, `"shop": "acme.myshopify.com"`)
	})
	t.Run("a compile error has its line", func(t *testing.T) {
		jq := write("bad.jq", "{type: \"t\",\n  id: }")
		_, _, err := runCLI(t, nil, "mapping", "test", "--mapping", jq, sale)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "2:")
	})
	t.Run("no events explained", func(t *testing.T) {
		order := filepath.Join("..", "..", "mappings", "testdata", "shopify", "orders_paid_gift_card_and_codes.json")
		tests := []struct {
			name string
			args []string
			want []string
		}{
			{
				name: "a topic mapping without a topic",
				args: []string{"--connector", "shopify", order},
				want: []string{
					"no events: no --topic was given, and mappings/shopify.jq chooses what to map by the provider's topic ($meta.topic,",
					"Give the payload's topic with --topic, one of: ", "orders/paid, ", "refunds/create",
				},
			},
			{
				name: "a topic the mapping ignores",
				args: []string{"--connector", "shopify", "--topic", "products/update", order},
				want: []string{`no events: mappings/shopify.jq maps nothing for topic "products/update" on this payload`, "Topics of its recorded samples: "},
			},
			{
				name: "a mapping file that skips the payload",
				args: []string{"--mapping", write("skip.jq", `if .kind == "sale" then {type: "t", id: "1", data: {}} else empty end`), sale},
				want: []string{"skip.jq yields nothing for this payload"},
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				out, stderr, err := runCLI(t, nil, append([]string{"mapping", "test"}, tt.args...)...)
				require.NoError(t, err, stderr)
				assert.JSONEq(t, `[]`, out)
				for _, w := range tt.want {
					assert.Contains(t, stderr, w)
				}
			})
		}
		out, stderr, err := runCLI(t, nil, "mapping", "test", "--connector", "shopify", "--topic", "orders/paid", order)
		require.NoError(t, err)
		assert.Contains(t, out, `"type": "order.paid"`)
		assert.Empty(t, stderr, "events need no explanation")
	})
	t.Run("unknown connector", func(t *testing.T) {
		_, _, err := runCLI(t, nil, "mapping", "test", "--connector", "nope", sale)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `unknown connector type or mapping "nope"`)
	})
}

func TestMappingLint(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "loyalhub.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`
server:
  admin_token: admin
tenants:
  acme:
    default_region: ID
    connectors:
      pos:
        type: pos_webhook
        secret: s3cret
      till:
        type: pos_webhook
        secret: s3cret
        mapping: |
          if .sale_id == null then error("no sale id")
          else {type: "order.payed", id: .sale_id, data: {order_id: .sale_id, phone: .customer.phone, total: .total}} end
    loyalty:
      rules:
        - {name: spend, on: order.paid, spend: {unit: "10000", points: 1}}
`), 0o600))
	out, _, err := runCLI(t, nil, "mapping", "lint", "-c", cfg)
	require.Error(t, err, out)
	assert.Contains(t, out, `warning: tenants.acme.connectors.till.mapping on sample`)
	assert.Contains(t, out, `event type "order.payed"`)
	assert.Contains(t, out, "error: tenants.acme.connectors.till.mapping")
	assert.Contains(t, out, "fails a payload the bundled mapping maps")
	assert.NotContains(t, out, "connectors.pos.mapping", "the bundled mapping is clean")
	assert.Contains(t, out, "2 mapping(s) checked")
}
