package conversation_test

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/conversation"
)

func TestPhoneLanguage(t *testing.T) {
	tests := []struct {
		phone, want string
	}{
		{"+6281234567890", "id"},
		{"6281234567890", "id"}, // a WhatsApp id
		{"+905321234567", "tr"},
		{"+393471234567", "it"},
		{"+37866661234", "it"},  // San Marino
		{"+966501234567", "ar"}, // Saudi Arabia
		{"+971501234567", "ar"}, // United Arab Emirates
		{"+201001234567", "ar"}, // Egypt
		{"+212612345678", "ar"}, // Morocco
		{"+970599123456", "ar"}, // Palestine
		{"+14155552671", ""},    // United States
		{"+442071838750", ""},   // United Kingdom
		{"", ""},
		{"not a number", ""},
	}
	for _, tt := range tests {
		t.Run(tt.phone, func(t *testing.T) {
			assert.Equal(t, tt.want, conversation.PhoneLanguage(tt.phone))
		})
	}
}

func TestChooseLanguage(t *testing.T) {
	const indonesian = "+6281234567890"
	tests := []struct {
		name                             string
		chosen, keyword, phone, fallback string
		allowed                          []string
		want                             string
	}{
		{"chosen wins", "it", "tr", indonesian, "en", nil, "it"},
		{"keyword before phone", "", "tr", indonesian, "en", nil, "tr"},
		{"phone before fallback", "", "", indonesian, "en", nil, "id"},
		{"fallback", "", "", "+14155552671", "it", nil, "it"},
		{"english without fallback", "", "", "", "", nil, "en"},
		{"chosen not allowed", "ar", "", indonesian, "en", []string{"en", "id"}, "id"},
		{"keyword not allowed", "", "tr", "", "id", []string{"en", "id"}, "id"},
		{"phone not allowed", "", "", indonesian, "it", []string{"en", "it"}, "it"},
		{"fallback not allowed", "", "", "", "ar", []string{"en", "id"}, "en"},
		{"first allowed without english", "", "", "", "ar", []string{"tr", "id"}, "tr"},
		{"unsupported codes ignored", "fr", "de", "", "es", []string{"fr", "id"}, "id"},
		{"nothing supported allowed", "", "", "", "", []string{"fr"}, "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, conversation.ChooseLanguage(tt.chosen, tt.keyword, tt.phone, tt.fallback, tt.allowed))
		})
	}
}

func TestLanguageNames(t *testing.T) {
	kw := conversation.DefaultKeywords()
	for _, lang := range conversation.Languages() {
		name := conversation.LanguageName(lang)
		assert.NotEmpty(t, name, lang)
		assert.LessOrEqual(t, utf8.RuneCountInString(name), conversation.MaxRowTitle, lang)
		// A customer typing the row title back gets the language.
		got := conversation.Parse(in{Text: name}, kw)
		assert.Equal(t, intent{Kind: conversation.KindLanguage, Language: lang}, got, name)
	}
	assert.Empty(t, conversation.LanguageName("fr"))
	assert.True(t, conversation.IsLanguage("ar"))
	assert.False(t, conversation.IsLanguage("AR"))
}

// TestAnswerLanguage follows a member's conversation message by message:
// keywords several languages share keep the language, a word of one
// language switches it, a choice holds.
func TestAnswerLanguage(t *testing.T) {
	kw := conversation.DefaultKeywords()
	const indonesian = "+6281234567890"
	steps := []struct {
		text   string
		chosen bool // the customer has chosen the language before this message
		want   string
	}{
		{"HELP", false, "id"},  // the phone's country
		{"poin", false, "id"},  // Indonesian
		{"HELP", false, "id"},  // shared: keeps Indonesian
		{"JOIN", false, "id"},  // shared
		{"OK", false, "id"},    // shared
		{"menu", false, "id"},  // en, id, it
		{"STOP", false, "id"},  // every language
		{"hello", false, "id"}, // written everywhere
		{"admin", false, "id"}, // written everywhere
		{"saldo", false, "id"}, // id and it
		{"punti", false, "it"}, // Italian only: switches
		{"info", false, "it"},  // shared: keeps Italian
		{"where is my order?", false, "it"},
		{"my points", false, "en"}, // English only
		{"tamam", false, "tr"},     // Turkish only, even answering nothing
		{"poin", true, "tr"},       // chose Turkish: a word does not switch
		{"points", true, "tr"},     //
	}
	last := ""
	for i, s := range steps {
		it := conversation.Parse(in{Text: s.text}, kw)
		got := conversation.AnswerLanguage(last, s.chosen, it, indonesian, "en", nil)
		assert.Equal(t, s.want, got, "step %d %q (%+v)", i, s.text, it)
		last = got
	}

	t.Run("first message without a keyword", func(t *testing.T) {
		it := conversation.Parse(in{Text: "HELP"}, kw)
		assert.Equal(t, "it", conversation.AnswerLanguage("", false, it, "+14155552671", "it", nil))
		assert.Equal(t, "en", conversation.AnswerLanguage("", false, it, "", "", nil))
	})
	t.Run("allowed languages", func(t *testing.T) {
		it := conversation.Parse(in{Text: "punti"}, kw)
		assert.Equal(t, "id", conversation.AnswerLanguage("id", false, it, "", "en", []string{"en", "id"}))
		assert.Equal(t, "en", conversation.AnswerLanguage("ar", true, it, "", "en", []string{"en", "id"}))
	})
}
