package conversation_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/conversation"
)

// Shorthands for tables.
type (
	in     = conversation.Input
	intent = conversation.Intent
)

// parseCase is a message and what Parse must read in it.
type parseCase struct {
	text string
	want intent
}

// checkParse checks each case with kw, as a subtest named by its text.
func checkParse(t *testing.T, kw conversation.Keywords, tests []parseCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			assert.Equal(t, tt.want, conversation.Parse(in{Text: tt.text}, kw))
		})
	}
}

func TestParseKeywords(t *testing.T) {
	kw := conversation.DefaultKeywords()
	tests := []parseCase{
		// English.
		{"points", intent{Kind: conversation.KindPoints, Lang: "en"}},
		{"My Points!", intent{Kind: conversation.KindPoints, Lang: "en"}},
		{"pionts", intent{Kind: conversation.KindPoints, Lang: "en"}},
		{"balance please", intent{Kind: conversation.KindPoints, Lang: "en"}},
		{"rewards", intent{Kind: conversation.KindRewards, Lang: "en"}},
		{"rewrds", intent{Kind: conversation.KindRewards, Lang: "en"}},
		{"catalogue", intent{Kind: conversation.KindRewards, Lang: "en"}},
		{"invite", intent{Kind: conversation.KindRefer, Lang: "en"}},
		{"refer a friend", intent{Kind: conversation.KindRefer, Lang: "en"}},
		{"unsubscribe", intent{Kind: conversation.KindStop, Lang: "en"}},
		{"resume", intent{Kind: conversation.KindStart, Lang: "en"}},
		{"hey", intent{Kind: conversation.KindHelp, Lang: "en"}},
		{"good morning", intent{Kind: conversation.KindHelp, Lang: "en"}},
		{"custmer service", intent{Kind: conversation.KindAgent}}, // en and id
		{"human", intent{Kind: conversation.KindAgent, Lang: "en"}},
		{"language", intent{Kind: conversation.KindLanguage, Lang: "en"}},
		{"sign up", intent{Kind: conversation.KindJoin, Lang: "en"}},
		// Indonesian.
		{"poin saya", intent{Kind: conversation.KindPoints, Lang: "id"}},
		{"poinn", intent{Kind: conversation.KindPoints, Lang: "id"}},
		{"cek poin dong", intent{Kind: conversation.KindPoints, Lang: "id"}},
		{"hadiahh", intent{Kind: conversation.KindRewards, Lang: "id"}},
		{"tukar poin", intent{Kind: conversation.KindRewards, Lang: "id"}},
		{"ajak teman", intent{Kind: conversation.KindRefer, Lang: "id"}},
		{"berhenti", intent{Kind: conversation.KindStop, Lang: "id"}},
		{"MULAI", intent{Kind: conversation.KindStart, Lang: "id"}},
		{"halo kak", intent{Kind: conversation.KindHelp, Lang: "id"}},
		{"Assalamu'alaikum", intent{Kind: conversation.KindHelp, Lang: "id"}},
		{"petugas", intent{Kind: conversation.KindAgent, Lang: "id"}},
		{"gabung", intent{Kind: conversation.KindJoin, Lang: "id"}},
		{"daftarr", intent{Kind: conversation.KindJoin, Lang: "id"}},
		{"bahasa", intent{Kind: conversation.KindLanguage, Lang: "id"}},
		// Turkish.
		{"PUANIM", intent{Kind: conversation.KindPoints, Lang: "tr"}},
		{"puanım ne kadar", intent{Kind: conversation.KindPoints, Lang: "tr"}},
		{"ödüller", intent{Kind: conversation.KindRewards, Lang: "tr"}},
		{"odullr", intent{Kind: conversation.KindRewards, Lang: "tr"}},
		{"davet et", intent{Kind: conversation.KindRefer, Lang: "tr"}},
		{"RET", intent{Kind: conversation.KindStop, Lang: "tr"}},
		{"BAŞLA", intent{Kind: conversation.KindStart, Lang: "tr"}},
		{"merhaba", intent{Kind: conversation.KindHelp, Lang: "tr"}},
		{"müşteri hizmetleri", intent{Kind: conversation.KindAgent, Lang: "tr"}},
		{"Katıl", intent{Kind: conversation.KindJoin, Lang: "tr"}},
		{"KATIL", intent{Kind: conversation.KindJoin, Lang: "tr"}},
		{"üye ol", intent{Kind: conversation.KindJoin, Lang: "tr"}},
		{"DİL", intent{Kind: conversation.KindLanguage, Lang: "tr"}},
		// Italian.
		{"punti", intent{Kind: conversation.KindPoints, Lang: "it"}},
		{"i miei punti", intent{Kind: conversation.KindPoints, Lang: "it"}},
		{"catalogo", intent{Kind: conversation.KindRewards, Lang: "it"}},
		{"premii", intent{Kind: conversation.KindRewards, Lang: "it"}},
		{"invita un amico", intent{Kind: conversation.KindRefer, Lang: "it"}},
		{"basta", intent{Kind: conversation.KindStop, Lang: "it"}},
		{"riprendi", intent{Kind: conversation.KindStart, Lang: "it"}},
		{"ciao", intent{Kind: conversation.KindHelp, Lang: "it"}},
		{"operatore", intent{Kind: conversation.KindAgent, Lang: "it"}},
		{"iscrivimi", intent{Kind: conversation.KindJoin, Lang: "it"}},
		{"iscriviti", intent{Kind: conversation.KindJoin, Lang: "it"}},
		{"unisciti", intent{Kind: conversation.KindJoin, Lang: "it"}},
		{"lingua", intent{Kind: conversation.KindLanguage, Lang: "it"}},
		// Arabic.
		{"نقاطي", intent{Kind: conversation.KindPoints, Lang: "ar"}},
		{"رصيدي؟", intent{Kind: conversation.KindPoints, Lang: "ar"}},
		{"مكافآت", intent{Kind: conversation.KindRewards, Lang: "ar"}},
		{"مكافات", intent{Kind: conversation.KindRewards, Lang: "ar"}},
		{"دعوة", intent{Kind: conversation.KindRefer, Lang: "ar"}},
		{"إلغاء الاشتراك", intent{Kind: conversation.KindStop, Lang: "ar"}},
		{"ابدأ", intent{Kind: conversation.KindStart, Lang: "ar"}},
		{"السلام عليكم", intent{Kind: conversation.KindHelp, Lang: "ar"}},
		{"مرحبًا", intent{Kind: conversation.KindHelp, Lang: "ar"}},
		{"خدمة العملاء", intent{Kind: conversation.KindAgent, Lang: "ar"}},
		{"انضم", intent{Kind: conversation.KindJoin, Lang: "ar"}},
		{"اشتراك", intent{Kind: conversation.KindJoin, Lang: "ar"}},
		{"تسجيل", intent{Kind: conversation.KindJoin, Lang: "ar"}},
		{"لغة", intent{Kind: conversation.KindLanguage, Lang: "ar"}},
		// Shared by several languages: no language.
		{"STOP", intent{Kind: conversation.KindStop}},
		{"menu", intent{Kind: conversation.KindHelp}},
		{"info", intent{Kind: conversation.KindHelp}},
		{"saldo", intent{Kind: conversation.KindPoints}},
		{"start", intent{Kind: conversation.KindStart}},
		{"join", intent{Kind: conversation.KindJoin}},
		{"point", intent{Kind: conversation.KindPoints}}, // a loanword in Indonesian
		{"HELP", intent{Kind: conversation.KindHelp}},
		{"hi", intent{Kind: conversation.KindHelp}},
		{"Hiii", intent{Kind: conversation.KindHelp}},
		{"helo", intent{Kind: conversation.KindHelp}},
		{"admin", intent{Kind: conversation.KindAgent}},
		{"OK", intent{Kind: conversation.KindUnknown}},
		// A greeting gives way to the request after it.
		{"hi, my points", intent{Kind: conversation.KindPoints, Lang: "en"}},
		{"halo, stop", intent{Kind: conversation.KindStop, Lang: "id"}},
		{"ciao! premi", intent{Kind: conversation.KindRewards, Lang: "it"}},
		{"mau tukar poin", intent{Kind: conversation.KindRewards, Lang: "id"}},
		// So does a join word not followed by a code.
		{"daftar hadiah", intent{Kind: conversation.KindRewards, Lang: "id"}},
		// Stop, start and yes are never guessed.
		{"stok", intent{Kind: conversation.KindUnknown}},
		{"pasta", intent{Kind: conversation.KindUnknown}},
		{"stars", intent{Kind: conversation.KindUnknown}},
		{"stooop", intent{Kind: conversation.KindStop}},
		// Unknown.
		{"", intent{Kind: conversation.KindUnknown}},
		{"👍", intent{Kind: conversation.KindUnknown}},
		{"where is my order?", intent{Kind: conversation.KindUnknown}},
		{"pin", intent{Kind: conversation.KindUnknown}},
		{"points are not added for my order last week", intent{Kind: conversation.KindUnknown, Lang: "en"}},
		{"yes", intent{Kind: conversation.KindUnknown, Lang: "en"}},
		{"ya", intent{Kind: conversation.KindUnknown, Lang: "id"}},
	}
	checkParse(t, kw, tests)
}

// TestParseTypos: a typo is forgiven in a word of five letters or more,
// word by word; shorter words, and words joined or split, are not guessed.
func TestParseTypos(t *testing.T) {
	kw := conversation.DefaultKeywords()
	tests := []parseCase{
		{"pionts", intent{Kind: conversation.KindPoints, Lang: "en"}},         // a swap, 6 letters
		{"balanse", intent{Kind: conversation.KindPoints, Lang: "en"}},        // a substitution, 7 letters
		{"catalouge", intent{Kind: conversation.KindRewards, Lang: "en"}},     // two edits, 9 letters
		{"hadiahnya", intent{Kind: conversation.KindUnknown}},                 // three letters more
		{"refrral", intent{Kind: conversation.KindRefer}},                     // en and id
		{"custmer servise", intent{Kind: conversation.KindAgent}},             // one edit in each word
		{"ajak temen", intent{Kind: conversation.KindRefer, Lang: "id"}},      // "teman", 5 letters
		{"registrasii", intent{Kind: conversation.KindJoin, Lang: "id"}},      // repeated letters
		{"puanlarim", intent{Kind: conversation.KindPoints, Lang: "tr"}},      // accents folded, exact
		{"puanlarm", intent{Kind: conversation.KindPoints, Lang: "tr"}},       // a deletion, 8 letters
		{"iscrivti", intent{Kind: conversation.KindJoin, Lang: "it"}},         // a deletion
		{"مكافئات", intent{Kind: conversation.KindRewards, Lang: "ar"}},       // a substitution
		{"kopi saya", intent{Kind: conversation.KindUnknown}},                 // "kode saya": 4 letters
		{"kode sya", intent{Kind: conversation.KindUnknown}},                  // "saya": 4 letters
		{"poim", intent{Kind: conversation.KindUnknown}},                      // "poin": 4 letters
		{"ajak", intent{Kind: conversation.KindRefer, Lang: "id"}},            // exact
		{"ajek", intent{Kind: conversation.KindUnknown}},                      // 4 letters
		{"myponts", intent{Kind: conversation.KindUnknown}},                   // "my points": words joined
		{"invitefriends", intent{Kind: conversation.KindUnknown}},             // words joined
		{"ajakteman", intent{Kind: conversation.KindUnknown}},                 // words joined
		{"tu kar poin", intent{Kind: conversation.KindUnknown}},               // a word split
		{"my pointss", intent{Kind: conversation.KindPoints, Lang: "en"}},     // repeated letters
		{"cek poinn dong", intent{Kind: conversation.KindPoints, Lang: "id"}}, // repeated letters, a word after
	}
	checkParse(t, kw, tests)
}

// TestParseSentences: how many words a keyword may open, and what the
// tenant's join keyword and greetings take.
func TestParseSentences(t *testing.T) {
	kw, err := conversation.DefaultKeywords().WithJoinKeyword("KOPI")
	require.NoError(t, err)
	tests := []parseCase{
		{"points please", intent{Kind: conversation.KindPoints, Lang: "en"}},
		{"puanım ne kadar", intent{Kind: conversation.KindPoints, Lang: "tr"}},
		{"poin saya berapa kak", intent{Kind: conversation.KindPoints, Lang: "id"}},
		{"hediye kartı satıyor musunuz", intent{Kind: conversation.KindUnknown, Lang: "tr"}},
		// A greeting takes one word; with a question it is a question.
		{"halo kak", intent{Kind: conversation.KindHelp, Lang: "id"}},
		{"hi there", intent{Kind: conversation.KindHelp}},
		{"selamat pagi kak", intent{Kind: conversation.KindHelp, Lang: "id"}},
		{"merhaba, bugün açık mısınız", intent{Kind: conversation.KindUnknown, Lang: "tr"}},
		{"info jam buka", intent{Kind: conversation.KindUnknown}},
		// It gives way to a keyword after it, or after one word more.
		{"halo kak, poin saya", intent{Kind: conversation.KindPoints, Lang: "id"}},
		{"ciao a tutti, premi", intent{Kind: conversation.KindUnknown, Lang: "it"}},
		{"hello again, rewards please", intent{Kind: conversation.KindRewards, Lang: "en"}},
		// The tenant's join keyword joins alone or as JoinText writes it.
		{"KOPI", intent{Kind: conversation.KindJoin}},
		{"kopi!", intent{Kind: conversation.KindJoin}},
		{"KOPI ABC12345 QR", intent{Kind: conversation.KindJoin, ReferralCode: "ABC12345", Source: "qr"}},
		{"kopi saya dingin", intent{Kind: conversation.KindUnknown}},
		{"kopi susu satu", intent{Kind: conversation.KindUnknown}},
		{"kopi ABC12345 tolong", intent{Kind: conversation.KindUnknown}},
		// A language's join words take filler words only.
		{"daftar sekarang", intent{Kind: conversation.KindJoin, Lang: "id"}},
		{"daftar dong kak", intent{Kind: conversation.KindJoin, Lang: "id"}},
		{"ikut member", intent{Kind: conversation.KindJoin, Lang: "id"}},
		{"join now please ABC12345", intent{Kind: conversation.KindJoin, ReferralCode: "ABC12345"}},
		{"join the program", intent{Kind: conversation.KindJoin}},
		{"daftar harga", intent{Kind: conversation.KindUnknown, Lang: "id"}}, // a price list
		{"ikut nanya dong", intent{Kind: conversation.KindUnknown}},
		{"join the waitlist for the new store", intent{Kind: conversation.KindUnknown}},
		// A start word takes filler words only: it is consent.
		{"mulai lagi", intent{Kind: conversation.KindStart, Lang: "id"}},
		{"start again please", intent{Kind: conversation.KindStart}},
		{"riprendi per favore", intent{Kind: conversation.KindStart, Lang: "it"}},
		{"mulai jam berapa", intent{Kind: conversation.KindUnknown, Lang: "id"}},
		{"start time?", intent{Kind: conversation.KindUnknown}},
		// A stop word takes two words more, as other keywords.
		{"stop sending promos", intent{Kind: conversation.KindStop}},
	}
	checkParse(t, kw, tests)
}

func TestParseAnswers(t *testing.T) {
	kw := conversation.DefaultKeywords()
	tests := []struct {
		text   string
		expect conversation.Expect
		want   intent
	}{
		{"yes", conversation.ExpectConsent, intent{Kind: conversation.KindConsentYes, Lang: "en"}},
		{"Yesss!", conversation.ExpectConsent, intent{Kind: conversation.KindConsentYes, Lang: "en"}},
		{"ok", conversation.ExpectConsent, intent{Kind: conversation.KindConsentYes}},
		{"iya", conversation.ExpectConsent, intent{Kind: conversation.KindConsentYes, Lang: "id"}},
		{"evet", conversation.ExpectConsent, intent{Kind: conversation.KindConsentYes, Lang: "tr"}},
		{"sì", conversation.ExpectConsent, intent{Kind: conversation.KindConsentYes, Lang: "it"}},
		{"نعم", conversation.ExpectConsent, intent{Kind: conversation.KindConsentYes, Lang: "ar"}},
		{"no thanks", conversation.ExpectConsent, intent{Kind: conversation.KindConsentNo, Lang: "en"}},
		{"no", conversation.ExpectConsent, intent{Kind: conversation.KindConsentNo}}, // en and it
		{"gak", conversation.ExpectConsent, intent{Kind: conversation.KindConsentNo, Lang: "id"}},
		{"Hayır", conversation.ExpectConsent, intent{Kind: conversation.KindConsentNo, Lang: "tr"}},
		{"لا", conversation.ExpectConsent, intent{Kind: conversation.KindConsentNo, Lang: "ar"}},
		{"yes", conversation.ExpectConfirm, intent{Kind: conversation.KindConfirm, Lang: "en"}},
		{"tamam", conversation.ExpectConfirm, intent{Kind: conversation.KindConfirm, Lang: "tr"}},
		{"batal", conversation.ExpectConfirm, intent{Kind: conversation.KindCancel, Lang: "id"}},
		{"annulla", conversation.ExpectConfirm, intent{Kind: conversation.KindCancel, Lang: "it"}},
		{"yes", conversation.ExpectLanguage, intent{Kind: conversation.KindUnknown, Lang: "en"}},
		// Other keywords still count while a question waits.
		{"points", conversation.ExpectConsent, intent{Kind: conversation.KindPoints, Lang: "en"}},
		{"stop", conversation.ExpectConfirm, intent{Kind: conversation.KindStop}},
		// A yes that answers goes first; one that answers nothing gives way.
		{"ok points", conversation.ExpectConsent, intent{Kind: conversation.KindConsentYes}},
		{"ok points", conversation.ExpectNothing, intent{Kind: conversation.KindPoints, Lang: "en"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.expect)+"/"+tt.text, func(t *testing.T) {
			assert.Equal(t, tt.want, conversation.Parse(in{Text: tt.text, Expect: tt.expect}, kw))
		})
	}
}

func TestParseJoin(t *testing.T) {
	kw, err := conversation.DefaultKeywords().WithJoinKeyword("KOPI")
	require.NoError(t, err)
	tests := []parseCase{
		{"join", intent{Kind: conversation.KindJoin}},
		{"JOIN ABC12345", intent{Kind: conversation.KindJoin, ReferralCode: "ABC12345"}},
		{"join abc12345 qr", intent{Kind: conversation.KindJoin, ReferralCode: "ABC12345", Source: "qr"}},
		{"JOIN ABC12345 AD", intent{Kind: conversation.KindJoin, ReferralCode: "ABC12345", Source: "ad"}},
		{"JOIN QR", intent{Kind: conversation.KindJoin, Source: "qr"}},
		{"join ABCD-2345", intent{Kind: conversation.KindJoin, ReferralCode: "ABCD2345"}},
		{"joinn ABC12345", intent{Kind: conversation.KindJoin, ReferralCode: "ABC12345"}},
		{"join ABC123", intent{Kind: conversation.KindJoin}}, // too short for a code
		{"join ZZZZZZZZ", intent{Kind: conversation.KindJoin, ReferralCode: "ZZZZZZZZ"}},
		{"join zzzzzzzz", intent{Kind: conversation.KindUnknown}}, // letters only: a word unless in capitals, as JoinText writes
		{"join ABC1234", intent{Kind: conversation.KindJoin}},     // a code written wrong: join without it
		{"KOPI 2", intent{Kind: conversation.KindUnknown}},
		{"daftar sekarang", intent{Kind: conversation.KindJoin, Lang: "id"}},
		{"join register", intent{Kind: conversation.KindJoin}}, // a keyword, not a code
		{"join ABC12345 XYZ98765", intent{Kind: conversation.KindJoin, ReferralCode: "ABC12345"}},
		{"daftar ABC12345", intent{Kind: conversation.KindJoin, Lang: "id", ReferralCode: "ABC12345"}},
		{"katıl ABC12345 qr", intent{Kind: conversation.KindJoin, Lang: "tr", ReferralCode: "ABC12345", Source: "qr"}},
		{"iscrivimi abc12345", intent{Kind: conversation.KindJoin, Lang: "it", ReferralCode: "ABC12345"}},
		{"انضم ABC12345", intent{Kind: conversation.KindJoin, Lang: "ar", ReferralCode: "ABC12345"}},
		{"انضم ٢٣٤٥٦٧٨٩", intent{Kind: conversation.KindJoin, Lang: "ar", ReferralCode: "23456789"}},
		{"KOPI", intent{Kind: conversation.KindJoin}},
		{"kopi ABC12345 QR", intent{Kind: conversation.KindJoin, ReferralCode: "ABC12345", Source: "qr"}},
		{"Hi! I'd like to join, my friend's code is ABC12345", intent{Kind: conversation.KindUnknown}},
	}
	checkParse(t, kw, tests)
}

func TestParseLanguage(t *testing.T) {
	kw := conversation.DefaultKeywords()
	tests := []struct {
		text   string
		expect conversation.Expect
		want   intent
	}{
		{"language", "", intent{Kind: conversation.KindLanguage, Lang: "en"}},
		{"change language", "", intent{Kind: conversation.KindLanguage, Lang: "en"}},
		{"language italiano", "", intent{Kind: conversation.KindLanguage, Lang: "en", Language: "it"}},
		{"language tr", "", intent{Kind: conversation.KindLanguage, Lang: "en", Language: "tr"}},
		{"bahasa inggris", "", intent{Kind: conversation.KindLanguage, Language: "en"}}, // a name alone
		{"ganti bahasa inggris", "", intent{Kind: conversation.KindLanguage, Lang: "id", Language: "en"}},
		{"dil değiştir", "", intent{Kind: conversation.KindLanguage, Lang: "tr"}},
		{"lingua inglese", "", intent{Kind: conversation.KindLanguage, Lang: "it", Language: "en"}},
		{"تغيير اللغة", "", intent{Kind: conversation.KindLanguage, Lang: "ar"}},
		{"اللغة العربية", "", intent{Kind: conversation.KindLanguage, Lang: "ar", Language: "ar"}},
		{"language klingon", "", intent{Kind: conversation.KindLanguage, Lang: "en"}},
		{"language is too hard for me here", "", intent{Kind: conversation.KindUnknown, Lang: "en"}},
		// A language's name alone.
		{"Italiano", "", intent{Kind: conversation.KindLanguage, Language: "it"}},
		{"bahasa indonesia", "", intent{Kind: conversation.KindLanguage, Language: "id"}},
		{"Türkçe", "", intent{Kind: conversation.KindLanguage, Language: "tr"}},
		{"turkce", "", intent{Kind: conversation.KindLanguage, Language: "tr"}},
		{"العربية", "", intent{Kind: conversation.KindLanguage, Language: "ar"}},
		{"englsh", "", intent{Kind: conversation.KindLanguage, Language: "en"}},
		// A code alone only answers the language question.
		{"tr", conversation.ExpectLanguage, intent{Kind: conversation.KindLanguage, Language: "tr"}},
		{"tr", "", intent{Kind: conversation.KindUnknown}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			assert.Equal(t, tt.want, conversation.Parse(in{Text: tt.text, Expect: tt.expect}, kw))
		})
	}
}

func TestParseReplyIDs(t *testing.T) {
	kw := conversation.DefaultKeywords()
	tests := []struct {
		name string
		in   in
		want intent
	}{
		{"consent yes", in{ReplyID: conversation.ReplyConsentYes, Text: "Yes, please"}, intent{Kind: conversation.KindConsentYes}},
		{"consent no", in{ReplyID: conversation.ReplyConsentNo, Text: "No, thanks"}, intent{Kind: conversation.KindConsentNo}},
		{"reward", in{ReplyID: conversation.RewardReplyID("latte"), Text: "Free latte"}, intent{Kind: conversation.KindRedeem, RewardID: "latte"}},
		{"reward id with colons", in{ReplyID: conversation.RewardReplyID("rw:2026:01")}, intent{Kind: conversation.KindRedeem, RewardID: "rw:2026:01"}},
		{"confirm", in{ReplyID: conversation.ConfirmReplyID("latte"), Text: "Yes, redeem"}, intent{Kind: conversation.KindConfirm, RewardID: "latte"}},
		{"cancel", in{ReplyID: conversation.CancelReplyID("latte"), Text: "Cancel"}, intent{Kind: conversation.KindCancel, RewardID: "latte"}},
		{"language", in{ReplyID: conversation.LanguageReplyID("ar"), Text: "العربية"}, intent{Kind: conversation.KindLanguage, Language: "ar"}},
		{"menu stop", in{ReplyID: conversation.MenuReplyID(conversation.KindStop), Text: "Stop promotions"}, intent{Kind: conversation.KindStop}},
		{"menu points", in{ReplyID: conversation.MenuReplyID(conversation.KindPoints)}, intent{Kind: conversation.KindPoints}},
		{"tap decides over text", in{ReplyID: conversation.ReplyConsentNo, Text: "yes", Expect: conversation.ExpectConsent}, intent{Kind: conversation.KindConsentNo}},
		{"unsupported language falls back to text", in{ReplyID: conversation.LanguageReplyID("fr"), Text: "Français"}, intent{Kind: conversation.KindUnknown}},
		{"menu of a kind without keyword", in{ReplyID: "menu:redeem", Text: "points"}, intent{Kind: conversation.KindPoints, Lang: "en"}},
		{"empty reward id", in{ReplyID: "reward:", Text: "rewards"}, intent{Kind: conversation.KindRewards, Lang: "en"}},
		{"other consent id", in{ReplyID: "consent:maybe"}, intent{Kind: conversation.KindUnknown}},
		{"foreign payload falls back to text", in{ReplyID: "PROMO_STOP", Text: "Stop promotions"}, intent{Kind: conversation.KindStop}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, conversation.Parse(tt.in, kw))
		})
	}
}

func TestParseAmbiguous(t *testing.T) {
	// "promo" meaning rewards in one language and stop in another cannot
	// be told apart: With refuses it.
	_, err := conversation.DefaultKeywords().With(map[string]map[string][]string{
		"it": {"rewards": {"promo"}},
		"tr": {"stop": {"promo"}},
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `tr.stop[0]: "promo" is already a rewards keyword in it`)

	// Words one edit from keywords of two intents are not guessed.
	kw, err := conversation.Keywords{}.With(map[string]map[string][]string{
		"en": {"points": {"cards"}, "rewards": {"carts"}},
	})
	require.NoError(t, err)
	assert.Equal(t, intent{Kind: conversation.KindUnknown}, conversation.Parse(in{Text: "carps"}, kw))
	assert.Equal(t, intent{Kind: conversation.KindPoints, Lang: "en"}, conversation.Parse(in{Text: "cards"}, kw))
}

func TestParseZeroKeywords(t *testing.T) {
	var kw conversation.Keywords
	assert.Equal(t, intent{Kind: conversation.KindUnknown}, conversation.Parse(in{Text: "points"}, kw))
	assert.Equal(t, intent{Kind: conversation.KindLanguage, Language: "it"}, conversation.Parse(in{Text: "italiano"}, kw))
	assert.Equal(t, intent{Kind: conversation.KindConsentYes}, conversation.Parse(in{ReplyID: conversation.ReplyConsentYes}, kw))
}

func TestKeywordsWith(t *testing.T) {
	base := conversation.DefaultKeywords()
	kw, err := base.With(map[string]map[string][]string{
		"id": {"points": {"Cek Saldo Kopi"}, "rewards": {"hadiah"}}, // a duplicate is fine
		"ar": {"agent": {"كلمني موظف"}},
	})
	require.NoError(t, err)
	assert.Equal(t, intent{Kind: conversation.KindPoints, Lang: "id"}, conversation.Parse(in{Text: "cek saldo kopi"}, kw))
	assert.Equal(t, intent{Kind: conversation.KindAgent, Lang: "ar"}, conversation.Parse(in{Text: "كلمني موظف"}, kw))
	assert.Contains(t, kw.Words("id", "points"), "cek saldo kopi")
	assert.NotContains(t, base.Words("id", "points"), "cek saldo kopi", "With changes a copy")

	tests := []struct {
		name      string
		overrides map[string]map[string][]string
		want      []string
	}{
		{"unknown language", map[string]map[string][]string{"fr": {"points": {"solde"}}}, []string{`fr: unknown language "fr"; languages are en, id, tr, it, ar`}},
		{"unknown intent", map[string]map[string][]string{"id": {"point": {"saldo"}}}, []string{`id.point: unknown keyword intent "point"; did you mean "points"?`}},
		{"empty word", map[string]map[string][]string{"tr": {"join": {"katıl", " ?! "}}}, []string{`tr.join[1]: empty keyword`}},
		{"too many words", map[string]map[string][]string{"en": {"help": {"what can i do here please"}}}, []string{`en.help[0]: keyword "what can i do here please" has more than 5 words`}},
		{"conflict", map[string]map[string][]string{"en": {"rewards": {"Saldo"}}}, []string{`en.rewards[0]: "Saldo" is already a points keyword in id`}},
		{"several, sorted", map[string]map[string][]string{
			"it": {"stop": {""}},
			"en": {"nope": {"x"}},
		}, []string{`en.nope: unknown keyword intent "nope"`, `it.stop[0]: empty keyword`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := base.With(tt.overrides)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			var oe *conversation.OverrideError
			require.True(t, errors.As(err, &oe))
		})
	}
}

func TestWithJoinKeyword(t *testing.T) {
	base := conversation.DefaultKeywords()
	kw, err := base.WithJoinKeyword("Kopi Kenangan")
	require.NoError(t, err)
	assert.Equal(t, intent{Kind: conversation.KindJoin, ReferralCode: "ABC12345"}, conversation.Parse(in{Text: "KOPI KENANGAN ABC12345"}, kw))
	for _, lang := range conversation.Languages() {
		assert.Contains(t, kw.Words(lang, "join"), "kopi kenangan", lang)
	}

	for _, word := range []string{"", "  ", "STOP", "poin"} {
		_, err := base.WithJoinKeyword(word)
		assert.Error(t, err, "%q", word)
	}
	_, err = base.WithJoinKeyword("STOP")
	assert.EqualError(t, err, `join keyword "STOP": "STOP" is already a stop keyword in en`)
}

func TestDefaultKeywordsCoverage(t *testing.T) {
	kw := conversation.DefaultKeywords()
	for _, lang := range conversation.Languages() {
		for _, intent := range conversation.KeywordIntents() {
			words := kw.Words(lang, intent)
			assert.GreaterOrEqual(t, len(words), 2, "%s %s: %v", lang, intent, words)
			for _, w := range words {
				got := conversation.Parse(in{Text: w, Expect: conversation.ExpectConsent}, kw)
				assert.NotEqual(t, conversation.KindUnknown, got.Kind, "%s %s %q", lang, intent, w)
				assert.Contains(t, []string{"", lang}, got.Lang, "%s %s %q", lang, intent, w)
			}
		}
	}
}

// TestTypoRuleOverKeywords changes one letter of every one-word keyword:
// a word of five letters or more is still read as its keyword, a shorter
// one never is.
func TestTypoRuleOverKeywords(t *testing.T) {
	kw := conversation.DefaultKeywords()
	kinds := map[string]conversation.Kind{
		conversation.WordsJoin: conversation.KindJoin, conversation.WordsPoints: conversation.KindPoints,
		conversation.WordsRewards: conversation.KindRewards, conversation.WordsRefer: conversation.KindRefer,
		conversation.WordsHelp: conversation.KindHelp, conversation.WordsAgent: conversation.KindAgent,
		conversation.WordsLanguage: conversation.KindLanguage,
	}
	for _, lang := range conversation.Languages() {
		for intent, kind := range kinds {
			for _, w := range kw.Words(lang, intent) {
				r := []rune(w)
				if strings.Contains(w, " ") || len(r) < 2 {
					continue
				}
				v := make([]rune, len(r))
				copy(v, r)
				v[len(v)/2] = 'q' // a letter no keyword has in that place
				if v[len(v)/2] == r[len(r)/2] {
					v[len(v)/2] = 'x'
				}
				typo := string(v)
				t.Run(lang+"/"+w+"/"+typo, func(t *testing.T) {
					got := conversation.Parse(in{Text: typo}, kw)
					if len(r) >= 5 {
						assert.Equal(t, kind, got.Kind, "%+v", got)
					} else {
						assert.NotEqual(t, kind, got.Kind, "%+v", got)
					}
				})
			}
		}
	}
}
