package conversation_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
)

var (
	turnNow  = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	turnSent = turnNow.Add(-time.Minute)
	// ukPhone has no language of its own: the bot answers in the
	// tenant's default, English.
	ukPhone = "+447700900123"
)

// echoCatalog writes every message as its key followed by its
// placeholders ("welcome_new {points} {balance}"), in every language, so
// that a reply shows which messages it holds and with what.
func echoCatalog(t testing.TB) *conversation.Catalog {
	t.Helper()
	texts := map[string]string{}
	for _, key := range conversation.MessageKeys() {
		text := key
		for _, p := range conversation.MessagePlaceholders(key) {
			text += " {" + p + "}"
		}
		texts[key] = text
	}
	texts[conversation.MsgRewardRowTitle] = "{name}"
	texts[conversation.MsgRewardRowDescription] = "{cost}"
	overrides := map[string]map[string]string{}
	for _, lang := range conversation.Languages() {
		overrides[lang] = texts
	}
	cat, err := conversation.DefaultCatalog().With(overrides)
	require.NoError(t, err)
	return cat
}

// testBot is a coffee shop's bot: four rewards (one for Gold members
// only, one not on sale yet), names in other languages, handoff after
// three misunderstandings.
func testBot(t testing.TB) *conversation.Bot {
	t.Helper()
	kw, err := conversation.DefaultKeywords().WithJoinKeyword("KOPI")
	require.NoError(t, err)
	return &conversation.Bot{
		Tenant: "acme", Catalog: echoCatalog(t), Keywords: kw,
		JoinKeyword: "KOPI", Brand: "Kopi Kita", PhoneNumber: "6281100001111",
		DefaultLanguage: conversation.English, Languages: conversation.Languages(),
		HandoffAfter: 3, HandoffTimeout: 24 * time.Hour,
		Location: time.FixedZone("WIB", 7*3600),
		Rewards: []loyalty.Reward{
			{ID: "latte", Name: "Latte", Cost: 100},
			{ID: "cake", Name: "Cake", Cost: 500},
			{ID: "lounge", Name: "Lounge", Cost: 50, Tiers: []string{"Gold"}},
			{ID: "xmas", Name: "Christmas box", Cost: 10, From: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)},
		},
		Names: conversation.Names{
			Rewards:    map[string]map[string]string{"latte": {"en": "Caffè Latte", "id": "Kopi Susu"}, "cake": nil},
			Tiers:      map[string]map[string]string{"Silver": {"id": "Perak"}, "Gold": {"id": "Emas"}},
			Rules:      map[string]map[string]string{"visit": {"en": "Visit bonus"}, "spend": nil},
			Challenges: map[string]map[string]string{"3visits": {"en": "Three visits"}},
		},
	}
}

func dewi() *conversation.Member {
	return &conversation.Member{ID: "m1", Name: "Dewi Lestari", Balance: 1250, Pending: 40, Tier: "Silver", ReferralCode: "ABC12345"}
}

// show writes a reply on one line: a text as it is, buttons and lists
// with their ids and titles.
func show(r conversation.Reply) string {
	if r.Interactive == nil {
		return r.Text
	}
	in := r.Interactive
	parts := []string{"[" + r.Kind + "] " + in.Body}
	for _, b := range in.Buttons {
		parts = append(parts, b.ID+"="+b.Title)
	}
	if in.ListButton != "" {
		parts = append(parts, in.ListButton)
	}
	for _, s := range in.Sections {
		if s.Title != "" {
			parts = append(parts, "§"+s.Title)
		}
		for _, row := range s.Rows {
			parts = append(parts, row.ID+"="+row.Title+"/"+row.Description)
		}
	}
	return strings.Join(parts, " | ")
}

func shown(replies []conversation.Reply) []string {
	var out []string
	for _, r := range replies {
		out = append(out, show(r))
	}
	return out
}

// answered is the state after a message answered in English, changed by
// edit.
func answered(edit func(s *conversation.State)) conversation.State {
	s := conversation.State{Lang: conversation.English, LastMessageID: "wamid.1", LastMessageAt: turnSent}
	if edit != nil {
		edit(&s)
	}
	return s
}

func text(s string) conversation.Message {
	return conversation.Message{ID: "wamid.1", Type: "text", Sent: turnSent, Text: s, Name: "Dewi"}
}

func tap(id, title string) conversation.Message {
	return conversation.Message{ID: "wamid.1", Type: "interactive", Sent: turnSent, ReplyID: id, Text: title, Name: "Dewi"}
}

func TestTurn(t *testing.T) {
	bot := testBot(t)
	dear := func(m *conversation.Member) *conversation.Member { m.Balance = 50; return m }
	tests := []struct {
		name    string
		state   conversation.State
		msg     conversation.Message
		phone   string // ukPhone unless set; "-" for none
		member  *conversation.Member
		want    conversation.State
		effects []conversation.Effect
		pending conversation.Effect
		replies []string
		handled string
	}{
		{
			name: "join asks for consent", msg: text("KOPI"),
			want: answered(func(s *conversation.State) {
				s.Step, s.JoinSource = conversation.StepAwaitConsent, conversation.SourceLink
			}),
			replies: []string{"[buttons] consent_question | consent:yes=consent_yes_button | consent:no=consent_no_button"},
			handled: "join",
		},
		{
			name: "join with a referral code from a QR code", msg: text("KOPI ABC12345 QR"),
			want: answered(func(s *conversation.State) {
				s.Step, s.JoinCode, s.JoinSource = conversation.StepAwaitConsent, "ABC12345", conversation.SourceQR
			}),
			replies: []string{"[buttons] consent_question | consent:yes=consent_yes_button | consent:no=consent_no_button"},
			handled: "join",
		},
		{
			name: "join from an ad", msg: func() conversation.Message { m := text("KOPI"); m.FromAd = true; return m }(),
			want: answered(func(s *conversation.State) {
				s.Step, s.JoinSource = conversation.StepAwaitConsent, conversation.SourceAd
			}),
			replies: []string{"[buttons] consent_question | consent:yes=consent_yes_button | consent:no=consent_no_button"},
			handled: "join",
		},
		{
			name: "join without a phone number", msg: text("KOPI"), phone: "-",
			want: answered(nil), replies: []string{"error_later"}, handled: "join",
		},
		{
			name: "a member joining is welcomed back", msg: text("KOPI"), member: dewi(),
			want: answered(nil), replies: []string{"welcome_back Dewi 1,250\n\nmenu"}, handled: "join",
		},
		{
			name:  "consent joins",
			state: conversation.State{Step: conversation.StepAwaitConsent, JoinCode: "ABC12345", JoinSource: conversation.SourceQR},
			msg:   tap(conversation.ReplyConsentYes, "Yes, please"),
			want:  answered(nil),
			effects: []conversation.Effect{conversation.SetConsent{
				OptIn: true, Source: "whatsapp:join:qr", Shown: "consent_question", At: turnSent}},
			pending: conversation.Join{Code: "ABC12345"},
			handled: "consent_yes",
		},
		{
			name:    "a typed no answers the consent question",
			state:   conversation.State{Step: conversation.StepAwaitConsent, JoinSource: conversation.SourceLink},
			msg:     text("no thanks"),
			want:    answered(nil),
			effects: []conversation.Effect{conversation.SetConsent{Source: "whatsapp:join:link", Shown: "consent_question", At: turnSent}},
			pending: conversation.Join{},
			handled: "consent_no",
		},
		{
			name: "a member's consent", state: conversation.State{Step: conversation.StepAwaitConsent},
			msg: tap(conversation.ReplyConsentYes, "Yes, please"), member: dewi(),
			want:    answered(nil),
			effects: []conversation.Effect{conversation.SetConsent{OptIn: true, Source: "whatsapp:join", Shown: "consent_question", At: turnSent}},
			replies: []string{"consent_given"},
			handled: "consent_yes",
		},
		{
			name: "consent without a phone number", state: conversation.State{Step: conversation.StepAwaitConsent},
			msg: tap(conversation.ReplyConsentYes, "Yes, please"), phone: "-",
			want:    answered(func(s *conversation.State) { s.Step = conversation.StepAwaitConsent }),
			replies: []string{"error_later"}, handled: "consent_yes",
		},
		{
			name: "points read the account", msg: text("points"), member: dewi(),
			state:   conversation.State{Step: conversation.StepAwaitConfirm, RewardID: "latte"},
			want:    answered(func(s *conversation.State) { s.RewardID = "latte" }),
			pending: conversation.ReadAccount{MemberID: "m1", Recent: conversation.RecentEntries},
			handled: "points",
		},
		{
			name: "points are for members", msg: text("points"),
			want: answered(nil), replies: []string{"not_member KOPI"}, handled: "points",
		},
		{
			name: "rewards list what the member can redeem now", msg: text("rewards"), member: dewi(),
			want: answered(nil),
			replies: []string{"[list] rewards_intro 1,250 | rewards_button | §rewards_section | " +
				"reward:latte=Caffè Latte/100 | reward:cake=Cake/500"},
			handled: "rewards",
		},
		{
			name: "rewards too dear", msg: text("rewards"), member: dear(dewi()),
			want: answered(nil), replies: []string{"rewards_none 50 100"}, handled: "rewards",
		},
		{
			name: "a reward chosen asks to confirm", msg: tap(conversation.RewardReplyID("latte"), "Caffè Latte"), member: dewi(),
			want: answered(func(s *conversation.State) { s.Step, s.RewardID = conversation.StepAwaitConfirm, "latte" }),
			replies: []string{"[buttons] redeem_confirm_question Caffè Latte 100 1,250 | " +
				"confirm:latte=confirm_button | cancel:latte=cancel_button"},
			handled: "redeem",
		},
		{
			name: "a reward too dear", msg: tap(conversation.RewardReplyID("cake"), "Cake"), member: dear(dewi()),
			want: answered(nil), replies: []string{"redeem_not_enough Cake 500 50 450"}, handled: "redeem",
		},
		{
			name: "a reward no longer in the catalog lists the others", msg: tap(conversation.RewardReplyID("tea"), "Tea"), member: dear(dewi()),
			want: answered(nil), replies: []string{"rewards_none 50 100"}, handled: "redeem",
		},
		{
			name:  "a confirmation redeems once per question",
			state: conversation.State{Step: conversation.StepAwaitConfirm, RewardID: "latte"},
			msg: func() conversation.Message {
				m := tap(conversation.ConfirmReplyID("latte"), "Yes, redeem")
				m.ContextID = "wamid.question"
				return m
			}(),
			member:  dewi(),
			want:    answered(nil),
			pending: conversation.Redeem{MemberID: "m1", RewardID: "latte", RequestID: "chat:wamid.question"},
			handled: "confirm",
		},
		{
			name:  "a typed yes confirms the reward awaiting it",
			state: conversation.State{Step: conversation.StepAwaitConfirm, RewardID: "cake"},
			msg:   text("yes"), member: dewi(),
			want:    answered(nil),
			pending: conversation.Redeem{MemberID: "m1", RewardID: "cake", RequestID: "chat:wamid.1"},
			handled: "confirm",
		},
		{
			name:  "a confirmation of a reward gone lists the rewards",
			state: conversation.State{Step: conversation.StepAwaitConfirm, RewardID: "tea"},
			msg:   text("yes"), member: dear(dewi()),
			want: answered(nil), replies: []string{"rewards_none 50 100"}, handled: "confirm",
		},
		{
			name:  "cancel",
			state: conversation.State{Step: conversation.StepAwaitConfirm, RewardID: "latte"},
			msg:   tap(conversation.CancelReplyID("latte"), "Cancel"), member: dewi(),
			want: answered(nil), replies: []string{"redeem_cancelled"}, handled: "cancel",
		},
		{
			name: "refer sends the code, then a message to forward alone", msg: text("invite"), member: dewi(),
			want: answered(nil),
			replies: []string{"refer ABC12345",
				"refer_forward " + conversation.JoinLink("6281100001111", "KOPI ABC12345") + " Kopi Kita"},
			handled: "refer",
		},
		{
			name: "refer without a code", msg: text("invite"),
			member: func() *conversation.Member { m := dewi(); m.ReferralCode = ""; return m }(),
			want:   answered(nil), replies: []string{"error_later"}, handled: "refer",
		},
		{
			name: "stop", msg: text("STOP"), state: conversation.State{Step: conversation.StepAwaitConfirm},
			want: answered(nil),
			effects: []conversation.Effect{conversation.SetConsent{
				Source: "whatsapp:chat", Shown: "STOP", At: turnSent, Command: conversation.ConsentStop}},
			replies: []string{"stopped"}, handled: "stop",
		},
		{
			name: "start", msg: text("start"), member: dewi(),
			want: answered(nil),
			effects: []conversation.Effect{conversation.SetConsent{
				OptIn: true, Source: "whatsapp:chat", Shown: "start", At: turnSent, Command: conversation.ConsentResume}},
			replies: []string{"started"}, handled: "start",
		},
		{
			name: "help shows the menu and forgets the question", msg: text("menu"),
			state: conversation.State{Step: conversation.StepAwaitConsent, Misunderstood: 2},
			want:  answered(nil), replies: []string{"menu"}, handled: "help",
		},
		{
			name: "asking for a person hands over", msg: text("agent"), member: dewi(),
			want: answered(func(s *conversation.State) {
				s.HandoffUntil, s.HandoffReason = turnNow.Add(24*time.Hour), conversation.HandoffAsked
			}),
			effects: []conversation.Effect{conversation.Handoff{Event: conversation.HandoffStarted, Reason: conversation.HandoffAsked,
				Until: turnNow.Add(24 * time.Hour), Language: conversation.English, WithMessage: true}},
			replies: []string{"handoff_started"}, handled: "agent",
		},
		{
			name: "language shows the list", msg: text("language"),
			want: answered(func(s *conversation.State) { s.Step = conversation.StepAwaitLanguage }),
			replies: []string{"[list] language_question | language_button | lang:en=English/ | lang:id=Bahasa Indonesia/ | " +
				"lang:tr=Türkçe/ | lang:it=Italiano/ | lang:ar=العربية/"},
			handled: "language",
		},
		{
			name: "a language chosen", msg: tap(conversation.LanguageReplyID("it"), "Italiano"),
			state: conversation.State{Step: conversation.StepAwaitLanguage, Lang: conversation.English},
			want: answered(func(s *conversation.State) {
				s.Lang, s.LangChosen = conversation.Italian, true
			}),
			replies: []string{"language_changed\n\nmenu"}, handled: "language",
		},
		{
			name: "not understood", msg: text("qwertyuiop"), state: conversation.State{Misunderstood: 1},
			want:    answered(func(s *conversation.State) { s.Misunderstood = 2 }),
			replies: []string{"not_understood\n\nmenu"}, handled: "unknown",
		},
		{
			name: "the third misunderstanding hands over", msg: text("qwertyuiop"), member: dewi(),
			state: conversation.State{Misunderstood: 2, Lang: conversation.English},
			want: answered(func(s *conversation.State) {
				s.HandoffUntil, s.HandoffReason = turnNow.Add(24*time.Hour), conversation.HandoffMisunderstood
			}),
			effects: []conversation.Effect{conversation.Handoff{Event: conversation.HandoffStarted, Reason: conversation.HandoffMisunderstood,
				Until: turnNow.Add(24 * time.Hour), Language: conversation.English, WithMessage: true}},
			replies: []string{"handoff_started"}, handled: "unknown",
		},
		{
			name: "a photo without a caption is not understood", state: conversation.State{Misunderstood: 1},
			msg:     conversation.Message{ID: "wamid.1", Type: "image", Sent: turnSent},
			want:    answered(func(s *conversation.State) { s.Misunderstood = 2 }),
			replies: []string{"not_understood\n\nmenu"}, handled: "unknown",
		},
		{
			name: "in a handoff every message goes to the person answering", msg: text("halo?"), member: dewi(),
			state: conversation.State{Lang: "id", HandoffUntil: turnNow.Add(time.Hour), HandoffReason: conversation.HandoffAsked},
			want:  conversation.State{Lang: "id", HandoffUntil: turnNow.Add(time.Hour), HandoffReason: conversation.HandoffAsked},
			effects: []conversation.Effect{conversation.Handoff{Event: conversation.HandoffMessage, Reason: conversation.HandoffAsked,
				Until: turnNow.Add(time.Hour), Language: "id", WithMessage: true}},
			handled: conversation.HandledHandoff,
		},
		{
			name: "a handoff that timed out ends, and the bot answers", msg: text("menu"),
			state:   conversation.State{Lang: conversation.English, HandoffUntil: turnNow.Add(-time.Hour), HandoffReason: conversation.HandoffAsked},
			want:    answered(nil),
			effects: []conversation.Effect{conversation.Handoff{Event: conversation.HandoffEnded, Reason: conversation.HandoffTimeout, Language: conversation.English}},
			replies: []string{"menu"}, handled: "help",
		},
		{
			name: "a first opening of the chat invites to join",
			msg:  conversation.Message{ID: "wamid.1", Type: conversation.TypeRequestWelcome, Sent: turnSent},
			want: answered(nil), replies: []string{"welcome_prompt Kopi Kita KOPI"}, handled: "welcome",
		},
		{
			name:   "a member opening the chat is welcomed back",
			msg:    conversation.Message{ID: "wamid.1", Type: conversation.TypeRequestWelcome, Sent: turnSent, Name: "Dewi"},
			member: func() *conversation.Member { m := dewi(); m.Name = ""; return m }(),
			state:  conversation.State{Misunderstood: 1},
			want:   answered(func(s *conversation.State) { s.Misunderstood = 1 }), replies: []string{"welcome_back Dewi 1,250\n\nmenu"}, handled: "welcome",
		},
		{
			name:  "a reaction is not answered and changes nothing",
			msg:   conversation.Message{ID: "wamid.1", Type: "reaction", Sent: turnSent},
			state: conversation.State{Misunderstood: 2, Step: conversation.StepAwaitConfirm},
			want:  conversation.State{Misunderstood: 2, Step: conversation.StepAwaitConfirm}, handled: "ignore",
		},
		{
			name: "a message of two days ago is not answered", msg: func() conversation.Message {
				m := text("points")
				m.Sent = turnNow.Add(-48 * time.Hour)
				return m
			}(),
			handled: "stale",
		},
		{
			name: "a message delivered again after it was answered", msg: func() conversation.Message {
				m := text("points")
				m.Redelivered = true
				return m
			}(),
			state: conversation.State{LastMessageID: "wamid.1", LastMessageAt: turnSent},
			want:  conversation.State{LastMessageID: "wamid.1", LastMessageAt: turnSent},
		},
		{
			name: "a message delivered again after a later one was answered", msg: func() conversation.Message {
				m := text("points")
				m.Redelivered = true
				return m
			}(),
			state: conversation.State{LastMessageID: "wamid.2", LastMessageAt: turnSent.Add(time.Second)},
			want:  conversation.State{LastMessageID: "wamid.2", LastMessageAt: turnSent.Add(time.Second)},
		},
		{
			// Another message of the same second was answered: WhatsApp's
			// whole seconds do not say which came first.
			name: "a message delivered again after another of its second was answered", msg: func() conversation.Message {
				m := text("menu")
				m.Redelivered = true
				return m
			}(),
			state: conversation.State{LastMessageID: "wamid.0", LastMessageAt: turnSent},
			want:  answered(nil), replies: []string{"menu"}, handled: "help",
		},
		{
			name: "a message delivered again that was not answered", msg: func() conversation.Message {
				m := text("menu")
				m.Redelivered = true
				return m
			}(),
			state: conversation.State{LastMessageID: "wamid.0", LastMessageAt: turnSent.Add(-time.Hour)},
			want:  answered(nil), replies: []string{"menu"}, handled: "help",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			phone := ukPhone
			switch tt.phone {
			case "-":
				phone = ""
			case "":
			default:
				phone = tt.phone
			}
			res := conversation.Turn(tt.state, tt.msg, conversation.View{Bot: bot, Phone: phone, Member: tt.member, Now: turnNow})
			assert.Equal(t, tt.want, res.State)
			assert.Equal(t, tt.effects, res.Effects)
			assert.Equal(t, tt.pending, res.Pending)
			assert.Equal(t, tt.replies, shown(res.Replies))
			assert.Equal(t, tt.handled, res.Handled)
			assert.Equal(t, tt.want != tt.state, res.Save, "saved only when answered")
		})
	}
}

// The replies that need the store's answer come from the Result waiting
// for it.
func TestTurnAnswers(t *testing.T) {
	bot := testBot(t)
	view := conversation.View{Bot: bot, Phone: ukPhone, Member: dewi(), Now: turnNow}
	t.Run("a join", func(t *testing.T) {
		for _, tt := range []struct {
			tap, want string
		}{
			{conversation.ReplyConsentYes, "consent_given\n\nwelcome_new 50 50\n\nmenu"},
			{conversation.ReplyConsentNo, "consent_declined\n\nwelcome_new 50 50\n\nmenu"},
		} {
			v := view
			v.Member = nil
			res := conversation.Turn(conversation.State{Step: conversation.StepAwaitConsent}, tap(tt.tap, ""), v)
			require.Equal(t, conversation.Join{}, res.Pending)
			done := res.Joined(conversation.JoinAnswer{MemberID: "m2", Points: 50, Balance: 50})
			assert.Equal(t, []string{tt.want}, shown(done.Replies))
			assert.Nil(t, done.Pending)
			assert.Equal(t, res.State, done.State)
			assert.Empty(t, res.Replies, "the Result waiting is left as it was")
		}
	})
	t.Run("a redemption", func(t *testing.T) {
		res := conversation.Turn(conversation.State{Step: conversation.StepAwaitConfirm, RewardID: "latte"}, text("yes"), view)
		require.IsType(t, conversation.Redeem{}, res.Pending)
		for _, tt := range []struct {
			answer conversation.RedeemAnswer
			want   string
		}{
			{conversation.RedeemAnswer{Code: "LATTE-7Q2X", Balance: 1150}, "redeemed Caffè Latte LATTE-7Q2X 1,150"},
			{conversation.RedeemAnswer{Refused: conversation.RefusedNotEnough}, "redeem_not_enough Caffè Latte 100 1,250 0"},
			{conversation.RedeemAnswer{Refused: conversation.RefusedUnavailable}, "redeem_unavailable Caffè Latte"},
			{conversation.RedeemAnswer{Refused: conversation.RefusedFailed}, "redeem_failed"},
		} {
			assert.Equal(t, []string{tt.want}, shown(res.Redeemed(tt.answer).Replies))
		}
	})
	t.Run("the points", func(t *testing.T) {
		day := func(d, hour int) time.Time { return time.Date(2026, 12, d, hour, 0, 0, 0, time.UTC) }
		tests := []struct {
			name    string
			account conversation.Account
			want    string
		}{
			{"balance only", conversation.Account{}, "points_summary 1,250 40"},
			{
				"everything",
				conversation.Account{
					Progress: &loyalty.TierProgress{Tier: "Silver", Next: "Gold", Left: "750"},
					Expiring: 100, NextExpiry: day(20, 12),
					Recent: []conversation.Entry{
						{Kind: loyalty.EntryEarn, Points: 100, Rule: "visit", At: day(5, 20)}, // 6 Dec in the tenant's zone
						{Kind: loyalty.EntryPending, PendingPoints: 40, Rule: "spend", At: day(4, 12)},
						{Kind: loyalty.EntryRedeem, Points: -100, RewardID: "latte", At: day(3, 12)},
						{Kind: loyalty.EntryRedeem, Points: 100, RewardID: "gone", At: day(3, 12)},
						{Kind: loyalty.EntryEarn, Points: 30, Rule: loyalty.ChallengeRulePrefix + "3visits", At: day(2, 12)},
						{Kind: loyalty.EntryExpire, Points: -20, At: day(1, 12)},
					},
				},
				"points_summary 1,250 40\npoints_tier Silver\npoints_next_tier 750 Gold\npoints_expiring 100 20 Dec 2026\n\n" +
					"points_recent_header\n" +
					"points_recent_line 6 Dec 2026 +100 Visit bonus\n" +
					"points_recent_line 4 Dec 2026 +40 ledger_pending\n" +
					"points_recent_line 3 Dec 2026 -100 ledger_redeemed Caffè Latte\n" +
					"points_recent_line 3 Dec 2026 +100 ledger_released gone\n" +
					"points_recent_line 2 Dec 2026 +30 Three visits\n" +
					"points_recent_line 1 Dec 2026 -20 ledger_expired",
			},
			{
				"the top level",
				conversation.Account{Progress: &loyalty.TierProgress{Tier: "gold "}},
				"points_summary 1,250 40\npoints_tier gold \npoints_top_tier",
			},
		}
		res := conversation.Turn(conversation.State{}, text("points"), view)
		require.IsType(t, conversation.ReadAccount{}, res.Pending)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				assert.Equal(t, []string{tt.want}, shown(res.WithAccount(tt.account).Replies))
			})
		}
	})
	t.Run("nothing to wait for", func(t *testing.T) {
		res := conversation.Turn(conversation.State{}, text("menu"), view)
		assert.Equal(t, res, res.Joined(conversation.JoinAnswer{MemberID: "m2"}))
	})
}

// The customer is answered in their language: the points in its format,
// names in it.
func TestTurnLanguage(t *testing.T) {
	bot := testBot(t)
	bot.Catalog = conversation.DefaultCatalog()
	t.Run("a word of one language switches to it", func(t *testing.T) {
		res := conversation.Turn(conversation.State{Lang: conversation.English}, text("hadiah"),
			conversation.View{Bot: bot, Phone: ukPhone, Member: dewi(), Now: turnNow})
		assert.Equal(t, conversation.Indonesian, res.State.Lang)
		require.Len(t, res.Replies, 1)
		assert.Contains(t, res.Replies[0].Interactive.Body, "1.250")
		assert.Equal(t, "Kopi Susu", res.Replies[0].Interactive.Sections[0].Rows[0].Title)
	})
	t.Run("a chosen language stays", func(t *testing.T) {
		res := conversation.Turn(conversation.State{Lang: conversation.Italian, LangChosen: true}, text("poin"),
			conversation.View{Bot: bot, Phone: "+6281234567001", Member: dewi(), Now: turnNow})
		assert.Equal(t, conversation.Italian, res.State.Lang)
		assert.True(t, res.State.LangChosen)
		done := res.WithAccount(conversation.Account{Progress: &loyalty.TierProgress{Tier: "Silver", Next: "Gold", Left: "1250"}})
		require.Len(t, done.Replies, 1)
		assert.Equal(t, bot.Catalog.Text("it", conversation.MsgPointsSummary, map[string]string{"balance": "1.250", "pending": "40"})+"\n"+
			bot.Catalog.Text("it", conversation.MsgPointsTier, map[string]string{"tier": "Silver"})+"\n"+
			bot.Catalog.Text("it", conversation.MsgPointsNextTier, map[string]string{"remaining": "1.250", "next_tier": "Gold"}),
			done.Replies[0].Text)
	})
	t.Run("the phone's country at first", func(t *testing.T) {
		res := conversation.Turn(conversation.State{}, text("menu"), conversation.View{Bot: bot, Phone: "+905321234567", Now: turnNow})
		assert.Equal(t, conversation.Turkish, res.State.Lang)
		assert.Equal(t, bot.Catalog.Text("tr", conversation.MsgMenu, nil), res.Replies[0].Text)
	})
	t.Run("a handoff names the language spoken", func(t *testing.T) {
		res := conversation.Turn(conversation.State{}, text("saya mau bicara dengan admin"), conversation.View{Bot: bot, Phone: ukPhone, Now: turnNow})
		require.Len(t, res.Effects, 1)
		assert.Equal(t, conversation.Indonesian, res.Effects[0].(conversation.Handoff).Language)
	})
	t.Run("a language not offered is not chosen", func(t *testing.T) {
		b := *bot
		b.Languages = []string{conversation.English, conversation.Indonesian}
		res := conversation.Turn(conversation.State{}, tap(conversation.LanguageReplyID("it"), "Italiano"), conversation.View{Bot: &b, Phone: ukPhone, Now: turnNow})
		assert.Equal(t, conversation.StepAwaitLanguage, res.State.Step)
		assert.False(t, res.State.LangChosen)
		require.Len(t, res.Replies, 1)
		assert.Len(t, res.Replies[0].Interactive.Sections[0].Rows, 2)
	})
}

// A reply's key derives from the customer's message and its place, so a
// message answered again sends the same messages, not new ones.
func TestTurnReplyKeys(t *testing.T) {
	bot := testBot(t)
	view := conversation.View{Bot: bot, Phone: ukPhone, Member: dewi(), Now: turnNow}
	res := conversation.Turn(conversation.State{}, text("invite"), view)
	require.Len(t, res.Replies, 2)
	for i, r := range res.Replies {
		assert.Equal(t, event.DerivedID("msg_", "acme", "bot", "wamid.1", strconv.Itoa(i)), r.Key)
	}
	again := conversation.Turn(conversation.State{}, text("invite"), view)
	assert.Equal(t, res.Replies, again.Replies)
}

// Never more misunderstandings than the handoff takes, and none counted
// when the tenant hands over never.
func TestTurnMisunderstandings(t *testing.T) {
	bot := testBot(t)
	for _, after := range []int{-1, 1, 3} {
		t.Run(strconv.Itoa(after), func(t *testing.T) {
			b := *bot
			b.HandoffAfter = after
			s := conversation.State{}
			handoffs := 0
			for i := range 7 {
				res := conversation.Turn(s, text("qwertyuiop"), conversation.View{Bot: &b, Phone: ukPhone, Now: turnNow})
				s = res.State
				if s.InHandoff(turnNow) {
					handoffs++
					s.HandoffUntil, s.HandoffReason = time.Time{}, "" // released
				}
				if after > 0 {
					assert.Less(t, s.Misunderstood, after, "message %d", i)
				}
			}
			want := map[int]int{-1: 0, 1: 7, 3: 2}[after]
			assert.Equal(t, want, handoffs)
		})
	}
}

// The rewards list holds what the member can redeem now and afford, ten at
// the most as WhatsApp allows, with names cut to fit a row.
func TestTurnRewardsList(t *testing.T) {
	bot := testBot(t)
	many := make([]loyalty.Reward, 12)
	for i := range many {
		many[i] = loyalty.Reward{ID: "r" + strconv.Itoa(i), Name: "Reward number " + strconv.Itoa(i) + " with a long name", Cost: int64(10 * (i + 1))}
	}
	tests := []struct {
		name    string
		rewards []loyalty.Reward
		tier    string
		want    string
	}{
		{"no rewards", nil, "Silver", "rewards_empty"},
		{"none for this member now", bot.Rewards[2:], "Silver", "rewards_empty"},
		{"a level's own reward", bot.Rewards[2:], " gold", "[list] rewards_intro 1,250 | rewards_button | §rewards_section | reward:lounge=Lounge/50"},
		{
			"ten at the most", many, "",
			"[list] rewards_intro 1,250 | rewards_button | §rewards_section | " +
				"reward:r0=Reward number 0 with a …/10 | reward:r1=Reward number 1 with a …/20 | reward:r2=Reward number 2 with a …/30 | " +
				"reward:r3=Reward number 3 with a …/40 | reward:r4=Reward number 4 with a …/50 | reward:r5=Reward number 5 with a …/60 | " +
				"reward:r6=Reward number 6 with a …/70 | reward:r7=Reward number 7 with a …/80 | reward:r8=Reward number 8 with a …/90 | " +
				"reward:r9=Reward number 9 with a …/100",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := *bot
			b.Rewards = tt.rewards
			m := dewi()
			m.Tier = tt.tier
			res := conversation.Turn(conversation.State{}, text("rewards"), conversation.View{Bot: &b, Phone: ukPhone, Member: m, Now: turnNow})
			assert.Equal(t, []string{tt.want}, shown(res.Replies))
		})
	}
}

// Whatever a customer writes or taps, at whatever step, the turn keeps
// WhatsApp's limits, waits for one answer at the most and, given it,
// answers.
func FuzzTurn(f *testing.F) {
	for _, s := range []string{"KOPI ABC12345 QR", "poin saya", "STOP", "yes", "hadiah", "language", "qwertyuiop", ""} {
		f.Add(s, "", "", false)
	}
	for _, id := range []string{conversation.ReplyConsentYes, conversation.RewardReplyID("latte"), conversation.ConfirmReplyID("cake"),
		conversation.CancelReplyID("x"), conversation.LanguageReplyID("ar"), conversation.MenuReplyID(conversation.KindRefer), "reward:"} {
		f.Add("", id, "", true)
	}
	f.Add("ya", "", string(conversation.StepAwaitConsent), false)
	f.Add("evet", "", string(conversation.StepAwaitConfirm), true)
	bot := testBot(f)
	bot.Catalog = conversation.DefaultCatalog()
	f.Fuzz(func(t *testing.T, text, replyID, step string, member bool) {
		v := conversation.View{Bot: bot, Phone: "+6281234567001", Now: turnNow}
		if member {
			v.Member = dewi()
		}
		s := conversation.State{Step: conversation.Step(step), RewardID: "cake", Misunderstood: 2}
		res := conversation.Turn(s, conversation.Message{ID: "wamid.1", Type: "interactive", Sent: turnSent, Text: text, ReplyID: replyID}, v)
		switch p := res.Pending.(type) {
		case nil:
		case conversation.Join:
			res = res.Joined(conversation.JoinAnswer{MemberID: "m2", Points: 50, Balance: 50})
		case conversation.Redeem:
			res = res.Redeemed(conversation.RedeemAnswer{Code: "C0DE"})
		case conversation.ReadAccount:
			res = res.WithAccount(conversation.Account{})
		default:
			t.Fatalf("waits for %T", p)
		}
		if text == "" && replyID == "" {
			require.False(t, res.Save, "an empty tap is no conversation")
			return
		}
		require.True(t, res.Save)
		require.Equal(t, "wamid.1", res.State.LastMessageID)
		require.NotEmpty(t, res.Replies)
		for _, r := range res.Replies {
			require.NotEmpty(t, r.Key)
			if r.Interactive == nil {
				require.LessOrEqual(t, utf8.RuneCountInString(r.Text), 4096)
				continue
			}
			require.LessOrEqual(t, utf8.RuneCountInString(r.Interactive.Body), conversation.MaxInteractiveBody)
			for _, b := range r.Interactive.Buttons {
				require.LessOrEqual(t, utf8.RuneCountInString(b.Title), conversation.MaxButtonTitle)
			}
			for _, sec := range r.Interactive.Sections {
				require.LessOrEqual(t, len(sec.Rows), 10)
				for _, row := range sec.Rows {
					require.LessOrEqual(t, utf8.RuneCountInString(row.Title), conversation.MaxRowTitle)
				}
			}
		}
	})
}
