package pipelines_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines"
)

// One shop delivery of two sales, one of them for a phone that is not a
// number: the good sale earns, and the bad one is the only dead letter,
// holding that mapped event alone, as the BSP stage stores its failed
// events. Its replay is handled as that event, not mapped again, and fails
// the same way.
func TestProcessEventFailsAlone(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: passThrough("")})
	h.postEvents(t,
		`{"type": "order.paid", "id": "O-ALONE-1", "data": {"order_id": "O-ALONE-1", "phone": "081234560501", "name": "Ayu", "total": "150000", "currency": "IDR"}}`,
		`{"type": "order.paid", "id": "O-ALONE-2", "data": {"order_id": "O-ALONE-2", "phone": "12", "name": "Budi", "total": "150000", "currency": "IDR"}}`)

	eventually(t, "the good sale earns", func() bool {
		m, ok := h.member("081234560501")
		return ok && m.Balance > 0
	})
	ev, reason := checkEventFailedAlone(t, h, pipelines.StageProcess, pipelines.TopicInbound)
	assert.Equal(t, event.TypeOrderPaid, ev.Type)
	assert.Contains(t, string(ev.Data), "O-ALONE-2", "the dead letter holds the failed event alone")
	assert.Contains(t, reason, "invalid phone number")
	assert.Equal(t, 1, strings.Count(reason, ev.ID), "the reason names the event once: %s", reason)
}

// checkEventFailedAlone checks that the one dead letter is one mapped event
// of stage, consumed from topic, and that its replay to topic is handled
// as that event, not mapped again, failing the same way under a dead
// letter of its own. It returns the event and the reason.
func checkEventFailedAlone(t *testing.T, h *harness, stage, topic string) (event.Event, string) {
	t.Helper()
	eventually(t, "the dead letter", func() bool { return len(h.deadLetters().DeadLetters) == 1 })
	d := h.deadLetters().DeadLetters[0]
	assert.Equal(t, stage, d.Handler)
	assert.Equal(t, topic, d.Topic)
	assert.Equal(t, "true", d.Metadata[pipelines.MetaMappedEvent])
	var ev event.Event
	require.NoError(t, json.Unmarshal([]byte(d.Payload), &ev), "the payload is the mapped event")

	var resp map[string]string
	require.Equal(t, http.StatusAccepted, h.admin(http.MethodPost, "/deadletters/"+d.ID+"/replay", &resp))
	assert.Equal(t, topic, resp["topic"])
	eventually(t, "the replay's dead letter", func() bool { return len(h.deadLetters().DeadLetters) == 2 })
	again := h.deadLetters().DeadLetters[0]
	assert.Equal(t, d.ID, again.Metadata[pipelines.MetaReplayOf])
	assert.Equal(t, d.Reason, again.Reason, "the replay ran the event, not a mapping of it")
	assert.Equal(t, d.Payload, again.Payload)
	return ev, d.Reason
}

// A dead letter stored from events, the topic that carried shops' mapped
// events to the loyalty stage before the process stage, still replays: its
// event is processed as it is.
func TestRetiredEventsDeadLetterReplays(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	at := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	ev := event.Event{ID: event.ID("acme", "pos", "O-RETIRED"), Tenant: "acme", Type: event.TypeOrderPaid,
		Connector: "pos", OccurredAt: at,
		Data: json.RawMessage(`{"order_id": "O-RETIRED", "phone": "081234560502", "name": "Citra", "total": "150000", "currency": "IDR"}`)}
	assert.Equal(t, pipelines.TopicInbound, replayRetired(t, h, "events", "loyalty", ev))
	eventually(t, "the sale earns", func() bool {
		m, ok := h.member("081234560502")
		return ok && m.Balance > 0
	})
	assert.Len(t, h.deadLetters().DeadLetters, 1, "the replay succeeded")
}

// replayRetired stores a dead letter of ev as a build before the one hop
// stored it, from a retired topic and stage, replays it, and returns the
// topic the replay went to.
func replayRetired(t *testing.T, h *harness, topic, stage string, ev event.Event) string {
	t.Helper()
	payload, err := json.Marshal(ev)
	require.NoError(t, err)
	id := "dl-" + topic
	require.NoError(t, h.hub.Store().AddDeadLetter(context.Background(), store.DeadLetter{
		ID: id, Tenant: ev.Tenant, Topic: topic, Handler: stage,
		Reason: "the store was down", Payload: payload,
		Metadata: map[string]string{
			pipelines.MetaTenant: ev.Tenant, pipelines.MetaType: ev.Type, pipelines.MetaReceivedAt: ev.OccurredAt.Format(time.RFC3339Nano),
			"topic_poisoned": topic, "handler_poisoned": stage, "reason_poisoned": "the store was down",
		},
		CreatedAt: ev.OccurredAt,
	}))
	var resp map[string]string
	require.Equal(t, http.StatusAccepted, h.admin(http.MethodPost, "/deadletters/"+id+"/replay", &resp))
	return resp["topic"]
}
