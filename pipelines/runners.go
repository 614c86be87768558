package pipelines

import (
	"context"
	"errors"
	"sync"

	"github.com/loyalhub/loyalhub/connectors"
)

// runners owns the goroutines of the sources that produce deliveries
// themselves (connectors.Runner): started once the hub accepts deliveries,
// stopped before the queue closes.
type runners struct {
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// startRunners starts every connector that is a connectors.Runner. Each
// accepted delivery is durably enqueued like a webhook's before its accept
// returns.
func (h *Hub) startRunners(ctx context.Context) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	rs := &runners{stop: cancel}
	for _, t := range h.tenants {
		for _, c := range t.connectors {
			if c.runner == nil {
				continue
			}
			tenant, c := t.id, c
			accept := func(ctx context.Context, d connectors.Delivery, body []byte) error {
				if err := h.enqueue(ctx, tenant, c, body, d); err != nil {
					h.metrics.ConnectorRequests.WithLabelValues(tenant, c.name, "503").Inc()
					return err
				}
				h.metrics.ConnectorRequests.WithLabelValues(tenant, c.name, "200").Inc()
				return nil
			}
			rs.wg.Add(1)
			go func() {
				defer rs.wg.Done()
				logger := h.logger.With("tenant", tenant, "connector", c.name)
				logger.Info("source started")
				if err := c.runner.Run(ctx, accept); err != nil && !errors.Is(err, context.Canceled) {
					logger.Error("source stopped", "err", err)
				}
			}()
		}
	}
	h.runners = rs
}

// close stops the runners and waits for them, or for ctx.
func (rs *runners) close(ctx context.Context) error {
	rs.stop()
	done := make(chan struct{})
	go func() { rs.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("stopping sources: " + ctx.Err().Error())
	}
}
