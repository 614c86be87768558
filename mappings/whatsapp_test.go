package mappings_test

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/mappings"
)

// decodeStrict decodes an event's data into its typed struct, refusing
// fields the struct does not know, so the mapping and core/event agree.
func decodeStrict(t *testing.T, data []byte, into any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(into), "%s", data)
}

// The recorded WhatsApp webhooks cover every documented message type,
// status, system message and webhook field, and every event they yield
// decodes into the core/event type the hub reads.
func TestWhatsAppSamplesCoverEveryDocumentedKind(t *testing.T) {
	samples, err := mappings.Samples("whatsapp_cloud")
	require.NoError(t, err)
	p := mustBundled(t, "whatsapp_cloud")
	seen := map[string]bool{}
	for _, s := range samples {
		res, err := p.Map(context.Background(), delivery("whatsapp_cloud"), s.Body)
		require.NoError(t, err, s.Name)
		for _, label := range res.Ignored {
			seen["ignored "+label] = true
		}
		if len(res.Failed) > 0 {
			seen["failed item"] = true
		}
		for _, e := range res.Events {
			seen["event "+e.Type] = true
			switch e.Type {
			case event.TypeMessageReceived:
				var m event.MessageReceived
				decodeStrict(t, e.Data, &m)
				seen["message "+m.Type] = true
				assert.NotEmpty(t, m.MessageID, s.Name)
				assert.False(t, m.Timestamp.IsZero(), s.Name)
				if m.WAID != "" {
					assert.Equal(t, "+"+m.WAID, m.Phone, "%s: phone is + and the wa_id as given", s.Name)
					assert.NotContains(t, m.WAID, "+", s.Name)
				} else {
					assert.NotEmpty(t, m.UserID, "%s: a message without a wa_id names its user id", s.Name)
				}
				switch {
				case m.Media != nil && m.Media.Voice:
					seen["message voice"] = true
				case m.Reaction != nil && m.Reaction.Emoji == "":
					seen["message un-react"] = true
				case m.Flow != nil:
					seen["message nfm_reply"] = m.Flow.ResponseJSON != "" && json.Valid([]byte(m.Flow.ResponseJSON))
				case m.Reply != nil:
					seen["message "+m.Reply.Kind] = true
				}
				if m.Context != nil && m.Context.ID != "" {
					seen["message with context"] = true
				}
				if m.Context != nil && (m.Context.Forwarded || m.Context.FrequentlyForwarded) {
					seen["message forwarded"] = true
				}
				if len(m.Referral) > 0 {
					seen["message with referral"] = true
				}
				if m.ParentUserID != "" && m.Username != "" {
					seen["message with parent user id and username"] = true
				}
				for _, er := range m.Errors {
					if er.Details != "" {
						seen["message error details"] = true
					}
				}
			case event.TypeMessageStatus:
				var st event.MessageStatus
				decodeStrict(t, e.Data, &st)
				seen["status "+st.Status] = true
				assert.Equal(t, e.OccurredAt, st.Timestamp, s.Name)
				if st.RecipientID == "" && st.RecipientUserID != "" {
					seen["status to a BSUID"] = true
				}
				if st.PricingCategory == "" {
					seen["status without pricing"] = true
				}
				for _, er := range st.Errors {
					if er.Details != "" {
						seen["status error details"] = true
					}
				}
			case event.TypeIdentityChanged:
				var ic event.IdentityChanged
				decodeStrict(t, e.Data, &ic)
				seen["system "+ic.Kind] = true
				assert.NotEmpty(t, ic.MessageID, s.Name)
				assert.Equal(t, event.ID("acme", "main_whatsapp_cloud", event.TypeIdentityChanged+"/identity/"+ic.MessageID), e.ID)
			case event.TypeWebhookError:
				var we event.WebhookError
				decodeStrict(t, e.Data, &we)
				require.NotEmpty(t, we.Errors, s.Name)
				seen["value error details"] = we.Errors[0].Details != ""
			case event.TypeConsentChanged:
				var c event.ConsentChanged
				decodeStrict(t, e.Data, &c)
				seen["consent "+c.Value] = true
			}
		}
	}
	want := []string{
		"message text", "message image", "message video", "message audio", "message voice", "message document",
		"message sticker", "message location", "message contacts", "message interactive", "message button_reply",
		"message list_reply", "message nfm_reply", "message button", "message quick_reply", "message reaction",
		"message un-react", "message order", "message request_welcome", "message unsupported", "message ephemeral",
		"message with context", "message forwarded", "message with referral", "message with parent user id and username",
		"message error details",
		"status sent", "status delivered", "status read", "status failed", "status played", "status deleted",
		"status to a BSUID", "status without pricing", "status error details",
		"system user_changed_number", "system user_changed_user_id", "system customer_identity_changed",
		"event webhook.error", "value error details", "event template.status", "event template.quality",
		"event number.quality", "consent stop", "consent resume",
		"ignored account_update", "ignored template_category_update", "ignored not_an_envelope", "failed item",
	}
	var missing []string
	for _, w := range want {
		if !seen[w] {
			missing = append(missing, w)
		}
	}
	sort.Strings(missing)
	assert.Empty(t, missing, "recorded webhooks in testdata/whatsapp_cloud must cover these")
}

// Every item of a batch is mapped on its own: the good ones become events,
// each bad one a failure whose item is the envelope with that item alone,
// which the mapping maps again to the same failure.
func TestWhatsAppFailedItemsAreReplayable(t *testing.T) {
	p := mustBundled(t, "whatsapp_cloud")
	samples, err := mappings.Samples("whatsapp_cloud")
	require.NoError(t, err)
	var body []byte
	for _, s := range samples {
		if s.Name == "malformed_items_in_batch" {
			body = s.Body
		}
	}
	require.NotNil(t, body)
	res, err := p.Map(context.Background(), delivery("whatsapp_cloud"), body)
	require.NoError(t, err)
	require.Len(t, res.Events, 3, "two messages and a status of the batch are good")
	require.Len(t, res.Failed, 7)
	for _, f := range res.Failed {
		t.Run(f.Reason, func(t *testing.T) {
			again, err := p.Map(context.Background(), delivery("whatsapp_cloud"), f.Item)
			require.NoError(t, err)
			assert.Empty(t, again.Events, "the item alone carries nothing else")
			require.Len(t, again.Failed, 1)
			assert.Equal(t, f.Reason, again.Failed[0].Reason)
			assert.JSONEq(t, string(f.Item), string(again.Failed[0].Item))
			assert.False(t, strings.Contains(string(f.Item), "BATCH01"), "a failed item holds no good message")
		})
	}
}

// Twilio's webhooks, mapped, decode into the same core/event types as
// Meta's, and a status correlates by the SID the sender recorded.
func TestTwilioSamplesDecode(t *testing.T) {
	samples, err := mappings.Samples("whatsapp_twilio")
	require.NoError(t, err)
	require.NotEmpty(t, samples)
	p := mustBundled(t, "whatsapp_twilio")
	seen := map[string]int{}
	for _, s := range samples {
		d := delivery("whatsapp_twilio")
		d.Topic, d.Meta = s.Topic, s.Meta
		res, err := p.Map(context.Background(), d, s.Body)
		require.NoError(t, err, s.Name)
		assert.Equal(t, strings.HasPrefix(s.Name, "malformed_"), len(res.Failed) > 0, s.Name)
		for _, e := range res.Events {
			seen[e.Type]++
			switch e.Type {
			case event.TypeMessageStatus:
				var st event.MessageStatus
				decodeStrict(t, e.Data, &st)
				assert.True(t, strings.HasPrefix(st.ProviderMessageID, "SM"), s.Name)
				assert.Equal(t, d.ReceivedAt.UTC(), st.Timestamp, s.Name)
				if s.Name == "status_undelivered_window" {
					assert.Equal(t, "failed", st.Status)
					assert.Equal(t, []event.StatusError{{Code: 63016}}, st.Errors)
				}
				if s.Name == "status_sent" {
					assert.Equal(t, "msg_8f3a2c1d9e7b6a5f", st.CallbackData)
				}
			case event.TypeMessageReceived:
				var m event.MessageReceived
				decodeStrict(t, e.Data, &m)
				assert.Equal(t, "+"+m.WAID, m.Phone, s.Name)
				assert.NotEmpty(t, m.Type, s.Name)
			default:
				t.Errorf("%s: unexpected event type %s", s.Name, e.Type)
			}
		}
	}
	assert.Positive(t, seen[event.TypeMessageStatus])
	assert.Positive(t, seen[event.TypeMessageReceived])
}

// Gupshup's v2 webhooks, mapped, decode into the same core/event types as
// Meta's, and a status correlates by the Gupshup id the sender recorded,
// whichever id field carries it.
func TestGupshupSamplesDecode(t *testing.T) {
	samples, err := mappings.Samples("whatsapp_gupshup")
	require.NoError(t, err)
	require.NotEmpty(t, samples)
	p := mustBundled(t, "whatsapp_gupshup")
	seen := map[string]int{}
	for _, s := range samples {
		d := delivery("whatsapp_gupshup")
		res, err := p.Map(context.Background(), d, s.Body)
		require.NoError(t, err, s.Name)
		assert.Equal(t, strings.HasPrefix(s.Name, "malformed_"), len(res.Failed) > 0, s.Name)
		for _, e := range res.Events {
			seen[e.Type]++
			switch e.Type {
			case event.TypeMessageStatus:
				var st event.MessageStatus
				decodeStrict(t, e.Data, &st)
				if strings.HasPrefix(s.Name, "status_") && !strings.Contains(s.Name, "failed") {
					assert.Equal(t, "ee4a68a0-1203-4c85-8dc3-49d0b3226a35", st.ProviderMessageID, s.Name)
				}
				if s.Name == "status_failed_opted_out" {
					assert.Equal(t, "failed", st.Status)
					assert.Equal(t, 1012, st.Errors[0].Code)
				}
			case event.TypeMessageReceived:
				var m event.MessageReceived
				decodeStrict(t, e.Data, &m)
				assert.Equal(t, "+6281234567890", m.Phone, s.Name)
				if s.Name == "inbound_list_reply" {
					assert.Equal(t, &event.Reply{Kind: "list_reply", ID: "r_latte", Title: "Free latte", Description: "300 points"}, m.Reply)
				}
			case event.TypeConsentChanged:
				var c event.ConsentChanged
				decodeStrict(t, e.Data, &c)
				assert.Equal(t, "+6281234567890", c.Phone, s.Name)
				assert.Equal(t, event.ConsentMarketingMessages, c.Category, s.Name)
				assert.Equal(t, map[string]string{"user_event_opted_out": "stop", "user_event_opted_in": "resume"}[s.Name], c.Value, s.Name)
			default:
				t.Errorf("%s: unexpected event type %s", s.Name, e.Type)
			}
		}
	}
	assert.Equal(t, 6, seen[event.TypeMessageStatus])
	assert.Equal(t, 7, seen[event.TypeMessageReceived])
	assert.Equal(t, 2, seen[event.TypeConsentChanged])
}
