package loyalty

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
)

// testTenant is the tenant every test program belongs to.
const testTenant = "demo"

// jakarta is the time zone of the test programs (UTC+7, no daylight saving
// time), so that an event at 23:30 UTC falls on the next local day.
var jakarta = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		panic(err)
	}
	return loc
}()

// local returns a wall-clock time in Jakarta.
func local(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, jakarta)
}

// withDefaults applies the configuration defaults to l the way production
// does: inside a full configuration with one tenant in Jakarta. The event
// types of its rules and challenges that the hub does not know are
// declared, as a tenant whose own mapping emits them does.
func withDefaults(l config.Loyalty) (config.Config, config.Loyalty) {
	declare := func(typ string) {
		if !event.KnownType(typ) && !slices.Contains(l.EventTypes, typ) {
			l.EventTypes = append(l.EventTypes, typ)
		}
	}
	for _, r := range l.Rules {
		declare(r.On)
	}
	for _, c := range l.Challenges {
		declare(c.On)
	}
	cfg := config.Config{Tenants: map[string]config.Tenant{
		testTenant: {DefaultRegion: "ID", Timezone: "Asia/Jakarta", Loyalty: l},
	}}
	cfg.ApplyDefaults()
	return cfg, cfg.Tenants[testTenant].Loyalty
}

// compileProgram applies the defaults, requires the configuration to be
// valid and compiles the program in Jakarta.
func compileProgram(t require.TestingT, l config.Loyalty) *Program {
	cfg, l := withDefaults(l)
	require.Empty(t, cfg.Validate(), "the test configuration must be valid")
	p, err := Compile(testTenant, l, jakarta)
	require.NoError(t, err)
	return p
}

// perSpend is an order.paid rule giving points per unit spent.
func perSpend(name string, points int64, unit string) config.EarnRule {
	return config.EarnRule{Name: name, On: event.TypeOrderPaid, Spend: &config.Spend{Unit: unit, Points: points}}
}

// fixedRule is a rule giving a fixed number of points for events of type on.
func fixedRule(name, on, points string) config.EarnRule {
	return config.EarnRule{Name: name, On: on, Points: points}
}

// newAccount returns the account of an existing member with no points.
func newAccount() *Account {
	return &Account{Member: Member{
		ID: "mem_1", Tenant: testTenant, Phone: "+628111111111", Name: "Ani",
		CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}}
}

// mustJSON marshals v for an event's data.
func mustJSON(t require.TestingT, v any) json.RawMessage {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// paidEvent is an order.paid event.
func paidEvent(t require.TestingT, id string, at time.Time, o event.OrderPaid) event.Event {
	return event.Event{ID: id, Tenant: testTenant, Type: event.TypeOrderPaid, OccurredAt: at, Data: mustJSON(t, o)}
}

// order is an order.paid payload in IDR.
func order(id, total string, items ...event.OrderItem) event.OrderPaid {
	return event.OrderPaid{OrderID: id, Phone: "+628111111111", Total: total, Currency: "IDR", Items: items}
}

// refundEvent is an order.refunded event for amount of the order.
func refundEvent(t require.TestingT, id, orderID, amount string, at time.Time) event.Event {
	return event.Event{
		ID: id, Tenant: testTenant, Type: event.TypeOrderRefunded, OccurredAt: at,
		Data: mustJSON(t, event.OrderRefunded{OrderID: orderID, RefundID: "r_" + id, Amount: amount}),
	}
}

// cancelEvent is an order.cancelled event.
func cancelEvent(t require.TestingT, id, orderID string, at time.Time) event.Event {
	return event.Event{
		ID: id, Tenant: testTenant, Type: event.TypeOrderCancelled, OccurredAt: at,
		Data: mustJSON(t, event.OrderRefunded{OrderID: orderID}),
	}
}

// customEvent is an event of any type with data.
func customEvent(t require.TestingT, id, typ string, at time.Time, data map[string]any) event.Event {
	if data == nil {
		data = map[string]any{}
	}
	return event.Event{ID: id, Tenant: testTenant, Type: typ, OccurredAt: at, Data: mustJSON(t, data)}
}

// counterStore keeps cap counters the way the store does: Counters reads
// them and add persists an account's increments.
type counterStore map[string]int64

func (c counterStore) read(keys []string) (map[string]int64, error) {
	out := make(map[string]int64, len(keys))
	for _, k := range keys {
		if n, ok := c[k]; ok {
			out[k] = n
		}
	}
	return out, nil
}

func (c counterStore) add(increments map[string]int64) {
	for k, n := range increments {
		c[k] += n
	}
}

// next returns a fresh account holding the state a store would load after
// a: the member, copies of the lots and the order, and the counters; the
// change tracking starts empty.
func next(a *Account, counters counterStore) *Account {
	counters.add(a.Changes().Counters)
	b := &Account{Member: a.Member, Counters: counters.read}
	for _, l := range a.Lots {
		c := *l
		b.Lots = append(b.Lots, &c)
	}
	if a.Order != nil {
		o := *a.Order
		b.Order = &o
	}
	return b
}

// outcomeTypes lists the types of outcomes in order.
func outcomeTypes(os []Outcome) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.Type
	}
	return out
}

// findOutcome returns the first outcome of type typ and whether there is
// one.
func findOutcome(os []Outcome, typ string) (map[string]any, bool) {
	for _, o := range os {
		if o.Type == typ {
			return maps.Clone(o.Data), true
		}
	}
	return nil, false
}

// lotByRule returns the account's lot made by rule for event id.
func lotByRule(t require.TestingT, a *Account, eventID, rule string) *Lot {
	id := LotID(testTenant, eventID, rule)
	for _, l := range a.Lots {
		if l.ID == id {
			return l
		}
	}
	require.Fail(t, "no lot", "no lot of rule %s for event %s", rule, eventID)
	return nil
}

// ptr returns a pointer to t.
func ptr(t time.Time) *time.Time { return &t }
