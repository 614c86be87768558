package pipelines_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
