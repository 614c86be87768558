package pipelines

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
)

// recentEntries is how many ledger entries the points answer lists.
const recentEntries = 3

// maxRewardRows is WhatsApp's limit of rows in a list message.
const maxRewardRows = 10

// botTurn is the bot answering one customer message.
type botTurn struct {
	h     *Hub
	t     *tenantRuntime
	ctx   context.Context
	msg   event.MessageReceived
	phone string // the number's canonical key (member.PhoneKey), "" when WhatsApp withheld it
	conv  store.Conversation
	mem   *member.Member // nil: not a member
	lang  string
	now   time.Time
	out   []messaging.Command
	// texts are catalog texts not sent yet: consecutive ones go as one
	// message, which spares the customer's pair rate limit.
	texts []string
}

// converse answers a customer's message with the tenant's chatbot, inside
// the 24-hour window the message just opened. Every answer's key derives
// from the customer's message, so a message answered again sends nothing
// twice. A message delivered again (dup) is answered only when the
// conversation shows it was not handled: a crash between recording it and
// answering it. Only conversation is answered (conversation.Receive): a
// first opening of the chat gets the welcome; reactions, locations and
// the like, and messages over a day old, get nothing and leave the
// conversation as it was; in a handoff every message goes to the inbox.
func (h *Hub) converse(ctx context.Context, t *tenantRuntime, m event.MessageReceived, phone string, dup bool) error {
	c := t.cfg.Conversation
	if !c.Enabled {
		return nil
	}
	ref := store.ContactRef{Phone: phone, UserID: m.UserID}
	conv, err := h.store.Conversation(ctx, t.id, ref)
	if err != nil {
		return fmt.Errorf("reading the conversation: %w", err)
	}
	if dup && (conv.LastMessageID == m.MessageID || conv.UpdatedAt.After(m.Timestamp)) {
		return nil // handled already, or a later message was
	}
	b := &botTurn{h: h, t: t, ctx: ctx, msg: m, phone: phone, conv: conv, now: h.now()}
	if phone != "" {
		mem, err := h.store.MemberByPhone(ctx, t.id, phone)
		switch {
		case err == nil:
			b.mem = &mem
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("finding the member: %w", err)
		}
	}
	if conv.InHandoff(b.now) {
		return b.forwardToAgent()
	}
	reception := conversation.Receive(conversation.Received{Type: m.Type, Sent: m.Timestamp, Text: m.Text, ReplyID: replyID(m), GroupID: m.GroupID}, b.now)
	switch reception {
	case conversation.ReceiveIgnore, conversation.ReceiveStale:
		h.metrics.BotReplies.WithLabelValues(t.id, string(reception)).Inc()
		return nil
	}
	if !conv.HandoffUntil.IsZero() {
		// A handoff that timed out: the inbox hears it ended, and the bot
		// is back.
		e := b.handoffEvent(HandoffEnded)
		e.Reason, e.Message = "timeout", nil
		if err := h.postHandoff(ctx, c.Handoff.WebhookURL, c.Handoff.Secret, e); err != nil {
			return err
		}
		b.conv.HandoffUntil, b.conv.HandoffReason = time.Time{}, ""
	}
	intent := conversation.Intent{Kind: conversation.KindUnknown}
	if reception == conversation.ReceiveAnswer {
		intent = conversation.Parse(conversation.Input{Text: m.Text, ReplyID: replyID(m), Expect: expectOf(conv.Step)}, t.bot.Keywords)
	}
	b.lang = conversation.AnswerLanguage(conv.Lang, conv.LangChosen, intent, phone, c.DefaultLanguage, c.Languages)
	kind := string(intent.Kind)
	if reception == conversation.ReceiveWelcome {
		kind = string(reception)
		if err := b.welcome(); err != nil {
			return err
		}
	} else {
		if err := b.answer(intent); err != nil {
			return err
		}
		if intent.Kind != conversation.KindUnknown {
			b.conv.Misunderstood = 0
		}
	}
	if !b.conv.LangChosen {
		b.conv.Lang = b.lang
	}
	b.conv.LastMessageID = m.MessageID
	if err := h.store.SaveConversation(ctx, b.conv); err != nil {
		return fmt.Errorf("saving the conversation: %w", err)
	}
	h.metrics.BotReplies.WithLabelValues(t.id, kind).Inc()
	return b.send()
}

func replyID(m event.MessageReceived) string {
	if m.Reply != nil {
		return m.Reply.ID
	}
	return ""
}

func expectOf(step string) conversation.Expect {
	switch step {
	case store.StepAwaitConsent:
		return conversation.ExpectConsent
	case store.StepAwaitConfirm:
		return conversation.ExpectConfirm
	case store.StepAwaitLanguage:
		return conversation.ExpectLanguage
	}
	return conversation.ExpectNothing
}

// welcome answers a customer who opened the chat for the first time: a
// member is welcomed back as a join would, anyone else is invited to join.
func (b *botTurn) welcome() error {
	if b.mem == nil {
		b.conv.Step = store.StepNone
		b.text(conversation.MsgWelcomePrompt, nil)
		return nil
	}
	return b.join(conversation.Intent{Kind: conversation.KindJoin})
}

// answer decides what the bot says and does for intent.
func (b *botTurn) answer(it conversation.Intent) error {
	switch it.Kind {
	case conversation.KindJoin:
		return b.join(it)
	case conversation.KindConsentYes, conversation.KindConsentNo:
		return b.consent(it.Kind == conversation.KindConsentYes)
	case conversation.KindHelp:
		b.conv.Step = store.StepNone
		b.text(conversation.MsgMenu, nil)
		return nil
	case conversation.KindStop, conversation.KindStart:
		return b.stopStart(it.Kind == conversation.KindStop)
	case conversation.KindAgent:
		return b.handoff("asked")
	case conversation.KindLanguage:
		return b.language(it.Language)
	case conversation.KindUnknown:
		return b.notUnderstood()
	}
	// What follows is for members.
	if b.mem == nil {
		b.conv.Step = store.StepNone
		b.text(conversation.MsgNotMember, map[string]string{"keyword": b.t.cfg.Conversation.JoinKeyword})
		return nil
	}
	switch it.Kind {
	case conversation.KindPoints:
		b.conv.Step = store.StepNone
		return b.points()
	case conversation.KindRewards:
		b.conv.Step = store.StepNone
		return b.rewards()
	case conversation.KindRedeem:
		return b.chooseReward(it.RewardID)
	case conversation.KindConfirm:
		return b.confirm(it.RewardID)
	case conversation.KindCancel:
		b.conv.Step, b.conv.RewardID = store.StepNone, ""
		b.text(conversation.MsgRedeemCancelled, nil)
		return nil
	case conversation.KindRefer:
		b.conv.Step = store.StepNone
		return b.refer()
	}
	return b.notUnderstood()
}

// join starts joining: a member is welcomed back; anyone else is asked
// for consent to promotional messages first.
func (b *botTurn) join(it conversation.Intent) error {
	if b.mem != nil {
		b.conv.Step = store.StepNone
		b.text(conversation.MsgWelcomeBack, map[string]string{"name": firstName(b.mem.Name, b.msg.Name), "balance": b.points64(b.mem.Balance)})
		b.text(conversation.MsgMenu, nil)
		return nil
	}
	if b.phone == "" {
		// Members are known by phone; WhatsApp withheld this one.
		b.text(conversation.MsgErrorLater, nil)
		return nil
	}
	source := it.Source
	if len(b.msg.Referral) > 0 && string(b.msg.Referral) != "null" {
		source = conversation.SourceAd
	}
	if source == "" {
		source = conversation.SourceLink
	}
	b.conv.Step, b.conv.JoinCode, b.conv.JoinSource = store.StepAwaitConsent, it.ReferralCode, source
	b.buttons(conversation.MsgConsentQuestion, nil, []messaging.ReplyButton{
		{ID: conversation.ReplyConsentYes, Title: b.catalogText(conversation.MsgConsentYesButton, nil)},
		{ID: conversation.ReplyConsentNo, Title: b.catalogText(conversation.MsgConsentNoButton, nil)},
	})
	return nil
}

// consent records the answer to the consent question and makes the
// customer a member, with the joining points of the program.
func (b *botTurn) consent(yes bool) error {
	if b.phone == "" {
		b.text(conversation.MsgErrorLater, nil)
		return nil
	}
	state := store.ConsentOptedOut
	if yes {
		state = store.ConsentOptedIn
	}
	source := "whatsapp:join"
	if b.conv.JoinSource != "" {
		source += ":" + b.conv.JoinSource
	}
	shown := b.catalogText(conversation.MsgConsentQuestion, nil)
	if _, err := b.h.store.UpdateContact(b.ctx, b.t.id, store.ContactRef{Phone: b.phone, UserID: b.msg.UserID},
		store.SetConsentWithText(state, source, shown, b.msg.Timestamp)); err != nil {
		return fmt.Errorf("recording consent: %w", err)
	}
	if b.mem != nil {
		b.conv.Step = store.StepNone
		b.text(consentKey(yes), nil)
		return nil
	}
	points, res, err := b.h.joinMember(b.ctx, b.t, b.phone, b.msg.Name, b.conv.JoinCode, b.msg.MessageID, b.msg.Timestamp)
	if err != nil {
		return err
	}
	b.mem = &member.Member{ID: res.Member.ID, Phone: res.Member.Phone, Name: res.Member.Name, Balance: res.Member.Balance}
	b.conv.Step, b.conv.JoinCode, b.conv.JoinSource = store.StepNone, "", ""
	b.text(consentKey(yes), nil)
	b.text(conversation.MsgWelcomeNew, map[string]string{"points": b.points64(points), "balance": b.points64(res.Member.Balance)})
	b.text(conversation.MsgMenu, nil)
	return nil
}

func consentKey(yes bool) string {
	if yes {
		return conversation.MsgConsentGiven
	}
	return conversation.MsgConsentDeclined
}

// joinMember makes the customer a member through the loyalty program: the
// member.joined rules run (the joining points) and a referral code links
// the referrer. The event's id derives from the phone, so joining twice
// changes nothing. It returns the points the joining earned.
func (h *Hub) joinMember(ctx context.Context, t *tenantRuntime, phone, name, code, messageID string, at time.Time) (int64, store.AccountResult, error) {
	data, _ := json.Marshal(map[string]string{"phone": phone, "name": name, "referral_code": code, "source": "whatsapp"})
	ev := event.Event{
		ID: event.ID(t.id, "conversation", event.TypeMemberJoined+"/"+phone), Tenant: t.id, Type: event.TypeMemberJoined,
		Connector: t.cfg.Conversation.Sender, OccurredAt: at.UTC(), Data: data,
	}
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = time.Now().UTC()
	}
	res, err := h.store.Transact(ctx, t.id, ev.ID, store.AccountRef{Phone: phone, Name: name, Create: true}, ev.OccurredAt,
		func(a *loyalty.Account) error { return t.program.Apply(a, ev) })
	if err != nil {
		return 0, res, fmt.Errorf("joining member: %w", err)
	}
	h.publishOutcomes(t, ev.ID, ev.OccurredAt, res, "a join in the chat")
	// A referrer's reward: replayed with the join if this fails.
	more, err := followUpMessages(ctx, h.store, t.id, t.program, res.FollowUps)
	if err == nil && len(more) > 0 {
		err = h.queue.Publisher().Publish(TopicOutcomes, more...)
	}
	if err != nil {
		return 0, res, fmt.Errorf("the follow-ups of a join: %w", err)
	}
	var points int64
	for _, oc := range res.Outcomes {
		if n, ok := oc.Data["points"].(int64); ok && oc.Type == loyalty.OutcomePointsEarned {
			points += n
		}
	}
	return points, res, nil
}

// points answers with the balance, pending points, the tier and what is
// left to the next, points expiring soon and the last transactions.
func (b *botTurn) points() error {
	d, err := b.h.detail(b.ctx, b.t, *b.mem)
	if err != nil {
		return fmt.Errorf("reading the member: %w", err)
	}
	lines := []string{b.catalogText(conversation.MsgPointsSummary, map[string]string{
		"balance": b.points64(d.Balance), "pending": b.points64(d.Pending)})}
	if p := d.Progress; p != nil {
		lines = append(lines, b.catalogText(conversation.MsgPointsTier, map[string]string{"tier": b.tierName(p.Tier)}))
		if p.Next != "" {
			left := p.Left
			if n, err := strconv.ParseInt(left, 10, 64); err == nil {
				left = b.points64(n)
			}
			lines = append(lines, b.catalogText(conversation.MsgPointsNextTier, map[string]string{"remaining": left, "next_tier": b.tierName(p.Next)}))
		} else {
			lines = append(lines, b.catalogText(conversation.MsgPointsTopTier, nil))
		}
	}
	if d.Expiring > 0 && d.NextExpiry != nil {
		lines = append(lines, b.catalogText(conversation.MsgPointsExpiring, map[string]string{
			"points": b.points64(d.Expiring), "date": conversation.FormatDate(b.lang, d.NextExpiry.In(b.t.loc))}))
	}
	entries, err := b.h.store.Entries(b.ctx, b.t.id, b.mem.ID, recentEntries)
	if err != nil {
		return fmt.Errorf("reading the ledger: %w", err)
	}
	if len(entries) > 0 {
		lines = append(lines, "", b.catalogText(conversation.MsgPointsRecentHeader, nil))
		for _, e := range entries {
			n := e.Points
			if e.Kind == loyalty.EntryPending {
				n = e.PendingPoints // held, not in the balance yet
			}
			pts := b.points64(n)
			if n > 0 {
				pts = "+" + pts
			}
			reason, err := b.ledgerReason(e)
			if err != nil {
				return err
			}
			lines = append(lines, b.catalogText(conversation.MsgPointsRecentLine, map[string]string{
				"date": conversation.FormatDate(b.lang, e.CreatedAt.In(b.t.loc)), "points": pts, "reason": reason}))
		}
	}
	b.texts = append(b.texts, strings.Join(lines, "\n"))
	return nil
}

// ledgerReason says why a ledger entry changed the balance, in the
// member's language: the entry's own reason is written for the admin API.
func (b *botTurn) ledgerReason(e store.LedgerEntry) (string, error) {
	line := conversation.LedgerLine{Kind: e.Kind, Points: e.Points, Rule: e.Rule}
	for _, r := range b.t.cfg.Loyalty.Rules {
		if r.Name == e.Rule {
			line.RuleName = conversation.LocalName(r.Names, b.lang, "")
		}
	}
	if name, ok := strings.CutPrefix(e.Rule, loyalty.ChallengeRulePrefix); ok {
		for _, c := range b.t.cfg.Loyalty.Challenges {
			if c.Name == name {
				line.RuleName = conversation.LocalName(c.Names, b.lang, "")
			}
		}
	}
	if e.Kind == loyalty.EntryRedeem {
		// A redemption's entry has the redemption as its event; the entry
		// giving back its points names it as the event it takes back.
		id := e.EventID
		if e.Points > 0 && e.RefEventID != "" {
			id = e.RefEventID
		}
		d, err := b.h.store.Redemption(b.ctx, b.t.id, id)
		switch {
		case err == nil:
			line.Reward = d.RewardID
			if rw, ok := b.t.program.Reward(d.RewardID); ok {
				line.Reward = b.rewardName(rw)
			}
		case !errors.Is(err, store.ErrNotFound):
			return "", fmt.Errorf("reading the redemption of a ledger entry: %w", err)
		}
	}
	return b.t.bot.Catalog.LedgerReason(b.lang, line), nil
}

// rewardName is a reward's name in the member's language.
func (b *botTurn) rewardName(rw loyalty.Reward) string {
	for _, r := range b.t.cfg.Loyalty.Rewards {
		if r.ID == rw.ID {
			return conversation.LocalName(r.Names, b.lang, rw.Name)
		}
	}
	return rw.Name
}

// tierName is a tier level's name in the member's language.
func (b *botTurn) tierName(name string) string {
	for _, l := range b.t.cfg.Loyalty.Tiers.Levels {
		if strings.EqualFold(strings.TrimSpace(l.Name), strings.TrimSpace(name)) {
			return conversation.LocalName(l.Names, b.lang, name)
		}
	}
	return name
}

// rewards lists the rewards this member can redeem now (tier and dates)
// and afford, as an interactive list.
func (b *botTurn) rewards() error {
	all := b.t.program.Rewards()
	if len(all) == 0 {
		b.text(conversation.MsgRewardsEmpty, nil)
		return nil
	}
	var cheapest int64 = -1
	var rows []messaging.Row
	for _, rw := range all {
		if !rw.ForTier(b.mem.Tier.Name) || rw.AvailableAt(b.now, b.t.loc) != nil {
			continue
		}
		if cheapest < 0 || rw.Cost < cheapest {
			cheapest = rw.Cost
		}
		if rw.Cost > b.mem.Balance || len(rows) == maxRewardRows {
			continue
		}
		rows = append(rows, messaging.Row{
			ID:          conversation.RewardReplyID(rw.ID),
			Title:       clip(b.catalogText(conversation.MsgRewardRowTitle, map[string]string{"name": b.rewardName(rw)}), conversation.MaxRowTitle),
			Description: clip(b.catalogText(conversation.MsgRewardRowDescription, map[string]string{"cost": b.points64(rw.Cost)}), conversation.MaxRowDescription),
		})
	}
	if len(rows) == 0 {
		if cheapest < 0 {
			b.text(conversation.MsgRewardsEmpty, nil)
			return nil
		}
		b.text(conversation.MsgRewardsNone, map[string]string{"balance": b.points64(b.mem.Balance), "cheapest": b.points64(cheapest)})
		return nil
	}
	cmd := b.command(messaging.KindList, b.catalogText(conversation.MsgRewardsIntro, map[string]string{"balance": b.points64(b.mem.Balance)}), nil)
	cmd.Interactive.ListButton = b.catalogText(conversation.MsgRewardsButton, nil)
	cmd.Interactive.Sections = []messaging.Section{{Title: clip(b.catalogText(conversation.MsgRewardsSection, nil), conversation.MaxSectionTitle), Rows: rows}}
	b.message(cmd)
	return nil
}

// chooseReward asks to confirm redeeming a reward chosen in the list.
func (b *botTurn) chooseReward(id string) error {
	rw, ok := b.t.program.Reward(id)
	if !ok {
		return b.rewards()
	}
	if rw.Cost > b.mem.Balance {
		b.conv.Step, b.conv.RewardID = store.StepNone, ""
		b.text(conversation.MsgRedeemNotEnough, b.rewardArgs(rw))
		return nil
	}
	b.conv.Step, b.conv.RewardID = store.StepAwaitConfirm, rw.ID
	b.buttons(conversation.MsgRedeemConfirmQuestion, b.rewardArgs(rw), []messaging.ReplyButton{
		{ID: conversation.ConfirmReplyID(rw.ID), Title: b.catalogText(conversation.MsgConfirmButton, nil)},
		{ID: conversation.CancelReplyID(rw.ID), Title: b.catalogText(conversation.MsgCancelButton, nil)},
	})
	return nil
}

func (b *botTurn) rewardArgs(rw loyalty.Reward) map[string]string {
	missing := max(0, rw.Cost-b.mem.Balance)
	return map[string]string{"reward": b.rewardName(rw), "cost": b.points64(rw.Cost), "balance": b.points64(b.mem.Balance), "missing": b.points64(missing)}
}

// confirm redeems the reward the customer confirmed. The redemption's
// request id is the question they answered (the message their tap replies
// to), so tapping the same button twice redeems once.
func (b *botTurn) confirm(rewardID string) error {
	if rewardID == "" {
		rewardID = b.conv.RewardID
	}
	rw, ok := b.t.program.Reward(rewardID)
	if !ok {
		b.conv.Step, b.conv.RewardID = store.StepNone, ""
		return b.rewards()
	}
	requestID := "chat:" + b.msg.MessageID
	if b.msg.Context != nil && b.msg.Context.ID != "" {
		requestID = "chat:" + b.msg.Context.ID
	}
	b.conv.Step, b.conv.RewardID = store.StepNone, ""
	res, err := b.h.redeem(b.ctx, b.t, b.mem.ID, rw.ID, requestID, redeemViaChat)
	var re *redeemError
	switch {
	case errors.As(err, &re) && errors.Is(err, loyalty.ErrInsufficientPoints):
		b.text(conversation.MsgRedeemNotEnough, b.rewardArgs(rw))
		return nil
	case errors.As(err, &re) && (errors.Is(err, loyalty.ErrRewardUnavailable) || errors.Is(err, loyalty.ErrOutOfStock)):
		b.text(conversation.MsgRedeemUnavailable, map[string]string{"reward": b.rewardName(rw)})
		return nil
	case errors.As(err, &re):
		b.h.logger.Warn("a redemption in the chat failed", "tenant", b.t.id, "member", b.mem.ID, "reward", rw.ID, "err", err)
		b.text(conversation.MsgRedeemFailed, nil)
		return nil
	case err != nil:
		return err
	}
	b.text(conversation.MsgRedeemed, map[string]string{"reward": b.rewardName(rw), "code": res.Code, "balance": b.points64(res.Balance)})
	return nil
}

// redeemViaChat marks a redemption whose code the chat answer carries.
const redeemViaChat = "chat"

// markVia records on a transaction's reward.redeemed outcomes where the
// member asked for the reward ("" changes nothing).
func markVia(res store.AccountResult, via string) {
	if via == "" {
		return
	}
	for i, oc := range res.Outcomes {
		if oc.Type != loyalty.OutcomeRewardRedeemed {
			continue
		}
		if oc.Data == nil {
			res.Outcomes[i].Data = map[string]any{}
		}
		res.Outcomes[i].Data["via"] = via
	}
}

// sentInChat reports whether an outcome's message was the chat's answer
// already: the code of a reward redeemed in the chat. Notification rules
// do not send it again.
func sentInChat(o event.Outcome) bool {
	return o.Type == loyalty.OutcomeRewardRedeemed && o.Data["via"] == redeemViaChat
}

// refer answers with the member's referral code and a message to forward
// with the join link.
func (b *botTurn) refer() error {
	code := b.mem.Referral.Code
	if code == "" {
		b.text(conversation.MsgErrorLater, nil)
		return nil
	}
	c := b.t.cfg.Conversation
	link := conversation.JoinLink(c.PhoneNumber, conversation.JoinText(c.JoinKeyword, code, ""))
	b.text(conversation.MsgRefer, map[string]string{"code": code})
	b.flush() // the message to forward goes alone
	b.text(conversation.MsgReferForward, map[string]string{"link": link, "brand": c.Brand})
	return nil
}

// stopStart changes marketing consent at once and confirms it.
func (b *botTurn) stopStart(stop bool) error {
	state, key := store.ConsentOptedIn, conversation.MsgStarted
	if stop {
		state, key = store.ConsentOptedOut, conversation.MsgStopped
	}
	if _, err := b.h.store.UpdateContact(b.ctx, b.t.id, store.ContactRef{Phone: b.phone, UserID: b.msg.UserID},
		store.SetConsentWithText(state, "whatsapp:chat", b.msg.Text, b.msg.Timestamp)); err != nil {
		return fmt.Errorf("recording consent: %w", err)
	}
	b.h.metrics.ConsentChanges.WithLabelValues(b.t.id, map[bool]string{true: "stop", false: "resume"}[stop]).Inc()
	b.conv.Step = store.StepNone
	b.text(key, nil)
	return nil
}

// language asks which language the customer wants, or switches to it.
func (b *botTurn) language(lang string) error {
	allowed := b.t.cfg.Conversation.Languages
	if lang != "" && contains(allowed, lang) {
		b.conv.Lang, b.conv.LangChosen, b.conv.Step = lang, true, store.StepNone
		b.lang = lang
		b.text(conversation.MsgLanguageChanged, nil)
		b.text(conversation.MsgMenu, nil)
		return nil
	}
	rows := make([]messaging.Row, 0, len(allowed))
	for _, l := range allowed {
		rows = append(rows, messaging.Row{ID: conversation.LanguageReplyID(l), Title: conversation.LanguageName(l)})
	}
	b.conv.Step = store.StepAwaitLanguage
	cmd := b.command(messaging.KindList, b.catalogText(conversation.MsgLanguageQuestion, nil), nil)
	cmd.Interactive.ListButton = b.catalogText(conversation.MsgLanguageButton, nil)
	cmd.Interactive.Sections = []messaging.Section{{Rows: rows}}
	b.message(cmd)
	return nil
}

// notUnderstood answers with the menu, or hands over to a person after
// too many messages in a row the bot did not understand.
func (b *botTurn) notUnderstood() error {
	b.conv.Misunderstood++
	if n := b.t.cfg.Conversation.Handoff.AfterMisunderstood; n > 0 && b.conv.Misunderstood >= n {
		b.conv.Misunderstood = 0
		return b.handoff("misunderstood")
	}
	b.text(conversation.MsgNotUnderstood, nil)
	b.text(conversation.MsgMenu, nil)
	return nil
}

// handoff hands the conversation to a person: the inbox webhook gets it,
// and the bot stays silent until released or the handoff's timeout.
func (b *botTurn) handoff(reason string) error {
	h := b.t.cfg.Conversation.Handoff
	until := b.now.Add(h.Timeout)
	b.conv.Step, b.conv.HandoffUntil, b.conv.HandoffReason = store.StepNone, until, reason
	e := b.handoffEvent(HandoffStarted)
	e.Reason, e.Until = reason, &until
	if err := b.h.postHandoff(b.ctx, h.WebhookURL, h.Secret, e); err != nil {
		return err
	}
	b.text(conversation.MsgHandoffStarted, nil)
	return nil
}

// forwardToAgent passes a message of a handed-off conversation to the
// inbox; the bot says nothing.
func (b *botTurn) forwardToAgent() error {
	h := b.t.cfg.Conversation.Handoff
	e := b.handoffEvent(HandoffMessageE)
	until := b.conv.HandoffUntil
	e.Reason, e.Until = b.conv.HandoffReason, &until
	if err := b.h.postHandoff(b.ctx, h.WebhookURL, h.Secret, e); err != nil {
		return err
	}
	b.h.metrics.BotReplies.WithLabelValues(b.t.id, "handoff").Inc()
	return nil
}

func (b *botTurn) handoffEvent(kind string) HandoffEvent {
	e := HandoffEvent{
		Event: kind, Tenant: b.t.id, At: b.now.UTC(),
		Contact: HandoffContact{Phone: b.phone, UserID: b.msg.UserID, Name: b.msg.Name, Language: b.conv.Lang},
		Message: handoffMessage(b.msg),
		Reply:   "/api/v1/tenants/" + b.t.id + "/conversations/messages",
	}
	if b.mem != nil {
		e.Contact.MemberID = b.mem.ID
	}
	if e.Contact.Language == "" {
		e.Contact.Language = b.lang
	}
	return e
}

// text adds a text of the catalog to the answer; consecutive texts go as
// one message.
func (b *botTurn) text(key string, args map[string]string) {
	b.texts = append(b.texts, b.catalogText(key, args))
}

// flush turns the texts gathered so far into one message.
func (b *botTurn) flush() {
	if len(b.texts) == 0 {
		return
	}
	body := strings.Join(b.texts, "\n\n")
	b.texts = nil
	b.out = append(b.out, b.command(messaging.KindText, body, nil))
}

// message adds a message of its own (after the texts gathered so far).
func (b *botTurn) message(cmd messaging.Command) {
	b.flush()
	cmd.Key = b.key()
	b.out = append(b.out, cmd)
}

// buttons adds a message of the catalog with reply buttons.
func (b *botTurn) buttons(key string, args map[string]string, buttons []messaging.ReplyButton) {
	for i := range buttons {
		buttons[i].Title = clip(buttons[i].Title, conversation.MaxButtonTitle)
	}
	b.message(b.command(messaging.KindButtons, b.catalogText(key, args), buttons))
}

func (b *botTurn) catalogText(key string, args map[string]string) string {
	if args == nil {
		args = map[string]string{}
	}
	if _, ok := args["keyword"]; !ok {
		args["keyword"] = b.t.cfg.Conversation.JoinKeyword
	}
	if _, ok := args["brand"]; !ok {
		args["brand"] = b.t.cfg.Conversation.Brand
	}
	return b.t.bot.Catalog.Text(b.lang, key, args)
}

func (b *botTurn) points64(n int64) string { return conversation.FormatPoints(b.lang, n) }

// key is the key of the next answer to the customer's message: derived
// from that message, so answering it again sends nothing new.
func (b *botTurn) key() string {
	return event.DerivedID("msg_", b.t.id, "bot", b.msg.MessageID, strconv.Itoa(len(b.out)))
}

// command builds an answer: a session message.
func (b *botTurn) command(kind, body string, buttons []messaging.ReplyButton) messaging.Command {
	cmd := messaging.Command{
		Key:    b.key(),
		Tenant: b.t.id, Sender: b.t.cfg.Conversation.Sender,
		To: b.replyTo(), Kind: kind, Category: messaging.CategoryService,
		Rule: "conversation",
	}
	if b.phone == "" {
		cmd.UserID = b.msg.UserID
	}
	if b.mem != nil {
		cmd.MemberID = b.mem.ID
	}
	if kind == messaging.KindText {
		cmd.Text = clip(body, messaging.MaxTextBody)
		return cmd
	}
	cmd.Interactive = &messaging.Interactive{Body: clip(body, conversation.MaxInteractiveBody), Buttons: buttons}
	return cmd
}

// replyTo is where the answers go: to the wa_id exactly as WhatsApp gave
// it (which may be another form of the number the member is known by),
// else to the number; "" when WhatsApp withheld it.
func (b *botTurn) replyTo() string {
	if b.phone != "" && b.msg.WAID != "" {
		return "+" + b.msg.WAID
	}
	return b.phone
}

// send publishes the turn's answers for the send stage.
func (b *botTurn) send() error {
	b.flush()
	if len(b.out) == 0 {
		return nil
	}
	return b.h.publishCommands(b.ctx, b.out)
}

// publishCommands publishes message commands for the send stage.
func (h *Hub) publishCommands(ctx context.Context, cmds []messaging.Command) error {
	for _, cmd := range cmds {
		if err := cmd.Validate(); err != nil {
			return fmt.Errorf("answer %s: %w", cmd.Key, err)
		}
		m, err := jsonMessage(cmd.Key, cmd)
		if err != nil {
			return err
		}
		m.Metadata.Set(MetaTenant, cmd.Tenant)
		m.SetContext(ctx)
		if err := h.queue.Publisher().Publish(TopicOutbound, m); err != nil {
			return fmt.Errorf("publishing answer %s: %w", cmd.Key, err)
		}
	}
	return nil
}

// firstName is the first word of a name, else of a fallback.
func firstName(name, fallback string) string {
	for _, n := range []string{name, fallback} {
		if f := strings.Fields(n); len(f) > 0 {
			return f[0]
		}
	}
	return ""
}

// clip shortens s to n characters.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
