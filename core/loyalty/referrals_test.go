package loyalty

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/member"
)

// referrerID and referrerCode are the referrer the test lookups know.
const (
	referrerID    = "mem_ref"
	referrerPhone = "+628122222222"
	referrerCode  = "ABCD2345"
)

// referralProgram earns 1 point per 1,000 spent (held for pendingDays) and
// gives 50 points to the referee and 100 to the referrer on a first order
// of at least 100,000, with at most two referrals per referrer a month.
func referralProgram(t *testing.T, pendingDays int) *Program {
	t.Helper()
	r := perSpend("spend", 1, "1000")
	r.PendingDays = pendingDays
	return compileProgram(t, config.Loyalty{
		Currency: "IDR", Rules: []config.EarnRule{r},
		Expiry: config.Expiry{Policy: config.ExpiryAfterDays, Days: 365},
		Referrals: config.Referrals{
			Enabled: true, RefereePoints: 50, ReferrerPoints: 100, MaxPerMonth: 2, MinOrder: "100000",
		},
	})
}

// referee returns the account of a member created by the event, whose
// lookups know referrerCode and count thisMonth referrals of its owner.
func referee(thisMonth int) *Account {
	a := newAccount()
	a.Member.ID, a.Member.Phone, a.Member.Referral.Code = "mem_new", "+628133333333", "NEWC0DE2"
	a.New = true
	a.Referrer = func(code string) (string, string, bool, error) {
		if code == referrerCode {
			return referrerID, referrerPhone, true, nil
		}
		return "", "", false, nil
	}
	a.ReferralsThisMonth = func(id string, since time.Time) (int, error) {
		if id != referrerID {
			return 0, fmt.Errorf("counted the referrals of %s", id)
		}
		if !since.Equal(local(2026, 3, 1, 0, 0)) {
			return 0, fmt.Errorf("counted since %s, not the start of the local month", since)
		}
		return thisMonth, nil
	}
	return a
}

// referredOrder is an order.paid event carrying a referral code.
func referredOrder(t *testing.T, id, orderID, total, code string, at time.Time) event.Event {
	return customEvent(t, id, event.TypeOrderPaid, at, map[string]any{
		"order_id": orderID, "phone": "+628133333333", "total": total, "currency": "IDR", "referral_code": code,
	})
}

func TestReferralLinkRules(t *testing.T) {
	at := local(2026, 3, 15, 10, 0)
	tests := []struct {
		name      string
		code      string
		setup     func(a *Account)
		thisMonth int
		reason    string // refused for this reason; empty: linked
	}{
		{name: "linked", code: referrerCode},
		{name: "linked with the code as typed", code: " abcd-2345 "},
		{name: "unknown code", code: "ZZZZ9999", reason: ReferralUnknownCode},
		{name: "not a string", code: "", reason: ReferralUnknownCode, setup: func(*Account) {}},
		{name: "own code by phone", code: referrerCode, reason: ReferralOwnCode, setup: func(a *Account) {
			a.Member.Phone = referrerPhone
		}},
		{name: "own code", code: "NEWC0DE2", reason: ReferralOwnCode, setup: func(a *Account) {
			inner := a.Referrer
			a.Referrer = func(code string) (string, string, bool, error) {
				if code == a.Member.Referral.Code {
					return a.Member.ID, a.Member.Phone, true, nil
				}
				return inner(code)
			}
		}},
		{name: "existing member", code: referrerCode, reason: ReferralNotNewMember, setup: func(a *Account) {
			a.New = false
		}},
		{name: "cap reached", code: referrerCode, thisMonth: 2, reason: ReferralCapReached},
		{name: "under the cap", code: referrerCode, thisMonth: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := referralProgram(t, 0)
			a := referee(tt.thisMonth)
			if tt.setup != nil {
				tt.setup(a)
			}
			var ev event.Event
			if tt.name == "not a string" {
				ev = customEvent(t, "ev_join", event.TypeMemberJoined, at, map[string]any{"referral_code": 12345678})
			} else {
				ev = customEvent(t, "ev_join", event.TypeMemberJoined, at, map[string]any{"referral_code": tt.code})
			}
			require.NoError(t, p.Apply(a, ev))
			if tt.reason == "" {
				data, ok := findOutcome(a.Outcomes(), OutcomeReferralLinked)
				require.True(t, ok, "linked: %v", outcomeTypes(a.Outcomes()))
				assert.Equal(t, referrerID, data["referrer_id"])
				assert.Equal(t, member.Referral{Code: "NEWC0DE2", ReferredBy: referrerID, Status: member.ReferralLinked}, a.Member.Referral)
				return
			}
			data, ok := findOutcome(a.Outcomes(), OutcomeReferralRefused)
			require.True(t, ok, "refused: %v", outcomeTypes(a.Outcomes()))
			assert.Equal(t, tt.reason, data["reason"])
			_, linked := findOutcome(a.Outcomes(), OutcomeReferralLinked)
			assert.False(t, linked)
			assert.Empty(t, a.Member.Referral.ReferredBy, "a refused code links nothing")
			assert.Empty(t, a.Member.Referral.Status)
			assert.Empty(t, a.Entries(), "a refused code gives nothing")
		})
	}
}

func TestReferralCompletesOnFirstQualifyingOrder(t *testing.T) {
	p := referralProgram(t, 0)
	at := local(2026, 3, 15, 10, 0)

	// The joining order is below min_order: linked, not completed.
	a := referee(0)
	require.NoError(t, p.Apply(a, referredOrder(t, "ev_1", "A-1", "50000", referrerCode, at)))
	assert.Equal(t, []string{OutcomeMemberJoined, OutcomeReferralLinked, OutcomePointsEarned}, outcomeTypes(a.Outcomes()))
	assert.Equal(t, member.ReferralLinked, a.Member.Referral.Status)
	assert.Empty(t, a.Changes().FollowUps)
	assert.Equal(t, int64(50), a.Member.Balance)

	// The next order reaches it: both sides are rewarded.
	b := next(a, counterStore{})
	b.Order = nil // the store loads the order the event is about
	later := at.Add(time.Hour)
	require.NoError(t, p.Apply(b, paidEvent(t, "ev_2", later, order("A-2", "150000"))))
	assert.Equal(t, []string{OutcomePointsEarned, OutcomeReferralCompleted}, outcomeTypes(b.Outcomes()))
	data, _ := findOutcome(b.Outcomes(), OutcomeReferralCompleted)
	assert.Equal(t, "referee", data["role"])
	assert.Equal(t, referrerID, data["referrer_id"])
	assert.Equal(t, int64(50), data["points"])
	assert.Equal(t, int64(50+150+50), b.Member.Balance)
	assert.Equal(t, member.ReferralCompleted, b.Member.Referral.Status)
	lot := lotByRule(t, b, "ev_2", "referral:referee")
	assert.Equal(t, RuleReferral, lot.Rule)
	assert.Equal(t, p.Expiry(later), lot.ExpiresAt, "referral points follow the expiry policy")
	assert.Equal(t, []FollowUp{{
		MemberID: referrerID, EventID: ReferralEventID(testTenant, "mem_new"), Kind: FollowUpReferrer,
		Subject: "mem_new", At: later,
	}}, b.Changes().FollowUps)
	require.NoError(t, b.Check(false))

	// A referral completes once.
	c := next(b, counterStore{})
	c.Order = nil
	require.NoError(t, p.Apply(c, paidEvent(t, "ev_3", later.Add(time.Hour), order("A-3", "200000"))))
	assert.Equal(t, []string{OutcomePointsEarned}, outcomeTypes(c.Outcomes()))
	assert.Empty(t, c.Changes().FollowUps)
}

func TestReferralWaitsForHeldPoints(t *testing.T) {
	p := referralProgram(t, 7)
	at := local(2026, 3, 15, 10, 0)
	a := referee(0)
	require.NoError(t, p.Apply(a, referredOrder(t, "ev_1", "A-1", "100000", referrerCode, at)))
	assert.Equal(t, []string{OutcomeMemberJoined, OutcomeReferralLinked, OutcomePointsPending}, outcomeTypes(a.Outcomes()))
	assert.Equal(t, member.Referral{Code: "NEWC0DE2", ReferredBy: referrerID, Status: member.ReferralLinked, Order: "A-1"}, a.Member.Referral)
	assert.Empty(t, a.Changes().FollowUps)

	// Not yet: a sweep before the window ends changes nothing.
	b := next(a, counterStore{})
	p.ActivateDue(b, "sweep_1", at.Add(24*time.Hour))
	assert.Empty(t, b.Outcomes())

	// The window ends: the points activate and the referral completes.
	c := next(a, counterStore{})
	now := at.Add(8 * 24 * time.Hour)
	p.ActivateDue(c, "sweep_2", now)
	assert.Equal(t, []string{OutcomePointsActivated, OutcomeReferralCompleted}, outcomeTypes(c.Outcomes()))
	assert.Equal(t, int64(100+50), c.Member.Balance)
	assert.Equal(t, member.ReferralCompleted, c.Member.Referral.Status)
	assert.Empty(t, c.Member.Referral.Order)
	require.Len(t, c.Changes().FollowUps, 1)
	assert.Equal(t, now, c.Changes().FollowUps[0].At)
	require.NoError(t, c.Check(false))
}

func TestReferralOrderCancelledLetsTheNextQualify(t *testing.T) {
	p := referralProgram(t, 7)
	at := local(2026, 3, 15, 10, 0)
	a := referee(0)
	require.NoError(t, p.Apply(a, referredOrder(t, "ev_1", "A-1", "100000", referrerCode, at)))

	b := next(a, counterStore{})
	require.NoError(t, p.Apply(b, cancelEvent(t, "ev_2", "A-1", at.Add(time.Hour))))
	assert.Equal(t, member.ReferralLinked, b.Member.Referral.Status)
	assert.Empty(t, b.Member.Referral.Order, "the cancelled order no longer holds the referral")

	c := next(b, counterStore{})
	c.Order = nil
	require.NoError(t, p.Apply(c, paidEvent(t, "ev_3", at.Add(2*time.Hour), order("A-2", "120000"))))
	assert.Equal(t, "A-2", c.Member.Referral.Order, "the next qualifying order holds it")
}

func TestReferralDisabledIgnoresCodes(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{perSpend("spend", 1, "1000")}})
	assert.False(t, p.HasReferrals())
	assert.False(t, p.Handles(event.TypeMemberJoined))
	a := referee(0)
	require.NoError(t, p.Apply(a, referredOrder(t, "ev_1", "A-1", "100000", referrerCode, local(2026, 3, 15, 10, 0))))
	assert.Equal(t, []string{OutcomeMemberJoined, OutcomePointsEarned}, outcomeTypes(a.Outcomes()))
	assert.Empty(t, a.Member.Referral.ReferredBy)

	assert.True(t, referralProgram(t, 0).Handles(event.TypeMemberJoined), "a code can come with a join")
}

func TestCompleteReferralRewardsTheReferrer(t *testing.T) {
	p := referralProgram(t, 0)
	at := local(2026, 3, 15, 10, 0)
	f := FollowUp{MemberID: "mem_1", EventID: ReferralEventID(testTenant, "mem_new"), Kind: FollowUpReferrer, Subject: "mem_new", At: at}
	a := newAccount()
	require.NoError(t, p.CompleteReferral(a, f))
	assert.Equal(t, int64(100), a.Member.Balance)
	data, ok := findOutcome(a.Outcomes(), OutcomeReferralCompleted)
	require.True(t, ok)
	assert.Equal(t, "referrer", data["role"])
	assert.Equal(t, "mem_new", data["referee_id"])
	lot := lotByRule(t, a, f.EventID, "referral:referrer")
	assert.Equal(t, RuleReferral, lot.Rule)
	require.Len(t, a.Entries(), 1)
	assert.Equal(t, EntryEarn, a.Entries()[0].Kind)
	assert.Equal(t, f.EventID, a.Entries()[0].EventID)

	f.Kind = "unknown"
	assert.ErrorIs(t, p.CompleteReferral(newAccount(), f), ErrBadEvent)
}

func TestFollowUpsOfRecordedOutcomes(t *testing.T) {
	p := referralProgram(t, 0)
	at := local(2026, 3, 15, 10, 0)
	a := referee(0)
	require.NoError(t, p.Apply(a, referredOrder(t, "ev_1", "A-1", "100000", referrerCode, at)))
	want := a.Changes().FollowUps
	require.Len(t, want, 1)

	// Outcomes are recorded as JSON.
	b, err := json.Marshal(a.Outcomes())
	require.NoError(t, err)
	var recorded []Outcome
	require.NoError(t, json.Unmarshal(b, &recorded))
	got := FollowUpsOf(testTenant, a.Member.ID, recorded)
	require.Len(t, got, 1)
	assert.Equal(t, want[0].EventID, got[0].EventID)
	assert.Equal(t, want[0].MemberID, got[0].MemberID)
	assert.True(t, want[0].At.Equal(got[0].At))
	assert.Empty(t, FollowUpsOf(testTenant, "mem_x", nil))
}

func TestReferralConfig(t *testing.T) {
	tests := []struct {
		name  string
		r     config.Referrals
		paths []string
	}{
		{name: "defaults", r: config.Referrals{Enabled: true}},
		{name: "full", r: config.Referrals{Enabled: true, ReferrerPoints: 1, RefereePoints: 2, MaxPerMonth: 3, MinOrder: "10.50"}},
		{name: "negative", r: config.Referrals{ReferrerPoints: -1, RefereePoints: -1, MaxPerMonth: -1}, paths: []string{
			"tenants.demo.loyalty.referrals.referrer_points", "tenants.demo.loyalty.referrals.referee_points",
			"tenants.demo.loyalty.referrals.max_per_month",
		}},
		{name: "bad min_order", r: config.Referrals{MinOrder: "ten"}, paths: []string{"tenants.demo.loyalty.referrals.min_order"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := withDefaults(config.Loyalty{Referrals: tt.r})
			var paths []string
			for _, e := range cfg.Validate() {
				paths = append(paths, e.Path)
			}
			assert.ElementsMatch(t, tt.paths, paths)
		})
	}
}
