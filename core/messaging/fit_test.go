package messaging_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
)

func TestCleanParam(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Sari", "Sari"},
		{"line feed", "2x Kopi Susu\n1x Roti", "2x Kopi Susu 1x Roti"},
		{"carriage return and line feed", "a\r\nb", "a  b"},
		{"tab", "a\tb", "a b"},
		{"four spaces are allowed", "a    b", "a    b"},
		{"five spaces become four", "a     b", "a    b"},
		{"many line breaks become four spaces", "a\n\n\n\n\n\n\nb", "a    b"},
		{"line and paragraph separators", "a\u2028b\u2029c", "a b c"},
		{"other controls", "a\x00b\x1bc", "a b c"},
		{"ends trimmed", "\n Sari \t", "Sari"},
		{"emoji and right-to-left text kept", "☕ قهوة", "☕ قهوة"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, messaging.CleanParam(tt.in))
		})
	}
}

// fitNotification is a rule whose template takes a text header, three
// body parameters from the outcome's data and a copy-code button.
func fitNotification() config.Notification {
	return config.Notification{
		Name: "order-summary", On: event.OutcomePointsEarned, Sender: "wa", Category: messaging.CategoryUtility,
		Template: config.NotificationTmpl{
			Name: "order_summary", Language: "en",
			Header:  &config.NotificationHeader{Type: messaging.HeaderText, Text: "data.title"},
			Body:    []string{"member.name", "data.items", "data.note"},
			Buttons: []config.NotificationButton{{Index: 0, SubType: messaging.ButtonCopyCode, Value: "data.code"}},
		},
	}
}

func TestRenderFitsTemplateParams(t *testing.T) {
	long := func(word string, n int) string { return strings.TrimSpace(strings.Repeat(word+" ", n)) }
	tests := []struct {
		name   string
		data   map[string]any
		header string
		body   []string
		fitted int
	}{
		{
			name:   "within every limit",
			data:   map[string]any{"title": "Your order", "items": "2x Kopi", "note": "Thanks", "code": "KOPI-1"},
			header: "Your order", body: []string{"Sari", "2x Kopi", "Thanks"},
		},
		{
			name:   "a header longer than 60 characters",
			data:   map[string]any{"title": long("Pesanan", 10), "items": "2x Kopi", "note": "", "code": "KOPI-1"},
			header: long("Pesanan", 10)[:59] + "…", body: []string{"Sari", "2x Kopi", messaging.EmptyParam}, fitted: 2,
		},
		{
			name:   "line breaks and tabs",
			data:   map[string]any{"title": "Your\norder", "items": "2x Kopi\n1x Roti\t(hangat)", "note": "a      b", "code": "KOPI-1"},
			header: "Your order", body: []string{"Sari", "2x Kopi 1x Roti (hangat)", "a    b"}, fitted: 3,
		},
		{
			name: "one long parameter is cut, the short ones stay whole",
			data: map[string]any{"title": "Your order", "items": long("1x Kopi Susu Gula Aren,", 100), "note": "Thanks", "code": "KOPI-1"},
			// 1024 less "Sari" and "Thanks": 1014 for the list.
			header: "Your order",
			body:   []string{"Sari", member.Truncate(long("1x Kopi Susu Gula Aren,", 100), 1014), "Thanks"}, fitted: 1,
		},
		{
			name:   "two long parameters share the room",
			data:   map[string]any{"title": "Your order", "items": strings.Repeat("a", 900), "note": strings.Repeat("b", 700), "code": "KOPI-1"},
			header: "Your order",
			body:   []string{"Sari", strings.Repeat("a", 509) + "…", strings.Repeat("b", 509) + "…"}, fitted: 2,
		},
	}
	r, err := messaging.NewRenderer("acme", fitNotification())
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := outcome()
			o.Data = tt.data
			cmd, ok, err := r.Render(o)
			require.NoError(t, err)
			require.True(t, ok)
			require.NoError(t, cmd.Validate(), "a fitted command is valid")
			assert.Equal(t, tt.header, cmd.Template.Header.Text)
			var body []string
			total := 0
			for _, p := range cmd.Template.Body {
				body = append(body, p.Text)
				total += member.Length(p.Text)
			}
			assert.Equal(t, tt.body, body)
			assert.LessOrEqual(t, total, messaging.MaxBodyParams)
			assert.LessOrEqual(t, member.Length(cmd.Template.Header.Text), messaging.MaxHeaderText)
			assert.Equal(t, tt.fitted, cmd.Fitted())
			assert.Equal(t, tt.data["code"], cmd.Template.Buttons[0].Value, "a code is never cut")
		})
	}
}

func TestRenderFitsTextAndFallback(t *testing.T) {
	n := config.Notification{
		Name: "news", On: event.OutcomePointsEarned, Sender: "wa", Category: messaging.CategoryMarketing,
		Text: "data.text",
		Fallback: &config.NotificationTmpl{
			Name: "news", Language: "en", Body: []string{"data.text"},
		},
	}
	r, err := messaging.NewRenderer("acme", n)
	require.NoError(t, err)
	o := outcome()
	text := strings.Repeat("Promo minggu ini!\n", 300) // 5,400 characters
	o.Data = map[string]any{"text": text}
	cmd, ok, err := r.Render(o)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, cmd.Validate())
	assert.Equal(t, member.Truncate(text, messaging.MaxTextBody), cmd.Text, "a text keeps its line breaks, cut to 4096")
	assert.Equal(t, messaging.MaxTextBody, member.Length(cmd.Text))
	fallback := cmd.Fallback.Body[0].Text
	assert.NotContains(t, fallback, "\n")
	assert.Equal(t, messaging.MaxBodyParams, member.Length(fallback))
	assert.True(t, strings.HasSuffix(fallback, "…"))
	assert.Equal(t, 2, cmd.Fitted())
}

func TestFitLeavesButtonsAndMediaAlone(t *testing.T) {
	tmpl := &messaging.Template{
		Name: "t", Language: "en",
		Header:  &messaging.Header{Type: messaging.HeaderImage, Link: "https://example.com/a\nb.png"},
		Buttons: []messaging.Button{{Index: 0, SubType: messaging.ButtonURL, Value: strings.Repeat("x", 2000)}},
	}
	assert.Zero(t, tmpl.Fit())
	assert.Equal(t, "https://example.com/a\nb.png", tmpl.Header.Link)
	assert.Len(t, tmpl.Buttons[0].Value, 2000)
	var none *messaging.Template
	assert.Zero(t, none.Fit())
}

func FuzzFit(f *testing.F) {
	f.Add("Your order", "Sari", "2x Kopi\n1x Roti", 3)
	f.Add(strings.Repeat("é", 70), strings.Repeat("👨\u200d👩\u200d👧", 300), "a\t\t\t\t\t\tb", 40)
	f.Fuzz(func(t *testing.T, header, a, b string, repeat int) {
		repeat = min(max(repeat, 0), 400)
		tmpl := &messaging.Template{
			Name: "t", Language: "en",
			Header: &messaging.Header{Type: messaging.HeaderText, Text: header + "x"},
			Body:   messaging.Positional(a, strings.Repeat(b, repeat), a+b),
		}
		tmpl.Fit()
		cmd := messaging.Command{Key: "k", To: "+6281234567890", Kind: messaging.KindTemplate, Template: tmpl}
		if err := cmd.Validate(); err != nil {
			t.Fatalf("a fitted template is invalid: %v", err)
		}
		total := 0
		for _, p := range append([]messaging.Param{{Text: tmpl.Header.Text}}, tmpl.Body...) {
			if strings.ContainsAny(p.Text, "\n\r\t") || strings.Contains(p.Text, "     ") {
				t.Fatalf("parameter %q keeps a line break, a tab or five spaces", p.Text)
			}
			total += member.Length(p.Text)
		}
		if total-member.Length(tmpl.Header.Text) > messaging.MaxBodyParams {
			t.Fatalf("body parameters are %d long", total)
		}
		if again := tmpl.Fit(); again != 0 {
			t.Fatalf("fitting twice changed %d more", again)
		}
	})
}
