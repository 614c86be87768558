package conversation

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// Step is what the bot waits for in a conversation.
type Step string

// Steps.
const (
	StepNone          Step = ""               // nothing: a message is a new request
	StepAwaitConsent  Step = "await_consent"  // asked whether they accept promotional messages (joining)
	StepAwaitConfirm  Step = "await_confirm"  // asked to confirm redeeming State.RewardID
	StepAwaitLanguage Step = "await_language" // showed the list of languages
)

// expect is what a typed yes or no answers at s.
func (s Step) expect() Expect {
	switch s {
	case StepAwaitConsent:
		return ExpectConsent
	case StepAwaitConfirm:
		return ExpectConfirm
	case StepAwaitLanguage:
		return ExpectLanguage
	}
	return ExpectNothing
}

// State is one customer's conversation with the bot, as the hub keeps it
// between their messages.
type State struct {
	// Lang is the language the customer chose or was last answered in (""
	// at first); LangChosen is true when they chose it themselves, which
	// wins over the keyword's and the phone's.
	Lang       string
	LangChosen bool
	Step       Step
	// RewardID is the reward awaiting confirmation (StepAwaitConfirm);
	// JoinCode and JoinSource are the referral code and where the customer
	// came from (qr, link, ad) while joining (StepAwaitConsent).
	RewardID   string
	JoinCode   string
	JoinSource string
	// Misunderstood counts the messages in a row the bot did not
	// understand; Bot.HandoffAfter of them hand the customer to a person.
	Misunderstood int
	// HandoffUntil, while in the future, silences the bot: a person
	// answers. HandoffReason says why the handoff started.
	HandoffUntil  time.Time
	HandoffReason string
	// LastMessageID is the last message the bot handled, and
	// LastMessageAt when it was sent: a message delivered again is answered
	// only if it was not handled and no message sent after it was.
	LastMessageID string
	LastMessageAt time.Time
}

// InHandoff reports whether a person answers the customer at now.
func (s State) InHandoff(now time.Time) bool { return now.Before(s.HandoffUntil) }

// Handled reports whether m was handled already, or a message sent after
// it was: a message delivered again is then not answered again. The state
// is saved with every message answered, so a message recorded once but not
// handled (a crash or a failed effect between the two) is answered on its
// next delivery. WhatsApp's timestamps are whole seconds: another message
// of the same second says nothing about the order, so m is answered (its
// replies' keys keep a second answer from being sent twice).
func (s State) Handled(m Message) bool {
	return s.LastMessageID == m.ID || s.LastMessageAt.After(m.Sent)
}

// Message is a customer's message to the bot.
type Message struct {
	// ID is WhatsApp's id of the message: the replies' keys derive from
	// it, so answering it again sends nothing twice.
	ID string
	// Type, Sent, Text, ReplyID and GroupID are as in Received.
	Type    string
	Sent    time.Time
	Text    string
	ReplyID string
	GroupID string
	// ContextID is the bot's message this one answers (a tapped button's
	// message), "" for none.
	ContextID string
	// Name is the customer's WhatsApp profile name.
	Name string
	// FromAd is true when the customer opened the chat from an ad.
	FromAd bool
	// Redelivered is true when the hub had recorded the message before:
	// it is answered only when the state shows it was not (State.Handled).
	Redelivered bool
}

// Member is what the turn knows of the customer as a member.
type Member struct {
	ID           string
	Name         string
	Balance      int64
	Pending      int64  // points held for a returns window
	Tier         string // the level's name, "" without tiers
	ReferralCode string
}

// View is what a turn reads besides the state and the message: the
// tenant's bot, the customer and the time. It is read only.
type View struct {
	Bot *Bot
	// Phone is the customer's number, canonical (member.PhoneKey); "" when
	// WhatsApp withheld it. Members are known by phone, so a customer
	// without one cannot join.
	Phone string
	// Member is the customer's membership, nil when not a member.
	Member *Member
	// Now is the hub's clock.
	Now time.Time
}

// Bot is a tenant's chatbot: its language, settings and the part of its
// loyalty program it shows. Build one per tenant; it is read only and safe
// for concurrent use.
type Bot struct {
	// Tenant names the tenant in the replies' keys.
	Tenant   string
	Catalog  *Catalog
	Keywords Keywords
	// JoinKeyword, Brand and PhoneNumber fill in the messages and the
	// referral link.
	JoinKeyword string
	Brand       string
	PhoneNumber string
	// DefaultLanguage and Languages are as in AnswerLanguage.
	DefaultLanguage string
	Languages       []string
	// HandoffAfter is how many messages in a row the bot did not
	// understand hand over to a person; 0 or less: never.
	HandoffAfter int
	// HandoffTimeout ends a handoff nobody released.
	HandoffTimeout time.Duration
	// Location is the tenant's time zone: reward dates and the dates the
	// points answer shows.
	Location *time.Location
	// Rewards is the program's catalog, in its order.
	Rewards []loyalty.Reward
	// Names are the tenant's names of rewards, levels, rules and
	// challenges in each language.
	Names Names
}

// Names are a program's names in each language, as LocalName takes them:
// name or id → language → name.
type Names struct {
	Rewards    map[string]map[string]string // by reward id
	Tiers      map[string]map[string]string // by level name, matched ignoring case and surrounding space
	Rules      map[string]map[string]string // by earning rule name
	Challenges map[string]map[string]string // by challenge name
}

// Handoff webhook events.
const (
	HandoffStarted = "handoff.started"
	HandoffMessage = "message.received"
	HandoffEnded   = "handoff.ended"
)

// Handoff reasons.
const (
	HandoffAsked         = "asked"         // the customer asked for a person
	HandoffMisunderstood = "misunderstood" // Bot.HandoffAfter messages not understood
	HandoffTimeout       = "timeout"       // Bot.HandoffTimeout passed
	HandoffReleased      = "released"      // a person gave the conversation back
)

// Handled labels of a Result besides the intent kinds.
const (
	HandledHandoff = "handoff" // passed to the person answering
)

// RecentEntries is how many ledger entries the points answer lists.
const RecentEntries = 3

// maxRewardRows is WhatsApp's limit of rows in a list message.
const maxRewardRows = 10

// Result is what a turn decided: the state to save, the effects the hub
// carries out and the replies it sends, in that order.
type Result struct {
	// State is the conversation after the message; Save is false when it
	// stays as it was (a message ignored, passed to a person or handled
	// already), which is then not saved.
	State State
	Save  bool
	// Effects change the world outside the conversation, in order; each
	// is carried out before the replies are sent, and a failure leaves
	// the message to be handled again.
	Effects []Effect
	// Pending, when not nil, is an effect whose answer the replies need
	// (Join, Redeem or ReadAccount): carried out after Effects, and its
	// answer given to Joined, Redeemed or WithAccount, which return the
	// Result with its replies, Pending nil, and State and Effects as they
	// were (the Effects carried out already).
	Pending Effect
	// Replies are the messages answering the customer, keyed after the
	// message.
	Replies []Reply
	// Handled says what the message was, for metrics: an intent kind,
	// "welcome", "ignore", "stale" or "handoff"; "" for a message handled
	// already.
	Handled string

	turn *turn // the turn waiting for Pending's answer
}

// Reply is a message answering the customer, a WhatsApp session message.
type Reply struct {
	// Key identifies the reply: derived from the customer's message and
	// the reply's place, so the same message answered again has the same
	// keys.
	Key string
	// Kind is messaging.KindText, KindButtons or KindList.
	Kind string
	// Text is a text's body, at most messaging.MaxTextBody characters.
	Text string
	// Interactive is a message with buttons or a list.
	Interactive *messaging.Interactive
}

// Turn answers a customer's message: from the conversation's state, the
// message and the view, it decides the new state, the effects and the
// replies. A message delivered again is answered only when the state shows
// it was not (State.Handled). In a handoff every message goes to the person
// answering (a Handoff effect) and the bot says nothing. Otherwise Receive
// decides first: a first opening of the chat gets the welcome; reactions,
// locations and the like, and messages over a day old, get nothing and
// leave the state as it was. A handoff that timed out ends (a Handoff
// effect) and the bot answers again. Everything else is read with Parse
// and answered in the language AnswerLanguage picks.
//
// Turn is pure: it reads nothing but its arguments, and the hub carries out
// the effects. When the replies need an effect's answer (a join's points,
// a redemption's code, the account's activity), Result.Pending holds the
// effect and the replies come from Joined, Redeemed or WithAccount.
func Turn(s State, m Message, v View) Result {
	if m.Redelivered && s.Handled(m) {
		return Result{State: s}
	}
	t := &turn{bot: v.Bot, st: s, msg: m, phone: v.Phone, mem: v.Member, now: v.Now}
	if s.InHandoff(v.Now) {
		t.effects = append(t.effects, Handoff{Event: HandoffMessage, Reason: s.HandoffReason, Until: s.HandoffUntil, Language: s.Lang, WithMessage: true})
		return Result{State: s, Effects: t.effects, Handled: HandledHandoff}
	}
	reception := Receive(Received{Type: m.Type, Sent: m.Sent, Text: m.Text, ReplyID: m.ReplyID, GroupID: m.GroupID}, v.Now)
	switch reception {
	case ReceiveIgnore, ReceiveStale:
		return Result{State: s, Handled: string(reception)}
	}
	if !s.HandoffUntil.IsZero() {
		// A handoff that timed out: the inbox hears it ended, and the bot
		// is back.
		t.effects = append(t.effects, Handoff{Event: HandoffEnded, Reason: HandoffTimeout, Language: s.Lang})
		t.st.HandoffUntil, t.st.HandoffReason = time.Time{}, ""
	}
	intent := Intent{Kind: KindUnknown}
	if reception == ReceiveAnswer {
		intent = Parse(Input{Text: m.Text, ReplyID: m.ReplyID, Expect: s.Step.expect()}, t.bot.Keywords)
	}
	t.lang = AnswerLanguage(s.Lang, s.LangChosen, intent, v.Phone, t.bot.DefaultLanguage, t.bot.Languages)
	handled := string(intent.Kind)
	if reception == ReceiveWelcome {
		handled = string(reception)
		t.welcome()
	} else {
		t.answer(intent)
		if intent.Kind != KindUnknown {
			t.st.Misunderstood = 0
		}
	}
	if !t.st.LangChosen {
		t.st.Lang = t.lang
	}
	t.st.LastMessageID, t.st.LastMessageAt = m.ID, m.Sent
	return t.result(handled)
}

// turn is a turn in the making.
type turn struct {
	bot   *Bot
	st    State
	msg   Message
	phone string
	mem   *Member
	now   time.Time
	lang  string
	// consented is the answer to the consent question of a join waiting
	// for the store.
	consented bool

	effects []Effect
	pending Effect
	replies []Reply
	// texts are catalog texts not made a reply yet: consecutive ones go
	// as one message, which spares the customer's pair rate limit.
	texts []string
}

// result is the turn's Result: waiting for its pending effect's answer,
// or with its replies.
func (t *turn) result(handled string) Result {
	r := Result{State: t.st, Save: true, Effects: t.effects, Pending: t.pending, Handled: handled}
	if t.pending != nil {
		r.turn = t
		return r
	}
	t.flush()
	r.Replies = t.replies
	return r
}

// complete goes on with the turn waiting in r, given its pending effect's
// answer: answer adds the replies that need it. r itself is left as it
// was, and a Result waiting for nothing is returned unchanged.
func (r Result) complete(answer func(t *turn)) Result {
	if r.turn == nil {
		return r
	}
	t := *r.turn
	t.pending = nil
	t.replies, t.texts = slices.Clone(t.replies), slices.Clone(t.texts)
	answer(&t)
	return t.result(r.Handled)
}

// welcome answers a customer who opened the chat for the first time: a
// member is welcomed back as a join would, anyone else is invited to join.
func (t *turn) welcome() {
	if t.mem == nil {
		t.st.Step = StepNone
		t.text(MsgWelcomePrompt, nil)
		return
	}
	t.join(Intent{Kind: KindJoin})
}

// answer decides what the bot says and does for intent.
func (t *turn) answer(it Intent) {
	switch it.Kind {
	case KindJoin:
		t.join(it)
		return
	case KindConsentYes, KindConsentNo:
		t.consent(it.Kind == KindConsentYes)
		return
	case KindHelp:
		t.st.Step = StepNone
		t.text(MsgMenu, nil)
		return
	case KindStop, KindStart:
		t.stopStart(it.Kind == KindStop)
		return
	case KindAgent:
		t.handoff(HandoffAsked)
		return
	case KindLanguage:
		t.language(it.Language)
		return
	case KindUnknown:
		t.notUnderstood()
		return
	}
	// What follows is for members.
	if t.mem == nil {
		t.st.Step = StepNone
		t.text(MsgNotMember, map[string]string{"keyword": t.bot.JoinKeyword})
		return
	}
	switch it.Kind {
	case KindPoints:
		t.st.Step = StepNone
		t.pending = ReadAccount{MemberID: t.mem.ID, Recent: RecentEntries}
	case KindRewards:
		t.st.Step = StepNone
		t.rewards()
	case KindRedeem:
		t.chooseReward(it.RewardID)
	case KindConfirm:
		t.confirm(it.RewardID)
	case KindCancel:
		t.st.Step, t.st.RewardID = StepNone, ""
		t.text(MsgRedeemCancelled, nil)
	case KindRefer:
		t.st.Step = StepNone
		t.refer()
	default:
		t.notUnderstood()
	}
}

// join starts joining: a member is welcomed back; anyone else is asked
// for consent to promotional messages first.
func (t *turn) join(it Intent) {
	if t.mem != nil {
		t.st.Step = StepNone
		t.text(MsgWelcomeBack, map[string]string{"name": firstName(t.mem.Name, t.msg.Name), "balance": t.points(t.mem.Balance)})
		t.text(MsgMenu, nil)
		return
	}
	if t.phone == "" {
		// Members are known by phone; WhatsApp withheld this one.
		t.text(MsgErrorLater, nil)
		return
	}
	source := it.Source
	if t.msg.FromAd {
		source = SourceAd
	}
	if source == "" {
		source = SourceLink
	}
	t.st.Step, t.st.JoinCode, t.st.JoinSource = StepAwaitConsent, it.ReferralCode, source
	t.buttons(MsgConsentQuestion, nil, []messaging.ReplyButton{
		{ID: ReplyConsentYes, Title: t.catalogText(MsgConsentYesButton, nil)},
		{ID: ReplyConsentNo, Title: t.catalogText(MsgConsentNoButton, nil)},
	})
}

// consent records the answer to the consent question and makes the
// customer a member, with the joining points of the program.
func (t *turn) consent(yes bool) {
	if t.phone == "" {
		t.text(MsgErrorLater, nil)
		return
	}
	source := "whatsapp:join"
	if t.st.JoinSource != "" {
		source += ":" + t.st.JoinSource
	}
	t.effects = append(t.effects, SetConsent{OptIn: yes, Source: source, Shown: t.catalogText(MsgConsentQuestion, nil), At: t.msg.Sent})
	if t.mem != nil {
		t.st.Step = StepNone
		t.text(consentKey(yes), nil)
		return
	}
	t.pending, t.consented = Join{Code: t.st.JoinCode}, yes
	t.st.Step, t.st.JoinCode, t.st.JoinSource = StepNone, "", ""
}

func consentKey(yes bool) string {
	if yes {
		return MsgConsentGiven
	}
	return MsgConsentDeclined
}

// rewards lists the rewards the member can redeem now (tier and dates)
// and afford, as an interactive list.
func (t *turn) rewards() {
	if len(t.bot.Rewards) == 0 {
		t.text(MsgRewardsEmpty, nil)
		return
	}
	var cheapest int64 = -1
	var rows []messaging.Row
	for _, rw := range t.bot.Rewards {
		if !rw.ForTier(t.mem.Tier) || rw.AvailableAt(t.now, t.bot.Location) != nil {
			continue
		}
		if cheapest < 0 || rw.Cost < cheapest {
			cheapest = rw.Cost
		}
		if rw.Cost > t.mem.Balance || len(rows) == maxRewardRows {
			continue
		}
		rows = append(rows, messaging.Row{
			ID:          RewardReplyID(rw.ID),
			Title:       clip(t.catalogText(MsgRewardRowTitle, map[string]string{"name": t.rewardName(rw)}), MaxRowTitle),
			Description: clip(t.catalogText(MsgRewardRowDescription, map[string]string{"cost": t.points(rw.Cost)}), MaxRowDescription),
		})
	}
	if len(rows) == 0 {
		if cheapest < 0 {
			t.text(MsgRewardsEmpty, nil)
			return
		}
		t.text(MsgRewardsNone, map[string]string{"balance": t.points(t.mem.Balance), "cheapest": t.points(cheapest)})
		return
	}
	t.interactive(messaging.KindList, t.catalogText(MsgRewardsIntro, map[string]string{"balance": t.points(t.mem.Balance)}), messaging.Interactive{
		ListButton: t.catalogText(MsgRewardsButton, nil),
		Sections:   []messaging.Section{{Title: clip(t.catalogText(MsgRewardsSection, nil), MaxSectionTitle), Rows: rows}},
	})
}

// reward finds a reward of the catalog.
func (t *turn) reward(id string) (loyalty.Reward, bool) {
	for _, rw := range t.bot.Rewards {
		if rw.ID == id {
			return rw, true
		}
	}
	return loyalty.Reward{}, false
}

// chooseReward asks to confirm redeeming a reward chosen in the list.
func (t *turn) chooseReward(id string) {
	rw, ok := t.reward(id)
	if !ok {
		t.rewards()
		return
	}
	if rw.Cost > t.mem.Balance {
		t.st.Step, t.st.RewardID = StepNone, ""
		t.text(MsgRedeemNotEnough, t.rewardArgs(rw))
		return
	}
	t.st.Step, t.st.RewardID = StepAwaitConfirm, rw.ID
	t.buttons(MsgRedeemConfirmQuestion, t.rewardArgs(rw), []messaging.ReplyButton{
		{ID: ConfirmReplyID(rw.ID), Title: t.catalogText(MsgConfirmButton, nil)},
		{ID: CancelReplyID(rw.ID), Title: t.catalogText(MsgCancelButton, nil)},
	})
}

func (t *turn) rewardArgs(rw loyalty.Reward) map[string]string {
	missing := max(0, rw.Cost-t.mem.Balance)
	return map[string]string{"reward": t.rewardName(rw), "cost": t.points(rw.Cost), "balance": t.points(t.mem.Balance), "missing": t.points(missing)}
}

// confirm redeems the reward the customer confirmed. The redemption's
// request id is the question they answered (the message their tap replies
// to), so tapping the same button twice redeems once.
func (t *turn) confirm(rewardID string) {
	if rewardID == "" {
		rewardID = t.st.RewardID
	}
	t.st.Step, t.st.RewardID = StepNone, ""
	rw, ok := t.reward(rewardID)
	if !ok {
		t.rewards()
		return
	}
	requestID := "chat:" + cmp.Or(t.msg.ContextID, t.msg.ID)
	t.pending = Redeem{MemberID: t.mem.ID, RewardID: rw.ID, RequestID: requestID}
}

// refer answers with the member's referral code and a message to forward
// with the join link.
func (t *turn) refer() {
	code := t.mem.ReferralCode
	if code == "" {
		t.text(MsgErrorLater, nil)
		return
	}
	link := JoinLink(t.bot.PhoneNumber, JoinText(t.bot.JoinKeyword, code, ""))
	t.text(MsgRefer, map[string]string{"code": code})
	t.flush() // the message to forward goes alone
	t.text(MsgReferForward, map[string]string{"link": link, "brand": t.bot.Brand})
}

// stopStart changes marketing consent at once and confirms it.
func (t *turn) stopStart(stop bool) {
	key, command := MsgStarted, ConsentResume
	if stop {
		key, command = MsgStopped, ConsentStop
	}
	t.effects = append(t.effects, SetConsent{OptIn: !stop, Source: "whatsapp:chat", Shown: t.msg.Text, At: t.msg.Sent, Command: command})
	t.st.Step = StepNone
	t.text(key, nil)
}

// language asks which language the customer wants, or switches to it.
func (t *turn) language(lang string) {
	allowed := t.bot.Languages
	if lang != "" && slices.Contains(allowed, lang) {
		t.st.Lang, t.st.LangChosen, t.st.Step = lang, true, StepNone
		t.lang = lang
		t.text(MsgLanguageChanged, nil)
		t.text(MsgMenu, nil)
		return
	}
	rows := make([]messaging.Row, 0, len(allowed))
	for _, l := range allowed {
		rows = append(rows, messaging.Row{ID: LanguageReplyID(l), Title: LanguageName(l)})
	}
	t.st.Step = StepAwaitLanguage
	t.interactive(messaging.KindList, t.catalogText(MsgLanguageQuestion, nil), messaging.Interactive{
		ListButton: t.catalogText(MsgLanguageButton, nil),
		Sections:   []messaging.Section{{Rows: rows}},
	})
}

// notUnderstood answers with the menu, or hands over to a person after
// too many messages in a row the bot did not understand.
func (t *turn) notUnderstood() {
	t.st.Misunderstood++
	if n := t.bot.HandoffAfter; n > 0 && t.st.Misunderstood >= n {
		t.st.Misunderstood = 0
		t.handoff(HandoffMisunderstood)
		return
	}
	t.text(MsgNotUnderstood, nil)
	t.text(MsgMenu, nil)
}

// handoff hands the conversation to a person: the inbox hears of it, and
// the bot stays silent until released or the handoff's timeout.
func (t *turn) handoff(reason string) {
	until := t.now.Add(t.bot.HandoffTimeout)
	t.effects = append(t.effects, Handoff{Event: HandoffStarted, Reason: reason, Until: until, Language: cmp.Or(t.st.Lang, t.lang), WithMessage: true})
	t.st.Step, t.st.HandoffUntil, t.st.HandoffReason = StepNone, until, reason
	t.text(MsgHandoffStarted, nil)
}

// rewardName is a reward's name in the customer's language.
func (t *turn) rewardName(rw loyalty.Reward) string {
	return LocalName(t.bot.Names.Rewards[rw.ID], t.lang, rw.Name)
}

// tierName is a level's name in the customer's language.
func (t *turn) tierName(name string) string {
	names, ok := t.bot.Names.Tiers[name]
	if !ok {
		for level, n := range t.bot.Names.Tiers {
			if strings.EqualFold(strings.TrimSpace(level), strings.TrimSpace(name)) {
				names, ok = n, true
				break
			}
		}
	}
	if !ok {
		return name
	}
	return LocalName(names, t.lang, name)
}

// text adds a text of the catalog to the answer; consecutive texts go as
// one message.
func (t *turn) text(key string, args map[string]string) {
	t.texts = append(t.texts, t.catalogText(key, args))
}

// flush turns the texts gathered so far into one message.
func (t *turn) flush() {
	if len(t.texts) == 0 {
		return
	}
	body := strings.Join(t.texts, "\n\n")
	t.texts = nil
	t.replies = append(t.replies, Reply{Key: t.key(), Kind: messaging.KindText, Text: clip(body, messaging.MaxTextBody)})
}

// interactive adds a message with buttons or a list, after the texts
// gathered so far.
func (t *turn) interactive(kind, body string, in messaging.Interactive) {
	t.flush()
	in.Body = clip(body, MaxInteractiveBody)
	t.replies = append(t.replies, Reply{Key: t.key(), Kind: kind, Interactive: &in})
}

// buttons adds a message of the catalog with reply buttons.
func (t *turn) buttons(key string, args map[string]string, buttons []messaging.ReplyButton) {
	for i := range buttons {
		buttons[i].Title = clip(buttons[i].Title, MaxButtonTitle)
	}
	t.interactive(messaging.KindButtons, t.catalogText(key, args), messaging.Interactive{Buttons: buttons})
}

func (t *turn) catalogText(key string, args map[string]string) string {
	if args == nil {
		args = map[string]string{}
	}
	if _, ok := args["keyword"]; !ok {
		args["keyword"] = t.bot.JoinKeyword
	}
	if _, ok := args["brand"]; !ok {
		args["brand"] = t.bot.Brand
	}
	return t.bot.Catalog.Text(t.lang, key, args)
}

func (t *turn) points(n int64) string { return FormatPoints(t.lang, n) }

// key is the key of the next reply to the customer's message: derived
// from that message, so answering it again sends nothing new.
func (t *turn) key() string {
	return event.DerivedID("msg_", t.bot.Tenant, "bot", t.msg.ID, strconv.Itoa(len(t.replies)))
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
