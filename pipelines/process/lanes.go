package process

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/account"
	"github.com/loyalhub/loyalhub/pipelines/chat"
	"github.com/loyalhub/loyalhub/pipelines/queue"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
	"github.com/loyalhub/loyalhub/pipelines/telemetry"
)

// Stage (handler) names of the lanes, as they appear in metrics and dead
// letters.
const (
	StageProcess = "process"
	StageBSP     = "bsp"
)

// Store is what the lanes read and write: members and contacts, the
// message log's statuses, checkouts, and what a privacy request erases.
type Store interface {
	store.Members
	store.Contacts
	store.Messages
	store.Senders
	store.Checkouts
	store.Privacy
	store.Journeys
	// EnqueueWebhooks writes webhook deliveries (see store.Webhooks).
	EnqueueWebhooks(ctx context.Context, ds []store.WebhookDelivery) error
}

// Chat answers a customer's message with the tenant's chatbot, and
// invites members to the tenant's surveys after their triggers (see
// chat.Responder).
type Chat interface {
	Converse(ctx context.Context, t *runtime.Tenant, m event.MessageReceived, phone string, dup bool) error
	Invite(ctx context.Context, t *runtime.Tenant, tr chat.Trigger) error
}

// Topics names, as the hub's table of topics has them, where the dead
// letters the lanes store go back to on replay: each lane's topic, and the
// outbox with the sender's stage for a message to send again.
type Topics struct {
	Inbound, BSP      string
	Outbox, SendStage string
}

// Metrics are the instruments the lanes count with, under the hub's names.
type Metrics struct {
	EventsProcessed    prometheus.Counter
	EventsWithoutPhone *prometheus.CounterVec // tenant, type
	LimitRefusals      *prometheus.CounterVec // tenant, type
	MembersMerged      *prometheus.CounterVec // tenant
	PointsAwarded      *prometheus.CounterVec // tenant
	ConsentChanges     *prometheus.CounterVec // tenant, value (stop, resume, ignored)
	PrivacyRequests    *prometheus.CounterVec // tenant, type, result
	CheckoutsAbandoned *prometheus.CounterVec // tenant
	IdentityChanges    *prometheus.CounterVec // tenant, result
	InboundMessages    *prometheus.CounterVec // tenant, result (new, duplicate)
	InboundNumbers     *prometheus.CounterVec // tenant, form
	StatusesApplied    prometheus.Counter
	StatusesIgnored    *prometheus.CounterVec // tenant, status
	StatusUnmatched    *prometheus.CounterVec // tenant
	DeliveryFailures   *prometheus.CounterVec // tenant, code
	ConfigErrors       *prometheus.CounterVec // tenant, sender, code
	MessagesFallback   *prometheus.CounterVec // tenant, reason
	WebhookErrors      *prometheus.CounterVec // tenant, code
	// SenderQualityPaused and SenderMessagingLimit are what WhatsApp last
	// said of a sender's quality and limit.
	SenderQualityPaused  *prometheus.GaugeVec // tenant, sender
	SenderMessagingLimit *prometheus.GaugeVec // tenant, sender
}

// Lanes are the two event lanes: the process stage (Process) and the BSP
// stage (BSP). Set their fields; they are safe for concurrent use.
type Lanes struct {
	Store   Store
	Tenants *runtime.Tenants
	Topics  Topics
	// BatchSize is how many events of a delivery commit together at most
	// (pipeline.batch.size, else the store's default); SweepBatch how many
	// rows one query of a shop's redaction or of the abandoned-checkout
	// sweep returns.
	BatchSize, SweepBatch int
	// Unread is told when the BSP lane has applied what customers wrote
	// (nil: no one is).
	Unread *runtime.Unread
	// Now is the hub's clock: every time the lanes decide by or record.
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics Metrics
	// Ignored counts the parts of deliveries their mappings left aside.
	Ignored *Ignored

	// Transact runs a loyalty transaction with its effects (the
	// notifications of its outcomes in the outbox, write-backs), then its
	// follow-ups.
	Transact account.Transact
	// Notify renders the commands the tenant's notification rules make of
	// an outcome; Enqueue writes commands to the outbox in one
	// transaction.
	Notify  func(t *runtime.Tenant, o event.Outcome) ([]messaging.Command, error)
	Enqueue func(ctx context.Context, cmds []messaging.Command) error
	// DeadLetter stores a dead letter, counts it under its stage
	// (d.Handler) and logs it.
	DeadLetter func(ctx context.Context, d store.DeadLetter) error
	// RecipientRefused records what a recipient's refusal (code) says
	// about them, as the sender does for the same refusal answered at
	// once.
	RecipientRefused func(ctx context.Context, tenant string, ref store.ContactRef, code string) error
	// Chat answers customers' messages on a tenant's bot number.
	Chat Chat
	// Tracing traces the mapping, each event and each delivery report
	// (nil: nothing).
	Tracing *telemetry.Tracing
}

// mapEvents maps a delivery, consumed by lane, to its events.
// The items the mapping failed are dead-lettered one by one first, and the
// parts it left aside counted, so that the events go on.
func (l *Lanes) mapEvents(msg *message.Message, lane eventLane) (events []event.Event, err error) {
	ctx, span := l.Tracing.Start(msg.Context(), "map delivery", trace.SpanKindInternal)
	defer func() {
		if span.IsRecording() {
			span.SetAttributes(telemetry.AttrEvents.Int(len(events)))
		}
		telemetry.End(span, err)
	}()
	d, err := deliveryFromMessage(msg)
	if err != nil {
		return nil, fault.Permanent(fault.ClassRequest, err)
	}
	c, ok := l.Tenants.Connector(d.Tenant, d.Connector)
	if !ok || c.Mapping == nil {
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("no mapping for connector %q of tenant %q", d.Connector, d.Tenant))
	}
	body := msg.Payload
	if c.Enricher != nil {
		body, err = c.Enricher.Enrich(ctx, connectors.Delivery{ID: d.DeliveryID, Topic: d.Topic, Meta: d.Meta}, body)
		if err != nil {
			return nil, fmt.Errorf("enriching delivery %s: %w", d.DeliveryID, err)
		}
	}
	res, err := c.Mapping.Map(ctx, d, body)
	if err != nil {
		return nil, fmt.Errorf("mapping delivery %s: %w", d.DeliveryID, err)
	}
	if err := l.deadLetterItems(msg, d, lane.stage, lane.topic, res.Failed); err != nil {
		return nil, err
	}
	l.Ignored.Count(d, res.Ignored)
	return res.Events, nil
}

// eventLane is a stage that maps the deliveries of one topic to events and
// acts on each: the process stage (inbound) and the BSP stage
// (inbound_bsp). An event of a delivery that fails for good is
// dead-lettered alone, as a mapped event (queue.MetaMappedEvent) whose replay to
// the lane's topic the stage handles without mapping it again.
type eventLane struct {
	stage, topic string
	idPrefix     string // of its events' dead letters
}

// processLane is the process stage's lane.
func (l *Lanes) processLane() eventLane {
	return eventLane{stage: StageProcess, topic: l.Topics.Inbound, idPrefix: "event_"}
}

// bspLane is the BSP stage's lane.
func (l *Lanes) bspLane() eventLane {
	return eventLane{stage: StageBSP, topic: l.Topics.BSP, idPrefix: "bspev_"}
}

// mappedEvent returns the event msg carries when it is a mapped event (see
// eventLane); ok is false for a delivery to map.
func mappedEvent(msg *message.Message) (ev event.Event, ok bool, err error) {
	if msg.Metadata.Get(queue.MetaMappedEvent) == "" {
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
func (l *Lanes) deadLetterEvent(lane eventLane, msg *message.Message, ev event.Event, cause error) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encoding the failed event: %w", err)
	}
	meta := maps.Clone(map[string]string(msg.Metadata))
	if meta == nil {
		meta = map[string]string{}
	}
	meta[queue.MetaMappedEvent] = "true"
	meta[queue.MetaTenant] = ev.Tenant
	meta[queue.MetaType] = ev.Type
	d := store.DeadLetter{
		ID:     event.DerivedID(lane.idPrefix, ev.Tenant, ev.Connector, msg.Metadata.Get(queue.MetaReplayOf), string(payload)),
		Tenant: ev.Tenant, Topic: lane.topic, Handler: lane.stage,
		Reason:  cause.Error(),
		Payload: payload, Metadata: meta, CreatedAt: l.Now().UTC(),
	}
	if err := l.DeadLetter(msg.Context(), d); err != nil {
		return fmt.Errorf("storing the dead letter of a failed event: %w", err)
	}
	return nil
}

// receivedAt is when the event's delivery reached the hub, else when the
// event occurred.
func receivedAt(msg *message.Message, ev event.Event) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, msg.Metadata.Get(queue.MetaReceivedAt)); err == nil {
		return t
	}
	return ev.OccurredAt
}

func deliveryFromMessage(msg *message.Message) (event.Delivery, error) {
	d := event.Delivery{
		Tenant:     msg.Metadata.Get(queue.MetaTenant),
		Connector:  msg.Metadata.Get(queue.MetaConnector),
		Kind:       msg.Metadata.Get(queue.MetaKind),
		DeliveryID: msg.Metadata.Get(queue.MetaDeliveryID),
		Topic:      msg.Metadata.Get(queue.MetaTopic),
		Body:       msg.Payload,
	}
	if d.Tenant == "" || d.Connector == "" {
		return d, errors.New("delivery has no tenant or connector metadata")
	}
	for k, v := range msg.Metadata {
		if name, ok := strings.CutPrefix(k, queue.MetaSourcePrefix); ok {
			if d.Meta == nil {
				d.Meta = map[string]string{}
			}
			d.Meta[name] = v
		}
	}
	if ts := msg.Metadata.Get(queue.MetaReceivedAt); ts != "" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return d, fmt.Errorf("delivery received_at: %w", err)
		}
		d.ReceivedAt = t
	}
	return d, nil
}
