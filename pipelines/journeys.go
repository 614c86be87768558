package pipelines

import (
	"context"

	"github.com/loyalhub/loyalhub/pipelines/journeys"
)

// newJourneys is the journey runner on the hub's store, tenants and clock,
// sending through the outbox and awarding through the ledger.
func (h *Hub) newJourneys() *journeys.Runner {
	return &journeys.Runner{
		Store: h.store, Tenants: h.tenants, Now: h.now, Transact: h.ledger.Transact, Enqueue: h.ledger.Enqueue,
		Logger: h.logger.With("part", "journeys"), Steps: h.metrics.JourneySteps,
		Poll: h.cfg.Pipeline.Scheduler.JourneyPoll,
	}
}

// Journeys returns the hub's journey runner, once started.
func (h *Hub) Journeys() *journeys.Runner { return h.journeys }

// startJourneys runs the journey runner until Close.
func (h *Hub) startJourneys(ctx context.Context) { h.stopJourneys = startLoop(ctx, h.journeys.Run) }
