package conversation_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/conversation"
)

func ExampleParse() {
	kw, err := conversation.DefaultKeywords().WithJoinKeyword("KOPI")
	if err != nil {
		panic(err)
	}
	for _, msg := range []conversation.Input{
		{Text: "KOPI ABC12345 QR"},
		{Text: "poin saya"},
		{Text: "pionts"},
		{Text: "STOP"},
		{Text: "evet", Expect: conversation.ExpectConsent},
		{Text: "Free latte", ReplyID: conversation.RewardReplyID("latte")},
		{Text: "where is my order?"},
		{Text: "kopi saya belum datang"},
		{Text: "saya mau bicara dengan admin"},
	} {
		it := conversation.Parse(msg, kw)
		fmt.Printf("%-20q %s lang=%q code=%q source=%q reward=%q\n", msg.Text, it.Kind, it.Lang, it.ReferralCode, it.Source, it.RewardID)
	}
	// Output:
	// "KOPI ABC12345 QR"   join lang="" code="ABC12345" source="qr" reward=""
	// "poin saya"          points lang="id" code="" source="" reward=""
	// "pionts"             points lang="en" code="" source="" reward=""
	// "STOP"               stop lang="" code="" source="" reward=""
	// "evet"               consent_yes lang="tr" code="" source="" reward=""
	// "Free latte"         redeem lang="" code="" source="" reward="latte"
	// "where is my order?" unknown lang="" code="" source="" reward=""
	// "kopi saya belum datang" unknown lang="" code="" source="" reward=""
	// "saya mau bicara dengan admin" agent lang="id" code="" source="" reward=""
}

func ExampleCatalog_Text() {
	c := conversation.DefaultCatalog()
	for _, lang := range []string{conversation.Indonesian, conversation.Arabic} {
		text := c.Text(lang, conversation.MsgPointsSummary, map[string]string{
			"balance": conversation.FormatPoints(lang, 1250),
			"pending": conversation.FormatPoints(lang, 80),
		})
		fmt.Printf("%q\n", text)
	}
	// Output:
	// "Poin kamu: *1.250* (tertunda: 80)."
	// "رصيدك: \u20681,250\u2069 نقطة (قيد الإضافة: \u206880\u2069)."
}

func ExampleJoinLink() {
	text := conversation.JoinText("KOPI", "ABC12345", conversation.SourceQR)
	fmt.Println(text)
	fmt.Println(conversation.JoinLink("+62 812-3456-7890", text))
	// Output:
	// KOPI ABC12345 QR
	// https://wa.me/6281234567890?text=KOPI%20ABC12345%20QR
}

func ExampleChooseLanguage() {
	// No choice and no keyword language ("STOP" is shared): the phone's
	// country decides.
	fmt.Println(conversation.ChooseLanguage("", "", "+905321234567", "en", nil))
	// Turkish is not offered by this tenant: its default.
	fmt.Println(conversation.ChooseLanguage("", "", "+905321234567", "id", []string{"en", "id"}))
	// Output:
	// tr
	// id
}

func ExampleReceive() {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, m := range []struct {
		typ  string
		sent time.Time
	}{
		{"text", now.Add(-time.Minute)},
		{"request_welcome", now},
		{"reaction", now},
		{"location", now},
		{"text", now.Add(-30 * time.Hour)},
	} {
		fmt.Println(m.typ, conversation.Receive(conversation.Received{Type: m.typ, Sent: m.sent}, now))
	}
	// Output:
	// text answer
	// request_welcome welcome
	// reaction ignore
	// location ignore
	// text stale
}

func ExampleCatalog_LedgerReason() {
	c := conversation.DefaultCatalog()
	names := map[string]string{"id": "Kopi gratis"}
	fmt.Println(c.LedgerReason("id", conversation.LedgerLine{
		Kind: "redeem", Points: -50, Reward: conversation.LocalName(names, "id", "Free coffee")}))
	fmt.Println(c.LedgerReason("en", conversation.LedgerLine{
		Kind: "redeem", Points: -50, Reward: conversation.LocalName(names, "en", "Free coffee")}))
	fmt.Println(c.LedgerReason("tr", conversation.LedgerLine{Kind: "earn", Points: 25, Rule: "spend"}))
	// Output:
	// Tukar: Kopi gratis
	// Redeemed: Free coffee
	// Kazanılan puan
}

func ExampleTurn() {
	kw, err := conversation.DefaultKeywords().WithJoinKeyword("KOPI")
	if err != nil {
		panic(err)
	}
	bot := &conversation.Bot{
		Tenant: "acme", Catalog: conversation.DefaultCatalog(), Keywords: kw,
		JoinKeyword: "KOPI", Brand: "Kopi Kita", DefaultLanguage: conversation.English,
		Languages: conversation.Languages(), HandoffAfter: 3, HandoffTimeout: 24 * time.Hour, Location: time.UTC,
	}
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	view := conversation.View{Bot: bot, Phone: "+447700900123", Now: now}

	// The customer writes the join keyword: the bot asks for consent.
	res := conversation.Turn(conversation.State{}, conversation.Message{ID: "wamid.1", Type: "text", Sent: now, Text: "KOPI"}, view)
	fmt.Println(res.State.Step, res.Replies[0].Kind, res.Replies[0].Interactive.Buttons[0].ID)

	// They tap yes: consent is recorded, and the join waits for the store.
	res = conversation.Turn(res.State, conversation.Message{ID: "wamid.2", Type: "interactive", Sent: now, ReplyID: conversation.ReplyConsentYes}, view)
	fmt.Printf("%T %T\n", res.Effects[0], res.Pending)
	res = res.Joined(conversation.JoinAnswer{MemberID: "m1", Points: 50, Balance: 50})
	fmt.Println(res.Replies[0].Text[:strings.Index(res.Replies[0].Text, "\n")])
	// Output:
	// await_consent buttons consent:yes
	// conversation.SetConsent conversation.Join
	// Great, you'll get our offers here. Write *STOP* anytime to opt out.
}
