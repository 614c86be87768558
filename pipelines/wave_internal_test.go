package pipelines

import (
	"fmt"
	"testing"

	"github.com/loyalhub/loyalhub/core/event"
)

func saleEvent(order, phone string) event.Event {
	return event.Event{Type: event.TypeOrderPaid, Data: fmt.Appendf(nil, `{"order_id":%q,"phone":%q,"total":"1"}`, order, phone)}
}

func TestWaveLen(t *testing.T) {
	refund := event.Event{Type: event.TypeOrderRefunded, Data: []byte(`{"order_id":"O-1"}`)}
	consent := event.Event{Type: event.TypeConsentChanged, Data: []byte(`{"phone":"+6281200000009"}`)}
	byCustomer := func(id string) event.Event {
		return event.Event{Type: event.TypeOrderPaid, Data: fmt.Appendf(nil, `{"order_id":"X-%s","customer_id":%s}`, id, id)}
	}
	for _, tt := range []struct {
		name   string
		events []event.Event
		limit  int
		want   int
	}{
		{"different customers run together", []event.Event{saleEvent("O-1", "081200000001"), saleEvent("O-2", "081200000002"), saleEvent("O-3", "081200000003")}, 10, 3},
		{"up to the limit", []event.Event{saleEvent("O-1", "081200000001"), saleEvent("O-2", "081200000002"), saleEvent("O-3", "081200000003")}, 2, 2},
		{"a refund waits for its sale", []event.Event{saleEvent("O-1", "081200000001"), saleEvent("O-2", "081200000002"), refund}, 10, 2},
		{"one customer's second sale waits, however the phone is written", []event.Event{saleEvent("O-1", "081200000001"), saleEvent("O-2", "+62 812-0000-0001")}, 10, 1},
		{"customer ids written as numbers", []event.Event{byCustomer("7"), byCustomer("8"), byCustomer("7")}, 10, 2},
		{"a consent change runs alone", []event.Event{consent, saleEvent("O-1", "081200000001")}, 10, 1},
		{"and ends the wave before it", []event.Event{saleEvent("O-1", "081200000001"), consent}, 10, 1},
		{"undecodable data runs alone", []event.Event{{Type: event.TypeOrderPaid, Data: []byte(`[`)}, saleEvent("O-1", "081200000001")}, 10, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := waveLen(tt.events, tt.limit); got != tt.want {
				t.Fatalf("waveLen = %d, want %d", got, tt.want)
			}
		})
	}
}
