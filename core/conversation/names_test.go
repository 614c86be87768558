package conversation_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/loyalty"
)

func TestLocalName(t *testing.T) {
	names := map[string]string{"id": "Kopi gratis", "tr": "  ", "ar": "قهوة مجانية"}
	tests := []struct {
		lang, want string
	}{
		{"id", "Kopi gratis"},
		{"ar", "قهوة مجانية"},
		{"tr", "Free coffee"}, // blank: the default
		{"it", "Free coffee"}, // none
		{"en", "Free coffee"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			assert.Equal(t, tt.want, conversation.LocalName(names, tt.lang, "Free coffee"))
		})
	}
	assert.Equal(t, "Gold", conversation.LocalName(nil, "id", "Gold"))
}

func TestLedgerReason(t *testing.T) {
	c := conversation.DefaultCatalog()
	tests := []struct {
		name string
		lang string
		line conversation.LedgerLine
		want string
	}{
		{"rule with a name", "id", conversation.LedgerLine{Kind: loyalty.EntryEarn, Points: 25, Rule: "purchase", RuleName: "Belanja"}, "Belanja"},
		{"rule without a name", "id", conversation.LedgerLine{Kind: loyalty.EntryEarn, Points: 25, Rule: "purchase"}, "Poin didapat"},
		{"held with a name", "tr", conversation.LedgerLine{Kind: loyalty.EntryPending, Rule: "purchase", RuleName: "Alışveriş"}, "Alışveriş"},
		{"held", "tr", conversation.LedgerLine{Kind: loyalty.EntryPending, Rule: "purchase"}, "Bekleyen puan"},
		{"referral", "it", conversation.LedgerLine{Kind: loyalty.EntryEarn, Points: 50, Rule: loyalty.RuleReferral}, "Bonus invita un amico"},
		{"challenge", "en", conversation.LedgerLine{Kind: loyalty.EntryEarn, Points: 50, Rule: "challenge:five-visits"}, "Challenge completed"},
		{"challenge with a name", "id", conversation.LedgerLine{Kind: loyalty.EntryEarn, Points: 50, Rule: "challenge:five-visits", RuleName: "Lima kunjungan"}, "Lima kunjungan"},
		{"activated", "id", conversation.LedgerLine{Kind: loyalty.EntryActivate, Points: 25}, "Poin sudah bisa dipakai"},
		{"redeemed", "id", conversation.LedgerLine{Kind: loyalty.EntryRedeem, Points: -50, Reward: "Kopi gratis"}, "Tukar: Kopi gratis"},
		{"released", "id", conversation.LedgerLine{Kind: loyalty.EntryRedeem, Points: 50, Reward: "Kopi gratis"}, "Poin dikembalikan: Kopi gratis"},
		{"redeemed in Arabic", "ar", conversation.LedgerLine{Kind: loyalty.EntryRedeem, Points: -50, Reward: "Latte"}, "استبدال: " + conversation.Isolate("Latte")},
		{"reversed", "it", conversation.LedgerLine{Kind: loyalty.EntryReverse, Points: -25}, "Reso o annullamento"},
		{"expired", "tr", conversation.LedgerLine{Kind: loyalty.EntryExpire, Points: -10}, "Süresi dolan puan"},
		{"adjusted", "en", conversation.LedgerLine{Kind: loyalty.EntryAdjust, Points: 5}, "Adjusted by our team"},
		{"merged", "id", conversation.LedgerLine{Kind: loyalty.EntryMerge}, "Akun Anda digabung menjadi satu"},
		{"a kind added later", "en", conversation.LedgerLine{Kind: "bonus", Points: 5}, "Adjusted by our team"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, c.LedgerReason(tt.lang, tt.line))
		})
	}
}
