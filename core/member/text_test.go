package member

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestCleanName(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Siti Rahayu", "Siti Rahayu"},
		{"surrounding and repeated spaces", "  Budi   Santoso \t", "Budi Santoso"},
		{"line breaks and tabs", "Budi\r\nSantoso\tJr", "Budi Santoso Jr"},
		{"no-break and ideographic spaces", "Budi\u00a0Santoso\u3000Jr", "Budi Santoso Jr"},
		{"NUL and escape", "Ani\x00ta\x1b[31m", "Anita[31m"},
		{"C1 controls", "Ani\u0085ta\u009b", "Ani ta"},
		{"invalid UTF-8", "Ani\xffta", "Anita"},
		{"right-to-left mark in an Arabic name", "\u200fمحمد\u200f علي", "محمد علي"},
		{"right-to-left override hiding a suffix", "Ani\u202egnp.exe", "Anignp.exe"},
		{"isolates and embeddings", "\u2067Ani\u2069 \u202aBudi\u202c", "Ani Budi"},
		{"zero-width space and word joiner", "A\u200bn\u2060i", "Ani"},
		{"byte order mark and soft hyphen", "\ufeffAn\u00adi", "Ani"},
		{"emoji kept", "Ani 🌸☕", "Ani 🌸☕"},
		{"emoji with a skin tone", "Budi 👍🏽", "Budi 👍🏽"},
		{"family emoji joined by ZWJ", "Keluarga 👨\u200d👩\u200d👧", "Keluarga 👨\u200d👩\u200d👧"},
		{"heart with a variation selector", "Sari ❤\ufe0f", "Sari ❤\ufe0f"},
		{"a flag", "Sari 🇮🇩", "Sari 🇮🇩"},
		{"England's flag keeps its tags", "Tom 🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", "Tom 🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"},
		{"stray tag characters", "To\U000E0041m", "Tom"},
		{"ZWNJ in Persian", "می\u200cخواهم", "می\u200cخواهم"},
		{"ZWJ in Devanagari", "क्\u200dष", "क्\u200dष"},
		{"joiners at the ends", "\u200dAni\u200c", "Ani"},
		{"Thai with its marks", "สมชาย ใจดี", "สมชาย ใจดี"},
		{"Vietnamese decomposed becomes composed", "Nguye\u0302\u0303n", "Nguyễn"},
		{"marks stacked beyond four", "Z\u0301\u0302\u0303\u0304\u0305\u0306\u0307a", "\u0179\u0302\u0303\u0304\u0305a"},
		{"Hangul filler posing as a name", "\u3164", ""},
		{"blank Braille posing as a space", "Ani\u2800\u2800Budi", "Ani Budi"},
		{"private use and non-characters", "A\ue000n\ufffei\ufffd", "Ani"},
		{"only controls", "\x00\t\u200f", ""},
		{"CJK", "王小明", "王小明"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CleanName(tt.in)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, got, CleanName(got), "cleaning twice changes nothing")
		})
	}
}

func TestCleanNameCapsLength(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"at the cap", strings.Repeat("a", MaxNameLength), strings.Repeat("a", MaxNameLength)},
		{"one above the cap", strings.Repeat("a", MaxNameLength+1), strings.Repeat("a", MaxNameLength-1) + Ellipsis},
		{"emoji count two", strings.Repeat("😀", 60), strings.Repeat("😀", 49) + Ellipsis},
		{"the cut does not end in a space", strings.Repeat("a", 98) + " bc", strings.Repeat("a", 98) + Ellipsis},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CleanName(tt.in)
			assert.Equal(t, tt.want, got)
			assert.LessOrEqual(t, Length(got), MaxNameLength)
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  string
	}{
		{"fits", "Sari", 4, "Sari"},
		{"cut", "Sari Rahayu", 6, "Sari…"},
		{"zero limit", "Sari", 0, ""},
		{"limit of one", "Sari", 1, "…"},
		{"empty", "", 5, ""},
		{"combining mark stays with its letter", "Nguye\u0302\u0303n Van", 6, "Nguy…"},
		{"skin tone stays with its emoji", "ab👍🏽cd", 5, "ab…"},
		{"ZWJ sequence is not split", "a👨\u200d👩\u200d👧b", 7, "a…"},
		{"flag pairs are not split", "🇮🇩🇲🇾🇸🇬", 9, "🇮🇩🇲🇾…"},
		{"variation selector stays", "ab❤\ufe0fcd", 4, "ab…"},
		{"CJK", "王小明先生", 4, "王小明…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Truncate(tt.in, tt.limit)
			assert.Equal(t, tt.want, got)
			assert.LessOrEqual(t, Length(got), tt.limit)
			assert.True(t, utf8.ValidString(got))
		})
	}
}

func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"Siti Rahayu", "\u200fمحمد", "👨\u200d👩\u200d👧", "a\x00b\tc", "\xff\xfe", "🏴\U000E0067\U000E007F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := CleanName(s)
		if !utf8.ValidString(got) {
			t.Fatalf("CleanName(%q) = %q is not UTF-8", s, got)
		}
		if Length(got) > MaxNameLength {
			t.Fatalf("CleanName(%q) is %d long", s, Length(got))
		}
		if strings.ContainsAny(got, "\n\r\t\x00\u200f\u202e") || strings.Contains(got, "  ") {
			t.Fatalf("CleanName(%q) = %q keeps a control or a double space", s, got)
		}
		if again := CleanName(got); again != got {
			t.Fatalf("CleanName is not idempotent: %q, then %q", got, again)
		}
	})
}
