package pipelines

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// hasSyncers reports whether any tenant has a connector that takes
// members' state back (connectors.MemberSyncer).
func (h *Hub) hasSyncers() bool {
	for _, t := range h.tenants {
		for _, c := range t.Connectors {
			if c.Syncer != nil {
				return true
			}
		}
	}
	return false
}

// startSyncer starts a write-back loop, every pipeline.sync.interval,
// for each write-back connector.
func (h *Hub) startSyncer(ctx context.Context) {
	w := newWorkers(ctx, "write-back")
	for _, t := range h.tenants {
		for _, c := range t.Connectors {
			if c.Syncer != nil {
				t, c := t, c
				w.run(func(ctx context.Context) { h.syncLoop(ctx, t, c) })
			}
		}
	}
	h.syncer = w
}

func (h *Hub) syncLoop(ctx context.Context, t *runtime.Tenant, c *runtime.Connector) {
	interval := h.cfg.Pipeline.Sync.Interval
	wait := interval
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		err := h.SyncOnce(ctx, t.ID, c.Name)
		wait = interval
		if err != nil && ctx.Err() == nil {
			if after := fault.RetryAfter(err); after > wait {
				wait = after
			}
			h.logger.Warn("writing members back failed; retrying", "tenant", t.ID, "connector", c.Name, "in", wait, "err", err)
		}
	}
}

// SyncOnce writes every member queued for the tenant's connector back, in
// batches of connectors.MaxSyncBatch, with their current state. A batch
// that fails stays queued for the next run.
func (h *Hub) SyncOnce(ctx context.Context, tenant, connector string) error {
	c, ok := h.tenants.Connector(tenant, connector)
	if !ok || c.Syncer == nil {
		return fmt.Errorf("tenant %q has no write-back connector %q", tenant, connector)
	}
	for {
		items, err := h.store.PendingSync(ctx, tenant, connector, connectors.MaxSyncBatch)
		if err != nil {
			return fmt.Errorf("reading the write-back queue: %w", err)
		}
		if len(items) == 0 {
			return nil
		}
		states := make([]connectors.MemberState, 0, len(items))
		for _, it := range items {
			m, err := h.store.Member(ctx, tenant, it.MemberID)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("reading member %s: %w", it.MemberID, err)
			}
			states = append(states, connectors.MemberState{
				ID: m.ID, Phone: m.Phone, Email: m.Email, Name: m.Name,
				Balance: m.Balance, Pending: m.Pending, Tier: m.Tier.Name,
			})
		}
		if len(states) > 0 {
			if err := c.Syncer.SyncMembers(ctx, states); err != nil {
				h.metrics.MembersSynced.WithLabelValues(tenant, connector, "failed").Add(float64(len(states)))
				if fault.IsPermanent(err) {
					// Retrying the same batch cannot help; it is dropped
					// with the reason, and the next change queues a member
					// again.
					h.logger.Error("writing members back refused", "tenant", tenant, "connector", connector,
						"members", len(states), "err", err)
				} else {
					return fmt.Errorf("writing %d members back: %w", len(states), err)
				}
			} else {
				h.metrics.MembersSynced.WithLabelValues(tenant, connector, "ok").Add(float64(len(states)))
			}
		}
		if err := h.store.DoneSync(ctx, tenant, connector, items); err != nil {
			return fmt.Errorf("updating the write-back queue: %w", err)
		}
		if len(items) < connectors.MaxSyncBatch {
			return nil
		}
	}
}
