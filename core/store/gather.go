package store

import "runtime"

// Gather adds what waits on ch to batch, up to limit in all. Whenever
// something arrived it yields the processor and looks again, at most rounds
// times, so that goroutines about to send join this batch instead of the
// next one: the adapters commit such a batch once (group commit).
func Gather[T any](ch <-chan T, batch *[]T, limit, rounds int) {
	for range rounds {
		before := len(*batch)
	drain:
		for len(*batch) < limit {
			select {
			case v := <-ch:
				*batch = append(*batch, v)
			default:
				break drain
			}
		}
		if len(*batch) == before || len(*batch) >= limit {
			return
		}
		runtime.Gosched()
	}
}
