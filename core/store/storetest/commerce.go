package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// InboundReader reads back the inbound message log, which the store API
// only writes. An adapter's test build implements it on its store so that
// the suite can check what RedactMember leaves there; those checks are
// skipped for a store without it.
type InboundReader interface {
	// InboundMessages returns the tenant's inbound messages (without
	// profile names), by provider message id.
	InboundMessages(ctx context.Context, tenant string) ([]store.InboundMessage, error)
}

// newCheckout is a checkout of tenant changed at the given second.
func newCheckout(tenant, token string, updated int) store.Checkout {
	return store.Checkout{
		Tenant: tenant, Token: token, Phone: "+62811" + randDigits(7), Email: token + "@example.com", Name: "Sari",
		Total: "150000.00", Currency: "IDR", URL: "https://shop.example.com/checkouts/" + token,
		UpdatedAt: at(updated),
	}
}

// dueTokens lists the tokens DueCheckouts returns.
func dueTokens(t *testing.T, s store.Store, tenant string, before time.Time, limit int) []string {
	t.Helper()
	cs, err := s.DueCheckouts(context.Background(), tenant, before, limit)
	require.NoError(t, err)
	var tokens []string
	for _, c := range cs {
		tokens = append(tokens, c.Token)
	}
	return tokens
}

// dueCheckout returns the due checkout with token, failing when it is not
// due at before.
func dueCheckout(t *testing.T, s store.Store, tenant, token string, before time.Time) store.Checkout {
	t.Helper()
	cs, err := s.DueCheckouts(context.Background(), tenant, before, store.MaxLimit)
	require.NoError(t, err)
	for _, c := range cs {
		if c.Token == token {
			return c
		}
	}
	require.Failf(t, "checkout not due", "%s at %s", token, before)
	return store.Checkout{}
}

func testCheckoutOrder(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	c := newCheckout(tenant, "ck_"+randHex(4), 10)
	require.NoError(t, s.UpsertCheckout(ctx, c))

	newer := c
	newer.Total, newer.URL, newer.UpdatedAt = "175000.00", c.URL+"?v=2", at(20)
	require.NoError(t, s.UpsertCheckout(ctx, newer))

	older := c
	older.Total, older.Phone, older.UpdatedAt = "1.00", "+6281100000000", at(15)
	require.NoError(t, s.UpsertCheckout(ctx, older), "an older update arriving late")

	want := newer
	want.UpdatedAt = at(20).UTC()
	assert.Equal(t, want, dueCheckout(t, s, tenant, c.Token, at(100)), "the older update changed nothing")

	require.NoError(t, s.UpsertCheckout(ctx, newer), "the same update again")
	assert.Equal(t, want, dueCheckout(t, s, tenant, c.Token, at(100)))

	t.Run("required fields", func(t *testing.T) {
		assert.Error(t, s.UpsertCheckout(ctx, store.Checkout{Tenant: tenant, UpdatedAt: at(1)}))
		assert.Error(t, s.UpsertCheckout(ctx, store.Checkout{Token: "ck_x", UpdatedAt: at(1)}))
		assert.Error(t, s.CompleteCheckout(ctx, tenant, "", at(1)))
	})
	t.Run("tenants are apart", func(t *testing.T) {
		assert.Empty(t, dueTokens(t, s, newTenant(), at(100), 0))
	})
}

func testCheckoutCompletion(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	due := func(token string) bool { return slices.Contains(dueTokens(t, s, tenant, at(1000), 0), token) }

	t.Run("a completing update is final", func(t *testing.T) {
		c := newCheckout(tenant, "ck_a_"+randHex(4), 10)
		require.NoError(t, s.UpsertCheckout(ctx, c))
		require.True(t, due(c.Token))
		done := c
		done.Completed, done.UpdatedAt = true, at(20)
		require.NoError(t, s.UpsertCheckout(ctx, done))
		assert.False(t, due(c.Token))
		later := c
		later.UpdatedAt = at(30)
		require.NoError(t, s.UpsertCheckout(ctx, later))
		assert.False(t, due(c.Token), "a later update does not revive it")
		marked, err := markAbandoned(ctx, s, tenant, c.Token, at(30), at(40))
		require.NoError(t, err)
		assert.False(t, marked)
	})

	t.Run("a completing update older than the stored state completes it", func(t *testing.T) {
		c := newCheckout(tenant, "ck_b_"+randHex(4), 50)
		require.NoError(t, s.UpsertCheckout(ctx, c))
		done := c
		done.Completed, done.UpdatedAt = true, at(40)
		require.NoError(t, s.UpsertCheckout(ctx, done))
		assert.False(t, due(c.Token))
	})

	t.Run("CompleteCheckout on a known checkout", func(t *testing.T) {
		c := newCheckout(tenant, "ck_c_"+randHex(4), 10)
		require.NoError(t, s.UpsertCheckout(ctx, c))
		require.NoError(t, s.CompleteCheckout(ctx, tenant, c.Token, at(5)))
		assert.False(t, due(c.Token), "completion does not depend on its time")
		require.NoError(t, s.CompleteCheckout(ctx, tenant, c.Token, at(6)), "completing again")
		assert.False(t, due(c.Token))
	})

	t.Run("CompleteCheckout before any update stores a tombstone", func(t *testing.T) {
		token := "ck_d_" + randHex(4)
		require.NoError(t, s.CompleteCheckout(ctx, tenant, token, at(50)))
		assert.False(t, due(token))
		for _, updated := range []int{40, 60} {
			require.NoError(t, s.UpsertCheckout(ctx, newCheckout(tenant, token, updated)))
			assert.False(t, due(token), "an update at %d does not revive it", updated)
		}
	})
}

func testDueCheckouts(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	for _, c := range []store.Checkout{
		newCheckout(tenant, "ck_b", 10),
		newCheckout(tenant, "ck_a", 10),
		newCheckout(tenant, "ck_c", 20),
		newCheckout(tenant, "ck_d", 30),
		newCheckout(tenant, "ck_late", 31),
		newCheckout(tenant, "ck_done", 5),
		newCheckout(tenant, "ck_told", 6),
		newCheckout(newTenant(), "ck_other", 1),
	} {
		require.NoError(t, s.UpsertCheckout(ctx, c))
	}
	require.NoError(t, s.CompleteCheckout(ctx, tenant, "ck_done", at(7)))
	marked, err := markAbandoned(ctx, s, tenant, "ck_told", at(6), at(8))
	require.NoError(t, err)
	require.True(t, marked)

	tests := []struct {
		name   string
		before time.Time
		limit  int
		want   []string
	}{
		{"oldest first, then by token, up to before inclusive", at(30), 0, []string{"ck_a", "ck_b", "ck_c", "ck_d"}},
		{"limit", at(30), 2, []string{"ck_a", "ck_b"}},
		{"before bounds", at(19), 0, []string{"ck_a", "ck_b"}},
		{"none yet", at(9), 0, nil},
		{"all open", at(1000), 0, []string{"ck_a", "ck_b", "ck_c", "ck_d", "ck_late"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, dueTokens(t, s, tenant, tt.before, tt.limit))
		})
	}

	t.Run("fields", func(t *testing.T) {
		cs, err := s.DueCheckouts(ctx, tenant, at(10), 1)
		require.NoError(t, err)
		require.Len(t, cs, 1)
		c := cs[0]
		assert.Equal(t, "ck_a", c.Token)
		assert.Equal(t, tenant, c.Tenant)
		assert.Regexp(t, `^\+62811\d{7}$`, c.Phone)
		assert.Equal(t, "ck_a@example.com", c.Email)
		assert.Equal(t, "Sari", c.Name)
		assert.Equal(t, "150000.00", c.Total)
		assert.Equal(t, "IDR", c.Currency)
		assert.Equal(t, "https://shop.example.com/checkouts/ck_a", c.URL)
		assert.True(t, at(10).Equal(c.UpdatedAt))
		assert.Equal(t, time.UTC, c.UpdatedAt.Location())
		assert.False(t, c.Completed)
		assert.Nil(t, c.AbandonedAt)
	})
}

func testMarkAbandoned(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()

	t.Run("once", func(t *testing.T) {
		c := newCheckout(tenant, "ck_once_"+randHex(4), 10)
		require.NoError(t, s.UpsertCheckout(ctx, c))
		seen := dueCheckout(t, s, tenant, c.Token, at(100))
		marked, err := markAbandoned(ctx, s, tenant, c.Token, seen.UpdatedAt, at(100))
		require.NoError(t, err)
		assert.True(t, marked)
		marked, err = markAbandoned(ctx, s, tenant, c.Token, seen.UpdatedAt, at(101))
		require.NoError(t, err)
		assert.False(t, marked, "announced already")
		assert.NotContains(t, dueTokens(t, s, tenant, at(1000), 0), c.Token)

		c.UpdatedAt = at(200)
		require.NoError(t, s.UpsertCheckout(ctx, c))
		assert.NotContains(t, dueTokens(t, s, tenant, at(1000), 0), c.Token, "a later update keeps the announcement")
	})

	t.Run("not after a change", func(t *testing.T) {
		c := newCheckout(tenant, "ck_changed_"+randHex(4), 10)
		require.NoError(t, s.UpsertCheckout(ctx, c))
		seen := dueCheckout(t, s, tenant, c.Token, at(100))
		c.UpdatedAt = at(50)
		require.NoError(t, s.UpsertCheckout(ctx, c))
		marked, err := markAbandoned(ctx, s, tenant, c.Token, seen.UpdatedAt, at(100))
		require.NoError(t, err)
		assert.False(t, marked, "changed since it was seen due")
		seen = dueCheckout(t, s, tenant, c.Token, at(100))
		assert.True(t, at(50).Equal(seen.UpdatedAt))
		marked, err = markAbandoned(ctx, s, tenant, c.Token, seen.UpdatedAt, at(101))
		require.NoError(t, err)
		assert.True(t, marked)
	})

	t.Run("a batch", func(t *testing.T) {
		a, b, c := newCheckout(tenant, "ck_ba_"+randHex(4), 10), newCheckout(tenant, "ck_bb_"+randHex(4), 11),
			newCheckout(tenant, "ck_bc_"+randHex(4), 12)
		for _, ck := range []store.Checkout{a, b, c} {
			require.NoError(t, s.UpsertCheckout(ctx, ck))
		}
		seenB := dueCheckout(t, s, tenant, b.Token, at(100))
		b.UpdatedAt = at(60)
		require.NoError(t, s.UpsertCheckout(ctx, b))
		marked, err := s.MarkAbandoned(ctx, tenant, []store.CheckoutMark{
			{Token: a.Token, UpdatedAt: a.UpdatedAt}, {Token: b.Token, UpdatedAt: seenB.UpdatedAt},
			{Token: "ck_unknown", UpdatedAt: at(1)}, {Token: c.Token, UpdatedAt: c.UpdatedAt},
		}, at(100))
		require.NoError(t, err)
		assert.Equal(t, []bool{true, false, false, true}, marked, "b changed since it was seen due")
		due := dueTokens(t, s, tenant, at(1000), 0)
		assert.Contains(t, due, b.Token)
		assert.NotContains(t, due, a.Token)
		assert.NotContains(t, due, c.Token)
	})

	t.Run("unknown and completed", func(t *testing.T) {
		marked, err := markAbandoned(ctx, s, tenant, "ck_unknown", at(10), at(100))
		require.NoError(t, err)
		assert.False(t, marked)
		c := newCheckout(tenant, "ck_done_"+randHex(4), 10)
		require.NoError(t, s.UpsertCheckout(ctx, c))
		require.NoError(t, s.CompleteCheckout(ctx, tenant, c.Token, at(20)))
		marked, err = markAbandoned(ctx, s, tenant, c.Token, at(10), at(100))
		require.NoError(t, err)
		assert.False(t, marked)
	})

	t.Run("concurrent marks mark once", func(t *testing.T) {
		c := newCheckout(tenant, "ck_race_"+randHex(4), 10)
		require.NoError(t, s.UpsertCheckout(ctx, c))
		var n atomic.Int32
		errs := make([]error, 8)
		parallel(8, func(i int) {
			marked, err := markAbandoned(ctx, s, tenant, c.Token, at(10), at(100+i))
			errs[i] = err
			if marked {
				n.Add(1)
			}
		})
		for _, err := range errs {
			require.NoError(t, err)
		}
		assert.EqualValues(t, 1, n.Load())
	})
}

func testRedactMember(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 0, false)
	phone, otherPhone := "+62815"+randDigits(7), "+62816"+randDigits(7)
	const email = "sari@example.com"
	bsuid := "ID." + randHex(8)

	res, err := apply(ctx, s, p, orderEvent(tenant, "A-1", phone, "100000", at(0)),
		store.AccountRef{Phone: phone, Name: "Sari", Email: email, Birthday: "04-12", OrderID: "A-1", Create: true})
	require.NoError(t, err)
	memberID := res.Member.ID
	other, err := apply(ctx, s, p, orderEvent(tenant, "B-1", otherPhone, "50000", at(1)),
		store.AccountRef{Phone: otherPhone, Name: "Budi", Email: "budi@example.com", OrderID: "B-1", Create: true})
	require.NoError(t, err)
	before, err := s.Member(ctx, tenant, memberID)
	require.NoError(t, err)
	require.Equal(t, "04-12", before.Birthday)
	entries, err := s.Entries(ctx, tenant, memberID, 0)
	require.NoError(t, err)
	lots, err := s.Lots(ctx, tenant, memberID)
	require.NoError(t, err)
	require.NotEmpty(t, lots)

	// What the customer sent besides text: a shared contact card and a
	// location.
	cardContent := json.RawMessage(`{"contacts":[{"name":{"formatted_name":"Sari W"},"phones":[{"phone":"` + phone + `"}]}]}`)
	placeContent := json.RawMessage(`{"location":{"latitude":-6.2,"longitude":106.8,"address":"Jl. Melati 5"}}`)
	contents := map[string]json.RawMessage{"wamid.phone": cardContent, "wamid.user": placeContent, "wamid.other": placeContent}
	inbound := func(id string, ref store.ContactRef, text string, sec int) {
		t.Helper()
		_, _, err := s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: id, Contact: ref,
			Name: "Sari W", Type: "text", Text: text, At: at(sec), Content: contents[id]})
		require.NoError(t, err)
	}
	inbound("wamid.phone", store.ContactRef{Phone: phone, UserID: bsuid}, "my address is Jl. Melati 5", 10)
	inbound("wamid.user", store.ContactRef{UserID: bsuid}, "and my birthday is 12 April", 11)
	inbound("wamid.other", store.ContactRef{Phone: otherPhone}, "hello", 12)
	_, err = s.UpdateContact(ctx, tenant, store.ContactRef{Phone: phone}, member.SetConsentWithText(member.ConsentOptedIn, "whatsapp", "Balas YA untuk promo", at(13)))
	require.NoError(t, err)
	// The chatbot's states with the phone number and, stored apart, with
	// the user id; and another customer's.
	for _, c := range []store.Conversation{
		{Tenant: tenant, Phone: phone, Lang: "id", Step: store.StepAwaitConfirm, RewardID: "rw_1", HandoffUntil: at(5000), HandoffReason: "asked for a person"},
		{Tenant: tenant, UserID: bsuid, Step: store.StepAwaitConsent, JoinCode: "SARI7"},
		{Tenant: tenant, Phone: otherPhone, Lang: "en", Step: store.StepAwaitLanguage},
	} {
		require.NoError(t, s.SaveConversation(ctx, c))
	}

	command := []byte(`{"kind":"text","text":"Halo Sari"}`)
	claim := func(key, memberID, recipient string) {
		t.Helper()
		_, claimed, err := s.ClaimMessage(ctx, store.Message{Key: key, Tenant: tenant, MemberID: memberID,
			Sender: "cloud", Recipient: recipient, Kind: "text", Category: "service", Command: command,
			CreatedAt: at(20), UpdatedAt: at(20)})
		require.NoError(t, err)
		require.True(t, claimed)
	}
	keyMember, keyPhone, keyOther := "msg_m_"+randHex(6), "msg_p_"+randHex(6), "msg_o_"+randHex(6)
	claim(keyMember, memberID, phone)
	claim(keyPhone, "", phone) // sent before the phone was a member's
	claim(keyOther, other.Member.ID, otherPhone)
	require.NoError(t, s.MarkSent(ctx, keyMember, "wamid.out."+randHex(4), at(21)))

	byPhone := newCheckout(tenant, "ck_phone", 30)
	byPhone.Phone = phone
	byEmail := newCheckout(tenant, "ck_email", 31)
	byEmail.Phone, byEmail.Email = "", email
	unrelated := newCheckout(tenant, "ck_other", 32)
	unrelated.Phone = otherPhone
	for _, c := range []store.Checkout{byPhone, byEmail, unrelated} {
		require.NoError(t, s.UpsertCheckout(ctx, c))
	}

	require.NoError(t, s.RedactMember(ctx, tenant, memberID))

	t.Run("member", func(t *testing.T) {
		m, err := s.Member(ctx, tenant, memberID)
		require.NoError(t, err)
		assert.Equal(t, store.RedactedPhone(memberID), m.Phone)
		assert.Empty(t, m.Name)
		assert.Empty(t, m.Email)
		assert.Empty(t, m.Birthday)
		assert.Equal(t, before.Balance, m.Balance, "points stay")
		assert.Equal(t, before.Pending, m.Pending)
		assert.Equal(t, before.Tier, m.Tier)
		assert.Equal(t, before.Referral, m.Referral, "the referral code is not personal")
		_, err = s.MemberByPhone(ctx, tenant, phone)
		require.ErrorIs(t, err, store.ErrNotFound, "the phone number no longer names the member")
	})

	t.Run("ledger and lots stay", func(t *testing.T) {
		got, err := s.Entries(ctx, tenant, memberID, 0)
		require.NoError(t, err)
		assert.Equal(t, entries, got)
		gotLots, err := s.Lots(ctx, tenant, memberID)
		require.NoError(t, err)
		assert.Equal(t, lots, gotLots)
	})

	t.Run("contact gone", func(t *testing.T) {
		_, err := s.Contact(ctx, tenant, store.ContactRef{Phone: phone})
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.Contact(ctx, tenant, store.ContactRef{UserID: bsuid})
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.Contact(ctx, tenant, store.ContactRef{Phone: otherPhone})
		require.NoError(t, err, "another contact stays")
	})

	t.Run("conversations gone", func(t *testing.T) {
		for _, ref := range []store.ContactRef{{Phone: phone}, {UserID: bsuid}, {Phone: phone, UserID: bsuid}} {
			c, err := s.Conversation(ctx, tenant, ref)
			require.NoError(t, err)
			assert.Equal(t, store.Conversation{Tenant: tenant, Phone: ref.Phone, UserID: ref.UserID}, c, ref)
		}
		hs, err := s.Handoffs(ctx, tenant, at(0), 0)
		require.NoError(t, err)
		assert.Empty(t, hs)
		c, err := s.Conversation(ctx, tenant, store.ContactRef{Phone: otherPhone})
		require.NoError(t, err)
		assert.Equal(t, store.StepAwaitLanguage, c.Step, "another customer's conversation stays")
	})

	t.Run("inbound messages erased", func(t *testing.T) {
		r, ok := s.(InboundReader)
		if !ok {
			t.Skip("the store's test build does not read inbound messages back")
		}
		ms, err := r.InboundMessages(ctx, tenant)
		require.NoError(t, err)
		got := map[string]store.InboundMessage{}
		for _, m := range ms {
			got[m.ProviderMessageID] = m
		}
		require.Len(t, got, 3, "the messages stay, so a redelivery is still a duplicate")
		for _, id := range []string{"wamid.phone", "wamid.user"} {
			assert.Empty(t, got[id].Text, id)
			assert.Empty(t, got[id].Content, id)
			assert.True(t, got[id].Contact.Empty(), id)
		}
		assert.Equal(t, "hello", got["wamid.other"].Text)
		assert.JSONEq(t, string(placeContent), string(got["wamid.other"].Content), "another customer's content stays")
		assert.Equal(t, otherPhone, got["wamid.other"].Contact.Phone)

		_, dup, err := s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid.phone",
			Contact: store.ContactRef{Phone: phone}, Type: "text", Text: "again", At: at(10)})
		require.NoError(t, err)
		assert.True(t, dup)
		_, err = s.Contact(ctx, tenant, store.ContactRef{Phone: phone})
		require.ErrorIs(t, err, store.ErrNotFound, "a redelivered message does not bring the contact back")
	})

	t.Run("inbound messages no longer listed", func(t *testing.T) {
		for _, ref := range []store.ContactRef{{Phone: phone}, {UserID: bsuid}} {
			ms, err := s.ListInbound(ctx, tenant, ref, 0)
			require.NoError(t, err)
			for _, m := range ms {
				assert.NotContains(t, []string{"wamid.phone", "wamid.user"}, m.ProviderMessageID, ref)
			}
		}
		ms, err := s.ListInbound(ctx, tenant, store.ContactRef{Phone: otherPhone}, 0)
		require.NoError(t, err)
		assert.Equal(t, []string{"wamid.other"}, ids(ms))
	})

	t.Run("messages erased", func(t *testing.T) {
		for _, key := range []string{keyMember, keyPhone} {
			m, err := s.Message(ctx, tenant, key)
			require.NoError(t, err)
			assert.Empty(t, m.Recipient, key)
			assert.Empty(t, m.Command, key)
			assert.NotEmpty(t, m.Timeline, "the delivery history stays")
		}
		m, err := s.Message(ctx, tenant, keyMember)
		require.NoError(t, err)
		assert.Equal(t, store.MessageSent, m.Status)
		assert.Equal(t, memberID, m.MemberID)
		m, err = s.Message(ctx, tenant, keyOther)
		require.NoError(t, err)
		assert.Equal(t, otherPhone, m.Recipient)
		assert.Equal(t, command, m.Command)
	})

	t.Run("checkouts erased", func(t *testing.T) {
		for _, c := range []store.Checkout{byPhone, byEmail} {
			got := dueCheckout(t, s, tenant, c.Token, at(1000))
			assert.Empty(t, got.Phone, c.Token)
			assert.Empty(t, got.Email, c.Token)
			assert.Empty(t, got.Name, c.Token)
			assert.Equal(t, c.Total, got.Total, "the cart stays")
			assert.Equal(t, c.URL, got.URL)
		}
		got := dueCheckout(t, s, tenant, unrelated.Token, at(1000))
		assert.Equal(t, otherPhone, got.Phone)
		assert.Equal(t, "Sari", got.Name)
	})

	t.Run("twice changes nothing", func(t *testing.T) {
		m, err := s.Member(ctx, tenant, memberID)
		require.NoError(t, err)
		require.NoError(t, s.RedactMember(ctx, tenant, memberID))
		again, err := s.Member(ctx, tenant, memberID)
		require.NoError(t, err)
		assert.Equal(t, m, again)
	})

	t.Run("the phone number joins again as a new member", func(t *testing.T) {
		res, err := apply(ctx, s, p, orderEvent(tenant, "A-2", phone, "20000", at(100)),
			store.AccountRef{Phone: phone, OrderID: "A-2", Create: true})
		require.NoError(t, err)
		assert.NotEqual(t, memberID, res.Member.ID)
		assert.Equal(t, phone, res.Member.Phone)
		assert.EqualValues(t, 2005, res.Member.Balance, "2,000 for the order and 5 for joining")
		m, err := s.MemberByPhone(ctx, tenant, phone)
		require.NoError(t, err)
		assert.Equal(t, res.Member.ID, m.ID)
		old, err := s.Member(ctx, tenant, memberID)
		require.NoError(t, err)
		assert.Equal(t, before.Balance, old.Balance)
	})

	t.Run("unknown member", func(t *testing.T) {
		require.ErrorIs(t, s.RedactMember(ctx, tenant, "mem_missing"), store.ErrNotFound)
		require.ErrorIs(t, s.RedactMember(ctx, newTenant(), memberID), store.ErrNotFound, "another tenant's member")
	})

	t.Run("another member stays", func(t *testing.T) {
		m, err := s.Member(ctx, tenant, other.Member.ID)
		require.NoError(t, err)
		assert.Equal(t, otherPhone, m.Phone)
		assert.Equal(t, "Budi", m.Name)
		assert.Equal(t, "budi@example.com", m.Email)
	})
}

func testMemberIDs(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	var ids []string
	for i := range 5 {
		ids = append(ids, award(t, s, tenant, fmt.Sprintf("ev_%d", i), "+62817"+randDigits(7), "", "", 1, at(i)).ID)
	}
	award(t, s, newTenant(), "ev_x", "+62817"+randDigits(7), "", "", 1, at(0))
	slices.Sort(ids)

	all, err := s.MemberIDs(ctx, tenant, "", 0)
	require.NoError(t, err)
	assert.Equal(t, ids, all)

	var paged []string
	after := ""
	for range 4 {
		page, err := s.MemberIDs(ctx, tenant, after, 2)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(page), 2)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1]
	}
	assert.Equal(t, ids, paged)

	rest, err := s.MemberIDs(ctx, tenant, ids[len(ids)-1], 2)
	require.NoError(t, err)
	assert.Empty(t, rest)
	none, err := s.MemberIDs(ctx, newTenant(), "", 0)
	require.NoError(t, err)
	assert.Empty(t, none)
}

func item(memberID string, seq int64) store.SyncItem {
	return store.SyncItem{MemberID: memberID, Seq: seq}
}

func testSyncQueue(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	const conn = "hubspot"
	pending := func(limit int) []store.SyncItem {
		t.Helper()
		items, err := s.PendingSync(ctx, tenant, conn, limit)
		require.NoError(t, err)
		return items
	}

	assert.Empty(t, pending(0))
	require.NoError(t, s.QueueSync(ctx, tenant, conn, nil), "nothing to queue")
	require.NoError(t, s.QueueSync(ctx, tenant, conn, []string{"mem_b", "mem_a"}))
	assert.Equal(t, []store.SyncItem{item("mem_a", 1), item("mem_b", 1)}, pending(0), "queued together: by member id")

	time.Sleep(2 * time.Millisecond) // queued later, whatever the clock's resolution
	require.NoError(t, s.QueueSync(ctx, tenant, conn, []string{"mem_0"}))
	require.NoError(t, s.QueueSync(ctx, tenant, conn, []string{"mem_a"}))
	assert.Equal(t, []store.SyncItem{item("mem_a", 2), item("mem_b", 1), item("mem_0", 1)}, pending(0),
		"longest queued first; queued again keeps its place with a new seq")
	assert.Equal(t, []store.SyncItem{item("mem_a", 2), item("mem_b", 1)}, pending(2))

	t.Run("queued again before done stays queued", func(t *testing.T) {
		items := pending(0)
		require.NoError(t, s.QueueSync(ctx, tenant, conn, []string{"mem_b"}))
		require.NoError(t, s.DoneSync(ctx, tenant, conn, items))
		assert.Equal(t, []store.SyncItem{item("mem_b", 2)}, pending(0))
		require.NoError(t, s.DoneSync(ctx, tenant, conn, items), "done again")
		assert.Equal(t, []store.SyncItem{item("mem_b", 2)}, pending(0))
		require.NoError(t, s.DoneSync(ctx, tenant, conn, pending(0)))
		assert.Empty(t, pending(0))
		require.NoError(t, s.DoneSync(ctx, tenant, conn, nil))
	})

	t.Run("connectors and tenants are apart", func(t *testing.T) {
		require.NoError(t, s.QueueSync(ctx, tenant, "odoo", []string{"mem_a"}))
		require.NoError(t, s.QueueSync(ctx, newTenant(), conn, []string{"mem_a"}))
		assert.Empty(t, pending(0))
		require.NoError(t, s.DoneSync(ctx, tenant, conn, []store.SyncItem{item("mem_a", 1)}))
		items, err := s.PendingSync(ctx, tenant, "odoo", 0)
		require.NoError(t, err)
		assert.Equal(t, []store.SyncItem{item("mem_a", 1)}, items)
	})

	t.Run("required fields", func(t *testing.T) {
		assert.Error(t, s.QueueSync(ctx, tenant, "", []string{"mem_a"}))
		assert.Error(t, s.QueueSync(ctx, "", conn, []string{"mem_a"}))
		assert.Error(t, s.QueueSync(ctx, tenant, conn, []string{""}))
	})

	t.Run("concurrent queueing", func(t *testing.T) {
		tenant := newTenant()
		const n = 8
		ids := []string{"mem_1", "mem_2", "mem_3", "mem_4"}
		errs := make([]error, n)
		parallel(n, func(i int) {
			mine := slices.Clone(ids)
			if i%2 == 1 {
				slices.Reverse(mine)
			}
			errs[i] = s.QueueSync(ctx, tenant, conn, append(mine, fmt.Sprintf("mem_only_%d", i)))
		})
		for _, err := range errs {
			require.NoError(t, err)
		}
		items, err := s.PendingSync(ctx, tenant, conn, 0)
		require.NoError(t, err)
		require.Len(t, items, len(ids)+n, "each member queued once")
		for _, it := range items {
			want := int64(1)
			if slices.Contains(ids, it.MemberID) {
				want = n
			}
			assert.Equal(t, want, it.Seq, it.MemberID)
		}
	})
}

// markAbandoned marks one checkout abandoned.
func markAbandoned(ctx context.Context, s store.Store, tenant, token string, updatedAt, at time.Time) (bool, error) {
	marked, err := s.MarkAbandoned(ctx, tenant, []store.CheckoutMark{{Token: token, UpdatedAt: updatedAt}}, at)
	if err != nil {
		return false, err
	}
	return marked[0], nil
}
