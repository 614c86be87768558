package loyalty

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
)

// OutcomeTierChanged is emitted when a member moves to another level.
const OutcomeTierChanged = "tier.changed"

// tiers is a compiled tier structure.
type tiers struct {
	basis, window string
	days, grace   int
	levels        []tierLevel
}

type tierLevel struct {
	name       string
	threshold  *big.Rat
	multiplier *big.Rat
}

func compileTiers(c config.Tiers) (*tiers, error) {
	if len(c.Levels) == 0 {
		return nil, nil
	}
	t := &tiers{basis: c.Basis, window: c.Window, days: c.Days, grace: c.GraceDays}
	for i, l := range c.Levels {
		th, err := ParseAmount(l.Threshold)
		if err != nil {
			return nil, fmt.Errorf("levels[%d].threshold: %w", i, err)
		}
		m, err := ParseAmount(l.Multiplier)
		if err != nil || m.Sign() <= 0 {
			return nil, fmt.Errorf("levels[%d].multiplier %q must be a positive decimal", i, l.Multiplier)
		}
		t.levels = append(t.levels, tierLevel{name: l.Name, threshold: th, multiplier: m})
	}
	return t, nil
}

// index is the position of level name, 0 (the first level) when unknown.
func (t *tiers) index(name string) int {
	for i, l := range t.levels {
		if strings.EqualFold(l.name, name) {
			return i
		}
	}
	return 0
}

// reached is the highest level whose threshold v reaches.
func (t *tiers) reached(v *big.Rat) int {
	n := 0
	for i, l := range t.levels {
		if v.Cmp(l.threshold) >= 0 {
			n = i
		}
	}
	return n
}

// HasTiers reports whether the program has levels.
func (p *Program) HasTiers() bool { return p.tiers != nil }

// windowStart is the start of the qualification window that contains at,
// for member m, in the program's zone: at less the rolling days, the
// calendar year's first day, or the last membership anniversary.
func (p *Program) windowStart(m Member, at time.Time) time.Time {
	local := at.In(p.Location)
	switch p.tiers.window {
	case config.TierWindowCalendarYear:
		return time.Date(local.Year(), 1, 1, 0, 0, 0, 0, p.Location)
	case config.TierWindowAnniversary:
		joined := m.CreatedAt.In(p.Location)
		a := time.Date(local.Year(), joined.Month(), joined.Day(), 0, 0, 0, 0, p.Location)
		if a.After(local) {
			a = a.AddDate(-1, 0, 0)
		}
		return a
	default:
		return at.AddDate(0, 0, -p.tiers.days)
	}
}

// reviewAt is when a level reached at since is reviewed: the end of the
// qualification period (the rolling days, the calendar year, the
// membership year) plus the grace days.
func (p *Program) reviewAt(m Member, since time.Time) time.Time {
	var end time.Time
	switch p.tiers.window {
	case config.TierWindowCalendarYear:
		end = time.Date(since.In(p.Location).Year()+1, 1, 1, 0, 0, 0, 0, p.Location)
	case config.TierWindowAnniversary:
		end = p.windowStart(m, since).AddDate(1, 0, 0)
	default:
		end = since.AddDate(0, 0, p.tiers.days)
	}
	return end.AddDate(0, 0, p.tiers.grace)
}

// qualification is the member's basis over the window containing at: what
// the store holds plus what this transaction added.
func (p *Program) qualification(a *Account, at time.Time) (*big.Rat, error) {
	since := p.windowStart(a.Member, at)
	v := new(big.Rat)
	if a.Qualifying != nil {
		stored, err := a.Qualifying(p.tiers.basis, since)
		if err != nil {
			return nil, fmt.Errorf("reading the tier qualification: %w", err)
		}
		v.Set(stored)
	}
	if p.tiers.basis == config.TierBasisSpend {
		if a.NewOrder && a.Order != nil {
			total, err := ParseAmount(a.Order.Total)
			if err != nil {
				return nil, err
			}
			v.Add(v, total)
		}
		return v, nil
	}
	for _, e := range a.entries {
		switch e.Kind {
		case EntryEarn, EntryActivate, EntryReverse:
			if !e.At.Before(since) {
				v.Add(v, new(big.Rat).SetInt64(e.Points))
			}
		}
	}
	return v, nil
}

// setTier moves the member to level i at now and emits tier.changed when
// the level changes.
func (p *Program) setTier(a *Account, i int, now time.Time) {
	t := &a.Member.Tier
	from := t.Name
	to := p.tiers.levels[i].name
	since := now
	t.Name, t.Since = to, &since
	t.ReviewAt = nil
	if i > 0 {
		r := p.reviewAt(a.Member, now)
		t.ReviewAt = &r
	}
	if from == "" || strings.EqualFold(from, to) {
		return
	}
	dir := "up"
	if i < p.tiers.index(from) {
		dir = "down"
	}
	a.emit(OutcomeTierChanged, map[string]any{"from": from, "to": to, "direction": dir})
}

// qualify moves the member up at once when the qualification reaches a
// higher level; a new member starts at the first level. A level set by hand
// is left alone.
func (p *Program) qualify(a *Account, now time.Time) error {
	if p.tiers == nil || a.Member.Tier.Manual {
		return nil
	}
	if a.Member.Tier.Name == "" {
		p.setTier(a, 0, now)
	}
	cur := p.tiers.index(a.Member.Tier.Name)
	if cur == len(p.tiers.levels)-1 {
		return nil
	}
	v, err := p.qualification(a, now)
	if err != nil {
		return err
	}
	if n := p.tiers.reached(v); n > cur {
		p.setTier(a, n, now)
	}
	return nil
}

// ReviewTier reviews the member's level once its review date has come: the
// member keeps the highest level the qualification over the window ending
// now reaches, which may be lower (a downgrade, emitted as tier.changed).
// A level set by hand ends at its date and is then reviewed. Before the
// review date it only moves the member up when they qualify.
func (p *Program) ReviewTier(a *Account, now time.Time) error {
	if p.tiers == nil {
		return nil
	}
	t := &a.Member.Tier
	if t.Manual {
		if t.ManualUntil == nil || t.ManualUntil.After(now) {
			return nil
		}
		t.Manual, t.ManualUntil = false, nil
		r := now
		t.ReviewAt = &r
	}
	if t.ReviewAt == nil || t.ReviewAt.After(now) {
		return p.qualify(a, now)
	}
	v, err := p.qualification(a, now)
	if err != nil {
		return err
	}
	p.setTier(a, p.tiers.reached(v), now)
	return nil
}

// SetTier sets the member's level by hand until until (nil: until set
// again); the program does not change it meanwhile. The tier.changed
// outcome names who set it and why.
func (p *Program) SetTier(a *Account, name string, until *time.Time, actor, reason string, now time.Time) error {
	if p.tiers == nil {
		return fmt.Errorf("%w: the program has no tiers", ErrBadEvent)
	}
	i := -1
	for j, l := range p.tiers.levels {
		if strings.EqualFold(l.name, name) {
			i = j
		}
	}
	if i < 0 {
		return fmt.Errorf("%w: no tier %q", ErrBadEvent, name)
	}
	if until != nil && !until.After(now) {
		return fmt.Errorf("%w: until must be in the future", ErrBadEvent)
	}
	if a.Member.Tier.Name == "" {
		p.setTier(a, 0, now)
	}
	before := len(a.outcomes)
	p.setTier(a, i, now)
	a.Member.Tier.Manual, a.Member.Tier.ManualUntil = true, until
	a.Member.Tier.ReviewAt = until
	if len(a.outcomes) > before {
		data := a.outcomes[len(a.outcomes)-1].Data
		data["manual"], data["actor"], data["reason"] = true, actor, reason
	}
	return nil
}

// tierMultiplier is the earn multiplier of the member's level.
func (p *Program) tierMultiplier(m Member) *big.Rat {
	if p.tiers == nil || m.Tier.Name == "" {
		return big.NewRat(1, 1)
	}
	return p.tiers.levels[p.tiers.index(m.Tier.Name)].multiplier
}

// TierProgress says where a member stands.
type TierProgress struct {
	Tier       string `json:"tier"`
	Basis      string `json:"basis"`
	Qualifying string `json:"qualifying"`           // the basis over the current window
	Next       string `json:"next,omitempty"`       // the next level
	Left       string `json:"left,omitempty"`       // what is left to reach it
	Multiplier string `json:"multiplier,omitempty"` // the level's earn multiplier
}

// Progress computes what is left to reach the next level, given the
// member's qualification over the current window.
func (p *Program) Progress(m Member, qualifying *big.Rat) (TierProgress, bool) {
	if p.tiers == nil {
		return TierProgress{}, false
	}
	cur := p.tiers.index(m.Tier.Name)
	tp := TierProgress{
		Tier: p.tiers.levels[cur].name, Basis: p.tiers.basis, Qualifying: decimalString(qualifying),
		Multiplier: decimalString(p.tiers.levels[cur].multiplier),
	}
	if cur+1 < len(p.tiers.levels) {
		next := p.tiers.levels[cur+1]
		left := new(big.Rat).Sub(next.threshold, qualifying)
		if left.Sign() < 0 {
			left.SetInt64(0)
		}
		tp.Next, tp.Left = next.name, decimalString(left)
	}
	return tp, true
}

// WindowStart is the start of the member's current qualification window.
func (p *Program) WindowStart(m Member, now time.Time) time.Time { return p.windowStart(m, now) }

// TierBasis is the tiers' qualification basis, empty without tiers.
func (p *Program) TierBasis() string {
	if p.tiers == nil {
		return ""
	}
	return p.tiers.basis
}
