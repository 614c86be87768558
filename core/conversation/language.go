package conversation

import (
	"slices"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Languages the chatbot speaks, as ISO 639-1 codes.
const (
	English    = "en"
	Indonesian = "id"
	Turkish    = "tr"
	Italian    = "it"
	Arabic     = "ar" // written right to left
)

// languages lists the supported languages in menu order.
var languages = []string{English, Indonesian, Turkish, Italian, Arabic}

// Languages returns the supported languages, English first.
func Languages() []string { return slices.Clone(languages) }

// IsLanguage reports whether lang is a supported language code.
func IsLanguage(lang string) bool { return slices.Contains(languages, lang) }

// LanguageName returns a language's name in that language ("Türkçe",
// "العربية"), as a language list shows it; "" for an unsupported code.
// Every name fits a WhatsApp list row title (24 characters).
func LanguageName(lang string) string { return languageNames[lang] }

var languageNames = map[string]string{
	English:    "English",
	Indonesian: "Bahasa Indonesia",
	Turkish:    "Türkçe",
	Italian:    "Italiano",
	Arabic:     "العربية",
}

// countryLanguages maps ISO 3166 regions to the language their customers
// are first answered in.
var countryLanguages = map[string]string{
	"ID": Indonesian,
	"TR": Turkish,
	"IT": Italian, "SM": Italian, "VA": Italian,
	"SA": Arabic, "AE": Arabic, "EG": Arabic, "QA": Arabic, "KW": Arabic,
	"BH": Arabic, "OM": Arabic, "JO": Arabic, "LB": Arabic, "IQ": Arabic,
	"SY": Arabic, "YE": Arabic, "LY": Arabic, "TN": Arabic, "DZ": Arabic,
	"MA": Arabic, "SD": Arabic, "PS": Arabic, "MR": Arabic,
}

// PhoneLanguage returns the language of the country a phone number belongs
// to (+62… → "id", +90… → "tr", +39… → "it", +966… → "ar"), or "" when the
// number is invalid or its country is not one of those. phone is E.164,
// with or without the leading "+" (WhatsApp ids have none).
func PhoneLanguage(phone string) string {
	phone = strings.TrimSpace(phone)
	if phone == "" {
		return ""
	}
	if !strings.HasPrefix(phone, "+") {
		phone = "+" + phone
	}
	num, err := phonenumbers.Parse(phone, "")
	if err != nil {
		return ""
	}
	return countryLanguages[phonenumbers.GetRegionCodeForNumber(num)]
}

// ChooseLanguage returns the language to answer a customer in: the
// language they chose themselves, else the language of the keyword they
// wrote (Intent.Lang), else their phone's country's (see PhoneLanguage),
// else fallback, the tenant's default. Only languages in allowed count (all
// supported languages when allowed is empty); when fallback is not allowed
// either, English is used if allowed, else the first allowed language.
func ChooseLanguage(chosen, keywordLang, phoneE164, fallback string, allowed []string) string {
	ok := func(lang string) bool { return isAllowed(lang, allowed) }
	switch {
	case ok(chosen):
		return chosen
	case ok(keywordLang):
		return keywordLang
	}
	if lang := PhoneLanguage(phoneE164); ok(lang) {
		return lang
	}
	switch {
	case ok(fallback):
		return fallback
	case ok(English):
		return English
	}
	for _, lang := range allowed {
		if IsLanguage(lang) {
			return lang
		}
	}
	return English
}

// languageAliases are the names customers call the languages by, in each
// of the languages.
var languageAliases = map[string][]string{
	English:    {"English", "Inggris", "bahasa Inggris", "İngilizce", "inglese", "انجليزي", "الإنجليزية", "انكليزي"},
	Indonesian: {"Bahasa Indonesia", "Indonesian", "Indonesia", "Indo", "Endonezce", "Endonezyaca", "indonesiano", "إندونيسي", "الإندونيسية"},
	Turkish:    {"Türkçe", "Turkish", "Turki", "bahasa Turki", "turco", "turca", "تركي", "التركية"},
	Italian:    {"Italiano", "Italian", "Italia", "bahasa Italia", "İtalyanca", "إيطالي", "الإيطالية"},
	Arabic:     {"العربية", "عربي", "Arabic", "Arab", "bahasa Arab", "Arapça", "arabo"},
}

// languageIndex holds the normalized language names.
type languageIndex struct {
	exact, squashed map[string]string // name → language
	names           []languageAlias
}

type languageAlias struct {
	words [][]rune
	lang  string
}

var languageIndexOnce = sync.OnceValue(func() *languageIndex {
	ix := &languageIndex{exact: map[string]string{}, squashed: map[string]string{}}
	for _, lang := range languages {
		for _, name := range languageAliases[lang] {
			n := strings.Join(tokenize(name), " ")
			ix.exact[n] = lang
			ix.squashed[squash(n)] = lang
			ix.names = append(ix.names, languageAlias{words: wordRunes(n), lang: lang})
		}
	}
	return ix
})

// languageNamed returns the language a normalized phrase names, or "":
// exactly or with repeated letters squashed, by its code when codes is
// true, and word by word within the edits keywords allow when fuzzy is
// true and only one language is that close.
func languageNamed(phrase string, codes, fuzzy bool) string {
	ix := languageIndexOnce()
	if lang, ok := ix.exact[phrase]; ok {
		return lang
	}
	if lang, ok := ix.squashed[squash(phrase)]; ok {
		return lang
	}
	if codes && IsLanguage(phrase) {
		return phrase
	}
	if !fuzzy {
		return ""
	}
	in := wordRunes(phrase)
	best, found := maxEdits*maxKeywordWords+1, ""
	for _, a := range ix.names {
		d, ok := phraseDistance(in, a.words)
		switch {
		case !ok || d > best:
		case d < best:
			best, found = d, a.lang
		case a.lang != found:
			found = "" // as close to two languages
		}
	}
	return found
}

// AnswerLanguage returns the language to answer a message in. last is
// the language the conversation had (the one the customer chose when
// chosen is true). A chosen language stays until the customer chooses
// another. Otherwise a keyword of one allowed language only switches to it, while
// a keyword several languages share (HELP, JOIN, OK, STOP, menu) or no
// keyword keeps last; without one, the phone's country's language, else
// fallback. allowed limits the result as in ChooseLanguage.
func AnswerLanguage(last string, chosen bool, it Intent, phoneE164, fallback string, allowed []string) string {
	if chosen {
		return ChooseLanguage(last, "", phoneE164, fallback, allowed)
	}
	spoken := last
	if isAllowed(it.Lang, allowed) {
		spoken = it.Lang
	}
	return ChooseLanguage("", spoken, phoneE164, fallback, allowed)
}

// isAllowed reports whether lang is supported and in allowed (any
// supported language when allowed is empty).
func isAllowed(lang string, allowed []string) bool {
	return IsLanguage(lang) && (len(allowed) == 0 || slices.Contains(allowed, lang))
}
