package pipelines

import (
	"context"

	"github.com/loyalhub/loyalhub/pipelines/webhooks"
)

// newWebhooks is the webhook runner on the hub's store, tenants and clock.
func (h *Hub) newWebhooks() *webhooks.Runner {
	return &webhooks.Runner{
		Store: h.store, Tenants: h.tenants, Now: h.now, Logger: h.logger.With("part", "webhooks"),
		Deliveries: h.metrics.WebhookDeliveries, Latency: h.metrics.WebhookSeconds,
	}
}

// Webhooks returns the hub's webhook runner, once started.
func (h *Hub) Webhooks() *webhooks.Runner { return h.webhooks }

// startWebhooks runs the webhook runner until Close.
func (h *Hub) startWebhooks(ctx context.Context) { h.stopWebhooks = startLoop(ctx, h.webhooks.Run) }
