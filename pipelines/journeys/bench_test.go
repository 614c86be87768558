package journeys

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/ledger"
)

// BenchmarkRunDue measures advancing due journey states on a file SQLite
// store: each member read, their first step's message rendered and
// written to the outbox, their award handed to a stand-in, and their
// state written, one member at a time. LOYALHUB_BENCH_MEMBERS members
// (default 2,000) are due at once.
func BenchmarkRunDue(b *testing.B) {
	n := 2_000
	if s := os.Getenv("LOYALHUB_BENCH_MEMBERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := setup(b)
		f.r.Enqueue = ledger.New(ledger.Deps{Store: f.st, Now: func() time.Time { return f.now }, Wake: func() {}}).Enqueue
		entries := make([]store.JourneyEntry, 0, n)
		for k := range n {
			res, err := f.st.Transact(ctx, "acme", fmt.Sprintf("ev_%d", k),
				store.AccountRef{Phone: fmt.Sprintf("+62813%08d", k), Name: "Member", Create: true},
				t0, func(*loyalty.Account) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
			entries = append(entries, store.JourneyEntry{Journey: "welcome", MemberID: res.Member.ID,
				EntryID: fmt.Sprintf("jen_%d", k), ReEntry: config.ReEntryNever, At: t0})
		}
		if err := f.st.EnterJourneys(ctx, "acme", nil, entries); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		done, err := f.r.RunDue(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(done)/time.Since(start).Seconds(), "states/s")
		b.StopTimer()
		if done != n {
			b.Fatalf("advanced %d states, want %d", done, n)
		}
	}
}
