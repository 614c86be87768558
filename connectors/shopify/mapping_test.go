package shopify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/shopify"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/mappings"
)

// mapCase runs the bundled mapping over a case of
// mappings/testdata/shopify, with the topic and meta of its .delivery.json.
func mapCase(t *testing.T, name string) ([]event.Event, error) {
	t.Helper()
	src, ok := mappings.Bundled(shopify.Name)
	require.True(t, ok)
	p, err := mappings.Compile(shopify.Name, src)
	require.NoError(t, err)
	base := filepath.Join("..", "..", "mappings", "testdata", "shopify", name)
	body, err := os.ReadFile(base + ".json")
	require.NoError(t, err)
	d := event.Delivery{Tenant: "acme", Connector: "shop", Kind: shopify.Name, DeliveryID: "dlv-0001",
		ReceivedAt: time.Date(2026, 11, 23, 3, 0, 5, 0, time.UTC)}
	if b, err := os.ReadFile(base + ".delivery.json"); err == nil {
		var side struct {
			Topic string            `json:"topic"`
			Meta  map[string]string `json:"meta"`
		}
		require.NoError(t, json.Unmarshal(b, &side))
		d.Topic, d.Meta = side.Topic, side.Meta
	} else {
		require.True(t, errors.Is(err, os.ErrNotExist), err)
	}
	return p.Run(context.Background(), d, body)
}

// decodeStrict decodes an event's data into its typed struct, refusing
// fields the struct does not know.
func decodeStrict(t *testing.T, data []byte, into any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(into), "%s", data)
}

// Every event of every case decodes into the core/event type the later
// stages use.
func TestMappedDataDecodes(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("..", "..", "mappings", "testdata", "shopify", "*.json"))
	require.NoError(t, err)
	var cases int
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden.json") || strings.HasSuffix(in, ".delivery.json") {
			continue
		}
		cases++
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			events, err := mapCase(t, name)
			if strings.HasPrefix(name, "malformed_") {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			for _, e := range events {
				switch e.Type {
				case event.TypeOrderPaid, event.TypeOrderCreated:
					var v event.OrderPaid
					decodeStrict(t, e.Data, &v)
					assert.NotEmpty(t, v.OrderID)
					assert.Regexp(t, `^[0-9]+\.[0-9]{2}$`, v.Total)
				case event.TypeOrderRefunded, event.TypeOrderCancelled:
					var v event.OrderRefunded
					decodeStrict(t, e.Data, &v)
					assert.NotEmpty(t, v.OrderID)
				case event.TypeCustomerUpserted:
					var v event.CustomerUpserted
					decodeStrict(t, e.Data, &v)
					assert.NotEmpty(t, v.CustomerID)
				case event.TypeConsentChanged:
					var v event.ConsentChanged
					decodeStrict(t, e.Data, &v)
					assert.Equal(t, event.ConsentSMSMarketing, v.Category)
					assert.Contains(t, []string{"stop", "resume"}, v.Value)
					assert.False(t, v.Timestamp.IsZero())
				case event.TypeCheckoutUpdated:
					var v event.CheckoutUpdated
					decodeStrict(t, e.Data, &v)
					assert.NotEmpty(t, v.Token)
				case event.TypePrivacyRedact, event.TypePrivacyRequest, event.TypeShopRedact:
					var v event.PrivacyRequest
					decodeStrict(t, e.Data, &v)
					assert.NotEmpty(t, v.ShopDomain)
				default:
					t.Errorf("unexpected event type %q", e.Type)
				}
			}
		})
	}
	assert.Greater(t, cases, 30)
}

func TestMappedValues(t *testing.T) {
	t.Run("the documented order keeps its 18-digit ids", func(t *testing.T) {
		events, err := mapCase(t, "orders_paid_docs_sample")
		require.NoError(t, err)
		require.Len(t, events, 1)
		var v event.OrderPaid
		require.NoError(t, json.Unmarshal(events[0].Data, &v))
		assert.Equal(t, "820982911946154508", v.OrderID)
		assert.Equal(t, "115310627314723954", v.CustomerID)
		assert.Equal(t, "398.00", v.Total)
		assert.Equal(t, "555-555-SHIP", v.Phone, "billing address phone, the customer has none")
		assert.Equal(t, event.ID("acme", "shop", "order.paid/820982911946154508"), events[0].ID)
	})

	t.Run("test orders earn nothing by default", func(t *testing.T) {
		events, err := mapCase(t, "orders_paid_test_order")
		require.NoError(t, err)
		assert.Empty(t, events)
	})

	t.Run("line totals net of their discounts", func(t *testing.T) {
		events, err := mapCase(t, "orders_paid_gift_card_and_codes")
		require.NoError(t, err)
		require.Len(t, events, 1)
		var v event.OrderPaid
		require.NoError(t, json.Unmarshal(events[0].Data, &v))
		assert.Equal(t, []string{"LH-7Q2MZK4D9X", "WELCOME5"}, v.DiscountCodes)
		require.Len(t, v.Items, 2)
		assert.Equal(t, event.OrderItem{SKU: "BEANS-250", Name: "Arabica Gayo 250 g", Quantity: "2", Price: "110000.00", Total: "195250.00"}, v.Items[0])
		assert.Equal(t, event.OrderItem{Name: "Gift card", Category: "gift-card", Quantity: "1", Price: "100000.00", Total: "94750.00"}, v.Items[1])
	})

	refunds := []struct {
		name, amount, currency string
	}{
		{"refunds_create_line_items", "109.98", "USD"},
		{"refunds_create_numeric_subtotals", "99.9", "USD"},
		{"refunds_create_money_only", "15000.00", "IDR"},
	}
	for _, tt := range refunds {
		t.Run(tt.name, func(t *testing.T) {
			events, err := mapCase(t, tt.name)
			require.NoError(t, err)
			require.Len(t, events, 1)
			var v event.OrderRefunded
			require.NoError(t, json.Unmarshal(events[0].Data, &v))
			assert.Equal(t, tt.amount, v.Amount)
			assert.Equal(t, tt.currency, v.Currency)
		})
	}

	t.Run("a restock without money yields nothing", func(t *testing.T) {
		events, err := mapCase(t, "refunds_create_restock_only")
		require.NoError(t, err)
		assert.Empty(t, events)
	})
}
