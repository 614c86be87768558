package store

import (
	"runtime"
	"time"
)

// Batching is how the stores commit concurrent writes together (group
// commit): the operations waiting at the same moment run in one store
// transaction, each isolated so that one failing does not fail the others.
type Batching struct {
	// Size caps the operations of one transaction; zero or less is the
	// store's default (see SizeOr).
	Size int
	// Wait is how long a transaction that has fewer than Size operations
	// waits for more to join before it runs. Zero waits only for the
	// goroutines already about to join (they are given the processor a
	// few times), which adds no latency when the hub is idle.
	Wait time.Duration
}

// SizeOr is the batch size b sets, or def when it sets none.
func (b Batching) SizeOr(def int) int {
	if b.Size <= 0 {
		return def
	}
	return b.Size
}

// gatherRounds bounds how often Gather yields the processor for late
// joiners.
const gatherRounds = 4

// Gather adds what waits on ch to batch, up to limit in all. Whenever
// something arrived it yields the processor and looks again, a few times,
// so that goroutines about to send join this batch instead of the next
// one: the adapters commit such a batch once (group commit). With wait
// set (Batching.Wait), it then waits up to wait for more.
func Gather[T any](ch <-chan T, batch *[]T, limit int, wait time.Duration) {
	var deadline <-chan time.Time
	if wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		deadline = timer.C
	}
	for range gatherRounds {
		before := len(*batch)
		drain(ch, batch, limit)
		if len(*batch) == before || len(*batch) >= limit {
			break
		}
		runtime.Gosched()
	}
	for deadline != nil && len(*batch) < limit {
		select {
		case v := <-ch:
			*batch = append(*batch, v)
			drain(ch, batch, limit)
		case <-deadline:
			return
		}
	}
}

// drain adds what waits on ch now to batch, up to limit in all.
func drain[T any](ch <-chan T, batch *[]T, limit int) {
	for len(*batch) < limit {
		select {
		case v := <-ch:
			*batch = append(*batch, v)
		default:
			return
		}
	}
}
