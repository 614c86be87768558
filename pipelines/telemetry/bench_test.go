package telemetry_test

import (
	"context"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/pipelines/telemetry"
)

// BenchmarkStageTracing measures the span sites of a sale's way through
// the process stage (the consumer span, the mapping, the event, the loyalty
// transaction and the trace context it leaves in the outbox) around a
// handler that does nothing else: "bare" without them, "off" as a hub
// without an OTLP endpoint runs them, "unsampled" with a sample ratio of
// 0, "recorded" with every span recorded by the SDK and exported nowhere.
func BenchmarkStageTracing(b *testing.B) {
	off, err := telemetry.New(config.Default().Telemetry, "")
	if err != nil {
		b.Fatal(err)
	}
	never := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	always := sdktrace.NewTracerProvider()
	b.Cleanup(func() {
		_ = never.Shutdown(context.Background())
		_ = always.Shutdown(context.Background())
	})
	bare := func(msg *message.Message) error { return nil }
	for _, bc := range []struct {
		name string
		tr   *telemetry.Tracing
	}{
		{"off", off},
		{"unsampled", telemetry.FromProvider(never)},
		{"recorded", telemetry.FromProvider(always)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tr := bc.tr
			handler := tr.Consumer("process", "inbound", func(msg *message.Message) error {
				for _, name := range []string{"map delivery", "process event", "loyalty transact"} {
					_, span := tr.Start(msg.Context(), name, trace.SpanKindInternal)
					if span.IsRecording() {
						span.SetAttributes(telemetry.AttrEventType.String("order.paid"))
					}
					telemetry.End(span, nil)
				}
				_ = tr.TraceParent(msg.Context())
				return nil
			})
			runStage(b, handler)
		})
	}
	b.Run("bare", func(b *testing.B) { runStage(b, bare) })
}

func runStage(b *testing.B, handler message.NoPublishHandlerFunc) {
	msg := message.NewMessage("in_1", []byte(`{}`))
	msg.Metadata.Set("tenant", "acme")
	msg.Metadata.Set("connector", "pos")
	b.ReportAllocs()
	for b.Loop() {
		if err := handler(msg); err != nil {
			b.Fatal(err)
		}
	}
}
