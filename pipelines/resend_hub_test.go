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
	"github.com/loyalhub/loyalhub/pipelines"
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
			// Claimed an hour ago by a process that died before the BSP
			// answered.
			key := "msg_interrupted_" + tt.policy
			claimInterrupted(t, h, key, phone, time.Now().Add(-time.Hour), true)

			var msg store.Message
			if tt.wantSent > 0 {
				eventually(t, "the message sent again", func() bool {
					h.admin(http.MethodGet, "/messages/"+key, &msg)
					return msg.Status == tt.wantStatus
				})
			} else {
				// Past the deadline, through several relay rounds.
				time.Sleep(1500 * time.Millisecond)
				h.admin(http.MethodGet, "/messages/"+key, &msg)
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
				assert.Equal(t, []string{key}, keys, "sent under its own key")
			}
		})
	}
}

// A delivery of an interrupted attempt's command that would wait long for
// the attempt's deadline is acknowledged, not held; the claim keeps the
// command (here of an attempt claimed without one), and the relay sends
// the message once the deadline has passed.
func TestLongWaitIsLeftToTheRelay(t *testing.T) {
	h := newHarness(t, harnessOpts{
		env: []string{
			"LOYALHUB_PIPELINE__SEND__UNKNOWN_GRACE=300ms",
			// The deadline is 2.3 s after the attempt: room to see the
			// command acknowledged before it.
			"LOYALHUB_QUEUE__ACK_WAIT=1s",
			"LOYALHUB_PIPELINE__SCHEDULER__INTERVAL=100ms",
		},
		// Every wait is long.
		beforeStart: func(hub *pipelines.Hub) { pipelines.SetInlineWait(hub, 0) },
	})
	const phone = "+6281234567451"
	key := "msg_left_to_the_relay"
	// An attempt a dead replica made just now, claimed without its command.
	payload := claimInterrupted(t, h, key, phone, time.Now(), false)

	require.NoError(t, pipelines.SendCommand(h.hub, payload), "left to the relay, not an error")
	var msg store.Message
	h.admin(http.MethodGet, "/messages/"+key, &msg)
	require.Equal(t, store.MessageSending, msg.Status, "acknowledged before its deadline, unsent")
	assert.Zero(t, h.sentTo(phone))
	eventually(t, "the message sent by the relay", func() bool {
		h.admin(http.MethodGet, "/messages/"+key, &msg)
		return msg.Status == store.MessageRead
	})
	assert.Equal(t, 1, h.sentTo(phone))
	assert.Equal(t, 2, msg.Attempts)
	assert.GreaterOrEqual(t, counterValue(t, h.hub.Metrics().MessagesRelayed.WithLabelValues("acme")), 1.0)
	assert.Equal(t, 1.0, counterValue(t, h.hub.Metrics().MessagesResent.WithLabelValues("acme")))
}

// claimInterrupted claims a points message to phone at the given time, as
// an attempt a dead process left sending, keeping its command or not; it
// returns the command.
func claimInterrupted(t *testing.T, h *harness, key, phone string, at time.Time, keep bool) []byte {
	t.Helper()
	cmd := messaging.Command{
		Key: key, Tenant: "acme", Sender: "whatsapp", To: phone,
		Kind: messaging.KindTemplate, Category: messaging.CategoryUtility,
		Template: &messaging.Template{Name: "points_earned", Language: "en", Body: messaging.Positional("Sari", "5", "5")},
	}
	payload, err := json.Marshal(cmd)
	require.NoError(t, err)
	m := store.Message{
		Key: key, Tenant: "acme", Sender: "whatsapp", Recipient: phone, Kind: cmd.Kind,
		Template: "points_earned", Category: cmd.Category, CreatedAt: at, UpdatedAt: at,
	}
	if keep {
		m.Command = payload
	}
	_, claimed, err := h.hub.Store().ClaimMessage(context.Background(), m)
	require.NoError(t, err)
	require.True(t, claimed)
	return payload
}
