package pipelines_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/dialog360"
	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/member"
)

// TestWhatsAppNumberForms: customers whose wa_id is a form of their number
// the numbering plan has changed (Brazil's mobile without its ninth digit,
// Mexico's 521), or a number phonenumbers' metadata calls invalid (the UK's
// fictional drama range), are recorded, never dead-lettered, answered at
// the wa_id WhatsApp gave, and are the same member as a POS sale that
// writes the number in its current form.
func TestWhatsAppNumberForms(t *testing.T) {
	h, _ := newBotHarness(t, "LOYALHUB_TENANTS__ACME__CONVERSATION__DEFAULT_LANGUAGE=en")
	tests := []struct {
		name, waID, posPhone, key string
	}{
		{"Brazil mobile without its ninth digit", "554188887777", "+55 41 9 8888-7777", "+5541988887777"},
		{"Mexico mobile with the 1", "5215512345678", "+52 55 1234 5678", "+525512345678"},
		{"UK fictional range", "447700900123", "+44 7700 900123", "+447700900123"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChat(t, h, "en", tt.waID)
			c.say(conversation.JoinText("JOIN", "", conversation.SourceQR))
			q := last(t, c.expect(conversation.MsgConsentQuestion))
			c.tap(q, conversation.ReplyConsentYes)
			c.expect(conversation.MsgConsentGiven, conversation.MsgWelcomeNew, conversation.MsgMenu)

			m, ok := h.member(url.QueryEscape(tt.key))
			require.True(t, ok, "the member is known by the number's canonical form")
			assert.Equal(t, tt.key, m.Phone)
			assert.EqualValues(t, 100, m.Balance, "the joining points")
			same, ok := h.member(url.QueryEscape("+" + tt.waID))
			require.True(t, ok, "the form WhatsApp gave finds the member too")
			assert.Equal(t, m.ID, same.ID)

			contact := h.contact(t, url.QueryEscape(tt.key))
			assert.Equal(t, tt.waID, contact.WAID, "the contact keeps the wa_id as given")
			assert.Equal(t, member.ConsentOptedIn, contact.Marketing)

			// A sale at the till, the number written as the shop writes it.
			require.Equal(t, http.StatusOK, h.postSale(sale(fmt.Sprintf("ID-%d", i), tt.posPhone, "Ana", "100000")))
			eventually(t, "the sale's points on the chat's member", func() bool {
				got, ok := h.member(url.QueryEscape(tt.key))
				return ok && got.ID == m.ID && got.Balance == 110
			})
			// The program's messages go to the wa_id as given too: the
			// join's and the sale's.
			eventually(t, "two notifications at the wa_id", func() bool { return templatesTo(h, tt.waID) == 2 })
			if digits := strings.TrimPrefix(tt.key, "+"); digits != tt.waID {
				assert.Zero(t, h.sentTo(tt.key), "nothing goes to a form WhatsApp did not give")
			}
		})
	}
	assert.Empty(t, h.deadLetters().DeadLetters)
	// Each customer wrote twice: the join, and the tap on the consent.
	numbers := h.hub.Metrics().InboundNumbers
	assert.EqualValues(t, 4, counterValue(t, numbers.WithLabelValues("acme", "joined")))
	assert.EqualValues(t, 2, counterValue(t, numbers.WithLabelValues("acme", "unlisted")))
}

// systemMessage is a Cloud API webhook with one system message, as Meta's
// reference documents it (no contacts array).
func systemMessage(id, from, fromUserID string, system string, at time.Time) string {
	return messagesWebhook("", fmt.Sprintf(`{"from":%q,"from_user_id":%q,"id":%q,"timestamp":"%d","type":"system","system":%s}`,
		from, fromUserID, id, at.Unix(), system))
}

func inboundWithUserID(id, from, userID, text string, at time.Time) string {
	return messagesWebhook(fmt.Sprintf(`{"profile":{"name":"Sari"},"wa_id":%q,"user_id":%q}`, from, userID),
		fmt.Sprintf(`{"from":%q,"from_user_id":%q,"id":%q,"timestamp":"%d","type":"text","text":{"body":%q}}`,
			from, userID, id, at.Unix(), text))
}

// TestIdentityChanges, through the bundled Cloud API mapping: a system
// message that says a customer changed
// number moves their contact, conversation and member (points and all) to
// the new number; one that says their user id changed moves the contact;
// neither is answered nor ever dead-lettered, an unknown old identity
// changes nothing, and a replay changes nothing.
func TestIdentityChanges(t *testing.T) {
	in := newInbox(t)
	h := newHarness(t, harnessOpts{
		yaml: botConfig(in.srv.URL),
		env: []string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true",
			"LOYALHUB_TENANTS__ACME__CONNECTORS__WHATSAPP__THROUGHPUT__PAIR_BURST=45",
			"LOYALHUB_TENANTS__ACME__CONVERSATION__DEFAULT_LANGUAGE=en"},
	})
	metric := func(result string) float64 {
		return counterValue(t, h.hub.Metrics().IdentityChanges.WithLabelValues("acme", result))
	}
	oldWAID, newWAID := "447911123001", "447700900124" // the new one in the fictional drama range
	c := newChat(t, h, "en", oldWAID)
	c.say(conversation.JoinText("JOIN", "", conversation.SourceQR))
	c.tap(last(t, c.expect(conversation.MsgConsentQuestion)), conversation.ReplyConsentYes)
	c.expect(conversation.MsgConsentGiven, conversation.MsgWelcomeNew, conversation.MsgMenu)
	m, ok := h.member(url.QueryEscape("+" + oldWAID))
	require.True(t, ok)
	answered := len(c.botMessages())

	change := systemMessage("wamid.SYS-NUMBER", oldWAID, "", fmt.Sprintf(
		`{"body":"User Sari changed from %s to %s","wa_id":%q,"type":"user_changed_number"}`, oldWAID, newWAID, newWAID), time.Now())

	t.Run("a new number moves the member and the contact", func(t *testing.T) {
		h.postWebhook(t, change)
		eventually(t, "the change applied", func() bool { return metric("applied") == 1 })
		moved, ok := h.member(url.QueryEscape("+" + newWAID))
		require.True(t, ok)
		assert.Equal(t, m.ID, moved.ID)
		assert.Equal(t, m.Balance, moved.Balance, "the points move with the person")
		_, ok = h.member(url.QueryEscape("+" + oldWAID))
		assert.False(t, ok, "the old number names nobody now")
		ct := h.contact(t, url.QueryEscape("+"+newWAID))
		assert.Equal(t, newWAID, ct.WAID)
		assert.Equal(t, member.ConsentOptedIn, ct.Marketing, "the consent moves too")
	})

	t.Run("not answered", func(t *testing.T) {
		time.Sleep(300 * time.Millisecond)
		assert.Len(t, c.botMessages(), answered, "the bot says nothing to a system message")
		assert.Empty(t, newChat(t, h, "en", newWAID).botMessages())
	})

	t.Run("a replay changes nothing", func(t *testing.T) {
		h.postWebhook(t, change)
		eventually(t, "the replay", func() bool { return metric("duplicate") == 1 })
		moved, ok := h.member(url.QueryEscape("+" + newWAID))
		require.True(t, ok)
		assert.Equal(t, m.ID, moved.ID)
	})

	t.Run("the customer writes from the new number as the same member", func(t *testing.T) {
		nc := newChat(t, h, "en", newWAID)
		nc.sayWord(conversation.WordsPoints)
		nc.expect(conversation.MsgPointsSummary)
	})

	t.Run("a new user id moves the contact", func(t *testing.T) {
		from, oldID, newID := "6281234560301", "ID.OLD1", "ID.NEW1"
		h.postWebhook(t, inboundWithUserID("wamid.U-1", from, oldID, "halo", time.Now()))
		eventually(t, "the contact by its user id", func() bool {
			var body struct{ Contact member.Contact }
			return h.admin(http.MethodGet, "/contacts?user_id="+url.QueryEscape(oldID), &body) == http.StatusOK
		})
		h.postWebhook(t, systemMessage("wamid.SYS-USER", from, oldID,
			fmt.Sprintf(`{"body":"User changed","type":"user_changed_user_id","previous_user_id":%q,"user_id":%q}`, oldID, newID), time.Now()))
		eventually(t, "the contact under its new user id", func() bool {
			var body struct{ Contact member.Contact }
			return h.admin(http.MethodGet, "/contacts?user_id="+url.QueryEscape(newID), &body) == http.StatusOK &&
				body.Contact.Phone == "+"+from
		})
		var body struct{ Contact member.Contact }
		assert.Equal(t, http.StatusNotFound, h.admin(http.MethodGet, "/contacts?user_id="+url.QueryEscape(oldID), &body))
	})

	t.Run("a new number that is another member's: both members stay", func(t *testing.T) {
		a, b := "6281234560401", "6281234560402"
		ac := newChat(t, h, "id", a)
		ac.say(conversation.JoinText("JOIN", "", conversation.SourceQR))
		ac.tap(last(t, ac.expect(conversation.MsgConsentQuestion)), conversation.ReplyConsentYes)
		ac.expect(conversation.MsgConsentGiven, conversation.MsgWelcomeNew)
		require.Equal(t, http.StatusOK, h.postSale(sale("CONFLICT-1", "+"+b, "Budi", "50000")))
		eventually(t, "the other member", func() bool { _, ok := h.member(url.QueryEscape("+" + b)); return ok })
		ma, _ := h.member(url.QueryEscape("+" + a))
		mb, _ := h.member(url.QueryEscape("+" + b))

		h.postWebhook(t, systemMessage("wamid.SYS-CONFLICT", a, "", fmt.Sprintf(
			`{"body":"User changed from %s to %s","wa_id":%q,"type":"user_changed_number"}`, a, b, b), time.Now()))
		eventually(t, "the conflict counted", func() bool { return metric("conflict") == 1 })
		for phone, id := range map[string]string{a: ma.ID, b: mb.ID} {
			got, ok := h.member(url.QueryEscape("+" + phone))
			require.True(t, ok)
			assert.Equal(t, id, got.ID, "neither member changes")
		}
		assert.Equal(t, b, h.contact(t, url.QueryEscape("+"+b)).WAID, "the WhatsApp user moves: messages go to the new number")
	})

	t.Run("an unknown old identity changes nothing", func(t *testing.T) {
		unknown := "6281234560999"
		h.postWebhook(t, systemMessage("wamid.SYS-UNKNOWN", unknown, "", `{"body":"changed","wa_id":"6281234560998","type":"user_changed_number"}`, time.Now()))
		eventually(t, "the unknown change counted", func() bool { return metric("unknown") == 1 })
		var body struct{ Contact member.Contact }
		assert.Equal(t, http.StatusNotFound, h.admin(http.MethodGet, "/contacts?phone="+url.QueryEscape("+6281234560998"), &body),
			"no contact is made up")
	})

	assert.Empty(t, h.deadLetters().DeadLetters, "system messages are never dead-lettered")
}

// TestReportsFindTheContactByAnyForm: a failed delivery's recipient_id and
// a marketing preference's wa_id find the customer's contact whichever
// form of the number they carry.
func TestReportsFindTheContactByAnyForm(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	const old, current = "554188887777", "5541988887777"
	h.postWebhook(t, inboundText("wamid.FORM-1", old, "oi", time.Now()))
	key := url.QueryEscape("+" + current)
	eventually(t, "the contact", func() bool {
		var body struct{ Contact member.Contact }
		return h.admin(http.MethodGet, "/contacts?phone="+key, &body) == http.StatusOK
	})

	h.postWebhook(t, fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"200000000000009","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"%s"},"statuses":[{"id":"wamid.OTHER","status":"failed","timestamp":"%d","recipient_id":%q,"errors":[{"code":131050,"title":"Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business","error_data":{"details":"stopped"}}]}]}}]}]}`,
		testNumberID, time.Now().Unix(), old))
	eventually(t, "the opt-out on the contact", func() bool {
		return h.contact(t, key).Marketing == member.ConsentOptedOut
	})
	assert.Equal(t, "whatsapp:131050", h.contact(t, key).MarketingSource)

	h.postWebhook(t, fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"200000000000009","changes":[{"field":"user_preferences","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"%s"},"contacts":[{"wa_id":%q}],"user_preferences":[{"wa_id":%q,"detail":"User requested to resume marketing messages","category":"marketing_messages","value":"resume","timestamp":%d}]}}]}]}`,
		testNumberID, current, current, time.Now().Add(time.Minute).Unix()))
	eventually(t, "the resume on the same contact", func() bool {
		return h.contact(t, key).Marketing == member.ConsentOptedIn
	})
	assert.Equal(t, old, h.contact(t, key).WAID)
	assert.Empty(t, h.deadLetters().DeadLetters)
}

// TestSystemMessageNotAnswered: with the bundled mapping, a system message
// is never answered and never dead-lettered, whichever event it becomes.
func TestSystemMessageNotAnswered(t *testing.T) {
	h, _ := newBotHarness(t, "LOYALHUB_TENANTS__ACME__CONVERSATION__DEFAULT_LANGUAGE=en")
	c := newChat(t, h, "en", "447911123002")
	c.sayWord(conversation.WordsPoints)
	c.expect(conversation.MsgNotMember)
	h.postWebhook(t, systemMessage("wamid.SYS-BUNDLED", c.phone, "", `{"body":"User changed from 447911123002 to 447911123003","wa_id":"447911123003","type":"user_changed_number"}`, time.Now()))
	c.quiet()
	assert.Empty(t, newChat(t, h, "en", "447911123003").botMessages())
	assert.Empty(t, h.deadLetters().DeadLetters)
}

// TestDialog360IdentityChange: 360dialog forwards Meta's webhook body,
// authenticated by its registered header; a customer's message and their
// system message reach the hub through it as through the Cloud API: the
// contact is recorded, then moves to the new number, and nothing is
// dead-lettered.
func TestDialog360IdentityChange(t *testing.T) {
	const token = "a-long-enough-webhook-token"
	h := newHarness(t, harnessOpts{yaml: func(cfg string) string {
		return strings.Replace(cfg, "      whatsapp:\n", `      d360:
        type: whatsapp_360dialog
        api_key: d360-key
        webhook_token: `+token+`
        phone_number_id: "`+testNumberID+`"
      whatsapp:
`, 1)
	}})
	post := func(body string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, h.url+"/hooks/acme/d360", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set(dialog360.DefaultWebhookHeader, token)
		resp, err := h.client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	const oldWAID, newWAID = "6281234560611", "6281234560612"
	post(inboundText("wamid.D360-1", oldWAID, "halo", time.Now()))
	eventually(t, "the contact", func() bool {
		var body struct{ Contact member.Contact }
		return h.admin(http.MethodGet, "/contacts?phone="+url.QueryEscape("+"+oldWAID), &body) == http.StatusOK
	})

	post(systemMessage("wamid.D360-SYS", oldWAID, "", fmt.Sprintf(
		`{"body":"User changed from %s to %s","wa_id":%q,"type":"user_changed_number"}`, oldWAID, newWAID, newWAID), time.Now()))
	eventually(t, "the change applied", func() bool {
		return counterValue(t, h.hub.Metrics().IdentityChanges.WithLabelValues("acme", "applied")) == 1
	})
	assert.Equal(t, newWAID, h.contact(t, url.QueryEscape("+"+newWAID)).WAID)
	var body struct{ Contact member.Contact }
	assert.Equal(t, http.StatusNotFound, h.admin(http.MethodGet, "/contacts?phone="+url.QueryEscape("+"+oldWAID), &body),
		"the old number names nobody now")
	assert.Empty(t, h.deadLetters().DeadLetters)
}
