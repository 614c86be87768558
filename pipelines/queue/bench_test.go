package queue

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
)

// benchPublishers matches an HTTP front end with 64 requests in flight on
// two cores: 32 goroutines per GOMAXPROCS.
const benchPublishers = 32

// benchPayload returns a unique JSON body of about 700 bytes.
func benchPayload(n uint64) []byte {
	return fmt.Appendf(nil, `{"id":"ord_%020d","tenant":"acme","connector":"shop","customer":{"phone":"+6281234567890",`+
		`"email":"customer@example.com","name":"Customer Name"},"total":"125000.00","currency":"IDR","items":[%s],"note":"%0400d"}`,
		n, `{"sku":"SKU-1","qty":2,"price":"50000.00"},{"sku":"SKU-2","qty":1,"price":"25000.00"}`, 0)
}

func benchPublish(b *testing.B, q *Queue, topic string) {
	var seq atomic.Uint64
	b.SetBytes(int64(len(benchPayload(0))))
	b.SetParallelism(benchPublishers)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m := message.NewMessage(watermill.NewUUID(), benchPayload(seq.Add(1)))
			m.Metadata.Set("tenant", "acme")
			if err := q.Publisher().Publish(topic, m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// drain acks everything a group receives and counts it.
func drain(b *testing.B, q *Queue, group, topic string) *atomic.Int64 {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	sub, err := q.Subscriber(group)
	require.NoError(b, err)
	ch, err := sub.Subscribe(ctx, topic)
	require.NoError(b, err)
	var n atomic.Int64
	go func() {
		for m := range ch {
			m.Ack()
			n.Add(1)
		}
	}()
	return &n
}

func BenchmarkPublish(b *testing.B) {
	backends := []struct {
		name    string
		harness func(b *testing.B) harness
	}{
		{config.BackendMemory, func(*testing.B) harness { return memoryHarness() }},
		{config.BackendEmbedded, func(*testing.B) harness { return embeddedHarness() }},
		{config.BackendNATS, func(b *testing.B) harness { return natsHarness(b) }},
		{config.BackendPostgres, func(b *testing.B) harness { return postgresHarness(b) }},
	}
	for _, bk := range backends {
		b.Run(bk.name, func(b *testing.B) {
			q := bk.harness(b).newEnv(b)(b, []string{"inbound"})
			if q.Backend() == config.BackendMemory {
				// Memory's Publish waits for a subscriber's ack.
				drain(b, q, "mapping", "inbound")
			}
			b.Run("700B", func(b *testing.B) { benchPublish(b, q, "inbound") })
		})
	}
}

// BenchmarkPublishConsume publishes like BenchmarkPublish while one
// consumer group with the default subscribers acks every message; it ends
// when everything published has been consumed.
func BenchmarkPublishConsume(b *testing.B) {
	b.Run(config.BackendEmbedded, func(b *testing.B) {
		q := openWith(b, config.Queue{Backend: config.BackendEmbedded}, b.TempDir(), []string{"inbound"})
		consumed := drain(b, q, "mapping", "inbound")
		start := time.Now()
		benchPublish(b, q, "inbound")
		deadline := time.Now().Add(time.Minute)
		for consumed.Load() < int64(b.N) {
			if time.Now().After(deadline) {
				b.Fatalf("consumed %d of %d within a minute", consumed.Load(), b.N)
			}
			time.Sleep(time.Millisecond)
		}
		b.ReportMetric(float64(consumed.Load())/time.Since(start).Seconds(), "consumed/s")
	})
}
