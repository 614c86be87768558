package messaging

import (
	"crypto/sha256"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/loyalhub/loyalhub/core/member"
)

// LinkCodeLength is the length of a short link's code: 12 letters and
// digits, about 71 bits, so that two links of a hub sharing a code is
// beyond any realistic count of messages.
const LinkCodeLength = 12

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// LinkCode is the code of the short link of url in the message with key of
// tenant: derived from the three alone, so that sending the message again
// (after a crash, a retry) gives the same link, and never a second one.
func LinkCode(tenant, key, url string) string {
	h := sha256.New()
	for _, s := range []string{tenant, key, url} {
		h.Write([]byte(s))
		h.Write([]byte{0}) // no two triples hash the same bytes
	}
	sum := h.Sum(nil)
	code := make([]byte, LinkCodeLength)
	for i := range code {
		code[i] = base62[sum[i]%62]
	}
	return string(code)
}

// ValidLinkCode reports whether s has the form of a code LinkCode makes.
func ValidLinkCode(s string) bool {
	if len(s) != LinkCodeLength {
		return false
	}
	for i := range len(s) {
		if !strings.ContainsRune(base62, rune(s[i])) {
			return false
		}
	}
	return true
}

// FindURLs returns where the http and https URLs of text are, as byte
// offsets [start, end) in order. A URL starts with its scheme (any case)
// where no ASCII letter or digit comes right before, runs to a space, a
// control character, a quote, an angle bracket or punctuation outside
// ASCII (a full-width comma, a closing guillemet), and leaves out what
// ends a sentence or a formatting mark after it: final . , ; : ! ? * _ ~
// and closing brackets it did not open. One without a host is not a URL.
func FindURLs(text string) [][2]int {
	var out [][2]int
	for i := 0; i < len(text); {
		start := schemeAt(text, i)
		if start < 0 {
			break
		}
		end := start
		for end < len(text) {
			r, n := utf8.DecodeRuneInString(text[end:])
			if !urlRune(r) {
				break
			}
			end += n
		}
		end = trimURL(text[start:end]) + start
		if hasHost(text[start:end]) {
			out = append(out, [2]int{start, end})
			i = end
		} else {
			i = start + 1
		}
	}
	return out
}

// schemeAt returns where the next "http://" or "https://" (any case) from
// i starts that no ASCII letter or digit precedes, or -1: in a script
// written without spaces a URL may follow a letter.
func schemeAt(text string, i int) int {
	for i < len(text) {
		j := indexFold(text[i:], "http")
		if j < 0 {
			return -1
		}
		j += i
		rest := text[j+4:]
		if len(rest) > 0 && (rest[0] == 's' || rest[0] == 'S') {
			rest = rest[1:]
		}
		if strings.HasPrefix(rest, "://") {
			if j == 0 || !asciiAlnum(text[j-1]) {
				return j
			}
		}
		i = j + 1
	}
	return -1
}

func asciiAlnum(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}

// indexFold is strings.Index of an ASCII lower-case word, in any case.
func indexFold(s, word string) int {
	for i := 0; i+len(word) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(word)], word) {
			return i
		}
	}
	return -1
}

// urlRune reports whether r may be part of a URL in text.
func urlRune(r rune) bool {
	switch {
	case r == utf8.RuneError, unicode.IsSpace(r), unicode.IsControl(r):
		return false
	case r < utf8.RuneSelf:
		return !strings.ContainsRune("\"'<>`{}|\\^", r)
	default:
		// Letters, digits and marks of any script (an address in
		// Turkish or Persian); not punctuation, symbols or format
		// characters, which end a URL written in running text.
		return unicode.In(r, unicode.L, unicode.M, unicode.N)
	}
}

// trimURL returns the length of u without what ends the sentence or the
// formatting around it.
func trimURL(u string) int {
	for u != "" {
		last := u[len(u)-1]
		switch {
		case strings.IndexByte(".,;:!?*_~", last) >= 0:
		case last == ')' && strings.Count(u, "(") < strings.Count(u, ")"):
		case last == ']' && strings.Count(u, "[") < strings.Count(u, "]"):
		default:
			return len(u)
		}
		u = u[:len(u)-1]
	}
	return 0
}

// hasHost reports whether u parses as an http or https URL with a host.
func hasHost(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.Hostname() == "" {
		return false
	}
	s := strings.ToLower(p.Scheme)
	return s == "http" || s == "https"
}

// ShortenURLs returns the command with each URL of its texts replaced by
// short(url) when short reports ok, and the URLs it replaced, each once in
// the order found. The texts are a template's body and text header
// parameters (its fallback's too), a text message's body, an interactive
// message's header, body and footer and its call-to-action URL, and a
// media caption. Links WhatsApp fetches (media, a header's document or
// image) and template buttons' values (a URL button takes a suffix of
// the template's URL) are left alone. A text whose short URLs would make
// it longer than WhatsApp's limit for it keeps its URLs as they are; so
// do template body parameters that would pass MaxBodyParams together.
// The command's own values are not changed.
func (c Command) ShortenURLs(short func(url string) (string, bool)) (Command, []string) {
	s := shortener{short: short, seen: map[string]bool{}}
	c.Template = s.template(c.Template)
	c.Fallback = s.template(c.Fallback)
	if c.Text != "" {
		c.Text = s.text(c.Text, MaxTextBody)
	}
	if in := c.Interactive; in != nil {
		cp := *in
		cp.Header = s.header(in.Header)
		cp.Body = s.text(in.Body, MaxInteractiveBody)
		cp.Footer = s.text(in.Footer, MaxFooter)
		cp.URL = s.whole(in.URL)
		c.Interactive = &cp
	}
	if m := c.Media; m != nil && m.Caption != "" {
		cp := *m
		cp.Caption = s.text(m.Caption, MaxCaption)
		c.Media = &cp
	}
	return c, s.used
}

// shortener replaces the URLs of one command's texts.
type shortener struct {
	short func(string) (string, bool)
	seen  map[string]bool
	used  []string
}

// replace returns text with its URLs short ones, and the URLs replaced.
func (s *shortener) replace(text string) (string, []string) {
	spans := FindURLs(text)
	if len(spans) == 0 {
		return text, nil
	}
	var b strings.Builder
	var used []string
	last := 0
	for _, sp := range spans {
		u := text[sp[0]:sp[1]]
		r, ok := s.short(u)
		if !ok || r == u {
			continue
		}
		b.WriteString(text[last:sp[0]])
		b.WriteString(r)
		last = sp[1]
		used = append(used, u)
	}
	if used == nil {
		return text, nil
	}
	b.WriteString(text[last:])
	return b.String(), used
}

// whole returns a call-to-action's URL, the whole text, as a short one.
func (s *shortener) whole(u string) string {
	if !hasHost(u) {
		return u
	}
	r, ok := s.short(u)
	if !ok || r == u {
		return u
	}
	s.keep([]string{u})
	return r
}

// text returns text with its URLs replaced when the result fits limit
// (UTF-16 code units), else text.
func (s *shortener) text(text string, limit int) string {
	out, used := s.replace(text)
	if used == nil || member.Length(out) > limit {
		return text
	}
	s.keep(used)
	return out
}

func (s *shortener) keep(used []string) {
	for _, u := range used {
		if !s.seen[u] {
			s.seen[u] = true
			s.used = append(s.used, u)
		}
	}
}

func (s *shortener) header(h *Header) *Header {
	if h == nil || h.Type != HeaderText {
		return h
	}
	cp := *h
	cp.Text = s.text(h.Text, MaxHeaderText)
	return &cp
}

// template shortens the URLs of a template's text header and body
// parameters, each body parameter as long as the body's parameters
// together still fit MaxBodyParams.
func (s *shortener) template(t *Template) *Template {
	if t == nil {
		return nil
	}
	cp := *t
	cp.Header = s.header(t.Header)
	total := 0
	for _, p := range t.Body {
		total += member.Length(p.Text)
	}
	cp.Body = make([]Param, len(t.Body))
	for i, p := range t.Body {
		cp.Body[i] = p
		out, used := s.replace(p.Text)
		if used == nil {
			continue
		}
		grown := member.Length(out) - member.Length(p.Text)
		if member.Length(out) > MaxTemplateParam || total+grown > MaxBodyParams {
			continue
		}
		total += grown
		cp.Body[i].Text = out
		s.keep(used)
	}
	if t.Body == nil {
		cp.Body = nil
	}
	return &cp
}
