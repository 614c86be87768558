package loyalty

import (
	"testing"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
)

// BenchmarkApplyOrder measures the rule evaluation of one sale: a
// spend rule with an exclusion and a multiplier over three lines, an expr
// condition and a scheduled fixed bonus with a daily cap.
func BenchmarkApplyOrder(b *testing.B) {
	p := compileProgram(b, config.Loyalty{Rules: []config.EarnRule{
		{Name: "spend", On: event.TypeOrderPaid, Spend: &config.Spend{
			Unit: "10000", Points: 1, ExcludeCategories: []string{"gift-card"},
			Multipliers: []config.Multiplier{{Categories: []string{"coffee-beans"}, Factor: "2"}},
		}},
		{Name: "breakfast", On: event.TypeOrderPaid, When: `event.store_id != "TEST"`, Points: "5",
			Schedule: config.Schedule{Hours: "06:00-11:00"}, Caps: config.Caps{PerMemberDay: 20}},
	}})
	ev := paidEvent(b, "ev_1", t0, order("o1", "257500",
		event.OrderItem{SKU: "KOPI", Category: "coffee", Quantity: "2", Price: "32500"},
		event.OrderItem{SKU: "BEANS", Category: "coffee-beans", Quantity: "1", Price: "164000"},
		event.OrderItem{SKU: "GIFT", Category: "gift-card", Total: "28500"}))
	b.ReportAllocs()
	for b.Loop() {
		a := newAccount()
		if err := p.Apply(a, ev); err != nil {
			b.Fatal(err)
		}
	}
}
