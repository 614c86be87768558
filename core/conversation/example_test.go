package conversation_test

import (
	"fmt"
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
