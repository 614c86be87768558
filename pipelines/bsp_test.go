package pipelines_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines"
)

// One webhook whose events the BSP stage handles in its one hop: the
// delivery report and the customer's message are applied, and the one
// event that fails for good (a preference WhatsApp does not define) is the
// only dead letter, holding that mapped event alone. Its replay is handled
// as that event, not mapped again, and fails the same way under a new dead
// letter.
func TestBSPEventFailsAlone(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	st := h.hub.Store()
	_, _, err := st.ClaimMessage(ctx, store.Message{Key: "k_alone", Tenant: "acme", Recipient: "+6281234569101", Kind: "template"})
	require.NoError(t, err)
	require.NoError(t, st.MarkSent(ctx, "k_alone", "wamid.ALONE", time.Now()))

	at := time.Now().Add(-time.Minute).Unix()
	h.postWebhook(t, fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"200000000000009","changes":[
	  {"field":"user_preferences","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"%[1]s"},
	    "user_preferences":[{"wa_id":"6281234569102","detail":"?","category":"marketing_messages","value":"pause","timestamp":%[2]d}]}},
	  {"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"%[1]s"},
	    "contacts":[{"profile":{"name":"Sari"},"wa_id":"6281234569101"}],
	    "messages":[{"from":"6281234569101","id":"wamid.IN_ALONE","timestamp":"%[2]d","type":"text","text":{"body":"halo"}}],
	    "statuses":[{"id":"wamid.ALONE","status":"delivered","timestamp":"%[2]d","recipient_id":"6281234569101"}]}}]}]}`,
		testNumberID, at))

	eventually(t, "the report applied", func() bool {
		m, err := st.Message(ctx, "acme", "k_alone")
		return err == nil && m.Status == store.MessageDelivered
	})
	eventually(t, "the customer's message recorded", func() bool {
		return len(h.inbound(t, "phone=%2B6281234569101").Messages) == 1
	})
	eventually(t, "the dead letter", func() bool { return len(h.deadLetters().DeadLetters) == 1 })
	d := h.deadLetters().DeadLetters[0]
	assert.Equal(t, pipelines.StageBSP, d.Handler)
	assert.Equal(t, pipelines.TopicInboundBSP, d.Topic)
	assert.Contains(t, d.Reason, `consent change "pause"`)
	assert.Equal(t, "true", d.Metadata[pipelines.MetaMappedEvent])
	var ev event.Event
	require.NoError(t, json.Unmarshal([]byte(d.Payload), &ev), "the payload is the mapped event")
	assert.Equal(t, event.TypeConsentChanged, ev.Type)
	assert.NotContains(t, d.Payload, "wamid.IN_ALONE", "the dead letter holds the failed event alone")

	var resp map[string]string
	require.Equal(t, http.StatusAccepted, h.admin(http.MethodPost, "/deadletters/"+d.ID+"/replay", &resp))
	assert.Equal(t, pipelines.TopicInboundBSP, resp["topic"])
	eventually(t, "the replay's dead letter", func() bool { return len(h.deadLetters().DeadLetters) == 2 })
	again := h.deadLetters().DeadLetters[0]
	assert.Equal(t, d.ID, again.Metadata[pipelines.MetaReplayOf])
	assert.Equal(t, d.Reason, again.Reason, "the replay ran the event, not a mapping of it")
	assert.Equal(t, d.Payload, again.Payload)
	assert.Zero(t, counterValue(t, h.hub.Metrics().PartsIgnored.WithLabelValues("acme", "whatsapp", "not_an_envelope")),
		"the replayed event was not taken for a webhook")
}

// A dead letter stored from events_bsp, the topic that carried BSPs'
// mapped events before the BSP stage handled them itself, still replays:
// its event is handled as it is.
func TestRetiredBSPEventsDeadLetterReplays(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	at := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	data, err := json.Marshal(event.MessageReceived{
		MessageID: "wamid.RETIRED", Phone: "+6281234569111", WAID: "6281234569111",
		Type: "text", Text: "halo", Timestamp: at,
	})
	require.NoError(t, err)
	ev := event.Event{ID: event.ID("acme", "whatsapp", "wamid.RETIRED"), Tenant: "acme", Type: event.TypeMessageReceived,
		Connector: "whatsapp", OccurredAt: at, Data: data}
	payload, err := json.Marshal(ev)
	require.NoError(t, err)
	require.NoError(t, h.hub.Store().AddDeadLetter(ctx, store.DeadLetter{
		ID: "dl-events-bsp", Tenant: "acme", Topic: "events_bsp", Handler: "status",
		Reason: "recording inbound message: the store was down", Payload: payload,
		Metadata: map[string]string{
			pipelines.MetaTenant: "acme", pipelines.MetaType: ev.Type, pipelines.MetaReceivedAt: at.Format(time.RFC3339Nano),
			"topic_poisoned": "events_bsp", "handler_poisoned": "status", "reason_poisoned": "the store was down",
		},
		CreatedAt: at,
	}))

	var resp map[string]string
	require.Equal(t, http.StatusAccepted, h.admin(http.MethodPost, "/deadletters/dl-events-bsp/replay", &resp))
	assert.Equal(t, pipelines.TopicInboundBSP, resp["topic"])
	eventually(t, "the customer's message recorded", func() bool {
		l := h.inbound(t, "phone=%2B6281234569111")
		return len(l.Messages) == 1 && l.Messages[0].ProviderMessageID == "wamid.RETIRED"
	})
	assert.Len(t, h.deadLetters().DeadLetters, 1, "the replay succeeded")
}
