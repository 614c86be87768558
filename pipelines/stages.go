package pipelines

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/store"
)

// Stage (handler) names, as they appear in metrics and dead letters.
const (
	StageProcess    = "process"
	StageSend       = "send"
	StageDeadLetter = "deadletter"
)

// mapEvents maps a delivery, consumed by stage from topic, to its events.
// The items the mapping failed are dead-lettered one by one first, and the
// parts it left aside counted, so that the events go on.
func (h *Hub) mapEvents(msg *message.Message, stage, topic string) ([]event.Event, error) {
	d, err := deliveryFromMessage(msg)
	if err != nil {
		return nil, fault.Permanent(fault.ClassRequest, err)
	}
	c, ok := h.tenants.Connector(d.Tenant, d.Connector)
	if !ok || c.Mapping == nil {
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("no mapping for connector %q of tenant %q", d.Connector, d.Tenant))
	}
	body := msg.Payload
	if c.Enricher != nil {
		body, err = c.Enricher.Enrich(msg.Context(), connectors.Delivery{ID: d.DeliveryID, Topic: d.Topic, Meta: d.Meta}, body)
		if err != nil {
			return nil, fmt.Errorf("enriching delivery %s: %w", d.DeliveryID, err)
		}
	}
	res, err := c.Mapping.Map(msg.Context(), d, body)
	if err != nil {
		return nil, fmt.Errorf("mapping delivery %s: %w", d.DeliveryID, err)
	}
	if err := h.deadLetterItems(msg, d, stage, topic, res.Failed); err != nil {
		return nil, err
	}
	h.countIgnored(d, res.Ignored)
	return res.Events, nil
}

// eventLane is a stage that maps the deliveries of one topic to events and
// acts on each: the process stage (inbound) and the BSP stage
// (inbound_bsp). An event of a delivery that fails for good is
// dead-lettered alone, as a mapped event (MetaMappedEvent) whose replay to
// the lane's topic the stage handles without mapping it again.
type eventLane struct {
	stage, topic string
	idPrefix     string // of its events' dead letters
}

var (
	processLane = eventLane{stage: StageProcess, topic: TopicInbound, idPrefix: "event_"}
	bspLane     = eventLane{stage: StageBSP, topic: TopicInboundBSP, idPrefix: "bspev_"}
)

// mappedEvent returns the event msg carries when it is a mapped event (see
// eventLane); ok is false for a delivery to map.
func mappedEvent(msg *message.Message) (ev event.Event, ok bool, err error) {
	if msg.Metadata.Get(MetaMappedEvent) == "" {
		return event.Event{}, false, nil
	}
	if err := json.Unmarshal(msg.Payload, &ev); err != nil {
		return event.Event{}, true, fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding event: %w", err))
	}
	return ev, true, nil
}

// deadLetterEvent stores one event of the delivery msg that failed with
// cause (which names the event) as a dead letter of its own: the event as payload, marked as mapped, for a replay of that event
// alone to the lane's topic. Its id
// derives from the event and from the dead letter a replay came from, so
// that the delivery redelivered does not store it twice and a replay that
// fails again stores a new one.
func (h *Hub) deadLetterEvent(l eventLane, msg *message.Message, ev event.Event, cause error) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encoding the failed event: %w", err)
	}
	meta := maps.Clone(map[string]string(msg.Metadata))
	if meta == nil {
		meta = map[string]string{}
	}
	meta[MetaMappedEvent] = "true"
	meta[MetaTenant] = ev.Tenant
	meta[MetaType] = ev.Type
	d := store.DeadLetter{
		ID:     event.DerivedID(l.idPrefix, ev.Tenant, ev.Connector, msg.Metadata.Get(MetaReplayOf), string(payload)),
		Tenant: ev.Tenant, Topic: l.topic, Handler: l.stage,
		Reason:  cause.Error(),
		Payload: payload, Metadata: meta, CreatedAt: h.now().UTC(),
	}
	if err := h.storeDeadLetter(msg.Context(), d); err != nil {
		return fmt.Errorf("storing the dead letter of a failed event: %w", err)
	}
	return nil
}

// receivedAt is when the event's delivery reached the hub, else when the
// event occurred.
func receivedAt(msg *message.Message, ev event.Event) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, msg.Metadata.Get(MetaReceivedAt)); err == nil {
		return t
	}
	return ev.OccurredAt
}

// deadLetterStage stores poisoned messages with their reason.
func (h *Hub) deadLetterStage(msg *message.Message) error {
	d := store.DeadLetter{
		ID:        msg.UUID,
		Tenant:    msg.Metadata.Get(MetaTenant),
		Topic:     msg.Metadata.Get("topic_poisoned"),
		Handler:   msg.Metadata.Get("handler_poisoned"),
		Reason:    msg.Metadata.Get("reason_poisoned"),
		Payload:   msg.Payload,
		Metadata:  maps.Clone(map[string]string(msg.Metadata)),
		CreatedAt: h.now().UTC(),
	}
	if err := h.storeDeadLetter(msg.Context(), d); err != nil {
		return fmt.Errorf("storing dead letter: %w", err)
	}
	return nil
}

// storeDeadLetter stores d, counts it under the stage that gave up
// (d.Handler) and logs it.
func (h *Hub) storeDeadLetter(ctx context.Context, d store.DeadLetter) error {
	if err := h.store.AddDeadLetter(ctx, d); err != nil {
		return err
	}
	h.metrics.DeadLetters.WithLabelValues(d.Handler).Inc()
	h.logger.Warn("dead letter stored", "tenant", d.Tenant, "connector", d.Metadata[MetaConnector], "stage", d.Handler,
		"id", d.ID, "reason", d.Reason)
	return nil
}

func deliveryFromMessage(msg *message.Message) (event.Delivery, error) {
	d := event.Delivery{
		Tenant:     msg.Metadata.Get(MetaTenant),
		Connector:  msg.Metadata.Get(MetaConnector),
		Kind:       msg.Metadata.Get(MetaKind),
		DeliveryID: msg.Metadata.Get(MetaDeliveryID),
		Topic:      msg.Metadata.Get(MetaTopic),
		Body:       msg.Payload,
	}
	if d.Tenant == "" || d.Connector == "" {
		return d, errors.New("delivery has no tenant or connector metadata")
	}
	for k, v := range msg.Metadata {
		if name, ok := strings.CutPrefix(k, MetaSourcePrefix); ok {
			if d.Meta == nil {
				d.Meta = map[string]string{}
			}
			d.Meta[name] = v
		}
	}
	if ts := msg.Metadata.Get(MetaReceivedAt); ts != "" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return d, fmt.Errorf("delivery received_at: %w", err)
		}
		d.ReceivedAt = t
	}
	return d, nil
}

func jsonMessage(uuid string, v any) (*message.Message, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("encoding %T: %w", v, err))
	}
	return message.NewMessage(uuid, b), nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
