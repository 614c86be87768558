package chat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/survey"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// SurveyAnswerWindow is how long after its invitation went out a typed
// score still answers it.
const SurveyAnswerWindow = 7 * 24 * time.Hour

// HandoffDetractor is the reason of a handoff a detractor's survey answer
// started.
const HandoffDetractor = "survey_detractor"

// Trigger is what invites a member to a tenant's surveys: an event of the
// loyalty program, or a handoff's end.
type Trigger struct {
	Type    string // the event type, or survey.TriggerHandoffEnded
	EventID string // the invitation's id derives from it
	At      time.Time
	// MemberID and Phone (canonical key) are the member invited;
	// OrderID and StoreID the trigger's, "" when it had none.
	MemberID, Phone  string
	OrderID, StoreID string
}

// Invite writes tenant t's invitations to the surveys on tr.Type: each
// recorded, then queued in the outbox due after the survey's delay. Both
// writes are keyed by the invitation's id, derived from the trigger, so
// inviting again after a failure changes nothing twice.
func (r *Responder) Invite(ctx context.Context, t *runtime.Tenant, tr Trigger) error {
	for _, s := range t.Config.Surveys {
		if s.Trigger != tr.Type {
			continue
		}
		if err := r.invite(ctx, t, s, tr); err != nil {
			return err
		}
	}
	return nil
}

// InviteTo invites tr's member to tenant t's survey name, whatever its
// trigger, as Invite does: a journey's survey step.
func (r *Responder) InviteTo(ctx context.Context, t *runtime.Tenant, name string, tr Trigger) error {
	s, ok := surveyConfig(t, name)
	if !ok {
		return fmt.Errorf("inviting to survey %s: %w", name, ErrNoSurvey)
	}
	return r.invite(ctx, t, s, tr)
}

// ErrNoSurvey is returned for a survey the tenant does not have.
var ErrNoSurvey = errors.New("no such survey")

// invite writes one invitation to survey s; a member without a phone is
// not invited.
func (r *Responder) invite(ctx context.Context, t *runtime.Tenant, s config.Survey, tr Trigger) error {
	if tr.Phone == "" || strings.HasPrefix(tr.Phone, store.RedactedPrefix) {
		return nil
	}
	lang, err := r.inviteLanguage(ctx, t, tr.Phone)
	if err != nil {
		return err
	}
	inv := store.SurveyInvitation{
		ID: event.DerivedID("svy_", t.ID, s.Name, tr.EventID),
		SurveySubject: store.SurveySubject{Tenant: t.ID, Survey: s.Name, Kind: s.Kind,
			MemberID: tr.MemberID, Phone: tr.Phone, OrderID: tr.OrderID, StoreID: tr.StoreID},
		EventID: tr.EventID, Lang: lang, DueAt: survey.Due(tr.At, s.Delay), CreatedAt: r.Now(),
	}
	if err := r.Store.AddSurveyInvitation(ctx, inv); err != nil {
		return fmt.Errorf("inviting to survey %s: %w", s.Name, err)
	}
	cmd := coreSurvey(s).Command(survey.Invite{Tenant: t.ID, Sender: s.Sender, Key: inv.ID, MemberID: tr.MemberID, To: tr.Phone, Lang: lang})
	if err := r.EnqueueDue(ctx, cmd, inv.DueAt); err != nil {
		return fmt.Errorf("inviting to survey %s: %w", s.Name, err)
	}
	return nil
}

// inviteLanguage is the language to invite phone in: the one the chat
// last answered them in, else their phone's, else the bot's default.
func (r *Responder) inviteLanguage(ctx context.Context, t *runtime.Tenant, phone string) (string, error) {
	conv, err := r.Store.Conversation(ctx, t.ID, store.ContactRef{Phone: phone})
	if err != nil {
		return "", fmt.Errorf("reading the conversation: %w", err)
	}
	c := t.Config.Conversation
	return conversation.ChooseLanguage(conv.Lang, "", phone, c.DefaultLanguage, c.Languages), nil
}

// coreSurvey is a configured survey as core/survey reads it.
func coreSurvey(s config.Survey) survey.Survey {
	return survey.Survey{
		Name: s.Name, Kind: s.Kind, Questions: s.Question, FollowUp: s.FollowUp, FollowUps: s.FollowUpQuestion,
		Template: s.Template, Points: s.Points, Handoff: s.Handoff,
	}
}

// surveyConfig is tenant t's survey name.
func surveyConfig(t *runtime.Tenant, name string) (config.Survey, bool) {
	for _, s := range t.Config.Surveys {
		if s.Name == name {
			return s, true
		}
	}
	return config.Survey{}, false
}

// sentStatuses are the message statuses of an invitation the member got.
var sentStatuses = map[string]bool{store.MessageSent: true, store.MessageDelivered: true, store.MessageRead: true}

// openSurvey finds the invitation a message may answer: the one a tapped
// row names, else the member's latest one that went out in the answer
// window. ok is false when there is none.
func (c *chatIO) openSurvey(ctx context.Context, msg conversation.Message) (store.SurveyInvitation, bool, error) {
	st := c.r.Store
	var inv store.SurveyInvitation
	var err error
	if id, _, ok := survey.ParseReplyID(msg.ReplyID); ok {
		inv, err = st.SurveyInvitation(ctx, c.t.ID, id)
	} else if msg.ReplyID == "" {
		inv, err = st.LatestSurveyInvitation(ctx, c.t.ID, c.phone, c.now.Add(-SurveyAnswerWindow), c.now)
		if err == nil && !inv.Answered {
			// A typed score answers only an invitation the member got.
			m, merr := st.Message(ctx, c.t.ID, inv.ID)
			switch {
			case errors.Is(merr, store.ErrNotFound):
				return inv, false, nil
			case merr != nil:
				return inv, false, fmt.Errorf("reading the survey's invitation: %w", merr)
			case !sentStatuses[m.Status]:
				return inv, false, nil
			}
		}
	} else {
		return inv, false, nil
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return inv, false, nil
	case err != nil:
		return inv, false, fmt.Errorf("reading the survey's invitation: %w", err)
	}
	return inv, true, nil
}

// answerSurvey handles a message that answers a survey: a score, the
// answer to the follow-up question, or a late second answer. It returns
// false, doing nothing, for a message the chatbot answers instead.
func (c *chatIO) answerSurvey(ctx context.Context, conv store.Conversation, state conversation.State, msg conversation.Message) (bool, error) {
	inv, ok, err := c.openSurvey(ctx, msg)
	if err != nil || !ok {
		return false, err
	}
	s, ok := surveyConfig(c.t, inv.Survey)
	if !ok {
		return false, nil // a survey no longer configured
	}
	a := survey.Decide(survey.Open{Invitation: inv.ID, Kind: inv.Kind, Answered: inv.Answered, AwaitingComment: inv.AwaitingComment},
		msg.ReplyID, msg.Text)
	lang := state.Lang
	if lang == "" {
		lang = inv.Lang
	}
	points := func(key string) string {
		if s.Points > 0 && inv.MemberID != "" {
			return survey.Text(nil, lang, survey.MsgThanksPoints, "points", conversation.FormatPoints(lang, s.Points))
		}
		return survey.Text(nil, lang, key)
	}
	// The replies are queued before the answer is recorded, keyed after
	// the message: handled again after a failure, the message sends
	// nothing twice and its answer still counts.
	var texts []string
	var record func() (bool, error)
	switch a.Act {
	case survey.ActNone:
		return false, nil
	case survey.ActLate:
		texts = append(texts, survey.Text(nil, lang, survey.MsgAlready))
	case survey.ActComment:
		texts = append(texts, points(survey.MsgComment))
		record = func() (bool, error) {
			return c.r.Store.SetSurveyComment(ctx, c.t.ID, inv.ID, strings.TrimSpace(msg.Text), c.now)
		}
	case survey.ActScore:
		handoff := s.Handoff && survey.Detractor(inv.Kind, a.Score)
		followUp := s.FollowUp && !handoff
		if err := c.awardSurvey(ctx, s, inv); err != nil {
			return false, err
		}
		switch {
		case handoff:
			until := c.now.Add(c.t.Config.Conversation.Handoff.Timeout)
			if err := c.perform(ctx, conversation.Handoff{Event: conversation.HandoffStarted, Reason: HandoffDetractor,
				Until: until, Language: lang, WithMessage: true}); err != nil {
				return false, err
			}
			state.HandoffUntil, state.HandoffReason, state.Step = until, HandoffDetractor, conversation.StepNone
			texts = append(texts, points(survey.MsgThanks), survey.Text(nil, lang, survey.MsgHandoff))
		case followUp:
			texts = append(texts, survey.Text(s.FollowUpQuestion, lang, survey.MsgFollowUp))
		default:
			texts = append(texts, points(survey.MsgThanks))
		}
		record = func() (bool, error) {
			created, err := c.r.Store.RecordSurveyResponse(ctx, store.SurveyResponse{
				Invitation: inv.ID, SurveySubject: inv.SurveySubject, Score: a.Score, FollowUp: followUp, AnsweredAt: c.now,
			})
			if created {
				c.r.SurveyResponses.WithLabelValues(c.t.ID, inv.Survey, inv.Kind).Inc()
			}
			return created, err
		}
	}
	cmds := c.commands([]conversation.Reply{{
		Key:  event.DerivedID("msg_", c.t.ID, "survey", msg.ID, strconv.Itoa(0)),
		Kind: messaging.KindText, Text: strings.Join(texts, "\n\n"),
	}})
	for i := range cmds {
		cmds[i].Origin, cmds[i].Rule = survey.Origin(inv.Survey), "survey"
	}
	if err := c.r.Enqueue(ctx, cmds); err != nil {
		return false, err
	}
	if record != nil {
		// Of two answers at once, one counts; the other was thanked as
		// well, which does no harm.
		if _, err := record(); err != nil {
			return false, fmt.Errorf("recording the survey's answer: %w", err)
		}
	}
	state.LastMessageID, state.LastMessageAt = msg.ID, msg.Sent
	if err := c.r.Store.SaveConversation(ctx, savedConversation(conv, state)); err != nil {
		return false, fmt.Errorf("saving the conversation: %w", err)
	}
	c.r.BotReplies.WithLabelValues(c.t.ID, "survey_"+a.Act).Inc()
	return true, nil
}

// awardSurvey credits survey s's points for answering inv, once: the
// adjustment's event derives from the invitation, so answering again, or
// handling the answer again, credits nothing more.
func (c *chatIO) awardSurvey(ctx context.Context, s config.Survey, inv store.SurveyInvitation) error {
	if s.Points <= 0 || inv.MemberID == "" {
		return nil
	}
	eventID := event.DerivedID("ev_", c.t.ID, "survey", inv.ID)
	_, err := c.r.Transact(ctx, c.t, "", eventID, store.AccountRef{MemberID: inv.MemberID}, c.now,
		func(a *loyalty.Account) error {
			return c.t.Program.AdjustAs(a, eventID, s.Points, "survey "+s.Name, survey.Origin(s.Name), c.now)
		})
	if err != nil {
		return fmt.Errorf("awarding the survey's points: %w", err)
	}
	return nil
}
