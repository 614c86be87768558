package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkTakeTurn measures a recipient's pair turn: one statement a
// message. "one" is a single sender waiting on each round trip; "parallel"
// is the send stage's many workers at once, each message to another
// recipient, so that the rows do not wait on each other.
func BenchmarkTakeTurn(b *testing.B) {
	s := openRates(b)
	ctx := context.Background()
	run := rand.Uint64()
	b.Run("one", func(b *testing.B) {
		for i := range b.N {
			if _, _, err := s.TakeTurn(ctx, fmt.Sprintf("bench-%d-one-%d", run, i%10_000), 6*time.Second, 3, time.Second); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		var n atomic.Int64
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				key := fmt.Sprintf("bench-%d-parallel-%d", run, n.Add(1)%10_000)
				if _, _, err := s.TakeTurn(ctx, key, 6*time.Second, 3, time.Second); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
