package conversation

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Keyword intents: what the words of a Keywords group mean. They are the
// second-level keys of keyword overrides.
const (
	WordsJoin     = "join"     // join the program
	WordsPoints   = "points"   // ask for the balance
	WordsRewards  = "rewards"  // see the rewards catalog
	WordsRefer    = "refer"    // get a referral code to invite friends
	WordsStop     = "stop"     // stop promotional messages
	WordsStart    = "start"    // resume promotional messages
	WordsHelp     = "help"     // the menu; greetings land here too
	WordsAgent    = "agent"    // talk to a person
	WordsYes      = "yes"      // accept (consent, confirmation)
	WordsNo       = "no"       // decline (consent, confirmation)
	WordsLanguage = "language" // change language
)

var wordIntents = []string{
	WordsJoin, WordsPoints, WordsRewards, WordsRefer, WordsStop, WordsStart,
	WordsHelp, WordsAgent, WordsYes, WordsNo, WordsLanguage,
}

// KeywordIntents returns the keyword intents in a fixed order.
func KeywordIntents() []string { return slices.Clone(wordIntents) }

// exactOnly lists the intents never matched by a guess: a typo must not
// change what a customer agreed to. Their words still match with letters
// repeated ("stooop", "yesss").
var exactOnly = map[string]bool{WordsStop: true, WordsStart: true, WordsYes: true}

// maxKeywordWords is the most words one keyword may have.
const maxKeywordWords = 5

// Keywords are the words customers write, per language and intent. A
// Keywords is immutable and safe for concurrent use; With and
// WithJoinKeyword return new ones. The zero Keywords matches nothing: start
// from DefaultKeywords.
type Keywords struct {
	ix *keywordIndex
}

// keywordIndex holds the words of a Keywords, normalized, and the tables
// Parse looks them up in.
type keywordIndex struct {
	words    map[string]map[string][]string // lang → intent → phrases
	exact    map[string][]keywordEntry      // phrase → entries
	squashed map[string][]keywordEntry      // squash(phrase) → entries
	byWords  [maxKeywordWords + 1][]keywordEntry
	maxWords int
	// inSentence are the agent phrases of two words or more: they ask for
	// a person wherever they stand in a message.
	inSentence []keywordEntry
}

// keywordEntry is one phrase of one intent in one language.
type keywordEntry struct {
	phrase string
	words  [][]rune // the phrase's words
	intent string
	lang   string
}

// defaultWords are the built-in keywords. Common misspellings are left to
// fuzzy matching; loanwords used in several languages ("saldo", "point")
// are listed in each, so they say nothing about the language, and so are
// sharedWords. Agent phrases of two words or more ask for a person
// anywhere in a message ("saya mau bicara dengan admin").
var defaultWords = map[string]map[string][]string{
	English: {
		WordsJoin:    {"join", "sign up", "signup", "register", "enroll", "enrol"},
		WordsPoints:  {"points", "point", "my points", "balance", "my balance", "pts", "check points"},
		WordsRewards: {"rewards", "reward", "catalog", "catalogue", "redeem", "gifts", "prizes", "vouchers", "coupons"},
		WordsRefer:   {"invite", "refer", "referral", "refer a friend", "invite friends", "share", "my code"},
		WordsStop:    {"stop", "unsubscribe", "opt out", "optout", "stop all"},
		WordsStart:   {"start", "resume", "unstop", "subscribe", "opt in", "optin"},
		WordsHelp:    {"help", "menu", "hi", "hello", "hey", "info", "options", "good morning", "good afternoon", "good evening"},
		WordsAgent: {"agent", "human", "person", "customer service", "customer support", "support", "operator", "live chat",
			"talk to a person", "talk to someone", "talk to somebody", "talk to a human", "talk to an agent", "talk to admin",
			"talk to an admin", "talk to staff", "talk to the manager", "talk with someone", "talk with a person",
			"speak to someone", "speak to a person", "speak to a human", "speak to an agent", "speak to the manager",
			"speak with someone", "speak with a person", "real person", "a real human"},
		WordsYes:      {"yes", "yeah", "yep", "yup", "y", "sure", "ok", "okay", "confirm", "agree", "i agree", "accept"},
		WordsNo:       {"no", "nope", "nah", "n", "cancel", "decline", "not now", "no thanks"},
		WordsLanguage: {"language", "lang", "change language"},
	},
	Indonesian: {
		WordsJoin:    {"gabung", "daftar", "join", "ikut member", "ikut program", "registrasi", "daftar member", "jadi member", "gabung member"},
		WordsPoints:  {"poin", "point", "poin saya", "cek poin", "cek point", "saldo", "saldo poin"},
		WordsRewards: {"hadiah", "katalog", "tukar", "tukar poin", "reward", "voucher", "kupon"},
		WordsRefer:   {"ajak", "ajak teman", "undang", "referral", "kode referral", "bagikan", "kode saya"},
		WordsStop:    {"stop", "berhenti", "berhenti langganan", "stop promo"},
		WordsStart:   {"mulai", "start", "aktifkan", "langganan"},
		WordsHelp:    {"bantuan", "tolong", "menu", "halo", "hai", "hallo", "info", "selamat pagi", "selamat siang", "selamat sore", "selamat malam", "permisi", "assalamualaikum"},
		WordsAgent: {"cs", "customer service", "operator", "agen", "petugas", "manusia", "bicara dengan admin",
			"bicara sama admin", "bicara dengan cs", "bicara sama cs", "bicara dengan orang", "bicara dengan petugas",
			"ngomong sama admin", "ngobrol sama admin", "ngobrol dengan admin", "chat dengan admin", "chat sama admin",
			"hubungi admin", "hubungi cs", "minta admin", "sambungkan ke admin", "sambungkan ke cs", "dengan admin dong"},
		WordsYes:      {"ya", "iya", "y", "ok", "oke", "setuju", "boleh", "mau"},
		WordsNo:       {"tidak", "tdk", "gak", "nggak", "enggak", "ga", "batal", "tolak", "tidak mau", "jangan"},
		WordsLanguage: {"bahasa", "ganti bahasa", "ubah bahasa"},
	},
	Turkish: {
		WordsJoin:    {"katıl", "kayıt", "kayıt ol", "kaydol", "üye ol", "üye olmak", "üyelik"},
		WordsPoints:  {"puan", "puanım", "puanlarım", "bakiye", "puan durumu"},
		WordsRewards: {"ödül", "ödüller", "katalog", "hediye", "hediyeler", "kupon"},
		WordsRefer:   {"davet", "davet et", "arkadaşını davet et", "referans", "referans kodu", "paylaş", "kodum"},
		WordsStop:    {"stop", "ret", "dur", "durdur", "abonelikten çık"},
		WordsStart:   {"başla", "başlat", "tekrar başlat", "abone ol"},
		WordsHelp:    {"yardım", "menü", "merhaba", "selam", "slm", "mrb", "bilgi", "günaydın", "iyi günler", "iyi akşamlar"},
		WordsAgent: {"temsilci", "müşteri hizmetleri", "yetkili", "canlı destek", "destek", "operatör", "insan",
			"müşteri temsilcisi", "temsilciyle görüş", "temsilci ile görüş", "temsilciyle konuş", "yetkiliyle görüş",
			"yetkili ile görüş", "yetkiliyle konuş", "yetkili ile konuş", "biriyle görüş", "biriyle konuş",
			"insanla konuş", "gerçek bir kişi", "canlı desteğe", "yetkiliye bağlan", "temsilciye bağlan"},
		WordsYes:      {"evet", "tamam", "olur", "onay", "onaylıyorum", "kabul", "ok"},
		WordsNo:       {"hayır", "yok", "istemiyorum", "iptal", "vazgeç", "reddet"},
		WordsLanguage: {"dil", "dil değiştir", "dili değiştir"},
	},
	Italian: {
		WordsJoin:    {"iscriviti", "iscrivimi", "iscrizione", "unisciti", "registrati", "registrami", "aderisci"},
		WordsPoints:  {"punti", "i miei punti", "saldo", "saldo punti", "punteggio"},
		WordsRewards: {"premi", "premio", "catalogo", "regali", "riscatta", "buoni"},
		WordsRefer:   {"invita", "invita un amico", "porta un amico", "codice amico", "referral", "condividi", "il mio codice"},
		WordsStop:    {"stop", "basta", "disiscrivimi", "cancellami", "annulla iscrizione"},
		WordsStart:   {"riprendi", "riattiva", "avvia", "ricomincia", "start"},
		WordsHelp:    {"aiuto", "menu", "ciao", "salve", "buongiorno", "buonasera", "info", "opzioni"},
		WordsAgent: {"operatore", "assistenza", "assistente", "persona", "umano", "servizio clienti", "parla con un operatore",
			"assistenza clienti", "parlare con un operatore", "parlare con una persona", "parlare con qualcuno",
			"parlare con un umano", "parlare con un assistente", "parla con una persona", "parlo con un operatore",
			"persona reale"},
		WordsYes:      {"sì", "certo", "ok", "va bene", "accetto", "confermo", "conferma", "d'accordo"},
		WordsNo:       {"no", "annulla", "non ora", "rifiuto", "no grazie"},
		WordsLanguage: {"lingua", "cambia lingua"},
	},
	Arabic: {
		WordsJoin:    {"انضم", "انضمام", "اشتراك", "اشترك", "تسجيل", "سجل", "سجلني", "عضوية"},
		WordsPoints:  {"نقاط", "نقاطي", "رصيد", "رصيدي", "كم نقاطي"},
		WordsRewards: {"مكافآت", "مكافآتي", "مكافأة", "جوائز", "هدايا", "كتالوج", "استبدال"},
		WordsRefer:   {"دعوة", "ادع صديق", "احالة", "كود الاحالة", "رمز الاحالة", "شارك", "كودي"},
		WordsStop:    {"توقف", "إيقاف", "إلغاء الاشتراك", "stop"},
		WordsStart:   {"ابدأ", "استئناف", "تفعيل", "متابعة"},
		WordsHelp:    {"مساعدة", "قائمة", "القائمة", "مرحبا", "أهلا", "هلا", "السلام عليكم", "سلام", "معلومات"},
		WordsAgent: {"موظف", "خدمة العملاء", "دعم", "انسان", "ممثل", "وكيل", "التحدث مع موظف",
			"اتحدث مع موظف", "التكلم مع موظف", "اكلم موظف", "التحدث مع شخص", "اتحدث مع شخص", "التحدث مع ممثل",
			"ممثل خدمة العملاء", "شخص حقيقي"},
		WordsYes:      {"نعم", "أيوه", "ايوا", "موافق", "تمام", "اوكي", "ok"},
		WordsNo:       {"لا", "كلا", "إلغاء", "رفض", "لا أريد", "لا شكرا"},
		WordsLanguage: {"لغة", "اللغة", "تغيير اللغة"},
	},
}

// fillerWords are the words that may follow a join or start keyword
// without making it a sentence: politeness, "now", "again", the program.
// Join and start words are everyday words too ("daftar harga" is a price
// list, "mulai jam berapa?" asks when something starts): followed by
// anything else, they are not understood. Compared after Normalize.
var fillerWords = sync.OnceValue(func() map[string]bool {
	words := []string{
		// English
		"please", "pls", "plz", "now", "again", "thanks", "thank", "you", "thx", "the", "program", "member",
		"membership", "club", "loyalty", "us", "me", "in",
		// Indonesian
		"sekarang", "dong", "ya", "yah", "kak", "ka", "kk", "min", "gan", "sis", "lagi", "deh", "aja", "saja", "yuk",
		// Turkish
		"lütfen", "şimdi", "hemen", "tekrar", "teşekkürler", "üye", "programa",
		// Italian
		"per", "favore", "grazie", "ora", "subito", "adesso", "di", "nuovo", "al", "programma",
		// Arabic
		"من", "فضلك", "شكرا", "الآن",
	}
	out := make(map[string]bool, len(words))
	for _, w := range words {
		out[Normalize(w)] = true
	}
	return out
})

// sharedWords are keywords customers write whatever their language: a
// member who writes HELP, JOIN or OK keeps the language they had. They are
// words of every language, so they say nothing about the language.
var sharedWords = map[string][]string{
	WordsJoin:  {"join"},
	WordsHelp:  {"help", "menu", "info", "hi", "hello"},
	WordsYes:   {"ok", "okay"},
	WordsStop:  {"stop"},
	WordsStart: {"start"},
	WordsAgent: {"admin"},
}

var defaultKeywords = sync.OnceValue(func() Keywords {
	words := map[string]map[string][]string{}
	for _, lang := range languages {
		words[lang] = map[string][]string{}
		for intent, ws := range defaultWords[lang] {
			words[lang][intent] = slices.Clone(ws)
		}
		for intent, ws := range sharedWords {
			words[lang][intent] = append(words[lang][intent], ws...)
		}
	}
	kw, err := Keywords{}.With(words)
	if err != nil {
		panic(fmt.Sprintf("building the default keywords: %v", err))
	}
	return kw
})

// DefaultKeywords returns the built-in keywords of every supported
// language: for each keyword intent, several synonyms of each language.
func DefaultKeywords() Keywords { return defaultKeywords() }

// Words returns the normalized words of an intent in a language, in the
// order they were added.
func (kw Keywords) Words(lang, intent string) []string {
	if kw.ix == nil {
		return nil
	}
	return slices.Clone(kw.ix.words[lang][intent])
}

// With returns kw with words added: overrides maps a language, then a
// keyword intent (see KeywordIntents), to words or phrases of up to five
// words, compared after Normalize. A word already meaning another intent,
// in any language, is an error: Parse could not tell them apart. Errors
// are *OverrideError values, joined, whose paths are relative to
// overrides ("id.points[1]").
func (kw Keywords) With(overrides map[string]map[string][]string) (Keywords, error) {
	b := kw.builder()
	var errs []error
	for _, lang := range slices.Sorted(maps.Keys(overrides)) {
		if !IsLanguage(lang) {
			errs = append(errs, &OverrideError{Path: lang, Msg: unknownLanguageMsg(lang)})
			continue
		}
		for _, intent := range slices.Sorted(maps.Keys(overrides[lang])) {
			if !slices.Contains(wordIntents, intent) {
				errs = append(errs, &OverrideError{Path: lang + "." + intent, Msg: unknownMsg("keyword intent", intent, wordIntents)})
				continue
			}
			for i, w := range overrides[lang][intent] {
				if err := b.add(lang, intent, w); err != nil {
					errs = append(errs, &OverrideError{Path: fmt.Sprintf("%s.%s[%d]", lang, intent, i), Msg: err.Error()})
				}
			}
		}
	}
	if len(errs) > 0 {
		return kw, errors.Join(errs...)
	}
	return b.build(), nil
}

// WithJoinKeyword returns kw with the tenant's join keyword ("KOPI"): a
// join word in every language, so it says nothing about the customer's
// language. An empty word, or one meaning another intent, is an error.
func (kw Keywords) WithJoinKeyword(word string) (Keywords, error) {
	b := kw.builder()
	for _, lang := range languages {
		if err := b.add(lang, WordsJoin, word); err != nil {
			return kw, fmt.Errorf("join keyword %q: %w", word, err)
		}
	}
	return b.build(), nil
}

// keywordBuilder collects the words of a new Keywords.
type keywordBuilder struct {
	words  map[string]map[string][]string
	intent map[string]keywordEntry // phrase → one of its entries
}

func (kw Keywords) builder() *keywordBuilder {
	b := &keywordBuilder{words: map[string]map[string][]string{}, intent: map[string]keywordEntry{}}
	if kw.ix == nil {
		return b
	}
	for lang, intents := range kw.ix.words {
		b.words[lang] = map[string][]string{}
		for intent, phrases := range intents {
			b.words[lang][intent] = slices.Clone(phrases)
		}
	}
	for phrase, es := range kw.ix.exact {
		b.intent[phrase] = es[0]
	}
	return b
}

// add adds one word; a duplicate of the same intent is ignored.
func (b *keywordBuilder) add(lang, intent, word string) error {
	tokens := tokenize(word)
	switch {
	case len(tokens) == 0:
		return errors.New("empty keyword")
	case len(tokens) > maxKeywordWords:
		return fmt.Errorf("keyword %q has more than %d words", word, maxKeywordWords)
	}
	phrase := strings.Join(tokens, " ")
	if e, ok := b.intent[phrase]; ok && e.intent != intent {
		return fmt.Errorf("%q is already a %s keyword in %s", word, e.intent, e.lang)
	}
	b.intent[phrase] = keywordEntry{intent: intent, lang: lang}
	if b.words[lang] == nil {
		b.words[lang] = map[string][]string{}
	}
	if !slices.Contains(b.words[lang][intent], phrase) {
		b.words[lang][intent] = append(b.words[lang][intent], phrase)
	}
	return nil
}

func (b *keywordBuilder) build() Keywords {
	ix := &keywordIndex{words: b.words, exact: map[string][]keywordEntry{}, squashed: map[string][]keywordEntry{}}
	for _, lang := range languages {
		for _, intent := range wordIntents {
			for _, phrase := range b.words[lang][intent] {
				e := keywordEntry{phrase: phrase, words: wordRunes(phrase), intent: intent, lang: lang}
				n := len(e.words)
				ix.exact[phrase] = append(ix.exact[phrase], e)
				sq := squash(phrase)
				ix.squashed[sq] = append(ix.squashed[sq], e)
				ix.byWords[n] = append(ix.byWords[n], e)
				ix.maxWords = max(ix.maxWords, n)
				if intent == WordsAgent && n > 1 {
					ix.inSentence = append(ix.inSentence, e)
				}
			}
		}
	}
	return Keywords{ix: ix}
}

// isKeyword reports whether a normalized phrase is one of kw's keywords.
func (kw Keywords) isKeyword(phrase string) bool {
	return kw.ix != nil && kw.ix.exact[phrase] != nil
}

// isJoinWord reports whether a normalized word is a join keyword.
func (kw Keywords) isJoinWord(w string) bool {
	if kw.ix == nil {
		return false
	}
	for _, e := range kw.ix.exact[w] {
		if e.intent == WordsJoin {
			return true
		}
	}
	return false
}

// keywordMatch is the keyword a message starts with.
type keywordMatch struct {
	intent  string
	lang    string // "" when several languages have the keyword
	words   int    // how many tokens the keyword took
	skipped int    // how many tokens before it next skipped
}

// next finds the keyword a leading word gives way to: at the start of
// rest, else after its first word ("halo kak, poin" → poin).
func (kw Keywords) next(rest []string) (keywordMatch, bool) {
	if m, ok := kw.match(rest); ok {
		return m, true
	}
	if len(rest) < 2 {
		return keywordMatch{}, false
	}
	m, ok := kw.match(rest[1:])
	m.skipped = 1
	return m, ok
}

// match finds the keyword the tokens start with: the longest exact match,
// else the longest match with repeated letters squashed, else the longest
// within the edit distance allowedEdits permits, closest first. A match
// that fits keywords of several intents equally well is no match.
func (kw Keywords) match(tokens []string) (keywordMatch, bool) {
	ix := kw.ix
	if ix == nil || len(tokens) == 0 {
		return keywordMatch{}, false
	}
	top := min(ix.maxWords, len(tokens))
	for n := top; n > 0; n-- {
		if es := ix.exact[strings.Join(tokens[:n], " ")]; len(es) > 0 {
			return resolve(es, n)
		}
	}
	for n := top; n > 0; n-- {
		if es := ix.squashed[squash(strings.Join(tokens[:n], " "))]; len(es) > 0 {
			return resolve(es, n)
		}
	}
	words := wordRunes(strings.Join(tokens[:top], " "))
	for n := top; n > 0; n-- {
		in := words[:n]
		best := maxEdits*maxKeywordWords + 1
		var found []keywordEntry
		for _, e := range ix.byWords[n] {
			if exactOnly[e.intent] {
				continue
			}
			d, ok := phraseDistance(in, e.words)
			switch {
			case !ok || d > best:
			case d < best:
				best, found = d, append(found[:0], e)
			default:
				found = append(found, e)
			}
		}
		if len(found) > 0 {
			return resolve(found, n)
		}
	}
	return keywordMatch{}, false
}

// phraseDistance compares a phrase with a keyword of as many words, word
// by word: each word must equal the keyword's word, or be within the edits
// allowedEdits permits for the shorter of the two. A typo never joins or
// splits words. It returns the sum of the edits and whether every word is
// close enough.
func phraseDistance(in, kw [][]rune) (int, bool) {
	if len(in) != len(kw) {
		return 0, false
	}
	total := 0
	for i := range in {
		a, b := in[i], kw[i]
		if slices.Equal(a, b) {
			continue
		}
		limit := allowedEdits(min(len(a), len(b)))
		if limit == 0 {
			return 0, false
		}
		d := editDistance(a, b, limit)
		if d > limit {
			return 0, false
		}
		total += d
	}
	return total, true
}

// wordRunes splits a normalized phrase into its words, as runes.
func wordRunes(phrase string) [][]rune {
	fields := strings.Fields(phrase)
	out := make([][]rune, len(fields))
	for i, f := range fields {
		out[i] = []rune(f)
	}
	return out
}

// inSentence finds an agent phrase of two words or more anywhere in the
// tokens: "saya mau bicara dengan admin", "I want to talk to someone".
// Words compare exactly, but the phrase's last word may begin a longer
// word, for languages that add endings ("müşteri hizmetlerine").
func (kw Keywords) inSentence(tokens []string) (keywordMatch, bool) {
	if kw.ix == nil {
		return keywordMatch{}, false
	}
	in := wordRunes(strings.Join(tokens, " "))
	var found []keywordEntry
	for _, e := range kw.ix.inSentence {
		n := len(e.words)
		for start := 0; start+n <= len(in); start++ {
			if len(in[start+n-1]) < len(e.words[n-1]) {
				continue
			}
			if phraseAt(in[start:start+n], e.words) {
				found = append(found, e)
				break
			}
		}
	}
	if len(found) == 0 {
		return keywordMatch{}, false
	}
	return resolve(found, 0)
}

// phraseAt reports whether words are the phrase's words, the last one
// allowed to go on with an ending.
func phraseAt(words, phrase [][]rune) bool {
	last := len(phrase) - 1
	for i := range last {
		if !slices.Equal(words[i], phrase[i]) {
			return false
		}
	}
	w, p := words[last], phrase[last]
	return len(w) >= len(p) && slices.Equal(w[:len(p)], p)
}

// resolve turns the entries a phrase matched into a match: one intent, and
// its language when only one language has it.
func resolve(es []keywordEntry, n int) (keywordMatch, bool) {
	m := keywordMatch{intent: es[0].intent, lang: es[0].lang, words: n}
	for _, e := range es[1:] {
		if e.intent != m.intent {
			return keywordMatch{}, false
		}
		if e.lang != m.lang {
			m.lang = ""
		}
	}
	return m, true
}

// maxEdits is the largest edit distance allowedEdits returns.
const maxEdits = 2

// minFuzzyLetters is the length from which a word may be a typo of a
// keyword: shorter words are everyday words of some language too ("kopi"
// is coffee, not "kode"), so they must be written as the keyword.
const minFuzzyLetters = 5

// allowedEdits is how far a word of n letters may be from a keyword's
// word: none below 5 letters, 1 from 5, 2 from 8.
func allowedEdits(n int) int {
	switch {
	case n >= 8:
		return 2
	case n >= minFuzzyLetters:
		return 1
	}
	return 0
}

// editDistance is the optimal string alignment distance between a and b
// (insertions, deletions, substitutions and swaps of adjacent letters each
// count 1), or limit+1 when it is above limit.
func editDistance(a, b []rune, limit int) int {
	if abs(len(a)-len(b)) > limit {
		return limit + 1
	}
	// Three rows: two back (for swaps), previous and current; on the
	// stack for keyword-sized words.
	var buf [3 * 32]int
	w := len(b) + 1
	rows := buf[:0]
	if 3*w <= len(buf) {
		rows = buf[:3*w]
	} else {
		rows = make([]int, 3*w)
	}
	prev2, prev, cur := rows[:w], rows[w:2*w], rows[2*w:]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
			rowMin = min(rowMin, d)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit+1)
}

func abs(n int) int { return max(n, -n) }

// squash collapses every run of one repeated letter: "hiii" → "hi",
// "pointsss" → "points", "hello" → "helo".
func squash(s string) string {
	var b strings.Builder
	var last rune = -1
	for _, r := range s {
		if r != last {
			b.WriteRune(r)
		}
		last = r
	}
	return b.String()
}

// tokenize normalizes s and splits it into words, each with punctuation
// and symbols trimmed from its ends ("hi, points!" → "hi", "points").
func tokenize(s string) []string {
	fields := strings.Fields(Normalize(s))
	out := fields[:0]
	for _, f := range fields {
		if f = trimEnds(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// unknownMsg says name is not one of known, suggesting the closest.
func unknownMsg(what, name string, known []string) string {
	msg := fmt.Sprintf("unknown %s %q", what, name)
	best, bestD := "", maxEdits+1
	for _, k := range known {
		if d := editDistance([]rune(name), []rune(k), maxEdits); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		return msg + fmt.Sprintf("; did you mean %q?", best)
	}
	return msg + "; known: " + strings.Join(slices.Sorted(slices.Values(known)), ", ")
}

// unknownLanguageMsg says lang is not a supported language.
func unknownLanguageMsg(lang string) string {
	return fmt.Sprintf("unknown language %q; languages are %s", lang, strings.Join(languages, ", "))
}
