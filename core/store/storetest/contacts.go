package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

func testContacts(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	phone := "+62811" + randDigits(7)
	ref := store.ContactRef{Phone: phone}

	_, err := s.Contact(ctx, tenant, ref)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.Contact(ctx, tenant, store.ContactRef{})
	require.ErrorIs(t, err, store.ErrNoContact)

	t.Run("inbound opens the window once per message", func(t *testing.T) {
		m := store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid." + randHex(8), Contact: ref,
			Name: "Budi", Type: "text", Text: "hi", At: at(10)}
		c, dup, err := s.RecordInbound(ctx, m)
		require.NoError(t, err)
		assert.False(t, dup)
		assert.Equal(t, phone, c.Phone)
		assert.Equal(t, "Budi", c.Name)
		assert.True(t, at(10).Equal(c.LastInboundAt))
		assert.True(t, c.WindowOpen(at(10).Add(23*time.Hour)))
		assert.False(t, c.WindowOpen(at(10).Add(24*time.Hour)))

		m.Name = "Other"
		c, dup, err = s.RecordInbound(ctx, m)
		require.NoError(t, err)
		assert.True(t, dup, "the same message id again is a duplicate")
		assert.Equal(t, "Budi", c.Name, "a duplicate changes nothing")

		older := store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid." + randHex(8), Contact: ref, Type: "text", At: at(5)}
		c, dup, err = s.RecordInbound(ctx, older)
		require.NoError(t, err)
		assert.False(t, dup)
		assert.True(t, at(10).Equal(c.LastInboundAt), "a late older message does not move the window back")
		got, err := s.Contact(ctx, tenant, ref)
		require.NoError(t, err)
		assert.True(t, at(10).Equal(got.LastInboundAt))
		assert.Equal(t, "Budi", got.Name)
	})

	t.Run("a message written in a group opens no window with its sender", func(t *testing.T) {
		member := store.ContactRef{Phone: "+62811" + randDigits(7)}
		m := store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid." + randHex(8), Contact: member,
			Name: "Sari", Type: "text", Text: "promo?", At: at(10), GroupID: "Y2FwaV9ncm91cDox"}
		c, dup, err := s.RecordInbound(ctx, m)
		require.NoError(t, err)
		assert.False(t, dup)
		assert.Equal(t, "Sari", c.Name)
		assert.True(t, c.LastInboundAt.IsZero())
		assert.False(t, c.WindowOpen(at(11)))
		_, dup, err = s.RecordInbound(ctx, m)
		require.NoError(t, err)
		assert.True(t, dup, "recorded in the message log like any message")

		direct := store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid." + randHex(8), Contact: member, Type: "text", At: at(12)}
		c, _, err = s.RecordInbound(ctx, direct)
		require.NoError(t, err)
		assert.True(t, c.WindowOpen(at(13)), "a message to the business opens it")
	})

	t.Run("consent keeps the latest change", func(t *testing.T) {
		c, err := s.UpdateContact(ctx, tenant, ref, member.SetConsent(member.ConsentOptedIn, "qr", at(20)))
		require.NoError(t, err)
		assert.Equal(t, member.ConsentOptedIn, c.Marketing)
		_, err = s.UpdateContact(ctx, tenant, ref, member.SetConsent(member.ConsentOptedOut, "whatsapp", at(30)))
		require.NoError(t, err)
		_, err = s.UpdateContact(ctx, tenant, ref, member.SetConsent(member.ConsentOptedIn, "late", at(25)))
		require.NoError(t, err)
		got, err := s.Contact(ctx, tenant, ref)
		require.NoError(t, err)
		assert.Equal(t, member.ConsentOptedOut, got.Marketing)
		assert.Equal(t, "whatsapp", got.MarketingSource)
		assert.True(t, at(30).Equal(got.MarketingAt))
		assert.True(t, at(10).Equal(got.LastInboundAt), "other fields are kept")
	})

	t.Run("hold never shortens", func(t *testing.T) {
		_, err := s.UpdateContact(ctx, tenant, ref, member.Hold(at(100), "131049"))
		require.NoError(t, err)
		_, err = s.UpdateContact(ctx, tenant, ref, member.Hold(at(50), "shorter"))
		require.NoError(t, err)
		got, err := s.Contact(ctx, tenant, ref)
		require.NoError(t, err)
		assert.True(t, at(100).Equal(got.HoldUntil))
		assert.Equal(t, "131049", got.HoldReason)
		assert.True(t, got.Held(at(99)))
		assert.False(t, got.Held(at(100)))
	})

	t.Run("a user id seen alone joins its phone number later", func(t *testing.T) {
		bsuid := "ID." + randHex(10)
		phone2 := "+62812" + randDigits(7)
		_, _, err := s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid." + randHex(8),
			Contact: store.ContactRef{UserID: bsuid}, Type: "text", At: at(40)})
		require.NoError(t, err)
		_, err = s.UpdateContact(ctx, tenant, store.ContactRef{UserID: bsuid}, member.SetConsent(member.ConsentOptedOut, "whatsapp", at(41)))
		require.NoError(t, err)
		// The phone number was known on its own, from a shop.
		_, err = s.UpdateContact(ctx, tenant, store.ContactRef{Phone: phone2}, member.SetConsent(member.ConsentOptedIn, "shop", at(1)))
		require.NoError(t, err)

		// Now a webhook carries both.
		c, _, err := s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid." + randHex(8),
			Contact: store.ContactRef{Phone: phone2, UserID: bsuid}, Type: "text", At: at(42)})
		require.NoError(t, err)
		assert.Equal(t, phone2, c.Phone)
		assert.Equal(t, bsuid, c.UserID)
		assert.Equal(t, member.ConsentOptedOut, c.Marketing, "the later consent wins")
		byUser, err := s.Contact(ctx, tenant, store.ContactRef{UserID: bsuid})
		require.NoError(t, err)
		assert.Equal(t, phone2, byUser.Phone, "the user id now finds the phone's contact")
	})

	t.Run("tenants are apart", func(t *testing.T) {
		_, err := s.Contact(ctx, newTenant(), ref)
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("concurrent first messages make one contact", func(t *testing.T) {
		p := store.ContactRef{Phone: "+62813" + randDigits(7)}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid." + randHex(8),
					Contact: p, Type: "text", At: at(60)})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		c, err := s.Contact(ctx, tenant, p)
		require.NoError(t, err)
		assert.True(t, at(60).Equal(c.LastInboundAt))
	})
}

func testCountMessages(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	to := "+62814" + randDigits(7)
	prefix := "msg_" + randHex(6) + "_"
	claim := func(key, category string, created int) {
		_, ok, err := s.ClaimMessage(ctx, store.Message{Key: prefix + key, Tenant: tenant, Recipient: to, Kind: "template",
			Category: category, CreatedAt: at(created)})
		require.NoError(t, err)
		require.True(t, ok)
	}
	claim("m1", "marketing", 10)
	claim("m2", "marketing", 20)
	claim("m3", "utility", 20)
	claim("m4", "marketing", 30)
	require.NoError(t, s.MarkFailed(ctx, prefix+"m4", "131026", "undeliverable", at(31)))
	claim("m5", "marketing", 40)
	require.NoError(t, s.ReleaseMessage(ctx, prefix+"m5", "130429", "rate", at(41)))
	waiting := queued(tenant, prefix+"m6", at(50))
	waiting.Recipient, waiting.Category, waiting.CreatedAt = to, "marketing", at(50)
	require.NoError(t, s.EnqueueMessages(ctx, []store.Message{waiting}))

	n, err := s.CountMessages(ctx, tenant, to, "marketing", at(0))
	require.NoError(t, err)
	assert.Equal(t, 2, n, "failed, released and queued messages do not count")
	n, err = s.CountMessages(ctx, tenant, to, "marketing", at(15))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, err = s.CountMessages(ctx, tenant, "+620000", "marketing", at(0))
	require.NoError(t, err)
	assert.Zero(t, n)
}

// randDigits returns n random decimal digits.
func randDigits(n int) string {
	b := []byte(randHex(n))
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b[:n])
}

func testMarkSkipped(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	key := "msg_" + randHex(8)
	_, ok, err := s.ClaimMessage(ctx, store.Message{Key: key, Tenant: tenant, Recipient: "+6281100000001", Kind: "template", Category: "marketing"})
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, s.MarkSkipped(ctx, key, "no_consent", "the recipient has not opted in to marketing messages", time.Now()))
	m, err := s.Message(ctx, tenant, key)
	require.NoError(t, err)
	assert.Equal(t, store.MessageSkipped, m.Status)
	assert.Equal(t, "no_consent", m.ErrorCode)
	_, ok, err = s.ClaimMessage(ctx, store.Message{Key: key, Tenant: tenant})
	require.NoError(t, err)
	assert.False(t, ok, "a skipped message is never claimed again")
	require.NoError(t, s.MarkSent(ctx, key, "wamid.x", time.Now()))
	m, err = s.Message(ctx, tenant, key)
	require.NoError(t, err)
	assert.Equal(t, store.MessageSkipped, m.Status, "skipped is final")
	n, err := s.CountMessages(ctx, tenant, "+6281100000001", "marketing", time.Time{})
	require.NoError(t, err)
	assert.Zero(t, n, "a skipped message does not count towards the cap")
}

func testDeferMessage(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	key := "msg_" + randHex(8)
	_, ok, err := s.ClaimMessage(ctx, store.Message{Key: key, Tenant: tenant, Recipient: "+6281100000002", Kind: "template", Category: "marketing"})
	require.NoError(t, err)
	require.True(t, ok)
	cmd := []byte(`{"key":"` + key + `"}`)
	until := time.Now().Add(time.Hour)
	require.NoError(t, s.DeferMessage(ctx, key, until, cmd, "quiet hours until 08:00", time.Now()))
	m, err := s.Message(ctx, tenant, key)
	require.NoError(t, err)
	assert.Equal(t, store.MessageDeferred, m.Status)

	due, err := s.DueMessages(ctx, time.Now(), 100, time.Minute)
	require.NoError(t, err)
	assert.NotContains(t, keysOf(due), key, "not due yet")

	later := until.Add(time.Second)
	due, err = s.DueMessages(ctx, later, 1000, time.Minute)
	require.NoError(t, err)
	require.Contains(t, keysOf(due), key)
	for _, d := range due {
		if d.Key == key {
			assert.Equal(t, cmd, d.Command)
			assert.Equal(t, tenant, d.Tenant)
		}
	}
	due, err = s.DueMessages(ctx, later, 1000, time.Minute)
	require.NoError(t, err)
	assert.NotContains(t, keysOf(due), key, "leased: not returned twice")

	_, ok, err = s.ClaimMessage(ctx, store.Message{Key: key, Tenant: tenant})
	require.NoError(t, err)
	assert.True(t, ok, "a deferred message is claimed again when it comes back")
	due, err = s.DueMessages(ctx, later.Add(time.Hour), 1000, time.Minute)
	require.NoError(t, err)
	assert.NotContains(t, keysOf(due), key, "a claimed message is no longer deferred")
}

func keysOf(ds []store.DeferredMessage) []string {
	return pluck(ds, func(d store.DeferredMessage) string { return d.Key })
}

// pluck lists f of each of xs, in order (an empty list for none).
func pluck[T any](xs []T, f func(T) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

func testApplyStatuses(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	var keys []string
	for i := range 3 {
		key := "msg_" + randHex(8)
		keys = append(keys, key)
		_, _, err := s.ClaimMessage(ctx, store.Message{Key: key, Tenant: tenant, Recipient: "+6281100000003", Kind: "template"})
		require.NoError(t, err)
		require.NoError(t, s.MarkSent(ctx, key, fmt.Sprintf("wamid.%s.%d", key, i), time.Now()))
	}
	now := time.Now()
	missing, err := s.ApplyStatuses(ctx, []store.StatusUpdate{
		{Tenant: tenant, ProviderMessageID: "wamid." + keys[0] + ".0", Status: store.MessageDelivered, At: now},
		{Tenant: tenant, ProviderMessageID: "wamid.unknown", Status: store.MessageRead, At: now},
		{Tenant: tenant, ProviderMessageID: "wamid." + keys[1] + ".1", Status: store.MessageRead, At: now},
		{Tenant: tenant, ProviderMessageID: "wamid." + keys[0] + ".0", Status: store.MessageSent, At: now}, // late: no step back
		{Tenant: tenant, Key: keys[2], Status: store.MessageFailed, ErrorCode: "131026", Error: "undeliverable", At: now},
	})
	require.NoError(t, err)
	assert.Equal(t, []bool{false, true, false, false, false}, missing)
	for key, want := range map[string]string{keys[0]: store.MessageDelivered, keys[1]: store.MessageRead, keys[2]: store.MessageFailed} {
		m, err := s.Message(ctx, tenant, key)
		require.NoError(t, err)
		assert.Equal(t, want, m.Status, key)
	}
	_, err = s.ApplyStatuses(ctx, []store.StatusUpdate{{Tenant: tenant, Key: keys[0], Status: "bogus"}})
	require.Error(t, err)
}

// Reports within one call apply in their order, as ApplyStatus would one
// by one: a report naming its message by key fills the provider's id, by
// which the next report finds it.
func testApplyStatusesInOrder(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	key := "msg_" + randHex(8)
	_, _, err := s.ClaimMessage(ctx, store.Message{Key: key, Tenant: tenant, Recipient: "+6281100000004", Kind: "template"})
	require.NoError(t, err)
	now := time.Now()
	pmid := "wamid." + key
	missing, err := s.ApplyStatuses(ctx, []store.StatusUpdate{
		{Tenant: tenant, ProviderMessageID: pmid, Key: key, Status: store.MessageSent, At: now},
		{Tenant: tenant, ProviderMessageID: pmid, Status: store.MessageDelivered, At: now.Add(time.Second)},
		{Tenant: tenant, ProviderMessageID: pmid, Status: store.MessageSent, At: now.Add(2 * time.Second)}, // late: no step back
	})
	require.NoError(t, err)
	assert.Equal(t, []bool{false, false, false}, missing)
	m, err := s.Message(ctx, tenant, key)
	require.NoError(t, err)
	assert.Equal(t, store.MessageDelivered, m.Status)
	assert.Equal(t, pmid, m.ProviderMessageID)
	var steps []string
	for _, st := range m.Timeline {
		steps = append(steps, st.Status)
	}
	assert.Equal(t, []string{store.MessageSending, store.MessageSent, store.MessageDelivered}, steps)
}

// Concurrent calls, as from concurrent webhooks, each get their own
// missing flags, and every message ends at its furthest report with each
// step recorded once.
func testApplyStatusesConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	const n = 40
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "msg_" + randHex(8)
		_, _, err := s.ClaimMessage(ctx, store.Message{Key: keys[i], Tenant: tenant, Recipient: "+6281100000005", Kind: "template"})
		require.NoError(t, err)
		require.NoError(t, s.MarkSent(ctx, keys[i], "wamid."+keys[i], time.Now()))
	}
	now := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		for j, status := range []string{store.MessageDelivered, store.MessageRead} {
			wg.Go(func() {
				us := []store.StatusUpdate{
					{Tenant: tenant, ProviderMessageID: "wamid." + keys[i], Status: status, At: now.Add(time.Duration(j) * time.Second)},
					{Tenant: tenant, ProviderMessageID: "wamid.unknown." + keys[i], Status: status, At: now},
				}
				missing, err := s.ApplyStatuses(ctx, us)
				assert.NoError(t, err)
				assert.Equal(t, []bool{false, true}, missing)
			})
		}
	}
	wg.Wait()
	for _, key := range keys {
		m, err := s.Message(ctx, tenant, key)
		require.NoError(t, err)
		assert.Equal(t, store.MessageRead, m.Status, key)
		seen := map[string]int{}
		for _, st := range m.Timeline {
			seen[st.Status]++
		}
		assert.Equal(t, 1, seen[store.MessageRead], key)
		assert.LessOrEqual(t, seen[store.MessageDelivered], 1, key)
	}
}

func testConsentText(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	ref := store.ContactRef{Phone: "+62831" + randDigits(7)}
	const shown = "Balas YA untuk menerima promo dari Toko Sari. Balas STOP kapan saja untuk berhenti."

	consent := func(change member.Change) member.Contact {
		t.Helper()
		_, err := s.UpdateContact(ctx, tenant, ref, change)
		require.NoError(t, err)
		c, err := s.Contact(ctx, tenant, ref)
		require.NoError(t, err)
		return c
	}

	c := consent(member.SetConsentWithText(member.ConsentOptedIn, "whatsapp", shown, at(10)))
	assert.Equal(t, member.ConsentOptedIn, c.Marketing)
	assert.Equal(t, "whatsapp", c.MarketingSource)
	assert.Equal(t, shown, c.MarketingText, "the text the customer was shown is kept")
	body, err := json.Marshal(c)
	require.NoError(t, err)
	assert.Contains(t, string(body), `"marketing_text":"Balas YA`)

	c = consent(member.SetConsentWithText(member.ConsentOptedOut, "whatsapp", "older text", at(5)))
	assert.Equal(t, member.ConsentOptedIn, c.Marketing, "an older change arriving late changes nothing")
	assert.Equal(t, shown, c.MarketingText)

	c = consent(member.SetConsent(member.ConsentOptedOut, "shop", at(20)))
	assert.Equal(t, member.ConsentOptedOut, c.Marketing)
	assert.Empty(t, c.MarketingText, "a consent without text clears the kept one")
	body, err = json.Marshal(c)
	require.NoError(t, err)
	assert.NotContains(t, string(body), "marketing_text")

	c = consent(member.SetConsentWithText(member.ConsentOptedIn, "whatsapp", shown, at(30)))
	assert.Equal(t, shown, c.MarketingText)
	c = consent(member.SetConsent(member.ConsentOptedOut, "late", at(25)))
	assert.Equal(t, member.ConsentOptedIn, c.Marketing)
	assert.Equal(t, shown, c.MarketingText, "an older consent without text does not clear it")
	assert.True(t, at(30).Equal(c.MarketingAt))

	t.Run("the text follows the consent when a user id joins its phone number", func(t *testing.T) {
		bsuid, phone := "ID."+randHex(10), "+62832"+randDigits(7)
		_, err := s.UpdateContact(ctx, tenant, store.ContactRef{Phone: phone}, member.SetConsent(member.ConsentOptedOut, "shop", at(1)))
		require.NoError(t, err)
		_, err = s.UpdateContact(ctx, tenant, store.ContactRef{UserID: bsuid}, member.SetConsentWithText(member.ConsentOptedIn, "whatsapp", shown, at(2)))
		require.NoError(t, err)
		c, err := s.UpdateContact(ctx, tenant, store.ContactRef{Phone: phone, UserID: bsuid}, func(*member.Contact) {})
		require.NoError(t, err)
		assert.Equal(t, member.ConsentOptedIn, c.Marketing)
		assert.Equal(t, shown, c.MarketingText)
		got, err := s.Contact(ctx, tenant, store.ContactRef{Phone: phone})
		require.NoError(t, err)
		assert.Equal(t, shown, got.MarketingText)
	})
}
