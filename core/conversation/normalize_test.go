package conversation_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/conversation"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"lower case", "JOIN ABC12345", "join abc12345"},
		{"turkish dotted capital I", "İPTAL", "iptal"},
		{"turkish dotless i", "katıl", "katil"},
		{"turkish capital I", "KATIL", "katil"},
		{"turkish letters", "Ödüller, Başla, Müşteri, Değiştir", "oduller, basla, musteri, degistir"},
		{"italian accents", "Sì, più però", "si, piu pero"},
		{"composed and decomposed", "cafe\u0301 café", "cafe cafe"},
		{"full-width letters", "ＰＯＩＮＴＳ", "points"},
		{"collapse spaces", "  my \t points\n\n please ", "my points please"},
		{"no-break and zero-width spaces", "my\u00a0po\u200bints", "my points"},
		{"trim punctuation and emoji", "¿¡Hi!!! 👋", "hi"},
		{"keep inner punctuation", "hi, points?", "hi, points"},
		{"arabic question mark", "نقاطي؟", "نقاطي"},
		{"arabic hamza forms", "أإآٱ", "اااا"},
		{"arabic ta marbuta", "مساعدة", "مساعده"},
		{"arabic alef maqsura and persian ya", "على ی", "علي ي"},
		{"arabic tashkeel", "مُسَاعَدَةٌ", "مساعده"},
		{"arabic tatweel", "نقـــاط", "نقاط"},
		{"arabic presentation forms", "ﻧﻘﺎﻁ", "نقاط"},
		{"arabic-indic digits", "انضم ١٢٣٤٥٦٧٨", "انضم 12345678"},
		{"persian digits", "۰۹", "09"},
		{"direction marks", "\u200fنقاطي\u200e", "نقاطي"},
		{"only punctuation", "?!...", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := conversation.Normalize(tt.in)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, got, conversation.Normalize(got), "normalizing twice")
		})
	}
}
