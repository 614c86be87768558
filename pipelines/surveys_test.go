package pipelines_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/storetest"
	"github.com/loyalhub/loyalhub/core/survey"
	chatbot "github.com/loyalhub/loyalhub/pipelines/chat"
)

// surveyConfig adds to the bot's config an NPS survey after a paid order
// (points, a handoff for detractors) and a CSAT survey when a person gives
// the conversation back (with a follow-up question).
func surveyConfig(inboxURL string) func(string) string {
	bot := botConfig(inboxURL)
	return func(cfg string) string {
		return strings.Replace(bot(cfg), "    notifications:\n", `    surveys:
      - name: after_order
        kind: nps
        trigger: order.paid
        delay: 1ms
        points: 20
        handoff: true
      - name: support
        kind: csat
        trigger: handoff.ended
        delay: 1ms
        follow_up: true
    notifications:
`, 1)
	}
}

// newSurveyHarness is the bot's harness with surveyConfig.
func newSurveyHarness(t *testing.T, env ...string) (*harness, *inbox) {
	in := newInbox(t)
	h := newHarness(t, harnessOpts{
		yaml: surveyConfig(in.srv.URL),
		env: append([]string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true",
			"LOYALHUB_TENANTS__ACME__CONNECTORS__WHATSAPP__THROUGHPUT__PAIR_BURST=45"}, env...),
		sandbox: func(c *sandbox.Config) { c.EnforceWindow = true },
	})
	return h, in
}

var surveyPhones = map[string]string{
	"en": "447911123470", "id": "6281234567070", "tr": "905321234070", "it": "393471234070", "ar": "966501234070",
}

// expectText waits for the bot's next message holding want.
func (c *chat) expectText(want string) sandbox.ChatMessage {
	c.t.Helper()
	return c.expectTextFrom(c.seen, want)
}

// expectTextFrom waits for a bot message holding want, from the from-th
// on.
func (c *chat) expectTextFrom(from int, want string) sandbox.ChatMessage {
	c.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		all := c.botMessages()
		for i := from; i < len(all); i++ {
			if strings.Contains(all[i].Text, want) {
				c.seen = i + 1
				return all[i]
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: waited for %q; the bot said %s", c.lang, want, describeChat(all[min(c.seen, len(all)):]))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// expectSurvey waits for a survey's invitation, a list of scores.
func (c *chat) expectSurvey(kind string) sandbox.ChatMessage {
	c.t.Helper()
	return c.expectSurveyFrom(c.seen, kind)
}

// expectSurveyFrom waits for a survey's invitation from the from-th bot
// message on.
func (c *chat) expectSurveyFrom(from int, kind string) sandbox.ChatMessage {
	c.t.Helper()
	question := survey.MsgQuestionNPS
	if kind == survey.KindCSAT {
		question = survey.MsgQuestionCSAT
	}
	m := c.expectTextFrom(from, survey.Text(nil, c.lang, question))
	lo, hi := survey.Range(kind)
	require.True(c.t, m.List, "a list")
	require.Len(c.t, m.Buttons, min(hi-lo+1, 10))
	assert.True(c.t, strings.HasPrefix(m.Buttons[0].ID, survey.ReplyPrefix))
	assert.True(c.t, strings.HasSuffix(m.Buttons[0].ID, fmt.Sprintf(":%d", hi)), "the highest score first")
	return m
}

func surveySale(id, phone, storeID string) []byte {
	return fmt.Appendf(nil, `{"sale_id":%q,"customer":{"phone":%q,"name":"Dewi"},"total":"50000","currency":"IDR","store_id":%q}`,
		id, phone, storeID)
}

type surveyResponses struct {
	Responses []store.SurveyResponse
}

type surveySummary struct {
	Summary survey.Summary
}

func TestSurveyScripts(t *testing.T) {
	h, in := newSurveyHarness(t)
	t.Cleanup(func() {
		// Each language answered the NPS survey once and the CSAT survey
		// once.
		m := h.hub.Metrics().SurveyResponses
		assert.EqualValues(t, len(surveyPhones), counterValue(t, m.WithLabelValues("acme", "after_order", survey.KindNPS)))
		assert.EqualValues(t, len(surveyPhones), counterValue(t, m.WithLabelValues("acme", "support", survey.KindCSAT)))
	})
	for _, lang := range conversation.Languages() {
		t.Run(lang, func(t *testing.T) {
			c := newChat(t, h, lang, surveyPhones[lang])

			// The customer writes first: the window is open.
			c.sayWord(conversation.WordsHelp)
			c.expect(conversation.MsgMenu)

			// A paid order makes them a member and invites them.
			require.Equal(t, http.StatusOK, h.postSale(surveySale("SV-"+lang, "+"+c.phone, "store-"+lang)))
			list := c.expectSurvey(survey.KindNPS)
			c.tap(list, list.Buttons[1].ID) // 9
			c.expectText(survey.Text(nil, lang, survey.MsgThanksPoints, "points", conversation.FormatPoints(lang, 20)))
			m, ok := h.member("%2B" + c.phone)
			require.True(t, ok)
			assert.EqualValues(t, 100+5+20, m.Balance, "the joining points, the order's and the survey's")

			// A second answer is thanked, not recorded.
			c.say("7/10")
			c.expectText(survey.Text(nil, lang, survey.MsgAlready))
			c.tap(list, list.Buttons[9].ID)
			c.expectText(survey.Text(nil, lang, survey.MsgAlready))
			m, _ = h.member("%2B" + c.phone)
			assert.EqualValues(t, 125, m.Balance, "points once")

			// A person answers, then gives the conversation back: the CSAT
			// survey follows, answered by typing.
			c.sayWord(conversation.WordsAgent)
			c.expect(conversation.MsgHandoffStarted)
			before := len(c.botMessages())
			require.Equal(t, http.StatusOK, h.adminPost("/conversations/release", map[string]string{"phone": "+" + c.phone}, nil))
			c.expectSurveyFrom(before, survey.KindCSAT)
			c.seen = before
			c.expect(conversation.MsgHandoffEnded)
			c.say(map[string]string{"en": "4/5", "id": "4 dari 5", "tr": "5 üzerinden 4", "it": "4 su 5", "ar": "٤ من ٥"}[lang])
			c.expectText(survey.Text(nil, lang, survey.MsgFollowUp))
			c.say("The cashier was friendly")
			c.expectText(survey.Text(nil, lang, survey.MsgComment))

			// The bot is itself again.
			c.sayWord(conversation.WordsHelp)
			c.expect(conversation.MsgMenu)

			var nps, csat surveyResponses
			require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/surveys/after_order/responses?store=store-"+lang, &nps))
			require.Len(t, nps.Responses, 1)
			assert.Equal(t, 9, nps.Responses[0].Score)
			assert.Equal(t, m.ID, nps.Responses[0].MemberID)
			assert.NotEmpty(t, nps.Responses[0].OrderID)
			require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/surveys/support/responses", &csat))
			found := false
			for _, r := range csat.Responses {
				if r.Phone == "+"+c.phone {
					found = true
					assert.Equal(t, 4, r.Score)
					assert.Equal(t, "The cashier was friendly", r.Comment)
				}
			}
			assert.True(t, found, "the CSAT response")
		})
	}
	for _, e := range in.all() {
		assert.NotEqual(t, chatbot.HandoffDetractor, e.Reason, "no detractor here")
	}
	assert.Empty(t, h.deadLetters().DeadLetters)

	var sum surveySummary
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/surveys/after_order/summary", &sum))
	assert.Equal(t, survey.Stats{Responses: 5, Promoters: 5, NPS: 100}, sum.Summary.Overall)
	assert.Len(t, sum.Summary.Stores, 5)
	var csat surveySummary
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/surveys/support/summary", &csat))
	assert.Equal(t, survey.Stats{Responses: 5, Average: 4, Satisfied: 100}, csat.Summary.Overall)
}

func TestSurveyDetractorIsHandedToAPerson(t *testing.T) {
	h, in := newSurveyHarness(t)
	c := newChat(t, h, "it", "393471234071")
	c.sayWord(conversation.WordsHelp)
	c.expect(conversation.MsgMenu)
	require.Equal(t, http.StatusOK, h.postSale(surveySale("SV-D", "+"+c.phone, "milano")))
	c.expectSurvey(survey.KindNPS)
	c.say("3")
	c.expectText(survey.Text(nil, "it", survey.MsgHandoff))
	eventually(t, "the inbox hears of the handoff", func() bool {
		for _, e := range in.all() {
			if e.Event == chatbot.HandoffStarted && e.Reason == chatbot.HandoffDetractor {
				return e.Message != nil && e.Message.Text == "3"
			}
		}
		return false
	})
	// The person answers now: the bot stays silent.
	c.say("il caffè era freddo")
	c.quiet()
	eventually(t, "the message in the inbox", func() bool {
		for _, e := range in.all() {
			if e.Event == chatbot.HandoffMessageE && e.Message != nil && e.Message.Text == "il caffè era freddo" {
				return true
			}
		}
		return false
	})

	var sum surveySummary
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/surveys/after_order/summary?store=milano", &sum))
	assert.Equal(t, survey.Stats{Responses: 1, Detractors: 1, NPS: -100}, sum.Summary.Overall)

	// CSV of the responses.
	req, err := http.NewRequest(http.MethodGet, h.url+"/api/v1/tenants/acme/surveys/after_order/responses?format=csv", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testAdmin)
	resp, err := h.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	require.Len(t, lines, 2, string(body))
	assert.True(t, strings.HasPrefix(lines[0], "invitation,survey,kind,"))
	assert.Contains(t, lines[1], ",after_order,nps,")
	assert.Contains(t, lines[1], ",milano,3,")

	assert.Equal(t, http.StatusNotFound, h.admin(http.MethodGet, "/surveys/nope/summary", nil))
	assert.Equal(t, http.StatusBadRequest, h.admin(http.MethodGet, "/surveys/after_order/responses?from=yesterday", nil))
	assert.Equal(t, http.StatusBadRequest, h.admin(http.MethodGet, "/surveys/after_order/responses?format=xml", nil))
}

// TestSurveyAfterAHandoffTimesOut: a handoff nobody released ends when
// the customer writes after its timeout, and the handoff.ended survey
// follows as after a release.
func TestSurveyAfterAHandoffTimesOut(t *testing.T) {
	h, in := newSurveyHarness(t, "LOYALHUB_TENANTS__ACME__CONVERSATION__HANDOFF__TIMEOUT=1s")
	c := newChat(t, h, "en", "447911123471")
	c.sayWord(conversation.WordsHelp)
	c.expect(conversation.MsgMenu)
	require.Equal(t, http.StatusOK, h.postSale(surveySale("SV-T", "+"+c.phone, "london")))
	list := c.expectSurvey(survey.KindNPS)
	c.tap(list, list.Buttons[0].ID) // 10
	c.expectText(survey.Text(nil, "en", survey.MsgThanksPoints, "points", conversation.FormatPoints("en", 20)))

	c.sayWord(conversation.WordsAgent)
	c.expect(conversation.MsgHandoffStarted)
	time.Sleep(1500 * time.Millisecond) // nobody answers; the handoff times out
	before := len(c.botMessages())
	c.sayWord(conversation.WordsHelp)
	c.expectSurveyFrom(before, survey.KindCSAT)
	eventually(t, "the inbox hears the handoff timed out", func() bool {
		for _, e := range in.all() {
			if e.Event == chatbot.HandoffEnded && e.Reason == conversation.HandoffTimeout {
				return true
			}
		}
		return false
	})
	c.say("5")
	c.expectText(survey.Text(nil, "en", survey.MsgFollowUp))
	var csat surveyResponses
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/surveys/support/responses", &csat))
	require.Len(t, csat.Responses, 1)
	assert.Equal(t, 5, csat.Responses[0].Score)
	assert.Equal(t, "+"+c.phone, csat.Responses[0].Phone)
}

func TestSurveyWaitsForItsDelayAndTheWindow(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	in := newInbox(t)
	h := newHarness(t, harnessOpts{
		yaml: func(cfg string) string {
			return strings.Replace(surveyConfig(in.srv.URL)(cfg), "delay: 1ms\n        points: 20", "delay: 2h\n        points: 20", 1)
		},
		env:     []string{"LOYALHUB_PIPELINE__SCHEDULER__INTERVAL=50ms"},
		now:     now,
		sandbox: func(c *sandbox.Config) { c.EnforceWindow = true },
	})

	// A customer who wrote gets the invitation after the delay.
	c := newChat(t, h, "id", "6281234567091")
	c.sayWord(conversation.WordsHelp)
	c.expect(conversation.MsgMenu)
	require.Equal(t, http.StatusOK, h.postSale(surveySale("DW-1", "+"+c.phone, "jkt")))
	time.Sleep(500 * time.Millisecond)
	assert.Len(t, c.botMessages(), c.seen, "not before the delay")
	advance(2*time.Hour + time.Minute)
	c.expectSurvey(survey.KindNPS)

	// A member whose window is closed: without a template the invitation
	// is skipped, as the messaging policy says.
	require.Equal(t, http.StatusOK, h.postSale(surveySale("DW-2", "+6281234567092", "jkt")))
	advance(2*time.Hour + time.Minute)
	eventually(t, "the skipped invitation", func() bool {
		var list struct{ Messages []store.Message }
		h.admin(http.MethodGet, "/messages", &list)
		for _, m := range list.Messages {
			if m.Recipient == "+6281234567092" && m.Origin == survey.Origin("after_order") {
				return m.Status == store.MessageSkipped && m.ErrorCode == "window_closed"
			}
		}
		return false
	})
	for _, m := range h.sb.Conversation("6281234567092") {
		assert.False(t, m.List, "no invitation went out: %q", m.Text)
	}
}

// An invitation sent before a restart is answered after it: what the chat
// needs of a survey is in the store.
func TestSurveyAnsweredAfterARestart(t *testing.T) {
	dir := t.TempDir()
	in := newInbox(t)
	opts := harnessOpts{
		dataDir: dir, yaml: surveyConfig(in.srv.URL),
		env:     []string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true"},
		sandbox: func(c *sandbox.Config) { c.EnforceWindow = true },
	}
	before := newHarness(t, opts)
	c := newChat(t, before, "tr", "905321234072")
	c.sayWord(conversation.WordsHelp)
	c.expect(conversation.MsgMenu)
	require.Equal(t, http.StatusOK, before.postSale(surveySale("SV-R", "+"+c.phone, "ist")))
	c.expectSurvey(survey.KindNPS)
	eventually(t, "the invitation sent", func() bool {
		var list struct{ Messages []store.Message }
		before.admin(http.MethodGet, "/messages", &list)
		for _, m := range list.Messages {
			if m.Origin == survey.Origin("after_order") {
				return m.Status == store.MessageDelivered || m.Status == store.MessageRead
			}
		}
		return false
	})
	require.NoError(t, before.hub.Close(context.Background()))

	after := newHarness(t, opts)
	c = newChat(t, after, "tr", c.phone)
	c.say("10 üzerinden 8")
	c.expectText(survey.Text(nil, "tr", survey.MsgThanksPoints, "points", conversation.FormatPoints("tr", 20)))
	var nps surveyResponses
	require.Equal(t, http.StatusOK, after.admin(http.MethodGet, "/surveys/after_order/responses", &nps))
	require.Len(t, nps.Responses, 1)
	assert.Equal(t, 8, nps.Responses[0].Score)
	assert.Equal(t, "ist", nps.Responses[0].StoreID)
}

// A typed score delivered twice is answered and counted once.
// Both stores.
func TestSurveyAnswerRedeliveredCountsOnce(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testSurveyAnswerRedelivered(t) })
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.FreshPostgres(t)
		testSurveyAnswerRedelivered(t, "LOYALHUB_STORE__DRIVER=postgres", "LOYALHUB_STORE__POSTGRES__DSN="+dsn)
	})
}

func testSurveyAnswerRedelivered(t *testing.T, env ...string) {
	h, _ := newSurveyHarness(t, env...)
	c := newChat(t, h, "id", "6281234567093")
	c.sayWord(conversation.WordsHelp)
	c.expect(conversation.MsgMenu)
	require.Equal(t, http.StatusOK, h.postSale(surveySale("SV-2X", "+"+c.phone, "bdg")))
	c.expectSurvey(survey.KindNPS)

	msg := inboundText("wamid.survey-twice-1", c.phone, "nilai 10", time.Now())
	h.postWebhook(t, msg)
	c.expectText(survey.Text(nil, "id", survey.MsgThanksPoints, "points", conversation.FormatPoints("id", 20)))
	h.postWebhook(t, msg+" ") // the same message id in another body
	eventually(t, "the duplicate counted", func() bool {
		return counterValue(t, h.hub.Metrics().InboundMessages.WithLabelValues("acme", "duplicate")) == 1
	})
	c.quiet()
	var nps surveyResponses
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/surveys/after_order/responses", &nps))
	require.Len(t, nps.Responses, 1)
	assert.Equal(t, 10, nps.Responses[0].Score)
	m, _ := h.member("%2B" + c.phone)
	assert.EqualValues(t, 125, m.Balance, "points once")
	assert.EqualValues(t, 1, counterValue(t, h.hub.Metrics().SurveyResponses.WithLabelValues("acme", "after_order", survey.KindNPS)))
}
