package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/mappings"
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
		assert.JSONEq(t, `{"order_id":"S-1","phone":"081234567890","total":"50000","currency":"IDR","profile":{"source":"pos"}}`, string(events[0].Data))
	})
	t.Run("the error and where the mapping raised it", func(t *testing.T) {
		_, stderr, err := runCLI(t, nil, "mapping", "test", "--connector", "pos_webhook", noID)
		require.Error(t, err)
		assert.Contains(t, stderr, "sale_id is required")
		assert.Regexp(t, `at mappings/pos_webhook\.jq:\d+:\d+`, stderr)
		assert.Contains(t, stderr, `error("sale_id is required`)
		assert.Contains(t, stderr, "^")
	})
	t.Run("gojq's own error and the line of the bundled mapping", func(t *testing.T) {
		// Square's mapping reads data.object of a body whose data is a
		// string: gojq fails, no error(…) call of the mapping.
		body := write("square.json", `{"type": "payment.updated", "data": "x"}`)
		_, stderr, err := runCLI(t, nil, "mapping", "test", "--connector", "square", body)
		require.Error(t, err)
		src, _ := mappings.Bundled("square")
		line := strings.Count(src[:strings.Index(src, "  .data.object.payment\n")], "\n") + 1
		assert.Contains(t, stderr, `error: running mapping "square": expected an object but got: string ("x")`)
		assert.Contains(t, stderr, fmt.Sprintf("  at mappings/square.jq:%d:3\n    .data.object.payment\n    ^\n", line))
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

func TestMappingLintOwnSamples(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	}
	// A till that posts receipts, not the POS preset's sales: its mapping
	// fails every bundled pos_webhook sample by design.
	write("loyalhub.yaml", `
server:
  admin_token: admin
tenants:
  acme:
    default_region: ID
    connectors:
      till:
        type: pos_webhook
        secret: s3cret
        mapping: |
          if .receipt == null then error("a till body is {receipt: …}")
          elif .receipt.void then empty
          else .receipt | {type: "order.paid", id: .no, data: {order_id: .no, phone: .member_phone, total: (.amount | tostring)}}
          end
    loyalty:
      rules:
        - {name: spend, on: order.paid, spend: {unit: "10000", points: 1}}
`)
	cfg := filepath.Join(dir, "loyalhub.yaml")
	receipt := `{"receipt": {"no": "R-1", "member_phone": "081234567890", "amount": 50000}}`

	t.Run("against the bundled samples of another shape", func(t *testing.T) {
		out, _, err := runCLI(t, nil, "mapping", "lint", "-c", cfg)
		require.Error(t, err)
		assert.Contains(t, out, "error: tenants.acme.connectors.till.mapping (line 1) on sample")
		assert.Contains(t, out, "fails a payload the bundled mapping maps")
		assert.Contains(t, out, "linted against recorded payloads of its own: --samples")
	})
	tests := []struct {
		name    string
		files   map[string]string
		wantErr bool
		want    []string
		notWant []string
	}{
		{
			name:  "own samples by connector name",
			files: map[string]string{"till/receipt.json": receipt},
			want:  []string{"1 mapping(s) checked, 0 error(s), 0 warning(s)"},
		},
		{
			name:  "own samples by connector type",
			files: map[string]string{"pos_webhook/receipt.json": receipt},
			want:  []string{"0 error(s), 0 warning(s)"},
		},
		{
			name: "a tenant's folder comes first",
			files: map[string]string{
				"acme/till/receipt.json": receipt,
				"till/sale.json":         `{"sale_id": "S-1"}`,
			},
			want: []string{"0 error(s), 0 warning(s)"},
		},
		{
			name: "a payload of its own the mapping fails, and one it maps to nothing",
			files: map[string]string{
				"till/receipt.json":          receipt,
				"till/sale.json":             `{"sale_id": "S-1"}`,
				"till/empty.json":            `{"receipt": {"no": "R-2", "void": true}}`,
				"till/empty.delivery.json":   `{"topic": "", "meta": {"store": "JKT-01"}}`,
				"till/receipt.delivery.json": `{"topic": "sale"}`,
			},
			wantErr: true,
			want: []string{
				`error: tenants.acme.connectors.till.mapping (line 1) on sample till/sale.json: fails a recorded payload of its own: ` +
					`running mapping "acme/till": error: a till body is {receipt: …}`,
				"warning: tenants.acme.connectors.till.mapping on sample till/empty.json: maps the recorded payload to no event (it has no topic: give one in empty.delivery.json)",
				"1 error(s), 1 warning(s)",
			},
			notWant: []string{"receipt.json"},
		},
		{
			name:    "a delivery file of another shape",
			files:   map[string]string{"till/receipt.json": receipt, "till/receipt.delivery.json": `{"topics": ["x"]}`},
			wantErr: true,
			want:    []string{`error: tenants.acme.connectors.till.mapping: reading the recorded payloads of till: reading the delivery of sample till/receipt.json`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			samples := t.TempDir()
			for name, body := range tt.files {
				p := filepath.Join(samples, filepath.FromSlash(name))
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
				require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
			}
			out, stderr, err := runCLI(t, nil, "mapping", "lint", "-c", cfg, "--samples", samples)
			if tt.wantErr {
				require.Error(t, err, out)
			} else {
				require.NoError(t, err, out+stderr)
			}
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
			for _, w := range tt.notWant {
				assert.NotContains(t, out, w)
			}
		})
	}
	t.Run("samples must be a folder", func(t *testing.T) {
		_, _, err := runCLI(t, nil, "mapping", "lint", "-c", cfg, "--samples", filepath.Join(dir, "nope"))
		require.ErrorContains(t, err, "not a folder")
	})
}
