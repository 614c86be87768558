package shopify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
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
	return mapCaseWith(t, name, nil)
}

// mapCaseWith is mapCase with the delivery changed by edit first.
func mapCaseWith(t *testing.T, name string, edit func(d *event.Delivery)) ([]event.Event, error) {
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
	if edit != nil {
		edit(&d)
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

// contact is what order and customer events carry besides their
// core/event type's fields: the country of the address the phone came from
// (ISO 3166 alpha-2). event.CheckoutUpdated has it.
type contact struct {
	PhoneCountry string `json:"phone_country,omitempty"`
}

// checkContact asserts that a phone country comes only with a phone, as
// two upper-case letters.
func checkContact(t *testing.T, phone string, c contact) {
	t.Helper()
	if c.PhoneCountry != "" {
		assert.Regexp(t, `^[A-Z]{2}$`, c.PhoneCountry)
		assert.NotEmpty(t, phone, "a phone country without a phone")
	}
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
					var v struct {
						event.OrderPaid
						contact
					}
					decodeStrict(t, e.Data, &v)
					assert.NotEmpty(t, v.OrderID)
					assert.Regexp(t, `^[0-9]+\.[0-9]{2}$`, v.Total)
					checkContact(t, v.Phone, v.contact)
				case event.TypeOrderRefunded, event.TypeOrderCancelled:
					var v event.OrderRefunded
					decodeStrict(t, e.Data, &v)
					assert.NotEmpty(t, v.OrderID)
				case event.TypeCustomerUpserted:
					var v struct {
						event.CustomerUpserted
						contact
					}
					decodeStrict(t, e.Data, &v)
					assert.NotEmpty(t, v.CustomerID)
					checkContact(t, v.Phone, v.contact)
				case event.TypeConsentChanged:
					var v event.ConsentChanged
					decodeStrict(t, e.Data, &v)
					assert.Equal(t, event.ConsentSMSMarketing, v.Category)
					assert.Contains(t, []string{"stop", "resume"}, v.Value)
					assert.False(t, v.Timestamp.IsZero())
				case event.TypeCheckoutUpdated:
					var v struct {
						event.CheckoutUpdated
						CustomerID string `json:"customer_id"`
					}
					decodeStrict(t, e.Data, &v)
					assert.NotEmpty(t, v.Token)
					checkContact(t, v.Phone, contact{PhoneCountry: v.PhoneCountry})
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

// What a commerce event says about the customer: the phone with the
// country of the address it came from, and the customer id and email
// whether or not there is a phone.
func TestMappedContact(t *testing.T) {
	tests := []struct {
		name string
		// want holds the data fields checked; "" means absent.
		want map[string]string
		// e164 is the phone read with its phone_country, when it has one.
		e164 string
	}{
		{
			name: "orders_paid_uk_billing_phone",
			want: map[string]string{"phone": "07700 900123", "phone_country": "GB", "email": "Amelia.Clarke@Example.co.uk", "customer_id": ""},
			e164: "+447700900123",
		},
		{
			name: "orders_paid_guest_billing_phone",
			want: map[string]string{"phone": "0812-9876-5432", "phone_country": "ID", "email": "dewi.guest@example.com"},
			e164: "+6281298765432",
		},
		{
			name: "orders_paid_docs_sample",
			want: map[string]string{"phone": "555-555-SHIP", "phone_country": "US", "customer_id": "115310627314723954"},
		},
		{
			name: "orders_paid_pos",
			want: map[string]string{"phone": "+6281234567890", "phone_country": "ID", "customer_id": "7650019836002"},
			e164: "+6281234567890",
		},
		{
			name: "orders_paid_customer_without_phone",
			want: map[string]string{"phone": "", "phone_country": "", "customer_id": "7650019836119", "email": "budi.santoso@example.com"},
		},
		{
			name: "customers_create_without_phone",
			want: map[string]string{"phone": "", "phone_country": "", "customer_id": "7650019836127", "email": "Nia.Rahma@Example.com"},
		},
		{
			name: "customers_update_gb_address_phone",
			want: map[string]string{"phone": "07700 900456", "phone_country": "GB", "customer_id": "7650019836135"},
			e164: "+447700900456",
		},
		{
			name: "customers_update",
			want: map[string]string{"phone": "+6281234567890", "phone_country": "", "email": "sari@example.com"},
		},
		{
			name: "checkouts_create_gb_guest_phone",
			want: map[string]string{"phone": "07700 900789", "phone_country": "GB", "email": "harry.evans@example.co.uk"},
			e164: "+447700900789",
		},
		{
			name: "checkouts_update_sms_phone",
			want: map[string]string{"phone": "+6281311112222", "phone_country": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := mapCase(t, tt.name)
			require.NoError(t, err)
			require.Len(t, events, 1)
			var data map[string]any
			require.NoError(t, json.Unmarshal(events[0].Data, &data))
			for k, want := range tt.want {
				got, _ := data[k].(string)
				assert.Equal(t, want, got, k)
			}
			if tt.e164 != "" {
				// The tenant's region is Indonesia: only the address's
				// country reads a UK number right. (07700 900xxx is
				// Ofcom's range for drama, so parsed, not validated.)
				n, err := phonenumbers.Parse(tt.want["phone"], tt.want["phone_country"])
				require.NoError(t, err)
				assert.Equal(t, tt.e164, phonenumbers.Format(n, phonenumbers.E164))
			}
		})
	}
}

// A test order counts nowhere unless the connector says test orders
// count: not its payment, not its cancellation, not its refunds.
func TestTestOrderRule(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"paid", "orders_paid_test_order", event.TypeOrderPaid},
		{"created", "orders_create_test_order_included", event.TypeOrderCreated},
		{"updated while paid", "orders_paid_docs_sample", event.TypeOrderPaid},
		{"cancelled", "orders_cancelled_test_order", event.TypeOrderCancelled},
		{"refunded", "refunds_create_test_order", event.TypeOrderRefunded},
	}
	for _, tt := range tests {
		for _, include := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/include_test_orders=%t", tt.name, include), func(t *testing.T) {
				events, err := mapCaseWith(t, tt.file, func(d *event.Delivery) {
					if tt.name == "updated while paid" {
						d.Topic = "orders/updated"
					}
					d.Meta = map[string]string{shopify.MetaIncludeTestOrders: strconv.FormatBool(include)}
				})
				require.NoError(t, err)
				if !include {
					assert.Empty(t, events)
					return
				}
				require.Len(t, events, 1)
				assert.Equal(t, tt.want, events[0].Type)
			})
		}
	}

	t.Run("a real order's cancellation and refund count", func(t *testing.T) {
		for _, name := range []string{"orders_cancelled_customer", "refunds_create_money_only"} {
			events, err := mapCase(t, name)
			require.NoError(t, err)
			assert.Len(t, events, 1, name)
		}
	})
}

// orders/updated stands in for a missed orders/paid: same event, so the
// order earns once whichever arrives; an unpaid order yields nothing.
func TestOrdersUpdated(t *testing.T) {
	updated, err := mapCase(t, "orders_updated_paid")
	require.NoError(t, err)
	require.Len(t, updated, 1)
	paid, err := mapCase(t, "orders_paid_guest_billing_phone")
	require.NoError(t, err)
	require.Len(t, paid, 1)
	assert.Equal(t, paid[0].ID, updated[0].ID)
	assert.Equal(t, event.TypeOrderPaid, updated[0].Type)

	pending, err := mapCase(t, "orders_updated_pending")
	require.NoError(t, err)
	assert.Empty(t, pending)
}

// Privacy requests carry the customer's id, email and phone as Shopify
// sends them; any one of them is enough.
func TestPrivacyRequests(t *testing.T) {
	tests := []struct {
		name string
		typ  string
		want event.PrivacyRequest
	}{
		{"customers_redact", event.TypePrivacyRedact, event.PrivacyRequest{
			ShopDomain: "jsmith.myshopify.com", CustomerID: "191167", Email: "john@example.com", Phone: "555-625-1199",
			Orders: []string{"299938", "280263", "220458"}}},
		{"customers_redact_email_only", event.TypePrivacyRedact, event.PrivacyRequest{
			ShopDomain: "kopi-nusantara.myshopify.com", Email: "Nia.Rahma@Example.com"}},
		{"customers_data_request", event.TypePrivacyRequest, event.PrivacyRequest{
			ShopDomain: "jsmith.myshopify.com", CustomerID: "191167", Email: "john@example.com", Phone: "555-625-1199",
			Orders: []string{"299938", "280263", "220458"}, RequestID: "9999"}},
		{"customers_data_request_id_only", event.TypePrivacyRequest, event.PrivacyRequest{
			ShopDomain: "kopi-nusantara.myshopify.com", CustomerID: "7650019836119",
			Orders: []string{"6104338591829"}, RequestID: "10011"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := mapCase(t, tt.name)
			require.NoError(t, err)
			require.Len(t, events, 1)
			assert.Equal(t, tt.typ, events[0].Type)
			var got event.PrivacyRequest
			decodeStrict(t, events[0].Data, &got)
			assert.Equal(t, tt.want, got)
		})
	}

	t.Run("a request naming no one is refused", func(t *testing.T) {
		_, err := mapCase(t, "malformed_redact_no_customer")
		assert.ErrorContains(t, err, "customer with an id, email or phone is required")
	})
}
