package cloudapi

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/loyalhub/loyalhub/core/messaging"
)

// BenchmarkSendTemplate sends template messages to the sandbox over
// loopback from parallel goroutines, as the send stage does.
func BenchmarkSendTemplate(b *testing.B) {
	sb, hs := newSandbox(b)
	cfg := testConfig(hs.URL)
	s := newTestSender(b, cfg)
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			_, err := s.Send(context.Background(), messaging.Command{
				Key: fmt.Sprintf("bench_%d", i), To: "+6281234567890", Kind: messaging.KindTemplate,
				Template: &messaging.Template{Name: "points_earned", Language: "id", BodyParams: []string{"Sari", "120"}},
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if got := len(sb.Messages()); got != b.N {
		b.Fatalf("sandbox accepted %d of %d", got, b.N)
	}
}
