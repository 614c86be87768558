package pipelines

import (
	"context"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/journey"
	"github.com/loyalhub/loyalhub/pipelines/chat"
	"github.com/loyalhub/loyalhub/pipelines/journeys"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// newJourneys is the journey runner on the hub's store, tenants and clock,
// sending through the outbox, awarding through the ledger and inviting to
// surveys as the chat does.
func (h *Hub) newJourneys() *journeys.Runner {
	responder := h.responder()
	return &journeys.Runner{
		Store: h.store, Tenants: h.tenants, Now: h.now, Transact: h.ledger.Transact, Enqueue: h.ledger.Enqueue,
		Invite: func(ctx context.Context, t *runtime.Tenant, s journey.Survey, at time.Time) error {
			return responder.InviteTo(ctx, t, s.Name, chat.Trigger{Type: config.SurveyJourney, EventID: s.EventID, At: at,
				MemberID: s.MemberID, Phone: s.Phone, OrderID: s.OrderID})
		},
		Logger: h.logger.With("part", "journeys"), Steps: h.metrics.JourneySteps, Wakes: h.metrics.JourneyWakes,
		Poll: h.cfg.Pipeline.Scheduler.JourneyPoll,
	}
}

// Journeys returns the hub's journey runner, once started.
func (h *Hub) Journeys() *journeys.Runner { return h.journeys }

// startJourneys runs the journey runner until Close.
func (h *Hub) startJourneys(ctx context.Context) { h.stopJourneys = startLoop(ctx, h.journeys.Run) }
