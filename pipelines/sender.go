package pipelines

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/send"
)

// newSender is the sender (package send) on the hub's store, tenants,
// clock and dead letters, as the config sets it.
func (h *Hub) newSender() *send.Sender {
	m := h.metrics
	return send.New(send.Deps{
		Store: h.store, Tenants: h.tenants, Now: h.now, StartedAt: h.startedAt, Logger: h.logger, Tracing: h.tracing,
		Unread: &h.unread,
		Metrics: send.Metrics{
			Processed: m.StageProcessed.WithLabelValues(StageSend),
			Failed:    m.StageFailed.MustCurryWith(prometheus.Labels{"stage": StageSend}),
			Duration:  m.StageDuration.WithLabelValues(StageSend),
			Sends:     m.SenderSends, Errors: m.SenderErrors, ConfigErrors: m.ConfigErrors,
			Skipped: m.MessagesSkipped, Deferred: m.MessagesDeferred, HeldBack: m.MessagesHeldBack, Fallback: m.MessagesFallback,
			Resent: m.MessagesResent, Relayed: m.MessagesRelayed, ParamsFitted: m.ParamsFitted,
			LinksShortened: m.LinksShortened,
		},
		DeadLetter: h.deadLetterSend,
	}, send.Config{
		Send: h.cfg.Pipeline.Send, Retry: h.cfg.Pipeline.Retry, HandlerTimeout: h.cfg.Pipeline.HandlerTimeout,
		StatusRedelivery: bspLaneHops * h.cfg.Queue.AckWait, Relay: !h.cfg.Pipeline.Scheduler.Disabled,
		InlineWait: h.inlineWait, MaxRetryAfter: maxRetryAfter,
	})
}

// deadLetterSend stores the dead letter of a message the sender gave up
// on, with its command, under the outbox: a replay queues it again.
func (h *Hub) deadLetterSend(ctx context.Context, d store.DeferredMessage, cause error) error {
	return h.storeDeadLetter(ctx, store.DeadLetter{
		ID: "send_" + event.ContentID([]byte(fmt.Sprintf("%s/%d", d.Key, h.now().UnixNano()))), Tenant: d.Tenant,
		Topic: TopicOutbox, Handler: StageSend, Reason: cause.Error(), Payload: d.Command,
		Metadata: map[string]string{MetaTenant: d.Tenant}, CreatedAt: h.now().UTC(),
	})
}

// templates lists the templates of the hub's senders, with its clock.
func (h *Hub) templates() *send.Templates {
	return &send.Templates{Tenants: h.tenants, Now: h.now, Logger: h.logger, Listed: h.metrics.Templates}
}

// ListTemplates lists every sender's templates now, per tenant, with the
// notifications that do not fit them. Senders that cannot list templates
// are left out. It needs no store or queue: call it on a hub that was not
// started.
func (h *Hub) ListTemplates(ctx context.Context) []send.TenantTemplates {
	return h.templates().List(ctx)
}
