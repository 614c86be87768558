package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// WriteBackStore is what the write-back reads and writes: the queue of
// members to write back and the members themselves.
type WriteBackStore interface {
	store.SyncQueue
	store.Members
}

// WriteBack writes members' state back to the connectors that take it
// (connectors.MemberSyncer), every Interval, from the store's write-back
// queue.
type WriteBack struct {
	Store   WriteBackStore
	Tenants *runtime.Tenants
	// Interval is pipeline.sync.interval.
	Interval time.Duration
	// Synced counts the members written back
	// (loyalhub_members_synced_total): tenant, connector, result (ok,
	// failed).
	Synced *prometheus.CounterVec
	Logger *slog.Logger
}

// Start starts a write-back loop, every Interval, for each write-back
// connector, in the workers it returns.
func (wb *WriteBack) Start(ctx context.Context) *Workers {
	w := NewWorkers(ctx, "write-back")
	wb.Update(w)
	return w
}

// Update brings the write-back loops w runs in line with the current
// tenants, after a reload: it starts those of new write-back connectors and
// stops those of connectors no longer there.
func (wb *WriteBack) Update(w *Workers) {
	perConnector(w, wb.Tenants.Current(), func(c *runtime.Connector) bool { return c.Syncer != nil }, wb.loop)
}

func (wb *WriteBack) loop(ctx context.Context, t *runtime.Tenant, c *runtime.Connector) {
	interval := wb.Interval
	wait := interval
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		err := wb.SyncOnce(ctx, t.ID, c.Name)
		wait = interval
		if err != nil && ctx.Err() == nil {
			if after := fault.RetryAfter(err); after > wait {
				wait = after
			}
			wb.Logger.Warn("writing members back failed; retrying", "tenant", t.ID, "connector", c.Name, "in", wait, "err", err)
		}
	}
}

// SyncOnce writes every member queued for the tenant's connector back, in
// batches of connectors.MaxSyncBatch, with their current state. A batch
// that fails stays queued for the next run.
func (wb *WriteBack) SyncOnce(ctx context.Context, tenant, connector string) error {
	c, ok := wb.Tenants.Connector(tenant, connector)
	if !ok || c.Syncer == nil {
		return fmt.Errorf("tenant %q has no write-back connector %q", tenant, connector)
	}
	for {
		items, err := wb.Store.PendingSync(ctx, tenant, connector, connectors.MaxSyncBatch)
		if err != nil {
			return fmt.Errorf("reading the write-back queue: %w", err)
		}
		if len(items) == 0 {
			return nil
		}
		states := make([]connectors.MemberState, 0, len(items))
		for _, it := range items {
			m, err := wb.Store.Member(ctx, tenant, it.MemberID)
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
				wb.Synced.WithLabelValues(tenant, connector, "failed").Add(float64(len(states)))
				if fault.IsPermanent(err) {
					// Retrying the same batch cannot help; it is dropped
					// with the reason, and the next change queues a member
					// again.
					wb.Logger.Error("writing members back refused", "tenant", tenant, "connector", connector,
						"members", len(states), "err", err)
				} else {
					return fmt.Errorf("writing %d members back: %w", len(states), err)
				}
			} else {
				wb.Synced.WithLabelValues(tenant, connector, "ok").Add(float64(len(states)))
			}
		}
		if err := wb.Store.DoneSync(ctx, tenant, connector, items); err != nil {
			return fmt.Errorf("updating the write-back queue: %w", err)
		}
		if len(items) < connectors.MaxSyncBatch {
			return nil
		}
	}
}
