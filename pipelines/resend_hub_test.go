package pipelines_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
)

// An attempt a crash interrupted, whose command the queue no longer holds
// (the memory queue forgets everything on a restart), is still resolved:
// the relay hands its kept command back to the send stage once its
// deadline has passed, and under the resend policy it goes out once, under
// its own key.
func TestInterruptedAttemptWithoutItsCommand(t *testing.T) {
	tests := []struct {
		policy     string
		wantSent   int
		wantStatus string
	}{
		{"resend", 1, store.MessageRead},
		{"hold", 0, store.MessageSending},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			h := newHarness(t, harnessOpts{env: []string{
				"LOYALHUB_PIPELINE__SEND__UNKNOWN_POLICY=" + tt.policy,
				"LOYALHUB_PIPELINE__SEND__UNKNOWN_GRACE=300ms",
				"LOYALHUB_QUEUE__ACK_WAIT=100ms",
				"LOYALHUB_PIPELINE__SCHEDULER__INTERVAL=100ms",
			}})
			const phone = "+6281234567450"
			cmd := messaging.Command{
				Key: "msg_interrupted_" + tt.policy, Tenant: "acme", Sender: "whatsapp", To: phone,
				Kind: messaging.KindTemplate, Category: messaging.CategoryUtility,
				Template: &messaging.Template{Name: "points_earned", Language: "en", Body: messaging.Positional("Sari", "5", "5")},
			}
			payload, err := json.Marshal(cmd)
			require.NoError(t, err)
			// Claimed an hour ago by a process that died before the BSP
			// answered.
			_, claimed, err := h.hub.Store().ClaimMessage(context.Background(), store.Message{
				Key: cmd.Key, Tenant: "acme", Sender: "whatsapp", Recipient: phone, Kind: cmd.Kind,
				Template: "points_earned", Category: cmd.Category, Command: payload,
				CreatedAt: time.Now().Add(-time.Hour), UpdatedAt: time.Now().Add(-time.Hour),
			})
			require.NoError(t, err)
			require.True(t, claimed)

			var msg store.Message
			if tt.wantSent > 0 {
				eventually(t, "the message sent again", func() bool {
					h.admin(http.MethodGet, "/messages/"+cmd.Key, &msg)
					return msg.Status == tt.wantStatus
				})
			} else {
				// Past the deadline, through several relay rounds.
				time.Sleep(1500 * time.Millisecond)
				h.admin(http.MethodGet, "/messages/"+cmd.Key, &msg)
				assert.Equal(t, tt.wantStatus, msg.Status, "left for an operator")
				assert.Zero(t, counterValue(t, h.hub.Metrics().MessagesRelayed.WithLabelValues("acme")))
			}
			assert.Equal(t, tt.wantSent, h.sentTo(phone))
			assert.Equal(t, 1+tt.wantSent, msg.Attempts)
			if tt.wantSent > 0 {
				var keys []string
				for _, r := range h.sb.Messages() {
					keys = append(keys, r.CallbackData)
				}
				assert.Equal(t, []string{cmd.Key}, keys, "sent under its own key")
			}
		})
	}
}
