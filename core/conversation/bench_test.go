package conversation_test

import (
	"testing"
	"time"

	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/loyalty"
)

func BenchmarkParse(b *testing.B) {
	kw, err := conversation.DefaultKeywords().WithJoinKeyword("KOPI")
	if err != nil {
		b.Fatal(err)
	}
	for _, bm := range []struct {
		name string
		in   conversation.Input
	}{
		{"exact", conversation.Input{Text: "poin saya"}},
		{"join", conversation.Input{Text: "KOPI ABC12345 QR"}},
		{"typo", conversation.Input{Text: "pionts"}},
		{"arabic", conversation.Input{Text: "إلغاء الاشتراك"}},
		{"unknown", conversation.Input{Text: "hello, where is my order from last tuesday? it has not arrived"}},
		{"reply", conversation.Input{ReplyID: conversation.ConfirmReplyID("latte"), Text: "Yes, redeem"}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				conversation.Parse(bm.in, kw)
			}
		})
	}
}

// BenchmarkTurn measures the bot's decision for one message, without the
// store: reading it, choosing the language and writing the replies.
func BenchmarkTurn(b *testing.B) {
	kw, err := conversation.DefaultKeywords().WithJoinKeyword("KOPI")
	if err != nil {
		b.Fatal(err)
	}
	bot := &conversation.Bot{
		Tenant: "acme", Catalog: conversation.DefaultCatalog(), Keywords: kw,
		JoinKeyword: "KOPI", Brand: "Kopi Kita", DefaultLanguage: conversation.English,
		Languages: conversation.Languages(), HandoffAfter: 3, HandoffTimeout: 24 * time.Hour, Location: time.UTC,
		Rewards: []loyalty.Reward{{ID: "latte", Name: "Latte", Cost: 100}, {ID: "cake", Name: "Cake", Cost: 500}},
	}
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	member := &conversation.Member{ID: "m1", Name: "Dewi", Balance: 1250, Tier: "Silver"}
	for _, bm := range []struct {
		name string
		text string
	}{
		{"menu", "menu"},
		{"rewards", "hadiah"},
		{"unknown", "hello, where is my order from last tuesday? it has not arrived"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			msg := conversation.Message{ID: "wamid.1", Type: "text", Sent: now, Text: bm.text}
			view := conversation.View{Bot: bot, Phone: "+6281234567001", Member: member, Now: now}
			b.ReportAllocs()
			for b.Loop() {
				conversation.Turn(conversation.State{}, msg, view)
			}
		})
	}
}
