package messaging_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/messaging"
)

func base(kind string) messaging.Command {
	return messaging.Command{Key: "msg_1", Tenant: "acme", Sender: "wa", To: "+6281234567890", Kind: kind}
}

func TestValidate(t *testing.T) {
	tpl := func(mod func(*messaging.Template)) messaging.Command {
		c := base(messaging.KindTemplate)
		c.Template = &messaging.Template{Name: "points_earned", Language: "id", Body: messaging.Positional("Sari", "120")}
		if mod != nil {
			mod(c.Template)
		}
		return c
	}
	buttons := func(bs ...messaging.ReplyButton) messaging.Command {
		c := base(messaging.KindButtons)
		c.Interactive = &messaging.Interactive{Body: "Join?", Buttons: bs}
		return c
	}
	list := func(sections ...messaging.Section) messaging.Command {
		c := base(messaging.KindList)
		c.Interactive = &messaging.Interactive{Body: "Pick a reward", ListButton: "Rewards", Sections: sections}
		return c
	}
	rows := func(n int) []messaging.Row {
		out := make([]messaging.Row, n)
		for i := range out {
			out[i] = messaging.Row{ID: "r" + strings.Repeat("x", i), Title: "Reward"}
		}
		return out
	}
	text := base(messaging.KindText)
	text.Text = "hello"
	image := base(messaging.KindImage)
	image.Media = &messaging.Media{Link: "https://cdn.example.com/a.jpg", Caption: "New rewards"}
	cta := base(messaging.KindCTAURL)
	cta.Interactive = &messaging.Interactive{Body: "Your card", URL: "https://example.com/card", URLText: "Open card"}
	bsuid := text
	bsuid.To, bsuid.UserID = "", "ID.13491208655302741918"
	withFallback := text
	withFallback.Fallback = &messaging.Template{Name: "reconnect", Language: "id"}

	tests := []struct {
		name string
		cmd  messaging.Command
		err  string // "" valid
	}{
		{"positional template", tpl(nil), ""},
		{"named template", tpl(func(t *messaging.Template) {
			t.Body = []messaging.Param{{Name: "first_name", Text: "Sari"}, {Name: "points", Text: "120"}}
		}), ""},
		{"template with header, url and quick reply buttons", tpl(func(t *messaging.Template) {
			t.Header = &messaging.Header{Type: messaging.HeaderImage, Link: "https://cdn.example.com/gold.png"}
			t.Buttons = []messaging.Button{{Index: 0, SubType: messaging.ButtonQuickReply, Value: "STOP"}, {Index: 1, SubType: messaging.ButtonURL, Value: "card/123"}}
		}), ""},
		{"text", text, ""},
		{"text to a business-scoped user id", bsuid, ""},
		{"text with fallback template", withFallback, ""},
		{"image", image, ""},
		{"cta url", cta, ""},
		{"three buttons", buttons(messaging.ReplyButton{ID: "y", Title: "Yes"}, messaging.ReplyButton{ID: "n", Title: "No"}, messaging.ReplyButton{ID: "l", Title: "Later"}), ""},
		{"empty section", list(messaging.Section{Title: "A", Rows: rows(5)}, messaging.Section{Title: "B", Rows: rows(5)[:0:0]}), "sections[1].rows: a section needs at least one row"},
		{"rows across sections", list(messaging.Section{Title: "A", Rows: rows(5)}, messaging.Section{Title: "B", Rows: []messaging.Row{{ID: "b1", Title: "x"}, {ID: "b2", Title: "x"}}}), ""},

		{"no key", func() messaging.Command { c := text; c.Key = ""; return c }(), "no idempotency key"},
		{"no recipient", func() messaging.Command { c := text; c.To = ""; return c }(), "no recipient"},
		{"unknown kind", base("sticker"), `unknown message kind "sticker"`},
		{"template without name", tpl(func(t *messaging.Template) { t.Name = "" }), "needs a template name and language"},
		{"mixed named and positional", tpl(func(t *messaging.Template) { t.Body[0].Name = "first_name" }), "template.body[1]: a template with named parameters needs a name"},
		{"bad parameter name", tpl(func(t *messaging.Template) { t.Body = []messaging.Param{{Name: "First", Text: "x"}} }), `parameter name "First"`},
		{"duplicate parameter name", tpl(func(t *messaging.Template) {
			t.Body = []messaging.Param{{Name: "a", Text: "x"}, {Name: "a", Text: "y"}}
		}), `"a" is used twice`},
		{"long parameter", tpl(func(t *messaging.Template) { t.Body[0].Text = strings.Repeat("é", 1025) }), "template.body[0]: at most 1024 characters, got 1025"},
		{"header text too long", tpl(func(t *messaging.Template) {
			t.Header = &messaging.Header{Type: messaging.HeaderText, Text: strings.Repeat("x", 61)}
		}), "template.header: at most 60 characters"},
		{"header media without link", tpl(func(t *messaging.Template) { t.Header = &messaging.Header{Type: messaging.HeaderDocument} }), "template.header: a link is required"},
		{"button sub-type", tpl(func(t *messaging.Template) { t.Buttons = []messaging.Button{{SubType: "flow", Value: "x"}} }), "sub_type must be quick_reply, url or copy_code"},
		{"button index twice", tpl(func(t *messaging.Template) {
			t.Buttons = []messaging.Button{{SubType: "url", Value: "a"}, {SubType: "url", Value: "b"}}
		}), "index 0 is given twice"},
		{"empty text", func() messaging.Command { c := text; c.Text = ""; return c }(), "text: required"},
		{"text too long", func() messaging.Command { c := text; c.Text = strings.Repeat("a", 4097); return c }(), "at most 4096"},
		{"four buttons", buttons(messaging.ReplyButton{ID: "1", Title: "1"}, messaging.ReplyButton{ID: "2", Title: "2"}, messaging.ReplyButton{ID: "3", Title: "3"}, messaging.ReplyButton{ID: "4", Title: "4"}), "1 to 3 reply buttons, got 4"},
		{"button title too long", buttons(messaging.ReplyButton{ID: "1", Title: strings.Repeat("t", 21)}), "buttons[0].title: at most 20 characters"},
		{"duplicate button title", buttons(messaging.ReplyButton{ID: "1", Title: "Yes"}, messaging.ReplyButton{ID: "2", Title: "Yes"}), "must be unique"},
		{"eleven rows", list(messaging.Section{Title: "A", Rows: rows(6)}, messaging.Section{Title: "B", Rows: []messaging.Row{{ID: "b1", Title: "x"}, {ID: "b2", Title: "x"}, {ID: "b3", Title: "x"}, {ID: "b4", Title: "x"}, {ID: "b5", Title: "x"}}}), "at most 10 rows in all, got 11"},
		{"untitled section among several", list(messaging.Section{Rows: rows(1)}, messaging.Section{Title: "B", Rows: []messaging.Row{{ID: "b", Title: "x"}}}), "sections[0].title: required"},
		{"row title too long", list(messaging.Section{Rows: []messaging.Row{{ID: "a", Title: strings.Repeat("x", 25)}}}), "rows[0].title: at most 24"},
		{"list without button label", func() messaging.Command {
			c := list(messaging.Section{Rows: rows(1)})
			c.Interactive.ListButton = ""
			return c
		}(), "list.list_button: required"},
		{"cta without url", func() messaging.Command {
			c := cta
			c.Interactive = &messaging.Interactive{Body: "x", URLText: "Open"}
			return c
		}(), "cta_url.url: a link is required"},
		{"image link not a URL", func() messaging.Command { c := image; c.Media = &messaging.Media{Link: "file:///etc/passwd"}; return c }(), "is not an http or https URL"},
		{"document without media", base(messaging.KindDocument), "document: the message has no media"},
		{"fallback on a template", func() messaging.Command {
			c := tpl(nil)
			c.Fallback = &messaging.Template{Name: "x", Language: "id"}
			return c
		}(), "only a free-form message can have a fallback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cmd.Validate()
			if tt.err == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestFreeForm(t *testing.T) {
	assert.False(t, messaging.FreeForm(messaging.KindTemplate))
	for _, k := range []string{messaging.KindText, messaging.KindButtons, messaging.KindList, messaging.KindCTAURL, messaging.KindImage, messaging.KindDocument} {
		assert.True(t, messaging.FreeForm(k), k)
	}
}

func TestEcosystemRetryIsOnceAndAfterTheHold(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	cmd := messaging.Command{Key: "msg_1", Tenant: "acme", Sender: "wa", To: "+6281234567890", Kind: messaging.KindTemplate,
		Category: messaging.CategoryMarketing, Template: &messaging.Template{Name: "offer", Language: "en"}, Origin: "campaign:x/a"}
	retry, ok := cmd.EcosystemRetry(now)
	if !ok {
		t.Fatal("a first 131049 is retried")
	}
	if retry.Key != "msg_1~retry" || retry.Origin != cmd.Origin || retry.Template.Name != "offer" {
		t.Fatalf("retry = %+v, want the same message under its own key", retry)
	}
	if !retry.NotBefore.After(now.Add(messaging.EcosystemHold)) {
		t.Fatalf("retry due %s, want after the 24 h hold", retry.NotBefore)
	}
	if _, ok := retry.EcosystemRetry(now.Add(25 * time.Hour)); ok {
		t.Fatal("a retry refused again is not retried")
	}
}
