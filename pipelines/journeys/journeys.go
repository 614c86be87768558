// Package journeys runs the members' journeys: it leases the states whose
// next step is due, reads each member as they are now, advances them
// (core/journey) and carries out what their steps decided, sends through
// the outbox and awards as loyalty transactions, before it writes the new
// state. Every send's key and award's event id derive from the member's
// entry and the step, so a state run again after a crash or a lost lease
// does nothing twice; a state a newer entry replaced is not written.
package journeys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/journey"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/account"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// Store is what the runner reads and writes beside the loyalty
// transactions and the outbox.
type Store interface {
	store.Journeys
	store.Members
	store.MemberTags
}

// Defaults of the runner.
const (
	DefaultPoll  = 5 * time.Second
	DefaultBatch = 200
	// DefaultLease is how long a leased state waits before another run
	// may take it: long enough for its steps' writes.
	DefaultLease = time.Minute
)

// Results of advancing a state, as counted.
const (
	ResultWaiting   = "waiting"
	ResultCompleted = "completed"
	ResultExited    = "exited"
	ResultFailed    = "failed"
)

// ReasonRemoved is the exit reason of a member whose journey is no longer
// in the tenant's configuration.
const ReasonRemoved = "removed"

// Runner advances the members' due journey states. Set its fields, then
// call Run; RunDue is safe for concurrent use, across replicas too.
type Runner struct {
	Store   Store
	Tenants *runtime.Tenants
	// Now is the hub's clock.
	Now func() time.Time
	// Transact runs an award's loyalty transaction with its effects.
	Transact account.Transact
	// Enqueue writes a send's command to the outbox and wakes the sender.
	Enqueue func(ctx context.Context, cmds []messaging.Command) error
	// Invite invites a member to one of the tenant's surveys, once per
	// event id (a survey step); nil: survey steps fail.
	Invite func(ctx context.Context, t *runtime.Tenant, s journey.Survey, at time.Time) error
	Logger *slog.Logger
	// Steps counts the states advanced by tenant, journey and result
	// (loyalhub_journey_steps_total); nil: not counted.
	Steps *prometheus.CounterVec
	// Wakes counts the members woken at a wait_for step by their reply or
	// order (loyalhub_journey_wakes_total); nil: not counted.
	Wakes prometheus.Counter
	// Poll is how often due states are looked for; Batch how many one
	// look leases; Lease how long a leased state waits for this run.
	Poll  time.Duration
	Batch int
	Lease time.Duration
}

func (r *Runner) defaults() {
	if r.Poll <= 0 {
		r.Poll = DefaultPoll
	}
	if r.Batch <= 0 {
		r.Batch = DefaultBatch
	}
	if r.Lease <= 0 {
		r.Lease = DefaultLease
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
}

// Run advances due states every Poll until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	r.defaults()
	t := time.NewTicker(r.Poll)
	defer t.Stop()
	for {
		if _, err := r.RunDue(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Error("journeys", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunDue advances every state due now, a batch at a time, and returns how
// many it advanced. It first makes due the states waiting for a reply or
// an order that came. A state whose steps failed to be carried out stays
// as it was, leased: it runs again once the lease ends, unless the failure
// is permanent (an award the program refuses, a message without a
// recipient): then the member exits with JourneyReasonError.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	r.defaults()
	n := 0
	woken, err := r.Store.WakeJourneyStates(ctx, r.Now())
	if err != nil {
		return n, err
	}
	if r.Wakes != nil {
		r.Wakes.Add(float64(woken))
	}
	for ctx.Err() == nil {
		now := r.Now()
		due, err := r.Store.DueJourneyStates(ctx, now, r.Batch, r.Lease)
		if err != nil {
			return n, err
		}
		for _, s := range due {
			if err := r.advance(ctx, s, now); err != nil {
				r.Logger.Error("journey step failed; retried after the lease", "tenant", s.Tenant,
					"journey", s.Journey, "member", s.MemberID, "step", s.Step, "error", err)
				continue
			}
			n++
		}
		if len(due) < r.Batch {
			break
		}
	}
	return n, nil
}

// maxBranches bounds how many branches of one member the runner follows
// in one run; a state left due runs again at the next.
const maxBranches = 16

// advance runs one member's due steps and writes their new state. A
// branch decided (Advance returns the state due now at the branch's step)
// is written first, leased, then its steps run at once.
func (r *Runner) advance(ctx context.Context, s store.JourneyState, now time.Time) error {
	for range maxBranches {
		next, written, err := r.advanceOnce(ctx, s, now)
		if err != nil || !written || next.Status != store.JourneyActive || next.DueAt.After(now) {
			return err
		}
		s = next
	}
	return nil
}

// advanceOnce runs a member's steps once (journey.Advance) and writes the
// state they leave; it reports whether the state was still the runner's
// to write.
func (r *Runner) advanceOnce(ctx context.Context, s store.JourneyState, now time.Time) (store.JourneyState, bool, error) {
	t, ok := r.Tenants.Tenant(s.Tenant)
	if !ok {
		return s, false, fmt.Errorf("tenant %q is not configured", s.Tenant)
	}
	var j *journey.Journey
	for _, c := range t.Journeys {
		if c.Name() == s.Journey {
			j = c
		}
	}
	if j == nil {
		s.Status, s.Reason = store.JourneyExited, ReasonRemoved
		return r.write(ctx, s, ResultExited, now)
	}
	m, err := r.Store.Member(ctx, s.Tenant, s.MemberID)
	if errors.Is(err, store.ErrNotFound) {
		s.Status, s.Reason = store.JourneyExited, store.JourneyReasonError
		return r.write(ctx, s, ResultFailed, now)
	}
	if err != nil {
		return s, false, fmt.Errorf("reading the member: %w", err)
	}
	env := journey.Env{Member: m, Location: t.Location}
	if s.WaitFor != "" {
		// Only what came by the deadline counts, however late this runs.
		until := now
		if s.WaitDeadline.Before(now) {
			until = s.WaitDeadline
		}
		w := s
		w.MemberID = m.ID // the member another was merged into has their messages and orders
		if env.Came, err = r.Store.JourneyEventCame(ctx, w, until); err != nil {
			return s, false, err
		}
	}
	acts, next, stepErr := j.Advance(s, now, env)
	for _, a := range acts {
		err := r.act(ctx, t, j, m.ID, a, now)
		if fault.IsPermanent(err) {
			// It would fail again at every run: the member exits.
			next, stepErr = s, err
			next.Status, next.Reason = store.JourneyExited, store.JourneyReasonError
			break
		}
		if err != nil {
			return s, false, err
		}
	}
	result := ResultWaiting
	switch {
	case stepErr != nil:
		r.Logger.Warn("a journey step failed for good; the member exits", "tenant", s.Tenant,
			"journey", s.Journey, "member", s.MemberID, "error", stepErr)
		result = ResultFailed
	case next.Status == store.JourneyCompleted:
		result = ResultCompleted
	case next.Status == store.JourneyExited:
		result = ResultExited
	}
	return r.write(ctx, next, result, now)
}

// act carries out one step's action.
func (r *Runner) act(ctx context.Context, t *runtime.Tenant, j *journey.Journey, memberID string, a journey.Action, now time.Time) error {
	switch a := a.(type) {
	case journey.Send:
		if err := a.Command.Validate(); err != nil {
			return fault.Permanent(fault.ClassRequest, fmt.Errorf("step %d: %w", a.Step, err))
		}
		if err := r.Enqueue(ctx, []messaging.Command{a.Command}); err != nil {
			return fmt.Errorf("queueing step %d: %w", a.Step, err)
		}
	case journey.Award:
		reason := a.Reason
		if reason == "" {
			reason = "journey " + j.Name()
		}
		_, err := r.Transact(ctx, t, "", a.EventID, store.AccountRef{MemberID: memberID}, now,
			func(acc *loyalty.Account) error {
				return t.Program.AdjustAs(acc, a.EventID, a.Points, reason, journey.Origin(j.Name(), a.Step), now)
			})
		if errors.Is(err, loyalty.ErrBadEvent) || errors.Is(err, store.ErrNoMember) {
			err = fault.Permanent(fault.ClassRequest, err)
		}
		if err != nil {
			return fmt.Errorf("awarding step %d: %w", a.Step, err)
		}
	case journey.Tag:
		_, err := r.Store.TagMember(ctx, t.ID, memberID, a.Add, a.Remove)
		if errors.Is(err, store.ErrNotFound) {
			err = fault.Permanent(fault.ClassRequest, err)
		}
		if err != nil {
			return fmt.Errorf("tagging step %d: %w", a.Step, err)
		}
	case journey.Survey:
		if r.Invite == nil {
			return fault.Permanent(fault.ClassRequest, fmt.Errorf("step %d: surveys are not available", a.Step))
		}
		if err := r.Invite(ctx, t, a, now); err != nil {
			return fmt.Errorf("inviting to survey %s at step %d: %w", a.Name, a.Step, err)
		}
	}
	return nil
}

// write writes a state; one a newer entry replaced meanwhile stays as
// that entry has it. A state left due now (a branch decided) is written
// leased, so that no other run takes it while this one runs its steps.
func (r *Runner) write(ctx context.Context, s store.JourneyState, result string, now time.Time) (store.JourneyState, bool, error) {
	w := s
	if w.Status == store.JourneyActive && !w.DueAt.After(now) {
		w.DueAt = now.Add(r.Lease)
	}
	ok, err := r.Store.UpdateJourneyState(ctx, w)
	if err != nil {
		return s, false, err
	}
	if ok && r.Steps != nil {
		r.Steps.WithLabelValues(s.Tenant, s.Journey, result).Inc()
	}
	return s, ok, nil
}
