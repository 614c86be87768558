// Package telemetry traces the hub with OpenTelemetry: a webhook's span,
// the stages that handle it, the send attempt and the BSP call, and the
// delivery reports that come back for the message. The trace context
// crosses the queue in a message's metadata and the outbox in the message
// log's row, as a W3C traceparent.
//
// With no OTLP endpoint configured the hub's Tracing is disabled: its
// tracer is a no-op and it reads and writes no trace context. A nil
// *Tracing is disabled too, so that parts built without one trace nothing.
//
// Spans carry ids, names and counts, never phone numbers or message bodies.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/fault"
)

// ScopeName is the instrumentation scope of the hub's spans.
const ScopeName = "github.com/loyalhub/loyalhub"

// Tracing is the hub's tracer and the exporter behind it. Make it with New
// or FromProvider; it is safe for concurrent use.
type Tracing struct {
	tracer   trace.Tracer
	shutdown func(context.Context) error
}

// propagator reads and writes W3C trace context (traceparent, tracestate).
var propagator = propagation.TraceContext{}

// noopSpan is the span of a disabled Tracing, an interface value made
// once: converting noop.Span on each call would allocate.
var noopSpan trace.Span = noop.Span{}

// New returns the tracing cfg configures: disabled without an OTLP
// endpoint, else spans sampled by cfg.SampleRatio (a sampled caller's
// traceparent is followed) and batched to the endpoint. It does no I/O:
// the exporter connects when it first exports.
func New(cfg config.Telemetry, version string) (*Tracing, error) {
	if !cfg.Enabled() {
		return &Tracing{}, nil
	}
	exp, err := exporter(cfg.OTLP)
	if err != nil {
		return nil, fmt.Errorf("telemetry.otlp: %w", err)
	}
	attrs := []attribute.KeyValue{semconv.ServiceName(cfg.ServiceName)}
	if version != "" {
		attrs = append(attrs, semconv.ServiceVersion(version))
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL, attrs...)),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))),
	)
	return &Tracing{tracer: tp.Tracer(ScopeName), shutdown: tp.Shutdown}, nil
}

// FromProvider returns tracing with tp's tracer (tests pass an SDK provider
// with an in-memory exporter). Shutdown leaves tp to its owner.
func FromProvider(tp trace.TracerProvider) *Tracing {
	return &Tracing{tracer: tp.Tracer(ScopeName)}
}

// exporter returns the OTLP exporter of o, validated already.
func exporter(o config.OTLP) (sdktrace.SpanExporter, error) {
	u, err := url.Parse(o.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("endpoint: %w", err)
	}
	ctx := context.Background() // the constructors connect lazily
	switch o.Protocol {
	case config.ProtocolGRPC:
		opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(u.Host), otlptracegrpc.WithHeaders(o.Headers)}
		if u.Scheme == "http" {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		return otlptracegrpc.New(ctx, opts...)
	default:
		if strings.Trim(u.Path, "/") == "" {
			u.Path = "/v1/traces"
		}
		return otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()), otlptracehttp.WithHeaders(o.Headers))
	}
}

// Enabled reports whether spans are made.
func (t *Tracing) Enabled() bool { return t != nil && t.tracer != nil }

// Shutdown exports the spans still batched and stops the exporter. It is
// safe twice and on a disabled Tracing.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil || t.shutdown == nil {
		return nil
	}
	if err := t.shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("flushing spans: %w", err)
	}
	return nil
}

// Start starts a span as a child of ctx's. A disabled Tracing returns ctx
// and a span that records nothing; set attributes only when
// span.IsRecording(), so that a disabled or unsampled span costs nothing.
func (t *Tracing) Start(ctx context.Context, name string, kind trace.SpanKind, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if !t.Enabled() {
		return ctx, noopSpan
	}
	return t.tracer.Start(ctx, name, append(opts, trace.WithSpanKind(kind))...)
}

// End ends span, marking it failed when err is not nil. The status says
// the failure's class (fault.Class: transient, throttle, recipient…),
// never its message, which may quote a customer's number.
func End(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		class := string(fault.ClassOf(err))
		span.SetAttributes(semconv.ErrorTypeKey.String(class))
		span.SetStatus(codes.Error, class)
	}
	span.End()
}

// FromHeader returns ctx with the caller's trace context of a request's
// traceparent header as the parent of the spans started from it.
func (t *Tracing) FromHeader(ctx context.Context, h http.Header) context.Context {
	if !t.Enabled() || h.Get("traceparent") == "" {
		return ctx
	}
	return propagator.Extract(ctx, propagation.HeaderCarrier(h))
}

// Inject writes ctx's trace context into a queue message's metadata.
func (t *Tracing) Inject(ctx context.Context, md message.Metadata) {
	if t.Enabled() {
		propagator.Inject(ctx, propagation.MapCarrier(md))
	}
}

// Extract returns ctx with the trace context a queue message's metadata
// carries as the parent of the spans started from it.
func (t *Tracing) Extract(ctx context.Context, md message.Metadata) context.Context {
	if !t.Enabled() || md.Get(traceparent) == "" {
		return ctx
	}
	return propagator.Extract(ctx, propagation.MapCarrier(md))
}

// traceparent is the W3C header, and metadata key, of a trace context.
const traceparent = "traceparent"

// TraceParent returns ctx's span context as a W3C traceparent, for a row
// that outlives the span (the outbox); "" when ctx has none.
func (t *Tracing) TraceParent(ctx context.Context) string {
	if !t.Enabled() || !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	propagator.Inject(ctx, c)
	return c[traceparent]
}

// WithTraceParent returns ctx with the span context of a traceparent
// TraceParent wrote as the parent of the spans started from it.
func (t *Tracing) WithTraceParent(ctx context.Context, tp string) context.Context {
	if !t.Enabled() || tp == "" {
		return ctx
	}
	return propagator.Extract(ctx, propagation.MapCarrier{traceparent: tp})
}

// SpanContext returns the span context of a traceparent; not valid when tp
// is empty or malformed.
func SpanContext(tp string) trace.SpanContext {
	if tp == "" {
		return trace.SpanContext{}
	}
	ctx := propagator.Extract(context.Background(), propagation.MapCarrier{traceparent: tp})
	return trace.SpanContextFromContext(ctx)
}
