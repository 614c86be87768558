package send

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// A marketing message to a customer whose webhook the hub accepted and has
// not applied waits for it: a STOP in it is applied first and the message
// is skipped, not sent across it.
func TestMarketingWaitsForTheRecipientsUnreadWords(t *testing.T) {
	ctx := context.Background()
	const phone, waID = "+6281200000001", "6281200000001"
	offer := func(key string) []byte {
		b, err := json.Marshal(messaging.Command{Key: key, Tenant: "acme", Sender: "wa", To: phone,
			Kind: messaging.KindTemplate, Category: messaging.CategoryMarketing, Origin: "campaign:offer/a",
			Template: &messaging.Template{Name: "offer", Language: "id"}})
		require.NoError(t, err)
		return b
	}
	for _, stop := range []bool{true, false} {
		name := map[bool]string{true: "the words were a STOP", false: "the words were a question"}[stop]
		t.Run(name, func(t *testing.T) {
			s, b, st := linksSender(t, "")
			now := s.Now()
			ref := store.ContactRef{Phone: phone}
			_, err := st.UpdateContact(ctx, "acme", ref, member.SetConsent(member.ConsentOptedIn, "store signup form", now.Add(-time.Hour)))
			require.NoError(t, err)
			s.Unread = &runtime.Unread{}
			s.Unread.Note("acme", []string{waID}, now.Add(-time.Second))

			require.NoError(t, s.Send(ctx, offer("msg_offer_1")))
			assert.Empty(t, b.sent, "not sent while the customer's words are unread")
			m, err := st.Message(ctx, "acme", "msg_offer_1")
			require.NoError(t, err)
			assert.Equal(t, store.MessageDeferred, m.Status)
			assert.Contains(t, m.Error, messaging.CodeUnread)
			early, err := st.DueMessages(ctx, now.Add(messaging.UnreadRecheck-time.Millisecond), 10, time.Minute)
			require.NoError(t, err)
			assert.Empty(t, early, "not due before %s", messaging.UnreadRecheck)
			due, err := st.DueMessages(ctx, now.Add(messaging.UnreadRecheck), 10, time.Minute)
			require.NoError(t, err)
			assert.Len(t, due, 1, "due again after %s", messaging.UnreadRecheck)

			// The BSP lane applies the webhook.
			if stop {
				_, err = st.UpdateContact(ctx, "acme", ref, member.SetConsent(member.ConsentOptedOut, "whatsapp:chat", now))
				require.NoError(t, err)
			}
			s.Unread.Read("acme", phone, now.Add(-time.Second))

			require.NoError(t, s.Send(ctx, offer("msg_offer_1")))
			m, err = st.Message(ctx, "acme", "msg_offer_1")
			require.NoError(t, err)
			if stop {
				assert.Empty(t, b.sent)
				assert.Equal(t, store.MessageSkipped, m.Status)
				assert.Equal(t, messaging.SkipOptedOut, m.ErrorCode)
			} else {
				assert.Len(t, b.sent, 1)
				assert.Equal(t, store.MessageSent, m.Status)
			}
		})
	}
}

// A customer who wrote under their business-scoped user id alone is the
// same customer as the phone the message goes to: it waits as well.
func TestMarketingWaitsForWordsUnderTheUserID(t *testing.T) {
	ctx := context.Background()
	const phone, userID = "+6281200000002", "ID.88001234567890123456"
	s, b, st := linksSender(t, "")
	now := s.Now()
	ref := store.ContactRef{Phone: phone, UserID: userID}
	_, err := st.UpdateContact(ctx, "acme", ref, member.SetConsent(member.ConsentOptedIn, "store signup form", now.Add(-time.Hour)))
	require.NoError(t, err)
	s.Unread = &runtime.Unread{}
	s.Unread.Note("acme", []string{userID}, now.Add(-time.Second))
	raw, err := json.Marshal(messaging.Command{Key: "msg_offer_2", Tenant: "acme", Sender: "wa", To: phone,
		Kind: messaging.KindTemplate, Category: messaging.CategoryMarketing, Origin: "campaign:offer/a",
		Template: &messaging.Template{Name: "offer", Language: "id"}})
	require.NoError(t, err)
	require.NoError(t, s.Send(ctx, raw))
	assert.Empty(t, b.sent)
	m, err := st.Message(ctx, "acme", "msg_offer_2")
	require.NoError(t, err)
	assert.Equal(t, store.MessageDeferred, m.Status)
	assert.Contains(t, m.Error, messaging.CodeUnread)
}
