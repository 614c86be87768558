package storetest

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

// BenchTransact measures one sale through the loyalty program (member
// lookup, an earn entry and its lot, the order and the processed event),
// each sale a new order of one of a thousand members, with as many sales in
// flight as each sub-benchmark says: 16 (the process stage with its default
// queue.subscribers), then batches of 64 and 256 sales, which the store
// commits together (store.Batching). s must be migrated.
func BenchTransact(b *testing.B, s store.Store) {
	for _, inFlight := range []int{16, 64, 256} {
		b.Run(fmt.Sprintf("in_flight=%d", inFlight), func(b *testing.B) {
			benchTransact(b, s, inFlight)
		})
	}
}

func benchTransact(b *testing.B, s store.Store, inFlight int) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(b, tenant, 0, 0, false)
	var seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(max(1, inFlight/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			id := fmt.Sprintf("B-%d", n)
			phone := fmt.Sprintf("+628120001%04d", n%1000)
			if _, err := apply(ctx, s, p, orderEvent(tenant, id, phone, "257500.00", at(int(n))),
				store.AccountRef{Phone: phone, OrderID: id, Create: true}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sales/s")
}

// BenchClaimAndMarkSent measures claiming a new message and recording its
// acceptance, with as many messages in flight as each sub-benchmark says:
// one per processor, then 64 (the send stage with its default
// pipeline.send.concurrency), whose claims and marks arrive together and
// which a store may commit together. s must be migrated.
func BenchClaimAndMarkSent(b *testing.B, s store.Store) {
	for _, inFlight := range []int{runtime.GOMAXPROCS(0), 64} {
		b.Run(fmt.Sprintf("in_flight=%d", inFlight), func(b *testing.B) {
			benchClaimAndMarkSent(b, s, inFlight)
		})
	}
}

func benchClaimAndMarkSent(b *testing.B, s store.Store, inFlight int) {
	ctx := context.Background()
	tenant := newTenant()
	var seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(max(1, inFlight/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprintf("msg_%s_%d", tenant, seq.Add(1))
			m := newMessage(tenant, key, 0, 0)
			if _, claimed, err := s.ClaimMessage(ctx, m); err != nil || !claimed {
				b.Errorf("claiming: claimed=%v err=%v", claimed, err)
				return
			}
			if err := s.MarkSent(ctx, key, "wamid."+key, at(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchTransactShop is BenchTransact for a web shop's sales: each names
// its customer by customer id and email, and every other one has no
// phone, as a shop's customers often have none.
func BenchTransactShop(b *testing.B, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(b, tenant, 0, 0, false)
	var seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16 / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			c := n % 1000
			phone := ""
			if c%2 == 0 {
				phone = fmt.Sprintf("+628120002%04d", c)
			}
			ev, ref := shopOrder(tenant, fmt.Sprintf("B-%d", n), phone, fmt.Sprint(c), fmt.Sprintf("c%d@example.com", c),
				"257500.00", at(int(n)))
			if _, err := apply(ctx, s, p, ev, ref); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// CPUTime is the user and system CPU time the process has used: with the
// store's own goroutines, not a database server's. Benchmarks on a shared
// machine compare it per operation, which the wait for the cores does not
// change.
func CPUTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
