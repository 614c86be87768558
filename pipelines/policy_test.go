package pipelines_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
)

// marketing makes the test config's notification a marketing one.
func marketing(extra string) func(string) string {
	return func(cfg string) string {
		cfg = strings.Replace(cfg, "        sender: whatsapp\n", "        sender: whatsapp\n        category: marketing\n", 1)
		return strings.Replace(cfg, "    notifications:\n", extra+"    notifications:\n", 1)
	}
}

// lastMessage waits until the message log's only message for the phone is
// no longer being sent, and returns it.
func (h *harness) settled(t *testing.T, n int) []store.Message {
	t.Helper()
	var list struct{ Messages []store.Message }
	eventually(t, fmt.Sprintf("%d settled messages", n), func() bool {
		h.admin(http.MethodGet, "/messages", &list)
		// A message queued again for the end of a 131049 hold is due
		// tomorrow: it is not one of the messages settling now.
		list.Messages = slices.DeleteFunc(list.Messages, func(m store.Message) bool {
			return strings.HasSuffix(m.Key, "~retry")
		})
		if len(list.Messages) != n {
			return false
		}
		for _, m := range list.Messages {
			if m.Status == store.MessageSending || m.Status == store.MessageQueued {
				return false
			}
		}
		return true
	})
	return list.Messages
}

func (h *harness) contact(t *testing.T, phone string) member.Contact {
	t.Helper()
	var body struct{ Contact member.Contact }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/contacts?phone="+phone, &body))
	return body.Contact
}

// postWebhook posts a Cloud API webhook body to the tenant's WhatsApp
// connector, signed with the app secret.
func (h *harness) postWebhook(t *testing.T, body string) {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(testAppSecret))
	mac.Write([]byte(body))
	req, err := http.NewRequest(http.MethodPost, h.url+"/hooks/acme/whatsapp", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := h.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// messagesWebhook is a Cloud API webhook to the test number with one
// change of the messages field: contact and message are the JSON of its
// contacts' and messages' one item (contact "" for no contacts array, as
// Meta sends system messages).
func messagesWebhook(contact, message string) string {
	contacts := ""
	if contact != "" {
		contacts = `"contacts":[` + contact + `],`
	}
	return `{"object":"whatsapp_business_account","entry":[{"id":"200000000000009","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"` +
		testNumberID + `"},` + contacts + `"messages":[` + message + `]}}]}]}`
}

func inboundText(id, from, text string, at time.Time) string {
	return messagesWebhook(fmt.Sprintf(`{"profile":{"name":"Sari"},"wa_id":"%s"}`, from),
		fmt.Sprintf(`{"from":"%s","id":"%s","timestamp":"%d","type":"text","text":{"body":%q}}`, from, id, at.Unix(), text))
}

func TestMarketingNeedsConsent(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: marketing("")})
	require.Equal(t, http.StatusOK, h.postSale(sale("C-1", "081234560001", "Sari", "50000")))
	msgs := h.settled(t, 1)
	assert.Equal(t, store.MessageSkipped, msgs[0].Status)
	assert.Equal(t, "no_consent", msgs[0].ErrorCode)
	assert.Zero(t, h.sentTo("+6281234560001"))
	assert.Empty(t, h.deadLetters().DeadLetters, "a policy refusal is not a fault")

	var resp map[string]any
	req := map[string]any{"phone": "081234560001", "opted_in": true, "source": "store signup form"}
	require.Equal(t, http.StatusOK, h.adminPost("/contacts/consent", req, &resp))
	assert.Equal(t, member.ConsentOptedIn, h.contact(t, "+6281234560001").Marketing)

	require.Equal(t, http.StatusOK, h.postSale(sale("C-2", "081234560001", "Sari", "50000")))
	eventually(t, "the marketing message", func() bool { return h.sentTo("+6281234560001") == 1 })
}

func TestWhatsAppStopAndDailyCap(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: marketing("    messaging:\n      marketing_consent: not_opted_out\n      marketing_daily_cap: 1\n")})
	require.Equal(t, http.StatusOK, h.postSale(sale("D-1", "081234560002", "Budi", "50000")))
	require.Equal(t, http.StatusOK, h.postSale(sale("D-2", "081234560002", "Budi", "50000")))
	msgs := h.settled(t, 2)
	skipped := 0
	for _, m := range msgs {
		if m.Status == store.MessageSkipped {
			skipped++
			assert.Equal(t, "daily_cap", m.ErrorCode)
		} else {
			assert.Contains(t, []string{store.MessageSent, store.MessageDelivered, store.MessageRead}, m.Status)
		}
	}
	assert.Equal(t, 1, skipped, "one message a day: %+v", msgs)
	assert.Equal(t, 1, h.sentTo("+6281234560002"))

	// The customer taps "Stop promotions" in WhatsApp.
	h.postWebhook(t, fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"200000000000009","changes":[{"field":"user_preferences","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"%s"},"contacts":[{"wa_id":"6281234560003"}],"user_preferences":[{"wa_id":"6281234560003","detail":"User requested to stop marketing messages","category":"marketing_messages","value":"stop","timestamp":%d}]}}]}]}`,
		testNumberID, time.Now().Unix()))
	eventually(t, "the opt-out", func() bool {
		var body struct{ Contact member.Contact }
		return h.admin(http.MethodGet, "/contacts?phone=081234560003", &body) == http.StatusOK &&
			body.Contact.Marketing == member.ConsentOptedOut
	})
	require.Equal(t, http.StatusOK, h.postSale(sale("D-3", "081234560003", "Citra", "50000")))
	msgs = h.settled(t, 3)
	assert.Equal(t, "opted_out", msgs[0].ErrorCode)
	assert.Zero(t, h.sentTo("+6281234560003"))
}

func TestMetaRefusalsChangeConsentAndHold(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: marketing("    messaging:\n      marketing_consent: not_opted_out\n      marketing_daily_cap: 5\n")})
	h.sb.InjectFault(sandbox.Fault{Count: 1, Code: 131050, To: "6281234560004"})
	h.sb.InjectFault(sandbox.Fault{Count: 1, Code: 131049, To: "6281234560005"})
	require.Equal(t, http.StatusOK, h.postSale(sale("M-1", "081234560004", "Dewi", "50000")))
	require.Equal(t, http.StatusOK, h.postSale(sale("M-2", "081234560005", "Eka", "50000")))
	h.settled(t, 2)
	assert.Equal(t, member.ConsentOptedOut, h.contact(t, "+6281234560004").Marketing, "131050 records the opt-out")
	held := h.contact(t, "+6281234560005")
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), held.HoldUntil, time.Minute, "131049 holds the member for 24 h")
	dl := h.deadLetters().DeadLetters
	require.Len(t, dl, 1, "131050 is dead-lettered; 131049 is Meta's limit, not a fault")
	assert.Contains(t, dl[0].Reason, "131050")
	var queued struct{ Messages []store.Message }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/messages?status=queued", &queued))
	require.Len(t, queued.Messages, 1, "the message 131049 refused goes again after the hold")
	assert.True(t, strings.HasSuffix(queued.Messages[0].Key, "~retry"))
	assert.Equal(t, "+6281234560005", queued.Messages[0].Recipient)

	require.Equal(t, http.StatusOK, h.postSale(sale("M-3", "081234560004", "Dewi", "50000")))
	require.Equal(t, http.StatusOK, h.postSale(sale("M-4", "081234560005", "Eka", "50000")))
	msgs := h.settled(t, 4)
	codes := map[string]bool{}
	for _, m := range msgs[:2] {
		codes[m.ErrorCode] = true
	}
	assert.Equal(t, map[string]bool{"opted_out": true, "held": true}, codes)
}

func TestQuietHoursDeferUntilTheyEnd(t *testing.T) {
	var mu sync.Mutex
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	clock := time.Date(2026, 12, 5, 22, 30, 0, 0, jakarta) // inside 21:00–08:00
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	h := newHarness(t, harnessOpts{
		yaml: marketing("    messaging:\n      marketing_consent: not_opted_out\n      quiet_hours: {start: \"21:00\", end: \"08:00\"}\n"),
		env:  []string{"LOYALHUB_PIPELINE__SCHEDULER__INTERVAL=50ms"},
		now:  now,
	})
	require.Equal(t, http.StatusOK, h.postSale(sale("Q-1", "081234560006", "Fajar", "50000")))
	msgs := h.settled(t, 1)
	require.Equal(t, store.MessageDeferred, msgs[0].Status)
	assert.Contains(t, msgs[0].Error, "08:00")
	time.Sleep(200 * time.Millisecond)
	assert.Zero(t, h.sentTo("+6281234560006"), "nothing is sent in quiet hours")

	mu.Lock()
	clock = time.Date(2026, 12, 6, 8, 0, 30, 0, jakarta)
	mu.Unlock()
	eventually(t, "the message after the quiet hours", func() bool { return h.sentTo("+6281234560006") == 1 })
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, 1, h.sentTo("+6281234560006"), "released once")
}

func TestAuthFailurePausesTheSender(t *testing.T) {
	h := newHarness(t, harnessOpts{env: []string{"LOYALHUB_PIPELINE__SEND__AUTH_PAUSE=1h"}})
	h.sb.InjectFault(sandbox.Fault{Count: 1, Code: 190})
	require.Equal(t, http.StatusOK, h.postSale(sale("A-1", "081234560007", "Gita", "50000")))
	eventually(t, "the dead letter", func() bool { return len(h.deadLetters().DeadLetters) == 1 })
	assert.Contains(t, h.deadLetters().DeadLetters[0].Reason, "190")
	paused := h.hub.Metrics().SenderPaused.WithLabelValues("acme", "whatsapp")
	assert.Equal(t, 1.0, gaugeValue(t, paused))

	// While paused, messages are dead-lettered without calling the BSP.
	before := len(h.sb.Messages())
	require.Equal(t, http.StatusOK, h.postSale(sale("A-2", "081234560008", "Hadi", "50000")))
	eventually(t, "the second dead letter", func() bool { return len(h.deadLetters().DeadLetters) == 2 })
	assert.Contains(t, h.deadLetters().DeadLetters[0].Reason, "paused")
	assert.Equal(t, before, len(h.sb.Messages()))

	// The operator fixes the token, resumes the sender and replays.
	require.Equal(t, http.StatusOK, h.adminPost("/senders/whatsapp/resume", nil, nil))
	assert.Equal(t, 0.0, gaugeValue(t, paused))
	for _, d := range h.deadLetters().DeadLetters {
		require.Equal(t, http.StatusAccepted, h.adminPost("/deadletters/"+d.ID+"/replay", nil, nil))
	}
	eventually(t, "both messages", func() bool {
		return h.sentTo("+6281234560007") == 1 && h.sentTo("+6281234560008") == 1
	})
}

// textWithFallback makes the test config's notification a text message
// with the template as its fallback.
func textWithFallback(t *testing.T) func(string) string {
	return func(cfg string) string {
		old := "        template:\n          name: points_earned\n          language: en\n          body: [\"member.name\", \"string(data.points)\", \"string(member.balance)\"]\n"
		require.Contains(t, cfg, old)
		return strings.Replace(cfg, old, `        text: '"You earned " + string(data.points) + " points"'
        fallback:
          name: points_earned
          language: en
          body: ["member.name", "string(data.points)", "string(member.balance)"]
`, 1)
	}
}

func TestTextNotificationUsesTheWindowOrItsFallback(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: textWithFallback(t)})
	require.Equal(t, http.StatusOK, h.postSale(sale("W-1", "081234560009", "Indah", "50000")))
	eventually(t, "the fallback template", func() bool { return h.sentTo("+6281234560009") == 1 })
	first := h.sb.Messages()[0]
	name, _ := templateOf(t, first)
	assert.Equal(t, "points_earned", name, "outside the window the fallback template goes")
	// The message log says the text went out as its fallback template.
	var logged store.Message
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/messages/"+first.CallbackData, &logged))
	assert.Equal(t, store.SentAsFallback, logged.SentAs)
	assert.Equal(t, "points_earned", logged.Template)
	assert.Equal(t, "text", logged.Kind)
	var list struct{ Messages []store.Message }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/messages", &list))
	require.Len(t, list.Messages, 1)
	assert.Equal(t, store.SentAsFallback, list.Messages[0].SentAs)
	assert.Equal(t, 1.0, counterValue(t, h.hub.Metrics().MessagesFallback.WithLabelValues("acme", "window_closed")))

	// The customer writes: the window opens.
	msg := inboundText("wamid.HBgNNjI4MTIzNDU2MDAwORUCABIYFjAwMDAwMDAwMDAwMDAwMDAwMDAwAA==", "6281234560009", "hi", time.Now())
	h.postWebhook(t, msg)
	h.postWebhook(t, msg+" ") // a redelivery: another body, the same message id
	eventually(t, "the open window", func() bool {
		var body struct {
			Contact    member.Contact
			WindowOpen bool `json:"window_open"`
		}
		return h.admin(http.MethodGet, "/contacts?phone=081234560009", &body) == http.StatusOK && body.WindowOpen
	})
	eventually(t, "the duplicate counted", func() bool {
		return counterValue(t, h.hub.Metrics().InboundMessages.WithLabelValues("acme", "duplicate")) == 1
	})
	assert.Equal(t, 1.0, counterValue(t, h.hub.Metrics().InboundMessages.WithLabelValues("acme", "new")))

	require.Equal(t, http.StatusOK, h.postSale(sale("W-2", "081234560009", "Indah", "50000")))
	eventually(t, "the text message", func() bool { return h.sentTo("+6281234560009") == 2 })
	var last sandbox.Received
	for _, m := range h.sb.Messages() {
		last = m
	}
	assert.Contains(t, string(last.Body), `"type":"text"`)
	assert.Contains(t, string(last.Body), "You earned 5 points")
	var text store.Message
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/messages/"+last.CallbackData, &text))
	assert.Empty(t, text.SentAs, "inside the window the text went out as written")
	assert.Empty(t, text.Template)
}

// openWindow has the customer with wa_id write to the hub, and waits until
// the hub counts their 24-hour window open.
func openWindow(t *testing.T, h *harness, messageID, waID string) {
	t.Helper()
	h.postWebhook(t, inboundText(messageID, waID, "hi", time.Now()))
	eventually(t, "the open window", func() bool {
		var body struct {
			WindowOpen bool `json:"window_open"`
		}
		return h.admin(http.MethodGet, "/contacts?phone=%2B"+waID, &body) == http.StatusOK && body.WindowOpen
	})
}

// Meta reports most refusals of a recipient after accepting the message, on
// a failed status webhook; the hub acts on them as on an immediate refusal.
func TestRefusalsReportedByWebhook(t *testing.T) {
	byWebhook := func(c *sandbox.Config) { c.EnforceWindow, c.RefuseByWebhook = true, true }

	t.Run("131047 sends the fallback template", func(t *testing.T) {
		h := newHarness(t, harnessOpts{yaml: textWithFallback(t), sandbox: byWebhook})
		// The hub hears the customer (its window opens) but the sandbox
		// did not: WhatsApp accepts the text, then reports it failed.
		openWindow(t, h, "wamid.late-window-1", "6281234560021")
		require.Equal(t, http.StatusOK, h.postSale(sale("LW-1", "081234560021", "Joko", "50000")))
		eventually(t, "the text and its fallback", func() bool { return h.sentTo("+6281234560021") == 2 })
		msgs := h.sb.Messages()
		assert.Contains(t, string(msgs[0].Body), `"type":"text"`)
		name, _ := templateOf(t, msgs[1])
		assert.Equal(t, "points_earned", name)
		assert.Equal(t, msgs[0].CallbackData+"~fallback", msgs[1].CallbackData)
		eventually(t, "the text failed, the fallback read", func() bool {
			var first, second store.Message
			return h.admin(http.MethodGet, "/messages/"+msgs[0].CallbackData, &first) == http.StatusOK &&
				h.admin(http.MethodGet, "/messages/"+msgs[1].CallbackData, &second) == http.StatusOK &&
				first.Status == store.MessageFailed && first.ErrorCode == "131047" && second.Status == store.MessageRead &&
				first.SentAs == "" && second.SentAs == store.SentAsFallback
		})
		assert.Equal(t, 1.0, counterValue(t, h.hub.Metrics().MessagesFallback.WithLabelValues("acme", "131047")))
		assert.Equal(t, 1.0, counterValue(t, h.hub.Metrics().DeliveryFailures.WithLabelValues("acme", "131047")))
		assert.Empty(t, h.deadLetters().DeadLetters)
	})

	t.Run("131047 answered at once sends the fallback under the same key", func(t *testing.T) {
		h := newHarness(t, harnessOpts{yaml: textWithFallback(t), sandbox: func(c *sandbox.Config) { c.EnforceWindow = true }})
		// The sandbox did not hear the customer: it refuses the text at once.
		openWindow(t, h, "wamid.late-window-2", "6281234560022")
		require.Equal(t, http.StatusOK, h.postSale(sale("LW-2", "081234560022", "Sri", "50000")))
		eventually(t, "the fallback", func() bool { return h.sentTo("+6281234560022") == 1 })
		msg := h.sb.Messages()[0]
		name, _ := templateOf(t, msg)
		assert.Equal(t, "points_earned", name)
		var m store.Message
		eventually(t, "the log says so", func() bool {
			m = store.Message{}
			return h.admin(http.MethodGet, "/messages/"+msg.CallbackData, &m) == http.StatusOK &&
				m.ProviderMessageID != "" && m.SentAs == store.SentAsFallback && m.Template == "points_earned" && m.Kind == "text"
		})
		assert.NotEqual(t, store.MessageFailed, m.Status)
		assert.Equal(t, 1.0, counterValue(t, h.hub.Metrics().MessagesFallback.WithLabelValues("acme", "131047")))
	})

	t.Run("131047 without a fallback is dead-lettered for a resend", func(t *testing.T) {
		h := newHarness(t, harnessOpts{sandbox: byWebhook, yaml: func(cfg string) string {
			cfg = textWithFallback(t)(cfg)
			i := strings.Index(cfg, "        fallback:")
			return cfg[:i]
		}})
		h.postWebhook(t, inboundText("wamid.late-window-2", "6281234560022", "hi", time.Now()))
		eventually(t, "the inbound message", func() bool {
			return counterValue(t, h.hub.Metrics().InboundMessages.WithLabelValues("acme", "new")) == 1
		})
		require.Equal(t, http.StatusOK, h.postSale(sale("LW-2", "081234560022", "Kiki", "50000")))
		eventually(t, "the dead letter", func() bool { return len(h.deadLetters().DeadLetters) == 1 })
		dl := h.deadLetters().DeadLetters[0]
		assert.Contains(t, dl.Reason, "131047")
		assert.Contains(t, dl.Reason, "no fallback template")
		assert.Equal(t, 1, h.sentTo("+6281234560022"))

		// The customer writes again, at the sandbox too; the replay sends
		// the message under its own key, once.
		_, err := h.sb.SendInbound(sandbox.Inbound{PhoneNumberID: testNumberID, From: "6281234560022", Text: "halo"})
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, h.adminPost("/deadletters/"+dl.ID+"/replay", nil, nil))
		eventually(t, "the resent text", func() bool { return h.sentTo("+6281234560022") == 2 })
		msgs := h.sb.Messages()
		last := msgs[len(msgs)-1]
		assert.Contains(t, string(last.Body), "You earned 5 points")
		assert.True(t, strings.HasSuffix(last.CallbackData, "~resend"), last.CallbackData)
	})

	t.Run("131050 revokes consent, 131049 holds", func(t *testing.T) {
		h := newHarness(t, harnessOpts{
			yaml: marketing("    messaging:\n      marketing_consent: not_opted_out\n      marketing_daily_cap: 5\n"),
			sandbox: func(c *sandbox.Config) {
				byWebhook(c)
				c.OptedOut = []string{"6281234560023"}
				c.Templates = []messaging.TemplateInfo{{Name: "points_earned", Language: "en", Category: messaging.CategoryMarketing, BodyParams: []string{"1", "2", "3"}}}
			},
		})
		h.sb.InjectFault(sandbox.Fault{Count: 1, Code: 131049, Async: true, To: "6281234560024"})
		require.Equal(t, http.StatusOK, h.postSale(sale("LR-1", "081234560023", "Lina", "50000")))
		require.Equal(t, http.StatusOK, h.postSale(sale("LR-2", "081234560024", "Made", "50000")))
		eventually(t, "the opt-out and the hold", func() bool {
			var a, b struct{ Contact member.Contact }
			return h.admin(http.MethodGet, "/contacts?phone=081234560023", &a) == http.StatusOK &&
				h.admin(http.MethodGet, "/contacts?phone=081234560024", &b) == http.StatusOK &&
				a.Contact.Marketing == member.ConsentOptedOut && !b.Contact.HoldUntil.IsZero()
		})
		assert.Equal(t, "whatsapp:131050", h.contact(t, "+6281234560023").MarketingSource)
		assert.WithinDuration(t, time.Now().Add(24*time.Hour), h.contact(t, "+6281234560024").HoldUntil, time.Minute)

		// The next marketing message to either is not sent.
		require.Equal(t, http.StatusOK, h.postSale(sale("LR-3", "081234560023", "Lina", "50000")))
		require.Equal(t, http.StatusOK, h.postSale(sale("LR-4", "081234560024", "Made", "50000")))
		eventually(t, "both skipped", func() bool {
			var list struct{ Messages []store.Message }
			h.admin(http.MethodGet, "/messages?status=skipped", &list)
			return len(list.Messages) == 2
		})
		assert.Equal(t, 1, h.sentTo("+6281234560023"))
		assert.Equal(t, 1, h.sentTo("+6281234560024"))
	})
}

// A customer's words are read before marketing to them goes: once the BSP
// lane has applied their webhook, the marketing message is not held back
// for them (it would wait minutes if the lane did not say it read them).
func TestMarketingGoesOnceTheCustomersWordsAreApplied(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: marketing("")})
	var resp map[string]any
	req := map[string]any{"phone": "081234560004", "opted_in": true, "source": "store signup form"}
	require.Equal(t, http.StatusOK, h.adminPost("/contacts/consent", req, &resp))

	h.postWebhook(t, inboundText("wamid.HBgLNjI4MTIzNDU2MDAwNBUCABIYFDNBQjQ2", "6281234560004", "hello", time.Now()))
	eventually(t, "the customer's message applied", func() bool {
		return !h.contact(t, "+6281234560004").LastInboundAt.IsZero()
	})
	require.Equal(t, http.StatusOK, h.postSale(sale("U-1", "081234560004", "Sari", "50000")))
	eventually(t, "the marketing message", func() bool {
		for _, m := range h.sb.Messages() {
			if m.To == "6281234560004" && m.Template != "" {
				return true
			}
		}
		return false
	})
}
