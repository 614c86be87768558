package chat

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/store"
)

// A stored conversation goes through a turn and back whole: every step the
// store knows is a step of the turn, and every field the turn keeps is
// saved.
func TestConversationStateRoundTrip(t *testing.T) {
	steps := map[string]conversation.Step{
		store.StepNone: conversation.StepNone, store.StepAwaitConsent: conversation.StepAwaitConsent,
		store.StepAwaitConfirm: conversation.StepAwaitConfirm, store.StepAwaitLanguage: conversation.StepAwaitLanguage,
	}
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	for stored, step := range steps {
		c := store.Conversation{
			Tenant: "acme", Phone: "+6281234567001", UserID: "ID.1", Lang: "id", LangChosen: true, Step: stored,
			RewardID: "latte", JoinCode: "ABC12345", JoinSource: "qr", Misunderstood: 2,
			HandoffUntil: at.Add(time.Hour), HandoffReason: "asked", LastMessageID: "wamid.1", LastMessageAt: at.Add(-time.Minute), UpdatedAt: at,
		}
		s := chatState(c)
		assert.Equal(t, step, s.Step)
		assert.Equal(t, c, savedConversation(store.Conversation{Tenant: "acme", Phone: c.Phone, UserID: c.UserID, UpdatedAt: at}, s))
	}
}
