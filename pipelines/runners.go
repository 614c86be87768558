package pipelines

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/loyalhub/loyalhub/connectors"
)

// workers owns goroutines that run until the hub stops: the sources that
// produce deliveries themselves, the write-back loops.
type workers struct {
	what string // for the error when they do not stop in time
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
}

func newWorkers(ctx context.Context, what string) *workers {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &workers{what: what, ctx: ctx, stop: cancel}
}

// run starts fn in a goroutine with the workers' context.
func (w *workers) run(fn func(ctx context.Context)) {
	w.wg.Go(func() { fn(w.ctx) })
}

// close stops the goroutines and waits for them, or for ctx.
func (w *workers) close(ctx context.Context) error {
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

// startRunners starts every connector that is a connectors.Runner, once
// the hub accepts deliveries; they stop before the queue closes. Each
// accepted delivery is durably enqueued like a webhook's before its accept
// returns.
func (h *Hub) startRunners(ctx context.Context) {
	w := newWorkers(ctx, "sources")
	for _, t := range h.tenants {
		for _, c := range t.Connectors {
			if c.Runner == nil {
				continue
			}
			tenant, c := t.ID, c
			accept := func(ctx context.Context, d connectors.Delivery, body []byte) error {
				if err := h.enqueue(ctx, tenant, c, body, d); err != nil {
					h.metrics.ConnectorRequests.WithLabelValues(tenant, c.Name, "503").Inc()
					return err
				}
				h.metrics.ConnectorRequests.WithLabelValues(tenant, c.Name, "200").Inc()
				return nil
			}
			w.run(func(ctx context.Context) {
				logger := h.logger.With("tenant", tenant, "connector", c.Name)
				logger.Info("source started")
				if err := c.Runner.Run(ctx, accept); err != nil && !errors.Is(err, context.Canceled) {
					logger.Error("source stopped", "err", err)
				}
			})
		}
	}
	h.runners = w
}
