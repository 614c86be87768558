package pipelines_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

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
					i := n.Add(1)
					body := sale(fmt.Sprintf("B-%d", i), fmt.Sprintf("08123%07d", i%10_000_000), "Bench", "125000")
					req := httptest.NewRequest(http.MethodPost, "/hooks/acme/pos", bytes.NewReader(body))
					req.Header.Set("X-Loyalhub-Signature", pos.Sign(testPOSSecret, body))
					rec := httptest.NewRecorder()
					handler.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
				}
			})
		})
	}
}
