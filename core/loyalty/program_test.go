package loyalty

import (
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name  string
		rules []config.EarnRule
		paths []string
	}{
		{
			name:  "when is not an expression",
			rules: []config.EarnRule{{Name: "a", On: event.TypeOrderPaid, When: "event.total >", Points: "5"}},
			paths: []string{"rules[0].when"},
		},
		{
			name:  "when is not a boolean",
			rules: []config.EarnRule{{Name: "a", On: event.TypeOrderPaid, When: "1 + 1", Points: "5"}},
			paths: []string{"rules[0].when"},
		},
		{
			name:  "when names an unknown variable",
			rules: []config.EarnRule{{Name: "a", On: event.TypeOrderPaid, When: "customer.vip", Points: "5"}},
			paths: []string{"rules[0].when"},
		},
		{
			name: "points is not an expression",
			rules: []config.EarnRule{
				fixedRule("ok", event.TypeMemberJoined, "10"),
				fixedRule("bad", "review.posted", "event.stars *"),
			},
			paths: []string{"rules[1].points"},
		},
		{
			name:  "points is a negative integer",
			rules: []config.EarnRule{fixedRule("a", event.TypeMemberJoined, "-5")},
			paths: []string{"rules[0].points"},
		},
		{
			name: "spend unit is not positive",
			rules: []config.EarnRule{{Name: "a", On: event.TypeOrderPaid, Spend: &config.Spend{
				Unit: "0", Points: 1, Rounding: config.RoundFloor, MinOrder: "0",
			}}},
			paths: []string{"rules[0].spend"},
		},
		{
			name: "spend multiplier factor is not a decimal",
			rules: []config.EarnRule{{Name: "a", On: event.TypeOrderPaid, Spend: &config.Spend{
				Unit: "1000", Points: 1, Rounding: config.RoundFloor, MinOrder: "0",
				Multipliers: []config.Multiplier{{SKUs: []string{"x"}, Factor: "2x"}},
			}}},
			paths: []string{"rules[0].spend"},
		},
		{
			name: "schedule bounds are not dates",
			rules: []config.EarnRule{{
				Name: "a", On: event.TypeMemberJoined, Points: "5",
				Schedule: config.Schedule{From: "2026-13-01", Until: "next week"},
			}},
			paths: []string{"rules[0].schedule.from", "rules[0].schedule.until"},
		},
		{
			name: "every rule is checked",
			rules: []config.EarnRule{
				{Name: "a", On: event.TypeOrderPaid, When: "event.total >", Points: "5"},
				{Name: "b", On: event.TypeOrderPaid, When: "true", Points: "event.x +"},
			},
			paths: []string{"rules[0].when", "rules[1].points"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := config.Loyalty{Combine: config.CombineStack, Rules: tt.rules}
			l.Expiry.Policy = config.ExpiryNever
			p, err := Compile(testTenant, l, jakarta)
			require.Error(t, err)
			assert.Nil(t, p)
			var errs config.Errors
			require.True(t, errors.As(err, &errs), "want config.Errors, got %T", err)
			var paths []string
			for _, e := range errs {
				paths = append(paths, e.Path)
				assert.NotEmpty(t, e.Msg)
				assert.NotContains(t, e.Msg, "\n", "expr messages keep their first line")
			}
			assert.Equal(t, tt.paths, paths)
		})
	}
}

func TestCompileDefaults(t *testing.T) {
	_, l := withDefaults(config.Loyalty{
		Currency: " idr ", AllowNegative: true,
		Rules: []config.EarnRule{perSpend("spend", 1, "1000")},
	})
	p, err := Compile(testTenant, l, nil)
	require.NoError(t, err)
	assert.Equal(t, testTenant, p.Tenant)
	assert.Equal(t, "IDR", p.Currency)
	assert.True(t, p.AllowNegative)
	assert.Equal(t, time.UTC, p.Location, "a nil location is UTC")
	assert.Equal(t, config.DefaultRefundWait, p.RefundWait)
	assert.Equal(t, config.CombineStack, p.combine)
	assert.Nil(t, p.Expiry(time.Now()), "points never expire by default")
	require.Len(t, p.rules, 1)
	s := p.rules[0].spend
	require.NotNil(t, s)
	assert.Equal(t, Floor, s.rounding)
	assert.Zero(t, s.minOrder.Sign())
	assert.Zero(t, s.perUnit.Cmp(big.NewRat(1, 1)), "one point per unit by default")
}

func TestCompileIntegerPoints(t *testing.T) {
	tests := []struct {
		points string
		fixed  int64
		isExpr bool
	}{
		{"25", 25, false},
		{" 25 ", 25, false},
		{"0", 0, false},
		{"+25", 0, true},
		{"25.0", 0, true},
		{"event.stars * 10", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.points, func(t *testing.T) {
			p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{fixedRule("r", "review.posted", tt.points)}})
			r := p.rules[0]
			assert.Equal(t, tt.fixed, r.fixed)
			assert.Equal(t, tt.isExpr, r.points != nil)
		})
	}
}

func TestCompileSchedule(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{{
		Name: "weekend", On: event.TypeMemberJoined, Points: "5",
		Schedule: config.Schedule{
			From: "2026-03-01", Until: "2026-03-08T10:30", Days: []string{"Sat", " sun "}, Hours: "09:15-17:45",
		},
	}}})
	r := p.rules[0]
	assert.True(t, r.from.Equal(local(2026, 3, 1, 0, 0)))
	assert.True(t, r.until.Equal(local(2026, 3, 8, 10, 30)))
	assert.Equal(t, map[time.Weekday]bool{time.Saturday: true, time.Sunday: true}, r.days)
	assert.Equal(t, 9*60+15, r.hourFrom)
	assert.Equal(t, 17*60+45, r.hourTo)
}

func TestActiveAt(t *testing.T) {
	compileRule := func(s config.Schedule) *rule {
		p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{{
			Name: "r", On: event.TypeMemberJoined, Points: "5", Schedule: s,
		}}})
		return p.rules[0]
	}
	bounded := compileRule(config.Schedule{From: "2026-03-01", Until: "2026-03-08"})
	days := compileRule(config.Schedule{Days: []string{"sat"}})
	hours := compileRule(config.Schedule{Hours: "06:00-07:00"})
	allDay := compileRule(config.Schedule{Hours: "00:00-24:00"})
	always := compileRule(config.Schedule{})

	tests := []struct {
		name string
		r    *rule
		at   time.Time
		want bool
	}{
		{"from is inclusive", bounded, time.Date(2026, 2, 28, 17, 0, 0, 0, time.UTC), true},
		{"before from", bounded, time.Date(2026, 2, 28, 16, 59, 59, 0, time.UTC), false},
		{"last local minute", bounded, time.Date(2026, 3, 7, 16, 59, 0, 0, time.UTC), true},
		{"until is exclusive", bounded, time.Date(2026, 3, 7, 17, 0, 0, 0, time.UTC), false},
		{"saturday local is friday 23:30 utc", days, time.Date(2026, 3, 13, 23, 30, 0, 0, time.UTC), true},
		{"friday local", days, time.Date(2026, 3, 13, 16, 59, 0, 0, time.UTC), false},
		{"saturday utc is sunday local", days, time.Date(2026, 3, 14, 17, 0, 0, 0, time.UTC), false},
		{"hours are local", hours, time.Date(2026, 3, 13, 23, 30, 0, 0, time.UTC), true},
		{"hours start is inclusive", hours, local(2026, 3, 14, 6, 0), true},
		{"hours end is exclusive", hours, local(2026, 3, 14, 7, 0), false},
		{"utc hours do not count", hours, time.Date(2026, 3, 14, 6, 30, 0, 0, time.UTC), false},
		{"whole day", allDay, local(2026, 3, 14, 23, 59), true},
		{"no schedule", always, time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.r.activeAt(tt.at, jakarta))
		})
	}
}

func TestExpiry(t *testing.T) {
	tests := []struct {
		name   string
		expiry config.Expiry
		earned time.Time
		want   *time.Time
	}{
		{"never", config.Expiry{Policy: config.ExpiryNever}, local(2026, 3, 10, 12, 0), nil},
		{
			"after days ends with the last local day", config.Expiry{Policy: config.ExpiryAfterDays, Days: 30},
			local(2026, 2, 1, 3, 0), ptr(local(2026, 3, 4, 0, 0)),
		},
		{
			"after days counts from the local date", config.Expiry{Policy: config.ExpiryAfterDays, Days: 1},
			time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC), ptr(local(2026, 3, 13, 0, 0)),
		},
		{
			"end of this month", config.Expiry{Policy: config.ExpiryEndOfMonth},
			local(2026, 1, 15, 10, 0), ptr(local(2026, 2, 1, 0, 0)),
		},
		{
			"end of the month two months later", config.Expiry{Policy: config.ExpiryEndOfMonth, Months: 2},
			local(2026, 1, 31, 10, 0), ptr(local(2026, 4, 1, 0, 0)),
		},
		{
			"end of month across the year", config.Expiry{Policy: config.ExpiryEndOfMonth, Months: 1},
			local(2026, 12, 10, 10, 0), ptr(local(2027, 2, 1, 0, 0)),
		},
		{
			"end of month in the local zone", config.Expiry{Policy: config.ExpiryEndOfMonth},
			time.Date(2026, 1, 31, 18, 0, 0, 0, time.UTC), ptr(local(2026, 3, 1, 0, 0)),
		},
		{
			"end of this year", config.Expiry{Policy: config.ExpiryEndOfYear},
			local(2026, 6, 30, 10, 0), ptr(local(2027, 1, 1, 0, 0)),
		},
		{
			"end of the year six months later", config.Expiry{Policy: config.ExpiryEndOfYear, Months: 6},
			local(2026, 8, 1, 10, 0), ptr(local(2028, 1, 1, 0, 0)),
		},
		{
			"end of year in the local zone", config.Expiry{Policy: config.ExpiryEndOfYear},
			time.Date(2026, 12, 31, 18, 0, 0, 0, time.UTC), ptr(local(2028, 1, 1, 0, 0)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compileProgram(t, config.Loyalty{Expiry: tt.expiry})
			got := p.Expiry(tt.earned)
			if tt.want == nil {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.True(t, got.Equal(*tt.want), "got %s, want %s", got, tt.want)
		})
	}
}

func TestRemindDaysBefore(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Expiry: config.Expiry{Policy: config.ExpiryAfterDays, Days: 90, RemindDaysBefore: 7}})
	assert.Equal(t, 7, p.RemindDaysBefore())
	assert.Zero(t, compileProgram(t, config.Loyalty{}).RemindDaysBefore())
}

func TestPeriodKeys(t *testing.T) {
	p := compileProgram(t, config.Loyalty{})
	tests := []struct {
		name                   string
		at                     time.Time
		day, week, month, year string
	}{
		{"monday", local(2026, 3, 9, 8, 0), "r:d:2026-03-09", "r:w:2026-03-09", "r:m:2026-03", "r:all"},
		{"sunday ends the week", local(2026, 3, 15, 23, 59), "r:d:2026-03-15", "r:w:2026-03-09", "r:m:2026-03", "r:all"},
		{
			"sunday 23:30 utc is monday local", time.Date(2026, 3, 15, 23, 30, 0, 0, time.UTC),
			"r:d:2026-03-16", "r:w:2026-03-16", "r:m:2026-03", "r:all",
		},
		{
			"last utc evening of the month is the next local month", time.Date(2026, 3, 31, 20, 0, 0, 0, time.UTC),
			"r:d:2026-04-01", "r:w:2026-03-30", "r:m:2026-04", "r:all",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			day, week, month, all := p.periodKeys("r", tt.at)
			assert.Equal(t, []string{tt.day, tt.week, tt.month, tt.year}, []string{day, week, month, all})
		})
	}
}
