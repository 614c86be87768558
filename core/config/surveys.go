package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Survey kinds and the trigger of a handoff's end.
const (
	SurveyNPS          = "nps"
	SurveyCSAT         = "csat"
	SurveyHandoffEnded = "handoff.ended"
	// SurveyJourney is the trigger of a survey only a journey's survey
	// step invites to.
	SurveyJourney       = "journey"
	DefaultSurveyDelay  = 2 * time.Hour
	maxSurveyDelay      = 30 * 24 * time.Hour
	maxSurveyNameLength = 40
)

// Survey asks members for a score over WhatsApp after an event: NPS (0 to
// 10, "would you recommend us") or CSAT (1 to 5, "how satisfied are you"),
// with an optional free-text follow-up, points for answering and a
// handoff to a person for an unhappy answer (docs/surveys.md).
type Survey struct {
	// Name identifies the survey in its messages' origin (survey:<name>)
	// and the admin API. Required, unique: lower-case letters, digits, _
	// or -.
	Name string `koanf:"name"`
	// Kind is nps or csat. Required.
	Kind string `koanf:"kind"`
	// Trigger is the event type that invites the member, such as
	// order.paid, or handoff.ended when a person gave a conversation back
	// to the bot, or journey when only a journey's survey step invites.
	// Required.
	Trigger string `koanf:"trigger"`
	// Delay is how long after the trigger the invitation goes out.
	// Default 2h.
	Delay time.Duration `koanf:"delay"`
	// Sender is the WhatsApp connector that sends the invitation.
	// Default: conversation.sender.
	Sender string `koanf:"sender"`
	// Question overrides the question by language (en, id, tr, it, ar);
	// the defaults are shipped in all five.
	Question map[string]string `koanf:"question"`
	// FollowUp asks a free-text question after the score; its text by
	// language overrides the default in follow_up_question.
	FollowUp         bool              `koanf:"follow_up"`
	FollowUpQuestion map[string]string `koanf:"follow_up_question"`
	// Template is an approved template sent instead of the interactive
	// list when the member's 24-hour window is closed, in the
	// invitation's language. Empty: outside the window the invitation is
	// skipped (window_closed).
	Template string `koanf:"template"`
	// Points are awarded once per response. Default 0.
	Points int64 `koanf:"points"`
	// Handoff opens a handoff to a person for a detractor's answer (NPS 0
	// to 6, CSAT 1 or 2). Default false.
	Handoff bool `koanf:"handoff"`
}

func (s *Survey) applyDefaults(c Conversation) {
	setDuration(&s.Delay, DefaultSurveyDelay)
	setString(&s.Sender, c.Sender)
}

// surveys checks a tenant's surveys.
func (v *validator) surveys(base string, t Tenant) {
	seen := map[string]int{}
	for i, s := range t.Surveys {
		p := fmt.Sprintf("%s.surveys[%d]", base, i)
		switch {
		case s.Name == "":
			v.add(p+".name", "required")
		case !idPattern.MatchString(s.Name) || len(s.Name) > maxSurveyNameLength:
			v.add(p+".name", "%q must be up to %d lower-case letters, digits, _ or - (it is part of URLs)", s.Name, maxSurveyNameLength)
		default:
			if j, dup := seen[s.Name]; dup {
				v.add(p+".name", "%q is already the name of surveys[%d]", s.Name, j)
			}
			seen[s.Name] = i
		}
		v.oneOf(p+".kind", s.Kind, SurveyNPS, SurveyCSAT)
		switch {
		case strings.TrimSpace(s.Trigger) == "":
			v.add(p+".trigger", "required: an event type such as order.paid, %s or %s", SurveyHandoffEnded, SurveyJourney)
		case s.Trigger == SurveyHandoffEnded, s.Trigger == SurveyJourney:
		case !eventTypePattern.MatchString(s.Trigger):
			v.add(p+".trigger", "%q is not an event type such as order.paid, nor %s or %s", s.Trigger, SurveyHandoffEnded, SurveyJourney)
		default:
			v.knownEventType(p+".trigger", s.Trigger, t.Loyalty.EventTypes)
		}
		if s.Delay < 0 || s.Delay > maxSurveyDelay {
			v.add(p+".delay", "must be between 0s and %s, got %s", maxSurveyDelay, s.Delay)
		}
		if s.Sender == "" {
			v.add(p+".sender", "required: a WhatsApp connector (or set conversation.sender)")
		} else if _, ok := t.Connectors[s.Sender]; !ok {
			v.add(p+".sender", "%q is not a connector of the tenant", s.Sender)
		}
		for _, key := range []string{"question", "follow_up_question"} {
			texts := s.Question
			if key == "follow_up_question" {
				texts = s.FollowUpQuestion
			}
			for _, lang := range sortedKeys(texts) {
				switch {
				case !slices.Contains(ConversationLanguages, lang):
					v.add(p+"."+key+"."+lang, "%q is not a language of the bot (%v)", lang, ConversationLanguages)
				case strings.TrimSpace(texts[lang]) == "":
					v.add(p+"."+key+"."+lang, "must not be empty")
				case len([]rune(texts[lang])) > 1024:
					v.add(p+"."+key+"."+lang, "at most 1024 characters, an interactive message's body")
				}
			}
		}
		if len(s.FollowUpQuestion) > 0 && !s.FollowUp {
			v.add(p+".follow_up_question", "set follow_up: true to ask it")
		}
		if s.Points < 0 {
			v.add(p+".points", "must not be negative, got %d", s.Points)
		}
		if s.Handoff && !t.Conversation.Enabled {
			v.add(p+".handoff", "needs conversation.enabled: the handoff is the chatbot's")
		}
	}
	if len(t.Surveys) > 0 && !t.Conversation.Enabled {
		v.add(base+".surveys", "needs conversation.enabled: the chatbot reads the answers")
	}
}
