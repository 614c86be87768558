package cloud_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloud"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloudtest"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/messaging"
)

var (
	paceDuration = flag.Duration("pace.duration", 5*time.Second, "how long BenchmarkPacedSend sends")
	paceRate     = flag.Float64("pace.rate", cloud.MaxPerSecond, "messages per second BenchmarkPacedSend configures")
)

// benchClient is a client of a sandbox number over loopback.
func benchClient(b *testing.B, perSecond float64) (*cloud.Client, *sandbox.Server) {
	sb, hs := cloudtest.Start(b, sandbox.Config{AccessToken: "t"})
	tp := cloud.DefaultThroughput()
	tp.PerSecond = perSecond
	c, err := cloud.New(cloud.Options{
		Connector: "bench", Account: "1", MessagesURL: hs.URL + "/v24.0/1/messages",
		Header: http.Header{"Authorization": {"Bearer t"}}, Timeout: 10 * time.Second,
		Breaker: cloud.DefaultBreaker(), Throughput: tp,
	})
	if err != nil {
		b.Fatal(err)
	}
	return c, sb
}

func benchCommand(i int64) messaging.Command {
	return messaging.Command{
		Key: fmt.Sprintf("bench_%d", i), To: fmt.Sprintf("+62812%08d", i%100_000_000), Kind: messaging.KindTemplate,
		Template: &messaging.Template{Name: "points_earned", Language: "id", Body: messaging.Positional("Sari", "120")},
	}
}

// BenchmarkSendTemplate sends template messages, each to its own
// recipient, to the sandbox from parallel goroutines as the send stage
// does, with the number configured at the highest throughput WhatsApp
// grants (1,000/s): msgs/s near 1,000 means the limiter, not the client,
// bounds it.
func BenchmarkSendTemplate(b *testing.B) {
	c, sb := benchClient(b, cloud.MaxPerSecond)
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Send(context.Background(), benchCommand(n.Add(1))); err != nil {
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

// BenchmarkPacedSend sends from 64 goroutines for -pace.duration at
// -pace.rate and reports the achieved rate, its deviation from the
// configured one, and the most messages the sandbox accepted in any one
// second (by its receive times): in any sliding window of one second, and in
// any calendar second. The sender and the sandbox share the machine, so
// receive times carry their scheduling jitter: a window of one second at the
// receiver can hold messages the limiter let go up to that jitter apart. Run it with -benchtime 1x:
//
//	go test ./connectors/whatsapp/internal/cloud -run '^$' -bench PacedSend -benchtime 1x -pace.duration 60s
func BenchmarkPacedSend(b *testing.B) {
	for range b.N {
		c, sb := benchClient(b, *paceRate)
		ctx, cancel := context.WithTimeout(context.Background(), *paceDuration)
		var n atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					_, err := c.Send(ctx, benchCommand(n.Add(1)))
					switch {
					case err == nil:
					case ctx.Err() != nil || fault.CodeOf(err) == cloud.CodeRateLimit:
						return // the run's end: the next turn falls after it
					default:
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		cancel()
		elapsed := time.Since(start)
		msgs := sb.Messages()
		achieved := float64(len(msgs)) / elapsed.Seconds()
		// The most messages in any window of one second, sliding over the
		// receive times.
		most, lo := 0, 0
		for hi := range msgs {
			for msgs[hi].ReceivedAt.Sub(msgs[lo].ReceivedAt) >= time.Second {
				lo++
			}
			most = max(most, hi-lo+1)
		}
		// The most in one calendar second, as a per-second counter at
		// the BSP would see it.
		perSecond := map[int64]int{}
		mostCalendar := 0
		for _, m := range msgs {
			s := m.ReceivedAt.Unix()
			perSecond[s]++
			mostCalendar = max(mostCalendar, perSecond[s])
		}
		b.ReportMetric(achieved, "msgs/s")
		b.ReportMetric(float64(mostCalendar), "max_calendar_s")
		b.ReportMetric(100*(achieved-*paceRate) / *paceRate, "deviation_%")
		b.ReportMetric(float64(most), "max_in_1s")
	}
}
