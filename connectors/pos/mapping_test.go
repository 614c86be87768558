package pos_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/pos"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/mappings"
)

func bundledProgram(t *testing.T, name string) *mappings.Program {
	t.Helper()
	src, ok := mappings.Bundled(name)
	require.True(t, ok, "bundled mapping %q", name)
	p, err := mappings.Compile(name, src)
	require.NoError(t, err)
	return p
}

func runMapping(t *testing.T, p *mappings.Program, d connectors.Delivery, body []byte) ([]event.Event, error) {
	t.Helper()
	return p.Run(context.Background(), event.Delivery{
		Tenant: "acme", Connector: "pos", Kind: pos.Name, DeliveryID: d.ID, Topic: d.Topic, Meta: d.Meta,
		ReceivedAt: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC),
	}, body)
}

// Square amounts are integers in the currency's minor unit; the mapping
// turns them into exact decimals in the major unit.
func TestSquareAmounts(t *testing.T) {
	p := bundledProgram(t, "square")
	tests := []struct {
		amount   string
		currency string
		want     string
	}{
		{"100", "USD", "1.00"},
		{"5", "USD", "0.05"},
		{"0", "USD", "0.00"},
		{"1450", "AUD", "14.50"},
		{"25750000", "IDR", "257500.00"},
		{"1500", "JPY", "1500"},
		{"0", "KRW", "0"},
		{"50000", "VND", "50000"},
		{"2500", "CLP", "2500"},
		{"990", "ISK", "990"},
		{"15000", "UGX", "15000"},
		{"1200", "XAF", "1200"},
		{"1200", "XOF", "1200"},
		{"1500", "KWD", "1.500"},
		{"5", "BHD", "0.005"},
		{"12345", "OMR", "12.345"},
		{"7", "JOD", "0.007"},
		{"1000", "TND", "1.000"},
		{"12345", "CLF", "1.2345"},
		{"12345678901234567890123", "USD", "123456789012345678901.23"},
	}
	for _, tt := range tests {
		t.Run(tt.amount+" "+tt.currency, func(t *testing.T) {
			body := fmt.Sprintf(`{"type":"payment.updated","data":{"object":{"payment":{"id":"p1","status":"COMPLETED",`+
				`"amount_money":{"amount":%s,"currency":%q}}}}}`, tt.amount, tt.currency)
			events, err := runMapping(t, p, connectors.Delivery{ID: "d"}, []byte(body))
			require.NoError(t, err)
			require.Len(t, events, 1)
			var op event.OrderPaid
			require.NoError(t, json.Unmarshal(events[0].Data, &op))
			assert.Equal(t, tt.want, op.Total)
			assert.Equal(t, tt.currency, op.Currency)
		})
	}

	t.Run("total_money wins over amount_money", func(t *testing.T) {
		body := `{"type":"payment.created","data":{"object":{"payment":{"id":"p1","status":"COMPLETED",` +
			`"amount_money":{"amount":1250,"currency":"AUD"},"tip_money":{"amount":200,"currency":"AUD"},` +
			`"total_money":{"amount":1450,"currency":"AUD"}}}}}`
		events, err := runMapping(t, p, connectors.Delivery{ID: "d"}, []byte(body))
		require.NoError(t, err)
		require.Len(t, events, 1)
		assert.JSONEq(t, `{"order_id":"p1","phone":"","total":"14.50","currency":"AUD"}`, string(events[0].Data))
	})

	for _, bad := range []string{`12.5`, `"1250"`, `1e-2`, `null`} {
		t.Run("amount "+bad+" is an error", func(t *testing.T) {
			body := `{"type":"payment.updated","data":{"object":{"payment":{"id":"p1","status":"COMPLETED",` +
				`"amount_money":{"amount":` + bad + `,"currency":"USD"}}}}}`
			_, err := runMapping(t, p, connectors.Delivery{ID: "d"}, []byte(body))
			require.ErrorContains(t, err, "amount_money.amount must be an integer in minor units")
		})
	}
}

// A notification accepted by the square preset, enriched by the lookup and
// mapped by the preset's mapping yields a sale with the customer's phone.
func TestSquareEndToEnd(t *testing.T) {
	api, srv := newCustomerAPI(t, true)
	api.bodies["JDKYHBWT1D4F8MFH63DBMEN8Y4"] = squareCustomer
	cfg := squareLookupConfig(srv.URL)
	src, err := pos.Spec().Build(cfg, connectors.Deps{Tenant: "acme", Name: "square"})
	require.NoError(t, err)

	body := squarePayment("COMPLETED", "JDKYHBWT1D4F8MFH63DBMEN8Y4")
	r := httptest.NewRequest(http.MethodPost, "/hooks/acme/square", strings.NewReader(string(body)))
	signSquare(r, body)
	d, err := src.Source.Accept(r, body)
	require.NoError(t, err)
	assert.Equal(t, "2f3b7c1e-8d4a-4b1f-9e62-5c0d7a9e3b41", d.ID)

	enriched, err := src.Enricher.Enrich(context.Background(), d, body)
	require.NoError(t, err)
	events, err := runMapping(t, bundledProgram(t, pos.Spec().MappingOf(cfg)), d, enriched)
	require.NoError(t, err)
	require.Len(t, events, 1)
	assert.Equal(t, event.TypeOrderPaid, events[0].Type)
	assert.Equal(t, event.ID("acme", "pos", "order.paid/bP9mAsEMYPUGjjGNaNO5ZDVyLhSZY"), events[0].ID)
	var op event.OrderPaid
	require.NoError(t, json.Unmarshal(events[0].Data, &op))
	assert.Equal(t, event.OrderPaid{
		OrderID: "bP9mAsEMYPUGjjGNaNO5ZDVyLhSZY", Phone: "0412 345 678", Email: "mia.nguyen@example.com",
		Name: "Mia Nguyen", Total: "14.50", Currency: "AUD", StoreID: "LH2XR7AMG5KN8", CustomerID: "JDKYHBWT1D4F8MFH63DBMEN8Y4",
	}, op)
	var where struct {
		PhoneCountry string `json:"phone_country"`
	}
	require.NoError(t, json.Unmarshal(events[0].Data, &where))
	assert.Equal(t, "AU", where.PhoneCountry, "the phone is read with the country of the customer's address")

	t.Run("without the lookup the sale has no phone", func(t *testing.T) {
		events, err := runMapping(t, bundledProgram(t, "square"), d, body)
		require.NoError(t, err)
		require.Len(t, events, 1)
		var op event.OrderPaid
		require.NoError(t, json.Unmarshal(events[0].Data, &op))
		assert.Empty(t, op.Phone)
		assert.Equal(t, "JDKYHBWT1D4F8MFH63DBMEN8Y4", op.CustomerID)
	})

	t.Run("a refund names the payment of the sale", func(t *testing.T) {
		refund, err := os.ReadFile("../../mappings/testdata/square/refund_updated_completed.json")
		require.NoError(t, err)
		events, err := runMapping(t, bundledProgram(t, "square"), d, refund)
		require.NoError(t, err)
		require.Len(t, events, 1)
		var r event.OrderRefunded
		require.NoError(t, json.Unmarshal(events[0].Data, &r))
		assert.Equal(t, op.OrderID, r.OrderID)
		assert.Equal(t, "5.00", r.Amount)
	})
}

func TestLoyverseEndToEnd(t *testing.T) {
	api, srv := newCustomerAPI(t, false)
	api.bodies["e3b6a7c1-52d4-4f0e-9a8b-1c2d3e4f5a6b"] = `{"id":"e3b6a7c1-52d4-4f0e-9a8b-1c2d3e4f5a6b","name":"Ploy Srisuk",` +
		`"email":"ploy@example.co.th","phone_number":"+66 89 765 4321","customer_code":"C-0042"}`
	cfg := loyverseLookupConfig(srv.URL)
	src, err := pos.Spec().Build(cfg, connectors.Deps{Tenant: "acme", Name: "loyverse"})
	require.NoError(t, err)

	r := httptest.NewRequest(http.MethodPost, "/hooks/acme/loyverse", strings.NewReader(string(loyverseBody)))
	signLoyverse(r, loyverseBody)
	d, err := src.Source.Accept(r, loyverseBody)
	require.NoError(t, err)
	enriched, err := src.Enricher.Enrich(context.Background(), d, loyverseBody)
	require.NoError(t, err)
	events, err := runMapping(t, bundledProgram(t, pos.Spec().MappingOf(cfg)), d, enriched)
	require.NoError(t, err)
	require.Len(t, events, 1)
	var op event.OrderPaid
	require.NoError(t, json.Unmarshal(events[0].Data, &op))
	assert.Equal(t, event.OrderPaid{
		OrderID: "2-7340", Phone: "+66 89 765 4321", Email: "ploy@example.co.th", Name: "Ploy Srisuk", Total: "185",
		StoreID: "6b365a0c-a2a8-4774-8904-06cedede22e6", CustomerID: "e3b6a7c1-52d4-4f0e-9a8b-1c2d3e4f5a6b",
	}, op)
}

var jsonBlock = regexp.MustCompile("(?s)```json\n(.*?)```")

// The plain sale format's examples in the reference map without error.
func TestDocumentedSalesMap(t *testing.T) {
	doc, err := os.ReadFile("../../docs/connectors/pos_webhook.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(doc), "\n## The plain sale format\n")
	require.True(t, ok)
	blocks := jsonBlock.FindAllStringSubmatch(section, -1)
	require.Len(t, blocks, 2)
	p := bundledProgram(t, "pos_webhook")
	var types []string
	for _, b := range blocks {
		events, err := runMapping(t, p, connectors.Delivery{ID: "doc"}, []byte(b[1]))
		require.NoError(t, err, "%s", b[1])
		for _, e := range events {
			types = append(types, e.Type)
		}
	}
	assert.Equal(t, []string{"order.paid", "order.paid", "order.refunded", "order.cancelled"}, types)
}
