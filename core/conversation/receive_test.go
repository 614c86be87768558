package conversation_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/conversation"
)

func TestReceive(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		typ  string
		sent time.Time
		want conversation.Reception
	}{
		{"text", "text", now.Add(-time.Minute), conversation.ReceiveAnswer},
		{"button reply", "interactive", now, conversation.ReceiveAnswer},
		{"quick reply", "button", now, conversation.ReceiveAnswer},
		{"photo", "image", now, conversation.ReceiveAnswer},
		{"video", "video", now, conversation.ReceiveAnswer},
		{"file", "document", now, conversation.ReceiveAnswer},
		{"voice note", "audio", now, conversation.ReceiveAnswer},
		{"first open", "request_welcome", now, conversation.ReceiveWelcome},
		{"reaction", "reaction", now, conversation.ReceiveIgnore},
		{"sticker", "sticker", now, conversation.ReceiveIgnore},
		{"location", "location", now, conversation.ReceiveIgnore},
		{"contact card", "contacts", now, conversation.ReceiveIgnore},
		{"cart", "order", now, conversation.ReceiveIgnore},
		{"system", "system", now, conversation.ReceiveIgnore},
		{"disappearing", "ephemeral", now, conversation.ReceiveIgnore},
		{"unsupported", "unsupported", now, conversation.ReceiveIgnore},
		{"unknown to the mapping", "unknown", now, conversation.ReceiveIgnore},
		{"a type added later", "poll", now, conversation.ReceiveIgnore},
		{"empty type", "", now, conversation.ReceiveIgnore},
		{"text WhatsApp did not date", "text", time.Time{}, conversation.ReceiveAnswer},
		{"a day old exactly", "text", now.Add(-conversation.MaxAnswerAge), conversation.ReceiveAnswer},
		{"over a day old", "text", now.Add(-conversation.MaxAnswerAge - time.Second), conversation.ReceiveStale},
		{"old welcome", "request_welcome", now.Add(-48 * time.Hour), conversation.ReceiveStale},
		{"old reaction", "reaction", now.Add(-48 * time.Hour), conversation.ReceiveStale},
		{"from the future", "text", now.Add(time.Hour), conversation.ReceiveAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, conversation.Receive(tt.typ, tt.sent, now))
		})
	}
}
