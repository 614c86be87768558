package sqlite_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store/sqlite"
)

var lookupMembers = flag.Int("lookup.members", 100_000, "members in the database of BenchmarkMemberByPhone")

// BenchmarkMemberByPhone measures looking a member up by phone in a
// database of -lookup.members members (seeded with plain inserts, not
// timed), one lookup at a time and 16 at once, and reports the 99th
// percentile of each.
func BenchmarkMemberByPhone(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "loyalhub.db")
	s := sqlite.New(path)
	require.NoError(b, s.Migrate(ctx))
	require.NoError(b, s.Close())
	seedMembers(b, path, *lookupMembers)
	s = sqlite.New(path)
	require.NoError(b, s.Open(ctx))
	b.Cleanup(func() { _ = s.Close() })
	for _, goroutines := range []int{1, 16} {
		b.Run(fmt.Sprintf("goroutines=%d", goroutines), func(b *testing.B) {
			lookups(b, s, goroutines)
		})
	}
}

func lookups(b *testing.B, s *sqlite.Store, goroutines int) {
	ctx := context.Background()
	lat := make(chan time.Duration, 1<<20)
	b.SetParallelism(max(goroutines/runtime.GOMAXPROCS(0), 1))
	if goroutines == 1 {
		// RunParallel runs at least GOMAXPROCS goroutines.
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i += 7919
			phone := fmt.Sprintf("+62814%08d", i%*lookupMembers)
			start := time.Now()
			if _, err := s.MemberByPhone(ctx, "t", phone); err != nil {
				b.Error(err)
				return
			}
			select {
			case lat <- time.Since(start):
			default:
			}
		}
	})
	b.StopTimer()
	close(lat)
	var all []time.Duration
	for d := range lat {
		all = append(all, d)
	}
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	}
}

// seedMembers inserts n members of tenant "t" straight into the database.
func seedMembers(b *testing.B, path string, n int) {
	db, err := sql.Open("sqlite", path+"?_journal_mode=WAL&_synchronous=OFF")
	require.NoError(b, err)
	defer db.Close()
	tx, err := db.Begin()
	require.NoError(b, err)
	now := time.Now().UnixMicro()
	const batch = 500
	for i := 0; i < n; i += batch {
		var q strings.Builder
		q.WriteString("INSERT INTO members (id, tenant, phone, name, balance, created_at, updated_at) VALUES ")
		var args []any
		for j := i; j < min(i+batch, n); j++ {
			if j > i {
				q.WriteString(", ")
			}
			q.WriteString("(?, 't', ?, 'Member', ?, ?, ?)")
			args = append(args, fmt.Sprintf("mem_%08d", j), fmt.Sprintf("+62814%08d", j), j%1000, now, now)
		}
		_, err := tx.Exec(q.String(), args...)
		require.NoError(b, err)
	}
	require.NoError(b, tx.Commit())
}
