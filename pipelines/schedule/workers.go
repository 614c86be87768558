package schedule

import (
	"context"
	"fmt"
	"sync"
)

// Workers owns goroutines that run until the hub stops them: the sources
// that produce deliveries themselves, the write-back loops, the sender.
type Workers struct {
	what string // for the error when they do not stop in time
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// NewWorkers returns an empty set of workers, named what in errors, whose
// context outlives ctx's cancellation: only Close stops them.
func NewWorkers(ctx context.Context, what string) *Workers {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &Workers{what: what, ctx: ctx, stop: cancel}
}

// Go starts fn in a goroutine with the workers' context.
func (w *Workers) Go(fn func(ctx context.Context)) {
	w.wg.Go(func() { fn(w.ctx) })
}

// Close stops the goroutines and waits for them, or for ctx.
func (w *Workers) Close(ctx context.Context) error {
	w.stop()
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping %s: %w", w.what, ctx.Err())
	}
}
