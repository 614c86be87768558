package segment_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/segment"
)

var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func facts() *segment.Facts {
	return &segment.Facts{
		Member: member.Member{
			ID: "m1", Balance: 500, Pending: 20, Tier: member.Tier{Name: "gold"},
			Birthday: "04-12", CreatedAt: now.AddDate(0, 0, -400),
			Profile: member.Profile{
				Source: "shopify", Store: "jkt-01", City: "Jakarta", Language: "id",
				Tags: []string{"vip", "staff"}, Attributes: map[string]any{"segment": "b2b", "employees": 40.0},
			},
		},
		Consent:        member.ConsentOptedIn,
		Orders:         7,
		TotalSpend:     830.5,
		LastPurchaseAt: now.Add(-61 * 24 * time.Hour),
		Spend:          map[int]float64{90: 120.25, 30: 0},
		Visits:         map[int]int64{90: 2, 30: 0},
		Expiring:       map[int]int64{30: 75, 7: 10},
	}
}

func TestMatch(t *testing.T) {
	never := facts()
	never.Orders, never.TotalSpend, never.LastPurchaseAt = 0, 0, time.Time{}
	unknown := facts()
	unknown.Consent, unknown.Member.Birthday, unknown.Member.Profile = "", "", member.Profile{}
	tests := []struct {
		name, condition string
		facts           *segment.Facts
		want            bool
	}{
		{"gold lapsed opted in", `tier == "gold" && days_since_purchase > 60 && opted_in`, facts(), true},
		{"not lapsed yet", `days_since_purchase > 61`, facts(), false},
		{"never bought is lapsed", `days_since_purchase > 10000`, never, true},
		{"never bought has no purchase time", `last_purchase_at.IsZero() && orders == 0`, never, true},
		{"last purchase time", `now - last_purchase_at > duration("1440h")`, facts(), true},
		{"balance and pending", `balance >= 500 && pending == 20`, facts(), true},
		{"expiring points", `expiring_points == 75 && expiring(7) == 10`, facts(), true},
		{"spend in a window", `spend(90) > 100 && visits(90) == 2 && spend(30) == 0 && visits(30) == 0`, facts(), true},
		{"lifetime", `orders == 7 && total_spend > 800`, facts(), true},
		{"profile", `store == "jkt-01" && city == "Jakarta" && language == "id" && source == "shopify"`, facts(), true},
		{"tag", `"vip" in tags`, facts(), true},
		{"missing tag", `"new" in tags`, facts(), false},
		{"no tags", `"vip" in tags`, unknown, false},
		{"attribute", `attributes.segment == "b2b" && attributes.employees > 10`, facts(), true},
		{"missing attribute", `attributes.segment == "b2b"`, unknown, false},
		{"consent", `consent == "opted_in"`, facts(), true},
		{"unknown consent", `consent == "" && !opted_in`, unknown, true},
		{"joined", `days_since_joined == 400 && joined_at < now`, facts(), true},
		{"birthday", `birthday_month == 4 && birthday == "04-12"`, facts(), true},
		{"unknown birthday", `birthday_month == 0 && birthday == ""`, unknown, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := segment.Compile(tt.condition)
			require.NoError(t, err)
			env := segment.NewEnv()
			env.Fill(tt.facts, now)
			got, err := c.Match(env)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestEnvReuse(t *testing.T) {
	c, err := segment.Compile(`spend(90) > 100`)
	require.NoError(t, err)
	env := segment.NewEnv()
	rich, poor := facts(), facts()
	poor.Spend = map[int]float64{90: 5}
	for _, tc := range []struct {
		f    *segment.Facts
		want bool
	}{{rich, true}, {poor, false}, {rich, true}} {
		env.Fill(tc.f, now)
		got, err := c.Match(env)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
	}
	var zero segment.Env // an Env not made by NewEnv works as well
	zero.Fill(rich, now)
	got, err := c.Match(&zero)
	require.NoError(t, err)
	assert.True(t, got)
}

func TestNeeds(t *testing.T) {
	tests := []struct {
		condition string
		want      segment.Needs
	}{
		{`tier == "gold" && balance > 100 && "vip" in tags`, segment.Needs{}},
		{`opted_in`, segment.Needs{Consent: true}},
		{`consent == "opted_out"`, segment.Needs{Consent: true}},
		{`days_since_purchase > 60`, segment.Needs{Orders: true}},
		{`total_spend > 1 || orders > 2 || !last_purchase_at.IsZero()`, segment.Needs{Orders: true}},
		{`spend(90) > 100 && visits(30) > 1 && spend(30) > 0`, segment.Needs{Windows: []int{30, 90}}},
		{`expiring_points > 0 || expiring(7) > 0`, segment.Needs{Expiring: []int{7, 30}}},
		{`expiring(30) > 0 && expiring_points > 0`, segment.Needs{Expiring: []int{30}}},
	}
	for _, tt := range tests {
		t.Run(tt.condition, func(t *testing.T) {
			c, err := segment.Compile(tt.condition)
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.Needs())
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ name, condition, want string }{
		{"empty", "  ", "is empty"},
		{"syntax", `tier ==`, "unexpected token"},
		{"unknown name", `points > 3`, "unknown name points"},
		{"not a bool", `balance + 1`, "expected bool"},
		{"type mismatch", `tier > 3`, "invalid operation"},
		{"days from a variable", `spend(balance) > 1`, "spend takes a number of days"},
		{"days out of range", `visits(0) > 1`, "days must be from 1 to 3650"},
		{"days too long", `expiring(4000) > 1`, "days must be from 1 to 3650"},
		{"too many windows", `spend(1) + spend(2) + spend(3) + spend(4) + spend(5) + visits(6) + visits(7) + visits(8) + visits(9) > 0`, "more than 8"},
		{"function not called", `spend == nil`, "spend takes a number of days"},
		{"too long", `balance > 1 ` + string(make([]byte, segment.MaxConditionLength)), "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := segment.Compile(tt.condition)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestValidate(t *testing.T) {
	ok := segment.Segment{Name: "gold-lapsed_60", Condition: `tier == "gold"`}
	require.NoError(t, ok.Validate())
	tests := []struct {
		name  string
		s     segment.Segment
		field string
	}{
		{"no name", segment.Segment{Condition: "true"}, "name"},
		{"upper case", segment.Segment{Name: "Gold", Condition: "true"}, "name"},
		{"space", segment.Segment{Name: "gold members", Condition: "true"}, "name"},
		{"long name", segment.Segment{Name: string(make([]byte, 65)), Condition: "true"}, "name"},
		{"no condition", segment.Segment{Name: "gold"}, "condition"},
		{"bad condition", segment.Segment{Name: "gold", Condition: "tier =="}, "condition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			var fe *segment.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.field, fe.Field)
			assert.True(t, errors.Is(err, segment.ErrInvalid))
		})
	}
}

// TestDocumentedConditions compiles and runs the conditions
// docs/segments.md shows.
func TestDocumentedConditions(t *testing.T) {
	for _, cond := range []string{
		`tier == "gold" && days_since_purchase > 60 && opted_in`,
		`spend(90) > 1000000`,
		`visits(180) >= 5 && visits(30) == 0`,
		`expiring(14) >= 100 && opted_in`,
		`birthday_month == int(now.Month())`,
		`days_since_joined <= 14 && orders == 0`,
		`attributes.segment == "b2b" && city == "Jakarta"`,
		`"vip" in tags && consent != "opted_out"`,
		`now - last_purchase_at > duration("1440h")`,
		`any(tags, # startsWith "club-")`,
		`language in ["en", "id"]`,
		`last_purchase_at.IsZero()`,
	} {
		c, err := segment.Compile(cond)
		require.NoError(t, err, cond)
		env := segment.NewEnv()
		env.Fill(facts(), now)
		_, err = c.Match(env)
		require.NoError(t, err, cond)
	}
}
