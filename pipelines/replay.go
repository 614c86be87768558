package pipelines

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/ledger"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// Metadata the poison queue adds; dropped when a dead letter is replayed.
var poisonMetadata = []string{"reason_poisoned", "topic_poisoned", "handler_poisoned", "subscriber_poisoned"}

// replayDeadLetter publishes dead letter d's payload back to the topic it
// failed on (replay), under a new message id derived from at (the queue
// would drop the original id as a duplicate), and returns where it went and
// the new id. The admin API replays through it.
func (h *Hub) replayDeadLetter(ctx context.Context, t *runtime.Tenant, d store.DeadLetter, at time.Time) (string, string, error) {
	msg := message.NewMessage(event.DerivedID("rp_", d.ID, at.Format(time.RFC3339Nano)), d.Payload)
	for k, v := range d.Metadata {
		msg.Metadata.Set(k, v)
	}
	for _, k := range poisonMetadata {
		delete(msg.Metadata, k)
	}
	msg.Metadata.Set(MetaReplayOf, d.ID)
	topic, err := h.replay(ctx, t, d.Topic, msg)
	return topic, msg.UUID, err
}

// replay sends a dead letter's message back to where it failed, and returns
// where that is: a topic, or the outbox for a send the sender gave up on.
// Dead letters of earlier versions' topics take the path that replaced
// theirs.
func (h *Hub) replay(ctx context.Context, t *runtime.Tenant, topic string, msg *message.Message) (string, error) {
	switch topic {
	case TopicOutbox, oldTopicOutbound:
		return TopicOutbox, h.requeueCommand(ctx, msg.Payload)
	case oldTopicOutcomes:
		var o event.Outcome
		if err := json.Unmarshal(msg.Payload, &o); err != nil {
			return "", fmt.Errorf("decoding the outcome: %w", err)
		}
		cmds, err := h.ledger.Notify(t, o)
		if err != nil {
			return "", err
		}
		return TopicOutbox, h.ledger.Enqueue(ctx, cmds)
	case oldTopicEvents:
		msg.Metadata.Set(MetaMappedEvent, "true")
		topic = TopicInbound
	case oldTopicEventsBSP:
		msg.Metadata.Set(MetaMappedEvent, "true")
		topic = TopicInboundBSP
	}
	return topic, h.queue.Publisher().Publish(topic, msg)
}

// requeueCommand puts a message command back in the outbox, due now: a new
// key is queued, and a message held for a replay is deferred until now.
func (h *Hub) requeueCommand(ctx context.Context, payload []byte) error {
	var cmd messaging.Command
	if err := json.Unmarshal(payload, &cmd); err != nil {
		return fmt.Errorf("decoding the message command: %w", err)
	}
	m, err := ledger.OutboxMessage(cmd)
	if err != nil {
		return err
	}
	now := h.now()
	m.Command, m.DueAt = payload, now
	if err := h.store.EnqueueMessages(ctx, []store.Message{m}); err != nil {
		return err
	}
	if err := h.store.DeferMessage(ctx, cmd.Key, now, payload, "replayed", now); err != nil {
		return err
	}
	h.sender.Wake()
	return nil
}
