package cloudapi

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriters(t *testing.T) {
	status, err := os.ReadFile("testdata/status_webhook.json")
	require.NoError(t, err)
	tests := []struct {
		name string
		body string
		want []string
	}{
		{name: "delivery reports name no writer", body: string(status)},
		{name: "a customer's messages, in two changes", body: `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
			{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"9"},
			 "contacts":[{"profile":{"name":"Sari"},"wa_id":"6281234567890"}],
			 "messages":[{"from":"6281234567890","id":"wamid.1","timestamp":"1765000000","type":"text","text":{"body":"STOP"}},
			             {"from":"6281234567890","id":"wamid.2","timestamp":"1765000001","type":"reaction","reaction":{"message_id":"wamid.0","emoji":"👍"}}]}},
			{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"9"},
			 "messages":[{"from":"905321234567","id":"wamid.3","timestamp":"1765000002","type":"text","text":{"body":"points"}}]}}]}]}`,
			want: []string{"6281234567890", "6281234567890", "905321234567"}},
		{name: "a marketing stop in WhatsApp", body: `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"user_preferences","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"9"},"contacts":[{"wa_id":"6281234560003"}],"user_preferences":[{"wa_id":"6281234560003","detail":"User requested to stop marketing messages","category":"marketing_messages","value":"stop","timestamp":1765000000}]}}]}]}`,
			want: []string{"6281234560003"}},
		{name: "a customer known only by their user id, in both forms when both are given", body: `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
			{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"9"},
			 "messages":[{"from":"","from_user_id":"ID.88001234567890123456","id":"wamid.1","timestamp":"1765000000","type":"text","text":{"body":"STOP"}},
			             {"from":"6281234567890","from_user_id":"ID.13491208655302741918","id":"wamid.2","timestamp":"1765000001","type":"text","text":{"body":"hi"}}]}},
			{"field":"user_preferences","value":{"messaging_product":"whatsapp","user_preferences":[{"wa_id":"","user_id":"ID.77","value":"stop","category":"marketing_messages","timestamp":1765000000}]}}]}]}`,
			want: []string{"ID.88001234567890123456", "6281234567890", "ID.13491208655302741918", "ID.77"}},
		{name: "a new number is WhatsApp's word, not the customer's", body: `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",
			 "messages":[{"from":"6281234567890","id":"wamid.S","timestamp":"1765000000","type":"system","system":{"body":"User Sari changed from 6281234567890 to 6281399998888","wa_id":"6281399998888","type":"user_changed_number"}}]}}]}]}`},
		{name: "not the webhook's JSON", body: `{"messages": [`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Writers([]byte(tt.body)))
		})
	}
}

// FuzzWriters: any body, however broken, gives writers that each appear
// in it, and never a panic.
func FuzzWriters(f *testing.F) {
	status, err := os.ReadFile("testdata/status_webhook.json")
	require.NoError(f, err)
	f.Add(status)
	f.Add([]byte(`{"entry":[{"changes":[{"value":{"messages":[{"from":"6281234567890"}],"user_preferences":[{"wa_id":"905321234567"}]}}]}]}`))
	f.Add([]byte(`{"messages": [`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, w := range Writers(body) {
			if w != "" && !bytes.Contains(body, []byte(w)) && json.Valid(body) {
				// A JSON string may spell the number with escapes.
				if !bytes.Contains(body, []byte(`\u`)) {
					t.Fatalf("writer %q is not in the body %q", w, body)
				}
			}
		}
	})
}
