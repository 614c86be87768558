package messaging_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// urls returns the URLs FindURLs finds in text.
func urls(text string) []string {
	var out []string
	for _, sp := range messaging.FindURLs(text) {
		out = append(out, text[sp[0]:sp[1]])
	}
	return out
}

func TestFindURLs(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"none", "Hi Sekar, you earned 120 points", nil},
		{"alone", "https://shop.example/cart", []string{"https://shop.example/cart"}},
		{"in a sentence", "Your cart: https://shop.example/c/1?x=2&y=3#top. Come back!",
			[]string{"https://shop.example/c/1?x=2&y=3#top"}},
		{"two, http and upper case", "HTTP://A.example/x, then https://b.example:8443/y!",
			[]string{"HTTP://A.example/x", "https://b.example:8443/y"}},
		{"in brackets", "(see https://shop.example/a) and [https://shop.example/b]",
			[]string{"https://shop.example/a", "https://shop.example/b"}},
		{"balanced brackets kept", "https://en.wikipedia.example/wiki/Kopi_(drink)",
			[]string{"https://en.wikipedia.example/wiki/Kopi_(drink)"}},
		{"bold", "*https://shop.example/promo*", []string{"https://shop.example/promo"}},
		{"quoted", `"https://shop.example/q" and 'https://shop.example/r'`,
			[]string{"https://shop.example/q", "https://shop.example/r"}},
		{"other scripts", "Sepetin: https://mağaza.example/ürün、次へ", []string{"https://mağaza.example/ürün"}},
		{"full-width stop", "链接https://shop.example/a。谢谢", []string{"https://shop.example/a"}},
		{"line break", "link:\nhttps://shop.example/a\nbye", []string{"https://shop.example/a"}},
		{"no host", "https:// and http:///path and https://?q", nil},
		{"inside a word", "xhttps://shop.example/a", nil},
		{"other schemes", "ftp://shop.example/a mailto:a@shop.example wa.me/62812", nil},
		{"scheme only", "use http or https://", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, urls(tt.text))
		})
	}
}

func TestLinkCode(t *testing.T) {
	a := messaging.LinkCode("acme", "msg_1", "https://shop.example/a")
	assert.Len(t, a, messaging.LinkCodeLength)
	assert.True(t, messaging.ValidLinkCode(a), a)
	assert.Equal(t, a, messaging.LinkCode("acme", "msg_1", "https://shop.example/a"), "the same link every time")
	for _, other := range []string{
		messaging.LinkCode("acme2", "msg_1", "https://shop.example/a"),
		messaging.LinkCode("acme", "msg_2", "https://shop.example/a"),
		messaging.LinkCode("acme", "msg_1", "https://shop.example/b"),
		messaging.LinkCode("acm", "emsg_1", "https://shop.example/a"),
	} {
		assert.NotEqual(t, a, other)
	}
	for _, bad := range []string{"", "abc", a + "x", a[:11] + "-", a[:11] + "é"} {
		assert.False(t, messaging.ValidLinkCode(bad), bad)
	}
}

// shortener shortens every URL to a fixed-length link by its code, as the
// sender does; a link of its own is left as it is.
func shortener(base string) func(string) (string, bool) {
	return func(u string) (string, bool) {
		if strings.HasPrefix(u, base+"/r/") {
			return u, false
		}
		return base + "/r/" + messaging.LinkCode("acme", "msg_1", u), true
	}
}

func TestShortenURLs(t *testing.T) {
	const base = "https://go.example"
	short := shortener(base)
	link := func(u string) string { s, _ := short(u); return s }
	long := "https://shop.example/" + strings.Repeat("a", 100)

	t.Run("template and fallback", func(t *testing.T) {
		tmpl := &messaging.Template{Name: "cart", Language: "id",
			Header:  &messaging.Header{Type: messaging.HeaderText, Text: "https://s.example/h"},
			Body:    messaging.Positional("Sekar", "Checkout: "+long+" or "+long, "https://shop.example/b"),
			Buttons: []messaging.Button{{Index: 0, SubType: messaging.ButtonURL, Value: "https://shop.example/x"}},
		}
		cmd := messaging.Command{Key: "msg_1", Kind: messaging.KindTemplate, Template: tmpl}
		out, used := cmd.ShortenURLs(short)
		assert.Equal(t, []string{"https://s.example/h", long, "https://shop.example/b"}, used, "each once, in order")
		assert.Equal(t, link("https://s.example/h"), out.Template.Header.Text)
		assert.Equal(t, []messaging.Param{{Text: "Sekar"}, {Text: "Checkout: " + link(long) + " or " + link(long)},
			{Text: link("https://shop.example/b")}}, out.Template.Body)
		assert.Equal(t, "https://shop.example/x", out.Template.Buttons[0].Value, "a URL button's suffix is left alone")
		assert.Equal(t, "Checkout: "+long+" or "+long, cmd.Template.Body[1].Text, "the command given is not changed")
		assert.Equal(t, "https://s.example/h", cmd.Template.Header.Text)

		again, used := out.ShortenURLs(short)
		assert.Empty(t, used, "short links are not shortened again")
		assert.Equal(t, out, again)
	})

	t.Run("free-form kinds", func(t *testing.T) {
		text, used := messaging.Command{Kind: messaging.KindText, Text: "See https://shop.example/a."}.ShortenURLs(short)
		assert.Equal(t, "See "+link("https://shop.example/a")+".", text.Text)
		assert.Equal(t, []string{"https://shop.example/a"}, used)

		in := &messaging.Interactive{Header: &messaging.Header{Type: messaging.HeaderImage, Link: "https://cdn.example/i.png"},
			Body: "Open https://shop.example/b", Footer: "Shop with us any time online: https://s.example/ft", URL: "https://shop.example/c", URLText: "Open"}
		cta, used := messaging.Command{Kind: messaging.KindCTAURL, Interactive: in}.ShortenURLs(short)
		assert.Equal(t, "https://cdn.example/i.png", cta.Interactive.Header.Link, "WhatsApp fetches media links itself")
		assert.Equal(t, "Open "+link("https://shop.example/b"), cta.Interactive.Body)
		assert.Equal(t, "Shop with us any time online: https://s.example/ft", cta.Interactive.Footer, "the footer's limit leaves no room for a longer link")
		assert.Equal(t, link("https://shop.example/c"), cta.Interactive.URL)
		assert.Equal(t, []string{"https://shop.example/b", "https://shop.example/c"}, used)
		assert.Equal(t, "Open https://shop.example/b", in.Body, "the command given is not changed")

		media := &messaging.Media{Link: "https://cdn.example/menu.pdf", Caption: "Menu https://shop.example/m"}
		doc, _ := messaging.Command{Kind: messaging.KindDocument, Media: media}.ShortenURLs(short)
		assert.Equal(t, "https://cdn.example/menu.pdf", doc.Media.Link)
		assert.Equal(t, "Menu "+link("https://shop.example/m"), doc.Media.Caption)
	})

	t.Run("limits", func(t *testing.T) {
		short := "https://a.example/1"
		full := strings.Repeat("x", messaging.MaxTextBody-len(short)-1) + " " + short
		out, used := messaging.Command{Kind: messaging.KindText, Text: full}.ShortenURLs(shortener(base))
		assert.Equal(t, full, out.Text, "a longer link would not fit the text")
		assert.Empty(t, used)

		// Three parameters filling the body's budget but for 20
		// characters: the first URL's link (14 longer) fits, the second's
		// would pass the budget.
		filler := strings.Repeat("y", messaging.MaxBodyParams-20-2*len(short))
		tmpl := &messaging.Template{Name: "t", Language: "en", Body: messaging.Positional(short, short, filler)}
		out, used = messaging.Command{Kind: messaging.KindTemplate, Template: tmpl}.ShortenURLs(shortener(base))
		assert.Equal(t, []string{short}, used)
		assert.Equal(t, link(short), out.Template.Body[0].Text)
		assert.Equal(t, short, out.Template.Body[1].Text)
		total := 0
		for _, p := range out.Template.Body {
			total += member.Length(p.Text)
		}
		assert.LessOrEqual(t, total, messaging.MaxBodyParams)
		require.NoError(t, messaging.Command{Key: "k", To: "+628", Kind: messaging.KindTemplate, Template: out.Template}.Validate())
	})

	t.Run("refused", func(t *testing.T) {
		none := func(string) (string, bool) { return "", false }
		cmd := messaging.Command{Kind: messaging.KindText, Text: "https://shop.example/a"}
		out, used := cmd.ShortenURLs(none)
		assert.Equal(t, cmd, out)
		assert.Empty(t, used)
	})
}

// FuzzShortenURLs checks the URL finder on any text (seeds in
// testdata/fuzz/FuzzShortenURLs): the URLs it finds are in order, apart,
// start with an http or https scheme and hold no space; shortening a
// text replaces every one of them, or none when the result would not fit,
// and shortening again changes nothing.
func FuzzShortenURLs(f *testing.F) {
	for _, s := range []string{
		"Hi https://shop.example/a.", "(https://a.example/(b)))", "HTTPS://X.example", "https://", "xhttp://a.b",
		"https://[::1]:80/p", "http://a.example/\u00e9\u0301\u200d", "https://a.b/c\xff", "*_https://a.b/_*",
	} {
		f.Add(s)
	}
	const base = "https://go.example"
	short := shortener(base)
	f.Fuzz(func(t *testing.T, text string) {
		spans := messaging.FindURLs(text)
		prev := 0
		for _, sp := range spans {
			if sp[0] < prev || sp[1] <= sp[0] || sp[1] > len(text) {
				t.Fatalf("%q: span %v after %d", text, sp, prev)
			}
			prev = sp[1]
			u := strings.ToLower(text[sp[0]:sp[1]])
			if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				t.Fatalf("%q: %q is not an http URL", text, u)
			}
			if strings.ContainsAny(u, " \t\r\n") {
				t.Fatalf("%q: %q holds a space", text, u)
			}
		}
		out, used := messaging.Command{Kind: messaging.KindText, Text: text}.ShortenURLs(short)
		if len(used) == 0 {
			if out.Text != text {
				t.Fatalf("%q: changed to %q without a URL replaced", text, out.Text)
			}
			return
		}
		if member.Length(out.Text) > messaging.MaxTextBody {
			t.Fatalf("%q: shortened past the limit", text)
		}
		found := urls(out.Text)
		if len(found) != len(spans) {
			t.Fatalf("%q: %d URLs, %d after shortening (%q)", text, len(spans), len(found), out.Text)
		}
		for _, u := range found {
			if !strings.HasPrefix(u, base+"/r/") {
				t.Fatalf("%q: %q left in %q", text, u, out.Text)
			}
		}
		again, more := out.ShortenURLs(short)
		if len(more) > 0 || again.Text != out.Text {
			t.Fatalf("%q: shortened twice: %q", out.Text, again.Text)
		}
	})
}
