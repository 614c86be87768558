package mappings_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/mappings"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var receivedAt = time.Date(2026, 11, 23, 3, 0, 5, 0, time.UTC)

func delivery(kind string) event.Delivery {
	return event.Delivery{
		Tenant:     "acme",
		Connector:  "main_" + kind,
		Kind:       kind,
		DeliveryID: "dlv-0001",
		ReceivedAt: receivedAt,
	}
}

func mustBundled(t testing.TB, name string) *mappings.Program {
	t.Helper()
	src, ok := mappings.Bundled(name)
	require.True(t, ok, "bundled mapping %q", name)
	p, err := mappings.Compile(name, src)
	require.NoError(t, err)
	return p
}

// caseDelivery is the delivery of a golden case: the default one, with the
// topic and source meta of <case>.delivery.json when there is one
// ({"topic": "orders/paid", "meta": {"shop_domain": "…"}}), for sources
// whose mapping depends on them.
func caseDelivery(t *testing.T, name, input string) event.Delivery {
	d := delivery(name)
	b, err := os.ReadFile(strings.TrimSuffix(input, ".json") + ".delivery.json")
	if errors.Is(err, os.ErrNotExist) {
		return d
	}
	require.NoError(t, err)
	var side struct {
		Topic string            `json:"topic"`
		Meta  map[string]string `json:"meta"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&side), "reading %s.delivery.json", input)
	d.Topic, d.Meta = side.Topic, side.Meta
	return d
}

// goldenInputs lists the cases of a bundled mapping: its testdata files but
// the golden and delivery ones.
func goldenInputs(t testing.TB, name string) []string {
	all, err := filepath.Glob(filepath.Join("testdata", name, "*.json"))
	require.NoError(t, err)
	var inputs []string
	for _, in := range all {
		if !strings.HasSuffix(in, ".golden.json") && !strings.HasSuffix(in, ".delivery.json") {
			inputs = append(inputs, in)
		}
	}
	return inputs
}

// TestGolden runs every bundled mapping over testdata/<mapping>/<case>.json
// and compares the result, {"events": [...], "failed": [...], "ignored":
// [...]} (failed and ignored when there are some) or {"error": "..."}, with
// <case>.golden.json.
func TestGolden(t *testing.T) {
	for _, name := range mappings.Names() {
		t.Run(name, func(t *testing.T) {
			p := mustBundled(t, name)
			var cases int
			for _, in := range goldenInputs(t, name) {
				cases++
				caseName := strings.TrimSuffix(filepath.Base(in), ".json")
				t.Run(caseName, func(t *testing.T) {
					body, err := os.ReadFile(in)
					require.NoError(t, err)
					res, err := p.Map(context.Background(), caseDelivery(t, name, in), body)
					if res == nil {
						res = &mappings.Result{}
					}
					got := map[string]any{"events": res.Events}
					if res.Events == nil {
						got["events"] = []event.Event{}
					}
					if len(res.Failed) > 0 {
						got["failed"] = res.Failed
					}
					if len(res.Ignored) > 0 {
						got["ignored"] = res.Ignored
					}
					if err != nil {
						assert.True(t, fault.IsPermanent(err), "error must be permanent: %v", err)
						assert.Equal(t, fault.ClassRequest, fault.ClassOf(err))
						got = map[string]any{"error": err.Error()}
					}
					b, err := json.MarshalIndent(got, "", "  ")
					require.NoError(t, err)
					b = append(b, '\n')
					path := strings.TrimSuffix(in, ".json") + ".golden.json"
					if *update {
						require.NoError(t, os.WriteFile(path, b, 0o644))
						return
					}
					want, err := os.ReadFile(path)
					require.NoError(t, err, "missing golden file; run go test ./mappings -update")
					assert.Equal(t, string(want), string(b))
				})
			}
			assert.NotZero(t, cases, "no golden cases for %s", name)
		})
	}
}

// The golden data must decode into the typed event data the later stages use.
func TestBundledDataDecodes(t *testing.T) {
	tests := []struct {
		name    string
		mapping string
		file    string
		check   func(t *testing.T, events []event.Event)
	}{
		{
			name: "refund", mapping: "pos_webhook", file: "refunded_sale.json",
			check: func(t *testing.T, events []event.Event) {
				require.Len(t, events, 1)
				var r event.OrderRefunded
				require.NoError(t, json.Unmarshal(events[0].Data, &r))
				assert.Equal(t, event.OrderRefunded{OrderID: "S-3002", RefundID: "R-1", Amount: "50000.00", Currency: "IDR"}, r)
				assert.Equal(t, event.TypeOrderRefunded, events[0].Type)
				assert.Equal(t, event.ID("acme", "main_pos_webhook", "order.refunded/S-3002/R-1"), events[0].ID)
			},
		},
		{
			name: "void", mapping: "pos_webhook", file: "void_sale.json",
			check: func(t *testing.T, events []event.Event) {
				require.Len(t, events, 1)
				assert.Equal(t, event.TypeOrderCancelled, events[0].Type)
				assert.JSONEq(t, `{"order_id": "S-3001"}`, string(events[0].Data))
			},
		},
		{
			name: "order paid", mapping: "pos_webhook", file: "single_sale.json",
			check: func(t *testing.T, events []event.Event) {
				require.Len(t, events, 1)
				var op event.OrderPaid
				require.NoError(t, json.Unmarshal(events[0].Data, &op))
				assert.Equal(t, event.OrderPaid{OrderID: "S-1001", Phone: "0812-3456-7890", Email: "sari@example.com",
					Name: "Sari", Total: "257500.00", Currency: "IDR", StoreID: "JKT-01", Items: []event.OrderItem{
						{SKU: "KOPI-SUSU-L", Name: "Es Kopi Susu (L)", Quantity: "2", Price: "32500.00"},
						{SKU: "ROTI-BKR", Name: "Roti Bakar Cokelat", Quantity: "1", Price: "28500.00"},
						{SKU: "BEANS-250", Name: "Arabica Gayo 250 g", Quantity: "1", Price: "164000.00"},
					}, Profile: &member.Profile{Source: "pos", Store: "JKT-01"}}, op)
				assert.Equal(t, event.TypeOrderPaid, events[0].Type)
				assert.Equal(t, event.ID("acme", "main_pos_webhook", "order.paid/S-1001"), events[0].ID)
				assert.Equal(t, time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC), events[0].OccurredAt)
			},
		},
		{
			name: "large ids and numeric totals stay exact", mapping: "pos_webhook", file: "numeric_fields.json",
			check: func(t *testing.T, events []event.Event) {
				require.Len(t, events, 1)
				var op event.OrderPaid
				require.NoError(t, json.Unmarshal(events[0].Data, &op))
				assert.Equal(t, "5527838716048765432", op.OrderID)
				assert.Equal(t, "257500.5", op.Total)
				assert.Equal(t, "17", op.StoreID)
				assert.Equal(t, event.ID("acme", "main_pos_webhook", "order.paid/5527838716048765432"), events[0].ID)
			},
		},
		{
			name: "message statuses", mapping: "whatsapp_cloud", file: "statuses_batched.json",
			check: func(t *testing.T, events []event.Event) {
				require.Len(t, events, 6)
				var got []string
				var statuses []event.Event
				for _, e := range events {
					if e.Type != event.TypeMessageStatus {
						assert.Equal(t, "template.status", e.Type)
						continue
					}
					statuses = append(statuses, e)
					var ms event.MessageStatus
					require.NoError(t, json.Unmarshal(e.Data, &ms))
					assert.Equal(t, e.OccurredAt, ms.Timestamp)
					got = append(got, ms.Status)
				}
				assert.Equal(t, []string{"sent", "delivered", "read", "failed", "failed"}, got)
				var failed event.MessageStatus
				require.NoError(t, json.Unmarshal(statuses[3].Data, &failed))
				assert.Equal(t, "msg_1c2d3e4f5a6b7c8d", failed.CallbackData)
				require.Len(t, failed.Errors, 1)
				assert.Equal(t, 131049, failed.Errors[0].Code)
				assert.NotEmpty(t, failed.Errors[0].Details)
				assert.Equal(t, time.Unix(1795402940, 0).UTC(), failed.Timestamp)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tt.mapping, tt.file))
			require.NoError(t, err)
			events, err := mustBundled(t, tt.mapping).Run(context.Background(), delivery(tt.mapping), body)
			require.NoError(t, err)
			tt.check(t, events)
		})
	}
}

func TestBundled(t *testing.T) {
	names := mappings.Names()
	assert.IsIncreasing(t, names)
	for _, want := range []string{"csv_drop", "hubspot", "loyverse", "pos_webhook", "shopify", "square", "whatsapp_cloud", "whatsapp_gupshup", "whatsapp_twilio"} {
		assert.Contains(t, names, want)
	}
	for _, name := range names {
		src, ok := mappings.Bundled(name)
		require.True(t, ok)
		assert.True(t, strings.HasPrefix(src, "# "+name+":"), "%s starts with its comment header", name)
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{"pos_webhook", true},
		{"whatsapp_cloud", true},
		{"shopify", true},
		{"magento", false},
		{"", false},
		{"../mappings", false},
		{"pos_webhook.jq", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("name %q", tt.name), func(t *testing.T) {
			src, ok := mappings.Bundled(tt.name)
			assert.Equal(t, tt.ok, ok)
			if tt.ok {
				assert.True(t, strings.HasPrefix(src, "# "+tt.name+":"), "starts with its comment header")
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name     string
		source   string
		line     int
		column   int
		contains string
	}{
		{name: "unexpected token", source: "{\n  type: \"x\",\n  id: .a |,\n}", line: 3, column: 11, contains: `3:11: unexpected token ","`},
		{name: "unterminated string", source: "# header\n.a | \"oops", line: 2, column: 11, contains: "2:11: unterminated string literal"},
		{name: "unexpected end", source: "{type: \"x\"", line: 1, column: 11, contains: "1:11: unexpected EOF"},
		{name: "unknown function", source: "{type: \"x\", id: nope, data: {}}", contains: "function not defined: nope/0"},
		{name: "unknown variable", source: "$other", contains: "variable not defined: $other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mappings.Compile("custom", tt.source)
			require.Error(t, err)
			var ce *mappings.CompileError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "custom", ce.Mapping)
			assert.Equal(t, tt.line, ce.Line, "line")
			assert.Equal(t, tt.column, ce.Column, "column")
			assert.Contains(t, err.Error(), `compiling mapping "custom": `)
			assert.Contains(t, err.Error(), tt.contains)
		})
	}
}

func TestRun(t *testing.T) {
	d := delivery("custom")
	d.Topic = "sales/create"
	d.Meta = map[string]string{"shop_domain": "acme.myshopify.com"}
	tests := []struct {
		name    string
		program string
		body    string
		want    []event.Event // compared on Type, ID, OccurredAt and Data
		errMsg  string        // when set, the permanent error must contain it
	}{
		{
			name:    "empty yields nothing",
			program: "empty", body: `{}`,
		},
		{
			name:    "string id and rfc3339 time",
			program: `{type: "t", id: .id, occurred_at: .at, data: {n: .n}}`,
			body:    `{"id": "A-1", "at": "2026-11-23T10:00:00.25+07:00", "n": 1}`,
			want:    []event.Event{{Type: "t", ID: event.ID("acme", "main_custom", "t/A-1"), OccurredAt: time.Date(2026, 11, 23, 3, 0, 0, 250000000, time.UTC), Data: json.RawMessage(`{"n":1}`)}},
		},
		{
			name:    "integer ids stay exact",
			program: `{type: "t", id: .id, data: {id: .id, s: (.id | tostring), big: .big, f: (.f | tostring)}}`,
			body:    `{"id": 5527838716048765432, "big": 123456789012345678901234567890, "f": 257500.50}`,
			want: []event.Event{{Type: "t", ID: event.ID("acme", "main_custom", "t/5527838716048765432"), OccurredAt: receivedAt,
				Data: json.RawMessage(`{"big":123456789012345678901234567890,"f":"257500.5","id":5527838716048765432,"s":"5527838716048765432"}`)}},
		},
		{
			name:    "integer id beyond int64",
			program: `{type: "t", id: .id, data: {}}`,
			body:    `{"id": 99999999999999999999}`,
			want:    []event.Event{{Type: "t", ID: event.ID("acme", "main_custom", "t/99999999999999999999"), OccurredAt: receivedAt, Data: json.RawMessage(`{}`)}},
		},
		{
			name:    "unix seconds as number, float and string",
			program: `.[] | {type: "t", id: tostring, occurred_at: ., data: {}}`,
			body:    `[1795402800, 1795402800.5, "1795402800"]`,
			want: []event.Event{
				{Type: "t", ID: event.ID("acme", "main_custom", "t/1795402800"), OccurredAt: time.Unix(1795402800, 0).UTC(), Data: json.RawMessage(`{}`)},
				{Type: "t", ID: event.ID("acme", "main_custom", "t/1795402800.5"), OccurredAt: time.Unix(1795402800, 5e8).UTC(), Data: json.RawMessage(`{}`)},
				{Type: "t", ID: event.ID("acme", "main_custom", "t/1795402800"), OccurredAt: time.Unix(1795402800, 0).UTC(), Data: json.RawMessage(`{}`)},
			},
		},
		{
			name:    "null occurred_at falls back to received_at",
			program: `{type: "t", id: "1", occurred_at: null, data: {}}`, body: `{}`,
			want: []event.Event{{Type: "t", ID: event.ID("acme", "main_custom", "t/1"), OccurredAt: receivedAt, Data: json.RawMessage(`{}`)}},
		},
		{
			name:    "meta describes the delivery",
			program: `{type: "t", id: "1", data: $meta}`, body: `null`,
			want: []event.Event{{Type: "t", ID: event.ID("acme", "main_custom", "t/1"), OccurredAt: receivedAt,
				Data: json.RawMessage(`{"connector":"main_custom","delivery_id":"dlv-0001","kind":"custom","received_at":"2026-11-23T03:00:05Z","source":{"shop_domain":"acme.myshopify.com"},"tenant":"acme","topic":"sales/create"}`)}},
		},
		{
			name:    "environment is hidden",
			program: `{type: "t", id: "1", data: {env: $ENV, env2: env}}`, body: `{}`,
			want: []event.Event{{Type: "t", ID: event.ID("acme", "main_custom", "t/1"), OccurredAt: receivedAt, Data: json.RawMessage(`{"env":{},"env2":{}}`)}},
		},
		{
			name:    "halt ends the outputs",
			program: `{type: "t", id: "1", data: {}}, halt, {type: "t", id: "2", data: {}}`, body: `{}`,
			want: []event.Event{{Type: "t", ID: event.ID("acme", "main_custom", "t/1"), OccurredAt: receivedAt, Data: json.RawMessage(`{}`)}},
		},
		{name: "body not json", program: ".", body: `{"sale_id": `, errMsg: "payload is not valid JSON: unexpected EOF"},
		{name: "empty body", program: ".", body: "  \n", errMsg: "payload is not valid JSON: empty body"},
		{name: "trailing data", program: ".", body: `{} {}`, errMsg: "payload is not valid JSON: unexpected data after the top-level value"},
		{name: "runtime error names the mapping", program: `.a.b`, body: `{"a": [1]}`, errMsg: `running mapping "custom": expected an object but got: array ([1])`},
		{name: "error raised by the mapping", program: `error("sale_id is required")`, body: `{}`, errMsg: `running mapping "custom": error: sale_id is required`},
		{name: "halt_error", program: `"stop" | halt_error`, body: `{}`, errMsg: `running mapping "custom": halt error: stop`},
		{name: "output not an object", program: `{type: "t", id: "1", data: {}}, 42`, body: `{}`, errMsg: `mapping "custom": output 1: got a number, want an object`},
		{name: "missing type", program: `{id: "1", data: {}}`, body: `{}`, errMsg: "output 0: field type: got null (missing), want a non-empty string"},
		{name: "empty type", program: `{type: "", id: "1", data: {}}`, body: `{}`, errMsg: `output 0: field type: got a string "", want a non-empty string`},
		{name: "missing id", program: `{type: "t", data: {}}`, body: `{}`, errMsg: "output 0: field id: got null (missing), want a non-empty string or an integer"},
		{name: "float id", program: `{type: "t", id: 1.5, data: {}}`, body: `{}`, errMsg: "output 0: field id: got a number 1.5"},
		{name: "data not an object", program: `{type: "t", id: "1", data: [1]}`, body: `{}`, errMsg: "output 0: field data: got an array, want an object"},
		{name: "missing data", program: `{type: "t", id: "1"}`, body: `{}`, errMsg: "output 0: field data: got null (missing), want an object"},
		{name: "unknown field", program: `{type: "t", id: "1", data: {}, occured_at: 1}`, body: `{}`, errMsg: `output 0: field "occured_at": unknown`},
		{name: "bad occurred_at string", program: `{type: "t", id: "1", occurred_at: "23/11/2026", data: {}}`, body: `{}`, errMsg: `output 0: field occurred_at: "23/11/2026" is neither RFC 3339 nor unix seconds`},
		{name: "negative occurred_at", program: `{type: "t", id: "1", occurred_at: -5, data: {}}`, body: `{}`, errMsg: "output 0: field occurred_at: unix seconds -5 out of range"},
		{name: "huge occurred_at", program: `{type: "t", id: "1", occurred_at: 1e300, data: {}}`, body: `{}`, errMsg: "out of range"},
		{name: "boolean occurred_at", program: `{type: "t", id: "1", occurred_at: true, data: {}}`, body: `{}`, errMsg: "output 0: field occurred_at: got a boolean true"},
		{name: "too many outputs", program: `range(20000) | {type: "t", id: tostring, data: {}}`, body: `{}`, errMsg: fmt.Sprintf("more than %d outputs", mappings.MaxOutputs)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := mappings.Compile("custom", tt.program)
			require.NoError(t, err)
			events, err := p.Run(context.Background(), d, []byte(tt.body))
			if tt.errMsg != "" {
				require.Error(t, err)
				assert.Nil(t, events)
				assert.True(t, fault.IsPermanent(err), "permanent")
				assert.Equal(t, fault.ClassRequest, fault.ClassOf(err))
				assert.Contains(t, err.Error(), tt.errMsg)
				return
			}
			require.NoError(t, err)
			require.Len(t, events, len(tt.want))
			for i, w := range tt.want {
				got := events[i]
				assert.Equal(t, w.Type, got.Type)
				assert.Equal(t, w.ID, got.ID)
				assert.Equal(t, "acme", got.Tenant)
				assert.Equal(t, "main_custom", got.Connector)
				assert.True(t, w.OccurredAt.Equal(got.OccurredAt), "occurred_at %v, want %v", got.OccurredAt, w.OccurredAt)
				assert.Equal(t, time.UTC, got.OccurredAt.Location())
				assert.JSONEq(t, string(w.Data), string(got.Data))
			}
		})
	}
}

// TestMapItems holds Map to the per-item contract: an {"error", "item"}
// output fails that item alone, an {"ignored": label} output counts a part
// left aside, and the events around them are kept.
func TestMapItems(t *testing.T) {
	d := delivery("custom")
	tests := []struct {
		name    string
		program string
		body    string
		events  []string // ids of the events, in order
		failed  []mappings.Failure
		ignored []string
		errMsg  string // when set, Map fails the whole delivery with it
	}{
		{
			name: "one bad sale of three",
			program: `.sales[] as $s | $s | try (if .id == null then error("sale without an id") else {type: "t", id: .id, data: {}} end)
				catch {error: ., item: $s}`,
			body:   `{"sales": [{"id": "S-1"}, {"total": 5}, {"id": "S-3"}]}`,
			events: []string{"t/S-1", "t/S-3"},
			failed: []mappings.Failure{{Output: 1, Reason: "sale without an id", Item: json.RawMessage(`{"total":5}`)}},
		},
		{
			name:    "a jq runtime error caught for an item",
			program: `.[] as $x | try {type: "t", id: $x.a.b, data: {}} catch {error: ., item: $x}`,
			body:    `[{"a": {"b": "1"}}, {"a": [1]}]`,
			events:  []string{"t/1"},
			failed:  []mappings.Failure{{Output: 1, Reason: "expected an object but got: array ([1])", Item: json.RawMessage(`{"a":[1]}`)}},
		},
		{
			name:    "a reason that is not a string is kept as JSON",
			program: `{error: {code: 7}, item: [1]}`, body: `{}`,
			failed: []mappings.Failure{{Output: 0, Reason: `{"code":7}`, Item: json.RawMessage(`[1]`)}},
		},
		{
			name:    "a null reason says so",
			program: `. as $x | try error(null) catch {error: ., item: $x}`, body: `{"a": 1}`,
			failed: []mappings.Failure{{Output: 0, Reason: "the mapping failed the item without a reason", Item: json.RawMessage(`{"a":1}`)}},
		},
		{
			name:    "ignored parts are listed in order",
			program: `.changes[] | if .field == "messages" then {type: "t", id: .id, data: {}} else {ignored: .field} end`,
			body:    `{"changes": [{"field": "account_update"}, {"field": "messages", "id": "m1"}, {"field": "security"}, {"field": "account_update"}]}`,
			events:  []string{"t/m1"},
			ignored: []string{"account_update", "security", "account_update"},
		},
		{name: "failed item without item", program: `{error: "bad"}`, body: `{}`, errMsg: `output 0: field item: missing in a failed item`},
		{name: "failed item with another key", program: `{error: "bad", item: 1, id: "x"}`, body: `{}`, errMsg: `output 0: field "id": unknown in a failed item, want error and item`},
		{name: "ignored label not a string", program: `{ignored: 5}`, body: `{}`, errMsg: `output 0: field ignored: got a number 5, want a non-empty string`},
		{name: "ignored label empty", program: `{ignored: ""}`, body: `{}`, errMsg: `output 0: field ignored: got a string "", want a non-empty string`},
		{name: "ignored with another key", program: `{ignored: "x", type: "t"}`, body: `{}`, errMsg: `output 0: field "type": unknown beside ignored`},
		{name: "an uncaught error still fails the delivery", program: `{type: "t", id: "1", data: {}}, error("boom")`, body: `{}`, errMsg: `running mapping "custom": error: boom`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := mappings.Compile("custom", tt.program)
			require.NoError(t, err)
			res, err := p.Map(context.Background(), d, []byte(tt.body))
			if tt.errMsg != "" {
				require.Error(t, err)
				assert.True(t, fault.IsPermanent(err), "permanent")
				assert.Contains(t, err.Error(), tt.errMsg)
				assert.Nil(t, res)
				return
			}
			require.NoError(t, err)
			var ids []string
			for _, e := range res.Events {
				ids = append(ids, e.ID)
			}
			var want []string
			for _, id := range tt.events {
				want = append(want, event.ID("acme", "main_custom", id))
			}
			assert.Equal(t, want, ids)
			assert.Equal(t, tt.failed, res.Failed)
			assert.Equal(t, tt.ignored, res.Ignored)
		})
	}
}

// Run is all or nothing: a failed item fails the run with an *ItemError
// that names it, and Locate finds the error call that raised its reason.
func TestRunFailsOnFailedItems(t *testing.T) {
	src := "# batch\n.sales[] as $s\n| $s\n| try (if .id == null then\n    error(\"sale \\(.n) has no id\")\n  else {type: \"t\", id: .id, data: {}} end)\n  catch {error: ., item: $s}"
	p, err := mappings.Compile("batch", src)
	require.NoError(t, err)
	events, err := p.Run(context.Background(), delivery("custom"), []byte(`{"sales": [{"id": "S-1"}, {"n": 2}, {"n": 3}]}`))
	require.Error(t, err)
	assert.Nil(t, events)
	assert.True(t, fault.IsPermanent(err))
	assert.Equal(t, fault.ClassRequest, fault.ClassOf(err))
	var ie *mappings.ItemError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, 2, ie.Count)
	assert.Equal(t, "sale 2 has no id", ie.Failure.Reason)
	assert.JSONEq(t, `{"n": 2}`, string(ie.Failure.Item))
	assert.EqualError(t, err, `running mapping "batch": output 1: item failed: sale 2 has no id (and 1 more failed items)`)
	loc, ok := p.Locate(err)
	require.True(t, ok)
	assert.Equal(t, 5, loc.Line)
	assert.Equal(t, 5, loc.Column)
}

// countdownCtx is a context whose Done channel closes after a fixed number of
// calls, to stop a program deterministically in the middle of its run.
type countdownCtx struct {
	context.Context
	mu    sync.Mutex
	left  int
	done  chan struct{}
	fired bool
}

func newCountdownCtx(n int) *countdownCtx {
	return &countdownCtx{Context: context.Background(), left: n, done: make(chan struct{})}
}

func (c *countdownCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.left--; c.left <= 0 && !c.fired {
		c.fired = true
		close(c.done)
	}
	return c.done
}

func (c *countdownCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fired {
		return context.Canceled
	}
	return nil
}

func TestRunHonoursContext(t *testing.T) {
	tests := []struct {
		name string
		ctx  func() context.Context
	}{
		{name: "cancelled before the run", ctx: func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}},
		{name: "cancelled during a runaway program", ctx: func() context.Context { return newCountdownCtx(1000) }},
	}
	// An endless loop that never outputs anything.
	p, err := mappings.Compile("runaway", `def loop: loop; loop`)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := p.Run(tt.ctx(), delivery("custom"), []byte(`{}`))
			require.Error(t, err)
			assert.Nil(t, events)
			assert.ErrorIs(t, err, context.Canceled)
			assert.False(t, fault.IsPermanent(err), "a cancelled run is retried, not dead-lettered")
		})
	}
}

func TestRunConcurrent(t *testing.T) {
	p := mustBundled(t, "pos_webhook")
	body, err := os.ReadFile(filepath.Join("testdata", "pos_webhook", "batch.json"))
	require.NoError(t, err)
	want, err := p.Run(context.Background(), delivery("pos_webhook"), body)
	require.NoError(t, err)
	var wg sync.WaitGroup
	results := make([][]event.Event, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = p.Run(context.Background(), delivery("pos_webhook"), body)
		}()
	}
	wg.Wait()
	for i := range results {
		require.NoError(t, errs[i])
		assert.Equal(t, want, results[i])
	}
}

func FuzzRun(f *testing.F) {
	for _, name := range mappings.Names() {
		for _, in := range goldenInputs(f, name) {
			b, err := os.ReadFile(in)
			require.NoError(f, err)
			f.Add(b)
		}
	}
	programs := map[string]*mappings.Program{}
	for _, name := range mappings.Names() {
		programs[name] = mustBundled(f, name)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for name, p := range programs {
			res, err := p.Map(context.Background(), delivery(name), body)
			if err != nil {
				if !fault.IsPermanent(err) || fault.ClassOf(err) != fault.ClassRequest {
					t.Fatalf("%s: error is not a permanent request error: %v", name, err)
				}
				if res != nil {
					t.Fatalf("%s: outputs returned with an error", name)
				}
				continue
			}
			for i, f := range res.Failed {
				if f.Reason == "" || !json.Valid(f.Item) {
					t.Fatalf("%s: failure %d without a reason or a JSON item: %+v", name, i, f)
				}
			}
			for i, label := range res.Ignored {
				if label == "" {
					t.Fatalf("%s: ignored part %d without a label", name, i)
				}
			}
			events := res.Events
			for i, e := range events {
				if e.ID == "" || e.Type == "" || e.Tenant != "acme" || e.OccurredAt.IsZero() {
					t.Fatalf("%s: event %d incomplete: %+v", name, i, e)
				}
				var data map[string]any
				if err := json.Unmarshal(e.Data, &data); err != nil {
					t.Fatalf("%s: event %d data is not a JSON object: %v: %s", name, i, err, e.Data)
				}
				switch e.Type {
				case event.TypeOrderPaid:
					var op event.OrderPaid
					if err := json.Unmarshal(e.Data, &op); err != nil || op.OrderID == "" || op.Total == "" {
						t.Fatalf("%s: event %d is not an order.paid: %v: %s", name, i, err, e.Data)
					}
				case event.TypeMessageStatus:
					var ms event.MessageStatus
					if err := json.Unmarshal(e.Data, &ms); err != nil || ms.ProviderMessageID == "" || ms.Status == "" {
						t.Fatalf("%s: event %d is not a message.status: %v: %s", name, i, err, e.Data)
					}
				case event.TypeNumberQuality:
					var nq event.NumberQuality
					if err := json.Unmarshal(e.Data, &nq); err != nil {
						t.Fatalf("%s: event %d is not a number.quality: %v: %s", name, i, err, e.Data)
					}
				case event.TypeMessagingLimit:
					var ml event.MessagingLimit
					if err := json.Unmarshal(e.Data, &ml); err != nil || ml.MaxDailyConversations < -1 {
						t.Fatalf("%s: event %d is not a messaging.limit: %v: %s", name, i, err, e.Data)
					}
				case event.TypeMessageReceived:
					var mr event.MessageReceived
					if err := json.Unmarshal(e.Data, &mr); err != nil || mr.MessageID == "" || (mr.WAID == "" && mr.UserID == "") ||
						(mr.WAID != "" && mr.Phone != "+"+mr.WAID) {
						t.Fatalf("%s: event %d is not a message.received: %v: %s", name, i, err, e.Data)
					}
				case event.TypeIdentityChanged:
					var ic event.IdentityChanged
					if err := json.Unmarshal(e.Data, &ic); err != nil || ic.Kind == "" || ic.MessageID == "" {
						t.Fatalf("%s: event %d is not a contact.identity_changed: %v: %s", name, i, err, e.Data)
					}
				}
			}
		}
	})
}

func BenchmarkRunPOS(b *testing.B) {
	p := mustBundled(b, "pos_webhook")
	tests := []struct {
		name string
		file string
	}{
		{"single", "single_sale.json"},
		{"batch", "batch.json"},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			body, err := os.ReadFile(filepath.Join("testdata", "pos_webhook", tt.file))
			require.NoError(b, err)
			d := delivery("pos_webhook")
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Run(context.Background(), d, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRunCloudStatus maps a Cloud API webhook carrying one delivery
// report, the most frequent webhook a BSP sends (three per message).
func BenchmarkRunCloudStatus(b *testing.B) {
	p := mustBundled(b, "whatsapp_cloud")
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ2QzE3RjlCQzY1RTg4QjNBMQA=","status":"delivered","timestamp":"1795403060","recipient_id":"6281234567890","biz_opaque_callback_data":"msg_1","pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"utility"}}]},"field":"messages"}]}]}`)
	d := delivery("whatsapp_cloud")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Run(context.Background(), d, body); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleCompile() {
	p, err := mappings.Compile("sale", `{type: "order.paid", id: .sale_id, data: {order_id: .sale_id, total: (.total | tostring)}}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	d := event.Delivery{Tenant: "acme", Connector: "pos", ReceivedAt: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)}
	events, err := p.Run(context.Background(), d, []byte(`{"sale_id": "S-1001", "total": 257500.50}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range events {
		fmt.Println(e.Type, e.OccurredAt.Format(time.RFC3339), string(e.Data))
	}
	// Output: order.paid 2026-11-23T03:00:00Z {"order_id":"S-1001","total":"257500.5"}
}

func ExampleCompile_error() {
	_, err := mappings.Compile("custom", "{\n  type: \"t\",\n  id: .a |\n}")
	var ce *mappings.CompileError
	if errors.As(err, &ce) {
		fmt.Printf("line %d, column %d\n", ce.Line, ce.Column)
	}
	fmt.Println(err)
	// Output:
	// line 4, column 1
	// compiling mapping "custom": 4:1: unexpected token "}"
}

func ExampleProgram_Map() {
	p, err := mappings.Compile("batch", `.sales[] as $s
		| try ($s | {type: "order.paid", id: (.sale_id // error("sale_id is required")), data: {total: .total}})
		  catch {error: ., item: $s}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	d := event.Delivery{Tenant: "acme", Connector: "pos", ReceivedAt: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)}
	res, err := p.Map(context.Background(), d, []byte(`{"sales": [{"sale_id": "S-1", "total": "10"}, {"total": "20"}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range res.Events {
		fmt.Println("event:", e.Type, string(e.Data))
	}
	for _, f := range res.Failed {
		fmt.Println("failed:", f.Reason, string(f.Item))
	}
	// Output:
	// event: order.paid {"total":"10"}
	// failed: sale_id is required {"total":"20"}
}
