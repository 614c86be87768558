package campaigns

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/store"
)

// BenchmarkPrepare measures preparing a broadcast into the outbox on a
// file SQLite store: members placed, rendered and written, a chunk per
// transaction. The audience is LOYALHUB_BENCH_MEMBERS members (default
// 100,000), read from memory, so that the figure is the preparation's
// alone; a segment's scan adds its own (see BenchmarkSegment1M).
func BenchmarkPrepare(b *testing.B) {
	n := members(b)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		r, tenant, st, _ := setup(b, audience{n: n}, config.Pricing{})
		r.Chunk = chunk()
		sp := spec()
		if _, err := r.Create(ctx, tenant, sp); err != nil {
			b.Fatal(err)
		}
		if _, err := r.Start(ctx, tenant, sp.Name); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := r.RunDue(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "members/s")
		b.StopTimer()
		c, err := st.Campaign(ctx, "acme", sp.Name)
		if err != nil || c.State != store.CampaignRunning || c.Audience != int64(n) {
			b.Fatalf("campaign %+v, %v: want running over %d members", c, err, n)
		}
	}
}

// members is LOYALHUB_BENCH_MEMBERS, default 100,000.
func members(b *testing.B) int {
	s := os.Getenv("LOYALHUB_BENCH_MEMBERS")
	if s == "" {
		return 100_000
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// chunk is LOYALHUB_BENCH_CHUNK, default DefaultChunk.
func chunk() int {
	if n, err := strconv.Atoi(os.Getenv("LOYALHUB_BENCH_CHUNK")); err == nil {
		return n
	}
	return DefaultChunk
}

// BenchmarkProgress measures reading a prepared broadcast's progress and
// the failure watch's look at it, over LOYALHUB_BENCH_MEMBERS members
// (default 100,000).
func BenchmarkProgress(b *testing.B) {
	n := members(b)
	ctx := context.Background()
	r, tenant, _, _ := setup(b, audience{n: n}, config.Pricing{})
	r.Chunk = chunk()
	sp := spec()
	if _, err := r.Create(ctx, tenant, sp); err != nil {
		b.Fatal(err)
	}
	if _, err := r.Start(ctx, tenant, sp.Name); err != nil {
		b.Fatal(err)
	}
	if err := r.RunDue(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("progress", func(b *testing.B) {
		for b.Loop() {
			p, err := r.Progress(ctx, tenant, sp.Name)
			if err != nil || p.Totals.Targeted == 0 {
				b.Fatalf("progress %+v, %v", p.Totals, err)
			}
		}
	})
	b.Run("watch", func(b *testing.B) {
		for b.Loop() {
			if err := r.watch(ctx, "acme"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
