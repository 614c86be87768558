package cloud

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/messaging"
)

func TestEncode(t *testing.T) {
	const envelope = `"messaging_product":"whatsapp","recipient_type":"individual","to":"6281234567890"`
	tests := []struct {
		name string
		cmd  messaging.Command
		want string
	}{
		{
			name: "template with params",
			cmd: messaging.Command{Key: "k1", To: "+6281234567890", Kind: messaging.KindTemplate,
				Template: &messaging.Template{Name: "points_earned", Language: "id", Body: messaging.Positional("Sari", "120")}},
			want: `{` + envelope + `,"biz_opaque_callback_data":"k1","type":"template",
				"template":{"name":"points_earned","language":{"code":"id","policy":"deterministic"},"components":[{"type":"body","parameters":[{"type":"text","text":"Sari"},{"type":"text","text":"120"}]}]}}`,
		},
		{
			name: "template without params omits components",
			cmd: messaging.Command{Key: "k2", To: "+6281234567890", Kind: messaging.KindTemplate,
				Template: &messaging.Template{Name: "welcome", Language: "en_US"}},
			want: `{` + envelope + `,"biz_opaque_callback_data":"k2","type":"template",
				"template":{"name":"welcome","language":{"code":"en_US","policy":"deterministic"}}}`,
		},
		{
			name: "named template with header and buttons",
			cmd: messaging.Command{Key: "k4", To: "+6281234567890", Kind: messaging.KindTemplate,
				Template: &messaging.Template{Name: "reward", Language: "en",
					Header:  &messaging.Header{Type: messaging.HeaderText, Name: "tier", Text: "Gold"},
					Body:    []messaging.Param{{Name: "first_name", Text: "Sari"}},
					Buttons: []messaging.Button{{Index: 0, SubType: "quick_reply", Value: "STOP"}, {Index: 1, SubType: "url", Value: "c/1"}, {Index: 2, SubType: "copy_code", Value: "K7"}}}},
			want: `{` + envelope + `,"biz_opaque_callback_data":"k4","type":"template","template":{"name":"reward","language":{"code":"en","policy":"deterministic"},"components":[
				{"type":"header","parameters":[{"type":"text","parameter_name":"tier","text":"Gold"}]},
				{"type":"body","parameters":[{"type":"text","parameter_name":"first_name","text":"Sari"}]},
				{"type":"button","sub_type":"quick_reply","index":"0","parameters":[{"type":"payload","payload":"STOP"}]},
				{"type":"button","sub_type":"url","index":"1","parameters":[{"type":"text","text":"c/1"}]},
				{"type":"button","sub_type":"copy_code","index":"2","parameters":[{"type":"coupon_code","coupon_code":"K7"}]}]}}`,
		},
		{
			name: "text",
			cmd:  messaging.Command{Key: "k3", To: "+6281234567890", Kind: messaging.KindText, Text: "Halo"},
			want: `{` + envelope + `,"biz_opaque_callback_data":"k3","type":"text","text":{"body":"Halo"}}`,
		},
		{
			name: "text with a link previews it, to a user id, as a reply",
			cmd:  messaging.Command{Key: "k5", UserID: "ID.1349", ReplyTo: "wamid.A", Kind: messaging.KindText, Text: "See https://example.com"},
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","recipient":"ID.1349","biz_opaque_callback_data":"k5","context":{"message_id":"wamid.A"},
				"type":"text","text":{"body":"See https://example.com","preview_url":true}}`,
		},
		{
			name: "reply buttons",
			cmd: messaging.Command{Key: "k6", To: "+6281234567890", Kind: messaging.KindButtons, Interactive: &messaging.Interactive{
				Body: "Join?", Footer: "STOP to leave", Buttons: []messaging.ReplyButton{{ID: "y", Title: "Yes"}}}},
			want: `{` + envelope + `,"biz_opaque_callback_data":"k6","type":"interactive","interactive":{"type":"button",
				"body":{"text":"Join?"},"footer":{"text":"STOP to leave"},"action":{"buttons":[{"type":"reply","reply":{"id":"y","title":"Yes"}}]}}}`,
		},
		{
			name: "list",
			cmd: messaging.Command{Key: "k7", To: "+6281234567890", Kind: messaging.KindList, Interactive: &messaging.Interactive{
				Header: &messaging.Header{Type: "text", Text: "Rewards"}, Body: "Pick one", ListButton: "See",
				Sections: []messaging.Section{{Title: "Drinks", Rows: []messaging.Row{{ID: "r1", Title: "Latte", Description: "300 points"}}}}}},
			want: `{` + envelope + `,"biz_opaque_callback_data":"k7","type":"interactive","interactive":{"type":"list","header":{"type":"text","text":"Rewards"},
				"body":{"text":"Pick one"},"action":{"button":"See","sections":[{"title":"Drinks","rows":[{"id":"r1","title":"Latte","description":"300 points"}]}]}}}`,
		},
		{
			name: "cta url",
			cmd: messaging.Command{Key: "k8", To: "+6281234567890", Kind: messaging.KindCTAURL, Interactive: &messaging.Interactive{
				Header: &messaging.Header{Type: "image", Link: "https://cdn.example.com/c.png"}, Body: "Your card", URL: "https://example.com/c", URLText: "Open"}},
			want: `{` + envelope + `,"biz_opaque_callback_data":"k8","type":"interactive","interactive":{"type":"cta_url","header":{"type":"image","image":{"link":"https://cdn.example.com/c.png"}},
				"body":{"text":"Your card"},"action":{"name":"cta_url","parameters":{"display_text":"Open","url":"https://example.com/c"}}}}`,
		},
		{
			name: "document",
			cmd: messaging.Command{Key: "k9", To: "+6281234567890", Kind: messaging.KindDocument,
				Media: &messaging.Media{Link: "https://cdn.example.com/t.pdf", Caption: "Terms", Filename: "terms.pdf"}},
			want: `{` + envelope + `,"biz_opaque_callback_data":"k9","type":"document","document":{"link":"https://cdn.example.com/t.pdf","caption":"Terms","filename":"terms.pdf"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Encode(tt.cmd)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(b))
		})
	}
	t.Run("recipient not E.164", func(t *testing.T) {
		_, err := Encode(messaging.Command{Key: "k", To: "+62 812", Kind: messaging.KindText, Text: "x"})
		require.Error(t, err)
	})
	t.Run("mark as read", func(t *testing.T) {
		b, err := EncodeRead("wamid.X")
		require.NoError(t, err)
		assert.JSONEq(t, `{"messaging_product":"whatsapp","status":"read","message_id":"wamid.X"}`, string(b))
	})
}
