package telemetry_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/pipelines/telemetry"
)

func TestDisabledTracesNothing(t *testing.T) {
	cfg := config.Default().Telemetry
	tr, err := telemetry.New(cfg, "")
	require.NoError(t, err)
	for name, tr := range map[string]*telemetry.Tracing{"no endpoint": tr, "nil": nil} {
		t.Run(name, func(t *testing.T) {
			assert.False(t, tr.Enabled())
			ctx, span := tr.Start(context.Background(), "x", trace.SpanKindInternal)
			assert.False(t, span.IsRecording())
			assert.Empty(t, tr.TraceParent(ctx))
			md := message.Metadata{}
			tr.Inject(ctx, md)
			assert.Empty(t, md, "no trace context in a queue message")
			parent := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
			assert.False(t, trace.SpanContextFromContext(tr.WithTraceParent(ctx, parent)).IsValid(),
				"a stored trace context is not read")
			assert.False(t, trace.SpanContextFromContext(tr.Extract(ctx, message.Metadata{"traceparent": parent})).IsValid())
			require.NoError(t, tr.Shutdown(context.Background()))
		})
	}
}

func TestTraceParentRoundTrip(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	tr := telemetry.FromProvider(tp)
	ctx, span := tr.Start(context.Background(), "queued", trace.SpanKindInternal)
	stored := tr.TraceParent(ctx)
	span.End()
	require.Regexp(t, `^00-[0-9a-f]{32}-[0-9a-f]{16}-01$`, stored)
	assert.Equal(t, span.SpanContext().SpanID(), telemetry.SpanContext(stored).SpanID())

	_, child := tr.Start(tr.WithTraceParent(context.Background(), stored), "sent", trace.SpanKindConsumer)
	child.End()
	spans := exp.GetSpans()
	require.Len(t, spans, 2)
	assert.Equal(t, span.SpanContext().SpanID(), spans[1].Parent.SpanID(), "a stored context is the parent")
	assert.False(t, telemetry.SpanContext("").IsValid())
	assert.False(t, telemetry.SpanContext("garbage").IsValid())
}

func TestEndKeepsTheErrorTextOut(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := telemetry.FromProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp)))
	_, span := tr.Start(context.Background(), "send", trace.SpanKindClient)
	telemetry.End(span, fault.Permanent(fault.ClassRecipient, errors.New("+6281234567890 is not on WhatsApp")))
	got := exp.GetSpans()[0]
	assert.Equal(t, codes.Error, got.Status.Code)
	assert.Equal(t, "recipient", got.Status.Description)
	assert.Empty(t, got.Events, "no exception event quotes the error")
}

// grpcCollector is an OTLP/gRPC trace receiver keeping the spans' names.
type grpcCollector struct {
	collectortrace.UnimplementedTraceServiceServer
	mu    sync.Mutex
	names []string
}

func (c *grpcCollector) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.names = append(c.names, s.GetName())
			}
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

func TestExportGRPC(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	c := &grpcCollector{}
	collectortrace.RegisterTraceServiceServer(srv, c)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Stop()

	cfg := config.Default().Telemetry
	cfg.OTLP = config.OTLP{Endpoint: "http://" + ln.Addr().String(), Protocol: config.ProtocolGRPC}
	tr, err := telemetry.New(cfg, "v1.2.3")
	require.NoError(t, err)
	require.True(t, tr.Enabled())
	_, span := tr.Start(context.Background(), "POST /hooks/{tenant}/{connector}", trace.SpanKindServer)
	span.End()
	require.NoError(t, tr.Shutdown(context.Background()), "shutting down flushes the batch")
	require.NoError(t, tr.Shutdown(context.Background()), "twice is safe")

	c.mu.Lock()
	defer c.mu.Unlock()
	assert.Equal(t, []string{"POST /hooks/{tenant}/{connector}"}, c.names)
}

func TestSampleRatio(t *testing.T) {
	cfg := config.Default().Telemetry
	cfg.SampleRatio = 0
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer collector.Close()
	cfg.OTLP.Endpoint = collector.URL
	tr, err := telemetry.New(cfg, "")
	require.NoError(t, err)
	defer func() { require.NoError(t, tr.Shutdown(context.Background())) }()

	_, root := tr.Start(context.Background(), "webhook", trace.SpanKindServer)
	assert.False(t, root.IsRecording(), "a ratio of 0 records no new trace")
	root.End()

	sampled := tr.WithTraceParent(context.Background(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	_, child := tr.Start(sampled, "webhook", trace.SpanKindServer)
	assert.True(t, child.IsRecording(), "a caller that recorded its trace has it followed")
	child.End()

	unsampled := tr.WithTraceParent(context.Background(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
	_, child = tr.Start(unsampled, "webhook", trace.SpanKindServer)
	assert.False(t, child.IsRecording(), "so is one that did not")
	child.End()
}
