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
	"pgregory.net/rapid"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// shopOrder is an order.paid event of connector "shop" naming its customer
// by whatever of phone, customer id and email it has, and the ref the
// loyalty stage makes of it.
func shopOrder(tenant, orderID, phone, customerID, email, total string, at time.Time) (event.Event, store.AccountRef) {
	data, _ := json.Marshal(event.OrderPaid{OrderID: orderID, Phone: phone, CustomerID: customerID, Email: email,
		Total: total, Currency: "IDR"})
	ev := event.Event{ID: event.ID(tenant, "shop", orderID), Tenant: tenant, Type: event.TypeOrderPaid,
		Connector: "shop", OccurredAt: at, Data: data}
	return ev, store.AccountRef{Phone: phone, Connector: "shop", CustomerID: customerID, Email: email,
		OrderID: orderID, Create: true}
}

func customer(id string) member.Identity {
	return member.Identity{Kind: member.IdentityCustomer, Connector: "shop", Value: id}
}

func email(e string) member.Identity { return member.Identity{Kind: member.IdentityEmail, Value: e} }

// memberIDs lists every member of a tenant.
func memberIDs(t require.TestingT, s store.Store, tenant string) []string {
	ids, err := s.MemberIDs(context.Background(), tenant, "", store.MaxLimit)
	require.NoError(t, err)
	return ids
}

func testPhonelessMembers(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 0, false)

	ev, ref := shopOrder(tenant, "S-1", "", "7001", "Dewi@Example.com ", "1000", at(0))
	byCustomer, err := apply(ctx, s, p, ev, ref)
	require.NoError(t, err)
	assert.Equal(t, int64(105), byCustomer.Member.Balance, "100 for the order and 5 for joining")
	assert.Empty(t, byCustomer.Member.Phone)

	ev, ref = shopOrder(tenant, "S-2", "", "", "budi@example.com", "500", at(1))
	byEmail, err := apply(ctx, s, p, ev, ref)
	require.NoError(t, err)
	assert.NotEqual(t, byCustomer.Member.ID, byEmail.Member.ID, "two phone-less members live side by side")

	t.Run("lookups", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			id   member.Identity
			want string
		}{
			{"customer id", customer("7001"), byCustomer.Member.ID},
			{"email in another case", email("DEWI@example.com"), byCustomer.Member.ID},
			{"email only", email("budi@example.com"), byEmail.Member.ID},
			{"member id as merged", member.Identity{Kind: member.IdentityMerged, Value: "mem_nobody"}, ""},
			{"customer id of another connector", member.Identity{Kind: member.IdentityCustomer, Connector: "pos", Value: "7001"}, ""},
			{"unknown email", email("nobody@example.com"), ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				m, err := s.MemberByIdentity(ctx, tenant, tt.id)
				if tt.want == "" {
					require.ErrorIs(t, err, store.ErrNotFound)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, tt.want, m.ID)
			})
		}
		_, err := s.MemberByIdentity(ctx, newTenant(), customer("7001"))
		require.ErrorIs(t, err, store.ErrNotFound, "another tenant's customer")
	})
	t.Run("identities", func(t *testing.T) {
		m, err := s.Member(ctx, tenant, byCustomer.Member.ID)
		require.NoError(t, err)
		assert.Empty(t, m.Phone)
		assert.Equal(t, []member.Identity{customer("7001"), email("dewi@example.com")}, m.Identities)
	})
	t.Run("later orders find the member", func(t *testing.T) {
		ev, ref := shopOrder(tenant, "S-3", "", "7001", "", "200", at(2))
		res, err := apply(ctx, s, p, ev, ref)
		require.NoError(t, err)
		assert.Equal(t, byCustomer.Member.ID, res.Member.ID)
		assert.Equal(t, int64(125), res.Member.Balance)
		ev, ref = shopOrder(tenant, "S-4", "", "", "dewi@EXAMPLE.com", "100", at(3))
		res, err = apply(ctx, s, p, ev, ref)
		require.NoError(t, err)
		assert.Equal(t, byCustomer.Member.ID, res.Member.ID, "by email")
		checkLedger(t, s, tenant, res.Member.ID, false)
	})
	t.Run("refund", func(t *testing.T) {
		res, err := apply(ctx, s, p, refundEvent(tenant, "S-1", "r1", "1000", at(4)), store.AccountRef{OrderID: "S-1"})
		require.NoError(t, err)
		assert.Equal(t, byCustomer.Member.ID, res.Member.ID)
		assert.Equal(t, int64(35), res.Member.Balance, "the order's 100 points taken back")
		checkLedger(t, s, tenant, res.Member.ID, false)
	})
	t.Run("nothing to name the member by", func(t *testing.T) {
		ev, ref := shopOrder(tenant, "S-5", "", "", "not an email", "100", at(5))
		_, err := apply(ctx, s, p, ev, ref)
		require.ErrorIs(t, err, store.ErrNoMember)
		ref.Create = false
		ref.CustomerID = "7999"
		_, err = apply(ctx, s, p, ev, ref)
		require.ErrorIs(t, err, store.ErrNoMember, "without Create a new customer is not created")
	})
	t.Run("a phone is attached to a member without one", func(t *testing.T) {
		phone := "+6281200000201"
		ev, ref := shopOrder(tenant, "S-6", phone, "", "budi@example.com", "100", at(6))
		res, err := apply(ctx, s, p, ev, ref)
		require.NoError(t, err)
		assert.Equal(t, byEmail.Member.ID, res.Member.ID)
		assert.Equal(t, phone, res.Member.Phone)
		m, err := s.MemberByPhone(ctx, tenant, phone)
		require.NoError(t, err)
		assert.Equal(t, byEmail.Member.ID, m.ID)
		m, err = s.MemberByIdentity(ctx, tenant, member.Identity{Kind: member.IdentityPhone, Value: phone})
		require.NoError(t, err)
		assert.Equal(t, []member.Identity{{Kind: member.IdentityPhone, Value: phone}, email("budi@example.com")}, m.Identities)
	})
}

func testMergeMembers(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 3, 0, false)
	phone := "+6281200000202"

	// The chat member, with points of their own.
	// Lot ids are unique across tenants: event ids of credits name theirs.
	chat, err := Credit(ctx, s, tenant, "ev_chat_"+tenant, phone, 40)
	require.NoError(t, err)
	// The shop's customer without a phone: one order held for its returns
	// window, one available.
	ev1, ref1 := shopOrder(tenant, "M-1", "", "8001", "sari@example.com", "1000", at(0))
	shop, err := apply(ctx, s, p, ev1, ref1)
	require.NoError(t, err)
	ev2, ref2 := shopOrder(tenant, "M-2", "", "8001", "", "300", at(0).Add(2*24*time.Hour))
	_, err = apply(ctx, s, p, ev2, ref2)
	require.NoError(t, err)
	activate := "sweep-1"
	shop, err = s.Transact(ctx, tenant, activate, store.AccountRef{MemberID: shop.Member.ID}, at(0).Add(4*24*time.Hour),
		func(a *loyalty.Account) error {
			p.ActivateDue(a, activate, at(0).Add(4*24*time.Hour))
			return nil
		})
	require.NoError(t, err)
	require.Equal(t, int64(105), shop.Member.Balance, "order M-1 and the welcome bonus are available")
	require.Equal(t, int64(30), shop.Member.Pending, "order M-2 is held")
	lotsBefore, err := s.Lots(ctx, tenant, shop.Member.ID)
	require.NoError(t, err)

	// A later order carries the phone and the customer id: one member.
	ev3, ref3 := shopOrder(tenant, "M-3", phone, "8001", "", "100", at(20))
	merged, err := apply(ctx, s, p, ev3, ref3)
	require.NoError(t, err)
	assert.Equal(t, chat.Member.ID, merged.Member.ID, "the member with the phone survives")
	assert.Equal(t, []string{shop.Member.ID}, merged.Merged)
	assert.Equal(t, int64(40+105), merged.Member.Balance)
	assert.Equal(t, int64(30+10), merged.Member.Pending, "both held orders")
	assert.Equal(t, []string{chat.Member.ID}, memberIDs(t, s, tenant), "one member left")
	checkLedger(t, s, tenant, merged.Member.ID, false)

	t.Run("identities", func(t *testing.T) {
		m, err := s.Member(ctx, tenant, merged.Member.ID)
		require.NoError(t, err)
		assert.Equal(t, []member.Identity{
			{Kind: member.IdentityPhone, Value: phone}, customer("8001"), email("sari@example.com"),
			{Kind: member.IdentityMerged, Value: shop.Member.ID},
		}, m.Identities)
		old, err := s.Member(ctx, tenant, shop.Member.ID)
		require.NoError(t, err)
		assert.Equal(t, merged.Member.ID, old.ID, "the merged member's id finds the survivor")
		byEmail, err := s.MemberByIdentity(ctx, tenant, email("sari@example.com"))
		require.NoError(t, err)
		assert.Equal(t, merged.Member.ID, byEmail.ID)
	})
	t.Run("ledger", func(t *testing.T) {
		entries, err := s.Entries(ctx, tenant, merged.Member.ID, 0)
		require.NoError(t, err)
		var kinds []string
		for _, e := range entries {
			kinds = append(kinds, e.Kind)
		}
		assert.ElementsMatch(t, []string{loyalty.EntryAdjust, loyalty.EntryPending, loyalty.EntryEarn, loyalty.EntryPending,
			loyalty.EntryActivate, loyalty.EntryMerge, loyalty.EntryPending}, kinds)
		for _, e := range entries {
			if e.Kind == loyalty.EntryMerge {
				assert.Equal(t, int64(0), e.Points)
				assert.Equal(t, int64(145), e.BalanceAfter)
				assert.Equal(t, ev3.ID, e.EventID)
				assert.Contains(t, e.Reason, shop.Member.ID)
			}
		}
	})
	t.Run("lots moved", func(t *testing.T) {
		lots, err := s.Lots(ctx, tenant, merged.Member.ID)
		require.NoError(t, err)
		have := map[string]bool{}
		for _, l := range lots {
			have[l.ID] = true
			assert.Equal(t, merged.Member.ID, l.MemberID)
		}
		for _, l := range lotsBefore {
			assert.True(t, have[l.ID], "lot %s moved", l.ID)
		}
		left, err := s.Lots(ctx, tenant, shop.Member.ID)
		require.NoError(t, err)
		assert.Empty(t, left)
	})
	t.Run("replays", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			ev   event.Event
			ref  store.AccountRef
		}{
			{"an order of the merged member", ev1, ref1},
			{"the merging order", ev3, ref3},
			{"a sweep by the merged member's id", event.Event{ID: activate}, store.AccountRef{MemberID: shop.Member.ID}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res, err := s.Transact(ctx, tenant, tt.ev.ID, tt.ref, at(30), func(a *loyalty.Account) error {
					return p.Apply(a, tt.ev)
				})
				require.NoError(t, err)
				assert.True(t, res.Replayed)
				assert.Empty(t, res.Merged)
				assert.Equal(t, merged.Member.ID, res.Member.ID)
				assert.Equal(t, int64(145), res.Member.Balance)
			})
		}
	})
	t.Run("refund of a merged member's order", func(t *testing.T) {
		res, err := apply(ctx, s, p, refundEvent(tenant, "M-2", "r1", "300", at(40)), store.AccountRef{OrderID: "M-2"})
		require.NoError(t, err)
		assert.Equal(t, merged.Member.ID, res.Member.ID)
		assert.Equal(t, int64(10), res.Member.Pending, "the held 30 points cancelled")
		checkLedger(t, s, tenant, res.Member.ID, false)
	})
	t.Run("by the merged member's id", func(t *testing.T) {
		res, err := s.Transact(ctx, tenant, "ev_adjust_old", store.AccountRef{MemberID: shop.Member.ID}, at(50),
			func(a *loyalty.Account) error { return p.Adjust(a, "ev_adjust_old", 5, "goodwill", at(50)) })
		require.NoError(t, err)
		assert.Equal(t, merged.Member.ID, res.Member.ID)
		assert.Equal(t, int64(150), res.Member.Balance)
	})
}

func testMergeRules(t *testing.T, s store.Store) {
	ctx := context.Background()
	t.Run("two phones never merge", func(t *testing.T) {
		tenant := newTenant()
		p := program(t, tenant, 0, 0, true)
		a, b := "+6281200000203", "+6281200000204"
		ev, ref := shopOrder(tenant, "P-1", b, "", "shared@example.com", "100", at(0))
		first, err := apply(ctx, s, p, ev, ref)
		require.NoError(t, err)
		ev, ref = shopOrder(tenant, "P-2", a, "", "shared@example.com", "100", at(1))
		second, err := apply(ctx, s, p, ev, ref)
		require.NoError(t, err)
		assert.NotEqual(t, first.Member.ID, second.Member.ID)
		assert.Equal(t, a, second.Member.Phone, "the order goes to the member of its phone")
		m, err := s.MemberByIdentity(ctx, tenant, email("shared@example.com"))
		require.NoError(t, err)
		assert.Equal(t, first.Member.ID, m.ID, "the email stays with its member")
		assert.Len(t, memberIDs(t, s, tenant), 2)
	})
	t.Run("the oldest survives among members without a phone", func(t *testing.T) {
		tenant := newTenant()
		p := program(t, tenant, 0, 0, true)
		ev, ref := shopOrder(tenant, "O-1", "", "9001", "", "100", at(0))
		older, err := apply(ctx, s, p, ev, ref)
		require.NoError(t, err)
		ev, ref = shopOrder(tenant, "O-2", "", "", "late@example.com", "100", at(60))
		younger, err := apply(ctx, s, p, ev, ref)
		require.NoError(t, err)
		ev, ref = shopOrder(tenant, "O-3", "", "9001", "late@example.com", "100", at(120))
		res, err := apply(ctx, s, p, ev, ref)
		require.NoError(t, err)
		assert.Equal(t, older.Member.ID, res.Member.ID)
		assert.Equal(t, int64(3*10+2*5), res.Member.Balance, "three orders and two welcome bonuses")
		old, err := s.Member(ctx, tenant, younger.Member.ID)
		require.NoError(t, err)
		assert.Equal(t, older.Member.ID, old.ID)
		assert.True(t, at(0).Equal(old.CreatedAt))
	})
	t.Run("a phone joins two members without one", func(t *testing.T) {
		tenant := newTenant()
		p := program(t, tenant, 0, 0, true)
		phone := "+6281200000205"
		ev, ref := shopOrder(tenant, "Q-1", "", "9101", "", "100", at(0))
		_, err := apply(ctx, s, p, ev, ref)
		require.NoError(t, err)
		ev, ref = shopOrder(tenant, "Q-2", "", "", "q@example.com", "100", at(1))
		_, err = apply(ctx, s, p, ev, ref)
		require.NoError(t, err)
		chat, err := Credit(ctx, s, tenant, "ev_q_"+tenant, phone, 1)
		require.NoError(t, err)
		ev, ref = shopOrder(tenant, "Q-3", phone, "9101", "q@example.com", "100", at(2))
		res, err := apply(ctx, s, p, ev, ref)
		require.NoError(t, err)
		assert.Equal(t, chat.Member.ID, res.Member.ID)
		assert.Equal(t, int64(1+3*10+2*5), res.Member.Balance)
		assert.Equal(t, []string{chat.Member.ID}, memberIDs(t, s, tenant))
		checkLedger(t, s, tenant, res.Member.ID, true)
	})
	t.Run("a debt is paid off by the other's points", func(t *testing.T) {
		tenant := newTenant()
		p := program(t, tenant, 0, 0, true)
		phone := "+6281200000206"
		_, err := s.Transact(ctx, tenant, "ev_debt", store.AccountRef{Phone: phone, Create: true}, at(0),
			func(a *loyalty.Account) error { return p.Adjust(a, "ev_debt", -30, "owed", at(0)) })
		require.NoError(t, err)
		ev, ref := shopOrder(tenant, "D-1", "", "9201", "", "1000", at(0))
		_, err = apply(ctx, s, p, ev, ref)
		require.NoError(t, err)
		adj := "ev_link"
		res, err := s.Transact(ctx, tenant, adj, store.AccountRef{Phone: phone, Connector: "shop", CustomerID: "9201"}, at(1),
			func(a *loyalty.Account) error { return nil })
		require.NoError(t, err)
		assert.Equal(t, int64(-30+105), res.Member.Balance)
		checkLedger(t, s, tenant, res.Member.ID, true)
	})
}

// testTransactMergeProperty runs random sequences of sales naming one of a
// few people by random parts of their identities (so that members appear
// apart and merge later), refunds, sweeps and replays, and checks after
// every step that the identities a sale named all find its member (the
// members they found before became one), that each member's ledger adds up (balance and pending are the
// sums of its entries and of its open lots), that no points appeared or
// vanished across the tenant, and that two people's phones never share a
// member.
func testTransactMergeProperty(t *testing.T, s store.Store) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		tenant := newTenant()
		allowNegative := rapid.Bool().Draw(rt, "allow_negative")
		p := program(t, tenant, rapid.SampledFrom([]int{0, 3}).Draw(rt, "pending_days"),
			rapid.SampledFrom([]int{0, 5}).Draw(rt, "expiry_days"), allowNegative)
		type person struct{ phone, customer, email string }
		people := []person{
			{"+6281200000301", "c1", "one@example.com"},
			{"+6281200000302", "c2", "two@example.com"},
		}
		type done struct {
			ev  event.Event
			ref store.AccountRef
		}
		var history []done
		var orders []string
		now := base
		steps := rapid.IntRange(1, 20).Draw(rt, "steps")
		for i := range steps {
			now = now.Add(time.Duration(rapid.IntRange(0, 3*24).Draw(rt, "hours")) * time.Hour)
			ids := memberIDs(rt, s, tenant)
			switch op := rapid.IntRange(0, 5).Draw(rt, "op"); {
			case op <= 2 || len(orders) == 0:
				who := people[rapid.IntRange(0, len(people)-1).Draw(rt, "person")]
				parts := rapid.IntRange(1, 7).Draw(rt, "parts") // bits: phone, customer id, email
				var phone, cust, mail string
				if parts&1 != 0 {
					phone = who.phone
				}
				if parts&2 != 0 {
					cust = who.customer
				}
				if parts&4 != 0 {
					mail = who.email
				}
				id := fmt.Sprintf("O-%d", i)
				ev, ref := shopOrder(tenant, id, phone, cust, mail, fmt.Sprint(rapid.IntRange(0, 2000).Draw(rt, "total")), now)
				res, err := apply(ctx, s, p, ev, ref)
				require.NoError(rt, err)
				for _, named := range ref.Identities() {
					m, err := s.MemberByIdentity(ctx, tenant, named)
					require.NoError(rt, err)
					require.Equal(rt, res.Member.ID, m.ID, "the sale's %s finds its member", named.Kind)
				}
				orders = append(orders, id)
				history = append(history, done{ev, ref})
			case op == 3:
				id := rapid.SampledFrom(orders).Draw(rt, "refunded")
				ev := refundEvent(tenant, id, fmt.Sprint(i), fmt.Sprint(rapid.IntRange(0, 1500).Draw(rt, "amount")), now)
				ref := store.AccountRef{OrderID: id}
				_, err := apply(ctx, s, p, ev, ref)
				require.NoError(rt, err)
				history = append(history, done{ev, ref})
			case op == 4:
				evID := fmt.Sprintf("sweep-%d", i)
				memberID := rapid.SampledFrom(ids).Draw(rt, "swept")
				_, err := s.Transact(ctx, tenant, evID, store.AccountRef{MemberID: memberID}, now, func(a *loyalty.Account) error {
					p.ActivateDue(a, evID, now)
					p.ExpireDue(a, evID, now)
					return nil
				})
				require.NoError(rt, err)
			default:
				prev := rapid.SampledFrom(history).Draw(rt, "replayed")
				before := totals(rt, s, tenant)
				res, err := apply(ctx, s, p, prev.ev, prev.ref)
				require.NoError(rt, err)
				require.True(rt, res.Replayed, "event %s was processed before", prev.ev.ID)
				require.Equal(rt, before, totals(rt, s, tenant), "a replay changes nothing")
			}
			members := memberIDs(rt, s, tenant)
			phones := map[string]string{}
			var sum int64
			for _, id := range members {
				checkLedger(rt, s, tenant, id, allowNegative)
				m, err := s.Member(ctx, tenant, id)
				require.NoError(rt, err)
				if m.Phone != "" {
					require.Empty(rt, phones[m.Phone], "phone %s on two members", m.Phone)
					phones[m.Phone] = id
				}
				for _, other := range people {
					if m.Phone != "" && m.Phone != other.phone {
						for _, id := range m.Identities {
							require.NotEqual(rt, other.email, id.Value, "%s's email joined %s's member", other.phone, m.Phone)
						}
					}
				}
				sum += m.Balance
			}
			var earned int64
			for _, id := range members {
				entries, err := s.Entries(ctx, tenant, id, store.MaxLimit)
				require.NoError(rt, err)
				for _, e := range entries {
					earned += e.Points
				}
			}
			require.Equal(rt, earned, sum, "the tenant's balances add up to its ledger")
		}
	})
}

// totals is every member's balance and pending points.
func totals(t require.TestingT, s store.Store, tenant string) map[string][2]int64 {
	out := map[string][2]int64{}
	for _, id := range memberIDs(t, s, tenant) {
		m, err := s.Member(context.Background(), tenant, id)
		require.NoError(t, err)
		out[id] = [2]int64{m.Balance, m.Pending}
	}
	return out
}

func testTransactConcurrentNewCustomer(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 0, false)
	errs := make(chan error, 20)
	parallel(20, func(i int) {
		ev, ref := shopOrder(tenant, fmt.Sprintf("N-%d", i), "", "4242", "", "100", at(i))
		_, err := apply(ctx, s, p, ev, ref)
		errs <- err
	})
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	ids := memberIDs(t, s, tenant)
	require.Len(t, ids, 1, "one member for one customer")
	m, err := s.Member(ctx, tenant, ids[0])
	require.NoError(t, err)
	assert.Equal(t, int64(20*10+5), m.Balance, "every order counted once, one welcome bonus")
}

func testRedactPhoneless(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 0, false)
	ev, ref := shopOrder(tenant, "R-1", "", "5150", "erase.me@example.com", "100", at(0))
	ref.Name = "Erase Me"
	res, err := apply(ctx, s, p, ev, ref)
	require.NoError(t, err)
	ev, ref = shopOrder(tenant, "R-2", "", "5151", "keep@example.com", "100", at(1))
	kept, err := apply(ctx, s, p, ev, ref)
	require.NoError(t, err)

	require.NoError(t, s.RedactMember(ctx, tenant, res.Member.ID))
	m, err := s.Member(ctx, tenant, res.Member.ID)
	require.NoError(t, err)
	assert.Empty(t, m.Name)
	assert.Empty(t, m.Email)
	assert.Empty(t, m.Identities, "the customer id and email are erased with the member")
	assert.Equal(t, int64(15), m.Balance, "points stay")
	for _, id := range []member.Identity{customer("5150"), email("erase.me@example.com")} {
		_, err := s.MemberByIdentity(ctx, tenant, id)
		assert.ErrorIs(t, err, store.ErrNotFound, "%s no longer finds the member", id.Kind)
	}
	other, err := s.MemberByIdentity(ctx, tenant, customer("5151"))
	require.NoError(t, err)
	assert.Equal(t, kept.Member.ID, other.ID, "another member keeps theirs")
	require.NoError(t, s.RedactMember(ctx, tenant, res.Member.ID), "redacting twice")
}

func testRedactDeadLetters(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant, other := newTenant(), newTenant()
	add := func(tenant, payload string) string {
		t.Helper()
		id := "dl_" + randHex(6)
		require.NoError(t, s.AddDeadLetter(ctx, store.DeadLetter{ID: id, Tenant: tenant, Topic: "inbound", Handler: "map",
			Reason: "bad total", Payload: []byte(payload), Metadata: map[string]string{"connector": "shop"}, CreatedAt: at(0)}))
		return id
	}
	hers := add(tenant, `{"email":"sari@example.com","total":"x"}`)
	his := add(tenant, `{"email":"budi@example.com","total":"x"}`)
	elsewhere := add(other, `{"email":"sari@example.com","total":"x"}`)
	match := func(payload []byte) bool { return strings.Contains(string(payload), "sari@") }

	n, err := s.RedactDeadLetters(ctx, tenant, match, at(60))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	got, err := s.DeadLetter(ctx, tenant, hers)
	require.NoError(t, err)
	assert.Empty(t, got.Payload, "the payload is erased")
	assert.Equal(t, "bad total", got.Reason, "the reason stays")
	assert.Equal(t, "shop", got.Metadata["connector"])
	stamp, err := time.Parse(time.RFC3339Nano, got.Metadata[store.RedactedMeta])
	require.NoError(t, err)
	assert.True(t, at(60).Equal(stamp))
	for _, tt := range []struct{ tenant, id string }{{tenant, his}, {other, elsewhere}} {
		got, err := s.DeadLetter(ctx, tt.tenant, tt.id)
		require.NoError(t, err)
		assert.NotEmpty(t, got.Payload, "dead letter %s is left alone", tt.id)
	}
	n, err = s.RedactDeadLetters(ctx, tenant, match, at(90))
	require.NoError(t, err)
	assert.Zero(t, n, "an erased payload matches nothing")
}

// testTransactConcurrentMerges runs orders at once that each name two of
// one person's three identities, held by three members: every order is
// applied, once, and the three become one member whose ledger adds up.
func testTransactConcurrentMerges(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 0, false)
	const phone = "+6281200000401"
	seed := []struct{ phone, customer, email string }{{phone, "", ""}, {"", "k1", ""}, {"", "", "k1@example.com"}}
	var before int64
	for i, sd := range seed {
		ev, ref := shopOrder(tenant, fmt.Sprintf("K-%d", i), sd.phone, sd.customer, sd.email, "100", at(i))
		res, err := apply(ctx, s, p, ev, ref)
		require.NoError(t, err)
		before += res.Member.Balance
	}
	require.Len(t, memberIDs(t, s, tenant), 3)
	pairs := [][3]string{{phone, "k1", ""}, {"", "k1", "k1@example.com"}, {phone, "", "k1@example.com"}}
	errs := make(chan error, 12)
	parallel(12, func(i int) {
		pr := pairs[i%len(pairs)]
		ev, ref := shopOrder(tenant, fmt.Sprintf("KC-%d", i), pr[0], pr[1], pr[2], "100", at(10+i))
		_, err := apply(ctx, s, p, ev, ref)
		errs <- err
	})
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	ids := memberIDs(t, s, tenant)
	require.Len(t, ids, 1, "one person, one member")
	m, err := s.Member(ctx, tenant, ids[0])
	require.NoError(t, err)
	assert.Equal(t, phone, m.Phone)
	assert.Equal(t, before+12*10, m.Balance, "every order counted once")
	checkLedger(t, s, tenant, m.ID, false)
}
