package pipelines_test

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/pipelines"
)

var sweepLots = flag.Int("sweep.lots", 20_000, "lots that fall due in BenchmarkSweepExpiry")

// BenchmarkSweepExpiry measures the expiry sweep on the SQLite store: one
// member per due lot, each expired in a transaction of its own, 16 at a
// time. Each iteration seeds -sweep.lots lots (not timed) and sweeps them.
func BenchmarkSweepExpiry(b *testing.B) {
	ctx := context.Background()
	s := sqlite.New(filepath.Join(b.TempDir(), "loyalhub.db"))
	require.NoError(b, s.Migrate(ctx))
	b.Cleanup(func() { _ = s.Close() })
	prog, err := loyalty.Compile("bench", config.Loyalty{
		Combine: config.CombineStack, Expiry: config.Expiry{Policy: config.ExpiryAfterDays, Days: 1},
		Refunds: config.Refunds{WaitForOrder: time.Minute},
	}, time.UTC)
	require.NoError(b, err)
	earned := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

	var swept int
	var elapsed time.Duration
	for i := range b.N {
		b.StopTimer()
		tenant := fmt.Sprintf("bench%d", i)
		seed(b, s, prog, tenant, *sweepLots, earned)
		b.StartTimer()
		start := time.Now()
		r := pipelines.SweepTenant(ctx, pipelines.SweepOptions{Store: s, Tenant: tenant, Program: prog, Concurrency: 16},
			earned.Add(72*time.Hour))
		elapsed += time.Since(start)
		if r.Swept != *sweepLots || r.Failed != 0 {
			b.Fatalf("swept %d of %d, %d failed", r.Swept, *sweepLots, r.Failed)
		}
		swept += r.Swept
	}
	b.ReportMetric(float64(swept)/elapsed.Seconds(), "lots/s")
	b.ReportMetric(1e6/(float64(swept)/elapsed.Seconds()), "s/1M-lots")
}

// seed gives n members one lot each, earned at earned.
func seed(b testing.TB, s store.Store, prog *loyalty.Program, tenant string, n int, earned time.Time) {
	ctx := context.Background()
	var wg sync.WaitGroup
	work := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range work {
				eventID := fmt.Sprintf("seed-%d", i)
				_, err := s.Transact(ctx, tenant, eventID, store.AccountRef{Phone: fmt.Sprintf("+62813%08d", i), Create: true}, earned,
					func(a *loyalty.Account) error { return prog.Adjust(a, eventID, 10, "seed", earned) })
				if err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}
