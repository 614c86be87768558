package pipelines

import (
	"context"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/ledger"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
	"github.com/loyalhub/loyalhub/pipelines/schedule"
)

// sweepBatch is how many rows one query of the hub's scheduled work
// (checkouts, stale send attempts, members to erase) returns.
const sweepBatch = schedule.DefaultBatch

// newScheduler is the scheduler on the hub's store, tenants and clock, with
// the effects of the tenants' loyalty transactions, the abandoned checkouts,
// the relay of interrupted send attempts and the template refreshes.
func (h *Hub) newScheduler() *schedule.Scheduler {
	return &schedule.Scheduler{
		Store: h.store, Tenants: h.tenants, Config: h.cfg.Pipeline.Scheduler, Now: h.now, Logger: h.logger,
		Effects: func(t *runtime.Tenant, eventID string, at time.Time) func(store.AccountResult) (store.Effects, error) {
			return h.ledger.Effects(t, eventID, at, "")
		},
		FollowUps: ledger.RunFollowUps, Checkouts: h.lanes.SweepCheckouts,
		Relay: h.sender.RelayStale, RefreshTemplates: h.templates().Refresh,
	}
}

// Sweep runs one sweep of every tenant as holder at now
// (schedule.Scheduler.Sweep).
func (h *Hub) Sweep(ctx context.Context, holder string, now time.Time) []schedule.SweepReport {
	return h.newScheduler().Sweep(ctx, holder, now)
}

// startScheduler starts the scheduler's loop; Close stops it.
func (h *Hub) startScheduler(ctx context.Context) {
	h.scheduler = h.newScheduler()
	h.scheduler.Start(ctx)
}

// startSyncer starts the write-back loops, if any connector writes back.
func (h *Hub) startSyncer(ctx context.Context) {
	h.reloadMu.Lock()
	defer h.reloadMu.Unlock()
	h.writeBack = &schedule.WriteBack{Store: h.store, Tenants: h.tenants, Interval: h.cfg.Pipeline.Sync.Interval,
		Synced: h.metrics.MembersSynced, Logger: h.logger}
	h.syncer = h.writeBack.Start(ctx)
}

// startRunners starts the connectors that produce deliveries themselves,
// enqueueing them as webhooks are.
func (h *Hub) startRunners(ctx context.Context) {
	h.reloadMu.Lock()
	defer h.reloadMu.Unlock()
	h.sources = &schedule.Sources{Tenants: h.tenants, Enqueue: h.hooks().Enqueue, Requests: h.metrics.ConnectorRequests, Now: h.now, Logger: h.logger}
	h.runners = h.sources.Start(ctx)
}
