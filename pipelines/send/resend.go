package send

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/schedule"
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
// an attempt in status, last changed at updated. The webhook may have
// reached a process that died holding it unacknowledged in the BSP lane,
// and the queue redelivers it only after redelivery (its ack wait at each
// of the lane's hops); then the grace runs from that redelivery. That is
// the case of an attempt made before this process started at started, and
// of any attempt still sending that this process is not making (its maker
// died: this process before a restart, or another replica). An unknown
// attempt made since the start was recorded by a live process, which
// received its webhooks: the grace runs from the attempt.
func attemptDeadline(status string, updated, started time.Time, redelivery, grace time.Duration) time.Time {
	if updated.Before(started) {
		return started.Add(redelivery + grace)
	}
	if status == store.MessageSending {
		return updated.Add(redelivery + grace)
	}
	return updated.Add(grace)
}

// staleCutoff returns the update time at or before which every attempt's
// deadline has passed at now, whatever its status, for the relay. ok is
// false while attempts made before the start may still be waiting for their
// webhooks; the queue's redeliveries resolve attempts until then.
func staleCutoff(now, started time.Time, redelivery, grace time.Duration) (before time.Time, ok bool) {
	wait := redelivery + grace
	if now.Before(started.Add(wait)) {
		return time.Time{}, false
	}
	return now.Add(-wait), true
}

// How a delivery of a command waits for the deadline of an earlier attempt.
const (
	waitInline   = iota // retried in the handler after the wait
	waitForRelay        // acknowledged: the relay hands the kept command back
	waitInQueue         // handed back to the queue, redelivered after its delay
)

// waitFor decides how to wait for an earlier attempt's deadline, wait away.
// A wait up to inline is spent in the handler. A longer one would hold a send slot
// (or, on the PostgreSQL queue, the head of the topic) until the deadline:
// under the resend policy, with a relay running, the command, which the
// claim kept in the message log, is acknowledged and the relay hands it
// back once the deadline has passed; otherwise it goes back to the queue.
func waitFor(wait, inline time.Duration, policy string, relay bool) int {
	switch {
	case wait <= inline:
		return waitInline
	case policy == config.UnknownResend && relay:
		return waitForRelay
	default:
		return waitInQueue
	}
}

// inFlight is the set of keys whose BSP call this process is making: an
// attempt that is still running is never taken for interrupted, however
// long the BSP takes to answer.
type inFlight struct {
	mu   sync.Mutex
	keys map[string]struct{}
}

// start adds key. The message log lets one attempt of a key at a time own
// it, so that a key is never started twice.
func (f *inFlight) start(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keys == nil {
		f.keys = map[string]struct{}{}
	}
	f.keys[key] = struct{}{}
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

// resolveEarlierAttempt decides what to do with a message whose key is
// already claimed. A sending or unknown message had an attempt whose
// outcome was lost: before its deadline the command is retried later (a
// status webhook may still come); after it, the unknown policy applies. It
// returns claimed=true when the caller now owns a new attempt.
func (s *Sender) resolveEarlierAttempt(ctx context.Context, cur store.Message) (claimed bool, err error) {
	switch cur.Status {
	case store.MessageSending, store.MessageUnknown:
	default:
		return false, nil
	}
	if s.sending.has(cur.Key) {
		return false, fault.Retryable(fault.ClassTransient,
			fmt.Errorf("message %s: an attempt is waiting for the BSP's answer", cur.Key), time.Second)
	}
	send := s.cfg.Send
	deadline := attemptDeadline(cur.Status, cur.UpdatedAt, s.StartedAt, s.cfg.StatusRedelivery, send.UnknownGrace)
	if wait := deadline.Sub(s.Now()); wait > 0 {
		err := fmt.Errorf("message %s: waiting until %s for the status of an earlier attempt",
			cur.Key, deadline.UTC().Format(time.RFC3339))
		switch waitFor(wait, s.cfg.InlineWait, send.UnknownPolicy, s.cfg.Relay) {
		case waitInline:
			return false, fault.Retryable(fault.ClassTransient, err, wait)
		case waitForRelay:
			s.Logger.Debug("interrupted send attempt left to the relay", "tenant", cur.Tenant, "key", cur.Key,
				"deadline", deadline)
			return false, nil
		default:
			return false, fault.Requeue(fault.ClassTransient, err)
		}
	}
	if send.UnknownPolicy == config.UnknownHold {
		if cur.Status == store.MessageSending {
			if err := s.Store.MarkUnknown(ctx, cur.Key, "no status webhook within the grace period", s.Now()); err != nil {
				return false, fmt.Errorf("recording unknown message: %w", err)
			}
		}
		return false, nil
	}
	claimed, err = s.Store.RetakeMessage(ctx, cur, connectors.AmbiguousCode,
		"no status webhook within the grace period: sending again under the same key", s.Now())
	if err != nil {
		return false, fmt.Errorf("retaking message: %w", err)
	}
	if claimed {
		s.Metrics.Resent.WithLabelValues(cur.Tenant).Inc()
		s.Logger.Info("no status webhook for an interrupted send attempt: sending again under the same key",
			"tenant", cur.Tenant, "key", cur.Key, "attempts", cur.Attempts+1)
	}
	return claimed, nil
}

// RelayStale hands the commands of interrupted attempts whose
// deadline has passed to the sender, under the resend policy.
func (s *Sender) RelayStale(ctx context.Context, now time.Time) {
	send := s.cfg.Send
	if send.UnknownPolicy != config.UnknownResend {
		return
	}
	before, ok := staleCutoff(now, s.StartedAt, s.cfg.StatusRedelivery, send.UnknownGrace)
	if !ok {
		return
	}
	for _, tenant := range s.Tenants.IDs() {
		for {
			stale, err := s.Store.StaleAttempts(ctx, tenant, before, now, schedule.DefaultBatch, relayLease)
			if err != nil {
				s.Logger.Warn("listing interrupted send attempts failed", "tenant", tenant, "error", err)
				break
			}
			s.Metrics.Relayed.WithLabelValues(tenant).Add(float64(s.handBack(ctx, stale)))
			if len(stale) < schedule.DefaultBatch || ctx.Err() != nil {
				break
			}
		}
	}
}

// handBack hands the kept commands of leased messages to the sender's
// workers, a recipient's messages to one worker in the order given; what is
// not handed over before ctx ends is handed back again when its lease ends.
// It returns how many were handed over.
func (s *Sender) handBack(ctx context.Context, ds []store.DeferredMessage) int {
	var order []string
	by := map[string][]store.DeferredMessage{}
	for _, d := range ds {
		k := recipientKey(d)
		if _, ok := by[k]; !ok {
			order = append(order, k)
		}
		by[k] = append(by[k], d)
	}
	n := 0
	for _, k := range order {
		select {
		case s.work <- by[k]:
			n += len(by[k])
		case <-ctx.Done():
			return n
		}
	}
	return n
}
