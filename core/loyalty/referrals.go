package loyalty

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/member"
)

// Outcome types of referrals.
const (
	// OutcomeReferralLinked is emitted for a new member who joined with a
	// referral code: data has referrer_id and code.
	OutcomeReferralLinked = "referral.linked"
	// OutcomeReferralRefused is emitted when a referral code was given but
	// not accepted: data has reason (one of the Referral* reasons) and code.
	OutcomeReferralRefused = "referral.refused"
	// OutcomeReferralCompleted is emitted to both members when a referral
	// completes: data has role ("referee" or "referrer"), points, and the
	// other member's id as referrer_id or referee_id.
	OutcomeReferralCompleted = "referral.completed"
)

// Reasons a referral code is refused.
const (
	ReferralUnknownCode  = "unknown_code"   // no member of the tenant has the code
	ReferralOwnCode      = "own_code"       // the code is the member's own
	ReferralNotNewMember = "not_new_member" // the member existed before the event
	ReferralCapReached   = "cap_reached"    // the referrer linked max_per_month members this month
)

// RuleReferral is the rule name of the points referrals give.
const RuleReferral = "referral"

// FollowUpReferrer is the kind of follow-up that rewards a referrer.
const FollowUpReferrer = "referral.referrer"

// FollowUp is a transaction on another member that a committed transaction
// calls for, such as rewarding the referrer of a member whose referral
// completed. The caller runs it as event EventID on member MemberID, so
// running it twice does nothing more.
type FollowUp struct {
	MemberID string    `json:"member_id"`
	EventID  string    `json:"event_id"`
	Kind     string    `json:"kind"`
	Subject  string    `json:"subject,omitempty"` // the member who caused it: the referee
	At       time.Time `json:"at"`
}

// ReferralEventID is the id of the event that rewards the referrer of
// refereeID: a referee completes one referral, so it is rewarded once.
func ReferralEventID(tenant, refereeID string) string {
	return event.DerivedID("ev_", tenant, "referral", refereeID)
}

// referrals is the compiled referral program.
type referrals struct {
	enabled           bool
	referrer, referee int64
	maxPerMonth       int
	minOrder          *big.Rat
}

func compileReferrals(c config.Referrals) (referrals, error) {
	r := referrals{
		enabled: c.Enabled, referrer: c.ReferrerPoints, referee: c.RefereePoints,
		maxPerMonth: c.MaxPerMonth, minOrder: new(big.Rat),
	}
	if strings.TrimSpace(c.MinOrder) != "" {
		m, err := ParseAmount(c.MinOrder)
		if err != nil || m.Sign() < 0 {
			return r, fmt.Errorf("min_order %q must be a non-negative decimal", c.MinOrder)
		}
		r.minOrder = m
	}
	if r.referrer < 0 || r.referee < 0 || r.maxPerMonth < 0 {
		return r, fmt.Errorf("points and max_per_month must not be negative")
	}
	return r, nil
}

// HasReferrals reports whether new members can join with referral codes.
func (p *Program) HasReferrals() bool { return p.referrals.enabled }

// link links a new member who joined with a referral code to the code's
// owner, or records why the code was refused. Only order.paid and
// member.joined events carry codes.
func (p *Program) link(a *Account, ev event.Event) error {
	if !p.referrals.enabled || (ev.Type != event.TypeOrderPaid && ev.Type != event.TypeMemberJoined) {
		return nil
	}
	var d struct {
		Code any `json:"referral_code"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil || d.Code == nil {
		// Data that is not an object is reported by the event's own path.
		return nil
	}
	raw, ok := d.Code.(string)
	if !ok {
		raw = fmt.Sprint(d.Code)
	}
	code := member.NormalizeReferralCode(raw)
	if code == "" {
		return nil
	}
	refuse := func(reason string) {
		a.emit(OutcomeReferralRefused, map[string]any{"reason": reason, "code": code})
	}
	var (
		id, phone string
		found     bool
		err       error
	)
	if a.Referrer != nil && ok {
		if id, phone, found, err = a.Referrer(code); err != nil {
			return fmt.Errorf("looking up referral code %s: %w", code, err)
		}
	}
	switch {
	case !found:
		refuse(ReferralUnknownCode)
		return nil
	case id == a.Member.ID || phone == a.Member.Phone || code == a.Member.Referral.Code:
		refuse(ReferralOwnCode)
		return nil
	case !a.New || a.Member.Referral.ReferredBy != "":
		refuse(ReferralNotNewMember)
		return nil
	}
	if p.referrals.maxPerMonth > 0 {
		n := 0
		if a.ReferralsThisMonth != nil {
			local := ev.OccurredAt.In(p.Location)
			since := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, p.Location)
			if n, err = a.ReferralsThisMonth(id, since); err != nil {
				return fmt.Errorf("counting the referrals of %s: %w", id, err)
			}
		}
		if n >= p.referrals.maxPerMonth {
			refuse(ReferralCapReached)
			return nil
		}
	}
	a.Member.Referral.ReferredBy, a.Member.Referral.Status = id, member.ReferralLinked
	a.emit(OutcomeReferralLinked, map[string]any{"referrer_id": id, "code": code})
	return nil
}

// referralOrder completes a linked member's referral on their first order
// whose total reaches min_order, once the order's points are available: at
// once when it earned available points (or none at all), else when its
// held points activate.
func (p *Program) referralOrder(a *Account, ev event.Event, orderID string, total *big.Rat) {
	ref := &a.Member.Referral
	if ref.Status != member.ReferralLinked || ref.Order != "" || total.Cmp(p.referrals.minOrder) < 0 {
		return
	}
	available, held := false, false
	for _, e := range a.entries {
		if e.EventID != ev.ID || e.OrderID != orderID {
			continue
		}
		switch e.Kind {
		case EntryEarn:
			available = true
		case EntryPending:
			held = true
		}
	}
	if held && !available {
		ref.Order = orderID
		return
	}
	p.completeReferee(a, ev.ID, ev.OccurredAt)
}

// referralActivated completes the referral whose qualifying order's held
// points have just become available.
func (p *Program) referralActivated(a *Account, eventID string, now time.Time) {
	ref := a.Member.Referral
	if ref.Status != member.ReferralLinked || ref.Order == "" {
		return
	}
	for _, l := range a.Lots {
		if l.OrderID == ref.Order && l.Status == LotActive {
			p.completeReferee(a, eventID, now)
			return
		}
	}
}

// referralReversed lets a later order qualify when the held points of the
// qualifying order were all cancelled by refunds.
func (p *Program) referralReversed(a *Account, orderID string) {
	ref := &a.Member.Referral
	if ref.Status != member.ReferralLinked || ref.Order != orderID {
		return
	}
	for _, l := range a.Lots {
		if l.OrderID == orderID && (l.Status == LotPending || l.Status == LotActive) {
			return
		}
	}
	ref.Order = ""
}

// completeReferee rewards the referee, marks the referral completed and
// calls for the referrer's reward as a follow-up.
func (p *Program) completeReferee(a *Account, eventID string, at time.Time) {
	ref := &a.Member.Referral
	ref.Status, ref.Order = member.ReferralCompleted, ""
	pts := p.referralPoints(a, eventID, "referral:referee", p.referrals.referee, at, func(n int64) string {
		return fmt.Sprintf("%s: %d points for joining with a referral code", RuleReferral, n)
	})
	a.emit(OutcomeReferralCompleted, map[string]any{
		"role": "referee", "referrer_id": ref.ReferredBy, "points": pts, "completed_at": at.UTC(),
	})
	a.followUps = append(a.followUps, FollowUp{
		MemberID: ref.ReferredBy, EventID: ReferralEventID(p.Tenant, a.Member.ID), Kind: FollowUpReferrer,
		Subject: a.Member.ID, At: at,
	})
}

// referralPoints adds a lot of referral points, with the program's expiry,
// and returns how many it gave: no more than let the member hold
// loyalty.limits.max_points, so that a referral never fails the event or
// the follow-up that completes it. why writes the entry's reason for the
// points given.
func (p *Program) referralPoints(a *Account, eventID, part string, pts int64, at time.Time, why func(int64) string) int64 {
	pts = min(pts, max(p.limits.maxPoints-held(a.Member), 0))
	if pts <= 0 {
		return 0
	}
	lot := &Lot{
		ID: LotID(p.Tenant, eventID, part), MemberID: a.Member.ID, Rule: RuleReferral, EventID: eventID,
		Points: pts, Remaining: pts, Status: LotActive, EarnedAt: at, ExpiresAt: p.Expiry(at),
	}
	a.addLot(lot, Entry{
		Kind: EntryEarn, Points: pts, LotID: lot.ID, EventID: eventID, Rule: RuleReferral,
		Reason: why(pts), At: at,
	})
	return pts
}

// CompleteReferral runs a FollowUpReferrer on the referrer's account:
// it gives the referrer's points and emits referral.completed. The caller
// runs it as event f.EventID, which makes it happen once.
func (p *Program) CompleteReferral(a *Account, f FollowUp) error {
	if f.Kind != FollowUpReferrer {
		return fmt.Errorf("%w: follow-up of kind %q", ErrBadEvent, f.Kind)
	}
	pts := p.referralPoints(a, f.EventID, "referral:referrer", p.referrals.referrer, f.At, func(n int64) string {
		return fmt.Sprintf("%s: %d points for referring member %s", RuleReferral, n, f.Subject)
	})
	a.emit(OutcomeReferralCompleted, map[string]any{
		"role": "referrer", "referee_id": f.Subject, "points": pts, "completed_at": f.At.UTC(),
	})
	return p.qualify(a, f.At)
}

// FollowUpsOf rebuilds the follow-ups of a transaction of member memberID
// from its recorded outcomes, for a replayed event: a caller that crashed
// after the transaction committed runs them when the event comes again.
func FollowUpsOf(tenant, memberID string, outcomes []Outcome) []FollowUp {
	var out []FollowUp
	for _, o := range outcomes {
		if o.Type != OutcomeReferralCompleted || o.Data["role"] != "referee" {
			continue
		}
		referrer, _ := o.Data["referrer_id"].(string)
		if referrer == "" {
			continue
		}
		var at time.Time
		switch v := o.Data["completed_at"].(type) {
		case time.Time:
			at = v
		case string:
			at, _ = time.Parse(time.RFC3339Nano, v)
		}
		out = append(out, FollowUp{
			MemberID: referrer, EventID: ReferralEventID(tenant, memberID), Kind: FollowUpReferrer,
			Subject: memberID, At: at,
		})
	}
	return out
}
