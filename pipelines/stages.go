package pipelines

import (
	"context"
	"fmt"
	"maps"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/process"
)

// Stage (handler) names, as they appear in metrics and dead letters.
const (
	StageProcess    = process.StageProcess
	StageBSP        = process.StageBSP
	StageSend       = "send"
	StageDeadLetter = "deadletter"
)

// deadLetterStage stores poisoned messages with their reason.
func (h *Hub) deadLetterStage(msg *message.Message) error {
	d := store.DeadLetter{
		ID:        msg.UUID,
		Tenant:    msg.Metadata.Get(MetaTenant),
		Topic:     msg.Metadata.Get("topic_poisoned"),
		Handler:   msg.Metadata.Get("handler_poisoned"),
		Reason:    msg.Metadata.Get("reason_poisoned"),
		Payload:   msg.Payload,
		Metadata:  maps.Clone(map[string]string(msg.Metadata)),
		CreatedAt: h.now().UTC(),
	}
	if err := h.storeDeadLetter(msg.Context(), d); err != nil {
		return fmt.Errorf("storing dead letter: %w", err)
	}
	return nil
}

// storeDeadLetter stores d, counts it under the stage that gave up
// (d.Handler) and logs it.
func (h *Hub) storeDeadLetter(ctx context.Context, d store.DeadLetter) error {
	if err := h.store.AddDeadLetter(ctx, d); err != nil {
		return err
	}
	h.metrics.DeadLetters.WithLabelValues(d.Handler).Inc()
	h.logger.Warn("dead letter stored", "tenant", d.Tenant, "connector", d.Metadata[MetaConnector], "stage", d.Handler,
		"id", d.ID, "reason", d.Reason)
	return nil
}
