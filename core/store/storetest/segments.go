package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/segment"
	"github.com/loyalhub/loyalhub/core/store"
)

// testSegments saves, replaces, lists and deletes segments per tenant.
func testSegments(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant, other := newTenant(), newTenant()
	_, err := s.Segment(ctx, tenant, "gold")
	require.ErrorIs(t, err, store.ErrNotFound)

	gold := segment.Segment{Name: "gold", Description: "Gold members", Condition: `tier == "gold"`}
	saved, err := s.SaveSegment(ctx, tenant, gold, at(0))
	require.NoError(t, err)
	assert.Equal(t, gold, saved.Segment)
	assert.True(t, at(0).Equal(saved.CreatedAt))
	assert.True(t, at(0).Equal(saved.UpdatedAt))
	_, err = s.SaveSegment(ctx, tenant, segment.Segment{Name: "active", Condition: `visits(30) > 0`}, at(5))
	require.NoError(t, err)
	_, err = s.SaveSegment(ctx, other, segment.Segment{Name: "gold", Condition: `true`}, at(5))
	require.NoError(t, err)

	gold.Condition, gold.Description = `tier == "gold" && opted_in`, ""
	saved, err = s.SaveSegment(ctx, tenant, gold, at(10))
	require.NoError(t, err)
	assert.Equal(t, gold, saved.Segment, "saving again replaces")
	assert.True(t, at(0).Equal(saved.CreatedAt), "replacing keeps the creation time")
	assert.True(t, at(10).Equal(saved.UpdatedAt))
	got, err := s.Segment(ctx, tenant, "gold")
	require.NoError(t, err)
	assert.Equal(t, saved, got)

	list, err := s.Segments(ctx, tenant)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, []string{"active", "gold"}, []string{list[0].Name, list[1].Name}, "by name")

	require.NoError(t, s.DeleteSegment(ctx, tenant, "gold"))
	require.ErrorIs(t, s.DeleteSegment(ctx, tenant, "gold"), store.ErrNotFound)
	_, err = s.Segment(ctx, tenant, "gold")
	require.ErrorIs(t, err, store.ErrNotFound)
	kept, err := s.Segment(ctx, other, "gold")
	require.NoError(t, err, "tenants are apart")
	assert.Equal(t, "true", kept.Condition)
}

// testScanMembers reads every member of a tenant, a page at a time, with
// each fact a scan asks for: consent, lifetime order stats less refunds,
// spend and visits in windows, and points expiring within horizons (not
// those expired already). Orders take the store's clock's time.
func testScanMembers(t *testing.T, s store.Store, c *testClock) {
	ctx := context.Background()
	tenant := newTenant()
	const day = 24 * time.Hour
	now := clockTime
	p := SpendProgram(t, tenant, func(l *config.Loyalty) {
		l.Expiry = config.Expiry{Policy: config.ExpiryAfterDays, Days: 35}
		l.Tiers = config.Tiers{Basis: config.TierBasisPoints, Window: config.TierWindowRolling, Days: 365, Levels: []config.TierLevel{
			{Name: "Silver", Threshold: "0", Multiplier: "1"}, {Name: "Gold", Threshold: "10000", Multiplier: "1"},
		}}
	})
	phoneA, phoneB, phoneC := "+62817"+randDigits(7), "+62818"+randDigits(7), "+62819"+randDigits(7)
	sale := func(order, phone, total string, when time.Time) loyalty.Member {
		c.set(when)
		res, err := counted(s, p, orderEvent(tenant, order, phone, total, when),
			store.AccountRef{Phone: phone, OrderID: order, Create: true, Birthday: "04-12"}, nil)
		require.NoError(t, err)
		return res.Member
	}
	a := sale("A1", phoneA, "100000", now.Add(-100*day)) // expired at -65 days
	sale("A2", phoneA, "50000", now.Add(-10*day))        // 5000 points expire at +25 days
	c.set(now.Add(-9 * day))
	_, err := counted(s, p, refundEvent(tenant, "A2", "r1", "10000", now.Add(-9*day)), store.AccountRef{OrderID: "A2"}, nil)
	require.NoError(t, err)
	b := sale("B1", phoneB, "20000.50", now.Add(-45*day)) // expired at -10 days
	c.set(now.Add(-3 * day))
	res, err := s.Transact(ctx, tenant, "join-c", store.AccountRef{Phone: phoneC, Create: true}, now.Add(-3*day),
		func(*loyalty.Account) error { return nil })
	require.NoError(t, err)
	cm := res.Member
	// Another tenant's member is never scanned.
	other := SpendProgram(t, newTenant(), nil)
	_, err = counted(s, other, orderEvent(other.Tenant, "X1", phoneA, "999", now), store.AccountRef{Phone: phoneA, OrderID: "X1", Create: true}, nil)
	require.NoError(t, err)
	c.set(now)
	_, err = s.UpdateContact(ctx, tenant, store.ContactRef{Phone: phoneA}, member.SetConsent(member.ConsentOptedIn, "test", now))
	require.NoError(t, err)
	_, err = s.UpdateContact(ctx, tenant, store.ContactRef{Phone: phoneB}, member.SetConsent(member.ConsentOptedOut, "test", now))
	require.NoError(t, err)

	scan := func(q store.MemberScan) map[string]store.MemberFacts {
		t.Helper()
		out := map[string]store.MemberFacts{}
		var last string
		require.NoError(t, s.ScanMembers(ctx, tenant, q, func(f store.MemberFacts) error {
			assert.Greater(t, f.Member.ID, last, "in the order of ids")
			last = f.Member.ID
			f.Spend, f.Visits, f.Expiring = clone(f.Spend), clone(f.Visits), clone(f.Expiring)
			out[f.Member.ID] = f
			return nil
		}))
		return out
	}
	all := segment.Needs{Consent: true, Orders: true, Windows: []int{30, 90, 120}, Expiring: []int{7, 30}}
	for _, size := range []int{0, 1, 2} {
		got := scan(store.MemberScan{Needs: all, Now: now, PageSize: size})
		require.Len(t, got, 3, "page size %d", size)

		fa := got[a.ID]
		assert.Equal(t, phoneA, fa.Member.Phone)
		assert.Equal(t, "Gold", fa.Member.Tier.Name)
		assert.Equal(t, "04-12", fa.Member.Birthday)
		assert.EqualValues(t, 14000, fa.Member.Balance)
		assert.Equal(t, member.ConsentOptedIn, fa.Consent)
		assert.EqualValues(t, 2, fa.Orders)
		assert.InDelta(t, 140000, fa.TotalSpend, 0.001, "totals less refunds")
		assert.True(t, now.Add(-10*day).Equal(fa.LastPurchaseAt), "%v", fa.LastPurchaseAt)
		assert.Equal(t, map[int]float64{30: 40000, 90: 40000, 120: 140000}, fa.Spend)
		assert.Equal(t, map[int]int64{30: 1, 90: 1, 120: 2}, fa.Visits)
		assert.Equal(t, map[int]int64{7: 0, 30: 4000}, fa.Expiring)

		fb := got[b.ID]
		assert.Equal(t, member.ConsentOptedOut, fb.Consent)
		assert.Equal(t, "Silver", fb.Member.Tier.Name)
		assert.EqualValues(t, 1, fb.Orders)
		assert.InDelta(t, 20000.5, fb.TotalSpend, 0.001)
		assert.Equal(t, map[int]float64{30: 0, 90: 20000.5, 120: 20000.5}, fb.Spend)
		assert.Equal(t, map[int]int64{30: 0, 90: 1, 120: 1}, fb.Visits)
		assert.Equal(t, map[int]int64{7: 0, 30: 0}, fb.Expiring, "points expired already are not expiring")

		fc := got[cm.ID]
		assert.Equal(t, "", fc.Consent, "no contact")
		assert.Zero(t, fc.Orders)
		assert.Zero(t, fc.TotalSpend)
		assert.True(t, fc.LastPurchaseAt.IsZero())
		assert.Equal(t, map[int]float64{30: 0, 90: 0, 120: 0}, fc.Spend)
		assert.Equal(t, map[int]int64{7: 0, 30: 0}, fc.Expiring)
		assert.True(t, now.Add(-3*day).Equal(fc.Member.CreatedAt))
	}

	// Facts not asked for are not read.
	bare := scan(store.MemberScan{Now: now})
	require.Len(t, bare, 3)
	assert.Equal(t, "", bare[a.ID].Consent)
	assert.Zero(t, bare[a.ID].Orders)
	assert.EqualValues(t, 14000, bare[a.ID].Member.Balance)
	windowsOnly := scan(store.MemberScan{Needs: segment.Needs{Windows: []int{30}}, Now: now})
	assert.Equal(t, map[int]float64{30: 40000}, windowsOnly[a.ID].Spend)
	expiringOnly := scan(store.MemberScan{Needs: segment.Needs{Expiring: []int{30}}, Now: now})
	assert.Equal(t, map[int]int64{30: 4000}, expiringOnly[a.ID].Expiring)

	stop := errors.New("stop")
	calls := 0
	err = s.ScanMembers(ctx, tenant, store.MemberScan{Needs: all, Now: now, PageSize: 1}, func(store.MemberFacts) error {
		calls++
		return stop
	})
	require.ErrorIs(t, err, stop, "fn's error ends the scan")
	assert.Equal(t, 1, calls)

	none := 0
	require.NoError(t, s.ScanMembers(ctx, newTenant(), store.MemberScan{Needs: all, Now: now}, func(store.MemberFacts) error {
		none++
		return nil
	}))
	assert.Zero(t, none)
}

func clone[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return nil
	}
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ProfileWriter stores a member's profile columns as an adapter keeps
// them (tags a JSON array, attributes a JSON object), straight into its
// database: nothing in store.Store writes a profile of its own.
type ProfileWriter func(t *testing.T, memberID string, p member.Profile)

// RunScanProfiles checks that a member scan reads members' profiles as
// write stored them, and reads a member without one as empty. s is a
// migrated store on the database write writes to.
func RunScanProfiles(t *testing.T, s store.Store, write ProfileWriter) {
	ctx := context.Background()
	tenant := newTenant()
	join := func(phone string) string {
		res, err := s.Transact(ctx, tenant, "join-"+phone, store.AccountRef{Phone: phone, Create: true}, base,
			func(*loyalty.Account) error { return nil })
		require.NoError(t, err)
		return res.Member.ID
	}
	full, bare := join("+62817"+randDigits(7)), join("+62818"+randDigits(7))
	profile := member.Profile{Source: "shopify", Store: "jkt-01", City: "Jakarta", Language: "id",
		Tags: []string{"vip", "staff"}, Attributes: map[string]any{"segment": "b2b", "employees": 40.0, "active": true}}
	write(t, full, profile)
	got := map[string]member.Profile{}
	require.NoError(t, s.ScanMembers(ctx, tenant, store.MemberScan{Now: base}, func(f store.MemberFacts) error {
		assert.Equal(t, tenant, f.Member.Tenant)
		got[f.Member.ID] = f.Member.Profile
		return nil
	}))
	require.Len(t, got, 2)
	assert.Equal(t, profile, got[full])
	assert.Equal(t, member.Profile{}, got[bare], "a member without a profile")
}

// testScanMembersWrites writes to the store from a scan's fn, as a
// campaign queueing its messages does: the scan holds nothing a write
// waits for.
func testScanMembersWrites(t *testing.T, s store.Store) {
	tenant := newTenant()
	for i := range 3 {
		_, err := s.Transact(context.Background(), tenant, fmt.Sprintf("join-%d", i),
			store.AccountRef{Phone: "+62819" + randDigits(7), Create: true}, base, func(*loyalty.Account) error { return nil })
		require.NoError(t, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seen := 0
	require.NoError(t, s.ScanMembers(ctx, tenant, store.MemberScan{Now: base, PageSize: 2,
		Needs: segment.Needs{Consent: true, Orders: true}}, func(f store.MemberFacts) error {
		seen++
		_, err := s.SaveSegment(ctx, tenant, segment.Segment{Name: fmt.Sprintf("s%d", seen), Condition: "true"}, base)
		return err
	}))
	assert.Equal(t, 3, seen)
	saved, err := s.Segments(ctx, tenant)
	require.NoError(t, err)
	assert.Len(t, saved, 3)
}

// testScanMembersMerged: a member without a phone is scanned with none,
// and once merged into another, only the one it was merged into is.
func testScanMembersMerged(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 0, false)
	phone := "+62813" + randDigits(7)
	chat, err := Credit(ctx, s, tenant, "ev_chat_"+tenant, phone, 40)
	require.NoError(t, err)
	ev, ref := shopOrder(tenant, "S-1", "", "9001", "", "1000", at(0))
	shop, err := apply(ctx, s, p, ev, ref)
	require.NoError(t, err)
	scan := func() map[string]string {
		phones := map[string]string{}
		require.NoError(t, s.ScanMembers(ctx, tenant, store.MemberScan{Now: at(100), Needs: segment.Needs{Consent: true, Orders: true}},
			func(f store.MemberFacts) error {
				phones[f.Member.ID] = f.Member.Phone
				return nil
			}))
		return phones
	}
	assert.Equal(t, map[string]string{chat.Member.ID: phone, shop.Member.ID: ""}, scan())

	ev, ref = shopOrder(tenant, "S-2", phone, "9001", "", "100", at(20))
	merged, err := apply(ctx, s, p, ev, ref)
	require.NoError(t, err)
	require.Equal(t, []string{shop.Member.ID}, merged.Merged)
	assert.Equal(t, map[string]string{chat.Member.ID: phone}, scan(), "the merged member is left out")
}
