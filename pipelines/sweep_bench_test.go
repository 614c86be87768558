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
	s, prog := sweepStore(b, "bench")

	var swept int
	var elapsed time.Duration
	for i := range b.N {
		b.StopTimer()
		tenant := fmt.Sprintf("bench%d", i)
		seed(b, s, prog, tenant, *sweepLots, seededAt)
		b.StartTimer()
		start := time.Now()
		r := pipelines.SweepTenant(ctx, pipelines.SweepOptions{Store: s, Tenant: tenant, Program: prog},
			seededAt.Add(72*time.Hour))
		elapsed += time.Since(start)
		if r.Swept != *sweepLots || r.Failed != 0 {
			b.Fatalf("swept %d of %d, %d failed", r.Swept, *sweepLots, r.Failed)
		}
		swept += r.Swept
	}
	b.ReportMetric(float64(swept)/elapsed.Seconds(), "lots/s")
	b.ReportMetric(1e6/(float64(swept)/elapsed.Seconds()), "s/1M-lots")
}

// seededAt is when the lots of seed are earned; under sweepStore's program they
// expire a day later.
var seededAt = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// sweepStore opens an SQLite store and compiles the tenant's program, whose
// points expire a day after they are earned.
func sweepStore(tb testing.TB, tenant string) (*sqlite.Store, *loyalty.Program) {
	s := sqlite.New(filepath.Join(tb.TempDir(), "loyalhub.db"))
	require.NoError(tb, s.Migrate(context.Background()))
	tb.Cleanup(func() { _ = s.Close() })
	prog, err := loyalty.Compile(tenant, config.Loyalty{
		Combine: config.CombineStack, Expiry: config.Expiry{Policy: config.ExpiryAfterDays, Days: 1},
		Refunds: config.Refunds{WaitForOrder: time.Minute},
	}, time.UTC)
	require.NoError(tb, err)
	return s, prog
}

// seed gives n members one lot each, earned at at.
func seed(b testing.TB, s store.Store, prog *loyalty.Program, tenant string, n int, at time.Time) {
	ctx := context.Background()
	var wg sync.WaitGroup
	work := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range work {
				eventID := fmt.Sprintf("seed-%d", i)
				_, err := s.Transact(ctx, tenant, eventID, store.AccountRef{Phone: fmt.Sprintf("+62813%08d", i), Create: true}, at,
					func(a *loyalty.Account) error { return prog.Adjust(a, eventID, 10, "seed", at) })
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
