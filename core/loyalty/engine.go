package loyalty

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
)

// ErrOrderNotFound is returned for a refund or cancellation of an order
// the program has not seen (yet).
var ErrOrderNotFound = errors.New("order not found")

// ErrBadEvent wraps an event the program cannot use; retrying it cannot
// help.
var ErrBadEvent = errors.New("bad event")

// Apply runs one event against the account: earning rules for any event
// type they are written for, reversals for order.refunded and
// order.cancelled. A member created by this event (a.New) emits
// member.joined and also runs the member.joined rules first; what they give
// is reported in the same points.earned as the event's own points, so a
// new member's first purchase makes one points.earned. The account must
// hold the member; for order events, a.Order is the stored order or nil.
//
// An event beyond the program's limits (an order total above
// loyalty.limits.max_order_total or negative, points above max_points, a
// member holding more than max_points) fails with ErrLimit and ErrBadEvent.
func (p *Program) Apply(a *Account, ev event.Event) error {
	before := held(a.Member)
	if err := p.apply(a, ev); err != nil {
		return err
	}
	if err := p.qualify(a, ev.OccurredAt); err != nil {
		return err
	}
	if err := p.checkHeld(a, before); err != nil {
		return err
	}
	a.mergeEarned()
	return nil
}

func (p *Program) apply(a *Account, ev event.Event) error {
	if a.New {
		a.emit(OutcomeMemberJoined, map[string]any{"event_id": ev.ID})
	}
	if err := p.link(a, ev); err != nil {
		return err
	}
	if a.New && ev.Type != event.TypeMemberJoined {
		joined := event.Event{
			ID: event.DerivedID("ev_", ev.ID, "joined"), Tenant: ev.Tenant, Type: event.TypeMemberJoined,
			OccurredAt: ev.OccurredAt, Data: json.RawMessage(`{}`),
		}
		if err := p.earn(a, joined, nil); err != nil {
			return err
		}
	}
	switch ev.Type {
	case event.TypeOrderPaid:
		var o event.OrderPaid
		if err := json.Unmarshal(ev.Data, &o); err != nil {
			return fmt.Errorf("%w: order.paid data: %v", ErrBadEvent, err)
		}
		return p.orderPaid(a, ev, o)
	case event.TypeOrderRefunded, event.TypeOrderCancelled:
		var r event.OrderRefunded
		if err := json.Unmarshal(ev.Data, &r); err != nil {
			return fmt.Errorf("%w: %s data: %v", ErrBadEvent, ev.Type, err)
		}
		return p.reverse(a, ev, r)
	case event.TypeMemberJoined:
		// A member joins once: a join event for a member who exists
		// already (created by an earlier sale, say) earns nothing.
		if !a.New {
			return nil
		}
		return p.earn(a, ev, nil)
	default:
		return p.earn(a, ev, nil)
	}
}

func (p *Program) orderPaid(a *Account, ev event.Event, o event.OrderPaid) error {
	if o.OrderID == "" {
		return fmt.Errorf("%w: order.paid without order_id", ErrBadEvent)
	}
	total, err := ParseAmount(o.Total)
	if err != nil {
		return fmt.Errorf("%w: order %s total: %v", ErrBadEvent, o.OrderID, err)
	}
	if err := p.checkTotal(o.OrderID, total); err != nil {
		return err
	}
	if a.Order != nil {
		// The same order paid again under another event id: points were
		// given for it already.
		return nil
	}
	a.Order = &Order{
		ID: o.OrderID, MemberID: a.Member.ID, EventID: ev.ID,
		Total: decimalString(total), Refunded: "0", Currency: strings.ToUpper(o.Currency),
	}
	a.NewOrder = true
	if p.Currency != "" && o.Currency != "" && !strings.EqualFold(o.Currency, p.Currency) {
		// Points in another currency would mean something else.
		return nil
	}
	if err := p.earn(a, ev, &orderInput{order: o, total: total}); err != nil {
		return err
	}
	p.referralOrder(a, ev, o.OrderID, total)
	return nil
}

type orderInput struct {
	order event.OrderPaid
	total *big.Rat
}

type candidate struct {
	rule   *rule
	points int64
	why    string
}

// env is the expression environment of an event: its data, the member and
// the program.
func (p *Program) env(a *Account, ev event.Event) (map[string]any, error) {
	var data map[string]any
	if len(ev.Data) > 0 {
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			return nil, fmt.Errorf("%w: %s data is not a JSON object: %v", ErrBadEvent, ev.Type, err)
		}
	}
	return map[string]any{
		"event": data, "type": ev.Type,
		"member": map[string]any{
			"id": a.Member.ID, "phone": a.Member.Phone, "name": a.Member.Name, "email": a.Member.Email,
			"balance": a.Member.Balance, "pending": a.Member.Pending, "new": a.New, "tier": a.Member.Tier.Name,
		},
		"program": map[string]any{"tenant": p.Tenant, "currency": p.Currency},
	}, nil
}

// earn runs the challenges and the rules written for ev.Type and records
// the points they give.
func (p *Program) earn(a *Account, ev event.Event, order *orderInput) error {
	env, err := p.env(a, ev)
	if err != nil {
		return err
	}
	if err := p.challenges(a, ev, env); err != nil {
		return err
	}
	var matched []candidate
	for _, r := range p.rules {
		if r.On != ev.Type || !r.activeAt(ev.OccurredAt, p.Location) {
			continue
		}
		if r.when != nil {
			ok, err := expr.Run(r.when, env)
			if err != nil {
				return fmt.Errorf("%w: rule %s: when: %v", ErrBadEvent, r.Name, err)
			}
			if ok != true {
				continue
			}
		}
		pts, why, err := p.rulePoints(r, env, order, a.Member)
		if err != nil {
			return err
		}
		if err := p.checkPoints("rule "+r.Name, pts); err != nil {
			return err
		}
		matched = append(matched, candidate{rule: r, points: pts, why: why})
		if p.combine == config.CombineFirstMatch {
			break
		}
	}
	if len(matched) == 0 {
		return nil
	}
	if err := p.applyCaps(a, ev, matched); err != nil {
		return err
	}
	if p.combine == config.CombineBestOf {
		best := matched[0]
		for _, c := range matched[1:] {
			if c.points > best.points {
				best = c
			}
		}
		matched = []candidate{best}
	}

	var earned, pending int64
	var rules, pendingRules []string
	var activates *time.Time
	for _, c := range matched {
		if c.points <= 0 {
			continue
		}
		lot := &Lot{
			ID: LotID(p.Tenant, ev.ID, c.rule.Name), MemberID: a.Member.ID, Rule: c.rule.Name,
			EventID: ev.ID, Points: c.points, Remaining: c.points, Status: LotActive,
			EarnedAt: ev.OccurredAt, ExpiresAt: p.Expiry(ev.OccurredAt),
		}
		e := Entry{
			Kind: EntryEarn, Points: c.points, LotID: lot.ID, EventID: ev.ID, Rule: c.rule.Name,
			Reason: c.why, At: ev.OccurredAt,
		}
		if order != nil {
			lot.OrderID, e.OrderID = order.order.OrderID, order.order.OrderID
		}
		if c.rule.PendingDays > 0 {
			at := p.activation(ev.OccurredAt, c.rule.PendingDays)
			lot.Status, lot.ActivatesAt, activates = LotPending, &at, &at
			e.Kind, e.Points, e.PendingPoints = EntryPending, 0, c.points
			e.Reason += fmt.Sprintf("; held until %s (returns window of %d days)", at.In(p.Location).Format("2006-01-02"), c.rule.PendingDays)
			pending += c.points
			pendingRules = append(pendingRules, c.rule.Name)
		} else {
			earned += c.points
			rules = append(rules, c.rule.Name)
		}
		a.addLot(lot, e)
		p.countCapped(a, c.rule, ev.OccurredAt, c.points)
	}
	data := map[string]any{"points": earned, "rules": rules}
	if order != nil {
		data["order_id"] = order.order.OrderID
	}
	if earned > 0 {
		a.emit(OutcomePointsEarned, data)
	}
	if pending > 0 {
		a.emit(OutcomePointsPending, map[string]any{"points": pending, "rules": pendingRules, "activates_at": activates.UTC(), "order_id": data["order_id"]})
	}
	return nil
}

// activation is when points held for days after t become available: the
// start of the local day after the window.
func (p *Program) activation(t time.Time, days int) time.Time {
	y, m, d := t.In(p.Location).Date()
	return time.Date(y, m, d+days+1, 0, 0, 0, 0, p.Location)
}

// rulePoints computes what one rule gives, before caps.
func (p *Program) rulePoints(r *rule, env map[string]any, order *orderInput, m Member) (int64, string, error) {
	if r.spend == nil {
		if r.points == nil {
			return r.fixed, fmt.Sprintf("%s: %d points", r.Name, r.fixed), nil
		}
		out, err := expr.Run(r.points, env)
		if err != nil {
			return 0, "", fmt.Errorf("%w: rule %s: points: %v", ErrBadEvent, r.Name, err)
		}
		if f, isFloat := out.(float64); isFloat && f == math.Trunc(f) && f >= 1<<53 {
			return 0, "", limitError("rule %s: %s points is above loyalty.limits.max_points (%d)",
				r.Name, strconv.FormatFloat(f, 'f', -1, 64), p.limits.maxPoints)
		}
		n, ok := integral(out)
		if !ok || n < 0 {
			return 0, "", fmt.Errorf("%w: rule %s: points gave %v, not a non-negative integer", ErrBadEvent, r.Name, out)
		}
		return n, fmt.Sprintf("%s: %d points (%s)", r.Name, n, r.Points), nil
	}
	if order == nil {
		return 0, "", fmt.Errorf("%w: rule %s is spend-based but %s carries no order", ErrBadEvent, r.Name, r.On)
	}
	return r.spend.points(r.Name, order, p.tierMultiplier(m), p.limits)
}

func integral(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	}
	return 0, false
}

// points computes a spend rule: points × spend / unit, where spend is the
// order total without excluded lines; matching lines are multiplied. Lines
// count in proportion when their amounts add up to more than the spend (an
// order-level discount).
func (s *spendRule) points(name string, in *orderInput, tierFactor *big.Rat, lim limits) (int64, string, error) {
	o := in.order
	if in.total.Cmp(s.minOrder) < 0 {
		return 0, fmt.Sprintf("%s: order total %s is below the minimum %s", name, o.Total, s.minOrder.FloatString(2)), nil
	}
	spend := new(big.Rat).Set(in.total)
	included := new(big.Rat)
	type line struct {
		amount *big.Rat
		factor *big.Rat
	}
	var lines []line
	var excluded []string
	for i, it := range o.Items {
		amt, err := lineAmount(it)
		if err != nil {
			return 0, "", fmt.Errorf("%w: order %s items[%d]: %v", ErrBadEvent, o.OrderID, i, err)
		}
		sku, cat := strings.ToLower(it.SKU), strings.ToLower(it.Category)
		if s.excludeSKU[sku] || s.excludeCat[cat] {
			spend.Sub(spend, amt)
			excluded = append(excluded, it.SKU)
			continue
		}
		included.Add(included, amt)
		for _, m := range s.multipliers {
			if m.skus[sku] || m.cats[cat] {
				lines = append(lines, line{amount: amt, factor: m.factor})
				break
			}
		}
	}
	if spend.Sign() < 0 {
		spend.SetInt64(0)
	}
	rate := new(big.Rat).Quo(s.perUnit, s.unit)
	raw := new(big.Rat).Mul(spend, rate)
	scale := proportion(spend, included)
	for _, l := range lines {
		extra := new(big.Rat).Sub(l.factor, big.NewRat(1, 1))
		extra.Mul(extra, l.amount).Mul(extra, scale).Mul(extra, rate)
		raw.Add(raw, extra)
	}
	raw.Mul(raw, tierFactor)
	if raw.Cmp(new(big.Rat).SetInt64(lim.maxPoints)) > 0 {
		return 0, "", limitError("rule %s: order %s earns %s points, above loyalty.limits.max_points (%d)",
			name, o.OrderID, raw.FloatString(0), lim.maxPoints)
	}
	pts := Round(raw, s.rounding)
	why := fmt.Sprintf("%s: %d points on a spend of %s (%s per %s)", name, pts, spend.FloatString(2), s.perUnit.RatString(), s.unit.FloatString(2))
	if tierFactor.Cmp(big.NewRat(1, 1)) != 0 {
		why += fmt.Sprintf("; ×%s for the member's tier", decimalString(tierFactor))
	}
	if len(excluded) > 0 {
		why += "; excluded " + strings.Join(excluded, ", ")
	}
	if len(lines) > 0 {
		why += fmt.Sprintf("; %d line(s) multiplied", len(lines))
	}
	return pts, why, nil
}

func lineAmount(it event.OrderItem) (*big.Rat, error) {
	if it.Total != "" {
		return ParseAmount(it.Total)
	}
	if it.Price == "" {
		return new(big.Rat), nil
	}
	price, err := ParseAmount(it.Price)
	if err != nil {
		return nil, err
	}
	qty := big.NewRat(1, 1)
	if it.Quantity != "" {
		if qty, err = ParseAmount(it.Quantity); err != nil {
			return nil, err
		}
	}
	return price.Mul(price, qty), nil
}

// applyCaps lowers each candidate to what its caps still allow.
func (p *Program) applyCaps(a *Account, ev event.Event, cs []candidate) error {
	var keys []string
	for _, c := range cs {
		if capped(c.rule) {
			day, week, month, all := p.periodKeys(c.rule.Name, ev.OccurredAt)
			keys = append(keys, day, week, month, all)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	used := map[string]int64{}
	if a.Counters != nil {
		var err error
		if used, err = a.Counters(keys); err != nil {
			return fmt.Errorf("reading cap counters: %w", err)
		}
	}
	for i := range cs {
		c := &cs[i]
		if !capped(c.rule) {
			continue
		}
		day, week, month, all := p.periodKeys(c.rule.Name, ev.OccurredAt)
		caps := c.rule.Caps
		for _, k := range []struct {
			key   string
			limit int64
			name  string
		}{{day, caps.PerMemberDay, "day"}, {week, caps.PerMemberWeek, "week"}, {month, caps.PerMemberMonth, "month"}, {all, caps.PerMember, "member"}} {
			if k.limit == 0 {
				continue
			}
			left := max(k.limit-used[k.key]-a.counters[k.key], 0)
			if c.points > left {
				c.why += fmt.Sprintf("; capped from %d to %d by the per-%s cap of %d", c.points, left, k.name, k.limit)
				c.points = left
			}
		}
	}
	return nil
}

// countCapped adds points to the counters of the rule's caps. A rule
// without caps counts nothing: a cap counts what its rule earns from the
// moment it is configured.
func (p *Program) countCapped(a *Account, r *rule, at time.Time, points int64) {
	if !capped(r) {
		return
	}
	day, week, month, all := p.periodKeys(r.Name, at)
	caps := r.Caps
	for _, k := range []struct {
		key   string
		limit int64
	}{{day, caps.PerMemberDay}, {week, caps.PerMemberWeek}, {month, caps.PerMemberMonth}, {all, caps.PerMember}} {
		if k.limit > 0 {
			a.count(k.key, points)
		}
	}
}

func capped(r *rule) bool {
	c := r.Caps
	return c.PerMemberDay > 0 || c.PerMemberWeek > 0 || c.PerMemberMonth > 0 || c.PerMember > 0
}

// reverse takes back the points of a refunded or cancelled order in
// proportion to the amount refunded so far.
func (p *Program) reverse(a *Account, ev event.Event, r event.OrderRefunded) error {
	if r.OrderID == "" {
		return fmt.Errorf("%w: %s without order_id", ErrBadEvent, ev.Type)
	}
	if a.Order == nil {
		return fmt.Errorf("%w: %s", ErrOrderNotFound, r.OrderID)
	}
	total, err := ParseAmount(a.Order.Total)
	if err != nil {
		return fmt.Errorf("stored order %s total: %w", r.OrderID, err)
	}
	refunded, err := ParseAmount(a.Order.Refunded)
	if err != nil {
		return fmt.Errorf("stored order %s refunded: %w", r.OrderID, err)
	}
	if ev.Type == event.TypeOrderCancelled {
		refunded.Set(total)
	} else {
		if r.Currency != "" && a.Order.Currency != "" && !strings.EqualFold(r.Currency, a.Order.Currency) {
			return fmt.Errorf("%w: refund of order %s is in %s, the order in %s", ErrBadEvent, r.OrderID, r.Currency, a.Order.Currency)
		}
		amount, err := ParseAmount(r.Amount)
		if err != nil || amount.Sign() < 0 {
			return fmt.Errorf("%w: refund of order %s: amount %q is not a non-negative decimal", ErrBadEvent, r.OrderID, r.Amount)
		}
		refunded.Add(refunded, amount)
		if refunded.Cmp(total) > 0 {
			refunded.Set(total)
		}
	}
	a.Order.Refunded = decimalString(refunded)
	share := proportion(refunded, total)

	var fromBalance, fromPending, forgiven int64
	for _, l := range a.Lots {
		if l.OrderID != r.OrderID || l.EventID != a.Order.EventID {
			continue
		}
		target := Round(new(big.Rat).Mul(new(big.Rat).SetInt64(l.Points), share), Floor)
		delta := target - l.Reversed
		if delta <= 0 {
			continue
		}
		l.Reversed += delta
		a.touch(l)
		e := Entry{
			Kind: EntryReverse, LotID: l.ID, OrderID: r.OrderID, RefEventID: l.EventID, EventID: ev.ID,
			Rule: l.Rule, At: ev.OccurredAt,
		}
		switch l.Status {
		case LotPending:
			k := min(delta, l.Remaining)
			l.Remaining -= k
			if l.Remaining == 0 {
				l.Status = LotCancelled
			}
			e.PendingPoints = -k
			e.Reason = fmt.Sprintf("%s of order %s refunded: %d pending points cancelled", FormatAmount(refunded, a.Order.Currency), r.OrderID, k)
			fromPending += k
		case LotActive:
			k := min(delta, l.Remaining)
			l.Remaining -= k
			k += a.consume(delta - k)
			short := delta - k
			e.Points = -k
			e.Reason = fmt.Sprintf("%s of order %s refunded: %d points taken back", FormatAmount(refunded, a.Order.Currency), r.OrderID, delta)
			if short > 0 && p.AllowNegative {
				// A debt goes no deeper than max_points; the rest is forgiven.
				owed := min(short, max(room(a.Member.Balance, -k, p.limits.maxPoints), 0))
				e.Points -= owed
				e.Reason += fmt.Sprintf("; %d of them were spent already and are owed", owed)
				if owed < short {
					forgiven += short - owed
					e.Reason += fmt.Sprintf("; %d forgiven, as a debt stops at loyalty.limits.max_points (%d)", short-owed, p.limits.maxPoints)
				}
			} else if short > 0 {
				forgiven += short
				e.Reason += fmt.Sprintf("; %d of them were spent already and are forgiven", short)
			}
			fromBalance -= e.Points
		default:
			e.Reason = fmt.Sprintf("%s of order %s refunded: its %d points had %s already", FormatAmount(refunded, a.Order.Currency), r.OrderID, delta, l.Status)
			forgiven += delta
		}
		a.append(e)
	}
	p.referralReversed(a, r.OrderID)
	a.emit(OutcomePointsReversed, map[string]any{
		"points": fromBalance, "pending": fromPending, "forgiven": forgiven,
		"order_id": r.OrderID, "refunded": FormatAmount(refunded, a.Order.Currency),
	})
	return nil
}

// ActivateDue makes the pending lots due at now available, recording the
// entries under eventID.
func (p *Program) ActivateDue(a *Account, eventID string, now time.Time) {
	var total int64
	for _, l := range a.all() {
		if l.Status != LotPending || l.ActivatesAt == nil || l.ActivatesAt.After(now) {
			continue
		}
		n := l.Remaining
		l.Status = LotActive
		e := Entry{
			Kind: EntryActivate, Points: n, PendingPoints: -n, LotID: l.ID, OrderID: l.OrderID,
			EventID: eventID, Rule: l.Rule, At: now,
			Reason: fmt.Sprintf("returns window of %s ended", l.Rule),
		}
		if a.Member.Balance < 0 {
			l.Remaining -= min(l.Remaining, debt(a.Member))
		}
		a.touch(l)
		a.append(e)
		total += n
	}
	if total > 0 {
		a.emit(OutcomePointsActivated, map[string]any{"points": total})
	}
	p.referralActivated(a, eventID, now)
}

// ExpireDue expires the points of the lots due at now.
func (p *Program) ExpireDue(a *Account, eventID string, now time.Time) {
	var total int64
	for _, l := range a.all() {
		if l.Status != LotActive || l.ExpiresAt == nil || l.ExpiresAt.After(now) || l.Remaining == 0 {
			continue
		}
		n := l.Remaining
		l.Remaining, l.Status = 0, LotExpired
		a.touch(l)
		a.append(Entry{
			Kind: EntryExpire, Points: -n, LotID: l.ID, OrderID: l.OrderID, EventID: eventID, Rule: l.Rule, At: now,
			Reason: fmt.Sprintf("%d points earned on %s expired", n, l.EarnedAt.In(p.Location).Format("2006-01-02")),
		})
		total += n
	}
	if total > 0 {
		a.emit(OutcomePointsExpired, map[string]any{"points": total})
	}
}

// Adjust records a manual correction: positive points become a new lot,
// negative points are consumed first-to-expire first. A deduction beyond
// the balance fails unless the program allows a negative balance.
func (p *Program) Adjust(a *Account, eventID string, points int64, reason string, now time.Time) error {
	return p.AdjustAs(a, eventID, points, reason, "", now)
}

// AdjustAs is Adjust recording who made the correction, and emits
// points.adjusted.
//
// Points beyond loyalty.limits.max_points either way, or an adjustment that
// leaves the member holding more than max_points or owing more, fail with
// ErrLimit and ErrBadEvent.
func (p *Program) AdjustAs(a *Account, eventID string, points int64, reason, actor string, now time.Time) error {
	before := held(a.Member)
	if points == 0 {
		return fmt.Errorf("%w: an adjustment of 0 points", ErrBadEvent)
	}
	if err := p.checkPoints("an adjustment", points); err != nil {
		return err
	}
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("%w: an adjustment needs a reason", ErrBadEvent)
	}
	e := Entry{Kind: EntryAdjust, Points: points, EventID: eventID, Reason: reason, Actor: actor, At: now}
	if points > 0 {
		l := &Lot{
			ID: LotID(p.Tenant, eventID, "adjust"), MemberID: a.Member.ID, Rule: "adjust", EventID: eventID,
			Points: points, Remaining: points, Status: LotActive, EarnedAt: now, ExpiresAt: p.Expiry(now),
		}
		e.LotID = l.ID
		a.addLot(l, e)
	} else {
		if -points > max(a.Member.Balance, 0) && !p.AllowNegative {
			return fmt.Errorf("%w: deducting %d from a balance of %d", ErrInsufficientPoints, -points, a.Member.Balance)
		}
		if room(a.Member.Balance, points, p.limits.maxPoints) < 0 {
			return limitError("deducting %d from a balance of %d leaves a debt beyond loyalty.limits.max_points (%d)",
				-points, a.Member.Balance, p.limits.maxPoints)
		}
		a.consume(-points)
		a.append(e)
	}
	if err := p.checkHeld(a, before); err != nil {
		return err
	}
	a.emit(OutcomePointsAdjusted, map[string]any{"points": points, "reason": reason})
	return nil
}

// RemindExpiring announces the member's points that expire at expiresAt:
// it emits points.expiring with their total and marks the lots announced.
// A date is announced once per member: points earned later with the same
// expiry date are marked without a second announcement.
func (p *Program) RemindExpiring(a *Account, expiresAt time.Time) {
	var total int64
	announced := false
	var fresh []*Lot
	for _, l := range a.all() {
		if l.Status != LotActive || l.Remaining == 0 || l.ExpiresAt == nil || !l.ExpiresAt.Equal(expiresAt) {
			continue
		}
		if l.Reminded {
			announced = true
			continue
		}
		fresh = append(fresh, l)
		total += l.Remaining
	}
	for _, l := range fresh {
		l.Reminded = true
		a.touch(l)
	}
	if total > 0 && !announced {
		last := expiresAt.In(p.Location).Add(-time.Nanosecond)
		a.emit(OutcomePointsExpiring, map[string]any{
			"points": total, "expires_at": expiresAt.UTC(), "last_day": last.Format("2006-01-02"),
		})
	}
}
