package member

import (
	"strings"
	"unicode"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"
)

// MaxNameLength is the longest name kept, in UTF-16 code units (see
// Truncate): a name from a shop, a CRM or a WhatsApp profile beyond it is
// cut and ends with an ellipsis.
const MaxNameLength = 100

// maxMarks is how many combining marks one character keeps: enough for
// Vietnamese, Thai or Devanagari, not for text stacked with marks to
// overflow the lines around it.
const maxMarks = 4

// Ellipsis ends a text that was cut.
const Ellipsis = "…"

// CleanName makes a person's name, as a shop, a CRM or a WhatsApp profile
// gives it, safe to store, show and send:
//
//   - invalid UTF-8 is dropped and the name is put in Unicode NFC form;
//   - line breaks, tabs, every other space and the letters that show as
//     blank (Hangul fillers) become one ASCII space, runs of spaces
//     become one, and the ends are trimmed;
//   - other control characters, and format characters (bidirectional
//     marks and overrides such as U+200F and U+202E, zero-width spaces,
//     soft hyphens, byte order marks) are removed, except the zero-width
//     joiner and non-joiner that emoji sequences and scripts such as
//     Persian and Hindi need, and the tag characters of a flag such as
//     England's;
//   - private-use characters, non-characters and U+FFFD are removed;
//   - a character keeps at most 4 combining marks;
//   - a name longer than MaxNameLength is cut by Truncate.
//
// Letters of every script, emoji with their skin tones, variation
// selectors and joiners are kept as written.
func CleanName(s string) string {
	s = norm.NFC.String(strings.ToValidUTF8(s, ""))
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace := false
	var prev rune // the last rune written, 0 at the start or after a space
	marks := 0
	for _, r := range s {
		switch {
		case isSpace(r):
			pendingSpace = b.Len() > 0
			prev, marks = 0, 0
			continue
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r):
			if marks++; marks > maxMarks {
				continue
			}
		case r == zwj || r == zwnj:
		case isTag(r):
			if prev != blackFlag && !isTag(prev) {
				continue
			}
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Co, r),
			isNonCharacter(r), r == unicode.ReplacementChar:
			continue
		default:
			marks = 0
		}
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		b.WriteRune(r)
		prev = r
	}
	// Joiners join nothing at the ends. Removing characters may have put
	// marks side by side that NFC orders: normalize again.
	return Truncate(norm.NFC.String(strings.Trim(b.String(), "\u200d\u200c ")), MaxNameLength)
}

const (
	zwj       = '\u200d'
	zwnj      = '\u200c'
	blackFlag = '\U0001F3F4' // starts a subdivision flag's tag sequence
)

// isSpace is a space, a line or paragraph separator, a control character
// that separates words (tab, line feed, carriage return…), or a letter
// that shows as blank (the Hangul fillers and the blank Braille pattern,
// used to fake an empty name).
func isSpace(r rune) bool {
	switch r {
	case '\u115f', '\u1160', '\u3164', '\uffa0', '\u2800':
		return true
	}
	return unicode.IsSpace(r) || unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
}

func isTag(r rune) bool { return r >= 0xE0020 && r <= 0xE007F }

func isNonCharacter(r rune) bool {
	return (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE
}

// Length is the length of s in UTF-16 code units, the unit WhatsApp's
// apps and JavaScript count characters in: an emoji outside the Basic
// Multilingual Plane counts two. A text within a limit by this count is
// within it by a count of code points too.
func Length(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// Truncate returns s when it is at most limit UTF-16 code units long (see
// Length), else its longest beginning that fits with Ellipsis after it. The
// cut never splits a character from its combining marks, an emoji from its
// skin tone, variation selector or zero-width joiner sequence, or a flag's
// pair of regional indicators; spaces before the ellipsis are trimmed.
func Truncate(s string, limit int) string {
	if Length(s) <= limit {
		return s
	}
	if limit < Length(Ellipsis) {
		return ""
	}
	budget := limit - Length(Ellipsis)
	runes := []rune(s)
	n, used := 0, 0
	for n < len(runes) && used+utf16.RuneLen(runes[n]) <= budget {
		used += utf16.RuneLen(runes[n])
		n++
	}
	for n > 0 && !boundary(runes, n) {
		n--
	}
	return strings.TrimRightFunc(string(runes[:n]), isSpace) + Ellipsis
}

// boundary reports whether a text may be cut before runes[i]: a
// conservative approximation of a grapheme cluster boundary.
func boundary(runes []rune, i int) bool {
	if i == 0 || i >= len(runes) {
		return true
	}
	r, prev := runes[i], runes[i-1]
	switch {
	case prev == zwj || r == zwj || r == zwnj:
		return false
	case unicode.Is(unicode.M, r): // combining marks and variation selectors
		return false
	case r >= 0x1F3FB && r <= 0x1F3FF: // emoji skin tones
		return false
	case isTag(r):
		return false
	case isRegional(r) && isRegional(prev):
		// A flag is a pair: cut between pairs only.
		k := 0
		for j := i - 1; j >= 0 && isRegional(runes[j]); j-- {
			k++
		}
		return k%2 == 0
	}
	return true
}

func isRegional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }
