package pipelines

import (
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/store/postgres"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/pipelines/process"
)

// newLanes builds the process and BSP stages on the hub's store, tenants,
// clock and outbox, with the effects of the tenants' loyalty transactions.
func (h *Hub) newLanes() *process.Lanes {
	m := h.metrics
	return &process.Lanes{
		Store: h.store, Tenants: h.tenants,
		Topics:    process.Topics{Inbound: TopicInbound, BSP: TopicInboundBSP, Outbox: TopicOutbox, SendStage: StageSend},
		BatchSize: h.batchSize(), SweepBatch: sweepBatch,
		Now: h.now, Logger: h.logger, Ignored: h.ignored, Tracing: h.tracing, Unread: &h.unread,
		Metrics: process.Metrics{
			EventsProcessed: m.EventsProcessed, EventsWithoutPhone: m.EventsWithoutPhone, LimitRefusals: m.LimitRefusals,
			MembersMerged: m.MembersMerged, PointsAwarded: m.PointsAwarded, ConsentChanges: m.ConsentChanges,
			PrivacyRequests: m.PrivacyRequests, CheckoutsAbandoned: m.CheckoutsAbandoned, IdentityChanges: m.IdentityChanges,
			InboundMessages: m.InboundMessages, InboundNumbers: m.InboundNumbers, StatusesApplied: m.StatusesApplied,
			StatusesIgnored: m.StatusesIgnored, StatusUnmatched: m.StatusUnmatched, DeliveryFailures: m.DeliveryFailures,
			ConfigErrors: m.ConfigErrors, MessagesFallback: m.MessagesFallback, WebhookErrors: m.WebhookErrors,
			SenderQualityPaused: m.SenderQualityPaused, SenderMessagingLimit: m.SenderMessagingLimit,
		},
		Transact: h.ledger.Transact, Notify: h.ledger.Notify, Enqueue: h.ledger.Enqueue, DeadLetter: h.storeDeadLetter,
		RecipientRefused: h.sender.RecipientRefused, Chat: h.responder(),
	}
}

// batchSize is how many events commit together at most: pipeline.batch.size,
// else the store's default.
func (h *Hub) batchSize() int {
	if n := h.cfg.Pipeline.Batch.Size; n > 0 {
		return n
	}
	if h.cfg.Store.Driver == config.DriverPostgres {
		return postgres.DefaultGroupSize
	}
	return sqlite.DefaultBatchSize
}
