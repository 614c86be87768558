package telemetry

import (
	"net/http"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/loyalhub/loyalhub/pipelines/queue"
)

// The hub's own span attributes; the others follow OpenTelemetry's
// semantic conventions (http.*, messaging.*).
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

	attrMethod      = attribute.Key("http.request.method")
	attrRoute       = attribute.Key("http.route")
	attrStatusCode  = attribute.Key("http.response.status_code")
	AttrMsgSystem   = attribute.Key("messaging.system")
	AttrMsgOp       = attribute.Key("messaging.operation.type")
	AttrMsgDest     = attribute.Key("messaging.destination.name")
	AttrMsgGroup    = attribute.Key("messaging.consumer.group.name")
	AttrMsgID       = attribute.Key("messaging.message.id")
	attrBodySize    = attribute.Key("http.request.body.size")
	messagingSystem = "loyalhub"
)

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
			span.SetAttributes(attrMethod.String(method), attrRoute.String(path), attrStatusCode.Int(sw.code))
			if r.ContentLength >= 0 {
				span.SetAttributes(attrBodySize.Int64(r.ContentLength))
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
		span.SetAttributes(AttrMsgSystem.String(messagingSystem), AttrMsgOp.String("send"), AttrMsgDest.String(topic),
			AttrMsgID.String(msg.UUID))
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
			span.SetAttributes(AttrMsgSystem.String(messagingSystem), AttrMsgOp.String("process"), AttrMsgDest.String(topic),
				AttrMsgGroup.String(stage), AttrMsgID.String(msg.UUID), AttrStage.String(stage))
			metadataAttributes(span, msg.Metadata)
		}
		msg.SetContext(ctx)
		err := next(msg)
		msg.SetContext(base)
		End(span, err)
		return err
	}
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
