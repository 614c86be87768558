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
	n := benchMembers(b, 2_000)
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

// BenchmarkWake measures the statement every poll runs to wake members
// waiting at a wait_for step, on a file SQLite store where
// LOYALHUB_BENCH_MEMBERS members (default 10,000) wait for a reply, each
// with a message from before the wait, and none has replied since: the
// usual case, in which it wakes nobody.
func BenchmarkWake(b *testing.B) {
	n := benchMembers(b, 10_000)
	ctx := context.Background()
	f := setup(b)
	entries := make([]store.JourneyEntry, 0, n)
	for k := range n {
		phone := fmt.Sprintf("+62813%08d", k)
		res, err := f.st.Transact(ctx, "acme", fmt.Sprintf("ev_%d", k), store.AccountRef{Phone: phone, Create: true},
			t0, func(*loyalty.Account) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := f.st.RecordInbound(ctx, store.InboundMessage{Tenant: "acme", ProviderMessageID: fmt.Sprintf("wamid.%d", k),
			Contact: store.ContactRef{Phone: phone}, Type: "text", Text: "hi", At: t0.Add(-time.Hour)}); err != nil {
			b.Fatal(err)
		}
		entries = append(entries, store.JourneyEntry{Journey: "welcome", MemberID: res.Member.ID,
			EntryID: fmt.Sprintf("jen_%d", k), ReEntry: config.ReEntryNever, At: t0})
	}
	if err := f.st.EnterJourneys(ctx, "acme", nil, entries); err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		deadline := t0.Add(48 * time.Hour)
		if _, err := f.st.UpdateJourneyState(ctx, store.JourneyState{Tenant: "acme", Journey: "welcome", MemberID: e.MemberID,
			EntryID: e.EntryID, Step: 1, Status: store.JourneyActive, DueAt: deadline,
			WaitFor: store.JourneyWaitReply, WaitSince: t0, WaitDeadline: deadline}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		woken, err := f.st.WakeJourneyStates(ctx, t0.Add(time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		if woken != 0 {
			b.Fatalf("woke %d", woken)
		}
	}
	b.ReportMetric(float64(n), "waiting")
}

// benchMembers is how many members a benchmark runs on:
// LOYALHUB_BENCH_MEMBERS, or def.
func benchMembers(b *testing.B, def int) int {
	s := os.Getenv("LOYALHUB_BENCH_MEMBERS")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		b.Fatal(err)
	}
	return n
}
