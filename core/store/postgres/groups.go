package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

// groups hands the calls waiting at the same moment to a worker as one
// group: each of its workers takes a call, gathers those waiting behind it
// (up to a limit) and runs them together, so that they share round trips
// and a commit.
type groups[T any] struct {
	ops  chan T
	quit chan struct{}
	wg   sync.WaitGroup
}

// startGroups starts workers that run each group of up to limit calls,
// gathered for up to wait (store.Batching), with run, which must answer
// every call of it.
func startGroups[T any](workers, limit int, wait time.Duration, run func([]T)) *groups[T] {
	g := &groups[T]{ops: make(chan T), quit: make(chan struct{})}
	for range workers {
		g.wg.Go(func() {
			group := make([]T, 0, limit)
			for {
				select {
				case op := <-g.ops:
					group = append(group[:0], op)
				case <-g.quit:
					return
				}
				store.Gather(g.ops, &group, limit, wait)
				run(group)
				clear(group)
			}
		})
	}
	return g
}

// submit hands op to a worker. It fails with errClosed once the workers
// stopped, and with ctx.Err() when ctx is done first.
func (g *groups[T]) submit(ctx context.Context, op T) error {
	select {
	case g.ops <- op:
		return nil
	case <-g.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop ends the workers after their current group. Calls not yet taken
// fail with errClosed.
func (g *groups[T]) stop() {
	close(g.quit)
	g.wg.Wait()
}

// await returns the outcome sent on done, or ctx.Err() once ctx is done
// (the call may still be committed then).
func await[R any](ctx context.Context, done <-chan R) (R, error) {
	select {
	case r := <-done:
		return r, nil
	case <-ctx.Done():
		var zero R
		return zero, ctx.Err()
	}
}

// liveOps returns the calls of group whose context is not done, and answers
// the others with fail.
func liveOps[T any](group []T, ctx func(T) context.Context, fail func(T, error)) []T {
	out := group[:0:0]
	for _, op := range group {
		if err := ctx(op).Err(); err != nil {
			fail(op, err)
			continue
		}
		out = append(out, op)
	}
	return out
}
