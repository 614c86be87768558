package pipelines

import (
	"context"

	"github.com/loyalhub/loyalhub/pipelines/campaigns"
	"github.com/loyalhub/loyalhub/pipelines/schedule"
)

// newCampaigns is the campaign runner on the hub's store, tenants, clock
// and sender, choosing audiences by the tenants' saved segments.
func (h *Hub) newCampaigns() *campaigns.Runner {
	sc := h.cfg.Pipeline.Scheduler
	return &campaigns.Runner{
		Store: h.store, Audience: h.Segments(), Tenants: h.tenants, Now: h.now, Wake: h.sender.Wake,
		Logger: h.logger.With("part", "campaigns"), Holder: schedule.NewHolder(),
		Poll: sc.CampaignPoll, Chunk: sc.CampaignBatch, Messages: h.metrics.CampaignMessages,
	}
}

// Campaigns returns the hub's campaign runner, once started.
func (h *Hub) Campaigns() *campaigns.Runner { return h.campaigns }

// startCampaigns runs the campaign runner until Close.
func (h *Hub) startCampaigns(ctx context.Context) { h.stopCampaigns = startLoop(ctx, h.campaigns.Run) }

// startLoop runs run in a goroutine, with ctx's values but not its
// cancellation, and returns what stops it and waits for it to return.
func startLoop(ctx context.Context, run func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
