package config

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"
)

// Loyalty is the tenant's program: how events earn points, how long points
// live and how reversals treat points already spent.
type Loyalty struct {
	// Currency is the ISO 4217 code of the program's money amounts. Orders
	// in another currency earn nothing. Empty: any currency.
	Currency string `koanf:"currency"`
	// AllowNegative lets a reversal take a balance below zero when the
	// points it reverses were spent already. Default false: the part that
	// cannot be taken back is forgiven and the entry says so.
	AllowNegative bool `koanf:"allow_negative"`
	// Combine is how the rules that match one event add up: "stack" (all
	// of them, default), "best_of" (only the one giving most points) or
	// "first_match" (only the first, in the order written).
	Combine string `koanf:"combine"`
	// Rules are the earning rules, in order.
	Rules []EarnRule `koanf:"rules"`
	// EventTypes are the event types the tenant's own mappings emit
	// besides the hub's (loyalhub validate lists those), such as
	// store.visited: rules and challenges may earn on them. Default none.
	EventTypes []string `koanf:"event_types"`
	// Expiry is when earned points expire.
	Expiry Expiry `koanf:"expiry"`
	// Refunds bounds how long a refund waits for its order.
	Refunds Refunds `koanf:"refunds"`
	// Tiers are the program's levels; none by default.
	Tiers Tiers `koanf:"tiers"`
	// Challenges give bonus points and badges for repeated events.
	Challenges []Challenge `koanf:"challenges"`
	// Rewards are the catalog members redeem points for.
	Rewards []Reward `koanf:"rewards"`
	// Referrals reward members who bring new members; off by default.
	Referrals Referrals `koanf:"referrals"`
	// Limits bound order totals and points (see Limits for the defaults).
	Limits Limits `koanf:"limits"`
}

// EarnRule turns one event type into points.
type EarnRule struct {
	// Name identifies the rule; it is kept on every entry it produces.
	Name string `koanf:"name"`
	// Names are what members see of the rule in the chat's points answer,
	// per language ("id": "Belanja di outlet"). None by default: a rule
	// without a name in the member's language shows as points earned, in
	// that language.
	Names map[string]string `koanf:"names"`
	// On is the event type, such as order.paid or member.joined.
	On string `koanf:"on"`
	// When is an optional expr condition over event, member and program.
	When string `koanf:"when"`
	// Spend makes the rule spend-based (order events only).
	Spend *Spend `koanf:"spend"`
	// Points is a fixed amount: an integer, or an expr expression over
	// event, member and program that yields an integer. Exactly one of
	// spend and points is set.
	Points string `koanf:"points"`
	// PendingDays holds the points for a returns window before they can be
	// spent. 0: available at once.
	PendingDays int `koanf:"pending_days"`
	// Schedule limits the rule to a period, days of the week and hours,
	// in the tenant's time zone.
	Schedule Schedule `koanf:"schedule"`
	// Caps bound the points the rule gives.
	Caps Caps `koanf:"caps"`
}

// Spend is a spend-based amount: points × spend / unit, rounded.
type Spend struct {
	// Unit is the spend, a decimal in the currency's major unit, that earns
	// Points. Required.
	Unit string `koanf:"unit"`
	// Points per unit. Default 1.
	Points int64 `koanf:"points"`
	// Rounding of the result: "floor" (default), "half_up" or "ceil".
	Rounding string `koanf:"rounding"`
	// MinOrder is the least order total that earns, a decimal. Default 0.
	MinOrder string `koanf:"min_order"`
	// ExcludeSKUs and ExcludeCategories remove matching lines from the
	// spend.
	ExcludeSKUs       []string `koanf:"exclude_skus"`
	ExcludeCategories []string `koanf:"exclude_categories"`
	// Multipliers multiply the points of matching lines.
	Multipliers []Multiplier `koanf:"multipliers"`
}

// Multiplier multiplies the points earned on the order lines it matches
// (by SKU or by category).
type Multiplier struct {
	SKUs       []string `koanf:"skus"`
	Categories []string `koanf:"categories"`
	// Factor is a positive decimal, such as "2" or "1.5".
	Factor string `koanf:"factor"`
}

// Schedule limits when a rule applies. Every field is optional.
type Schedule struct {
	// From and Until are dates ("2026-12-01") or local date-times
	// ("2026-12-01T10:00") in the tenant's time zone. Until is exclusive;
	// a date alone means its midnight.
	From  string `koanf:"from"`
	Until string `koanf:"until"`
	// Days are weekdays: mon, tue, wed, thu, fri, sat, sun.
	Days []string `koanf:"days"`
	// Hours is a local time range "HH:MM-HH:MM"; the end is exclusive.
	Hours string `koanf:"hours"`
}

// Caps bound the points a rule gives; 0 means no cap.
type Caps struct {
	// Per member and calendar period, in the tenant's time zone (weeks
	// start on Monday).
	PerMemberDay   int64 `koanf:"per_member_day"`
	PerMemberWeek  int64 `koanf:"per_member_week"`
	PerMemberMonth int64 `koanf:"per_member_month"`
	// PerMember bounds the member's points from the rule over all time.
	PerMember int64 `koanf:"per_member"`
}

// Expiry is when earned points expire.
type Expiry struct {
	// Policy: "never" (default), "after_days" (Days after earning),
	// "end_of_month" (the end of the month Months after earning) or
	// "end_of_year" (the end of the year Months after earning).
	Policy string `koanf:"policy"`
	Days   int    `koanf:"days"`
	Months int    `koanf:"months"`
	// RemindDaysBefore emits points.expiring this many days before points
	// expire, once per member and expiry date. 0: no reminder.
	RemindDaysBefore int `koanf:"remind_days_before"`
}

// Refunds bounds how long a refund or cancellation waits for its order.
type Refunds struct {
	// WaitForOrder is how long a refund whose order has not been seen yet
	// is retried before it is dead-lettered. Default 10m.
	WaitForOrder time.Duration `koanf:"wait_for_order"`
}

// Values of the loyalty enumerations.
const (
	CombineStack      = "stack"
	CombineBestOf     = "best_of"
	CombineFirstMatch = "first_match"

	RoundFloor  = "floor"
	RoundHalfUp = "half_up"
	RoundCeil   = "ceil"

	ExpiryNever      = "never"
	ExpiryAfterDays  = "after_days"
	ExpiryEndOfMonth = "end_of_month"
	ExpiryEndOfYear  = "end_of_year"

	DefaultRefundWait = 10 * time.Minute
)

func (l *Loyalty) applyDefaults() {
	setString(&l.Combine, CombineStack)
	setString(&l.Expiry.Policy, ExpiryNever)
	setDuration(&l.Refunds.WaitForOrder, DefaultRefundWait)
	l.Tiers.applyDefaults()
	applyChallengeDefaults(l.Challenges)
	l.Currency = strings.ToUpper(strings.TrimSpace(l.Currency))
	for i := range l.Rules {
		if s := l.Rules[i].Spend; s != nil {
			setString(&s.Rounding, RoundFloor)
			setInt64(&s.Points, 1)
			setString(&s.MinOrder, "0")
		}
	}
}

var (
	currencyPattern  = regexp.MustCompile(`^[A-Z]{3}$`)
	eventTypePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
	hoursPattern     = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$`)
	weekdays         = map[string]time.Weekday{
		"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
		"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	}
)

// Weekday parses a weekday name as written in schedules ("mon").
func Weekday(s string) (time.Weekday, bool) {
	d, ok := weekdays[strings.ToLower(strings.TrimSpace(s))]
	return d, ok
}

// ParseLocal parses a schedule bound: a date or a local date-time, in loc.
func ParseLocal(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2026-12-01) or a local date-time (2026-12-01T10:00)", s)
}

func (v *validator) loyalty(base string, l Loyalty, loc *time.Location) {
	if l.Currency != "" && !currencyPattern.MatchString(l.Currency) {
		v.add(base+".currency", "%q is not an ISO 4217 currency code, such as IDR", l.Currency)
	}
	v.oneOf(base+".combine", l.Combine, CombineStack, CombineBestOf, CombineFirstMatch)
	v.positiveDuration(base+".refunds.wait_for_order", l.Refunds.WaitForOrder)

	seen := map[string]int{}
	for i, r := range l.Rules {
		p := fmt.Sprintf("%s.rules[%d]", base, i)
		switch {
		case !idPattern.MatchString(r.Name):
			v.add(p+".name", "%q must be lower-case letters, digits, _ or - (it is kept on every ledger entry)", r.Name)
		default:
			if j, dup := seen[r.Name]; dup {
				v.add(p+".name", "%q is already the name of rules[%d]", r.Name, j)
			}
			seen[r.Name] = i
		}
		v.names(p+".names", r.Names)
		if !eventTypePattern.MatchString(r.On) {
			v.add(p+".on", "%q is not an event type, such as order.paid or member.joined", r.On)
		}
		v.knownEventType(p+".on", r.On, l.EventTypes)
		switch {
		case r.Spend == nil && strings.TrimSpace(r.Points) == "":
			v.add(p, "set either spend (points per amount spent) or points (a fixed amount)")
		case r.Spend != nil && strings.TrimSpace(r.Points) != "":
			v.add(p, "set only one of spend and points")
		case r.Spend != nil:
			if r.On != "order.paid" {
				v.add(p+".spend", "spend-based points need an order: use on: order.paid, or fixed points")
			}
			v.spend(p+".spend", *r.Spend)
		}
		if r.On == "order.refunded" || r.On == "order.cancelled" {
			v.add(p+".on", "%s takes back the points of its order; rules cannot earn on it", r.On)
		}
		if r.PendingDays < 0 {
			v.add(p+".pending_days", "must not be negative, got %d", r.PendingDays)
		}
		v.schedule(p+".schedule", r.Schedule, loc)
		for _, c := range []struct {
			key string
			n   int64
		}{
			{"per_member", r.Caps.PerMember}, {"per_member_day", r.Caps.PerMemberDay},
			{"per_member_month", r.Caps.PerMemberMonth}, {"per_member_week", r.Caps.PerMemberWeek},
		} {
			if c.n < 0 {
				v.add(p+".caps."+c.key, "must not be negative, got %d", c.n)
			}
		}
	}

	v.tiers(base+".tiers", l.Tiers)
	v.eventTypes(base+".event_types", l.EventTypes)
	v.challenges(base+".challenges", l.Challenges, l.EventTypes)

	e, p := l.Expiry, base+".expiry"
	v.oneOf(p+".policy", e.Policy, ExpiryNever, ExpiryAfterDays, ExpiryEndOfMonth, ExpiryEndOfYear)
	switch e.Policy {
	case ExpiryAfterDays:
		if e.Days <= 0 {
			v.add(p+".days", "must be positive with policy after_days, got %d", e.Days)
		}
	case ExpiryEndOfMonth, ExpiryEndOfYear:
		if e.Months < 0 {
			v.add(p+".months", "must not be negative, got %d", e.Months)
		}
	}
	validPolicy := e.Policy == ExpiryNever || e.Policy == ExpiryAfterDays || e.Policy == ExpiryEndOfMonth || e.Policy == ExpiryEndOfYear
	if e.Days != 0 && validPolicy && e.Policy != ExpiryAfterDays {
		v.add(p+".days", "is used only with policy after_days (policy is %s)", e.Policy)
	}
	if e.Months != 0 && validPolicy && e.Policy != ExpiryEndOfMonth && e.Policy != ExpiryEndOfYear {
		v.add(p+".months", "is used only with policies end_of_month and end_of_year (policy is %s)", e.Policy)
	}
	if e.RemindDaysBefore != 0 && e.Policy == ExpiryNever {
		v.add(p+".remind_days_before", "points never expire under policy never")
	}
	if e.RemindDaysBefore < 0 {
		v.add(p+".remind_days_before", "must not be negative, got %d", e.RemindDaysBefore)
	}
	v.rewards(base+".rewards", l.Rewards)
	v.referrals(base+".referrals", l.Referrals)
	v.limits(base, l)
}

func (v *validator) spend(p string, s Spend) {
	v.decimal(p+".unit", s.Unit, true)
	if s.Points <= 0 {
		v.add(p+".points", "must be positive, got %d", s.Points)
	}
	v.oneOf(p+".rounding", s.Rounding, RoundFloor, RoundHalfUp, RoundCeil)
	v.decimal(p+".min_order", s.MinOrder, false)
	for i, m := range s.Multipliers {
		mp := fmt.Sprintf("%s.multipliers[%d]", p, i)
		if len(m.SKUs) == 0 && len(m.Categories) == 0 {
			v.add(mp, "name the skus or categories it multiplies")
		}
		v.decimal(mp+".factor", m.Factor, true)
	}
}

// decimal checks a non-negative (or, with positive, a positive) decimal.
func (v *validator) decimal(p, s string, positive bool) {
	if !decimalPattern.MatchString(s) {
		v.add(p, "%q is not a decimal number, such as \"1\" or \"1000.50\"", s)
		return
	}
	if r, ok := new(big.Rat).SetString(s); !ok || (positive && r.Sign() <= 0) {
		v.add(p, "%q must be a positive decimal number", s)
	}
}

func (v *validator) schedule(p string, s Schedule, loc *time.Location) {
	if loc == nil {
		loc = time.UTC
	}
	var from, until time.Time
	var err error
	if s.From != "" {
		if from, err = ParseLocal(s.From, loc); err != nil {
			v.add(p+".from", "%s", err)
		}
	}
	if s.Until != "" {
		if until, err = ParseLocal(s.Until, loc); err != nil {
			v.add(p+".until", "%s", err)
		}
	}
	if !from.IsZero() && !until.IsZero() && !until.After(from) {
		v.add(p+".until", "must be after from (%s)", s.From)
	}
	for i, d := range s.Days {
		if _, ok := Weekday(d); !ok {
			v.add(fmt.Sprintf("%s.days[%d]", p, i), "%q is not a weekday: mon, tue, wed, thu, fri, sat or sun", d)
		}
	}
	if s.Hours != "" {
		if !hoursPattern.MatchString(s.Hours) {
			v.add(p+".hours", "%q is not a local time range such as 10:00-14:00", s.Hours)
		} else if start, end, _ := strings.Cut(s.Hours, "-"); end <= start {
			v.add(p+".hours", "%q ends before it starts", s.Hours)
		}
	}
}

// Tiers are the program's ordered levels.
type Tiers struct {
	// Basis is what qualifies a member for a level: "points_earned"
	// (default: points earned and activated, less points reversed; not
	// adjustments) or "spend" (order totals less refunds).
	Basis string `koanf:"basis"`
	// Window is the qualification period: "rolling" (default: the last
	// Days days), "calendar_year" or "anniversary" (the membership year).
	Window string `koanf:"window"`
	// Days of a rolling window. Default 365.
	Days int `koanf:"days"`
	// GraceDays delay a downgrade after the period ends. Default 0.
	GraceDays int `koanf:"grace_days"`
	// Levels from the lowest; the first has threshold "0".
	Levels []TierLevel `koanf:"levels"`
}

// TierLevel is one level and its benefits.
type TierLevel struct {
	// Name as members see it, such as Gold. Required, unique.
	Name string `koanf:"name"`
	// Names are the level's name per language for the chat ("id": "Emas").
	// Default: Name in every language.
	Names map[string]string `koanf:"names"`
	// Threshold of the basis that reaches the level: points (an integer) or
	// spend (a decimal).
	Threshold string `koanf:"threshold"`
	// Multiplier of the points spend-based rules give members of the
	// level, a positive decimal. Default "1".
	Multiplier string `koanf:"multiplier"`
}

// Tier enumerations.
const (
	TierBasisPoints = "points_earned"
	TierBasisSpend  = "spend"

	TierWindowRolling      = "rolling"
	TierWindowCalendarYear = "calendar_year"
	TierWindowAnniversary  = "anniversary"

	DefaultTierDays = 365
)

func (t *Tiers) applyDefaults() {
	if len(t.Levels) == 0 {
		return
	}
	setString(&t.Basis, TierBasisPoints)
	setString(&t.Window, TierWindowRolling)
	if t.Window == TierWindowRolling {
		setInt(&t.Days, DefaultTierDays)
	}
	for i := range t.Levels {
		setString(&t.Levels[i].Multiplier, "1")
	}
}

func (v *validator) tiers(p string, t Tiers) {
	if len(t.Levels) == 0 {
		if t.Basis != "" || t.Window != "" || t.Days != 0 || t.GraceDays != 0 {
			v.add(p+".levels", "required when tiers are configured")
		}
		return
	}
	v.oneOf(p+".basis", t.Basis, TierBasisPoints, TierBasisSpend)
	v.oneOf(p+".window", t.Window, TierWindowRolling, TierWindowCalendarYear, TierWindowAnniversary)
	switch {
	case t.Window == TierWindowRolling && t.Days <= 0:
		v.add(p+".days", "must be positive with window rolling, got %d", t.Days)
	case t.Window != TierWindowRolling && t.Days != 0:
		v.add(p+".days", "is used only with window rolling (window is %s)", t.Window)
	}
	if t.GraceDays < 0 {
		v.add(p+".grace_days", "must not be negative, got %d", t.GraceDays)
	}
	seen := map[string]int{}
	var prev *big.Rat
	for i, l := range t.Levels {
		lp := fmt.Sprintf("%s.levels[%d]", p, i)
		name := strings.TrimSpace(l.Name)
		if name == "" {
			v.add(lp+".name", "required")
		} else if j, dup := seen[strings.ToLower(name)]; dup {
			v.add(lp+".name", "%q is already the name of levels[%d]", l.Name, j)
		} else {
			seen[strings.ToLower(name)] = i
		}
		v.names(lp+".names", l.Names)
		th, ok := new(big.Rat).SetString(strings.TrimSpace(l.Threshold))
		switch {
		case !decimalPattern.MatchString(l.Threshold) || !ok:
			v.add(lp+".threshold", "%q is not a number", l.Threshold)
		case t.Basis == TierBasisPoints && !th.IsInt():
			v.add(lp+".threshold", "%q must be a whole number of points", l.Threshold)
		case i == 0 && th.Sign() != 0:
			v.add(lp+".threshold", "the first level is where every member starts: its threshold must be 0")
		case prev != nil && th.Cmp(prev) <= 0:
			v.add(lp+".threshold", "must be above the threshold of levels[%d] (%s)", i-1, t.Levels[i-1].Threshold)
		}
		if ok {
			prev = th
		}
		v.decimal(lp+".multiplier", l.Multiplier, true)
	}
}
