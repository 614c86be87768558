package pipelines

import (
	"context"
	"sync"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
)

// An interrupted send attempt (a crash, or a BSP call that ended without an
// answer) leaves its message sending or unknown. The hub then waits for the
// attempt's status webhook, which names the message by its key
// (biz_opaque_callback_data) and moves it on. When none comes within
// pipeline.send.unknown_grace, the resend policy starts a new attempt under
// the same key; the hold policy leaves the message unknown for an operator.
//
// Two things bring an interrupted attempt back to the send stage: the
// queue's redelivery of its command (it is acknowledged only once the
// message is resolved), and the relay below, which hands the commands of
// attempts left unchanged past their deadline back to the send stage, for
// the commands the queue no longer holds (the memory backend after a
// restart, a queue that lost or expired them, messages held under the hold
// policy before a switch to resend). Either may deliver a command twice or
// at once; RetakeMessage lets exactly one of them start the new attempt.

// relayLease is how long a stale attempt handed back to the send stage is
// not handed back again.
const relayLease = 5 * time.Minute

// attemptDeadline is when the hub stops waiting for the status webhook of
// an attempt last changed at updated: grace after the attempt. For an
// attempt made before this process started at started, the webhook may
// have reached the process that died, which held it unacknowledged at
// either hop of the BSP lane: the queue redelivers it at each only after
// its ack wait. The grace then runs from the last such redelivery.
func attemptDeadline(updated, started time.Time, ackWait, grace time.Duration) time.Time {
	if updated.Before(started) {
		return started.Add(bspLaneHops*ackWait + grace)
	}
	return updated.Add(grace)
}

// staleCutoff returns the update time at or before which every attempt's
// deadline has passed at now, for the relay. ok is false while attempts
// made before the start may still be waiting for their webhooks; the
// queue's redeliveries resolve attempts until then.
func staleCutoff(now, started time.Time, ackWait, grace time.Duration) (before time.Time, ok bool) {
	if now.Before(started.Add(bspLaneHops*ackWait + grace)) {
		return time.Time{}, false
	}
	return now.Add(-grace), true
}

// inFlight is the set of keys whose BSP call this process is making: an
// attempt that is still running is never taken for interrupted, however
// long the BSP takes to answer.
type inFlight struct {
	mu   sync.Mutex
	keys map[string]struct{}
}

// start adds key; it reports false when key is in flight already.
func (f *inFlight) start(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.keys[key]; ok {
		return false
	}
	if f.keys == nil {
		f.keys = map[string]struct{}{}
	}
	f.keys[key] = struct{}{}
	return true
}

func (f *inFlight) done(key string) {
	f.mu.Lock()
	delete(f.keys, key)
	f.mu.Unlock()
}

func (f *inFlight) has(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.keys[key]
	return ok
}

// relayStaleAttempts hands the commands of interrupted attempts whose
// deadline has passed back to the send stage, under the resend policy.
func (h *Hub) relayStaleAttempts(ctx context.Context, now time.Time) {
	send := h.cfg.Pipeline.Send
	if send.UnknownPolicy != config.UnknownResend {
		return
	}
	before, ok := staleCutoff(now, h.startedAt, h.cfg.Queue.AckWait, send.UnknownGrace)
	if !ok {
		return
	}
	for _, tenant := range h.tenantIDs() {
		for {
			stale, err := h.store.StaleAttempts(ctx, tenant, before, now, sweepBatch, relayLease)
			if err != nil {
				h.logger.Warn("listing interrupted send attempts failed", "tenant", tenant, "error", err)
				break
			}
			h.metrics.MessagesRelayed.WithLabelValues(tenant).Add(float64(h.handBack(stale, "relay", now)))
			if len(stale) < sweepBatch || ctx.Err() != nil {
				break
			}
		}
	}
}
