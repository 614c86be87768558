package schedule

import (
	"context"
	"fmt"
	"sync"

	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// Workers owns goroutines that run until the hub stops them: the sources
// that produce deliveries themselves, the write-back loops, the sender.
// Those started with GoFor can also be stopped one at a time, when a reload
// of the configuration removes what they run for.
type Workers struct {
	what string // for the error when they do not stop in time
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu    sync.Mutex
	byKey map[any]context.CancelFunc
}

// NewWorkers returns an empty set of workers, named what in errors, whose
// context outlives ctx's cancellation: only Close stops them.
func NewWorkers(ctx context.Context, what string) *Workers {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &Workers{what: what, ctx: ctx, stop: cancel, byKey: map[any]context.CancelFunc{}}
}

// Go starts fn in a goroutine with the workers' context.
func (w *Workers) Go(fn func(ctx context.Context)) {
	w.wg.Go(func() { fn(w.ctx) })
}

// GoFor starts fn for key, unless one runs for key already, with a context
// that Retain or Close cancels. It reports whether it started fn.
func (w *Workers) GoFor(key any, fn func(ctx context.Context)) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, running := w.byKey[key]; running {
		return false
	}
	ctx, cancel := context.WithCancel(w.ctx)
	w.byKey[key] = cancel
	w.wg.Go(func() { fn(ctx) })
	return true
}

// Retain stops the goroutines started with GoFor whose key keep refuses,
// without waiting for them: Close does.
func (w *Workers) Retain(keep func(key any) bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for key, cancel := range w.byKey {
		if !keep(key) {
			cancel()
			delete(w.byKey, key)
		}
	}
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

// perConnector brings w in line with the connectors of tenants that need a
// goroutine (need): it starts run for each that has none, and stops those
// of connectors no longer there.
func perConnector(w *Workers, tenants runtime.Snapshot, need func(*runtime.Connector) bool,
	run func(ctx context.Context, t *runtime.Tenant, c *runtime.Connector)) {
	wanted := map[any]bool{}
	for _, t := range tenants {
		for _, c := range t.Connectors {
			if need(c) {
				wanted[c] = true
				w.GoFor(c, func(ctx context.Context) { run(ctx, t, c) })
			}
		}
	}
	w.Retain(func(key any) bool { return wanted[key] })
}
