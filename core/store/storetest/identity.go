package storetest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// key is the canonical key of a wa_id, as the hub stores contacts by it.
func key(t *testing.T, waID string) string {
	t.Helper()
	id, err := member.ParseWhatsAppID(waID)
	require.NoError(t, err)
	return id.Key
}

func inbound(tenant, waID, phoneKey string, seconds int) store.InboundMessage {
	return store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid." + randHex(8),
		Contact: store.ContactRef{Phone: phoneKey}, WAID: waID, Type: "text", Text: "hi", At: at(seconds)}
}

// testContactsByKey: a contact is found by the canonical key of any form
// of its number, and keeps the wa_id of its latest message as given.
func testContactsByKey(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	area := "4" + randDigits(1)
	if area == "40" {
		area = "41"
	}
	sub := "8" + randDigits(7)
	old, current := "55"+area+sub, "55"+area+"9"+sub // the Brazilian mobile without and with its ninth digit
	k := key(t, old)
	require.Equal(t, k, key(t, current))

	c, dup, err := s.RecordInbound(ctx, inbound(tenant, old, k, 10))
	require.NoError(t, err)
	require.False(t, dup)
	assert.Equal(t, k, c.Phone, "the contact is keyed by the canonical number")
	assert.Equal(t, old, c.WAID, "the wa_id is kept as given")

	got, err := s.Contact(ctx, tenant, store.ContactRef{Phone: key(t, current)})
	require.NoError(t, err)
	assert.Equal(t, old, got.WAID, "the other form finds the same contact")
	body, err := json.Marshal(got)
	require.NoError(t, err)
	assert.Contains(t, string(body), `"wa_id":"`+old+`"`)

	t.Run("the latest message's wa_id is kept", func(t *testing.T) {
		c, _, err := s.RecordInbound(ctx, inbound(tenant, current, k, 20))
		require.NoError(t, err)
		assert.Equal(t, current, c.WAID)
		c, _, err = s.RecordInbound(ctx, inbound(tenant, old, k, 15))
		require.NoError(t, err)
		assert.Equal(t, current, c.WAID, "a late older message does not change it")
		assert.True(t, at(20).Equal(c.LastInboundAt))
	})

	t.Run("a change of consent keeps it", func(t *testing.T) {
		c, err := s.UpdateContact(ctx, tenant, store.ContactRef{Phone: k}, member.SetConsent(member.ConsentOptedIn, "shop", at(30)))
		require.NoError(t, err)
		assert.Equal(t, current, c.WAID)
	})

	t.Run("a user id seen alone brings its wa_id when it joins the number", func(t *testing.T) {
		bsuid := "BR." + randHex(10)
		waID := "5521" + "9" + randDigits(8)
		_, _, err := s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid." + randHex(8),
			Contact: store.ContactRef{UserID: bsuid}, WAID: waID, Type: "text", At: at(40)})
		require.NoError(t, err)
		_, err = s.UpdateContact(ctx, tenant, store.ContactRef{Phone: key(t, waID)}, member.SetConsent(member.ConsentOptedIn, "shop", at(1)))
		require.NoError(t, err)
		c, err := s.UpdateContact(ctx, tenant, store.ContactRef{Phone: key(t, waID), UserID: bsuid}, func(*member.Contact) {})
		require.NoError(t, err)
		assert.Equal(t, waID, c.WAID)
	})
}

// testRedactByWAID: erasing a member erases the answers sent to its
// contact's wa_id, another form of its number.
func testRedactByWAID(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	waID := "52155" + randDigits(8) // Mexico, with the 1
	k := key(t, waID)
	require.NotEqual(t, "+"+waID, k)
	_, _, err := s.RecordInbound(ctx, inbound(tenant, waID, k, 10))
	require.NoError(t, err)
	m := memberWith(t, s, tenant, k)
	msgKey := "msg_" + randHex(8)
	_, ok, err := s.ClaimMessage(ctx, store.Message{Key: msgKey, Tenant: tenant, Recipient: "+" + waID, Kind: "text", Category: "service"})
	require.NoError(t, err)
	require.True(t, ok)

	require.NoError(t, s.RedactMember(ctx, tenant, m.ID))
	msg, err := s.Message(ctx, tenant, msgKey)
	require.NoError(t, err)
	assert.Empty(t, msg.Recipient)
}

// memberWith creates a member with a phone number through a loyalty
// transaction.
func memberWith(t *testing.T, s store.Store, tenant, phone string) member.Member {
	t.Helper()
	res, err := Credit(context.Background(), s, tenant, "ev_"+randHex(8), phone, 10)
	require.NoError(t, err)
	m, err := s.Member(context.Background(), tenant, res.Member.ID)
	require.NoError(t, err)
	return m
}

func numberChange(t *testing.T, tenant, oldWAID, newWAID string) store.IdentityChange {
	return store.IdentityChange{Tenant: tenant, MessageID: "wamid." + randHex(8), Kind: "user_changed_number",
		Old: store.ContactRef{Phone: key(t, oldWAID)}, New: store.ContactRef{Phone: key(t, newWAID)}, NewWAID: newWAID, At: at(100)}
}

func testChangeIdentity(t *testing.T, s store.Store) {
	ctx := context.Background()

	t.Run("a new number moves the contact, the conversation and the member", func(t *testing.T) {
		tenant := newTenant()
		oldWAID, newWAID := "62812"+randDigits(7), "62813"+randDigits(7)
		oldRef := store.ContactRef{Phone: key(t, oldWAID), UserID: "ID." + randHex(10)}
		_, _, err := s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid." + randHex(8),
			Contact: oldRef, WAID: oldWAID, Name: "Sari", Type: "text", At: at(10)})
		require.NoError(t, err)
		_, err = s.UpdateContact(ctx, tenant, oldRef, member.SetConsent(member.ConsentOptedOut, "whatsapp", at(11)))
		require.NoError(t, err)
		require.NoError(t, s.SaveConversation(ctx, store.Conversation{Tenant: tenant, Phone: oldRef.Phone, UserID: oldRef.UserID, Lang: "id", LangChosen: true}))
		m := memberWith(t, s, tenant, oldRef.Phone)

		ch := numberChange(t, tenant, oldWAID, newWAID)
		res, err := s.ChangeIdentity(ctx, ch)
		require.NoError(t, err)
		assert.False(t, res.Duplicate)
		require.NotNil(t, res.Contact)
		assert.Equal(t, ch.New.Phone, res.Contact.Phone)
		assert.Equal(t, newWAID, res.Contact.WAID)
		assert.Equal(t, m.ID, res.MemberID)
		assert.True(t, res.MovedMember())
		assert.Empty(t, res.ConflictMemberID)

		c, err := s.Contact(ctx, tenant, store.ContactRef{Phone: ch.New.Phone})
		require.NoError(t, err)
		assert.Equal(t, member.ConsentOptedOut, c.Marketing, "the consent moves with the person")
		assert.Equal(t, oldRef.UserID, c.UserID, "a number change alone keeps the user id")
		assert.Equal(t, "Sari", c.Name)
		assert.True(t, at(10).Equal(c.LastInboundAt))
		_, err = s.Contact(ctx, tenant, store.ContactRef{Phone: oldRef.Phone})
		require.ErrorIs(t, err, store.ErrNotFound, "the old number names nobody now")

		conv, err := s.Conversation(ctx, tenant, store.ContactRef{Phone: ch.New.Phone})
		require.NoError(t, err)
		assert.Equal(t, "id", conv.Lang, "the conversation moves too")
		assert.True(t, conv.LangChosen)

		moved, err := s.MemberByPhone(ctx, tenant, ch.New.Phone)
		require.NoError(t, err)
		assert.Equal(t, m.ID, moved.ID)
		assert.Equal(t, m.Balance, moved.Balance, "the same member, the same points")
		_, err = s.MemberByPhone(ctx, tenant, oldRef.Phone)
		require.ErrorIs(t, err, store.ErrNotFound)

		t.Run("the same message again changes nothing", func(t *testing.T) {
			// Someone new got the old number meanwhile.
			other := memberWith(t, s, tenant, oldRef.Phone)
			res, err := s.ChangeIdentity(ctx, ch)
			require.NoError(t, err)
			assert.True(t, res.Duplicate)
			still, err := s.MemberByPhone(ctx, tenant, oldRef.Phone)
			require.NoError(t, err)
			assert.Equal(t, other.ID, still.ID, "a replay does not move the number's new owner")
			moved, err := s.MemberByPhone(ctx, tenant, ch.New.Phone)
			require.NoError(t, err)
			assert.Equal(t, m.ID, moved.ID)
		})
	})

	t.Run("a message from the new number before the change: one contact", func(t *testing.T) {
		tenant := newTenant()
		oldWAID, newWAID := "5215512"+randDigits(6), "5215598"+randDigits(6) // Mexico, as WhatsApp gives it
		_, err := s.UpdateContact(ctx, tenant, store.ContactRef{Phone: key(t, oldWAID)}, member.SetConsent(member.ConsentOptedIn, "qr", at(5)))
		require.NoError(t, err)
		_, err = s.UpdateContact(ctx, tenant, store.ContactRef{Phone: key(t, oldWAID)}, member.Hold(at(500), "131049"))
		require.NoError(t, err)
		_, _, err = s.RecordInbound(ctx, inbound(tenant, newWAID, key(t, newWAID), 50))
		require.NoError(t, err)

		res, err := s.ChangeIdentity(ctx, numberChange(t, tenant, oldWAID, newWAID))
		require.NoError(t, err)
		require.NotNil(t, res.Contact)
		c, err := s.Contact(ctx, tenant, store.ContactRef{Phone: key(t, newWAID)})
		require.NoError(t, err)
		assert.Equal(t, member.ConsentOptedIn, c.Marketing, "the old contact folds into the new one")
		assert.True(t, at(500).Equal(c.HoldUntil), "the longer hold is kept")
		assert.True(t, at(50).Equal(c.LastInboundAt))
		assert.Equal(t, newWAID, c.WAID, "as given, with the 1")
		_, err = s.Contact(ctx, tenant, store.ContactRef{Phone: key(t, oldWAID)})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("the new number belongs to another member: neither changes", func(t *testing.T) {
		tenant := newTenant()
		oldWAID, newWAID := "62814"+randDigits(7), "62815"+randDigits(7)
		_, _, err := s.RecordInbound(ctx, inbound(tenant, oldWAID, key(t, oldWAID), 10))
		require.NoError(t, err)
		a := memberWith(t, s, tenant, key(t, oldWAID))
		b := memberWith(t, s, tenant, key(t, newWAID))

		res, err := s.ChangeIdentity(ctx, numberChange(t, tenant, oldWAID, newWAID))
		require.NoError(t, err)
		assert.Equal(t, a.ID, res.MemberID)
		assert.Equal(t, b.ID, res.ConflictMemberID)
		assert.False(t, res.MovedMember())
		for phone, id := range map[string]string{key(t, oldWAID): a.ID, key(t, newWAID): b.ID} {
			m, err := s.MemberByPhone(ctx, tenant, phone)
			require.NoError(t, err)
			assert.Equal(t, id, m.ID)
		}
		c, err := s.Contact(ctx, tenant, store.ContactRef{Phone: key(t, newWAID)})
		require.NoError(t, err)
		assert.Equal(t, newWAID, c.WAID, "the WhatsApp user still moves: messages go to the new number")
	})

	t.Run("a new user id", func(t *testing.T) {
		tenant := newTenant()
		oldID, newID := "US."+randHex(10), "US."+randHex(10)
		_, _, err := s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid." + randHex(8),
			Contact: store.ContactRef{UserID: oldID}, Type: "text", At: at(10)})
		require.NoError(t, err)
		require.NoError(t, s.SaveConversation(ctx, store.Conversation{Tenant: tenant, UserID: oldID, Step: store.StepAwaitConsent}))

		res, err := s.ChangeIdentity(ctx, store.IdentityChange{Tenant: tenant, MessageID: "wamid." + randHex(8),
			Kind: "user_changed_user_id", Old: store.ContactRef{UserID: oldID}, New: store.ContactRef{UserID: newID}, At: at(20)})
		require.NoError(t, err)
		require.NotNil(t, res.Contact)
		assert.Equal(t, newID, res.Contact.UserID)
		assert.Empty(t, res.MemberID, "members are known by number")
		c, err := s.Contact(ctx, tenant, store.ContactRef{UserID: newID})
		require.NoError(t, err)
		assert.True(t, at(10).Equal(c.LastInboundAt))
		_, err = s.Contact(ctx, tenant, store.ContactRef{UserID: oldID})
		require.ErrorIs(t, err, store.ErrNotFound)
		conv, err := s.Conversation(ctx, tenant, store.ContactRef{UserID: newID})
		require.NoError(t, err)
		assert.Equal(t, store.StepAwaitConsent, conv.Step)
	})

	t.Run("an unknown old identity changes nothing", func(t *testing.T) {
		tenant := newTenant()
		oldWAID, newWAID := "62816"+randDigits(7), "62817"+randDigits(7)
		res, err := s.ChangeIdentity(ctx, numberChange(t, tenant, oldWAID, newWAID))
		require.NoError(t, err)
		assert.False(t, res.Duplicate)
		assert.Nil(t, res.Contact)
		assert.Empty(t, res.MemberID)
		for _, w := range []string{oldWAID, newWAID} {
			_, err = s.Contact(ctx, tenant, store.ContactRef{Phone: key(t, w)})
			require.ErrorIs(t, err, store.ErrNotFound, "no contact is made up")
		}
	})

	t.Run("another form of the same number keeps the contact and takes the new wa_id", func(t *testing.T) {
		tenant := newTenant()
		sub := "8" + randDigits(7)
		oldWAID, newWAID := "5531"+sub, "55319"+sub
		_, _, err := s.RecordInbound(ctx, inbound(tenant, oldWAID, key(t, oldWAID), 10))
		require.NoError(t, err)
		m := memberWith(t, s, tenant, key(t, oldWAID))
		res, err := s.ChangeIdentity(ctx, numberChange(t, tenant, oldWAID, newWAID))
		require.NoError(t, err)
		require.NotNil(t, res.Contact)
		assert.Equal(t, newWAID, res.Contact.WAID)
		assert.False(t, res.MovedMember(), "one key: nothing to move")
		got, err := s.MemberByPhone(ctx, tenant, key(t, newWAID))
		require.NoError(t, err)
		assert.Equal(t, m.ID, got.ID)
	})

	t.Run("a member known from a shop only takes the new number", func(t *testing.T) {
		tenant := newTenant()
		oldWAID, newWAID := "62821"+randDigits(7), "62822"+randDigits(7)
		m := memberWith(t, s, tenant, key(t, oldWAID))
		res, err := s.ChangeIdentity(ctx, numberChange(t, tenant, oldWAID, newWAID))
		require.NoError(t, err)
		assert.Nil(t, res.Contact)
		assert.True(t, res.MovedMember())
		got, err := s.MemberByPhone(ctx, tenant, key(t, newWAID))
		require.NoError(t, err)
		assert.Equal(t, m.ID, got.ID)
	})

	t.Run("a change racing the new number's first message leaves one contact", func(t *testing.T) {
		for range 6 {
			tenant := newTenant()
			oldWAID, newWAID := "62823"+randDigits(7), "62824"+randDigits(7)
			_, err := s.UpdateContact(ctx, tenant, store.ContactRef{Phone: key(t, oldWAID)}, member.SetConsent(member.ConsentOptedIn, "qr", at(5)))
			require.NoError(t, err)
			memberWith(t, s, tenant, key(t, oldWAID))
			ch, msg := numberChange(t, tenant, oldWAID, newWAID), inbound(tenant, newWAID, key(t, newWAID), 50)
			errs := make(chan error, 2)
			go func() {
				_, err := s.ChangeIdentity(ctx, ch)
				errs <- err
			}()
			go func() {
				_, _, err := s.RecordInbound(ctx, msg)
				errs <- err
			}()
			require.NoError(t, <-errs)
			require.NoError(t, <-errs)
			c, err := s.Contact(ctx, tenant, store.ContactRef{Phone: key(t, newWAID)})
			require.NoError(t, err)
			assert.Equal(t, member.ConsentOptedIn, c.Marketing)
			assert.True(t, at(50).Equal(c.LastInboundAt))
			assert.Equal(t, newWAID, c.WAID)
			_, err = s.Contact(ctx, tenant, store.ContactRef{Phone: key(t, oldWAID)})
			require.ErrorIs(t, err, store.ErrNotFound)
			_, err = s.MemberByPhone(ctx, tenant, key(t, newWAID))
			require.NoError(t, err)
		}
	})

	t.Run("tenants are apart", func(t *testing.T) {
		tenant, other := newTenant(), newTenant()
		oldWAID, newWAID := "62818"+randDigits(7), "62819"+randDigits(7)
		_, _, err := s.RecordInbound(ctx, inbound(other, oldWAID, key(t, oldWAID), 10))
		require.NoError(t, err)
		ch := numberChange(t, tenant, oldWAID, newWAID)
		_, err = s.ChangeIdentity(ctx, ch)
		require.NoError(t, err)
		_, err = s.Contact(ctx, other, store.ContactRef{Phone: key(t, oldWAID)})
		require.NoError(t, err, "the other tenant's contact stays")
		ch.Tenant = other
		res, err := s.ChangeIdentity(ctx, ch)
		require.NoError(t, err)
		assert.False(t, res.Duplicate, "a message id is one tenant's")
	})
}
