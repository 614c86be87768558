package telemetry

import (
	"net/http"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/loyalhub/loyalhub/pipelines/queue"
)

// The hub's own span attributes.
const (
	AttrTenant     = attribute.Key("loyalhub.tenant")
	AttrConnector  = attribute.Key("loyalhub.connector")
	AttrApp        = attribute.Key("loyalhub.app")
	AttrKind       = attribute.Key("loyalhub.connector.type")
	AttrDelivery   = attribute.Key("loyalhub.delivery_id")
	AttrEventID    = attribute.Key("loyalhub.event.id")
	AttrEventType  = attribute.Key("loyalhub.event.type")
	AttrEvents     = attribute.Key("loyalhub.events")
	AttrOutcomes   = attribute.Key("loyalhub.outcomes")
	AttrMessages   = attribute.Key("loyalhub.messages")
	AttrMessageKey = attribute.Key("loyalhub.message.key")
	AttrSender     = attribute.Key("loyalhub.sender")
	AttrStatus     = attribute.Key("loyalhub.message.status")
	AttrStage      = attribute.Key("loyalhub.stage")
	AttrErrorCode  = attribute.Key("loyalhub.error.code")
)

// AttrMsgID is the semantic conventions' messaging.message.id: a queue
// message's id, or the BSP's id of a WhatsApp message.
const AttrMsgID = semconv.MessagingMessageIDKey

// messagingSystem is the messaging.system of the hub's queue and outbox,
// whatever backend holds them.
const messagingSystem = "loyalhub"

// pathValues are the route's wildcards that become span attributes.
var pathValues = []struct {
	name string
	key  attribute.Key
}{{"tenant", AttrTenant}, {"connector", AttrConnector}, {"app", AttrApp}}

// Handler returns next traced as the server span of route ("POST
// /hooks/{tenant}/{connector}"), child of the caller's traceparent, if
// any. Disabled, it returns next itself.
func (t *Tracing) Handler(route string, next http.HandlerFunc) http.HandlerFunc {
	if !t.Enabled() {
		return next
	}
	method, path, _ := strings.Cut(route, " ")
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, span := t.Start(t.FromHeader(r.Context(), r.Header), route, trace.SpanKindServer)
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next(sw, r.WithContext(ctx))
		if span.IsRecording() {
			span.SetAttributes(semconv.HTTPRequestMethodKey.String(method), semconv.HTTPRouteKey.String(path),
				semconv.HTTPResponseStatusCodeKey.Int(sw.code))
			if r.ContentLength >= 0 {
				span.SetAttributes(semconv.HTTPRequestBodySizeKey.Int64(r.ContentLength))
			}
			for _, p := range pathValues {
				if v := r.PathValue(p.name); v != "" {
					span.SetAttributes(p.key.String(v))
				}
			}
			if sw.code >= 500 {
				span.SetStatus(codes.Error, "")
			}
		}
		span.End()
	}
}

// statusWriter records the status code a handler answers.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Publish starts the producer span of a queue message published to topic
// and writes its context into the message's metadata; End it with the
// publish's error.
func (t *Tracing) Publish(msg *message.Message, topic string) trace.Span {
	if !t.Enabled() {
		return noopSpan
	}
	ctx, span := t.Start(msg.Context(), "send "+topic, trace.SpanKindProducer)
	t.Inject(ctx, msg.Metadata)
	if span.IsRecording() {
		span.SetAttributes(messaging("send", topic)...)
		span.SetAttributes(AttrMsgID.String(msg.UUID))
		metadataAttributes(span, msg.Metadata)
	}
	return span
}

// Consumer returns next traced as the consumer span of stage, which
// consumes topic: each attempt at a message is a span, child of the span
// that published it. Disabled, it returns next itself.
func (t *Tracing) Consumer(stage, topic string, next message.NoPublishHandlerFunc) message.NoPublishHandlerFunc {
	if !t.Enabled() {
		return next
	}
	name := "process " + topic
	return func(msg *message.Message) error {
		base := msg.Context()
		ctx, span := t.Start(t.Extract(base, msg.Metadata), name, trace.SpanKindConsumer)
		if span.IsRecording() {
			span.SetAttributes(messaging("process", topic)...)
			span.SetAttributes(semconv.MessagingConsumerGroupNameKey.String(stage), AttrMsgID.String(msg.UUID), AttrStage.String(stage))
			metadataAttributes(span, msg.Metadata)
		}
		msg.SetContext(ctx)
		err := next(msg)
		msg.SetContext(base)
		End(span, err)
		return err
	}
}

// OutboxAttributes are the attributes of a send attempt's span, which
// consumes the outbox: the message's tenant and key.
func OutboxAttributes(tenant, key string) []attribute.KeyValue {
	return append(messaging("process", "outbox"), semconv.MessagingConsumerGroupNameKey.String("send"),
		AttrTenant.String(tenant), AttrMessageKey.String(key))
}

// messaging is the semantic conventions' attributes of an operation (send,
// process) on the hub's destination (a topic, the outbox).
func messaging(op, destination string) []attribute.KeyValue {
	return []attribute.KeyValue{semconv.MessagingSystemKey.String(messagingSystem),
		semconv.MessagingOperationTypeKey.String(op), semconv.MessagingDestinationNameKey.String(destination)}
}

// metadataAttributes sets what a queue message's metadata says of its
// delivery: tenant, connector and delivery id.
func metadataAttributes(span trace.Span, md message.Metadata) {
	for _, a := range []struct {
		meta string
		key  attribute.Key
	}{{queue.MetaTenant, AttrTenant}, {queue.MetaConnector, AttrConnector}, {queue.MetaKind, AttrKind}, {queue.MetaDeliveryID, AttrDelivery}} {
		if v := md.Get(a.meta); v != "" {
			span.SetAttributes(a.key.String(v))
		}
	}
}
