package pipelines_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/survey"
)

// A post-purchase journey invites the member to a survey only journeys
// invite to, waits for their reply, and tags them when it comes.
func TestPostPurchaseJourneyAsksAndTagsWhoReplies(t *testing.T) {
	in := newInbox(t)
	bot := botConfig(in.srv.URL)
	h := newHarness(t, harnessOpts{
		yaml: func(cfg string) string {
			return strings.Replace(bot(cfg), "    notifications:\n", `    surveys:
      - name: after_order
        kind: nps
        trigger: journey
        delay: 1ms
    journeys:
      - name: post-purchase
        sender: whatsapp
        trigger:
          on: points.earned
          when: data.order_id != nil
        steps:
          - survey: after_order
          - wait_for:
              event: reply
              within: 48h
              then: answered
          - send:
              template:
                name: come_back
                language: en
          - goto: end
          - name: answered
            tag:
              add: [surveyed]
              remove: [lapsed]
    notifications:
`, 1)
		},
		env:     []string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true"},
		sandbox: func(c *sandbox.Config) { c.EnforceWindow = true },
	})
	ctx := context.Background()
	st := h.hub.Store()
	c := newChat(t, h, "en", "447911123471")
	c.sayWord(conversation.WordsHelp)
	c.expect(conversation.MsgMenu)

	require.Equal(t, http.StatusOK, h.postSale(surveySale("PJ-1", "+"+c.phone, "store-1")))
	var memberID string
	eventually(t, "the member entered the journey", func() bool {
		m, ok := h.member("%2B" + c.phone)
		if !ok {
			return false
		}
		memberID = m.ID
		_, err := st.JourneyState(ctx, "acme", "post-purchase", m.ID)
		return err == nil
	})
	_, err := st.TagMember(ctx, "acme", memberID, []string{"lapsed"}, nil)
	require.NoError(t, err)

	_, err = h.hub.Journeys().RunDue(ctx)
	require.NoError(t, err)
	list := c.expectSurvey(survey.KindNPS)
	s, err := st.JourneyState(ctx, "acme", "post-purchase", memberID)
	require.NoError(t, err)
	assert.Equal(t, store.JourneyWaitReply, s.WaitFor, "waiting for the reply")

	c.tap(list, list.Buttons[0].ID) // 10
	c.expectText(survey.Text(nil, "en", survey.MsgThanks))
	eventually(t, "the reply branch", func() bool {
		if _, err := h.hub.Journeys().RunDue(ctx); err != nil {
			return false
		}
		s, err := st.JourneyState(ctx, "acme", "post-purchase", memberID)
		return err == nil && s.Status == store.JourneyCompleted
	})
	m, err := st.Member(ctx, "acme", memberID)
	require.NoError(t, err)
	assert.Equal(t, []string{"surveyed"}, m.Profile.Tags)
	assert.InDelta(t, 1, counterValue(t, h.hub.Metrics().JourneyWakes), 0, "woken by the reply")

	var body journeysBody
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/journeys", &body))
	require.Len(t, body.Journeys, 1)
	steps := body.Journeys[0].Steps
	assert.Equal(t, map[string]any{"survey": "after_order"}, steps[0])
	assert.Equal(t, map[string]any{"wait_for": map[string]any{"event": "reply", "within": "48h0m0s", "then": "answered", "else": ""}}, steps[1])
	assert.Equal(t, map[string]any{"goto": "end"}, steps[3])
	assert.Equal(t, map[string]any{"name": "answered", "tag": map[string]any{"add": []any{"surveyed"}, "remove": []any{"lapsed"}}}, steps[4])
	for _, msg := range h.sb.Messages() {
		if msg.To == c.phone {
			name, _ := templateOf(t, msg)
			assert.NotEqual(t, "come_back", name, "the reminder is the other branch's")
		}
	}
	var nps surveyResponses
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/surveys/after_order/responses", &nps))
	require.Len(t, nps.Responses, 1)
	assert.Equal(t, 10, nps.Responses[0].Score)
	assert.Equal(t, "PJ-1", nps.Responses[0].OrderID, "the invitation keeps the journey's order")
}
