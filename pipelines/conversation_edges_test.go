package pipelines_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/conversation"
	chatbot "github.com/loyalhub/loyalhub/pipelines/chat"
)

// newEditedBotHarness is newBotHarness with the bot's configuration edited
// further. Without window, the sandbox does not refuse messages outside
// the 24-hour window: it opens it only for the messages it sends itself,
// not for webhooks a test posts.
func newEditedBotHarness(t *testing.T, edit func(cfg string) string, window bool) *harness {
	in := newInbox(t)
	return newHarness(t, harnessOpts{
		yaml: func(cfg string) string { return edit(botConfig(in.srv.URL)(cfg)) },
		env: []string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true",
			"LOYALHUB_TENANTS__ACME__CONNECTORS__WHATSAPP__THROUGHPUT__PAIR_BURST=45"},
		sandbox: func(c *sandbox.Config) { c.EnforceWindow = window },
	})
}

func unedited(cfg string) string { return cfg }

// inboundOf is a Cloud API webhook carrying one message of WhatsApp type
// typ, with object as the type's own field (raw JSON, "" for none), in
// the shapes Meta documents.
func inboundOf(id, from, typ, object string, at time.Time) string {
	msg := fmt.Sprintf(`{"from":"%s","id":"%s","timestamp":"%d","type":"%s"`, from, id, at.Unix(), typ)
	if object != "" {
		msg += fmt.Sprintf(`,%q:%s`, typ, object)
	}
	if typ == "unsupported" {
		msg += `,"errors":[{"code":131051,"title":"Message type unknown","message":"Message type unknown","error_data":{"details":"Message type is currently not supported."}}]`
	}
	msg += "}"
	return messagesWebhook(fmt.Sprintf(`{"profile":{"name":"Dewi"},"wa_id":"%s"}`, from), msg)
}

// joined makes the chat's customer a member through the chat.
func (c *chat) joined() {
	c.t.Helper()
	c.say("JOIN")
	c.tap(last(c.t, c.expect(conversation.MsgConsentQuestion)), conversation.ReplyConsentYes)
	c.expect(conversation.MsgConsentGiven, conversation.MsgWelcomeNew, conversation.MsgMenu)
}

// The bot answers conversation only: reactions, locations, carts,
// stickers, contact cards, ephemeral and unsupported messages and a Flow's
// answer are recorded but get no answer and do not count toward the
// misunderstandings that hand over to a person.
func TestBotAnswersConversationOnly(t *testing.T) {
	h, in := newBotHarness(t)
	c := newChat(t, h, "id", chatPhones["id"])
	c.joined()
	c.say("qwertyuiop")
	c.expect(conversation.MsgNotUnderstood, conversation.MsgMenu)
	c.say("asdfghjkl")
	c.expect(conversation.MsgNotUnderstood, conversation.MsgMenu)

	target := c.botMessages()[0].ID
	now := time.Now()
	others := []struct{ typ, object string }{
		{"reaction", fmt.Sprintf(`{"message_id":%q,"emoji":"👍"}`, target)},
		{"reaction", fmt.Sprintf(`{"message_id":%q}`, target)}, // taken back
		{"location", `{"latitude":-6.2297,"longitude":106.8296,"name":"Kopi Kita Kemang","address":"Jl. Kemang Raya 8"}`},
		{"sticker", `{"id":"1001","mime_type":"image/webp","sha256":"abc","animated":false}`},
		{"contacts", `[{"name":{"formatted_name":"Rina","first_name":"Rina"},"phones":[{"phone":"+62 812 3456 7002","wa_id":"6281234567002","type":"CELL"}]}]`},
		{"order", `{"catalog_id":"321","text":"kirim ke kantor","product_items":[{"product_retailer_id":"latte","quantity":2,"item_price":32000,"currency":"IDR"}]}`},
		{"ephemeral", ""},
		{"unsupported", ""},
		{"interactive", `{"type":"nfm_reply","nfm_reply":{"name":"flow","body":"Sent","response_json":"{\"flow_token\":\"survey-1\",\"rating\":\"5\"}"}}`},
	}
	inbound := h.hub.Metrics().InboundMessages.WithLabelValues("acme", "new")
	before := counterValue(t, inbound)
	for i, o := range others {
		h.postWebhook(t, inboundOf(fmt.Sprintf("wamid.OTHER%d", i), c.phone, o.typ, o.object, now))
	}
	eventually(t, "the messages recorded", func() bool {
		return counterValue(t, inbound) == before+float64(len(others))
	})
	eventually(t, "the messages passed over", func() bool {
		return counterValue(t, h.hub.Metrics().BotReplies.WithLabelValues("acme", "ignore")) == float64(len(others))
	})
	c.quiet()

	// The third message not understood, not the first of those, hands over.
	c.say("zxcvbnm")
	c.expect(conversation.MsgHandoffStarted)
	events := in.all()
	require.Len(t, events, 1, "%+v", events)
	assert.Equal(t, chatbot.HandoffStarted, events[0].Event)
	assert.Equal(t, "misunderstood", events[0].Reason)
	assert.Equal(t, "zxcvbnm", events[0].Message.Text)

	// In the handoff, the person sees everything the customer sends, and
	// what it holds.
	inHandoff := []struct {
		typ, object string
		holds       func(m *chatbot.HandoffMessage) bool
	}{
		{"location", `{"latitude":-6.2,"longitude":106.8,"name":"Kopi Kita Kemang"}`,
			func(m *chatbot.HandoffMessage) bool {
				return strings.Contains(string(m.Location), "Kopi Kita Kemang")
			}},
		{"reaction", fmt.Sprintf(`{"message_id":%q,"emoji":"😡"}`, target),
			func(m *chatbot.HandoffMessage) bool {
				return m.Reaction != nil && m.Reaction.Emoji == "😡" && m.Reaction.MessageID == target
			}},
		{"contacts", `[{"name":{"formatted_name":"Rina"},"phones":[{"phone":"+62 812 3456 7002","wa_id":"6281234567002"}]}]`,
			func(m *chatbot.HandoffMessage) bool { return strings.Contains(string(m.Contacts), "6281234567002") }},
		{"interactive", `{"type":"nfm_reply","nfm_reply":{"name":"flow","body":"Sent","response_json":"{\"rating\":\"5\"}"}}`,
			func(m *chatbot.HandoffMessage) bool {
				return m.Flow != nil && strings.Contains(m.Flow.ResponseJSON, `"rating"`)
			}},
		{"order", `{"catalog_id":"321","product_items":[{"product_retailer_id":"latte","quantity":2,"item_price":32000,"currency":"IDR"}]}`,
			func(m *chatbot.HandoffMessage) bool { return strings.Contains(string(m.Order), "latte") }},
	}
	for i, o := range inHandoff {
		h.postWebhook(t, inboundOf(fmt.Sprintf("wamid.HANDOFF%d", i), c.phone, o.typ, o.object, time.Now()))
		eventually(t, "the "+o.typ+" in the inbox", func() bool { return len(in.all()) == i+2 })
		got := in.all()[i+1].Message
		require.NotNil(t, got)
		assert.Equal(t, o.typ, got.Type)
		assert.True(t, o.holds(got), "%s: %+v", o.typ, got)
	}
	c.quiet()
	assert.Empty(t, h.deadLetters().DeadLetters)
}

// A customer opening the chat for the first time (request_welcome) gets
// the invitation to join, in their language; a member gets the welcome
// back with the menu. Neither is a misunderstanding.
func TestRequestWelcome(t *testing.T) {
	h := newEditedBotHarness(t, unedited, false)
	for _, lang := range []string{"id", "tr"} {
		c := newChat(t, h, lang, chatPhones[lang])
		h.postWebhook(t, inboundOf("wamid.WELCOME-"+lang, c.phone, "request_welcome", "", time.Now()))
		got := c.expect(conversation.MsgWelcomePrompt)
		require.Len(t, got, 1)
		assert.Contains(t, got[0].Text, "Kopi", "the brand")
		assert.Contains(t, got[0].Text, "JOIN", "the join keyword")
	}

	c := newChat(t, h, "id", chatPhones["id"])
	c.seen = len(c.botMessages())
	c.joined()
	h.postWebhook(t, inboundOf("wamid.WELCOME-AGAIN", c.phone, "request_welcome", "", time.Now()))
	c.expect(conversation.MsgWelcomeBack, conversation.MsgMenu)
	assert.EqualValues(t, 3, counterValue(t, h.hub.Metrics().BotReplies.WithLabelValues("acme", string(conversation.ReceiveWelcome))))
	assert.Zero(t, counterValue(t, h.hub.Metrics().BotReplies.WithLabelValues("acme", string(conversation.KindUnknown))), "no welcome is a misunderstanding")
}

// A message over a day old, as WhatsApp delivers after an outage, is
// recorded but not answered; one within the day is.
func TestOldMessageIsNotAnswered(t *testing.T) {
	h := newEditedBotHarness(t, unedited, false)
	c := newChat(t, h, "en", chatPhones["en"])
	inbound := h.hub.Metrics().InboundMessages.WithLabelValues("acme", "new")

	h.postWebhook(t, inboundText("wamid.OLD", c.phone, "points", time.Now().Add(-25*time.Hour)))
	eventually(t, "the old message recorded", func() bool { return counterValue(t, inbound) == 1 })
	eventually(t, "the old message passed over", func() bool {
		return counterValue(t, h.hub.Metrics().BotReplies.WithLabelValues("acme", "stale")) == 1
	})
	c.quiet()
	assert.Equal(t, "+"+c.phone, h.contact(t, "%2B"+c.phone).Phone, "the contact is recorded")

	h.postWebhook(t, inboundText("wamid.RECENT", c.phone, "points", time.Now().Add(-23*time.Hour)))
	c.expect(conversation.MsgNotMember)
}

// A message's age is judged by the hub's clock, not the machine's: with
// the hub's clock two days behind, a message the machine would call a day
// old is answered; with it two hours ahead, one the machine would call 23
// hours old is passed over.
func TestOldMessageIsJudgedByTheHubsClock(t *testing.T) {
	var offset atomic.Int64
	in := newInbox(t)
	h := newHarness(t, harnessOpts{
		yaml: botConfig(in.srv.URL),
		env: []string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true",
			"LOYALHUB_TENANTS__ACME__CONNECTORS__WHATSAPP__THROUGHPUT__PAIR_BURST=45"},
		now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) },
	})
	c := newChat(t, h, "en", chatPhones["en"])
	stale := h.hub.Metrics().BotReplies.WithLabelValues("acme", string(conversation.ReceiveStale))

	offset.Store(int64(-48 * time.Hour))
	h.postWebhook(t, inboundText("wamid.CLOCK-1", c.phone, "points", time.Now().Add(-25*time.Hour)))
	c.expect(conversation.MsgNotMember)
	assert.Zero(t, counterValue(t, stale))

	offset.Store(int64(2 * time.Hour))
	h.postWebhook(t, inboundText("wamid.CLOCK-2", c.phone, "points", time.Now().Add(-23*time.Hour)))
	eventually(t, "the message passed over", func() bool { return counterValue(t, stale) == 1 })
	c.quiet()
}

// rewardCodeNotification sends each redeemed code as a paid template.
const rewardCodeNotification = `      - name: reward_code
        on: reward.redeemed
        sender: whatsapp
        category: utility
        template:
          name: reward_code
          language: en
          body: ["data.name", "data.code"]
`

// A redemption in the chat sends its code once, as the chat's answer: the
// notification rule on reward.redeemed does not send it again as a
// template. A redemption through the admin API still gets the template.
func TestChatRedemptionSendsItsCodeOnce(t *testing.T) {
	h := newEditedBotHarness(t, func(cfg string) string { return cfg + rewardCodeNotification }, true)
	c := newChat(t, h, "en", chatPhones["en"])
	c.joined()
	c.say("rewards")
	c.tap(last(t, c.expect(conversation.MsgRewardsIntro)), conversation.RewardReplyID("coffee"))
	c.tap(last(t, c.expect(conversation.MsgRedeemConfirmQuestion)), conversation.ConfirmReplyID("coffee"))
	done := c.expect(conversation.MsgRedeemed)
	code := regexp.MustCompile(`KOPI-[A-Z]{4}-[0-9]{4}`)
	chatCode := code.FindString(done[0].Text)
	require.NotEmpty(t, chatCode, describeChat(done))

	m, ok := h.member("%2B" + c.phone)
	require.True(t, ok)
	status, admin := h.redeem(m.ID, "coffee", "counter-1")
	require.Equal(t, http.StatusCreated, status, admin.Error)
	eventually(t, "the admin redemption's template", func() bool { return len(rewardCodeTemplates(t, h)) >= 1 })
	time.Sleep(300 * time.Millisecond) // room for a late second template
	assert.Equal(t, []string{"Free coffee " + admin.Code}, rewardCodeTemplates(t, h))

	carrying := 0
	for _, msg := range h.sb.Conversation(c.phone) {
		if msg.Direction == "out" && strings.Contains(msg.Text, chatCode) {
			carrying++
		}
	}
	assert.Equal(t, 1, carrying, "one message carries the chat's code")
}

// rewardCodeTemplates are the parameters of the reward_code templates sent.
func rewardCodeTemplates(t *testing.T, h *harness) []string {
	var sent []string
	for _, m := range h.sb.Messages() {
		if name, params := templateOf(t, m); name == "reward_code" {
			sent = append(sent, strings.Join(params, " "))
		}
	}
	return sent
}

// localizedNames gives the welcome rule, the coffee and two tier levels
// names in Indonesian.
func localizedNames(cfg string) string {
	cfg = strings.Replace(cfg, "        - name: welcome\n          on: member.joined\n", `        - name: welcome
          names:
            id: Bonus gabung
            tr: Katılım hediyesi
          on: member.joined
`, 1)
	cfg = strings.Replace(cfg, "          name: Free coffee\n", `          name: Free coffee
          names:
            id: Kopi gratis
`, 1)
	return strings.Replace(cfg, "      expiry:\n", `      challenges:
        - name: first-visit
          names: {id: Kunjungan pertama}
          on: member.joined
          count: 1
          points: 5
      tiers:
        levels:
          - name: Silver
            threshold: "0"
            names: {id: Perak}
          - name: Gold
            threshold: "10100"
            names: {id: Emas}
      expiry:
`, 1)
}

// A member who speaks Indonesian reads the names of rules, rewards and
// levels in Indonesian, in the points answer, the rewards list, the
// confirmation, the code and the ledger lines; one who speaks English
// reads the default names, and the rule without an English name as
// "Points earned".
func TestLocalizedNamesInTheChat(t *testing.T) {
	h := newEditedBotHarness(t, localizedNames, true)

	id := newChat(t, h, "id", chatPhones["id"])
	id.joined()
	id.say("poin")
	points := strings.Join(texts(id.expect(conversation.MsgPointsSummary, conversation.MsgPointsRecentHeader)), "\n")
	assert.Contains(t, points, "Level kamu: *Perak*")
	assert.Contains(t, points, "Kurang 9.995 poin lagi untuk naik ke *Emas*")
	assert.Regexp(t, `• \d+ \p{L}+ \d{4} · \+100 · Bonus gabung`, points)
	assert.Regexp(t, `· \+5 · Kunjungan pertama`, points)

	id.say("hadiah")
	list := last(t, id.expect(conversation.MsgRewardsIntro))
	require.Len(t, list.Buttons, 1)
	assert.Equal(t, "Kopi gratis", list.Buttons[0].Title)
	id.tap(list, conversation.RewardReplyID("coffee"))
	confirm := last(t, id.expect(conversation.MsgRedeemConfirmQuestion))
	assert.Contains(t, confirm.Text, "*Kopi gratis*")
	id.tap(confirm, conversation.ConfirmReplyID("coffee"))
	assert.Contains(t, id.expect(conversation.MsgRedeemed)[0].Text, "Kode *Kopi gratis* kamu")
	id.say("poin")
	points = strings.Join(texts(id.expect(conversation.MsgPointsSummary, conversation.MsgPointsRecentHeader)), "\n")
	assert.Regexp(t, `· -50 · Tukar: Kopi gratis\n`, points+"\n")
	for _, m := range id.botMessages() {
		for _, english := range []string{"Free coffee", "Silver", "Gold", "welcome", "redeemed"} {
			assert.NotContains(t, m.Text, english)
		}
	}

	en := newChat(t, h, "en", chatPhones["en"])
	en.joined()
	en.say("points")
	points = strings.Join(texts(en.expect(conversation.MsgPointsSummary, conversation.MsgPointsRecentHeader)), "\n")
	assert.Contains(t, points, "Your level: *Silver*")
	assert.Contains(t, points, "9,995 more points to reach *Gold*")
	assert.Regexp(t, `· \+100 · Points earned`, points)
	assert.Regexp(t, `· \+5 · Challenge completed`, points)
}

func texts(ms []sandbox.ChatMessage) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

// A member keeps their language through words every language's customers
// write (HELP, JOIN, OK), switches on a word of one language, and hands
// over with a sentence asking for a person.
func TestMemberKeepsTheirLanguage(t *testing.T) {
	h, in := newBotHarness(t)
	id := newChat(t, h, "id", chatPhones["id"])
	id.joined()
	id.say("HELP")
	id.expect(conversation.MsgMenu)
	id.say("JOIN")
	id.expect(conversation.MsgWelcomeBack, conversation.MsgMenu)
	id.say("OK")
	id.expect(conversation.MsgNotUnderstood, conversation.MsgMenu)

	// An English word switches to English, an Indonesian one back.
	en := newChat(t, h, "en", chatPhones["id"])
	en.seen = len(en.botMessages())
	en.say("my points")
	en.expect(conversation.MsgPointsSummary)
	id.seen = len(id.botMessages())
	id.say("poin saya")
	id.expect(conversation.MsgPointsSummary)

	id.say("halo kak, saya mau bicara dengan admin soal pesanan")
	id.expect(conversation.MsgHandoffStarted)
	events := in.all()
	require.Len(t, events, 1)
	assert.Equal(t, "asked", events[0].Reason)
	assert.Equal(t, "id", events[0].Contact.Language)
}
