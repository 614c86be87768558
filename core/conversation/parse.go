package conversation

import (
	"cmp"
	"strings"
)

// Kind is what a customer's message asks for.
type Kind string

// Kinds of intent.
const (
	KindJoin       Kind = "join"        // join the program, maybe with a referral code
	KindConsentYes Kind = "consent_yes" // accepts promotional messages
	KindConsentNo  Kind = "consent_no"  // declines promotional messages
	KindPoints     Kind = "points"      // asks for the balance
	KindRewards    Kind = "rewards"     // asks for the rewards catalog
	KindRedeem     Kind = "redeem"      // chose a reward (Intent.RewardID)
	KindConfirm    Kind = "confirm"     // confirms redeeming a reward
	KindCancel     Kind = "cancel"      // cancels redeeming a reward
	KindRefer      Kind = "refer"       // asks for their referral code
	KindStop       Kind = "stop"        // stop promotional messages
	KindStart      Kind = "start"       // resume promotional messages
	KindHelp       Kind = "help"        // asks for the menu, or greets
	KindAgent      Kind = "agent"       // wants a person
	KindLanguage   Kind = "language"    // wants another language (Intent.Language, when named)
	KindUnknown    Kind = "unknown"     // anything else
)

// Expect is the question the bot last asked a customer and still waits an
// answer to: it decides what "yes" and "no" mean.
type Expect string

// Questions the bot asks.
const (
	ExpectNothing  Expect = ""         // no question: "yes" and "no" mean nothing (KindUnknown)
	ExpectConsent  Expect = "consent"  // consent_question: yes and no words give KindConsentYes, KindConsentNo
	ExpectConfirm  Expect = "confirm"  // redeem_confirm_question: yes and no words give KindConfirm, KindCancel
	ExpectLanguage Expect = "language" // language_question: a bare language code ("tr") names a language too
)

// Join sources: where a customer who joins came from. JoinText writes the
// word of SourceQR and SourceAd after the referral code, and Parse reads
// it back.
const (
	SourceQR   = "qr"   // scanned a QR code
	SourceAd   = "ad"   // tapped an ad
	SourceLink = "link" // opened a plain link: JoinText adds no word, Parse gives ""
)

// Input is one message from a customer.
type Input struct {
	// Text is what the customer wrote, or the title of what they tapped.
	Text string
	// ReplyID is the id of the reply button, list row or template quick
	// reply (its payload) the customer tapped; "" for a typed message. The
	// bot's own ids (see ReplyConsentYes, RewardReplyID…) are read first;
	// any other falls back to reading Text.
	ReplyID string
	// Expect is the question the bot waits an answer to, if any.
	Expect Expect
}

// Intent is what a message asks for.
type Intent struct {
	Kind Kind
	// Lang is the language of the keyword the customer wrote: "" for a
	// tap, for no keyword, or for a keyword several languages share
	// ("stop", "menu"). With KindUnknown it is the language of a keyword
	// the message started with, if any ("ya" that answers nothing, "points"
	// opening a long sentence): the language to say not_understood in.
	Lang string
	// ReferralCode is the referral code a join carries, upper case, "" if
	// none: 8 letters or digits, at least one a digit unless the customer
	// wrote it in capitals.
	ReferralCode string
	// Source is where a join came from: SourceQR, SourceAd or "" (typed, or
	// a plain link).
	Source string
	// RewardID is the reward chosen (KindRedeem) or confirmed or cancelled
	// (KindConfirm, KindCancel) by a tap. A typed yes or no leaves it ""
	// for the reward the bot asked about.
	RewardID string
	// Language is the language asked for with KindLanguage, "" when the
	// customer did not name one (then ask them, with language_question).
	Language string
}

// maxTrailingWords is how many words may follow a keyword: "points
// please" asks for points, a longer sentence that merely starts with one
// ("hediye kartı satıyor musunuz?", do you sell gift cards?) is not
// understood. A greeting takes one ("halo kak"): a greeting followed by a
// question is a question. A referral code and a source word after a join
// keyword do not count, and a language keyword that names a language takes
// any.
const (
	maxTrailingWords         = 2
	maxTrailingGreetingWords = 1
)

// Parse reads what a customer's message asks for. A tap on one of the
// bot's own buttons (in.ReplyID) decides alone. Otherwise the text is
// normalized (see Normalize) and its first words compared with kw's
// keywords: exactly, then with repeated letters squashed ("pointsss",
// "hadiahh"), then word by word within one edit for words of 5 letters or
// more and two from 8 ("pionts", "rewrds"). Shorter words are never
// guessed, nor words joined or split ("kopi saya" is not "kode saya").
// Stop, start and yes words are never guessed either: a typo must not
// change what a customer agreed to.
//
// A keyword may be followed by up to two words ("points please"), a
// greeting by one ("halo kak"); a longer sentence is not understood. A
// join keyword may be followed by a referral code and a source word as
// JoinText writes them ("JOIN ABC12345 QR") and filler words ("daftar
// sekarang", "join now please"), nothing else: "daftar harga" (a price
// list) and "kopi saya" (the tenant's join keyword KOPI: coffee) are not
// joins. A start word takes filler words only: resuming promotions is
// consent. A greeting, or a yes or no that answers nothing, gives way to a keyword
// after it, or after the word after it ("hi, my points", "halo kak, poin"
// → points), and so does a join word not followed by a code ("daftar
// hadiah", the list of rewards → rewards).
//
// An agent phrase of two words or more asks for a person anywhere in a
// message the rest leaves not understood ("saya mau bicara dengan admin",
// "I want to talk to someone").
//
// Yes and no words answer the question in.Expect, and mean nothing without
// one. A message that is just a language's name ("Italiano", "bahasa
// indonesia") asks for that language; a language keyword may name one
// ("language tr").
//
// Parse is pure and safe for concurrent use.
func Parse(in Input, kw Keywords) Intent {
	if in.ReplyID != "" {
		if it, ok := parseReplyID(in.ReplyID); ok {
			return it
		}
	}
	tokens := tokenize(in.Text)
	if len(tokens) == 0 {
		return Intent{Kind: KindUnknown}
	}
	it := parseWords(in, tokens, kw)
	if it.Kind == KindUnknown {
		// A sentence asking for a person hands over wherever it says so.
		if m, ok := kw.inSentence(tokens); ok {
			return Intent{Kind: KindAgent, Lang: m.lang}
		}
	}
	return it
}

// parseWords reads the normalized words of a typed message.
func parseWords(in Input, tokens []string, kw Keywords) Intent {
	whole := strings.Join(tokens, " ")
	if !kw.isKeyword(whole) {
		if lang := languageNamed(whole, in.Expect == ExpectLanguage, false); lang != "" {
			return Intent{Kind: KindLanguage, Language: lang}
		}
	}
	m, ok := kw.match(tokens)
	if !ok {
		if lang := languageNamed(whole, false, true); lang != "" {
			return Intent{Kind: KindLanguage, Language: lang}
		}
		return Intent{Kind: KindUnknown}
	}
	rest := tokens[m.words:]
	if len(rest) > 0 && givesWay(m.intent, in.Expect, rest) {
		if next, ok := kw.next(rest); ok && !leading(next.intent, in.Expect) && next.intent != WordsJoin {
			next.lang = cmp.Or(next.lang, m.lang)
			m, rest = next, rest[next.skipped+next.words:]
		}
	}
	it := Intent{Kind: KindUnknown, Lang: m.lang}
	switch m.intent {
	case WordsJoin:
		// Join words may be everyday words ("KOPI" is coffee, "daftar
		// harga" a price list): they join alone, as JoinText writes them
		// or with filler words, never opening a sentence.
		code, source, other := joinArgs(rest, in.Text, kw)
		if other > 0 {
			return it
		}
		it.Kind, it.ReferralCode, it.Source = KindJoin, code, source
		return it
	case WordsStart:
		// Resuming promotions is consent: only filler words may follow
		// ("mulai lagi"), not a question ("mulai jam berapa?").
		for _, w := range rest {
			if !fillerWords()[w] {
				return it
			}
		}
	case WordsLanguage:
		if it.Language = languageNamed(strings.Join(rest, " "), true, true); it.Language != "" || len(rest) <= maxTrailingWords {
			it.Kind = KindLanguage
		}
		return it
	}
	if len(rest) > maxTrailingWords || m.intent == WordsHelp && len(rest) > maxTrailingGreetingWords {
		return it
	}
	switch m.intent {
	case WordsYes:
		it.Kind = answer(in.Expect, KindConsentYes, KindConfirm)
	case WordsNo:
		it.Kind = answer(in.Expect, KindConsentNo, KindCancel)
	default:
		it.Kind = Kind(m.intent) // the other keyword intents share their names with kinds
	}
	return it
}

// givesWay reports whether a keyword of intent, followed by rest, gives
// way to a keyword at the start of rest: a leading word (see leading), or
// a join word before anything but a referral code ("daftar hadiah" is
// the list of rewards in Indonesian).
func givesWay(intent string, expect Expect, rest []string) bool {
	if intent == WordsJoin {
		return !isReferralCode(strings.ReplaceAll(rest[0], "-", ""))
	}
	return leading(intent, expect)
}

// leading reports whether a keyword of intent, at the start of a message,
// gives way to a keyword after it: greetings, and yes or no when they
// answer nothing.
func leading(intent string, expect Expect) bool {
	switch intent {
	case WordsHelp:
		return true
	case WordsYes, WordsNo:
		return answer(expect, KindConsentYes, KindConfirm) == KindUnknown
	}
	return false
}

// answer is the kind a yes or no word has while the bot expects expect.
func answer(expect Expect, consent, confirm Kind) Kind {
	switch expect {
	case ExpectConsent:
		return consent
	case ExpectConfirm:
		return confirm
	}
	return KindUnknown
}

// joinArgs finds a referral code and a source word among the words after
// a join keyword in text, and counts the other words. A code is 8 letters
// or digits (dashes ignored) that are not a keyword; one of letters only
// must be in capitals in text, as JoinText writes it, for "daftar
// sekarang" ("register now") holds no code. Filler words, join words and
// words shaped like codes (even when one is taken already) are not other
// words.
func joinArgs(words []string, text string, kw Keywords) (code, source string, other int) {
	for _, w := range words {
		c := strings.ReplaceAll(w, "-", "")
		switch {
		case source == "" && (w == SourceQR || w == SourceAd):
			source = w
		case fillerWords()[w] || kw.isJoinWord(w):
		case !isReferralCode(c) || kw.isKeyword(c):
			if !mistypedCode(c) {
				other++
			}
		case code == "":
			c = strings.ToUpper(c)
			if strings.ContainsAny(c, "0123456789") || strings.Contains(strings.ReplaceAll(text, "-", ""), c) {
				code = c
			} else {
				other++
			}
		}
	}
	return code, source, other
}

// referralCodeLength is the length of a referral code.
const referralCodeLength = 8

// mistypedCode reports whether s, normalized, looks like a referral code
// written wrong: 4 to 16 ASCII letters and digits, at least one a digit
// ("ABC123"). A join keeps it, without a code.
func mistypedCode(s string) bool {
	if len(s) < 4 || len(s) > 2*referralCodeLength || !strings.ContainsAny(s, "0123456789") {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// isReferralCode reports whether s, normalized, is shaped like a referral
// code: 8 ASCII letters or digits.
func isReferralCode(s string) bool {
	if len(s) != referralCodeLength {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
