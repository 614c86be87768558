package schedule_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/postgres"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/core/store/storetest"
	"github.com/loyalhub/loyalhub/pipelines/schedule"
)

var (
	sweepLots    = flag.Int("sweep.lots", 20_000, "lots that fall due in BenchmarkSweepExpiry")
	sweepProfile = flag.String("sweep.cpuprofile", "", "write a CPU profile of BenchmarkSweepExpiry's sweeps alone (not the seeding) to this file")
)

// BenchmarkSweepExpiry measures the expiry sweep on each store: one member
// per due lot, a batch of members per transaction (the default
// pipeline.scheduler.batch). Each iteration seeds -sweep.lots lots (not
// timed) and sweeps them; the figure to compare is s/1M-lots.
func BenchmarkSweepExpiry(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		s, prog := sweepStore(b, "bench")
		benchSweep(b, s, prog)
	})
	b.Run("postgres", func(b *testing.B) {
		s := postgres.New(storetest.FreshPostgres(b), 8)
		require.NoError(b, s.Migrate(context.Background()))
		b.Cleanup(func() { _ = s.Close() })
		benchSweep(b, s, sweepProgram(b, "bench"))
	})
}

func benchSweep(b *testing.B, s store.Store, prog *loyalty.Program) {
	ctx := context.Background()
	var swept int
	var elapsed, cpu time.Duration
	for i := range b.N {
		b.StopTimer()
		tenant := fmt.Sprintf("bench%d", i)
		seed(b, s, prog, tenant, *sweepLots, seededAt)
		stopProfile := profileSweep(b)
		b.StartTimer()
		start, startCPU := time.Now(), storetest.CPUTime(b)
		r := schedule.SweepTenant(ctx, schedule.SweepOptions{Store: s, Tenant: tenant, Program: prog},
			seededAt.Add(72*time.Hour))
		elapsed, cpu = elapsed+time.Since(start), cpu+storetest.CPUTime(b)-startCPU
		b.StopTimer()
		stopProfile()
		b.StartTimer()
		if r.Swept != *sweepLots || r.Failed != 0 {
			b.Fatalf("swept %d of %d, %d failed", r.Swept, *sweepLots, r.Failed)
		}
		swept += r.Swept
	}
	b.ReportMetric(float64(swept)/elapsed.Seconds(), "lots/s")
	b.ReportMetric(1e6/(float64(swept)/elapsed.Seconds()), "s/1M-lots")
	// The machine is shared: the process's CPU time per lot (with the
	// store's own goroutines, not PostgreSQL's server) compares runs that
	// waited for the cores differently.
	b.ReportMetric(float64(cpu.Microseconds())/float64(swept), "cpu-µs/lot")
}

// profileSweep starts the CPU profile of -sweep.cpuprofile, when asked
// for, and returns what stops it. The profile holds the last sweep run.
func profileSweep(b *testing.B) (stop func()) {
	if *sweepProfile == "" {
		return func() {}
	}
	f, err := os.Create(*sweepProfile)
	require.NoError(b, err)
	require.NoError(b, pprof.StartCPUProfile(f))
	return func() {
		pprof.StopCPUProfile()
		require.NoError(b, f.Close())
	}
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
	return s, sweepProgram(tb, tenant)
}

// sweepProgram compiles the tenant's program, whose points expire a day
// after they are earned.
func sweepProgram(tb testing.TB, tenant string) *loyalty.Program {
	prog, err := loyalty.Compile(tenant, config.Loyalty{
		Combine: config.CombineStack, Expiry: config.Expiry{Policy: config.ExpiryAfterDays, Days: 1},
		Refunds: config.Refunds{WaitForOrder: time.Minute},
	}, time.UTC)
	require.NoError(tb, err)
	return prog
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
