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

// BenchmarkIngest measures the webhook path: read the body, check the
// HMAC signature, publish durably to the queue, answer. The hub's stages run
// at the same time, as they do in production.
func BenchmarkIngest(b *testing.B) {
	for _, backend := range []string{"embedded", "memory"} {
		b.Run(backend, func(b *testing.B) {
			h := newHarness(b, harnessOpts{backend: backend})
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
