package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// referralProgram earns 1 point per 10 spent (held for pendingDays) and
// rewards a referral with 20 points to the new member and 30 to the
// referrer, on a first order of at least 100, two referrals a month at
// most per referrer.
func referralProgram(t testing.TB, tenant string, pendingDays int) *loyalty.Program {
	t.Helper()
	p, err := loyalty.Compile(tenant, config.Loyalty{
		Combine: config.CombineStack, Expiry: config.Expiry{Policy: config.ExpiryNever},
		Refunds: config.Refunds{WaitForOrder: 10 * time.Minute},
		Rules: []config.EarnRule{{Name: "spend", On: event.TypeOrderPaid, PendingDays: pendingDays,
			Spend: &config.Spend{Unit: "10", Points: 1, Rounding: config.RoundFloor, MinOrder: "0"}}},
		Referrals: config.Referrals{Enabled: true, RefereePoints: 20, ReferrerPoints: 30, MaxPerMonth: 2, MinOrder: "100"},
	}, time.UTC)
	require.NoError(t, err)
	return p
}

// referredEvent is an order.paid event whose data carries a referral code.
func referredEvent(tenant, orderID, phone, total, code string, at time.Time) event.Event {
	data, _ := json.Marshal(map[string]any{
		"order_id": orderID, "phone": phone, "total": total, "currency": "IDR", "referral_code": code,
	})
	return event.Event{ID: event.ID(tenant, "pos", orderID), Tenant: tenant, Type: event.TypeOrderPaid, OccurredAt: at, Data: data}
}

// sale applies an order event for phone and then its follow-ups, as the
// loyalty stage does, and returns both results.
func sale(ctx context.Context, t *testing.T, s store.Store, p *loyalty.Program, ev event.Event, phone, orderID string) (store.AccountResult, []store.AccountResult) {
	t.Helper()
	res, err := apply(ctx, s, p, ev, store.AccountRef{Phone: phone, OrderID: orderID, Create: true})
	require.NoError(t, err)
	return res, followUps(ctx, t, s, p, ev.Tenant, res.FollowUps)
}

// followUps runs follow-ups each in its own transaction.
func followUps(ctx context.Context, t *testing.T, s store.Store, p *loyalty.Program, tenant string, fus []loyalty.FollowUp) []store.AccountResult {
	t.Helper()
	var out []store.AccountResult
	for _, f := range fus {
		res, err := s.Transact(ctx, tenant, f.EventID, store.AccountRef{MemberID: f.MemberID}, f.At,
			func(a *loyalty.Account) error { return p.CompleteReferral(a, f) })
		require.NoError(t, err)
		out = append(out, res)
	}
	return out
}

func outcomeData(res store.AccountResult, typ string) (map[string]any, bool) {
	for _, o := range res.Outcomes {
		if o.Type == typ {
			return o.Data, true
		}
	}
	return nil, false
}

func testReferralCodes(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 0, false)
	seen := map[string]string{}
	for i := range 20 {
		phone := fmt.Sprintf("+62812000003%02d", i)
		res, err := apply(ctx, s, p, orderEvent(tenant, fmt.Sprintf("R-%d", i), phone, "100", at(i)),
			store.AccountRef{Phone: phone, OrderID: fmt.Sprintf("R-%d", i), Create: true})
		require.NoError(t, err)
		code := res.Member.Referral.Code
		require.Len(t, code, member.ReferralCodeLength)
		for _, c := range code {
			assert.NotContains(t, "IL01O", string(c), "code %s has an ambiguous character", code)
		}
		assert.Equal(t, strings.ToUpper(code), code)
		_, dup := seen[code]
		assert.False(t, dup, "code %s is given twice", code)
		seen[code] = res.Member.ID

		m, err := s.Member(ctx, tenant, res.Member.ID)
		require.NoError(t, err)
		assert.Equal(t, code, m.Referral.Code, "the code is stored")

		// A later event keeps the code.
		again, err := apply(ctx, s, p, orderEvent(tenant, fmt.Sprintf("S-%d", i), phone, "10", at(100+i)),
			store.AccountRef{Phone: phone, OrderID: fmt.Sprintf("S-%d", i), Create: true})
		require.NoError(t, err)
		assert.Equal(t, code, again.Member.Referral.Code)
	}
}

func testReferralLinks(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := referralProgram(t, tenant, 0)
	const referrerPhone = "+6281200000400"
	ref, _ := sale(ctx, t, s, p, orderEvent(tenant, "L-0", referrerPhone, "10", at(0)), referrerPhone, "L-0")
	code := ref.Member.Referral.Code
	march := at(60)
	april := base.AddDate(0, 1, 0)

	tests := []struct {
		name   string
		phone  string
		code   string
		when   time.Time
		reason string // empty: linked
	}{
		{name: "unknown code", phone: "+6281200000401", code: "ZZZZ9999", when: march, reason: loyalty.ReferralUnknownCode},
		{name: "own code", phone: referrerPhone, code: code, when: march, reason: loyalty.ReferralOwnCode},
		{name: "first", phone: "+6281200000402", code: code, when: march},
		{name: "not a new member", phone: "+6281200000401", code: code, when: march, reason: loyalty.ReferralNotNewMember},
		{name: "second, as typed", phone: "+6281200000403", code: strings.ToLower(code[:4]) + "-" + code[4:], when: march},
		{name: "over the monthly cap", phone: "+6281200000404", code: code, when: march, reason: loyalty.ReferralCapReached},
		{name: "next month", phone: "+6281200000405", code: code, when: april},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orderID := fmt.Sprintf("L-%d", i+1)
			// Orders below min_order link without completing.
			res, _ := sale(ctx, t, s, p, referredEvent(tenant, orderID, tt.phone, "50", tt.code, tt.when), tt.phone, orderID)
			m, err := s.Member(ctx, tenant, res.Member.ID)
			require.NoError(t, err)
			if tt.reason == "" {
				data, ok := outcomeData(res, loyalty.OutcomeReferralLinked)
				require.True(t, ok)
				assert.Equal(t, ref.Member.ID, data["referrer_id"])
				assert.Equal(t, ref.Member.ID, m.Referral.ReferredBy)
				assert.Equal(t, member.ReferralLinked, m.Referral.Status)
				return
			}
			data, ok := outcomeData(res, loyalty.OutcomeReferralRefused)
			require.True(t, ok)
			assert.Equal(t, tt.reason, data["reason"])
			if tt.phone != referrerPhone {
				assert.Empty(t, m.Referral.ReferredBy)
				assert.Empty(t, m.Referral.Status)
			}
			assert.Equal(t, int64(5), res.Member.Balance-balanceBefore(t, s, tenant, m.ID, res), "only the order's own points")
		})
	}
}

// balanceBefore is the member's balance before the event of res.
func balanceBefore(t *testing.T, s store.Store, tenant, memberID string, res store.AccountResult) int64 {
	t.Helper()
	entries, err := s.Entries(context.Background(), tenant, memberID, store.MaxLimit)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	return entries[0].BalanceAfter - entries[0].Points
}

func testReferralCompletion(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := referralProgram(t, tenant, 0)
	const referrerPhone, refereePhone = "+6281200000410", "+6281200000411"
	ref, _ := sale(ctx, t, s, p, orderEvent(tenant, "C-0", referrerPhone, "10", at(0)), referrerPhone, "C-0")
	code := ref.Member.Referral.Code

	paid := referredEvent(tenant, "C-1", refereePhone, "250", code, at(60))
	res, follow := sale(ctx, t, s, p, paid, refereePhone, "C-1")
	data, ok := outcomeData(res, loyalty.OutcomeReferralCompleted)
	require.True(t, ok, "the first order completes the referral")
	assert.Equal(t, "referee", data["role"])
	assert.Equal(t, int64(25+20), res.Member.Balance)
	require.Len(t, follow, 1)
	data, ok = outcomeData(follow[0], loyalty.OutcomeReferralCompleted)
	require.True(t, ok, "the referrer's side")
	assert.Equal(t, "referrer", data["role"])
	assert.Equal(t, res.Member.ID, data["referee_id"])
	assert.Equal(t, ref.Member.ID, follow[0].Member.ID)
	assert.Equal(t, int64(1+30), follow[0].Member.Balance)

	// The order delivered again replays, and so do its follow-ups.
	again, more := sale(ctx, t, s, p, paid, refereePhone, "C-1")
	assert.True(t, again.Replayed)
	require.Len(t, more, 1, "a replay returns the follow-ups, in case they did not run")
	assert.True(t, more[0].Replayed)

	// Another qualifying order completes nothing more.
	res, follow = sale(ctx, t, s, p, orderEvent(tenant, "C-2", refereePhone, "300", at(120)), refereePhone, "C-2")
	_, ok = outcomeData(res, loyalty.OutcomeReferralCompleted)
	assert.False(t, ok)
	assert.Empty(t, follow)

	referrer, err := s.Member(ctx, tenant, ref.Member.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(31), referrer.Balance, "the referrer is rewarded once")
	referee, err := s.Member(ctx, tenant, res.Member.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(25+20+30), referee.Balance)
	assert.Equal(t, member.Referral{Code: referee.Referral.Code, ReferredBy: ref.Member.ID, Status: member.ReferralCompleted}, referee.Referral)
	checkLedger(t, s, tenant, referrer.ID, false)
	checkLedger(t, s, tenant, referee.ID, false)
}

func testReferralCompletionHeld(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := referralProgram(t, tenant, 14)
	const referrerPhone, refereePhone = "+6281200000420", "+6281200000421"
	ref, _ := sale(ctx, t, s, p, orderEvent(tenant, "H-0", referrerPhone, "10", at(0)), referrerPhone, "H-0")

	res, follow := sale(ctx, t, s, p, referredEvent(tenant, "H-1", refereePhone, "250", ref.Member.Referral.Code, at(60)), refereePhone, "H-1")
	_, ok := outcomeData(res, loyalty.OutcomeReferralCompleted)
	assert.False(t, ok, "not while the order's points are held")
	assert.Empty(t, follow)
	m, err := s.Member(ctx, tenant, res.Member.ID)
	require.NoError(t, err)
	assert.Equal(t, "H-1", m.Referral.Order)

	now := base.Add(16 * 24 * time.Hour)
	due, err := s.DueMembers(ctx, tenant, now, 10)
	require.NoError(t, err)
	require.Contains(t, due, m.ID)
	sweep := "sweep_ref"
	res, err = s.Transact(ctx, tenant, sweep, store.AccountRef{MemberID: m.ID}, now, func(a *loyalty.Account) error {
		p.ActivateDue(a, sweep, now)
		return nil
	})
	require.NoError(t, err)
	_, ok = outcomeData(res, loyalty.OutcomeReferralCompleted)
	require.True(t, ok, "the activation completes the referral")
	assert.Equal(t, int64(25+20), res.Member.Balance)
	follow = followUps(ctx, t, s, p, tenant, res.FollowUps)
	require.Len(t, follow, 1)
	assert.Equal(t, ref.Member.ID, follow[0].Member.ID)
	assert.Equal(t, int64(30), follow[0].Member.Balance, "the referrer's own order is held too")
	checkLedger(t, s, tenant, m.ID, false)
	checkLedger(t, s, tenant, ref.Member.ID, false)
}
