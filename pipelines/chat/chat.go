// Package chat carries out the chatbot's turns: for a customer's message
// it reads the conversation and the member, runs a turn of
// core/conversation, does what the turn decides (consent, a join, a
// redemption in the chat, reading the account the points answer shows,
// handing the conversation to a person through the tenant's inbox),
// saves the new state and queues the replies in the outbox. It invites
// members to the tenant's surveys after their triggers and reads their
// answers before the bot's turn (survey.go). It also keeps
// what the inbound message log stores of a customer's message besides its
// own fields.
//
// It depends on the store's sub-interfaces it uses, the hub's clock, an
// inbox client, and functions for what the hub does around it: running a
// loyalty transaction with its effects, redeeming a reward, queueing
// messages in the outbox.
package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/account"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// Store is what a turn reads and writes, in the order it does: the
// conversation, the member, consent, the account and ledger the points
// answer shows, and redemptions.
type Store interface {
	store.Conversations
	store.Members
	store.Contacts
	store.Accounts
	store.Ledger
	store.Rewards
	store.Surveys
	store.Messages
}

// Inbox posts a signed body to a tenant's inbox webhook (see
// connectors/inbox). An error marked retryable carries the inbox's
// Retry-After; a permanent one is a refusal retrying does not change.
type Inbox interface {
	Post(ctx context.Context, url, secret string, body []byte) error
}

// Responder answers customers' messages with their tenant's chatbot and
// tells tenants' inboxes about handoffs. Set its fields; it is safe for
// concurrent use.
type Responder struct {
	Store Store
	Inbox Inbox
	// Redeemer redeems rewards asked for in the chat; Transact runs a
	// loyalty transaction with its effects (a join).
	Redeemer *account.Redeemer
	Transact account.Transact
	// Enqueue writes commands to the outbox in one transaction.
	Enqueue func(ctx context.Context, cmds []messaging.Command) error
	// EnqueueDue writes one command to the outbox, due at a time (a
	// survey's invitation).
	EnqueueDue func(ctx context.Context, cmd messaging.Command, due time.Time) error
	// Now is the hub's clock: every time a turn decides by or records.
	Now    func() time.Time
	Logger *slog.Logger
	// BotReplies counts the messages handled (loyalhub_bot_messages_total),
	// ConsentChanges the consent changed in the chat
	// (loyalhub_consent_changes_total), HandoffEvents the events posted to
	// inboxes (loyalhub_handoff_events_total), SurveyResponses the first
	// answers to survey invitations (loyalhub_survey_responses_total).
	BotReplies, ConsentChanges, HandoffEvents, SurveyResponses *prometheus.CounterVec
}

// Converse answers a customer's message with the tenant's chatbot, inside
// the 24-hour window the message just opened: the bot's decisions are
// conversation.Turn's, and Converse carries them out. It reads the
// conversation and the member, calls the turn, carries out its effects
// (consent, the inbox webhook, a join, a redemption, reading the account
// the points answer shows), saves the new state and queues the replies in
// the outbox. A message answering a survey (a tapped row of its list, a
// typed score, the follow-up's text) is the survey's, not the turn's. A
// failing effect returns its error before anything
// is saved or sent: the message is handled again. Every reply's key
// derives from the customer's message, so a message answered again sends
// nothing twice; a message delivered again (dup) is answered only when the
// conversation shows it was not handled.
func (r *Responder) Converse(ctx context.Context, t *runtime.Tenant, m event.MessageReceived, phone string, dup bool) error {
	if !t.Config.Conversation.Enabled {
		return nil
	}
	ref := store.ContactRef{Phone: phone, UserID: m.UserID}
	conv, err := r.Store.Conversation(ctx, t.ID, ref)
	if err != nil {
		return fmt.Errorf("reading the conversation: %w", err)
	}
	state, msg := chatState(conv), chatMessage(m, dup)
	if msg.Redelivered && state.Handled(msg) {
		return nil // handled already, or a later message was
	}
	c := &chatIO{r: r, t: t, msg: m, phone: phone, now: r.Now()}
	if phone != "" {
		mem, err := r.Store.MemberByPhone(ctx, t.ID, phone)
		switch {
		case err == nil:
			c.mem = &mem
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("finding the member: %w", err)
		}
	}
	if len(t.Config.Surveys) > 0 && phone != "" && !state.InHandoff(c.now) {
		if done, err := c.answerSurvey(ctx, conv, state, msg); done || err != nil {
			return err
		}
	}
	res := conversation.Turn(state, msg, conversation.View{Bot: t.Chat, Phone: phone, Member: chatMember(c.mem), Now: c.now})
	for _, e := range res.Effects {
		if err := c.perform(ctx, e); err != nil {
			return err
		}
	}
	if res.Pending != nil {
		if res, err = c.answer(ctx, res); err != nil {
			return err
		}
	}
	if !res.Save {
		if res.Handled != "" {
			r.BotReplies.WithLabelValues(t.ID, res.Handled).Inc()
		}
		return nil
	}
	if err := r.Store.SaveConversation(ctx, savedConversation(conv, res.State)); err != nil {
		return fmt.Errorf("saving the conversation: %w", err)
	}
	r.BotReplies.WithLabelValues(t.ID, res.Handled).Inc()
	return r.Enqueue(ctx, c.commands(res.Replies))
}

// chatIO carries out one turn of the bot: its effects and its replies.
type chatIO struct {
	r     *Responder
	t     *runtime.Tenant
	msg   event.MessageReceived
	phone string         // the number's canonical key (member.PhoneKey), "" when WhatsApp withheld it
	mem   *member.Member // nil: not a member
	// joined is the member a join in this turn made.
	joined string
	now    time.Time
}

// NewBot is tenant t's chatbot as conversation.Turn reads it.
func NewBot(t *runtime.Tenant) *conversation.Bot {
	c, l := t.Config.Conversation, t.Config.Loyalty
	names := conversation.Names{
		Rewards: map[string]map[string]string{}, Tiers: map[string]map[string]string{},
		Rules: map[string]map[string]string{}, Challenges: map[string]map[string]string{},
	}
	for _, r := range l.Rewards {
		names.Rewards[r.ID] = r.Names
	}
	for _, lv := range l.Tiers.Levels {
		names.Tiers[lv.Name] = lv.Names
	}
	for _, r := range l.Rules {
		names.Rules[r.Name] = r.Names
	}
	for _, ch := range l.Challenges {
		names.Challenges[ch.Name] = ch.Names
	}
	return &conversation.Bot{
		Tenant: t.ID, Catalog: t.Bot.Catalog, Keywords: t.Bot.Keywords,
		JoinKeyword: c.JoinKeyword, Brand: c.Brand, PhoneNumber: c.PhoneNumber,
		DefaultLanguage: c.DefaultLanguage, Languages: c.Languages,
		HandoffAfter: c.Handoff.AfterMisunderstood, HandoffTimeout: c.Handoff.Timeout,
		Location: t.Location, Rewards: t.Program.Rewards(), Names: names,
	}
}

// chatState is a stored conversation as a turn reads it.
func chatState(c store.Conversation) conversation.State {
	return conversation.State{
		Lang: c.Lang, LangChosen: c.LangChosen, Step: conversation.Step(c.Step),
		RewardID: c.RewardID, JoinCode: c.JoinCode, JoinSource: c.JoinSource,
		Misunderstood: c.Misunderstood, HandoffUntil: c.HandoffUntil, HandoffReason: c.HandoffReason,
		LastMessageID: c.LastMessageID, LastMessageAt: c.LastMessageAt,
	}
}

// savedConversation is c with a turn's new state.
func savedConversation(c store.Conversation, s conversation.State) store.Conversation {
	c.Lang, c.LangChosen, c.Step = s.Lang, s.LangChosen, string(s.Step)
	c.RewardID, c.JoinCode, c.JoinSource = s.RewardID, s.JoinCode, s.JoinSource
	c.Misunderstood, c.HandoffUntil, c.HandoffReason = s.Misunderstood, s.HandoffUntil, s.HandoffReason
	c.LastMessageID, c.LastMessageAt = s.LastMessageID, s.LastMessageAt
	return c
}

// chatMessage is a customer's message as a turn reads it.
func chatMessage(m event.MessageReceived, dup bool) conversation.Message {
	msg := conversation.Message{
		ID: m.MessageID, Type: m.Type, Sent: m.Timestamp, Text: m.Text, GroupID: m.GroupID, Name: m.Name,
		FromAd: len(m.Referral) > 0 && string(m.Referral) != "null", Redelivered: dup,
	}
	if m.Reply != nil {
		msg.ReplyID = m.Reply.ID
	}
	if m.Context != nil {
		msg.ContextID = m.Context.ID
	}
	return msg
}

// chatMember is a member as a turn reads it; nil for nil.
func chatMember(m *member.Member) *conversation.Member {
	if m == nil {
		return nil
	}
	return &conversation.Member{
		ID: m.ID, Name: m.Name, Balance: m.Balance, Pending: m.Pending,
		Tier: m.Tier.Name, ReferralCode: m.Referral.Code,
	}
}

// perform carries out an effect that needs no answer.
func (c *chatIO) perform(ctx context.Context, e conversation.Effect) error {
	switch e := e.(type) {
	case conversation.SetConsent:
		state := member.ConsentOptedOut
		if e.OptIn {
			state = member.ConsentOptedIn
		}
		if _, err := c.r.Store.UpdateContact(ctx, c.t.ID, store.ContactRef{Phone: c.phone, UserID: c.msg.UserID},
			member.SetConsentWithText(state, e.Source, e.Shown, e.At)); err != nil {
			return fmt.Errorf("recording consent: %w", err)
		}
		if e.Command != "" {
			c.r.ConsentChanges.WithLabelValues(c.t.ID, e.Command).Inc()
		}
		return nil
	case conversation.Handoff:
		hc := c.t.Config.Conversation.Handoff
		err := c.r.postHandoff(ctx, hc.WebhookURL, hc.Secret, c.handoffEvent(e))
		if e.Event == conversation.HandoffEnded {
			// A handoff nobody released ended as the customer wrote
			// again: its surveys follow as after a release.
			err = errors.Join(err, c.r.inviteAfterHandoff(ctx, c.t, c.phone, c.msg.Timestamp))
		}
		return err
	}
	// Turn never puts an effect needing an answer among the others: no
	// retry would carry it out.
	return fault.Permanent(fault.ClassRequest, fmt.Errorf("carrying out the chatbot's %T: not an effect without an answer", e))
}

// answer carries out the effect res waits for and gives res its answer.
func (c *chatIO) answer(ctx context.Context, res conversation.Result) (conversation.Result, error) {
	switch e := res.Pending.(type) {
	case conversation.Join:
		points, r, err := c.r.join(ctx, c.t, c.phone, c.msg.Name, e.Code, res.State.Lang, c.msg.Timestamp)
		if err != nil {
			return res, err
		}
		c.joined = r.Member.ID
		return res.Joined(conversation.JoinAnswer{MemberID: r.Member.ID, Points: points, Balance: r.Member.Balance}), nil
	case conversation.Redeem:
		r, err := c.r.Redeemer.Redeem(ctx, c.t, e.MemberID, e.RewardID, e.RequestID, ViaChat)
		var re *account.Refusal
		switch {
		case errors.As(err, &re) && errors.Is(err, loyalty.ErrInsufficientPoints):
			return res.Redeemed(conversation.RedeemAnswer{Refused: conversation.RefusedNotEnough}), nil
		case errors.As(err, &re) && (errors.Is(err, loyalty.ErrRewardUnavailable) || errors.Is(err, loyalty.ErrOutOfStock)):
			return res.Redeemed(conversation.RedeemAnswer{Refused: conversation.RefusedUnavailable}), nil
		case errors.As(err, &re):
			c.r.Logger.Warn("a redemption in the chat failed", "tenant", c.t.ID, "member", e.MemberID, "reward", e.RewardID, "err", err)
			return res.Redeemed(conversation.RedeemAnswer{Refused: conversation.RefusedFailed}), nil
		case err != nil:
			return res, err
		}
		return res.Redeemed(conversation.RedeemAnswer{Code: r.Code, Balance: r.Balance}), nil
	case conversation.ReadAccount:
		a, err := c.account(ctx, e)
		if err != nil {
			return res, err
		}
		return res.WithAccount(a), nil
	}
	return res, fault.Permanent(fault.ClassRequest, fmt.Errorf("answering the chatbot's %T: not an effect with an answer", res.Pending))
}

// account reads what the points answer shows of the member.
func (c *chatIO) account(ctx context.Context, e conversation.ReadAccount) (conversation.Account, error) {
	d, err := account.ReadDetail(ctx, c.r.Store, c.t, *c.mem, c.r.Now())
	if err != nil {
		return conversation.Account{}, fmt.Errorf("reading the member: %w", err)
	}
	a := conversation.Account{Progress: d.Progress, Expiring: d.Expiring}
	if d.NextExpiry != nil {
		a.NextExpiry = *d.NextExpiry
	}
	entries, err := c.r.Store.Entries(ctx, c.t.ID, e.MemberID, e.Recent)
	if err != nil {
		return a, fmt.Errorf("reading the ledger: %w", err)
	}
	for _, le := range entries {
		entry := conversation.Entry{Kind: le.Kind, Points: le.Points, PendingPoints: le.PendingPoints, Rule: le.Rule, At: le.CreatedAt}
		if le.Kind == loyalty.EntryRedeem {
			// A redemption's entry has the redemption as its event; the
			// entry giving back its points names it as the event it takes
			// back.
			id := le.EventID
			if le.Points > 0 && le.RefEventID != "" {
				id = le.RefEventID
			}
			r, err := c.r.Store.Redemption(ctx, c.t.ID, id)
			switch {
			case err == nil:
				entry.RewardID = r.RewardID
			case !errors.Is(err, store.ErrNotFound):
				return a, fmt.Errorf("reading the redemption of a ledger entry: %w", err)
			}
		}
		a.Recent = append(a.Recent, entry)
	}
	return a, nil
}

// join makes the customer a member through the loyalty program: the
// member.joined rules run (the joining points) and a referral code links
// the referrer. The event's id derives from the phone, so joining twice
// changes nothing. The member's profile gets source "whatsapp" (unless
// another source made the member first) and the language of the
// conversation, when known. It returns the points the joining earned.
func (r *Responder) join(ctx context.Context, t *runtime.Tenant, phone, name, code, lang string, at time.Time) (int64, store.AccountResult, error) {
	data, _ := json.Marshal(map[string]string{"phone": phone, "name": name, "referral_code": code, "source": "whatsapp"})
	ev := event.Event{
		ID: event.ID(t.ID, "conversation", event.TypeMemberJoined+"/"+phone), Tenant: t.ID, Type: event.TypeMemberJoined,
		Connector: t.Config.Conversation.Sender, OccurredAt: at.UTC(), Data: data,
	}
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = r.Now().UTC()
	}
	// A referrer's reward follows: run again with the join's replay if
	// it fails.
	ref := store.AccountRef{Phone: phone, Name: name, Create: true,
		Profile: member.Profile{Source: ProfileSource, Language: lang}}
	res, err := r.Transact(ctx, t, "", ev.ID, ref, ev.OccurredAt,
		func(a *loyalty.Account) error { return t.Program.Apply(a, ev) })
	if err != nil {
		return 0, res, fmt.Errorf("joining member: %w", err)
	}
	var points int64
	for _, oc := range res.Outcomes {
		if n, ok := oc.Data["points"].(int64); ok && oc.Type == loyalty.OutcomePointsEarned {
			points += n
		}
	}
	return points, res, nil
}

// ProfileSource is the profile source of a member who joined in the chat.
const ProfileSource = "whatsapp"

// ViaChat marks a redemption whose code the chat answer carries.
const ViaChat = "chat"

// SentInChat reports whether an outcome's message was the chat's answer
// already: the code of a reward redeemed in the chat. Notification rules
// do not send it again.
func SentInChat(o event.Outcome) bool {
	return o.Type == loyalty.OutcomeRewardRedeemed && o.Data["via"] == ViaChat
}

// handoffEvent is what the inbox webhook receives of a Handoff.
func (c *chatIO) handoffEvent(e conversation.Handoff) HandoffEvent {
	he := HandoffEvent{
		Event: e.Event, Tenant: c.t.ID, At: c.now.UTC(), Reason: e.Reason,
		Contact: HandoffContact{Phone: c.phone, UserID: c.msg.UserID, Name: c.msg.Name, Language: e.Language},
		Reply:   "/api/v1/tenants/" + c.t.ID + "/conversations/messages",
	}
	if e.WithMessage {
		he.Message = handoffMessage(c.msg)
	}
	if !e.Until.IsZero() {
		until := e.Until
		he.Until = &until
	}
	if c.mem != nil {
		he.Contact.MemberID = c.mem.ID
	}
	return he
}

// commands are a turn's replies as session messages to the customer: to
// the wa_id exactly as WhatsApp gave it (which may be another form of the
// number the member is known by), else to the number, else to the user
// id when WhatsApp withheld the number.
func (c *chatIO) commands(replies []conversation.Reply) []messaging.Command {
	to := c.phone
	if c.phone != "" && c.msg.WAID != "" {
		to = "+" + c.msg.WAID
	}
	memberID := c.joined
	if memberID == "" && c.mem != nil {
		memberID = c.mem.ID
	}
	cmds := make([]messaging.Command, 0, len(replies))
	for _, r := range replies {
		cmd := messaging.Command{
			Key: r.Key, Tenant: c.t.ID, Sender: c.t.Config.Conversation.Sender,
			To: to, Kind: r.Kind, Category: messaging.CategoryService, Rule: "conversation",
			Origin: messaging.OriginChat, Text: r.Text, Interactive: r.Interactive, MemberID: memberID,
		}
		if c.phone == "" {
			cmd.UserID = c.msg.UserID
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}
