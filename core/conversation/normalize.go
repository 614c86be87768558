package conversation

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns s in the form keywords are compared in:
//
//   - lower case, Turkish-aware: İ, I, ı and i all become i;
//   - compatibility-decomposed (NFKD) with every combining mark removed, so
//     accents and diacritics go (é → e, ş → s, ü → u) and full-width or
//     presentation forms become plain letters;
//   - Arabic folded: tashkeel and tatweel removed, أ إ آ ٱ → ا, ة → ه,
//     ى → ي, Persian ی ک → ي ك;
//   - Arabic-Indic and Persian digits (٠–٩, ۰–۹) mapped to 0–9;
//   - invisible format characters (zero-width spaces, direction marks)
//     removed, every run of white space made one space, and punctuation,
//     symbols and emoji trimmed from both ends.
//
// Punctuation inside the text stays. Normalize is idempotent.
func Normalize(s string) string {
	s = norm.NFKD.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending between words
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf), r == 'ـ':
			continue // marks, tashkeel, zero-width and direction characters, tatweel
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		r = foldRune(r)
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return trimEnds(b.String())
}

// foldRune lower-cases r and maps the letters and digits Normalize folds.
func foldRune(r rune) rune {
	switch r {
	case 'I', 'ı', 'İ':
		return 'i'
	case 'أ', 'إ', 'آ', 'ٱ':
		return 'ا'
	case 'ة':
		return 'ه'
	case 'ى', 'ی':
		return 'ي'
	case 'ک':
		return 'ك'
	}
	switch {
	case r >= '٠' && r <= '٩':
		return '0' + r - '٠'
	case r >= '۰' && r <= '۹':
		return '0' + r - '۰'
	}
	return unicode.ToLower(r)
}

// trimEnds removes punctuation, symbols and spaces from both ends of s.
func trimEnds(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r)
	})
}
