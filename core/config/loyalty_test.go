package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
)

// program returns a valid loyalty program that sets every key.
func program() config.Loyalty {
	return config.Loyalty{
		Currency:      "IDR",
		AllowNegative: true,
		Combine:       config.CombineStack,
		Rules: []config.EarnRule{
			{
				Name: "spend",
				On:   "order.paid",
				Spend: &config.Spend{
					Unit:              "10000",
					Points:            1,
					Rounding:          config.RoundFloor,
					MinOrder:          "25000",
					ExcludeSKUs:       []string{"GIFT-100"},
					ExcludeCategories: []string{"gift-card"},
					Multipliers: []config.Multiplier{
						{Categories: []string{"coffee-beans"}, Factor: "2"},
						{SKUs: []string{"MUG-01"}, Factor: "1.5"},
					},
				},
				PendingDays: 7,
			},
			{
				Name:   "breakfast",
				On:     "order.paid",
				When:   "float(event.total) >= 20000",
				Points: "5",
				Schedule: config.Schedule{
					From:  "2026-01-01",
					Until: "2027-01-01T00:00",
					Days:  []string{"mon", "tue", "wed", "thu", "fri"},
					Hours: "07:00-10:00",
				},
				Caps: config.Caps{PerMemberDay: 5, PerMemberWeek: 25, PerMemberMonth: 100, PerMember: 1000},
			},
			{
				Name:   "welcome",
				On:     "member.joined",
				Points: "member.new ? 50 : 0",
				Caps:   config.Caps{PerMember: 50},
			},
		},
		Expiry:  config.Expiry{Policy: config.ExpiryEndOfMonth, Months: 12, RemindDaysBefore: 7},
		Refunds: config.Refunds{WaitForOrder: time.Hour},
	}
}

// spendRule is a valid spend rule named name, before defaults.
func spendRule(name string) config.EarnRule {
	return config.EarnRule{Name: name, On: "order.paid", Spend: &config.Spend{Unit: "10000"}}
}

// pointsRule is a valid fixed-points rule named name.
func pointsRule(name string) config.EarnRule {
	return config.EarnRule{Name: name, On: "order.paid", Points: "10"}
}

func TestLoyaltyDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   config.Loyalty
		want config.Loyalty
	}{
		{
			name: "empty block",
			in:   config.Loyalty{},
			want: config.Loyalty{
				Combine: "stack",
				Expiry:  config.Expiry{Policy: "never"},
				Refunds: config.Refunds{WaitForOrder: 10 * time.Minute},
			},
		},
		{
			name: "spend rule",
			in:   config.Loyalty{Rules: []config.EarnRule{spendRule("spend")}},
			want: config.Loyalty{
				Combine: "stack",
				Rules: []config.EarnRule{{
					Name: "spend", On: "order.paid",
					Spend: &config.Spend{Unit: "10000", Points: 1, Rounding: "floor", MinOrder: "0"},
				}},
				Expiry:  config.Expiry{Policy: "never"},
				Refunds: config.Refunds{WaitForOrder: 10 * time.Minute},
			},
		},
		{
			name: "fixed points rule has no spend block",
			in:   config.Loyalty{Rules: []config.EarnRule{pointsRule("bonus")}},
			want: config.Loyalty{
				Combine: "stack",
				Rules:   []config.EarnRule{{Name: "bonus", On: "order.paid", Points: "10"}},
				Expiry:  config.Expiry{Policy: "never"},
				Refunds: config.Refunds{WaitForOrder: 10 * time.Minute},
			},
		},
		{
			name: "currency is upper-cased and trimmed",
			in:   config.Loyalty{Currency: " idr "},
			want: config.Loyalty{
				Currency: "IDR",
				Combine:  "stack",
				Expiry:   config.Expiry{Policy: "never"},
				Refunds:  config.Refunds{WaitForOrder: 10 * time.Minute},
			},
		},
		{
			name: "set values are kept",
			in:   program(),
			want: program(),
		},
		{
			name: "set spend values are kept",
			in: config.Loyalty{
				Combine: "first_match",
				Rules: []config.EarnRule{{
					Name: "spend", On: "order.paid",
					Spend: &config.Spend{Unit: "1", Points: 3, Rounding: "half_up", MinOrder: "10.50"},
				}},
				Expiry:  config.Expiry{Policy: "after_days", Days: 365},
				Refunds: config.Refunds{WaitForOrder: 2 * time.Hour},
			},
			want: config.Loyalty{
				Combine: "first_match",
				Rules: []config.EarnRule{{
					Name: "spend", On: "order.paid",
					Spend: &config.Spend{Unit: "1", Points: 3, Rounding: "half_up", MinOrder: "10.50"},
				}},
				Expiry:  config.Expiry{Policy: "after_days", Days: 365},
				Refunds: config.Refunds{WaitForOrder: 2 * time.Hour},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Config{Tenants: map[string]config.Tenant{"demo": {Loyalty: tt.in}}}
			c.ApplyDefaults()
			assert.Equal(t, tt.want, c.Tenants["demo"].Loyalty)
		})
	}
}

func TestValidateLoyalty(t *testing.T) {
	const p = "tenants.demo.loyalty"
	tests := []struct {
		name     string
		timezone string
		mutate   func(l *config.Loyalty)
		want     map[string]string // path → part of the message
	}{
		{name: "every key set", mutate: func(*config.Loyalty) {}},
		{name: "empty program", mutate: func(l *config.Loyalty) { *l = config.Loyalty{} }},
		{name: "lower-case currency", mutate: func(l *config.Loyalty) { l.Currency = "eur" }},
		{name: "any currency", mutate: func(l *config.Loyalty) { l.Currency = "" }},
		{
			name:   "currency name",
			mutate: func(l *config.Loyalty) { l.Currency = "rupiah" },
			want:   map[string]string{p + ".currency": `"RUPIAH" is not an ISO 4217 currency code`},
		},
		{
			name:   "currency symbol",
			mutate: func(l *config.Loyalty) { l.Currency = "US$" },
			want:   map[string]string{p + ".currency": `"US$" is not an ISO 4217`},
		},
		{
			name:   "currency too short",
			mutate: func(l *config.Loyalty) { l.Currency = "ID" },
			want:   map[string]string{p + ".currency": `"ID"`},
		},
		{name: "combine best_of", mutate: func(l *config.Loyalty) { l.Combine = config.CombineBestOf }},
		{name: "combine first_match", mutate: func(l *config.Loyalty) { l.Combine = config.CombineFirstMatch }},
		{
			name:   "combine value",
			mutate: func(l *config.Loyalty) { l.Combine = "all" },
			want:   map[string]string{p + ".combine": `"all" is not one of stack, best_of, first_match`},
		},
		{
			name:   "combine is case-sensitive",
			mutate: func(l *config.Loyalty) { l.Combine = "Stack" },
			want:   map[string]string{p + ".combine": `"Stack" is not one of`},
		},
		{
			name:   "negative refund wait",
			mutate: func(l *config.Loyalty) { l.Refunds.WaitForOrder = -time.Minute },
			want:   map[string]string{p + ".refunds.wait_for_order": "must be a positive duration, got -1m0s"},
		},
		{
			name: "rule names",
			mutate: func(l *config.Loyalty) {
				l.Rules = []config.EarnRule{
					spendRule("spend"), pointsRule("spend"), pointsRule("Breakfast Bonus"),
					pointsRule(""), pointsRule("bonus_2-x"), pointsRule("bonus_2-x"),
				}
			},
			want: map[string]string{
				p + ".rules[1].name": `"spend" is already the name of rules[0]`,
				p + ".rules[2].name": `"Breakfast Bonus" must be lower-case letters, digits, _ or -`,
				p + ".rules[3].name": `"" must be lower-case letters`,
				p + ".rules[5].name": `"bonus_2-x" is already the name of rules[4]`,
			},
		},
		{
			name: "neither spend nor points",
			mutate: func(l *config.Loyalty) {
				l.Rules = []config.EarnRule{
					{Name: "nothing", On: "order.paid"},
					{Name: "blank", On: "order.paid", Points: "  "},
				}
			},
			want: map[string]string{
				p + ".rules[0]": "set either spend (points per amount spent) or points (a fixed amount)",
				p + ".rules[1]": "set either spend",
			},
		},
		{
			name: "both spend and points",
			mutate: func(l *config.Loyalty) {
				both := spendRule("both")
				both.Points = "10"
				badBoth := spendRule("bad-both")
				badBoth.Spend.Unit = "abc"
				badBoth.Points = "10"
				l.Rules = []config.EarnRule{both, badBoth}
			},
			want: map[string]string{
				p + ".rules[0]": "set only one of spend and points",
				// The spend block of a rule that sets both is not checked.
				p + ".rules[1]": "set only one of spend and points",
			},
		},
		{
			name: "expression points",
			mutate: func(l *config.Loyalty) {
				r := pointsRule("vip")
				r.Points = "member.balance > 1000 ? 20 : 10"
				l.Rules = append(l.Rules, r)
			},
		},
		{
			name: "event types in on",
			mutate: func(l *config.Loyalty) {
				l.Rules = nil
				for i, on := range []string{
					"order", "Order.Paid", "", "order paid", "order.", ".paid", "order..paid", "1order.paid",
					"order.paid", "member.joined", "store.check_in", "app.review.posted",
				} {
					r := pointsRule("r" + string(rune('a'+i)))
					r.On = on
					l.Rules = append(l.Rules, r)
				}
			},
			want: map[string]string{
				p + ".rules[0].on": `"order" is not an event type, such as order.paid or member.joined`,
				p + ".rules[1].on": `"Order.Paid" is not an event type`,
				p + ".rules[2].on": `"" is not an event type`,
				p + ".rules[3].on": `"order paid" is not an event type`,
				p + ".rules[4].on": `"order." is not an event type`,
				p + ".rules[5].on": `".paid" is not an event type`,
				p + ".rules[6].on": `"order..paid" is not an event type`,
				p + ".rules[7].on": `"1order.paid" is not an event type`,
				p + ".rules[10].on": `unknown event type "store.check_in"; known types: customer.upserted, member.anniversary, member.birthday, member.joined,` +
					` order.cancelled, order.created, order.paid, order.refunded (a type of the tenant's own mapping is declared in loyalty.event_types)`,
				p + ".rules[11].on": `unknown event type "app.review.posted"`,
			},
		},
		{
			name: "event types of the tenant's own mappings",
			mutate: func(l *config.Loyalty) {
				l.EventTypes = []string{"store.check_in", "app.review.posted"}
				r := pointsRule("checkin")
				r.On = "store.check_in"
				l.Rules = append(l.Rules, r)
				l.Challenges = []config.Challenge{{Name: "reviews", On: "app.review.posted", Count: 3, Points: 10}}
			},
		},
		{
			name: "unknown challenge event and malformed declared type",
			mutate: func(l *config.Loyalty) {
				l.EventTypes = []string{"Review"}
				l.Challenges = []config.Challenge{{Name: "reviews", On: "review.posted", Count: 3, Points: 10}}
			},
			want: map[string]string{
				p + ".event_types[0]":   `"Review" is not an event type, such as store.visited`,
				p + ".challenges[0].on": `unknown event type "review.posted"; known types: customer.upserted,`,
			},
		},
		{
			name: "types the hub acts on itself",
			mutate: func(l *config.Loyalty) {
				chat := pointsRule("chat")
				chat.On = "message.received"
				l.Rules = append(l.Rules, chat)
				l.Challenges = []config.Challenge{{Name: "opt-ins", On: "consent.changed", Count: 1, Points: 10},
					{Name: "returns", On: "order.refunded", Count: 3, Points: 10}}
				l.EventTypes = []string{"store.visited", "message.received"}
			},
			want: map[string]string{
				p + ".challenges[1].on": "order.refunded takes back the points of its order; challenges cannot count it",
				p + ".event_types[1]":   "message.received is one of the hub's own types; declare only the types of the tenant's own mappings",
				p + ".rules[3].on": "message.received is acted on by the hub itself and never reaches the loyalty program, so nothing would count it;" +
					" rules and challenges count customer.upserted, member.anniversary, member.birthday, member.joined, order.cancelled, order.created, order.paid, order.refunded",
				p + ".challenges[0].on": "consent.changed is acted on by the hub itself",
			},
		},
		{
			name: "spend keys",
			mutate: func(l *config.Loyalty) {
				l.Rules = []config.EarnRule{{
					Name: "spend", On: "order.paid",
					Spend: &config.Spend{
						Unit: "10000", Points: -1, Rounding: "round", MinOrder: "-1",
						Multipliers: []config.Multiplier{
							{Factor: "2"},
							{Categories: []string{"beans"}, Factor: "0"},
							{SKUs: []string{"MUG-01"}, Factor: "x2"},
							{SKUs: []string{"MUG-02"}},
						},
					},
				}}
			},
			want: map[string]string{
				p + ".rules[0].spend.points":                "must be positive, got -1",
				p + ".rules[0].spend.rounding":              `"round" is not one of floor, half_up, ceil`,
				p + ".rules[0].spend.min_order":             `"-1" is not a decimal number`,
				p + ".rules[0].spend.multipliers[0]":        "name the skus or categories it multiplies",
				p + ".rules[0].spend.multipliers[1].factor": `"0" must be a positive decimal number`,
				p + ".rules[0].spend.multipliers[2].factor": `"x2" is not a decimal number`,
				p + ".rules[0].spend.multipliers[3].factor": `"" is not a decimal number`,
			},
		},
		{
			name: "spend points 0 takes the default",
			mutate: func(l *config.Loyalty) {
				l.Rules[0].Spend.Points = 0
			},
		},
		{
			name: "spend values that are allowed",
			mutate: func(l *config.Loyalty) {
				s := l.Rules[0].Spend
				s.Unit, s.Rounding, s.MinOrder = "0.5", config.RoundCeil, "0.00"
				s.Multipliers = []config.Multiplier{{SKUs: []string{"A"}, Categories: []string{"b"}, Factor: "0.5"}}
			},
		},
		{
			name: "rounding half_up",
			mutate: func(l *config.Loyalty) {
				l.Rules[0].Spend.Rounding = config.RoundHalfUp
			},
		},
		{
			name: "negative pending days and caps",
			mutate: func(l *config.Loyalty) {
				r := &l.Rules[1]
				r.PendingDays = -1
				r.Caps = config.Caps{PerMemberDay: -1, PerMemberWeek: -2, PerMemberMonth: -3, PerMember: -4}
			},
			want: map[string]string{
				p + ".rules[1].pending_days":          "must not be negative, got -1",
				p + ".rules[1].caps.per_member_day":   "must not be negative, got -1",
				p + ".rules[1].caps.per_member_week":  "must not be negative, got -2",
				p + ".rules[1].caps.per_member_month": "must not be negative, got -3",
				p + ".rules[1].caps.per_member":       "must not be negative, got -4",
			},
		},
		{
			name: "schedule bounds that parse",
			mutate: func(l *config.Loyalty) {
				l.Rules[1].Schedule.From = "2026-12-01T10:00"
				l.Rules[1].Schedule.Until = "2026-12-01T10:00:30"
			},
		},
		{
			name: "schedule bounds that do not parse",
			mutate: func(l *config.Loyalty) {
				l.Rules[1].Schedule.From = "2026-13-01"
				l.Rules[1].Schedule.Until = "next week"
				l.Rules[2].Schedule.From = "01/12/2026"
				l.Rules[2].Schedule.Until = "2026-12-01 10:00"
			},
			want: map[string]string{
				p + ".rules[1].schedule.from":  `"2026-13-01" is not a date (2026-12-01) or a local date-time (2026-12-01T10:00)`,
				p + ".rules[1].schedule.until": `"next week" is not a date`,
				p + ".rules[2].schedule.from":  `"01/12/2026" is not a date`,
				p + ".rules[2].schedule.until": `"2026-12-01 10:00" is not a date`,
			},
		},
		{
			name: "until before from",
			mutate: func(l *config.Loyalty) {
				l.Rules[1].Schedule.From = "2026-12-24"
				l.Rules[1].Schedule.Until = "2026-12-01"
			},
			want: map[string]string{p + ".rules[1].schedule.until": "must be after from (2026-12-24)"},
		},
		{
			name: "until at from",
			mutate: func(l *config.Loyalty) {
				// A date alone means its midnight, so the period is empty.
				l.Rules[1].Schedule.From = "2026-12-01"
				l.Rules[1].Schedule.Until = "2026-12-01T00:00"
			},
			want: map[string]string{p + ".rules[1].schedule.until": "must be after from (2026-12-01)"},
		},
		{
			name: "only from or only until",
			mutate: func(l *config.Loyalty) {
				l.Rules[1].Schedule.Until = ""
				l.Rules[2].Schedule.Until = "2026-01-01"
			},
		},
		{
			name: "days",
			mutate: func(l *config.Loyalty) {
				l.Rules[1].Schedule.Days = []string{"mon", "Funday", "SAT", "monday", " sun "}
			},
			want: map[string]string{
				p + ".rules[1].schedule.days[1]": `"Funday" is not a weekday: mon, tue, wed, thu, fri, sat or sun`,
				p + ".rules[1].schedule.days[3]": `"monday" is not a weekday`,
			},
		},
		{
			name: "hours",
			mutate: func(l *config.Loyalty) {
				l.Rules = nil
				for i, h := range []string{
					"7-10", "07:00-25:00", "10:00-09:00", "10:00-10:00", "24:00-24:30", "07:00 - 10:00", "07:60-08:00",
					"07:00-24:00", "00:00-00:01", "23:59-24:00", "07:00-24:30",
				} {
					r := pointsRule("r" + string(rune('a'+i)))
					r.Schedule.Hours = h
					l.Rules = append(l.Rules, r)
				}
			},
			want: map[string]string{
				p + ".rules[0].schedule.hours":  `"7-10" is not a local time range such as 10:00-14:00`,
				p + ".rules[1].schedule.hours":  `"07:00-25:00" is not a local time range`,
				p + ".rules[2].schedule.hours":  `"10:00-09:00" ends before it starts`,
				p + ".rules[3].schedule.hours":  `"10:00-10:00" ends before it starts`,
				p + ".rules[4].schedule.hours":  `"24:00-24:30" is not a local time range`,
				p + ".rules[5].schedule.hours":  `"07:00 - 10:00" is not a local time range`,
				p + ".rules[6].schedule.hours":  `"07:60-08:00" is not a local time range`,
				p + ".rules[10].schedule.hours": `"07:00-24:30" is not a local time range`,
			},
		},
		{
			name:     "schedule under a bad time zone",
			timezone: "Mars/Olympus",
			mutate: func(l *config.Loyalty) {
				l.Rules[1].Schedule.Until = "2025-12-31"
			},
			want: map[string]string{
				"tenants.demo.timezone":        `"Mars/Olympus" is not a known IANA time zone`,
				p + ".rules[1].schedule.until": "must be after from (2026-01-01)",
			},
		},
		{
			name:   "expiry policy",
			mutate: func(l *config.Loyalty) { l.Expiry.Policy = "monthly" },
			want: map[string]string{
				p + ".expiry.policy": `"monthly" is not one of never, after_days, end_of_month, end_of_year`,
			},
		},
		{
			name:   "after_days without days",
			mutate: func(l *config.Loyalty) { l.Expiry = config.Expiry{Policy: config.ExpiryAfterDays} },
			want:   map[string]string{p + ".expiry.days": "must be positive with policy after_days, got 0"},
		},
		{
			name:   "after_days with negative days",
			mutate: func(l *config.Loyalty) { l.Expiry = config.Expiry{Policy: config.ExpiryAfterDays, Days: -30} },
			want:   map[string]string{p + ".expiry.days": "must be positive with policy after_days, got -30"},
		},
		{
			name:   "after_days",
			mutate: func(l *config.Loyalty) { l.Expiry = config.Expiry{Policy: config.ExpiryAfterDays, Days: 365} },
		},
		{
			name:   "end_of_month with negative months",
			mutate: func(l *config.Loyalty) { l.Expiry = config.Expiry{Policy: config.ExpiryEndOfMonth, Months: -1} },
			want:   map[string]string{p + ".expiry.months": "must not be negative, got -1"},
		},
		{
			name:   "end_of_year with negative months",
			mutate: func(l *config.Loyalty) { l.Expiry = config.Expiry{Policy: config.ExpiryEndOfYear, Months: -12} },
			want:   map[string]string{p + ".expiry.months": "must not be negative, got -12"},
		},
		{
			name:   "end_of_month of the month earned",
			mutate: func(l *config.Loyalty) { l.Expiry = config.Expiry{Policy: config.ExpiryEndOfMonth} },
		},
		{
			name:   "end_of_year",
			mutate: func(l *config.Loyalty) { l.Expiry = config.Expiry{Policy: config.ExpiryEndOfYear, Months: 12} },
		},
		{
			name: "expiry keys of another policy",
			mutate: func(l *config.Loyalty) {
				l.Expiry = config.Expiry{Policy: config.ExpiryNever, Days: 365, Months: 12, RemindDaysBefore: 7}
			},
			want: map[string]string{
				p + ".expiry.days":               "is used only with policy after_days (policy is never)",
				p + ".expiry.months":             "is used only with policies end_of_month and end_of_year (policy is never)",
				p + ".expiry.remind_days_before": "points never expire under policy never",
			},
		},
		{
			name: "spend needs an order",
			mutate: func(l *config.Loyalty) {
				l.EventTypes = []string{"review.posted"}
				l.Rules[0].On = "review.posted"
			},
			want: map[string]string{p + ".rules[0].spend": "spend-based points need an order: use on: order.paid, or fixed points"},
		},
		{
			name: "no earning on refunds",
			mutate: func(l *config.Loyalty) {
				l.Rules[1].On = "order.refunded"
			},
			want: map[string]string{p + ".rules[1].on": "order.refunded takes back the points of its order; rules cannot earn on it"},
		},
		{
			name: "tiers",
			mutate: func(l *config.Loyalty) {
				l.Tiers = config.Tiers{Basis: "visits", Window: "calendar_year", Days: 30, GraceDays: -1, Levels: []config.TierLevel{
					{Name: "Silver", Threshold: "10", Multiplier: "1"},
					{Name: "silver", Threshold: "5", Multiplier: "0"},
					{Name: "", Threshold: "lots", Multiplier: "x"},
				}}
			},
			want: map[string]string{
				p + ".tiers.basis":                `"visits" is not one of points_earned, spend`,
				p + ".tiers.days":                 "is used only with window rolling (window is calendar_year)",
				p + ".tiers.grace_days":           "must not be negative, got -1",
				p + ".tiers.levels[0].threshold":  "the first level is where every member starts: its threshold must be 0",
				p + ".tiers.levels[1].name":       `"silver" is already the name of levels[0]`,
				p + ".tiers.levels[1].threshold":  "must be above the threshold of levels[0] (10)",
				p + ".tiers.levels[1].multiplier": `"0" must be a positive decimal number`,
				p + ".tiers.levels[2].name":       "required",
				p + ".tiers.levels[2].threshold":  `"lots" is not a number`,
				p + ".tiers.levels[2].multiplier": `"x" is not a decimal number`,
			},
		},
		{
			name: "tiers without levels",
			mutate: func(l *config.Loyalty) {
				l.Tiers = config.Tiers{Window: "rolling", Days: 90}
			},
			want: map[string]string{p + ".tiers.levels": "required when tiers are configured"},
		},
		{
			name: "tiers on spend over a rolling year",
			mutate: func(l *config.Loyalty) {
				l.Tiers = config.Tiers{Basis: "spend", Levels: []config.TierLevel{
					{Name: "Member", Threshold: "0"}, {Name: "VIP", Threshold: "2500000.50", Multiplier: "1.25"},
				}}
			},
		},
		{
			name:   "negative reminder",
			mutate: func(l *config.Loyalty) { l.Expiry.RemindDaysBefore = -7 },
			want:   map[string]string{p + ".expiry.remind_days_before": "must not be negative, got -7"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			d := c.Tenants["demo"]
			if tt.timezone != "" {
				d.Timezone = tt.timezone
			}
			d.Loyalty = program()
			tt.mutate(&d.Loyalty)
			c.Tenants["demo"] = d
			c.ApplyDefaults()
			requireErrors(t, c.Validate(), tt.want)
		})
	}
}

func TestWeekday(t *testing.T) {
	tests := []struct {
		in   string
		want time.Weekday
		ok   bool
	}{
		{"mon", time.Monday, true},
		{"tue", time.Tuesday, true},
		{"wed", time.Wednesday, true},
		{"thu", time.Thursday, true},
		{"fri", time.Friday, true},
		{"sat", time.Saturday, true},
		{"sun", time.Sunday, true},
		{"SUN", time.Sunday, true},
		{" Fri ", time.Friday, true},
		{"monday", 0, false},
		{"", 0, false},
		{"1", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := config.Weekday(tt.in)
			require.Equal(t, tt.ok, ok)
			if ok {
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

func TestParseLocal(t *testing.T) {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	rome, err := time.LoadLocation("Europe/Rome")
	require.NoError(t, err)
	tests := []struct {
		in      string
		loc     *time.Location
		want    time.Time
		wantErr bool
	}{
		{in: "2026-12-01", loc: jakarta, want: time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC)},
		{in: "2026-12-01T10:00", loc: jakarta, want: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)},
		{in: "2026-12-01T10:00:30", loc: jakarta, want: time.Date(2026, 12, 1, 3, 0, 30, 0, time.UTC)},
		{in: " 2026-07-01 ", loc: rome, want: time.Date(2026, 6, 30, 22, 0, 0, 0, time.UTC)},
		{in: "2026-01-01", loc: rome, want: time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC)},
		{in: "2026-12-01T10:00Z", loc: rome, wantErr: true},
		{in: "2026-12-01 10:00", loc: rome, wantErr: true},
		{in: "2026-02-30", loc: rome, wantErr: true},
		{in: "", loc: rome, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := config.ParseLocal(tt.in, tt.loc)
			if tt.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "is not a date")
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "got %s, want %s", got.UTC(), tt.want)
		})
	}
}
