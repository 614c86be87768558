package pipelines_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines"
)

// inboundList is the admin API's answer to GET /contacts/messages.
type inboundList struct {
	Messages []struct {
		ProviderMessageID string `json:"provider_message_id"`
		Contact           struct {
			Phone  string `json:"phone"`
			UserID string `json:"user_id"`
		} `json:"contact"`
		Type    string          `json:"type"`
		Text    string          `json:"text"`
		At      time.Time       `json:"at"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
}

func (h *harness) inbound(t *testing.T, query string) inboundList {
	t.Helper()
	var l inboundList
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/contacts/messages?"+query, &l))
	return l
}

// What customers send besides text (a Flow's answer, a reaction, a contact
// card, a location, the message they reply to, a username user's identities)
// is kept with the message, outside any handoff, and read back through the
// admin API, newest first.
func TestInboundContentIsKept(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	const from = "6281234567201"
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	sent := []struct {
		id, typ, object string
		want            string // the content kept
	}{
		{"wamid.FLOW", "interactive",
			`{"type":"nfm_reply","nfm_reply":{"name":"flow","body":"Sent","response_json":"{\"flow_token\":\"survey-1\",\"rating\":\"5\",\"size\":\"L\"}"}}`,
			`{"flow":{"name":"flow","body":"Sent","response_json":"{\"flow_token\":\"survey-1\",\"rating\":\"5\",\"size\":\"L\"}"}}`},
		{"wamid.REACTION", "reaction", `{"message_id":"wamid.OURS","emoji":"❤️"}`,
			`{"reaction":{"message_id":"wamid.OURS","emoji":"❤️"}}`},
		{"wamid.CARD", "contacts",
			`[{"name":{"formatted_name":"Rina Wijaya","first_name":"Rina"},"phones":[{"phone":"+62 812 3456 7002","wa_id":"6281234567002","type":"CELL"}],"emails":[{"email":"rina@example.com","type":"WORK"}]}]`,
			`{"contacts":[{"name":{"formatted_name":"Rina Wijaya","first_name":"Rina"},"phones":[{"phone":"+62 812 3456 7002","wa_id":"6281234567002","type":"CELL"}],"emails":[{"email":"rina@example.com","type":"WORK"}]}]}`},
		{"wamid.PLACE", "location",
			`{"latitude":-6.2297,"longitude":106.8296,"name":"Kopi Kita Kemang","address":"Jl. Kemang Raya 8","url":"https://kopikita.example"}`,
			`{"location":{"latitude":-6.2297,"longitude":106.8296,"name":"Kopi Kita Kemang","address":"Jl. Kemang Raya 8","url":"https://kopikita.example"}}`},
	}
	for i, s := range sent {
		h.postWebhook(t, inboundOf(s.id, from, s.typ, s.object, start.Add(time.Duration(i)*time.Minute)))
	}
	var got inboundList
	eventually(t, "the messages in the log", func() bool {
		got = h.inbound(t, "phone=0812-3456-7201")
		return len(got.Messages) == len(sent)
	})
	for i, m := range got.Messages {
		s := sent[len(sent)-1-i] // newest first
		t.Run(s.typ, func(t *testing.T) {
			assert.Equal(t, s.id, m.ProviderMessageID)
			assert.Equal(t, s.typ, m.Type)
			assert.Equal(t, "+"+from, m.Contact.Phone)
			assert.True(t, start.Add(time.Duration(len(sent)-1-i)*time.Minute).Equal(m.At), m.At)
			var kept map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(m.Content, &kept))
			assert.Equal(t, `"`+from+`"`, string(kept["wa_id"]), "the wa_id as WhatsApp gave it")
			assert.Equal(t, `"`+testNumberID+`"`, string(kept["phone_number_id"]), "the number it was sent to")
			for _, k := range []string{"message_id", "phone", "type", "text", "timestamp", "name"} {
				assert.NotContains(t, kept, k, "kept in the log's own fields")
			}
			delete(kept, "wa_id")
			delete(kept, "phone_number_id")
			delete(kept, "display_phone_number")
			b, err := json.Marshal(kept)
			require.NoError(t, err)
			assert.JSONEq(t, s.want, string(b))
		})
	}

	t.Run("limit keeps the newest", func(t *testing.T) {
		l := h.inbound(t, "phone=%2B"+from+"&limit=2")
		require.Len(t, l.Messages, 2)
		assert.Equal(t, "wamid.PLACE", l.Messages[0].ProviderMessageID)
		assert.Equal(t, "wamid.CARD", l.Messages[1].ProviderMessageID)
	})

	t.Run("a reply keeps the message it quotes and a text its body", func(t *testing.T) {
		const id = "wamid.QUOTE"
		body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"200000000000009","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"%s"},"contacts":[{"profile":{"name":"Dewi"},"wa_id":"%s"}],"messages":[{"context":{"from":"15550000009","id":"wamid.OURS"},"from":"%s","id":"%s","timestamp":"%d","type":"text","text":{"body":"yang ini ukuran L ya"}}]}}]}]}`,
			testNumberID, from, from, id, start.Add(10*time.Minute).Unix())
		h.postWebhook(t, body)
		var l inboundList
		eventually(t, "the reply in the log", func() bool {
			l = h.inbound(t, "phone=%2B"+from+"&limit=1")
			return len(l.Messages) == 1 && l.Messages[0].ProviderMessageID == id
		})
		assert.Equal(t, "yang ini ukuran L ya", l.Messages[0].Text)
		var kept struct {
			Context struct{ ID, From string }
		}
		require.NoError(t, json.Unmarshal(l.Messages[0].Content, &kept))
		assert.Equal(t, "wamid.OURS", kept.Context.ID)
		assert.Equal(t, "15550000009", kept.Context.From)
	})

	t.Run("a username user without a phone is found by user id", func(t *testing.T) {
		const user, parent = "ID.1349120865530274", "ID.ENT.1181579921288684"
		body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"200000000000009","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"%s"},"contacts":[{"profile":{"name":"Sheena","username":"@sheena"},"wa_id":"","user_id":"%s","parent_user_id":"%s"}],"messages":[{"from_user_id":"%s","id":"wamid.USERNAME","timestamp":"%d","type":"reaction","reaction":{"message_id":"wamid.OURS","emoji":"🙏"}}]}}]}]}`,
			testNumberID, user, parent, user, start.Unix())
		h.postWebhook(t, body)
		var l inboundList
		eventually(t, "the message in the log", func() bool {
			l = h.inbound(t, "user_id="+user)
			return len(l.Messages) == 1
		})
		m := l.Messages[0]
		assert.Equal(t, user, m.Contact.UserID)
		assert.Empty(t, m.Contact.Phone)
		var kept struct {
			ParentUserID string `json:"parent_user_id"`
			Username     string `json:"username"`
			Reaction     struct{ Emoji string }
		}
		require.NoError(t, json.Unmarshal(m.Content, &kept))
		assert.Equal(t, parent, kept.ParentUserID)
		assert.Equal(t, "@sheena", kept.Username)
		assert.Equal(t, "🙏", kept.Reaction.Emoji)
	})

	t.Run("bad queries", func(t *testing.T) {
		for _, q := range []string{"", "phone=not-a-number", "phone=%2B" + from + "&limit=0", "phone=%2B" + from + "&limit=x"} {
			assert.Equal(t, http.StatusBadRequest, h.admin(http.MethodGet, "/contacts/messages?"+q, nil), q)
		}
		assert.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/contacts/messages?phone=%2B6281234567999", nil),
			"nobody who wrote: an empty list")
	})
	assert.Empty(t, h.deadLetters().DeadLetters)
}

func TestInboundContent(t *testing.T) {
	tests := []struct {
		name, data, want string // want "" for no content
	}{
		{"a text has nothing else",
			`{"message_id":"wamid.1","phone":"+6281","user_id":"ID.1","name":"Dewi","type":"text","text":"halo","timestamp":"2026-12-06T03:09:14Z"}`, ""},
		{"a reaction",
			`{"message_id":"wamid.1","phone":"+6281","type":"reaction","reaction":{"message_id":"wamid.0","emoji":"👍"},"timestamp":"2026-12-06T03:09:14Z"}`,
			`{"reaction":{"message_id":"wamid.0","emoji":"👍"}}`},
		{"nulls are dropped",
			`{"message_id":"wamid.1","type":"location","location":{"latitude":1.5,"longitude":2},"flow":null,"order":null}`,
			`{"location":{"latitude":1.5,"longitude":2}}`},
		{"a custom mapping's own fields are kept",
			`{"message_id":"wamid.1","type":"text","text":"hi","store_id":"JKT-01","tags":["vip"]}`,
			`{"store_id":"JKT-01","tags":["vip"]}`},
		{"numbers keep their digits",
			`{"message_id":"wamid.1","type":"order","order":{"catalog_id":"321","product_items":[{"item_price":12345678901234567890}]}}`,
			`{"order":{"catalog_id":"321","product_items":[{"item_price":12345678901234567890}]}}`},
		{"no data", `null`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pipelines.InboundContent(json.RawMessage(tt.data))
			require.NoError(t, err)
			if tt.want == "" {
				assert.Nil(t, got)
				return
			}
			assert.JSONEq(t, tt.want, string(got))
		})
	}

	t.Run("what is not UTF-8 becomes U+FFFD", func(t *testing.T) {
		got, err := pipelines.InboundContent(json.RawMessage("{\"type\":\"contacts\",\"contacts\":[{\"name\":{\"formatted_name\":\"R\xffna\"}}],\"n\":10.50}"))
		require.NoError(t, err)
		assert.True(t, utf8.Valid(got))
		assert.JSONEq(t, `{"contacts":[{"name":{"formatted_name":"R\ufffdna"}}],"n":10.50}`, string(got))
		assert.Contains(t, string(got), "10.50", "numbers as written")
	})
}

// Whatever data the BSP stage accepts as message.received, the content kept
// is nothing or a UTF-8 JSON object the store takes, without the log's own
// fields and with every other field the data had.
func FuzzInboundContent(f *testing.F) {
	for _, s := range []string{
		`{"message_id":"wamid.1","phone":"+6281","type":"reaction","reaction":{"message_id":"wamid.0","emoji":"👍"}}`,
		`{"message_id":"wamid.1","type":"interactive","flow":{"name":"flow","body":"Sent","response_json":"{\"a\":1}"},"wa_id":"6281"}`,
		`{"message_id":"wamid.1","type":"contacts","contacts":[{"name":{"formatted_name":"Rina"}}],"context":null}`,
		"{\"type\":\"text\",\"text\":\"\xff\",\"x\":\"\xfe\"}",
		`null`, `{}`, `{"a":1,"a":2}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		var m event.MessageReceived
		if json.Unmarshal([]byte(data), &m) != nil {
			return // refused before anything is recorded
		}
		got, err := pipelines.InboundContent(json.RawMessage(data))
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if got == nil {
			return
		}
		if err := store.CheckContent(got); err != nil || !utf8.Valid(got) {
			t.Fatalf("%q: content %q is not a UTF-8 JSON object (%v)", data, got, err)
		}
		var kept, given map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(got, &kept))
		require.NoError(t, json.Unmarshal([]byte(data), &given))
		for _, k := range []string{"message_id", "phone", "user_id", "type", "text", "timestamp", "name"} {
			if _, ok := kept[k]; ok {
				t.Fatalf("%q: content keeps %s", data, k)
			}
		}
		for k, v := range given {
			_, column := map[string]bool{"message_id": true, "phone": true, "user_id": true, "type": true,
				"text": true, "timestamp": true, "name": true}[k]
			if _, ok := kept[k]; !ok && !column && string(v) != "null" {
				t.Fatalf("%q: content lost %s", data, k)
			}
		}
	})
}
