package loyalty

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
)

// t0 is a Tuesday morning in Jakarta.
var t0 = local(2026, 3, 10, 10, 0)

func TestSpendRounding(t *testing.T) {
	tests := []struct {
		total             string
		floor, half, ceil int64
	}{
		{"257500.00", 128, 129, 129}, // 128.75
		{"251000", 125, 126, 126},    // exactly 125.5
		{"250000", 125, 125, 125},
		{"249999", 124, 125, 125}, // 124.9995
		{"1999", 0, 1, 1},         // 0.9995
		{"999", 0, 0, 1},          // 0.4995
		{"0", 0, 0, 0},
	}
	for _, tt := range tests {
		for _, mode := range []struct {
			rounding string
			want     int64
		}{{config.RoundFloor, tt.floor}, {config.RoundHalfUp, tt.half}, {config.RoundCeil, tt.ceil}} {
			t.Run(tt.total+" "+mode.rounding, func(t *testing.T) {
				r := perSpend("spend", 5, "10000")
				r.Spend.Rounding = mode.rounding
				p := compileProgram(t, config.Loyalty{Currency: "IDR", Rules: []config.EarnRule{r}})
				a := newAccount()
				require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", tt.total))))
				require.NoError(t, a.Check(false))
				assert.Equal(t, mode.want, a.Member.Balance)
				if mode.want == 0 {
					assert.Empty(t, a.Lots, "no lot for 0 points")
					assert.Empty(t, a.Outcomes(), "no outcome for 0 points")
					return
				}
				require.Len(t, a.Lots, 1)
				assert.Equal(t, mode.want, a.Lots[0].Points)
			})
		}
	}
}

func TestSpendMinOrder(t *testing.T) {
	r := perSpend("spend", 1, "1000")
	r.Spend.MinOrder = "50000"
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{r}})
	tests := []struct {
		total string
		want  int64
	}{
		{"49999.99", 0},
		{"50000", 50},
		{"50000.00", 50},
		{"120000", 120},
	}
	for _, tt := range tests {
		t.Run(tt.total, func(t *testing.T) {
			a := newAccount()
			require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", tt.total))))
			assert.Equal(t, tt.want, a.Member.Balance)
			require.NotNil(t, a.Order, "the order is kept even when it earns nothing")
			assert.True(t, a.NewOrder)
		})
	}
}

func TestSpendItems(t *testing.T) {
	item := func(sku, cat, total string) event.OrderItem {
		return event.OrderItem{SKU: sku, Category: cat, Total: total}
	}
	tests := []struct {
		name  string
		spend config.Spend
		total string
		items []event.OrderItem
		want  int64
		why   string
	}{
		{
			name:  "no items",
			total: "100000",
			want:  100,
		},
		{
			name:  "excluded sku ignores case",
			spend: config.Spend{ExcludeSKUs: []string{"GIFT-CARD"}},
			total: "250000",
			items: []event.OrderItem{item("gift-card", "", "100000"), item("A1", "", "150000")},
			want:  150,
			why:   "excluded gift-card",
		},
		{
			name:  "excluded category ignores case",
			spend: config.Spend{ExcludeCategories: []string{"Tobacco"}},
			total: "120000",
			items: []event.OrderItem{item("cig", "TOBACCO", "50000"), item("rice", "food", "70000")},
			want:  70,
		},
		{
			name:  "excluded lines above the total leave nothing",
			spend: config.Spend{ExcludeSKUs: []string{"gift-card"}},
			total: "10000",
			items: []event.OrderItem{item("GIFT-CARD", "", "50000")},
			want:  0,
		},
		{
			name: "multipliers by sku and category",
			spend: config.Spend{Multipliers: []config.Multiplier{
				{SKUs: []string{"COFFEE"}, Factor: "2"},
				{Categories: []string{"bakery"}, Factor: "1.5"},
			}},
			total: "60000",
			items: []event.OrderItem{item("coffee", "drinks", "30000"), item("bread", "Bakery", "20000"), item("water", "drinks", "10000")},
			want:  100, // 60 + 30 extra for coffee + 10 extra for bread
			why:   "2 line(s) multiplied",
		},
		{
			name: "the first matching multiplier wins",
			spend: config.Spend{Multipliers: []config.Multiplier{
				{SKUs: []string{"coffee"}, Factor: "2"},
				{Categories: []string{"drinks"}, Factor: "3"},
			}},
			total: "10000",
			items: []event.OrderItem{item("coffee", "drinks", "10000")},
			want:  20,
		},
		{
			name:  "an order-level discount scales multiplied lines",
			spend: config.Spend{Multipliers: []config.Multiplier{{SKUs: []string{"coffee"}, Factor: "2"}}},
			total: "80000",
			items: []event.OrderItem{item("coffee", "", "50000"), item("tea", "", "50000")},
			want:  120, // 80 + 50 × 0.8
		},
		{
			name: "a discount with an excluded line",
			spend: config.Spend{
				ExcludeSKUs: []string{"gift"}, Multipliers: []config.Multiplier{{SKUs: []string{"coffee"}, Factor: "2"}},
			},
			total: "100000",
			items: []event.OrderItem{item("gift", "", "20000"), item("coffee", "", "50000"), item("tea", "", "50000")},
			want:  120, // spend 80000 over included lines of 100000
		},
		{
			name:  "lines below the total are not scaled up",
			spend: config.Spend{Multipliers: []config.Multiplier{{SKUs: []string{"coffee"}, Factor: "2"}}},
			total: "15000",
			items: []event.OrderItem{item("coffee", "", "10000")},
			want:  25,
		},
		{
			name:  "item total wins over quantity times price",
			spend: config.Spend{Multipliers: []config.Multiplier{{SKUs: []string{"coffee"}, Factor: "2"}}},
			total: "25000",
			items: []event.OrderItem{{SKU: "coffee", Quantity: "3", Price: "10000", Total: "25000"}},
			want:  50,
		},
		{
			name:  "quantity times price without a total",
			spend: config.Spend{Multipliers: []config.Multiplier{{SKUs: []string{"coffee"}, Factor: "2"}}},
			total: "30000",
			items: []event.OrderItem{{SKU: "coffee", Quantity: "2", Price: "15000.00"}},
			want:  60,
		},
		{
			name:  "price alone is one unit",
			spend: config.Spend{Multipliers: []config.Multiplier{{SKUs: []string{"coffee"}, Factor: "2"}}},
			total: "15000",
			items: []event.OrderItem{{SKU: "coffee", Price: "15000"}},
			want:  30,
		},
		{
			name:  "a line without amounts counts as nothing",
			spend: config.Spend{Multipliers: []config.Multiplier{{SKUs: []string{"coffee"}, Factor: "2"}}},
			total: "15000",
			items: []event.OrderItem{{SKU: "coffee", Quantity: "2"}},
			want:  15,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.spend
			s.Unit, s.Points = "1000", 1
			p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{{Name: "spend", On: event.TypeOrderPaid, Spend: &s}}})
			a := newAccount()
			require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", tt.total, tt.items...))))
			require.NoError(t, a.Check(false))
			assert.Equal(t, tt.want, a.Member.Balance)
			if tt.why != "" {
				require.NotEmpty(t, a.Entries())
				assert.Contains(t, a.Entries()[0].Reason, tt.why)
			}
		})
	}
}

func TestBadOrderEvents(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{perSpend("spend", 1, "1000")}})
	tests := []struct {
		name string
		ev   func(t *testing.T) event.Event
	}{
		{"item total with a thousands separator", func(t *testing.T) event.Event {
			return paidEvent(t, "ev_1", t0, order("o1", "1000", event.OrderItem{SKU: "a", Total: "1,000"}))
		}},
		{"item price is not a number", func(t *testing.T) event.Event {
			return paidEvent(t, "ev_1", t0, order("o1", "1000", event.OrderItem{SKU: "a", Price: "abc"}))
		}},
		{"item quantity with an exponent", func(t *testing.T) event.Event {
			return paidEvent(t, "ev_1", t0, order("o1", "1000", event.OrderItem{SKU: "a", Price: "50", Quantity: "2e1"}))
		}},
		{"order total with an exponent", func(t *testing.T) event.Event {
			return paidEvent(t, "ev_1", t0, order("o1", "1e3"))
		}},
		{"no order total", func(t *testing.T) event.Event {
			return paidEvent(t, "ev_1", t0, order("o1", ""))
		}},
		{"no order id", func(t *testing.T) event.Event {
			return paidEvent(t, "ev_1", t0, order("", "1000"))
		}},
		{"data is not an order", func(t *testing.T) event.Event {
			return event.Event{ID: "ev_1", Type: event.TypeOrderPaid, OccurredAt: t0, Data: json.RawMessage(`["x"]`)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Apply(newAccount(), tt.ev(t))
			require.ErrorIs(t, err, ErrBadEvent)
		})
	}
}

func TestOrderPaidKeepsTheOrder(t *testing.T) {
	tests := []struct {
		name, programCurrency, total, currency string
		wantTotal, wantCurrency                string
		wantPoints                             int64
	}{
		{"same currency", "IDR", "257500.00", "idr", "257500", "IDR", 257},
		{"order without a currency", "IDR", "257500", "", "257500", "", 257},
		{"program without a currency", "", "19.99", "EUR", "19.99", "EUR", 0},
		{"another currency earns nothing", "IDR", "100000", "USD", "100000", "USD", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compileProgram(t, config.Loyalty{Currency: tt.programCurrency, Rules: []config.EarnRule{perSpend("spend", 1, "1000")}})
			a := newAccount()
			o := order("o1", tt.total)
			o.Currency = tt.currency
			require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, o)))
			assert.Equal(t, &Order{
				ID: "o1", MemberID: "mem_1", EventID: "ev_1", Total: tt.wantTotal, Refunded: "0", Currency: tt.wantCurrency,
			}, a.Order)
			assert.True(t, a.NewOrder)
			assert.Equal(t, tt.wantPoints, a.Member.Balance)
			assert.Equal(t, a.Order, a.Changes().Order)
		})
	}
}

func TestOrderPaidTwice(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{perSpend("spend", 1, "1000")}})
	a := newAccount()
	a.Order = &Order{ID: "o1", MemberID: "mem_1", EventID: "ev_1", Total: "100000", Refunded: "0"}
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_2", t0, order("o1", "100000"))))
	assert.Zero(t, a.Member.Balance)
	assert.Empty(t, a.Entries())
	assert.Empty(t, a.Outcomes())
	assert.False(t, a.NewOrder)
	assert.Equal(t, "ev_1", a.Order.EventID, "the first payment keeps the order")
}

func TestCombine(t *testing.T) {
	rules := func() []config.EarnRule {
		return []config.EarnRule{
			perSpend("base", 1, "1000"),
			fixedRule("bonus", event.TypeOrderPaid, "50"),
			{Name: "flagship", On: event.TypeOrderPaid, When: `event.store_id == "jkt-01"`, Points: "200"},
		}
	}
	tests := []struct {
		name    string
		combine string
		store   string
		edit    func([]config.EarnRule)
		want    int64
		rules   []string
	}{
		{"stack adds every rule", config.CombineStack, "jkt-01", nil, 350, []string{"base", "bonus", "flagship"}},
		{"stack skips rules whose condition fails", config.CombineStack, "bdg-02", nil, 150, []string{"base", "bonus"}},
		{"best_of keeps the most", config.CombineBestOf, "jkt-01", nil, 200, []string{"flagship"}},
		{"best_of among the matching", config.CombineBestOf, "bdg-02", nil, 100, []string{"base"}},
		{
			"best_of keeps the first of equals", config.CombineBestOf, "bdg-02",
			func(rs []config.EarnRule) { rs[1].Points = "100" }, 100, []string{"base"},
		},
		{
			"best_of compares capped points", config.CombineBestOf, "jkt-01",
			func(rs []config.EarnRule) { rs[2].Caps.PerMemberDay = 20 }, 100, []string{"base"},
		},
		{"first_match keeps the first", config.CombineFirstMatch, "jkt-01", nil, 100, []string{"base"}},
		{
			"first_match skips rules whose condition fails", config.CombineFirstMatch, "jkt-01",
			func(rs []config.EarnRule) { rs[0].When = "false" }, 50, []string{"bonus"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := rules()
			if tt.edit != nil {
				tt.edit(rs)
			}
			p := compileProgram(t, config.Loyalty{Combine: tt.combine, Rules: rs})
			a := newAccount()
			o := order("o1", "100000")
			o.StoreID = tt.store
			require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, o)))
			require.NoError(t, a.Check(false))
			assert.Equal(t, tt.want, a.Member.Balance)
			require.Len(t, a.Lots, len(tt.rules))
			for i, name := range tt.rules {
				assert.Equal(t, name, a.Lots[i].Rule)
				assert.Equal(t, LotID(testTenant, "ev_1", name), a.Lots[i].ID)
			}
			data, ok := findOutcome(a.Outcomes(), OutcomePointsEarned)
			require.True(t, ok)
			assert.Equal(t, map[string]any{"points": tt.want, "rules": tt.rules, "order_id": "o1"}, data)
		})
	}
}

func TestWhen(t *testing.T) {
	tests := []struct {
		name  string
		when  string
		edit  func(a *Account, o *event.OrderPaid)
		match bool
	}{
		{"event field", `event.store_id == "jkt-01"`, func(_ *Account, o *event.OrderPaid) { o.StoreID = "jkt-01" }, true},
		{"event field differs", `event.store_id == "jkt-01"`, nil, false},
		{"event items", `len(event.items) >= 2`, func(_ *Account, o *event.OrderPaid) {
			o.Items = []event.OrderItem{{SKU: "a"}, {SKU: "b"}}
		}, true},
		{"event type", `type == "order.paid"`, nil, true},
		{"new member", `member.new`, func(a *Account, _ *event.OrderPaid) { a.New = true }, true},
		{"existing member", `member.new`, nil, false},
		{"member balance", `member.balance >= 100`, func(a *Account, _ *event.OrderPaid) {
			a.Member.Balance = 150
			a.Lots = []*Lot{{ID: "lot_old", Points: 150, Remaining: 150, Status: LotActive}}
		}, true},
		{"member pending", `member.pending > 0`, nil, false},
		{"member contact", `member.name == "Ani" && member.phone startsWith "+62" && member.id == "mem_1"`, nil, true},
		{"program", `program.currency == "IDR" && program.tenant == "demo"`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compileProgram(t, config.Loyalty{Currency: "IDR", Rules: []config.EarnRule{
				{Name: "r", On: event.TypeOrderPaid, When: tt.when, Points: "10"},
			}})
			a := newAccount()
			o := order("o1", "100000")
			if tt.edit != nil {
				tt.edit(a, &o)
			}
			before := a.Member.Balance
			require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, o)))
			require.NoError(t, a.Check(false))
			if tt.match {
				assert.Equal(t, before+10, a.Member.Balance)
			} else {
				assert.Equal(t, before, a.Member.Balance)
			}
		})
	}
}

func TestWhenRuntimeError(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{
		{Name: "r", On: event.TypeOrderPaid, When: `event.total > 100`, Points: "10"},
	}})
	err := p.Apply(newAccount(), paidEvent(t, "ev_1", t0, order("o1", "100000")))
	require.ErrorIs(t, err, ErrBadEvent)
	assert.Contains(t, err.Error(), "rule r")
}

func TestPointsExpression(t *testing.T) {
	tests := []struct {
		name, points string
		data         map[string]any
		want         int64
		bad          bool
	}{
		{"integer", "event.stars * 10", map[string]any{"stars": 4}, 40, false},
		{"whole float", "event.stars / 2", map[string]any{"stars": 4}, 2, false},
		{"member and program", `member.name == "Ani" && program.tenant == "demo" ? 7 : 0`, nil, 7, false},
		{"zero", "event.stars * 0", map[string]any{"stars": 4}, 0, false},
		{"fraction", "event.stars / 2", map[string]any{"stars": 3}, 0, true},
		{"negative", "event.stars - 10", map[string]any{"stars": 3}, 0, true},
		{"not a number", `"ten"`, nil, 0, true},
		{"missing field", "event.missing * 2", nil, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{fixedRule("review", "review.posted", tt.points)}})
			a := newAccount()
			err := p.Apply(a, customEvent(t, "ev_1", "review.posted", t0, tt.data))
			if tt.bad {
				require.ErrorIs(t, err, ErrBadEvent)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, a.Member.Balance)
			if tt.want > 0 {
				assert.Equal(t, "review: "+itoa(tt.want)+" points ("+tt.points+")", a.Entries()[0].Reason)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestCustomEvents(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{
		fixedRule("review", "review.posted", "25"),
		perSpend("spend", 1, "1000"),
	}})

	a := newAccount()
	require.NoError(t, p.Apply(a, customEvent(t, "ev_1", "review.posted", t0, nil)))
	assert.Equal(t, int64(25), a.Member.Balance)
	data, ok := findOutcome(a.Outcomes(), OutcomePointsEarned)
	require.True(t, ok)
	assert.Equal(t, map[string]any{"points": int64(25), "rules": []string{"review"}}, data, "no order_id without an order")
	assert.Empty(t, a.Lots[0].OrderID)

	a = newAccount()
	require.NoError(t, p.Apply(a, customEvent(t, "ev_2", "store.visited", t0, nil)))
	assert.Empty(t, a.Entries(), "no rule for the type")
	assert.Empty(t, a.Outcomes())

	bad := customEvent(t, "ev_3", "review.posted", t0, nil)
	bad.Data = json.RawMessage(`[1, 2]`)
	require.ErrorIs(t, p.Apply(newAccount(), bad), ErrBadEvent)

	// Validation refuses a spend rule on an event without an order; a
	// program compiled without validation fails the event as bad.
	spendOnReview, err := Compile("demo", config.Loyalty{
		Combine: config.CombineStack, Expiry: config.Expiry{Policy: config.ExpiryNever},
		Rules: []config.EarnRule{{Name: "spend", On: "review.posted",
			Spend: &config.Spend{Unit: "1000", Points: 1, Rounding: config.RoundFloor, MinOrder: "0"}}},
	}, time.UTC)
	require.NoError(t, err)
	require.ErrorIs(t, spendOnReview.Apply(newAccount(), customEvent(t, "ev_4", "review.posted", t0, nil)), ErrBadEvent)
}

func TestScheduleInTimeZone(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{
		{Name: "weekend", On: event.TypeOrderPaid, Points: "100", Schedule: config.Schedule{Days: []string{"sat", "sun"}}},
		{Name: "breakfast", On: event.TypeOrderPaid, Points: "10", Schedule: config.Schedule{Hours: "06:00-07:00"}},
		{Name: "march", On: event.TypeOrderPaid, Points: "1", Schedule: config.Schedule{From: "2026-03-01", Until: "2026-04-01"}},
	}})
	tests := []struct {
		name  string
		at    time.Time
		rules []string
	}{
		{"friday 23:30 utc is saturday 06:30 local", time.Date(2026, 3, 13, 23, 30, 0, 0, time.UTC), []string{"weekend", "breakfast", "march"}},
		{"friday 23:00 local", time.Date(2026, 3, 13, 16, 0, 0, 0, time.UTC), []string{"march"}},
		{"sunday 23:59 local", local(2026, 3, 15, 23, 59), []string{"weekend", "march"}},
		{"march 31 23:30 utc is april local", time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC), []string{"breakfast"}},
		{"february 28 17:00 utc is march local", time.Date(2026, 2, 28, 17, 0, 0, 0, time.UTC), []string{"weekend", "march"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAccount()
			require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", tt.at, order("o1", "1000"))))
			var got []string
			for _, l := range a.Lots {
				got = append(got, l.Rule)
			}
			assert.Equal(t, tt.rules, got)
		})
	}
}

func TestCaps(t *testing.T) {
	tests := []struct {
		name string
		caps config.Caps
		at   []time.Time
		want []int64
		why  string
	}{
		{
			name: "per day",
			caps: config.Caps{PerMemberDay: 150},
			at: []time.Time{
				local(2026, 3, 10, 10, 0), local(2026, 3, 10, 20, 0), local(2026, 3, 10, 23, 0),
				time.Date(2026, 3, 10, 17, 30, 0, 0, time.UTC), // Wednesday 00:30 local
			},
			want: []int64{100, 50, 0, 100},
			why:  "capped from 100 to 50 by the per-day cap of 150",
		},
		{
			name: "per week from monday",
			caps: config.Caps{PerMemberWeek: 250},
			at: []time.Time{
				local(2026, 3, 9, 10, 0), local(2026, 3, 11, 10, 0), local(2026, 3, 15, 22, 0),
				time.Date(2026, 3, 15, 23, 30, 0, 0, time.UTC), // Monday 06:30 local
			},
			want: []int64{100, 100, 50, 100},
			why:  "capped from 100 to 50 by the per-week cap of 250",
		},
		{
			name: "per month",
			caps: config.Caps{PerMemberMonth: 150},
			at: []time.Time{
				local(2026, 3, 1, 10, 0), local(2026, 3, 31, 10, 0),
				time.Date(2026, 3, 31, 17, 30, 0, 0, time.UTC), // April 1 local
			},
			want: []int64{100, 50, 100},
			why:  "capped from 100 to 50 by the per-month cap of 150",
		},
		{
			name: "per member for all time",
			caps: config.Caps{PerMember: 250},
			at:   []time.Time{local(2026, 1, 1, 10, 0), local(2026, 6, 1, 10, 0), local(2027, 1, 1, 10, 0), local(2028, 1, 1, 10, 0)},
			want: []int64{100, 100, 50, 0},
			why:  "capped from 100 to 50 by the per-member cap of 250",
		},
		{
			name: "the tightest cap wins",
			caps: config.Caps{PerMemberDay: 150, PerMemberWeek: 200},
			at:   []time.Time{local(2026, 3, 9, 10, 0), local(2026, 3, 9, 11, 0), local(2026, 3, 10, 10, 0), local(2026, 3, 11, 10, 0)},
			want: []int64{100, 50, 50, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{
				{Name: "checkin", On: "store.checkin", Points: "100", Caps: tt.caps},
			}})
			counters := counterStore{}
			a := newAccount()
			var reasons []string
			for i, at := range tt.at {
				a = next(a, counters)
				require.NoError(t, p.Apply(a, customEvent(t, "ev_"+itoa(int64(i)), "store.checkin", at, nil)))
				require.NoError(t, a.Check(false))
				var got int64
				for _, e := range a.Entries() {
					got += e.Points
					reasons = append(reasons, e.Reason)
				}
				assert.Equal(t, tt.want[i], got, "event %d at %s", i, at)
				if got == 0 {
					assert.Empty(t, a.Outcomes(), "no outcome when a cap leaves nothing")
				}
			}
			if tt.why != "" {
				assert.Contains(t, reasons, "checkin: 100 points; "+tt.why)
			}
		})
	}
}

func TestCapsCountWithinOneAccount(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{
		{Name: "checkin", On: "store.checkin", Points: "100", Caps: config.Caps{PerMemberDay: 150}},
	}})
	a := newAccount()
	require.NoError(t, p.Apply(a, customEvent(t, "ev_1", "store.checkin", t0, nil)))
	require.NoError(t, p.Apply(a, customEvent(t, "ev_2", "store.checkin", t0.Add(time.Hour), nil)))
	assert.Equal(t, int64(150), a.Member.Balance, "the second event sees the first one's increments")
	assert.Equal(t, map[string]int64{"checkin:d:2026-03-10": 150}, a.Changes().Counters,
		"only the periods the rule caps are counted")
}

func TestCountersWithoutCaps(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{perSpend("spend", 1, "1000")}})
	a := newAccount()
	a.Counters = func([]string) (map[string]int64, error) {
		t.Fatal("counters are read only for capped rules")
		return nil, nil
	}
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "100000"))))
	assert.Empty(t, a.Changes().Counters, "a rule without caps writes no counters")
}

func TestCountersError(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{
		{Name: "checkin", On: "store.checkin", Points: "100", Caps: config.Caps{PerMember: 1000}},
	}})
	a := newAccount()
	boom := errors.New("database is locked")
	a.Counters = func([]string) (map[string]int64, error) { return nil, boom }
	err := p.Apply(a, customEvent(t, "ev_1", "store.checkin", t0, nil))
	require.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, ErrBadEvent, "a store error may be retried")
}

// pendingProgram holds the points of "spend" for 14 days.
func pendingProgram(t *testing.T, allowNegative bool) *Program {
	r := perSpend("spend", 1, "1000")
	r.PendingDays = 14
	return compileProgram(t, config.Loyalty{Currency: "IDR", AllowNegative: allowNegative, Rules: []config.EarnRule{r}})
}

func TestPendingPoints(t *testing.T) {
	p := pendingProgram(t, false)
	at := time.Date(2026, 3, 10, 20, 0, 0, 0, time.UTC) // March 11, 03:00 local
	activates := local(2026, 3, 26, 0, 0)

	a := newAccount()
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", at, order("o1", "100000"))))
	require.NoError(t, a.Check(false))
	assert.Equal(t, Member{
		ID: "mem_1", Tenant: testTenant, Phone: "+628111111111", Name: "Ani", Balance: 0, Pending: 100,
		CreatedAt: a.Member.CreatedAt,
	}, a.Member)

	require.Len(t, a.Lots, 1)
	l := a.Lots[0]
	assert.Equal(t, LotPending, l.Status)
	assert.Equal(t, int64(100), l.Remaining)
	require.NotNil(t, l.ActivatesAt)
	assert.True(t, l.ActivatesAt.Equal(activates), "activates at %s", l.ActivatesAt)
	assert.Equal(t, "o1", l.OrderID)

	require.Len(t, a.Entries(), 1)
	e := a.Entries()[0]
	assert.Equal(t, EntryPending, e.Kind)
	assert.Zero(t, e.Points)
	assert.Equal(t, int64(100), e.PendingPoints)
	assert.Zero(t, e.BalanceAfter)
	assert.Equal(t, int64(100), e.PendingAfter)
	assert.Equal(t, l.ID, e.LotID)
	assert.Contains(t, e.Reason, "held until 2026-03-26 (returns window of 14 days)")

	assert.Equal(t, []Outcome{{Type: OutcomePointsPending, Data: map[string]any{
		"points": int64(100), "rules": []string{"spend"}, "activates_at": activates.UTC(), "order_id": "o1",
	}}}, a.Outcomes())
}

func TestActivateDue(t *testing.T) {
	p := pendingProgram(t, false)
	counters := counterStore{}
	a := newAccount()
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", time.Date(2026, 3, 10, 20, 0, 0, 0, time.UTC), order("o1", "100000"))))
	a = next(a, counters)
	a.Order = nil
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_2", local(2026, 3, 12, 10, 0), order("o2", "40000"))))
	a = next(a, counters)
	assert.Equal(t, int64(140), a.Member.Pending)

	due := local(2026, 3, 26, 0, 0)
	p.ActivateDue(a, "ev_tick1", due.Add(-time.Second))
	assert.Empty(t, a.Entries(), "nothing is due yet")
	assert.Empty(t, a.Outcomes())

	p.ActivateDue(a, "ev_tick2", due)
	require.NoError(t, a.Check(false))
	assert.Equal(t, int64(100), a.Member.Balance)
	assert.Equal(t, int64(40), a.Member.Pending)
	require.Len(t, a.Entries(), 1)
	e := a.Entries()[0]
	assert.Equal(t, Entry{
		Kind: EntryActivate, Points: 100, PendingPoints: -100, BalanceAfter: 100, PendingAfter: 40,
		LotID: LotID(testTenant, "ev_1", "spend"), OrderID: "o1", EventID: "ev_tick2", Rule: "spend", At: due,
		Reason: "returns window of spend ended",
	}, e)
	assert.Equal(t, []Outcome{{Type: OutcomePointsActivated, Data: map[string]any{"points": int64(100)}}}, a.Outcomes())
	changes := a.Changes()
	require.Len(t, changes.Lots, 1)
	assert.Equal(t, LotActive, changes.Lots[0].Status)

	a = next(a, counters)
	p.ActivateDue(a, "ev_tick3", due.Add(time.Hour))
	assert.Empty(t, a.Entries(), "an active lot is not activated again")

	p.ActivateDue(a, "ev_tick4", local(2026, 3, 27, 0, 0))
	require.NoError(t, a.Check(false))
	assert.Equal(t, int64(140), a.Member.Balance)
	assert.Zero(t, a.Member.Pending)
}

func TestRefundCancelsPendingPoints(t *testing.T) {
	p := pendingProgram(t, false)
	counters := counterStore{}
	a := newAccount()
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "100000"))))

	a = next(a, counters)
	require.NoError(t, p.Apply(a, refundEvent(t, "ev_2", "o1", "25000", t0.Add(24*time.Hour))))
	require.NoError(t, a.Check(false))
	l := a.Lots[0]
	assert.Equal(t, LotPending, l.Status)
	assert.Equal(t, int64(75), l.Remaining)
	assert.Equal(t, int64(25), l.Reversed)
	assert.Equal(t, int64(75), a.Member.Pending)
	assert.Zero(t, a.Member.Balance)
	require.Len(t, a.Entries(), 1)
	assert.Equal(t, EntryReverse, a.Entries()[0].Kind)
	assert.Equal(t, int64(-25), a.Entries()[0].PendingPoints)
	assert.Zero(t, a.Entries()[0].Points)
	assert.Equal(t, "ev_1", a.Entries()[0].RefEventID)
	assert.Equal(t, "25000 of order o1 refunded: 25 pending points cancelled", a.Entries()[0].Reason)
	assert.Equal(t, []Outcome{{Type: OutcomePointsReversed, Data: map[string]any{
		"points": int64(0), "pending": int64(25), "forgiven": int64(0), "order_id": "o1", "refunded": "25000",
	}}}, a.Outcomes())

	a = next(a, counters)
	require.NoError(t, p.Apply(a, cancelEvent(t, "ev_3", "o1", t0.Add(48*time.Hour))))
	require.NoError(t, a.Check(false))
	l = a.Lots[0]
	assert.Equal(t, LotCancelled, l.Status, "a pending lot with nothing left is cancelled")
	assert.Zero(t, l.Remaining)
	assert.Equal(t, int64(100), l.Reversed)
	assert.Zero(t, a.Member.Pending)
	data, _ := findOutcome(a.Outcomes(), OutcomePointsReversed)
	assert.Equal(t, int64(75), data["pending"])
	assert.Equal(t, "100000", data["refunded"])

	a = next(a, counters)
	p.ActivateDue(a, "ev_tick", t0.AddDate(0, 1, 0))
	assert.Empty(t, a.Entries(), "a cancelled lot never activates")
}

func TestRefundThenActivate(t *testing.T) {
	p := pendingProgram(t, false)
	a := newAccount()
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "100000"))))
	require.NoError(t, p.Apply(a, refundEvent(t, "ev_2", "o1", "40000", t0.Add(time.Hour))))
	p.ActivateDue(a, "ev_tick", t0.AddDate(0, 1, 0))
	require.NoError(t, a.Check(false))
	assert.Equal(t, int64(60), a.Member.Balance)
	assert.Zero(t, a.Member.Pending)
	data, _ := findOutcome(a.Outcomes(), OutcomePointsActivated)
	assert.Equal(t, map[string]any{"points": int64(60)}, data)
}

// spendProgram gives 1 point per 1000 spent at once.
func spendProgram(t *testing.T, allowNegative bool, expiry config.Expiry) *Program {
	return compileProgram(t, config.Loyalty{
		Currency: "IDR", AllowNegative: allowNegative, Expiry: expiry,
		Rules: []config.EarnRule{perSpend("spend", 1, "1000")},
	})
}

func TestPartialRefunds(t *testing.T) {
	p := spendProgram(t, false, config.Expiry{})
	counters := counterStore{}
	a := newAccount()
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_paid", t0, order("o1", "100000"))))
	require.Equal(t, int64(100), a.Member.Balance)

	steps := []struct {
		amount    string
		reversed  int64
		balance   int64
		refunded  string
		formatted string
	}{
		{"33333.33", 33, 67, "33333.33", "33333"}, // floor(33.33)
		{"33333.33", 33, 34, "66666.66", "66667"}, // cumulative: floor(66.67) - 33
		{"50000", 34, 0, "100000", "100000"},      // capped at the total
		{"1", 0, 0, "100000", "100000"},           // nothing left to take
		{"0", 0, 0, "100000", "100000"},           // a refund of nothing
	}
	for i, s := range steps {
		a = next(a, counters)
		require.NoError(t, p.Apply(a, refundEvent(t, "ev_refund"+itoa(int64(i)), "o1", s.amount, t0.Add(time.Duration(i+1)*time.Hour))), "refund %d", i)
		require.NoError(t, a.Check(false))
		assert.Equal(t, s.balance, a.Member.Balance, "refund %d", i)
		assert.Equal(t, s.refunded, a.Order.Refunded, "refund %d", i)
		data, ok := findOutcome(a.Outcomes(), OutcomePointsReversed)
		require.True(t, ok)
		assert.Equal(t, map[string]any{
			"points": s.reversed, "pending": int64(0), "forgiven": int64(0), "order_id": "o1", "refunded": s.formatted,
		}, data, "refund %d", i)
		if s.reversed == 0 {
			assert.Empty(t, a.Entries())
			continue
		}
		require.Len(t, a.Entries(), 1)
		e := a.Entries()[0]
		assert.Equal(t, EntryReverse, e.Kind)
		assert.Equal(t, -s.reversed, e.Points)
		assert.Equal(t, "ev_paid", e.RefEventID)
		assert.Equal(t, "o1", e.OrderID)
		assert.Equal(t, "spend", e.Rule)
	}
	assert.Equal(t, int64(100), a.Lots[0].Reversed)
	assert.Equal(t, LotActive, a.Lots[0].Status)
}

func TestRefundOfDecimalAmounts(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Currency: "EUR", Rules: []config.EarnRule{perSpend("spend", 10, "1")}})
	counters := counterStore{}
	a := newAccount()
	o := order("o1", "19.99")
	o.Currency = "EUR"
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, o)))
	assert.Equal(t, int64(199), a.Member.Balance)
	assert.Equal(t, "19.99", a.Order.Total)

	a = next(a, counters)
	require.NoError(t, p.Apply(a, refundEvent(t, "ev_2", "o1", "9.99", t0.Add(time.Hour))))
	require.NoError(t, a.Check(false))
	assert.Equal(t, "9.99", a.Order.Refunded)
	assert.Equal(t, int64(100), a.Member.Balance) // 199 - floor(199 × 9.99 / 19.99) = 199 - 99
	data, _ := findOutcome(a.Outcomes(), OutcomePointsReversed)
	assert.Equal(t, "9.99", data["refunded"])

	a = next(a, counters)
	require.NoError(t, p.Apply(a, refundEvent(t, "ev_3", "o1", "10.005", t0.Add(2*time.Hour))))
	require.NoError(t, a.Check(false))
	assert.Equal(t, "19.99", a.Order.Refunded)
	assert.Zero(t, a.Member.Balance)
}

func TestCancel(t *testing.T) {
	p := spendProgram(t, false, config.Expiry{})
	counters := counterStore{}
	a := newAccount()
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "100000"))))
	a = next(a, counters)
	a.Order = nil
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_2", t0, order("o2", "50000"))))
	a = next(a, counters)
	a.Order = &Order{ID: "o1", MemberID: "mem_1", EventID: "ev_1", Total: "100000", Refunded: "0", Currency: "IDR"}

	require.NoError(t, p.Apply(a, refundEvent(t, "ev_3", "o1", "10000", t0.Add(time.Hour))))
	assert.Equal(t, int64(140), a.Member.Balance)

	cancel := cancelEvent(t, "ev_4", "o1", t0.Add(2*time.Hour))
	cancel.Data = mustJSON(t, event.OrderRefunded{OrderID: "o1", Amount: "5"})
	require.NoError(t, p.Apply(a, cancel))
	require.NoError(t, a.Check(false))
	assert.Equal(t, int64(50), a.Member.Balance, "a cancellation takes back the whole order, whatever its amount")
	assert.Equal(t, "100000", a.Order.Refunded)
	assert.Equal(t, int64(50), lotByRule(t, a, "ev_2", "spend").Remaining, "other orders keep their points")
	assert.Zero(t, lotByRule(t, a, "ev_1", "spend").Remaining)
}

func TestRefundErrors(t *testing.T) {
	p := spendProgram(t, false, config.Expiry{})
	stored := func() *Order {
		return &Order{ID: "o1", MemberID: "mem_1", EventID: "ev_1", Total: "100000", Refunded: "0", Currency: "IDR"}
	}
	tests := []struct {
		name  string
		order *Order
		ev    func(t *testing.T) event.Event
		want  error
	}{
		{"refund of an unknown order", nil, func(t *testing.T) event.Event {
			return refundEvent(t, "ev_2", "o1", "1000", t0)
		}, ErrOrderNotFound},
		{"cancellation of an unknown order", nil, func(t *testing.T) event.Event {
			return cancelEvent(t, "ev_2", "o1", t0)
		}, ErrOrderNotFound},
		{"no amount", stored(), func(t *testing.T) event.Event {
			return refundEvent(t, "ev_2", "o1", "", t0)
		}, ErrBadEvent},
		{"negative amount", stored(), func(t *testing.T) event.Event {
			return refundEvent(t, "ev_2", "o1", "-5", t0)
		}, ErrBadEvent},
		{"amount with an exponent", stored(), func(t *testing.T) event.Event {
			return refundEvent(t, "ev_2", "o1", "1e3", t0)
		}, ErrBadEvent},
		{"no order id", stored(), func(t *testing.T) event.Event {
			return refundEvent(t, "ev_2", "", "1000", t0)
		}, ErrBadEvent},
		{"data is not a refund", stored(), func(t *testing.T) event.Event {
			return event.Event{ID: "ev_2", Type: event.TypeOrderRefunded, OccurredAt: t0, Data: json.RawMessage(`"o1"`)}
		}, ErrBadEvent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAccount()
			a.Order = tt.order
			err := p.Apply(a, tt.ev(t))
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestRefundOfSpentPointsIsForgiven(t *testing.T) {
	p := spendProgram(t, false, config.Expiry{})
	counters := counterStore{}
	a := newAccount()
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "100000"))))
	a = next(a, counters)
	require.NoError(t, p.Adjust(a, "ev_spend", -80, "redeemed a voucher", t0.Add(time.Hour)))

	a = next(a, counters)
	require.NoError(t, p.Apply(a, cancelEvent(t, "ev_2", "o1", t0.Add(2*time.Hour))))
	require.NoError(t, a.Check(false))
	assert.Zero(t, a.Member.Balance)
	require.Len(t, a.Entries(), 1)
	e := a.Entries()[0]
	assert.Equal(t, int64(-20), e.Points)
	assert.Equal(t, "100000 of order o1 refunded: 100 points taken back; 80 of them were spent already and are forgiven", e.Reason)
	data, _ := findOutcome(a.Outcomes(), OutcomePointsReversed)
	assert.Equal(t, map[string]any{
		"points": int64(20), "pending": int64(0), "forgiven": int64(80), "order_id": "o1", "refunded": "100000",
	}, data)
	assert.Equal(t, int64(100), a.Lots[0].Reversed, "forgiven points count as reversed")
}

func TestRefundOfSpentPointsTakesOtherPointsFirst(t *testing.T) {
	p := spendProgram(t, false, config.Expiry{})
	counters := counterStore{}
	a := newAccount()
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "100000"))))
	a = next(a, counters)
	a.Order = nil
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_2", t0.Add(time.Hour), order("o2", "50000"))))
	a = next(a, counters)
	require.NoError(t, p.Adjust(a, "ev_spend", -80, "redeemed a voucher", t0.Add(2*time.Hour)))
	assert.Equal(t, int64(20), lotByRule(t, a, "ev_1", "spend").Remaining, "the older lot is spent first")

	a = next(a, counters)
	a.Order = &Order{ID: "o1", MemberID: "mem_1", EventID: "ev_1", Total: "100000", Refunded: "0", Currency: "IDR"}
	require.NoError(t, p.Apply(a, cancelEvent(t, "ev_3", "o1", t0.Add(3*time.Hour))))
	require.NoError(t, a.Check(false))
	assert.Zero(t, a.Member.Balance)
	assert.Zero(t, lotByRule(t, a, "ev_2", "spend").Remaining)
	assert.Equal(t, int64(-70), a.Entries()[0].Points)
	assert.Contains(t, a.Entries()[0].Reason, "30 of them were spent already and are forgiven")
	data, _ := findOutcome(a.Outcomes(), OutcomePointsReversed)
	assert.Equal(t, int64(70), data["points"])
	assert.Equal(t, int64(30), data["forgiven"])
}

func TestRefundOfSpentPointsIsOwed(t *testing.T) {
	p := spendProgram(t, true, config.Expiry{})
	counters := counterStore{}
	a := newAccount()
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "100000"))))
	a = next(a, counters)
	require.NoError(t, p.Adjust(a, "ev_spend", -80, "redeemed a voucher", t0.Add(time.Hour)))

	a = next(a, counters)
	require.NoError(t, p.Apply(a, cancelEvent(t, "ev_2", "o1", t0.Add(2*time.Hour))))
	require.NoError(t, a.Check(true))
	require.Error(t, a.Check(false), "the debt breaks the invariants of a program without debts")
	assert.Equal(t, int64(-80), a.Member.Balance)
	e := a.Entries()[0]
	assert.Equal(t, int64(-100), e.Points)
	assert.Equal(t, int64(-80), e.BalanceAfter)
	assert.Equal(t, "100000 of order o1 refunded: 100 points taken back; 80 of them were spent already and are owed", e.Reason)
	data, _ := findOutcome(a.Outcomes(), OutcomePointsReversed)
	assert.Equal(t, map[string]any{
		"points": int64(100), "pending": int64(0), "forgiven": int64(0), "order_id": "o1", "refunded": "100000",
	}, data)

	// Later earnings pay off the debt first.
	a = next(a, counters)
	a.Order = nil
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_3", t0.Add(3*time.Hour), order("o2", "50000"))))
	require.NoError(t, a.Check(true))
	assert.Equal(t, int64(-30), a.Member.Balance)
	assert.Zero(t, lotByRule(t, a, "ev_3", "spend").Remaining, "the lot paid the debt")
	assert.Equal(t, int64(50), a.Entries()[0].Points, "the entry records what was earned")

	a = next(a, counters)
	a.Order = nil
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_4", t0.Add(4*time.Hour), order("o3", "100000"))))
	require.NoError(t, a.Check(true))
	require.NoError(t, a.Check(false))
	assert.Equal(t, int64(70), a.Member.Balance)
	assert.Equal(t, int64(70), lotByRule(t, a, "ev_4", "spend").Remaining)
}

func TestDebtPaidOffByActivation(t *testing.T) {
	p := pendingProgram(t, true)
	a := newAccount()
	require.NoError(t, p.Adjust(a, "ev_debt", -30, "goodwill reversed", t0))
	require.NoError(t, a.Check(true))
	assert.Equal(t, int64(-30), a.Member.Balance)

	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "20000"))))
	a.Order = nil
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_2", t0.Add(time.Hour), order("o2", "100000"))))
	assert.Equal(t, int64(120), a.Member.Pending)
	assert.Equal(t, int64(-30), a.Member.Balance, "pending points do not pay a debt")

	p.ActivateDue(a, "ev_tick", t0.AddDate(0, 1, 0))
	require.NoError(t, a.Check(true))
	assert.Equal(t, int64(90), a.Member.Balance)
	assert.Zero(t, a.Member.Pending)
	assert.Zero(t, lotByRule(t, a, "ev_1", "spend").Remaining)
	assert.Equal(t, int64(90), lotByRule(t, a, "ev_2", "spend").Remaining)
	data, _ := findOutcome(a.Outcomes(), OutcomePointsActivated)
	assert.Equal(t, int64(120), data["points"])
}

func TestRefundAfterExpiry(t *testing.T) {
	p := spendProgram(t, false, config.Expiry{Policy: config.ExpiryAfterDays, Days: 30})
	counters := counterStore{}
	a := newAccount()
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "100000"))))

	a = next(a, counters)
	p.ExpireDue(a, "ev_tick", t0.AddDate(0, 2, 0))
	require.NoError(t, a.Check(false))
	assert.Zero(t, a.Member.Balance)

	a = next(a, counters)
	require.NoError(t, p.Apply(a, cancelEvent(t, "ev_2", "o1", t0.AddDate(0, 2, 1))))
	require.NoError(t, a.Check(false))
	assert.Zero(t, a.Member.Balance)
	require.Len(t, a.Entries(), 1)
	e := a.Entries()[0]
	assert.Zero(t, e.Points)
	assert.Equal(t, "100000 of order o1 refunded: its 100 points had expired already", e.Reason)
	data, _ := findOutcome(a.Outcomes(), OutcomePointsReversed)
	assert.Equal(t, map[string]any{
		"points": int64(0), "pending": int64(0), "forgiven": int64(100), "order_id": "o1", "refunded": "100000",
	}, data)
	assert.Equal(t, LotExpired, a.Lots[0].Status)
}

func TestExpireDue(t *testing.T) {
	p := spendProgram(t, false, config.Expiry{Policy: config.ExpiryAfterDays, Days: 30})
	now := local(2026, 4, 1, 0, 0)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	a := newAccount()
	a.Lots = []*Lot{
		{ID: "lot_a", Rule: "spend", Points: 100, Remaining: 40, Status: LotActive, EarnedAt: local(2026, 2, 1, 9, 0), ExpiresAt: ptr(past)},
		{ID: "lot_b", Rule: "spend", Points: 10, Remaining: 10, Status: LotActive, EarnedAt: local(2026, 2, 2, 9, 0), ExpiresAt: ptr(now)},
		{ID: "lot_c", Rule: "spend", Points: 100, Remaining: 0, Status: LotActive, ExpiresAt: ptr(past)},
		{ID: "lot_d", Rule: "spend", Points: 100, Remaining: 100, Status: LotActive, ExpiresAt: ptr(future)},
		{ID: "lot_e", Rule: "adjust", Points: 5, Remaining: 5, Status: LotActive},
		{ID: "lot_f", Rule: "spend", Points: 7, Remaining: 7, Status: LotPending, ActivatesAt: ptr(future), ExpiresAt: ptr(past)},
		{ID: "lot_g", Rule: "spend", Points: 9, Remaining: 0, Status: LotExpired, ExpiresAt: ptr(past)},
	}
	a.Member.Balance, a.Member.Pending = 155, 7
	require.NoError(t, a.Check(false))

	p.ExpireDue(a, "ev_tick", now)
	require.NoError(t, a.Check(false))
	assert.Equal(t, int64(105), a.Member.Balance)
	assert.Equal(t, int64(7), a.Member.Pending)
	assert.Equal(t, []Entry{
		{
			Kind: EntryExpire, Points: -40, BalanceAfter: 115, PendingAfter: 7, LotID: "lot_a", EventID: "ev_tick",
			Rule: "spend", At: now, Reason: "40 points earned on 2026-02-01 expired",
		},
		{
			Kind: EntryExpire, Points: -10, BalanceAfter: 105, PendingAfter: 7, LotID: "lot_b", EventID: "ev_tick",
			Rule: "spend", At: now, Reason: "10 points earned on 2026-02-02 expired",
		},
	}, a.Entries())
	assert.Equal(t, []Outcome{{Type: OutcomePointsExpired, Data: map[string]any{"points": int64(50)}}}, a.Outcomes())
	changes := a.Changes()
	require.Len(t, changes.Lots, 2)
	for _, l := range changes.Lots {
		assert.Equal(t, LotExpired, l.Status)
		assert.Zero(t, l.Remaining)
	}

	b := next(a, counterStore{})
	p.ExpireDue(b, "ev_tick2", now)
	assert.Empty(t, b.Entries())
	assert.Empty(t, b.Outcomes(), "no outcome when nothing expires")
}

func TestExpiryPolicyOnEarnedLots(t *testing.T) {
	tests := []struct {
		name   string
		expiry config.Expiry
		want   *time.Time
	}{
		{"never", config.Expiry{Policy: config.ExpiryNever}, nil},
		{"after days", config.Expiry{Policy: config.ExpiryAfterDays, Days: 7}, ptr(local(2026, 3, 18, 0, 0))},
		{"end of month", config.Expiry{Policy: config.ExpiryEndOfMonth, Months: 3}, ptr(local(2026, 7, 1, 0, 0))},
		{"end of year", config.Expiry{Policy: config.ExpiryEndOfYear}, ptr(local(2027, 1, 1, 0, 0))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := spendProgram(t, false, tt.expiry)
			a := newAccount()
			require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "100000"))))
			got := a.Lots[0].ExpiresAt
			if tt.want == nil {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.True(t, got.Equal(*tt.want), "got %s", got)

			p.ExpireDue(a, "ev_early", tt.want.Add(-time.Nanosecond))
			assert.Equal(t, int64(100), a.Member.Balance)
			p.ExpireDue(a, "ev_due", *tt.want)
			assert.Zero(t, a.Member.Balance)
		})
	}
}

func TestConsumeOrder(t *testing.T) {
	early, late := ptr(local(2026, 4, 1, 0, 0)), ptr(local(2026, 5, 1, 0, 0))
	older, newer := local(2026, 1, 1, 0, 0), local(2026, 2, 1, 0, 0)
	tests := []struct {
		name string
		x, y Lot
		want bool
	}{
		{"expiring before never", Lot{ID: "b", ExpiresAt: late}, Lot{ID: "a"}, true},
		{"never after expiring", Lot{ID: "a"}, Lot{ID: "b", ExpiresAt: late}, false},
		{"first to expire first", Lot{ID: "b", ExpiresAt: early, EarnedAt: newer}, Lot{ID: "a", ExpiresAt: late, EarnedAt: older}, true},
		{"later expiry after", Lot{ID: "a", ExpiresAt: late}, Lot{ID: "b", ExpiresAt: early}, false},
		{"same expiry, older first", Lot{ID: "b", ExpiresAt: early, EarnedAt: older}, Lot{ID: "a", ExpiresAt: ptr(*early), EarnedAt: newer}, true},
		{"never, older first", Lot{ID: "b", EarnedAt: older}, Lot{ID: "a", EarnedAt: newer}, true},
		{"never, newer after", Lot{ID: "a", EarnedAt: newer}, Lot{ID: "b", EarnedAt: older}, false},
		{"ties by id", Lot{ID: "a", EarnedAt: older}, Lot{ID: "b", EarnedAt: older}, true},
		{"ties by id, reversed", Lot{ID: "b", EarnedAt: older}, Lot{ID: "a", EarnedAt: older}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ConsumeOrder(&tt.x, &tt.y))
		})
	}
}

func TestAdjustDeductsFirstToExpireFirst(t *testing.T) {
	p := spendProgram(t, false, config.Expiry{})
	a := newAccount()
	a.Lots = []*Lot{
		{ID: "lot_never", Points: 30, Remaining: 30, Status: LotActive, EarnedAt: local(2026, 1, 1, 0, 0)},
		{ID: "lot_late", Points: 30, Remaining: 30, Status: LotActive, EarnedAt: local(2026, 1, 1, 0, 0), ExpiresAt: ptr(local(2026, 9, 1, 0, 0))},
		{ID: "lot_soon", Points: 30, Remaining: 30, Status: LotActive, EarnedAt: local(2026, 3, 1, 0, 0), ExpiresAt: ptr(local(2026, 4, 1, 0, 0))},
		{ID: "lot_pending", Points: 30, Remaining: 30, Status: LotPending, ActivatesAt: ptr(local(2026, 3, 20, 0, 0))},
	}
	a.Member.Balance, a.Member.Pending = 90, 30

	require.NoError(t, p.Adjust(a, "ev_adj", -45, "redeemed a voucher", t0))
	require.NoError(t, a.Check(false))
	remaining := map[string]int64{}
	for _, l := range a.Lots {
		remaining[l.ID] = l.Remaining
	}
	assert.Equal(t, map[string]int64{"lot_soon": 0, "lot_late": 15, "lot_never": 30, "lot_pending": 30}, remaining)
	assert.Equal(t, []Entry{{
		Kind: EntryAdjust, Points: -45, BalanceAfter: 45, PendingAfter: 30, EventID: "ev_adj", Reason: "redeemed a voucher", At: t0,
	}}, a.Entries())
	var changed []string
	for _, l := range a.Changes().Lots {
		changed = append(changed, l.ID)
	}
	assert.Equal(t, []string{"lot_late", "lot_soon"}, changed)

	err := p.Adjust(a, "ev_adj2", -46, "too much", t0)
	require.ErrorIs(t, err, ErrInsufficientPoints)
	assert.Equal(t, int64(45), a.Member.Balance, "a failed deduction changes nothing")
	assert.Len(t, a.Entries(), 1)

	require.NoError(t, p.Adjust(a, "ev_adj3", -45, "everything", t0))
	require.NoError(t, a.Check(false))
	assert.Zero(t, a.Member.Balance)
}

func TestAdjustAdds(t *testing.T) {
	p := spendProgram(t, false, config.Expiry{Policy: config.ExpiryAfterDays, Days: 30})
	a := newAccount()
	require.NoError(t, p.Adjust(a, "ev_adj", 50, "birthday gift", t0))
	require.NoError(t, a.Check(false))
	assert.Equal(t, int64(50), a.Member.Balance)
	wantID := LotID(testTenant, "ev_adj", "adjust")
	assert.Equal(t, []*Lot{{
		ID: wantID, MemberID: "mem_1", Rule: "adjust", EventID: "ev_adj", Points: 50, Remaining: 50,
		Status: LotActive, EarnedAt: t0, ExpiresAt: p.Expiry(t0),
	}}, a.Lots)
	assert.Equal(t, []Entry{{
		Kind: EntryAdjust, Points: 50, BalanceAfter: 50, LotID: wantID, EventID: "ev_adj", Reason: "birthday gift", At: t0,
	}}, a.Entries())
	assert.Equal(t, []Outcome{{Type: OutcomePointsAdjusted, Data: map[string]any{"points": int64(50), "reason": "birthday gift"}}}, a.Outcomes())

	b := newAccount()
	require.NoError(t, p.AdjustAs(b, "ev_adj2", 5, "late delivery", "ops@brand.example", t0))
	assert.Equal(t, "ops@brand.example", b.Entries()[0].Actor, "the entry records who made the correction")
}

func TestAdjustWithDebt(t *testing.T) {
	p := spendProgram(t, true, config.Expiry{})
	a := newAccount()
	require.NoError(t, p.Adjust(a, "ev_1", 20, "gift", t0))
	require.NoError(t, p.Adjust(a, "ev_2", -50, "chargeback", t0))
	require.NoError(t, a.Check(true))
	assert.Equal(t, int64(-30), a.Member.Balance)
	assert.Zero(t, a.Lots[0].Remaining)

	require.NoError(t, p.Adjust(a, "ev_3", 50, "correction", t0))
	require.NoError(t, a.Check(true))
	assert.Equal(t, int64(20), a.Member.Balance)
	assert.Equal(t, int64(20), a.Lots[1].Remaining, "a new lot pays the debt first")
}

func TestAdjustRejects(t *testing.T) {
	p := spendProgram(t, false, config.Expiry{})
	tests := []struct {
		name   string
		points int64
		reason string
		want   error
	}{
		{"zero points", 0, "nothing", ErrBadEvent},
		{"no reason", 10, "", ErrBadEvent},
		{"blank reason", -10, "  ", ErrBadEvent},
		{"beyond the balance", -1, "too much", ErrInsufficientPoints},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAccount()
			require.ErrorIs(t, p.Adjust(a, "ev_1", tt.points, tt.reason, t0), tt.want)
			assert.Empty(t, a.Entries())
			assert.Empty(t, a.Lots)
		})
	}
}

func TestNewMember(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Currency: "IDR", Rules: []config.EarnRule{
		fixedRule("welcome", event.TypeMemberJoined, "500"),
		{Name: "first", On: event.TypeMemberJoined, When: "member.new", Points: "5"},
		perSpend("spend", 1, "1000"),
	}})

	t.Run("order from a new member", func(t *testing.T) {
		a := newAccount()
		a.New = true
		ev := paidEvent(t, "ev_1", t0, order("o1", "100000"))
		require.NoError(t, p.Apply(a, ev))
		require.NoError(t, a.Check(false))
		assert.Equal(t, int64(605), a.Member.Balance)

		joinedID := event.DerivedID("ev_", "ev_1", "joined")
		require.Len(t, a.Entries(), 3)
		for i, want := range []struct{ eventID, rule, orderID string }{
			{joinedID, "welcome", ""}, {joinedID, "first", ""}, {"ev_1", "spend", "o1"},
		} {
			e := a.Entries()[i]
			assert.Equal(t, want.eventID, e.EventID, "entry %d", i)
			assert.Equal(t, want.rule, e.Rule, "entry %d", i)
			assert.Equal(t, want.orderID, e.OrderID, "entry %d", i)
		}
		welcome := lotByRule(t, a, joinedID, "welcome")
		assert.Empty(t, welcome.OrderID)
		assert.Equal(t, joinedID, welcome.EventID)

		assert.Equal(t, []Outcome{
			{Type: OutcomeMemberJoined, Data: map[string]any{"event_id": "ev_1"}},
			{Type: OutcomePointsEarned, Data: map[string]any{
				"points": int64(605), "rules": []string{"welcome", "first", "spend"}, "order_id": "o1",
			}},
		}, a.Outcomes(), "one points.earned: a first purchase makes one message")

		// Cancelling the order leaves the welcome points.
		b := next(a, counterStore{})
		require.NoError(t, p.Apply(b, cancelEvent(t, "ev_2", "o1", t0.Add(time.Hour))))
		require.NoError(t, b.Check(false))
		assert.Equal(t, int64(505), b.Member.Balance)
	})

	t.Run("member.joined event of a new member", func(t *testing.T) {
		a := newAccount()
		a.New = true
		require.NoError(t, p.Apply(a, customEvent(t, "ev_join", event.TypeMemberJoined, t0, nil)))
		assert.Equal(t, int64(505), a.Member.Balance, "the joined rules run once")
		assert.Equal(t, []string{OutcomeMemberJoined, OutcomePointsEarned}, outcomeTypes(a.Outcomes()))
		assert.Equal(t, "ev_join", a.Entries()[0].EventID)
	})

	t.Run("member.joined event of an existing member", func(t *testing.T) {
		a := newAccount()
		require.NoError(t, p.Apply(a, customEvent(t, "ev_join", event.TypeMemberJoined, t0, nil)))
		assert.Zero(t, a.Member.Balance, "a member joins once: the joined rules ran when the member was created")
		assert.Empty(t, a.Outcomes())
	})

	t.Run("existing member", func(t *testing.T) {
		a := newAccount()
		require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "100000"))))
		assert.Equal(t, int64(100), a.Member.Balance)
		assert.Equal(t, []string{OutcomePointsEarned}, outcomeTypes(a.Outcomes()))
	})

	t.Run("new member of a refund", func(t *testing.T) {
		a := newAccount()
		a.New = true
		require.ErrorIs(t, p.Apply(a, refundEvent(t, "ev_1", "o1", "1000", t0)), ErrOrderNotFound)
	})
}

func TestOutcomesSplitEarnedAndPending(t *testing.T) {
	bonus := fixedRule("bonus", event.TypeOrderPaid, "50")
	bonus.PendingDays = 7
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{perSpend("spend", 1, "1000"), bonus}})
	a := newAccount()
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "100000"))))
	require.NoError(t, a.Check(false))
	assert.Equal(t, []Outcome{
		{Type: OutcomePointsEarned, Data: map[string]any{"points": int64(100), "rules": []string{"spend"}, "order_id": "o1"}},
		{Type: OutcomePointsPending, Data: map[string]any{
			"points": int64(50), "rules": []string{"bonus"}, "activates_at": local(2026, 3, 18, 0, 0).UTC(), "order_id": "o1",
		}},
	}, a.Outcomes())
}

func TestChanges(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{
		perSpend("spend", 1, "1000"), capRule(fixedRule("bonus", event.TypeOrderPaid, "10")),
	}})
	a := newAccount()
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "100000"))))
	c := a.Changes()
	assert.Equal(t, a.Member, c.Member)
	assert.Equal(t, a.Entries(), c.Entries)
	assert.Equal(t, a.Outcomes(), c.Outcomes)
	assert.Equal(t, a.Order, c.Order)
	require.Len(t, c.Lots, 2)
	assert.Less(t, c.Lots[0].ID, c.Lots[1].ID, "lots are sorted by id")
	assert.Equal(t, map[string]int64{"bonus:w:2026-03-09": 10, "bonus:all": 10}, c.Counters)

	empty := newAccount().Changes()
	assert.Empty(t, empty.Lots)
	assert.Empty(t, empty.Entries)
	assert.Nil(t, empty.Order)
}

// capRule caps r per week and per member.
func capRule(r config.EarnRule) config.EarnRule {
	r.Caps = config.Caps{PerMemberWeek: 100, PerMember: 1000}
	return r
}

func TestCheck(t *testing.T) {
	active := func(remaining int64) *Lot {
		return &Lot{ID: "lot_a", Points: 100, Remaining: remaining, Status: LotActive}
	}
	tests := []struct {
		name          string
		lots          []*Lot
		balance       int64
		pending       int64
		allowNegative bool
		ok            bool
	}{
		{"empty", nil, 0, 0, false, true},
		{"balanced", []*Lot{active(60), {ID: "lot_p", Points: 5, Remaining: 5, Status: LotPending}}, 60, 5, false, true},
		{"closed lots do not count", []*Lot{{ID: "lot_x", Points: 5, Remaining: 5, Status: LotExpired}}, 0, 0, false, true},
		{"active lots differ from the balance", []*Lot{active(60)}, 50, 0, false, false},
		{"pending lots differ from pending", []*Lot{{ID: "lot_p", Points: 5, Remaining: 5, Status: LotPending}}, 0, 4, false, false},
		{"remaining above points", []*Lot{active(101)}, 101, 0, false, false},
		{"negative remaining", []*Lot{active(-1)}, -1, 0, true, false},
		{"reversed above points", []*Lot{{ID: "lot_a", Points: 10, Reversed: 11, Status: LotActive}}, 0, 0, false, false},
		{"debt not allowed", []*Lot{active(0)}, -5, 0, false, false},
		{"debt allowed", []*Lot{active(0)}, -5, 0, true, true},
		{"debt with spendable points", []*Lot{active(5)}, -5, 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAccount()
			a.Lots = tt.lots
			a.Member.Balance, a.Member.Pending = tt.balance, tt.pending
			err := a.Check(tt.allowNegative)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

func TestRemindExpiring(t *testing.T) {
	p := spendProgram(t, false, config.Expiry{Policy: config.ExpiryAfterDays, Days: 30})
	due, later := local(2026, 4, 1, 0, 0), local(2026, 4, 2, 0, 0)
	a := newAccount()
	a.Lots = []*Lot{
		{ID: "lot_a", Rule: "spend", Points: 100, Remaining: 40, Status: LotActive, ExpiresAt: ptr(due)},
		{ID: "lot_b", Rule: "spend", Points: 10, Remaining: 10, Status: LotActive, ExpiresAt: ptr(due)},
		{ID: "lot_c", Rule: "spend", Points: 10, Remaining: 10, Status: LotActive, ExpiresAt: ptr(later)},
		{ID: "lot_d", Rule: "spend", Points: 10, Remaining: 10, Status: LotActive, ExpiresAt: ptr(later), Reminded: true},
		{ID: "lot_e", Rule: "spend", Points: 10, Remaining: 0, Status: LotActive, ExpiresAt: ptr(due)},
	}
	a.Member.Balance = 70

	p.RemindExpiring(a, due)
	data, ok := findOutcome(a.Outcomes(), OutcomePointsExpiring)
	require.True(t, ok)
	assert.Equal(t, int64(50), data["points"], "the lots of that date not announced before")
	assert.Equal(t, "2026-03-31", data["last_day"], "the last local day the points can be spent")
	assert.Equal(t, due.UTC(), data["expires_at"])
	assert.Empty(t, a.Entries(), "a reminder changes no balance")
	assert.True(t, a.Lots[0].Reminded && a.Lots[1].Reminded)
	assert.False(t, a.Lots[2].Reminded)
	assert.Len(t, a.Changes().Lots, 2)

	b := newAccount()
	b.Lots = a.Lots
	p.RemindExpiring(b, due)
	assert.Empty(t, b.Outcomes(), "announced once")

	// Points earned later with an expiry date already announced are marked
	// without a second announcement.
	c := newAccount()
	fresh := &Lot{ID: "lot_f", Rule: "spend", Points: 3, Remaining: 3, Status: LotActive, ExpiresAt: ptr(later)}
	c.Lots = append(append([]*Lot(nil), a.Lots...), fresh)
	p.RemindExpiring(c, later)
	assert.Empty(t, c.Outcomes())
	assert.True(t, fresh.Reminded, "so that the sweep does not list the date again")
}

func TestLotsAreLoadedOnlyWhenNeeded(t *testing.T) {
	p := spendProgram(t, false, config.Expiry{Policy: config.ExpiryAfterDays, Days: 30})
	old := &Lot{ID: "lot_old", Rule: "spend", Points: 40, Remaining: 40, Status: LotActive, EarnedAt: t0.Add(-time.Hour), ExpiresAt: ptr(t0)}
	loads := 0
	newAcct := func() *Account {
		a := newAccount()
		a.Member.Balance = 40
		a.LoadLots = func() ([]*Lot, error) {
			loads++
			l := *old
			return []*Lot{&l}, nil
		}
		return a
	}

	a := newAcct()
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "100000"))))
	assert.Zero(t, loads, "earning reads no lots")
	assert.Len(t, a.Lots, 1, "only the new lot")

	p.ExpireDue(a, "ev_sweep", t0)
	assert.Equal(t, 1, loads, "expiry loads the open lots")
	p.ExpireDue(a, "ev_sweep", t0)
	assert.Equal(t, 1, loads, "once")
	assert.Equal(t, int64(100), a.Member.Balance, "the old lot expired, the new one stays")
	require.NoError(t, a.Check(false))

	b := newAcct()
	b.LoadLots = func() ([]*Lot, error) { return nil, errors.New("disk on fire") }
	require.NoError(t, p.Adjust(b, "ev_adj", -10, "correction", t0))
	require.ErrorContains(t, b.Err(), "disk on fire", "the store must discard the account")
}

func TestRefundInAnotherCurrencyIsRefused(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{perSpend("spend", 1, "1000")}})
	a := newAccount()
	require.NoError(t, p.Apply(a, paidEvent(t, "ev_1", t0, order("o1", "100000"))))
	b := next(a, counterStore{})
	ev := refundEvent(t, "ev_2", "o1", "50000", t0.Add(time.Hour))
	ev.Data = mustJSON(t, event.OrderRefunded{OrderID: "o1", Amount: "50000", Currency: "USD"})
	err := p.Apply(b, ev)
	require.ErrorIs(t, err, ErrBadEvent)
	assert.ErrorContains(t, err, "refund of order o1 is in USD, the order in IDR")
}
