package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/config"
)

func TestSurveysValidate(t *testing.T) {
	tenantID := ""
	for id := range valid().Tenants {
		tenantID = id
	}
	p := "tenants." + tenantID + ".surveys"
	good := config.Survey{Name: "after_order", Kind: "nps", Trigger: "order.paid", Delay: 2 * time.Hour, Sender: "wa",
		Question: map[string]string{"it": "Ci consiglieresti?"}, Points: 10, Handoff: true}
	tests := []struct {
		name    string
		surveys []config.Survey
		chat    bool
		want    map[string]string
	}{
		{name: "good", surveys: []config.Survey{good, {Name: "support", Kind: "csat", Trigger: "handoff.ended", Sender: "wa"}}, chat: true},
		{name: "needs the chatbot", surveys: []config.Survey{good}, want: map[string]string{p: "conversation.enabled", p + "[0].handoff": "conversation.enabled"}},
		{
			name: "bad keys",
			chat: true,
			surveys: []config.Survey{{Name: "Bad Name", Kind: "ces", Trigger: "order paid", Delay: -time.Hour, Sender: "sms",
				Question: map[string]string{"fr": "Recommanderiez-vous ?", "en": " "}, FollowUpQuestion: map[string]string{"en": "Why?"}, Points: -1}},
			want: map[string]string{
				p + "[0].name": "lower-case", p + "[0].kind": "ces", p + "[0].trigger": "not an event type", p + "[0].delay": "between",
				p + "[0].sender": `"sms" is not a connector`, p + "[0].question.fr": "not a language", p + "[0].question.en": "empty",
				p + "[0].follow_up_question": "follow_up: true", p + "[0].points": "negative",
			},
		},
		{
			name: "duplicate name and unknown trigger",
			chat: true,
			surveys: []config.Survey{good, {Name: "after_order", Kind: "csat", Trigger: "order.payed", Sender: "wa"},
				{Name: "x", Kind: "nps", Trigger: "", Sender: "wa"}},
			want: map[string]string{p + "[1].name": "already the name of surveys[0]", p + "[1].trigger": "unknown event type", p + "[2].trigger": "required"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			ten := c.Tenants[tenantID]
			if tt.chat {
				ten.Conversation.Enabled, ten.Conversation.Sender, ten.Conversation.PhoneNumber = true, "wa", "6281100001111"
			}
			ten.Surveys = tt.surveys
			c.Tenants[tenantID] = ten
			requireErrors(t, c.Validate(), tt.want)
		})
	}
}

func TestSurveyDefaults(t *testing.T) {
	c := valid()
	for id, ten := range c.Tenants {
		ten.Conversation.Sender = "wa"
		ten.Surveys = []config.Survey{{Name: "s", Kind: "nps", Trigger: "order.paid"}}
		c.Tenants[id] = ten
	}
	c.ApplyDefaults()
	for _, ten := range c.Tenants {
		assert.Equal(t, 2*time.Hour, ten.Surveys[0].Delay)
		assert.Equal(t, "wa", ten.Surveys[0].Sender)
	}
}
