package conversation

import (
	"strconv"
	"strings"
	"time"
)

// thousandsSeparators are the digit group separators per language. Arabic
// keeps ASCII digits, which customers read across the Arabic-speaking
// countries (Arabic-Indic digits are not used everywhere), grouped with a
// comma as in English; Text isolates the number so it keeps its order.
var thousandsSeparators = map[string]string{
	English:    ",",
	Indonesian: ".",
	Turkish:    ".",
	Italian:    ".",
	Arabic:     ",",
}

// FormatPoints writes n with the digit grouping of lang: 1,250 in English
// and Arabic, 1.250 in Indonesian, Turkish and Italian. Numbers below
// 10,000 are grouped too. An unsupported language formats as English.
func FormatPoints(lang string, n int64) string {
	sep, ok := thousandsSeparators[lang]
	if !ok {
		sep = thousandsSeparators[English]
	}
	digits := strconv.FormatInt(n, 10)
	sign := ""
	if digits[0] == '-' {
		sign, digits = "-", digits[1:]
	}
	if len(digits) <= 3 {
		return sign + digits
	}
	var b strings.Builder
	b.WriteString(sign)
	head := len(digits) % 3
	if head == 0 {
		head = 3
	}
	b.WriteString(digits[:head])
	for i := head; i < len(digits); i += 3 {
		b.WriteString(sep)
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// monthNames are the short month names per language; Arabic has full
// names, which have no common short forms.
var monthNames = map[string][12]string{
	English:    {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	Indonesian: {"Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"},
	Turkish:    {"Oca", "Şub", "Mar", "Nis", "May", "Haz", "Tem", "Ağu", "Eyl", "Eki", "Kas", "Ara"},
	Italian:    {"gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"},
	Arabic:     {"يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"},
}

// FormatDate writes t's date, day first, in lang: "6 Dec 2026",
// "6 Des 2026", "6 Ara 2026", "6 dic 2026", "6 ديسمبر 2026". t is taken in
// its own location: convert it to the tenant's first. An unsupported
// language formats as English.
func FormatDate(lang string, t time.Time) string {
	names, ok := monthNames[lang]
	if !ok {
		names = monthNames[English]
	}
	return strconv.Itoa(t.Day()) + " " + names[t.Month()-1] + " " + strconv.Itoa(t.Year())
}
