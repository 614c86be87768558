package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

// batches runs n writes on a writer set up with b, the first of them
// holding the writer until every other write waits for it unless spaced
// (then each comes that long after the one before), and returns the number
// of writes each transaction ran.
func batches(t *testing.T, b store.Batching, n int, spaced time.Duration) []int {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	w := startWriter(db, b)
	t.Cleanup(func() { _ = w.stop() })

	var (
		mu    sync.Mutex
		order []*wtx
		sizes = map[*wtx]int{}
	)
	record := func(tx *wtx) {
		mu.Lock()
		defer mu.Unlock()
		if sizes[tx] == 0 {
			order = append(order, tx)
		}
		sizes[tx]++
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	if spaced == 0 {
		hold := make(chan struct{})
		started := make(chan struct{})
		wg.Go(func() {
			_ = w.do(ctx, func(_ context.Context, tx *wtx) error {
				close(started)
				<-hold
				record(tx)
				return nil
			})
		})
		<-started
		for range n - 1 {
			wg.Go(func() {
				_ = w.do(ctx, func(_ context.Context, tx *wtx) error { record(tx); return nil })
			})
		}
		// Every write is waiting once the writer's channel has had time
		// to take their sends: wait until none can be sent any more.
		time.Sleep(100 * time.Millisecond)
		close(hold)
	} else {
		for range n {
			wg.Go(func() {
				_ = w.do(ctx, func(_ context.Context, tx *wtx) error { record(tx); return nil })
			})
			time.Sleep(spaced)
		}
	}
	wg.Wait()
	out := make([]int, 0, len(order))
	for _, tx := range order {
		out = append(out, sizes[tx])
	}
	return out
}

func TestWriterBatchSize(t *testing.T) {
	got := batches(t, store.Batching{Size: 3}, 10, 0)
	total, largest := 0, 0
	for _, n := range got {
		total += n
		largest = max(largest, n)
	}
	if total != 10 {
		t.Fatalf("ran %d writes, want 10 (%v)", total, got)
	}
	if largest != 3 {
		t.Fatalf("largest transaction ran %d writes, want the size 3 (%v)", largest, got)
	}
}

func TestWriterBatchWait(t *testing.T) {
	got := batches(t, store.Batching{Size: 4, Wait: 10 * time.Second}, 4, 20*time.Millisecond)
	if len(got) != 1 || got[0] != 4 {
		t.Fatalf("transactions ran %v writes, want one of 4: a transaction waits for more up to the wait", got)
	}
	got = batches(t, store.Batching{Size: 4}, 3, 20*time.Millisecond)
	if len(got) != 3 {
		t.Fatalf("transactions ran %v writes, want three of one: without a wait nothing waits for writes 20ms away", got)
	}
}
