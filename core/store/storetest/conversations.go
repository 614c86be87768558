package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

// saveConversation saves c and returns it as read back by ref.
func saveConversation(t *testing.T, s store.Store, c store.Conversation, ref store.ContactRef) store.Conversation {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.SaveConversation(ctx, c))
	got, err := s.Conversation(ctx, c.Tenant, ref)
	require.NoError(t, err)
	return got
}

// sameConversation asserts got holds want's state, whatever its UpdatedAt,
// with times in UTC.
func sameConversation(t *testing.T, want, got store.Conversation, msg string) {
	t.Helper()
	assert.True(t, want.HandoffUntil.Equal(got.HandoffUntil), "%s: handoff until %v, want %v", msg, got.HandoffUntil, want.HandoffUntil)
	if !got.HandoffUntil.IsZero() {
		assert.Equal(t, time.UTC, got.HandoffUntil.Location(), msg)
	}
	assert.False(t, got.UpdatedAt.IsZero(), "%s: updated at is set", msg)
	assert.Equal(t, time.UTC, got.UpdatedAt.Location(), msg)
	assert.True(t, want.LastMessageAt.Equal(got.LastMessageAt), "%s: last message at %v, want %v", msg, got.LastMessageAt, want.LastMessageAt)
	want.HandoffUntil, want.LastMessageAt, want.UpdatedAt = got.HandoffUntil, got.LastMessageAt, got.UpdatedAt
	assert.Equal(t, want, got, msg)
}

func testConversationByPhone(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	ref := store.ContactRef{Phone: "+62817" + randDigits(7)}
	c := store.Conversation{Tenant: tenant, Phone: ref.Phone, Lang: "id", LangChosen: true,
		Step: store.StepAwaitConfirm, RewardID: "rw_" + randHex(4), JoinCode: "SARI7", JoinSource: "qr",
		Misunderstood: 2, HandoffUntil: at(3600), HandoffReason: "asked for a person", LastMessageID: "wamid." + randHex(8),
		LastMessageAt: at(-60)}
	before := time.Now().Add(-time.Second)
	got := saveConversation(t, s, c, ref)
	sameConversation(t, c, got, "round trip")
	assert.False(t, got.UpdatedAt.Before(before), "updated at is the time of saving")

	t.Run("saving replaces the whole state", func(t *testing.T) {
		next := store.Conversation{Tenant: tenant, Phone: ref.Phone, Lang: "en", Step: store.StepAwaitLanguage}
		got := saveConversation(t, s, next, ref)
		sameConversation(t, next, got, "replaced")
		assert.True(t, got.HandoffUntil.IsZero(), "a cleared handoff reads back zero")
	})

	t.Run("tenants are apart", func(t *testing.T) {
		other := newTenant()
		got, err := s.Conversation(ctx, other, ref)
		require.NoError(t, err)
		assert.Equal(t, store.Conversation{Tenant: other, Phone: ref.Phone}, got)
	})

	t.Run("a user id learnt later joins the phone number's state", func(t *testing.T) {
		both := store.ContactRef{Phone: ref.Phone, UserID: "ID." + randHex(10)}
		got, err := s.Conversation(ctx, tenant, both)
		require.NoError(t, err)
		assert.Equal(t, store.StepAwaitLanguage, got.Step)
		assert.Equal(t, both.UserID, got.UserID, "the state carries the ref's user id")
		got.Misunderstood = 1
		require.NoError(t, s.SaveConversation(ctx, got))
		byUser, err := s.Conversation(ctx, tenant, store.ContactRef{UserID: both.UserID})
		require.NoError(t, err)
		assert.Equal(t, ref.Phone, byUser.Phone)
		assert.Equal(t, 1, byUser.Misunderstood)
	})

	t.Run("saving by phone alone keeps the stored user id", func(t *testing.T) {
		before, err := s.Conversation(ctx, tenant, ref)
		require.NoError(t, err)
		require.NotEmpty(t, before.UserID)
		require.NoError(t, s.SaveConversation(ctx, store.Conversation{Tenant: tenant, Phone: ref.Phone, Step: store.StepAwaitConsent}))
		got, err := s.Conversation(ctx, tenant, store.ContactRef{UserID: before.UserID})
		require.NoError(t, err)
		assert.Equal(t, ref.Phone, got.Phone)
		assert.Equal(t, store.StepAwaitConsent, got.Step)
	})
}

func testConversationByUserID(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	ref := store.ContactRef{UserID: "ID." + randHex(10)}
	c := store.Conversation{Tenant: tenant, UserID: ref.UserID, Lang: "en", Step: store.StepAwaitConsent,
		JoinCode: "BUDI3", JoinSource: "link"}
	got := saveConversation(t, s, c, ref)
	sameConversation(t, c, got, "round trip")

	t.Run("a phone number learnt later joins the user id's state", func(t *testing.T) {
		both := store.ContactRef{Phone: "+62818" + randDigits(7), UserID: ref.UserID}
		got, err := s.Conversation(ctx, tenant, both)
		require.NoError(t, err)
		assert.Equal(t, store.StepAwaitConsent, got.Step)
		assert.Equal(t, both.Phone, got.Phone, "the state carries the ref's phone number")
		got.Step = store.StepNone
		require.NoError(t, s.SaveConversation(ctx, got))
		byPhone, err := s.Conversation(ctx, tenant, store.ContactRef{Phone: both.Phone})
		require.NoError(t, err)
		assert.Equal(t, ref.UserID, byPhone.UserID)
		assert.Equal(t, "BUDI3", byPhone.JoinCode)
		assert.Equal(t, store.StepNone, byPhone.Step)
	})
}

func testConversationUnknown(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	for _, ref := range []store.ContactRef{
		{Phone: "+62819" + randDigits(7)},
		{UserID: "ID." + randHex(10)},
		{Phone: "+62819" + randDigits(7), UserID: "ID." + randHex(10)},
	} {
		got, err := s.Conversation(ctx, tenant, ref)
		require.NoError(t, err)
		assert.Equal(t, store.Conversation{Tenant: tenant, Phone: ref.Phone, UserID: ref.UserID}, got)
		assert.False(t, got.InHandoff(time.Now()))
	}
	_, err := s.Conversation(ctx, tenant, store.ContactRef{})
	require.ErrorIs(t, err, store.ErrNoContact)
	require.ErrorIs(t, s.SaveConversation(ctx, store.Conversation{Tenant: tenant, Step: store.StepAwaitConsent}), store.ErrNoContact)
	require.Error(t, s.SaveConversation(ctx, store.Conversation{Phone: "+62819" + randDigits(7)}), "a tenant is required")
}

func testConversationMerge(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()

	t.Run("the newer state wins and the two become one", func(t *testing.T) {
		phone, bsuid := "+62821"+randDigits(7), "ID."+randHex(10)
		// The phone number chatted long ago; the user id, on its own, has
		// just been asked to confirm a redemption.
		require.NoError(t, s.SaveConversation(ctx, store.Conversation{Tenant: tenant, Phone: phone, Lang: "id", LangChosen: true}))
		require.NoError(t, s.SaveConversation(ctx, store.Conversation{Tenant: tenant, UserID: bsuid, Lang: "en",
			Step: store.StepAwaitConfirm, RewardID: "rw_1"}))

		both := store.ContactRef{Phone: phone, UserID: bsuid}
		got, err := s.Conversation(ctx, tenant, both)
		require.NoError(t, err)
		assert.Equal(t, store.StepAwaitConfirm, got.Step, "the newer state")
		assert.Equal(t, "rw_1", got.RewardID)
		assert.Equal(t, phone, got.Phone)
		assert.Equal(t, bsuid, got.UserID)

		got.Step, got.RewardID = store.StepNone, ""
		require.NoError(t, s.SaveConversation(ctx, got))
		for _, ref := range []store.ContactRef{{Phone: phone}, {UserID: bsuid}, both} {
			c, err := s.Conversation(ctx, tenant, ref)
			require.NoError(t, err)
			assert.Equal(t, phone, c.Phone, ref)
			assert.Equal(t, bsuid, c.UserID, ref)
			assert.Equal(t, "en", c.Lang, ref)
			assert.Equal(t, store.StepNone, c.Step, ref)
		}
	})

	t.Run("an older user id state loses to the phone number's", func(t *testing.T) {
		phone, bsuid := "+62822"+randDigits(7), "ID."+randHex(10)
		require.NoError(t, s.SaveConversation(ctx, store.Conversation{Tenant: tenant, UserID: bsuid, Step: store.StepAwaitLanguage}))
		require.NoError(t, s.SaveConversation(ctx, store.Conversation{Tenant: tenant, Phone: phone, Step: store.StepAwaitConsent, JoinSource: "ad"}))
		got, err := s.Conversation(ctx, tenant, store.ContactRef{Phone: phone, UserID: bsuid})
		require.NoError(t, err)
		assert.Equal(t, store.StepAwaitConsent, got.Step)
		assert.Equal(t, bsuid, got.UserID)
	})

	t.Run("saving both without reading first keeps the saved state", func(t *testing.T) {
		phone, bsuid := "+62823"+randDigits(7), "ID."+randHex(10)
		require.NoError(t, s.SaveConversation(ctx, store.Conversation{Tenant: tenant, Phone: phone, Step: store.StepAwaitConsent}))
		require.NoError(t, s.SaveConversation(ctx, store.Conversation{Tenant: tenant, UserID: bsuid, Step: store.StepAwaitConfirm}))
		saved := store.Conversation{Tenant: tenant, Phone: phone, UserID: bsuid, Lang: "id", Misunderstood: 3}
		for _, ref := range []store.ContactRef{{Phone: phone}, {UserID: bsuid}} {
			got := saveConversation(t, s, saved, ref)
			sameConversation(t, saved, got, "merged")
		}
	})

	t.Run("a user id moving to another phone number leaves the old number's state", func(t *testing.T) {
		oldPhone, newPhone, bsuid := "+62824"+randDigits(7), "+62825"+randDigits(7), "ID."+randHex(10)
		require.NoError(t, s.SaveConversation(ctx, store.Conversation{Tenant: tenant, Phone: oldPhone, UserID: bsuid, Lang: "id"}))
		require.NoError(t, s.SaveConversation(ctx, store.Conversation{Tenant: tenant, Phone: newPhone, Lang: "en"}))
		require.NoError(t, s.SaveConversation(ctx, store.Conversation{Tenant: tenant, Phone: newPhone, UserID: bsuid, Lang: "en", Step: store.StepAwaitLanguage}))

		old, err := s.Conversation(ctx, tenant, store.ContactRef{Phone: oldPhone})
		require.NoError(t, err)
		assert.Equal(t, "id", old.Lang, "the old number keeps its state")
		assert.Empty(t, old.UserID, "without the user id")
		byUser, err := s.Conversation(ctx, tenant, store.ContactRef{UserID: bsuid})
		require.NoError(t, err)
		assert.Equal(t, newPhone, byUser.Phone)
		assert.Equal(t, store.StepAwaitLanguage, byUser.Step)
	})
}

func testConversationConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	phone, bsuid := "+62833"+randDigits(7), "ID."+randHex(10)
	refs := []store.ContactRef{{Phone: phone}, {UserID: bsuid}, {Phone: phone, UserID: bsuid}}
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		ref := refs[i%len(refs)]
		wg.Go(func() {
			errs <- s.SaveConversation(ctx, store.Conversation{Tenant: tenant, Phone: ref.Phone, UserID: ref.UserID, Misunderstood: i})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	// Whatever the order, a last save naming both leaves one state.
	require.NoError(t, s.SaveConversation(ctx, store.Conversation{Tenant: tenant, Phone: phone, UserID: bsuid, Step: store.StepAwaitConsent}))
	for _, ref := range refs {
		c, err := s.Conversation(ctx, tenant, ref)
		require.NoError(t, err)
		assert.Equal(t, phone, c.Phone, ref)
		assert.Equal(t, bsuid, c.UserID, ref)
		assert.Equal(t, store.StepAwaitConsent, c.Step, ref)
	}
}

func testHandoffs(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	now := at(1000)
	save := func(ref store.ContactRef, until time.Time, reason string) {
		t.Helper()
		require.NoError(t, s.SaveConversation(ctx, store.Conversation{Tenant: tenant, Phone: ref.Phone, UserID: ref.UserID,
			Step: store.StepNone, HandoffUntil: until, HandoffReason: reason}))
	}
	a := store.ContactRef{Phone: "+62826" + randDigits(7)}
	b := store.ContactRef{Phone: "+62827" + randDigits(7)}
	c := store.ContactRef{UserID: "ID." + randHex(10)}
	save(a, now.Add(300*time.Second), "asked for a person")
	save(b, now.Add(100*time.Second), "misunderstood")
	save(c, now.Add(200*time.Second), "complaint")
	save(store.ContactRef{Phone: "+62828" + randDigits(7)}, now, "ends now")
	save(store.ContactRef{Phone: "+62829" + randDigits(7)}, now.Add(-time.Hour), "ended")
	save(store.ContactRef{Phone: "+62830" + randDigits(7)}, time.Time{}, "")
	require.NoError(t, s.SaveConversation(ctx, store.Conversation{Tenant: newTenant(), Phone: a.Phone,
		HandoffUntil: now.Add(time.Hour), HandoffReason: "another tenant"}))

	refs := func(cs []store.Conversation) []store.ContactRef {
		out := []store.ContactRef{}
		for _, c := range cs {
			out = append(out, store.ContactRef{Phone: c.Phone, UserID: c.UserID})
		}
		return out
	}
	tests := []struct {
		name  string
		now   time.Time
		limit int
		want  []store.ContactRef
	}{
		{"in handoff at now, longest waiting first", now, 0, []store.ContactRef{b, c, a}},
		{"limit", now, 2, []store.ContactRef{b, c}},
		{"later", now.Add(250 * time.Second), 0, []store.ContactRef{a}},
		{"none", now.Add(time.Hour), 0, []store.ContactRef{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Handoffs(ctx, tenant, tt.now, tt.limit)
			require.NoError(t, err)
			assert.Equal(t, tt.want, refs(got))
			for _, c := range got {
				assert.Equal(t, tenant, c.Tenant)
				assert.True(t, c.InHandoff(tt.now))
				assert.NotEmpty(t, c.HandoffReason)
				assert.Equal(t, time.UTC, c.HandoffUntil.Location())
			}
		})
	}
	got, err := s.Handoffs(ctx, tenant, now, 0)
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.True(t, now.Add(100*time.Second).Equal(got[0].HandoffUntil))
	assert.Equal(t, "misunderstood", got[0].HandoffReason)
}
