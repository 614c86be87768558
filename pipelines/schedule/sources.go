package schedule

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// Sources runs the connectors that produce deliveries themselves
// (connectors.Runner, such as a folder of CSV drops): each accepted
// delivery is durably enqueued like a webhook's before its accept returns.
type Sources struct {
	Tenants *runtime.Tenants
	// Enqueue durably enqueues a delivery of tenant's connector c.
	Enqueue func(ctx context.Context, tenant string, c *runtime.Connector, body []byte, d connectors.Delivery) error
	// Requests counts the deliveries accepted (200) and refused (503), as
	// webhooks are counted (loyalhub_connector_requests_total): tenant,
	// connector, code.
	Requests *prometheus.CounterVec
	// Now is the hub's clock, for the connectors' Deliveries; nil is the
	// machine's.
	Now    func() time.Time
	Logger *slog.Logger
}

func (s *Sources) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Start starts every connector that is a connectors.Runner, once the hub
// accepts deliveries; they stop, when the workers it returns close, before
// the queue closes.
func (s *Sources) Start(ctx context.Context) *Workers {
	w := NewWorkers(ctx, "sources")
	s.Update(w)
	return w
}

// Update brings the runners w runs in line with the current tenants, after
// a reload: it starts the connectors that are new and stops those no longer
// there. A connector the reload carried over keeps running.
func (s *Sources) Update(w *Workers) {
	perConnector(w, s.Tenants.Current(), func(c *runtime.Connector) bool { return c.Runner != nil },
		func(ctx context.Context, t *runtime.Tenant, c *runtime.Connector) {
			tenant := t.ID
			accept := func(ctx context.Context, d connectors.Delivery, body []byte) error {
				if err := s.Enqueue(ctx, tenant, c, body, d); err != nil {
					s.Requests.WithLabelValues(tenant, c.Name, "503").Inc()
					c.Deliveries.Failed(s.now(), "enqueueing: "+err.Error())
					return err
				}
				s.Requests.WithLabelValues(tenant, c.Name, "200").Inc()
				c.Deliveries.Succeeded(s.now())
				return nil
			}
			logger := s.Logger.With("tenant", tenant, "connector", c.Name)
			logger.Info("source started")
			if err := c.Runner.Run(ctx, accept); err != nil && !errors.Is(err, context.Canceled) {
				logger.Error("source stopped", "err", err)
			}
		})
}
