package chat_test

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/chat"
)

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
			got, err := chat.InboundContent(json.RawMessage(tt.data))
			require.NoError(t, err)
			if tt.want == "" {
				assert.Nil(t, got)
				return
			}
			assert.JSONEq(t, tt.want, string(got))
		})
	}

	t.Run("what is not UTF-8 becomes U+FFFD", func(t *testing.T) {
		got, err := chat.InboundContent(json.RawMessage("{\"type\":\"contacts\",\"contacts\":[{\"name\":{\"formatted_name\":\"R\xffna\"}}],\"n\":10.50}"))
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
		got, err := chat.InboundContent(json.RawMessage(data))
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
