package pipelines_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines"
)

func TestNamesAreCleanedWhereTheyEnter(t *testing.T) {
	h := newHarness(t, harnessOpts{})

	t.Run("a shop's customer", func(t *testing.T) {
		require.Equal(t, http.StatusOK, h.postSale(sale("N-1", "081234567081", " Budi\r\n\u202eSantoso\t\u200f ", "100000")))
		eventually(t, "the member", func() bool {
			_, ok := h.member("+6281234567081")
			return ok
		})
		m, _ := h.member("+6281234567081")
		assert.Equal(t, "Budi Santoso", m.Name)
	})

	t.Run("a name beyond the cap", func(t *testing.T) {
		long := strings.Repeat("Sari ", 60)
		require.Equal(t, http.StatusOK, h.postSale(sale("N-2", "081234567082", long, "100000")))
		eventually(t, "the member", func() bool {
			_, ok := h.member("+6281234567082")
			return ok
		})
		m, _ := h.member("+6281234567082")
		assert.Equal(t, member.CleanName(long), m.Name)
		assert.Equal(t, member.MaxNameLength, member.Length(m.Name))
		assert.True(t, strings.HasSuffix(m.Name, "Sari…"))
	})

	t.Run("a WhatsApp profile", func(t *testing.T) {
		_, err := h.sb.SendInbound(sandbox.Inbound{From: "6281234567083", Name: "\u2067Dewi\u2069\n👩\u200d💻 Lestari\x00", Text: "halo"})
		require.NoError(t, err)
		eventually(t, "the contact", func() bool {
			var body struct{ Contact member.Contact }
			return h.admin(http.MethodGet, "/contacts?phone=%2B6281234567083", &body) == http.StatusOK && body.Contact.Name != ""
		})
		assert.Equal(t, "Dewi 👩\u200d💻 Lestari", h.contact(t, "%2B6281234567083").Name)
	})
}

func TestLongNotificationParamsAreFittedNotDeadLettered(t *testing.T) {
	// The first body parameter repeats the member's name on twenty lines:
	// over 1024 characters, with line breaks WhatsApp refuses.
	h := newHarness(t, harnessOpts{yaml: func(cfg string) string {
		return strings.Replace(cfg, `body: ["member.name", `, `body: ["repeat(member.name + \"\\n\", 20)", `, 1)
	}})
	name := strings.Repeat("Sari ", 19) + "Sari"
	require.Equal(t, http.StatusOK, h.postSale(sale("F-1", "081234567084", name, "100000")))
	eventually(t, "the notification", func() bool { return h.sentTo("+6281234567084") == 1 })
	assert.Empty(t, h.deadLetters().DeadLetters)
	assert.EqualValues(t, 1, counterValue(t, h.hub.Metrics().ParamsFitted.WithLabelValues("acme", "points_earned")))
	var sent []sandbox.ChatMessage
	for _, m := range h.sb.Conversation("6281234567084") {
		if m.Direction == "out" && m.Type == "template" {
			sent = append(sent, m)
		}
	}
	require.Len(t, sent, 1)
	assert.Contains(t, sent[0].Text, name+" "+name, "the lines joined by spaces")
	assert.Contains(t, sent[0].Text, "…", "cut with an ellipsis")
	assert.NotContains(t, sent[0].Text, "Sari\n")
}

func TestReplayedUnfittedCommandIsFittedAndSent(t *testing.T) {
	// A command rendered before parameters were fitted, dead-lettered for
	// its 70-character header line and its multi-line body, is sent once
	// replayed.
	h := newHarness(t, harnessOpts{})
	cmd := messaging.Command{
		Key: "msg_replayed_unfitted", Tenant: "acme", Sender: "whatsapp", To: "+6281234567085",
		Kind: messaging.KindTemplate, Category: messaging.CategoryUtility, Rule: "points_earned",
		Template: &messaging.Template{Name: "points_earned", Language: "en",
			Body: messaging.Positional("Sari\nRahayu", strings.Repeat("9", 1100), "25")},
	}
	payload, err := json.Marshal(cmd)
	require.NoError(t, err)
	require.NoError(t, h.hub.Store().AddDeadLetter(context.Background(), store.DeadLetter{
		// Stored before the outbox, under the topic the send stage read.
		ID: "dl-unfitted", Tenant: "acme", Topic: "outbound", Handler: pipelines.StageSend,
		Reason: "template.body[1]: at most 1024 characters, got 1100", Payload: payload,
		Metadata: map[string]string{pipelines.MetaTenant: "acme"}, CreatedAt: time.Now(),
	}))
	require.Equal(t, http.StatusAccepted, h.adminPost("/deadletters/dl-unfitted/replay", map[string]any{}, nil))
	eventually(t, "the replayed message", func() bool { return h.sentTo("+6281234567085") == 1 })
	assert.EqualValues(t, 2, counterValue(t, h.hub.Metrics().ParamsFitted.WithLabelValues("acme", "points_earned")))
}

func TestMemberWithoutANameStillGetsTheNotification(t *testing.T) {
	// The notification's first parameter is member.name: empty, WhatsApp
	// refuses it (the sandbox as Meta does), so it is sent as "-".
	h := newHarness(t, harnessOpts{})
	require.Equal(t, http.StatusOK, h.postSale(sale("E-1", "081234567086", "", "100000")))
	eventually(t, "the notification", func() bool { return h.sentTo("+6281234567086") == 1 })
	assert.Empty(t, h.deadLetters().DeadLetters)
}
