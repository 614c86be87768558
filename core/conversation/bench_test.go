package conversation_test

import (
	"testing"

	"github.com/loyalhub/loyalhub/core/conversation"
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
