package process_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/process"
)

func TestAccountRef(t *testing.T) {
	order := func(data string) event.Event {
		return event.Event{ID: "ev_1", Type: event.TypeOrderPaid, Connector: "shop", Data: json.RawMessage(data)}
	}
	tests := []struct {
		name string
		ev   event.Event
		want store.AccountRef
	}{
		{
			name: "phone read with the address's country",
			ev:   order(`{"order_id": "A", "phone": "020 7946 0958", "phone_country": "GB", "customer_id": "42"}`),
			want: store.AccountRef{Phone: "+442079460958", OrderID: "A", Connector: "shop", CustomerID: "42", Create: true},
		},
		{
			name: "a customer's phone read with their address's country, their name cleaned",
			ev: event.Event{ID: "ev_3", Type: event.TypeCustomerUpserted, Connector: "crm",
				Data: json.RawMessage(`{"customer_id": "c-1", "phone": "07911 123456", "phone_country": "GB", "name": " Amelia\u200f\nClarke "}`)},
			want: store.AccountRef{Phone: "+447911123456", Name: "Amelia Clarke", Connector: "crm", CustomerID: "c-1", Create: true},
		},
		{
			name: "a profile is cleaned: trimmed, tags once, attributes of kinds kept",
			ev: order(`{"order_id": "A", "phone": "0812-3456-7890", "profile": {"source": "shopify", "city": " Jakarta ",
				"tags": ["vip", " vip", ""], "attributes": {"size": "M", "deep": {"x": 1}}}}`),
			want: store.AccountRef{Phone: "+6281234567890", OrderID: "A", Connector: "shop", Create: true,
				Profile: member.Profile{Source: "shopify", City: "Jakarta", Tags: []string{"vip"},
					Attributes: map[string]any{"size": "M"}}},
		},
		{
			name: "a profile that is not one is left out",
			ev:   order(`{"order_id": "A", "phone": "0812-3456-7890", "profile": "vip"}`),
			want: store.AccountRef{Phone: "+6281234567890", OrderID: "A", Connector: "shop", Create: true},
		},
		{
			name: "phone read with the tenant's region",
			ev:   order(`{"order_id": "A", "phone": "0812-3456-7890"}`),
			want: store.AccountRef{Phone: "+6281234567890", OrderID: "A", Connector: "shop", Create: true},
		},
		{
			name: "a country that does not fit the number falls back to the region",
			ev:   order(`{"order_id": "A", "phone": "0812-3456-7890", "phone_country": "US"}`),
			want: store.AccountRef{Phone: "+6281234567890", OrderID: "A", Connector: "shop", Create: true},
		},
		{
			name: "no phone: customer id (a number) and email",
			ev:   order(`{"order_id": "A", "phone": "", "customer_id": 115310627314723954, "email": " Jon@Example.com ", "name": "Jon"}`),
			want: store.AccountRef{OrderID: "A", Connector: "shop", CustomerID: "115310627314723954", Email: "Jon@Example.com",
				Name: "Jon", Create: true},
		},
		{
			name: "a phone that is no number beside an email is left out",
			ev:   order(`{"order_id": "A", "phone": "555-555-SHIP", "email": "jon@example.com"}`),
			want: store.AccountRef{OrderID: "A", Connector: "shop", Email: "jon@example.com", Create: true},
		},
		{
			name: "member id",
			ev:   order(`{"member_id": "mem_1", "phone": "not a phone"}`),
			want: store.AccountRef{MemberID: "mem_1", Connector: "shop", Create: true},
		},
		{
			name: "refund by order",
			ev:   event.Event{ID: "ev_2", Type: event.TypeOrderRefunded, Data: json.RawMessage(`{"order_id": "A", "email": "jon@example.com"}`)},
			want: store.AccountRef{OrderID: "A"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := process.AccountRef("ID", tt.ev)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestAccountRefRefuses(t *testing.T) {
	tests := []struct{ name, data string }{
		{"nothing names the member", `{"order_id": "A", "total": "10"}`},
		{"an email that is no address", `{"order_id": "A", "email": "n/a"}`},
		{"a phone that is no number alone", `{"order_id": "A", "phone": "555-555-SHIP"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := process.AccountRef("ID", event.Event{ID: "ev_1", Type: event.TypeOrderPaid, Data: json.RawMessage(tt.data)})
			require.Error(t, err)
		})
	}
	_, err := process.AccountRef("ID", event.Event{ID: "ev_1", Type: event.TypeOrderPaid, Data: json.RawMessage(`{"phone": "555-555-SHIP"}`)})
	assert.ErrorIs(t, err, member.ErrInvalidPhone, "a bad phone is a bad event")
}

// FuzzAccountRef reads any event data without failing, and a ref it
// returns names its member somehow: a member id, an order (refunds), a
// phone in E.164, or a customer id or email.
func FuzzAccountRef(f *testing.F) {
	for _, s := range []string{
		`{"order_id": "A", "phone": "020 7946 0958", "phone_country": "GB", "customer_id": 42}`,
		`{"order_id": "A", "phone": "555-555-SHIP", "email": "Jon@Example.com"}`,
		`{"member_id": "mem_1"}`, `{"customer_id": {"id": 1}}`, `[]`, `{"phone_country": "ZZ", "phone": "+1"}`,
	} {
		f.Add(event.TypeOrderPaid, s)
	}
	f.Add(event.TypeOrderRefunded, `{"order_id": "A"}`)
	f.Fuzz(func(t *testing.T, typ, data string) {
		ref, err := process.AccountRef("ID", event.Event{ID: "ev_f", Type: typ, Connector: "shop", Data: json.RawMessage(data)})
		if err != nil {
			return
		}
		if ref.MemberID == "" && ref.OrderID == "" && ref.Phone == "" && !ref.HasIdentities() {
			t.Fatalf("%s %s: a ref that names nobody: %+v", typ, data, ref)
		}
		if ref.Phone != "" && (ref.Phone[0] != '+' || len(ref.Phone) < 8) {
			t.Fatalf("%s %s: phone %q is not E.164", typ, data, ref.Phone)
		}
	})
}
