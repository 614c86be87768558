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
		{"an edit of an earlier message", "edit", now, conversation.ReceiveIgnore},
		{"a deleted message", "revoke", now, conversation.ReceiveIgnore},
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
			m := conversation.Received{Type: tt.typ, Sent: tt.sent, Text: "hi"}
			assert.Equal(t, tt.want, conversation.Receive(m, now))
		})
	}
}

// TestReceiveInteractive: a tap on a button or list row is conversation;
// another interactive answer, such as a Flow's form, is not.
func TestReceiveInteractive(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name string
		m    conversation.Received
		want conversation.Reception
	}{
		{"button reply", conversation.Received{Type: "interactive", ReplyID: conversation.ReplyConsentYes, Text: "Yes, please"}, conversation.ReceiveAnswer},
		{"foreign list row", conversation.Received{Type: "interactive", ReplyID: "slot_9", Text: "09:00"}, conversation.ReceiveAnswer},
		{"a Flow's form", conversation.Received{Type: "interactive"}, conversation.ReceiveIgnore},
		{"quick reply", conversation.Received{Type: "button", ReplyID: "PROMO_STOP", Text: "Stop promotions"}, conversation.ReceiveAnswer},
		{"text in a group", conversation.Received{Type: "text", Text: "JOIN", GroupID: "Y2FwaV9ncm91cDoxNjMxNTU1MTExMToxMjAzNjMwMjQwNzI2MDM3NDE="}, conversation.ReceiveIgnore},
		{"button tap in a group", conversation.Received{Type: "interactive", ReplyID: conversation.ReplyConsentYes, Text: "Yes", GroupID: "Y2FwaV9ncm91cDox"}, conversation.ReceiveIgnore},
		{"photo without caption", conversation.Received{Type: "image"}, conversation.ReceiveAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.m.Sent = now
			assert.Equal(t, tt.want, conversation.Receive(tt.m, now))
		})
	}
}
