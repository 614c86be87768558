// Package loyalty is the program engine: it turns a member's events into
// ledger entries on lots of points, and into outcomes. It does no I/O: the
// store loads an Account, the program changes it, and the store writes the
// Changes in the same transaction.
package loyalty

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
)

// Program is a tenant's compiled loyalty program.
type Program struct {
	Tenant        string
	Currency      string
	AllowNegative bool
	Location      *time.Location
	RefundWait    time.Duration

	combine string
	rules   []*rule
	expiry  config.Expiry
	tiers   *tiers

	limits        limits
	challengeList []*challenge
	rewards       map[string]Reward // the catalog by id
	// referrals is the referral program, off unless enabled.
	referrals referrals
}

type rule struct {
	config.EarnRule
	when        *vm.Program
	points      *vm.Program // fixed points as an expression
	fixed       int64       // fixed points as a number
	spend       *spendRule
	from, until time.Time
	days        map[time.Weekday]bool
	hourFrom    int // minutes after midnight
	hourTo      int
}

type spendRule struct {
	unit, perUnit, minOrder *big.Rat
	rounding                Rounding
	excludeSKU, excludeCat  map[string]bool
	multipliers             []multiplier
}

type multiplier struct {
	skus, cats map[string]bool
	factor     *big.Rat
}

// exprEnv is the shape of the expression environment, checked at compile
// time: event is the event's data, member the member, program the
// program's settings.
var exprEnv = map[string]any{
	"event":   map[string]any{},
	"member":  map[string]any{},
	"program": map[string]any{},
	"type":    "",
}

// Compile checks and compiles a tenant's program. Errors are a
// config.Errors whose paths are relative to the tenant's loyalty block
// ("rules[0].when"). It expects config defaults to be applied.
func Compile(tenant string, c config.Loyalty, loc *time.Location) (*Program, error) {
	if loc == nil {
		loc = time.UTC
	}
	p := &Program{
		Tenant: tenant, Currency: c.Currency, AllowNegative: c.AllowNegative, Location: loc,
		RefundWait: c.Refunds.WaitForOrder, combine: c.Combine, expiry: c.Expiry,
	}
	var errs config.Errors
	fail := func(path, format string, args ...any) {
		errs = append(errs, &config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	for i, rc := range c.Rules {
		path := fmt.Sprintf("rules[%d]", i)
		r := &rule{EarnRule: rc}
		if rc.When != "" {
			prog, err := expr.Compile(rc.When, expr.Env(exprEnv), expr.AsBool())
			if err != nil {
				fail(path+".when", "%s", exprMessage(err))
			}
			r.when = prog
		}
		switch {
		case rc.Spend != nil:
			s, err := compileSpend(*rc.Spend)
			if err != nil {
				fail(path+".spend", "%s", err)
			}
			r.spend = s
		case strings.TrimSpace(rc.Points) != "":
			if n, ok := parseInt(rc.Points); ok {
				if n < 0 {
					fail(path+".points", "must not be negative, got %d", n)
				}
				r.fixed = n
				break
			}
			prog, err := expr.Compile(rc.Points, expr.Env(exprEnv))
			if err != nil {
				fail(path+".points", "%s", exprMessage(err))
			}
			r.points = prog
		}
		sc := rc.Schedule
		var err error
		if sc.From != "" {
			if r.from, err = config.ParseLocal(sc.From, loc); err != nil {
				fail(path+".schedule.from", "%s", err)
			}
		}
		if sc.Until != "" {
			if r.until, err = config.ParseLocal(sc.Until, loc); err != nil {
				fail(path+".schedule.until", "%s", err)
			}
		}
		if len(sc.Days) > 0 {
			r.days = map[time.Weekday]bool{}
			for _, d := range sc.Days {
				if wd, ok := config.Weekday(d); ok {
					r.days[wd] = true
				}
			}
		}
		if sc.Hours != "" {
			start, end, _ := strings.Cut(sc.Hours, "-")
			r.hourFrom, r.hourTo = minutes(start), minutes(end)
		}
		p.rules = append(p.rules, r)
	}
	chs, cerrs := compileChallenges(c.Challenges)
	errs = append(errs, cerrs...)
	p.challengeList = chs
	t, err := compileTiers(c.Tiers)
	if err != nil {
		fail("tiers", "%s", err)
	}
	p.tiers = t
	if p.referrals, err = compileReferrals(c.Referrals); err != nil {
		fail("referrals", "%s", err)
	}
	if p.limits, err = compileLimits(c.Limits); err != nil {
		fail("limits", "%s", err)
	}
	p.rewards = make(map[string]Reward, len(c.Rewards))
	for i, rc := range c.Rewards {
		errs = append(errs, config.Prefix(fmt.Sprintf("rewards[%d]", i), p.addReward(i, rc, loc))...)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

func compileSpend(s config.Spend) (*spendRule, error) {
	unit, err := ParseAmount(s.Unit)
	if err != nil || unit.Sign() <= 0 {
		return nil, fmt.Errorf("unit %q must be a positive decimal", s.Unit)
	}
	minOrder, err := ParseAmount(s.MinOrder)
	if err != nil {
		return nil, fmt.Errorf("min_order: %w", err)
	}
	r := &spendRule{
		unit: unit, perUnit: new(big.Rat).SetInt64(s.Points), minOrder: minOrder,
		excludeSKU: set(s.ExcludeSKUs), excludeCat: set(s.ExcludeCategories),
	}
	switch s.Rounding {
	case config.RoundHalfUp:
		r.rounding = HalfUp
	case config.RoundCeil:
		r.rounding = Ceil
	}
	for i, m := range s.Multipliers {
		f, err := ParseAmount(m.Factor)
		if err != nil || f.Sign() <= 0 {
			return nil, fmt.Errorf("multipliers[%d].factor %q must be a positive decimal", i, m.Factor)
		}
		r.multipliers = append(r.multipliers, multiplier{skus: set(m.SKUs), cats: set(m.Categories), factor: f})
	}
	return r, nil
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[strings.ToLower(strings.TrimSpace(x))] = true
	}
	return m
}

func parseInt(s string) (int64, bool) {
	var n int64
	_, err := fmt.Sscan(strings.TrimSpace(s), &n)
	if err != nil || fmt.Sprint(n) != strings.TrimSpace(s) {
		return 0, false
	}
	return n, true
}

func minutes(hhmm string) int {
	var h, m int
	_, _ = fmt.Sscanf(hhmm, "%d:%d", &h, &m)
	return h*60 + m
}

// exprMessage keeps the first line of expr's multi-line error.
func exprMessage(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

// activeAt reports whether the rule's schedule includes t.
func (r *rule) activeAt(t time.Time, loc *time.Location) bool {
	if !r.from.IsZero() && t.Before(r.from) {
		return false
	}
	if !r.until.IsZero() && !t.Before(r.until) {
		return false
	}
	local := t.In(loc)
	if r.days != nil && !r.days[local.Weekday()] {
		return false
	}
	if r.hourTo > 0 {
		m := local.Hour()*60 + local.Minute()
		if m < r.hourFrom || m >= r.hourTo {
			return false
		}
	}
	return true
}

// Handles reports whether the program does anything with events of type
// typ: its rules' event types, refunds and cancellations, and customers
// (customer.upserted), who become members.
func (p *Program) Handles(typ string) bool {
	switch typ {
	case event.TypeOrderRefunded, event.TypeOrderCancelled, event.TypeCustomerUpserted:
		// A customer of a shop or CRM becomes a member, or updates one.
		return true
	case event.TypeOrderPaid, event.TypeMemberJoined:
		// Either may carry a referral code.
		if p.referrals.enabled {
			return true
		}
	}
	for _, r := range p.rules {
		if r.On == typ {
			return true
		}
	}
	for _, c := range p.challengeList {
		if c.On == typ {
			return true
		}
	}
	return false
}

// Expiry returns when points earned at t expire under the program's
// policy, or nil when they never do. Dates are computed in the program's
// time zone; points expire at the end of their last day.
func (p *Program) Expiry(t time.Time) *time.Time {
	local := t.In(p.Location)
	y, m, d := local.Date()
	var at time.Time
	switch p.expiry.Policy {
	case config.ExpiryAfterDays:
		at = time.Date(y, m, d+p.expiry.Days+1, 0, 0, 0, 0, p.Location)
	case config.ExpiryEndOfMonth:
		at = time.Date(y, m+time.Month(p.expiry.Months)+1, 1, 0, 0, 0, 0, p.Location)
	case config.ExpiryEndOfYear:
		last := time.Date(y, m+time.Month(p.expiry.Months), 1, 0, 0, 0, 0, p.Location)
		at = time.Date(last.Year()+1, 1, 1, 0, 0, 0, 0, p.Location)
	default:
		return nil
	}
	return &at
}

// RemindDaysBefore is how many days before expiry points.expiring fires; 0
// when reminders are off.
func (p *Program) RemindDaysBefore() int { return p.expiry.RemindDaysBefore }

// periodKeys returns the cap counter keys of rule name at t: per day, per
// week (from Monday) and per month in the program's zone, and for all time.
func (p *Program) periodKeys(name string, t time.Time) (day, week, month, all string) {
	local := t.In(p.Location)
	monday := local.AddDate(0, 0, -((int(local.Weekday()) + 6) % 7))
	return name + ":d:" + local.Format("2006-01-02"),
		name + ":w:" + monday.Format("2006-01-02"),
		name + ":m:" + local.Format("2006-01"),
		name + ":all"
}
