package pipelines_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
	chatbot "github.com/loyalhub/loyalhub/pipelines/chat"
)

// inbox is a fake of an agents' inbox: it records the handoff webhook's
// events after checking their signature.
type inbox struct {
	srv    *httptest.Server
	mu     sync.Mutex
	events []chatbot.HandoffEvent
}

const inboxSecret = "inbox-secret"

func newInbox(t testing.TB) *inbox {
	in := &inbox{}
	in.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(inboxSecret))
		mac.Write(body)
		if r.Header.Get(chatbot.HandoffSignatureHeader) != hex.EncodeToString(mac.Sum(nil)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var e chatbot.HandoffEvent
		if err := json.Unmarshal(body, &e); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		in.mu.Lock()
		in.events = append(in.events, e)
		in.mu.Unlock()
	}))
	if t != nil {
		t.Cleanup(in.srv.Close)
	}
	return in
}

func (in *inbox) all() []chatbot.HandoffEvent {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]chatbot.HandoffEvent(nil), in.events...)
}

// botConfig turns the test tenant's chatbot on: joining earns 100 points,
// two rewards, a marketing notification, and an inbox for handoffs.
func botConfig(inboxURL string) func(string) string {
	return func(cfg string) string {
		cfg = strings.Replace(cfg, "            points: 1\n", `            points: 1
        - name: welcome
          on: member.joined
          points: 100
      expiry:
        policy: after_days
        days: 30
      rewards:
        - id: coffee
          name: Free coffee
          cost: 50
          codes:
            pattern: "KOPI-{AAAA}-{9999}"
        - id: tumbler
          name: Tumbler
          cost: 5000
          codes:
            pattern: "TMB-{AAAA}-{9999}"
`, 1)
		return strings.Replace(cfg, "    notifications:\n", fmt.Sprintf(`    messaging:
      marketing_consent: opt_in
    conversation:
      enabled: true
      sender: whatsapp
      phone_number: "15550000009"
      brand: Kopi
      handoff:
        webhook_url: %s
        secret: %s
        after_misunderstood: 3
    notifications:
      - name: promo
        on: points.earned
        sender: whatsapp
        category: marketing
        template:
          name: double_points
          language: en
          body: ["member.name"]
`, inboxURL, inboxSecret), 1)
	}
}

// chat is one customer talking to the bot, in one language, through the
// sandbox: what they say goes in as WhatsApp delivers it, and the bot's
// answers are checked against the catalog's messages of that language.
type chat struct {
	t     *testing.T
	h     *harness
	lang  string
	phone string // digits
	seen  int    // bot messages already checked
	kw    conversation.Keywords
	cat   *conversation.Catalog
}

func newChat(t *testing.T, h *harness, lang, phone string) *chat {
	return &chat{t: t, h: h, lang: lang, phone: phone, kw: conversation.DefaultKeywords(), cat: conversation.DefaultCatalog()}
}

func (c *chat) say(text string) {
	c.t.Helper()
	_, err := c.h.sb.SendInbound(sandbox.Inbound{From: c.phone, Name: "Dewi Lestari", Text: text})
	require.NoError(c.t, err)
}

// sayWord writes the language's first word for an intent, then extra.
func (c *chat) sayWord(intent string, extra ...string) {
	c.t.Helper()
	words := c.kw.Words(c.lang, intent)
	require.NotEmpty(c.t, words, "%s has words for %s", c.lang, intent)
	c.say(strings.Join(append([]string{words[0]}, extra...), " "))
}

// botMessages are the bot's answers so far (templates left out: they are
// the program's notifications).
func (c *chat) botMessages() []sandbox.ChatMessage {
	var out []sandbox.ChatMessage
	for _, m := range c.h.sb.Conversation(c.phone) {
		if m.Direction == "out" && m.Type != "template" {
			out = append(out, m)
		}
	}
	return out
}

// expect waits for the bot's next answers and checks that they hold the
// catalog messages of keys, in order, in the chat's language (texts the bot
// sends together arrive as one message); it returns the new messages.
func (c *chat) expect(keys ...string) []sandbox.ChatMessage {
	c.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		all := c.botMessages()
		got := all[c.seen:]
		if c.holds(got, keys) {
			// Give what belongs to the same answer a moment to arrive.
			time.Sleep(50 * time.Millisecond)
			if all2 := c.botMessages(); len(all2) > len(all) {
				continue
			}
			c.seen = len(all)
			return got
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: waited for %v; the bot said %s\ndead letters: %+v", c.lang, keys, describeChat(got), c.h.deadLetters())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// holds reports whether the messages' texts hold the keys' messages in
// order.
func (c *chat) holds(ms []sandbox.ChatMessage, keys []string) bool {
	var texts []string
	for _, m := range ms {
		texts = append(texts, m.Text)
	}
	rest := strings.Join(texts, "\n\n")
	for _, key := range keys {
		loc := c.pattern(key).FindStringIndex(rest)
		if loc == nil {
			return false
		}
		rest = rest[loc[1]:]
	}
	return true
}

// last returns the last message of ms with choices to tap.
func last(t *testing.T, ms []sandbox.ChatMessage) sandbox.ChatMessage {
	t.Helper()
	for i := len(ms) - 1; i >= 0; i-- {
		if len(ms[i].Buttons) > 0 {
			return ms[i]
		}
	}
	t.Fatalf("no message with choices in %s", describeChat(ms))
	return sandbox.ChatMessage{}
}

// quiet checks that the bot says nothing more for a moment.
func (c *chat) quiet() {
	c.t.Helper()
	time.Sleep(300 * time.Millisecond)
	assert.Len(c.t, c.botMessages(), c.seen, "%s: the bot should be silent: %s", c.lang, describeChat(c.botMessages()[min(c.seen, len(c.botMessages())):]))
}

func describeChat(ms []sandbox.ChatMessage) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "\n  %q", m.Text)
	}
	if b.Len() == 0 {
		return "nothing"
	}
	return b.String()
}

// pattern matches the catalog message key with any placeholder values.
func (c *chat) pattern(key string) *regexp.Regexp {
	args := map[string]string{}
	for _, p := range conversation.MessagePlaceholders(key) {
		args[p] = "\x00"
	}
	text := c.cat.Text(c.lang, key, args)
	require.NotEmpty(c.t, text, "catalog key %s", key)
	parts := strings.Split(text, "\x00")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile("(?s)" + strings.Join(parts, ".*?"))
}

// tap taps the choice of a bot message whose id starts with prefix.
func (c *chat) tap(m sandbox.ChatMessage, prefix string) {
	c.t.Helper()
	for _, ch := range m.Buttons {
		if strings.HasPrefix(ch.ID, prefix) {
			_, err := c.h.sb.Tap(c.phone, m.ID, ch.ID)
			require.NoError(c.t, err)
			return
		}
	}
	c.t.Fatalf("%s: no choice %q in %+v", c.lang, prefix, m.Buttons)
}

// Customers of each language, by a phone of a country that speaks it.
var chatPhones = map[string]string{
	"en": "447911123456", "id": "6281234567001", "tr": "905321234001", "it": "393471234001", "ar": "966501234001",
}

func newBotHarness(t *testing.T, env ...string) (*harness, *inbox) {
	in := newInbox(t)
	h := newHarness(t, harnessOpts{
		yaml: botConfig(in.srv.URL),
		env: append([]string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true",
			// A chat answers several messages in a row (Meta allows
			// bursts of up to 45 to one user).
			"LOYALHUB_TENANTS__ACME__CONNECTORS__WHATSAPP__THROUGHPUT__PAIR_BURST=45"}, env...),
		sandbox: func(c *sandbox.Config) {
			c.EnforceWindow = true
		},
	})
	return h, in
}

// The whole program as a chat, in every language: join with consent,
// points, rewards and a redemption (a double tap redeems once), refer,
// stop and start, help, and what the bot does not understand.
func TestConversationScripts(t *testing.T) {
	for _, lang := range conversation.Languages() {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			h, _ := newBotHarness(t)
			c := newChat(t, h, lang, chatPhones[lang])

			// Not a member yet: points ask to join.
			c.sayWord(conversation.WordsPoints)
			c.expect(conversation.MsgNotMember)

			// Join from a QR code: consent first, with two buttons.
			c.say(conversation.JoinText("JOIN", "", conversation.SourceQR))
			q := last(t, c.expect(conversation.MsgConsentQuestion))
			require.Len(t, q.Buttons, 2)
			c.tap(q, conversation.ReplyConsentYes)
			c.expect(conversation.MsgConsentGiven, conversation.MsgWelcomeNew, conversation.MsgMenu)
			contact := h.contact(t, "%2B"+c.phone)
			assert.Equal(t, member.ConsentOptedIn, contact.Marketing)
			assert.Equal(t, "whatsapp:join:qr", contact.MarketingSource)
			assert.Equal(t, c.cat.Text(lang, conversation.MsgConsentQuestion, nil), contact.MarketingText)
			m, ok := h.member("%2B" + c.phone)
			require.True(t, ok)
			assert.EqualValues(t, 100, m.Balance, "the joining points")
			assert.Equal(t, member.Profile{Source: "whatsapp", Language: lang}, m.Profile, "joined in the chat, in its language")

			// Joining again: welcome back.
			c.sayWord(conversation.WordsJoin)
			c.expect(conversation.MsgWelcomeBack, conversation.MsgMenu)

			c.sayWord(conversation.WordsPoints)
			c.expect(conversation.MsgPointsSummary, conversation.MsgPointsRecentHeader)

			// Rewards: the list holds what the member can afford.
			c.sayWord(conversation.WordsRewards)
			list := last(t, c.expect(conversation.MsgRewardsIntro))
			require.Len(t, list.Buttons, 1, "only the coffee is affordable")
			assert.Equal(t, conversation.RewardReplyID("coffee"), list.Buttons[0].ID)
			c.tap(list, conversation.RewardReplyID("coffee"))
			confirm := last(t, c.expect(conversation.MsgRedeemConfirmQuestion))
			c.tap(confirm, conversation.ConfirmReplyID("coffee"))
			c.tap(confirm, conversation.ConfirmReplyID("coffee")) // a double tap
			done := c.expect(conversation.MsgRedeemed, conversation.MsgRedeemed)
			code := regexp.MustCompile(`KOPI-[A-Z]{4}-[0-9]{4}`)
			require.Len(t, done, 2, describeChat(done))
			require.Regexp(t, code, done[0].Text)
			assert.Equal(t, code.FindString(done[0].Text), code.FindString(done[1].Text), "the same redemption answered twice")
			var reds struct{ Redemptions []loyalty.Redemption }
			require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+m.ID+"/redemptions", &reds))
			assert.Len(t, reds.Redemptions, 1, "a double tap redeems once")
			m, _ = h.member("%2B" + c.phone)
			assert.EqualValues(t, 50, m.Balance)

			// Cancelling a redemption.
			c.sayWord(conversation.WordsRewards)
			list = last(t, c.expect(conversation.MsgRewardsIntro))
			c.tap(list, conversation.RewardReplyID("coffee"))
			confirm = last(t, c.expect(conversation.MsgRedeemConfirmQuestion))
			c.tap(confirm, conversation.CancelReplyID("coffee"))
			c.expect(conversation.MsgRedeemCancelled)

			// Refer: the code and a message with the join link.
			c.sayWord(conversation.WordsRefer)
			refer := c.expect(conversation.MsgRefer, conversation.MsgReferForward)
			require.Len(t, refer, 2, "the message to forward goes alone")
			assert.Contains(t, refer[0].Text, m.Referral.Code)
			assert.Contains(t, refer[1].Text, "https://wa.me/15550000009?text=JOIN")

			// Stop and start change consent at once.
			c.sayWord(conversation.WordsStop)
			c.expect(conversation.MsgStopped)
			assert.Equal(t, member.ConsentOptedOut, h.contact(t, "%2B"+c.phone).Marketing)
			c.sayWord(conversation.WordsStart)
			c.expect(conversation.MsgStarted)
			assert.Equal(t, member.ConsentOptedIn, h.contact(t, "%2B"+c.phone).Marketing)

			c.sayWord(conversation.WordsHelp)
			c.expect(conversation.MsgMenu)

			// Not understood: the menu, never silence.
			c.say("qwertyuiop asdf")
			c.expect(conversation.MsgNotUnderstood, conversation.MsgMenu)
			assert.Empty(t, h.deadLetters().DeadLetters)
		})
	}
}

// STOP in the chat, then a sale whose notification is marketing: the
// notification is not sent.
func TestStopThenMarketingIsNotSent(t *testing.T) {
	h, _ := newBotHarness(t)
	c := newChat(t, h, "id", chatPhones["id"])
	c.say("JOIN")
	c.tap(last(t, c.expect(conversation.MsgConsentQuestion)), conversation.ReplyConsentYes)
	c.expect(conversation.MsgConsentGiven, conversation.MsgWelcomeNew)
	eventually(t, "the welcome promo", func() bool { return templatesTo(h, c.phone) == 1 })

	c.say("stop")
	c.expect(conversation.MsgStopped)
	require.Equal(t, http.StatusOK, h.postSale(sale("STOP-1", "+"+c.phone, "Dewi", "150000")))
	eventually(t, "the skipped promo", func() bool {
		var list struct{ Messages []store.Message }
		h.admin(http.MethodGet, "/messages?status=skipped", &list)
		return len(list.Messages) == 1 && list.Messages[0].ErrorCode == "opted_out"
	})
	assert.Equal(t, 1, templatesTo(h, c.phone), "no marketing after stop")
}

// templatesTo counts the marketing template (double_points) sent to phone.
func templatesTo(h *harness, phone string) int {
	n := 0
	for _, m := range h.sb.Conversation(phone) {
		if m.Direction == "out" && strings.HasPrefix(m.Text, "[template double_points]") {
			n++
		}
	}
	return n
}

// A redemption confirmed while the sweep expires the same points: the
// points are spent once, by one or the other, and the balance never goes
// below zero.
func TestRedeemRacingAnExpiry(t *testing.T) {
	h, _ := newBotHarness(t)
	c := newChat(t, h, "en", chatPhones["en"])
	c.say("JOIN")
	c.tap(last(t, c.expect(conversation.MsgConsentQuestion)), conversation.ReplyConsentYes)
	c.expect(conversation.MsgWelcomeNew)
	c.say("rewards")
	c.tap(last(t, c.expect(conversation.MsgRewardsIntro)), conversation.RewardReplyID("coffee"))
	confirm := last(t, c.expect(conversation.MsgRedeemConfirmQuestion))

	// The joining points expire 30 days on; the sweep runs "then" while
	// the customer taps confirm.
	var wg sync.WaitGroup
	wg.Go(func() { h.hub.Sweep(context.Background(), "race", time.Now().Add(31*24*time.Hour)) })
	c.tap(confirm, conversation.ConfirmReplyID("coffee"))
	wg.Wait()
	got := c.expect()
	deadline := time.Now().Add(10 * time.Second)
	for len(got) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		got = c.botMessages()[c.seen:]
	}
	require.NotEmpty(t, got)
	m, ok := h.member("%2B" + c.phone)
	require.True(t, ok)
	var reds struct{ Redemptions []loyalty.Redemption }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+m.ID+"/redemptions", &reds))
	switch {
	case c.pattern(conversation.MsgRedeemed).MatchString(got[0].Text):
		require.Len(t, reds.Redemptions, 1)
		assert.EqualValues(t, 0, m.Balance, "100 joined, 50 redeemed, the other 50 expired")
	case c.pattern(conversation.MsgRedeemNotEnough).MatchString(got[0].Text):
		assert.Empty(t, reds.Redemptions)
		assert.EqualValues(t, 0, m.Balance, "all 100 expired first")
	default:
		t.Fatalf("unexpected answer %q", got[0].Text)
	}
	var ledger struct{ Entries []store.LedgerEntry }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+m.ID+"/ledger", &ledger))
	var sum int64
	for _, e := range ledger.Entries {
		sum += e.Points
	}
	assert.EqualValues(t, m.Balance, sum, "the ledger adds up")
}

// "agent" hands the conversation to a person: the inbox gets it, the bot
// is silent, the agent answers through the API, and a release brings the
// bot back. Three misunderstood messages in a row do the same.
func TestHandoff(t *testing.T) {
	h, in := newBotHarness(t)
	c := newChat(t, h, "it", chatPhones["it"])
	c.sayWord(conversation.WordsAgent)
	c.expect(conversation.MsgHandoffStarted)
	require.Eventually(t, func() bool { return len(in.all()) == 1 }, 5*time.Second, 10*time.Millisecond)
	started := in.all()[0]
	assert.Equal(t, chatbot.HandoffStarted, started.Event)
	assert.Equal(t, "asked", started.Reason)
	assert.Equal(t, "+"+c.phone, started.Contact.Phone)
	assert.Equal(t, "it", started.Contact.Language)

	// The customer writes: the inbox gets it, the bot says nothing.
	c.say("ho un problema con il mio ordine")
	require.Eventually(t, func() bool { return len(in.all()) == 2 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, chatbot.HandoffMessageE, in.all()[1].Event)
	assert.Equal(t, "ho un problema con il mio ordine", in.all()[1].Message.Text)
	c.quiet()

	var list struct{ Handoffs []store.Conversation }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/conversations/handoffs", &list))
	require.Len(t, list.Handoffs, 1)

	// The agent answers, once per request id.
	body := map[string]string{"phone": "+" + c.phone, "text": "Ciao! Controllo subito.", "request_id": "agent-1"}
	require.Equal(t, http.StatusAccepted, h.adminPost("/conversations/messages", body, nil))
	require.Equal(t, http.StatusAccepted, h.adminPost("/conversations/messages", body, nil))
	eventually(t, "the agent's answer", func() bool {
		ms := c.botMessages()
		return len(ms) > c.seen && ms[len(ms)-1].Text == "Ciao! Controllo subito."
	})
	time.Sleep(200 * time.Millisecond)
	assert.Len(t, c.botMessages(), c.seen+1, "sent once")
	c.seen++

	require.Equal(t, http.StatusOK, h.adminPost("/conversations/release", map[string]string{"phone": "+" + c.phone}, nil))
	c.expect(conversation.MsgHandoffEnded)
	assert.Equal(t, chatbot.HandoffEnded, in.all()[len(in.all())-1].Event)
	c.sayWord(conversation.WordsHelp)
	c.expect(conversation.MsgMenu)

	// Three messages the bot does not understand hand over too.
	for range 2 {
		c.say("zzzz qqqq")
		c.expect(conversation.MsgNotUnderstood)
	}
	c.say("zzzz qqqq")
	c.expect(conversation.MsgHandoffStarted)
	assert.Equal(t, "misunderstood", in.all()[len(in.all())-1].Reason)
}

// An agent's message outside the customer's 24-hour window is refused.
func TestAgentMessageOutsideTheWindow(t *testing.T) {
	h, _ := newBotHarness(t)
	var consent map[string]any
	require.Equal(t, http.StatusOK, h.adminPost("/contacts/consent", map[string]any{"phone": "081234567999", "opted_in": true, "source": "form"}, &consent))
	var resp map[string]string
	code := h.adminPost("/conversations/messages", map[string]string{"phone": "081234567999", "text": "Hi", "request_id": "r1"}, &resp)
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, resp["error"], "24-hour window is closed")
}

// The customer picks a language; the bot answers in it from then on.
func TestLanguageChoice(t *testing.T) {
	h, _ := newBotHarness(t)
	c := newChat(t, h, "en", chatPhones["en"])
	c.sayWord(conversation.WordsLanguage)
	list := last(t, c.expect(conversation.MsgLanguageQuestion))
	require.Len(t, list.Buttons, 5)
	c.tap(list, conversation.LanguageReplyID("tr"))
	c.lang = "tr"
	c.expect(conversation.MsgLanguageChanged, conversation.MsgMenu)
	c.say("stop") // a word of several languages: the chosen one answers
	c.expect(conversation.MsgStopped)
}

// Join links and QR codes for a member's referral code.
func TestJoinLinkAndQR(t *testing.T) {
	h, _ := newBotHarness(t)
	var link map[string]string
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/join-link?code=ABC12345&source=qr", &link))
	assert.Equal(t, "JOIN ABC12345 QR", link["text"])
	assert.Equal(t, "https://wa.me/15550000009?text=JOIN+ABC12345+QR", strings.ReplaceAll(link["url"], "%20", "+"))
	png := h.adminRaw(t, "/join-qr.png?code=ABC12345&size=300", "image/png")
	assert.Equal(t, "\x89PNG\r\n\x1a\n", string(png[:8]))
}

// WhatsApp delivers a message again: the bot answers it once.
func TestRedeliveredMessageIsAnsweredOnce(t *testing.T) {
	in := newInbox(t)
	h := newHarness(t, harnessOpts{yaml: botConfig(in.srv.URL), env: []string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true"}})
	msg := inboundText("wamid.redelivered-1", "6281234567555", "menu", time.Now())
	h.postWebhook(t, msg)
	eventually(t, "the answer", func() bool { return h.sentTo("+6281234567555") == 1 })
	h.postWebhook(t, msg+" ") // the same message id in another body
	eventually(t, "the duplicate counted", func() bool {
		return counterValue(t, h.hub.Metrics().InboundMessages.WithLabelValues("acme", "duplicate")) == 1
	})
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, 1, h.sentTo("+6281234567555"), "answered once")
}
