package pipelines

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/fault"
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

// skipNoPhone is the reason counted for a notification not sent to a member
// without a phone (loyalhub_messages_skipped_total).
const skipNoPhone = "no_phone"

// resolveEarlierAttempt decides what to do with a message whose key is
// already claimed. A sending or unknown message had an attempt whose
// outcome was lost: before its deadline the command is retried later (a
// status webhook may still come); after it, the unknown policy applies. It
// returns claimed=true when the caller now owns a new attempt.
func (h *Hub) resolveEarlierAttempt(ctx context.Context, cur store.Message) (claimed bool, err error) {
	switch cur.Status {
	case store.MessageSending, store.MessageUnknown:
	default:
		return false, nil
	}
	if h.sending.has(cur.Key) {
		return false, fault.Retryable(fault.ClassTransient,
			fmt.Errorf("message %s: an attempt is waiting for the BSP's answer", cur.Key), time.Second)
	}
	send := h.cfg.Pipeline.Send
	deadline := attemptDeadline(cur.Status, cur.UpdatedAt, h.startedAt, h.cfg.Queue.AckWait, send.UnknownGrace)
	if wait := deadline.Sub(h.now()); wait > 0 {
		err := fmt.Errorf("message %s: waiting until %s for the status of an earlier attempt",
			cur.Key, deadline.UTC().Format(time.RFC3339))
		switch waitFor(wait, h.inlineWait, send.UnknownPolicy, !h.cfg.Pipeline.Scheduler.Disabled) {
		case waitInline:
			return false, fault.Retryable(fault.ClassTransient, err, wait)
		case waitForRelay:
			h.logger.Debug("interrupted send attempt left to the relay", "tenant", cur.Tenant, "key", cur.Key,
				"deadline", deadline)
			return false, nil
		default:
			return false, fault.Requeue(fault.ClassTransient, err)
		}
	}
	if send.UnknownPolicy == config.UnknownHold {
		if cur.Status == store.MessageSending {
			if err := h.store.MarkUnknown(ctx, cur.Key, "no status webhook within the grace period", h.now()); err != nil {
				return false, fmt.Errorf("recording unknown message: %w", err)
			}
		}
		return false, nil
	}
	claimed, err = h.store.RetakeMessage(ctx, cur, connectors.AmbiguousCode,
		"no status webhook within the grace period: sending again under the same key", h.now())
	if err != nil {
		return false, fmt.Errorf("retaking message: %w", err)
	}
	if claimed {
		h.metrics.MessagesResent.WithLabelValues(cur.Tenant).Inc()
		h.logger.Info("no status webhook for an interrupted send attempt: sending again under the same key",
			"tenant", cur.Tenant, "key", cur.Key, "attempts", cur.Attempts+1)
	}
	return claimed, nil
}

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

func jsonMessage(uuid string, v any) (*message.Message, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("encoding %T: %w", v, err))
	}
	return message.NewMessage(uuid, b), nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
