package pipelines_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/loyalhub/loyalhub/connectors/pos"
)

// BenchmarkIngest measures the webhook path: route, read the body, check
// the HMAC signature, publish durably to the embedded queue, answer. The hub
// runs as a receiver (pipeline.ingest_only), so the stages do not compete
// for the CPU; "with stages" shows the same path while they run.
func BenchmarkIngest(b *testing.B) {
	for name, env := range map[string][]string{
		"receiver":    {"LOYALHUB_PIPELINE__INGEST_ONLY=true"},
		"with_stages": nil,
	} {
		b.Run(name, func(b *testing.B) {
			h := newHarness(b, harnessOpts{backend: "embedded", env: env})
			handler := h.hub.Handler()
			var n atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					benchSale(b, handler, "B", n.Add(1))
				}
			})
		})
	}
}

// BenchmarkIngestTracing measures the webhook path of a receiver on the
// in-memory queue without tracing ("off": no OTLP endpoint) and with every
// span recorded by the SDK and exported nowhere ("recorded").
func BenchmarkIngestTracing(b *testing.B) {
	for _, name := range []string{"off", "recorded"} {
		b.Run(name, func(b *testing.B) {
			o := harnessOpts{env: []string{"LOYALHUB_PIPELINE__INGEST_ONLY=true"}}
			if name == "recorded" {
				tp := sdktrace.NewTracerProvider()
				b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
				o.tracer = tp
			}
			h := newHarness(b, o)
			handler := h.hub.Handler()
			b.ReportAllocs()
			var i int64
			for b.Loop() {
				i++
				benchSale(b, handler, "T", i)
			}
		})
	}
}

// benchSale posts the signed sale prefix-i, of a phone of its own, to
// handler and fails b unless it is accepted.
func benchSale(b *testing.B, handler http.Handler, prefix string, i int64) {
	body := sale(fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("08123%07d", i%10_000_000), "Bench", "125000")
	req := httptest.NewRequest(http.MethodPost, "/hooks/acme/pos", bytes.NewReader(body))
	req.Header.Set("X-Loyalhub-Signature", pos.Sign(testPOSSecret, body))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
}
