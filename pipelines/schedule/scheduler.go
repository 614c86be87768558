package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// Store is what the scheduler reads and writes: the members' accounts and
// the leases that let one replica sweep a tenant at a time.
type Store interface {
	store.Accounts
	store.Leases
}

// Scheduler runs timed loyalty work: every Config.Interval it relays
// interrupted send attempts, refreshes template lists and, for each tenant
// whose lease this process holds, runs SweepTenant and the abandoned
// checkouts. Its fields are set before Start and not changed after.
type Scheduler struct {
	Store   Store
	Tenants *runtime.Tenants
	// Config is pipeline.scheduler: the interval, the lease and the batch.
	Config config.Scheduler
	// Now is the clock every sweep decides by.
	Now    func() time.Time
	Logger *slog.Logger
	// Effects gives each member's work in a sweep of tenant t its hook
	// (SweepOptions.Effects): the notifications into the outbox.
	Effects func(t *runtime.Tenant, eventID string, at time.Time) func(store.AccountResult) (store.Effects, error)
	// FollowUps runs the follow-ups of a member's committed work
	// (SweepOptions.FollowUps).
	FollowUps FollowUps
	// Checkouts, when set, announces tenant t's checkouts abandoned at now
	// after its sweep, and returns how many it announced.
	Checkouts func(ctx context.Context, t *runtime.Tenant, now time.Time) (int, error)
	// Relay, when set, hands the interrupted send attempts whose deadline
	// has passed at now back to the sender, before each round.
	Relay func(ctx context.Context, now time.Time)
	// RefreshTemplates, when set, fetches again the template lists that
	// are stale or old, before each round.
	RefreshTemplates func(ctx context.Context)

	holder string
	stop   context.CancelFunc
	done   chan struct{}
}

// NewHolder names a replica for the leases it takes.
func NewHolder() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "hub-" + hex.EncodeToString(b)
}

// Start starts the loop in a goroutine that outlives ctx's cancellation;
// Close stops it.
func (s *Scheduler) Start(ctx context.Context) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.holder, s.stop, s.done = NewHolder(), cancel, make(chan struct{})
	go s.loop(ctx)
}

func (s *Scheduler) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.Config.Interval)
	defer t.Stop()
	for {
		if s.Relay != nil {
			s.Relay(ctx, s.Now())
		}
		if s.RefreshTemplates != nil {
			s.RefreshTemplates(ctx)
		}
		for _, r := range s.Sweep(ctx, s.holder, s.Now()) {
			if r.Swept+r.Reminded+r.Birthdays+r.Anniversaries+r.Failed+r.Abandoned > 0 {
				s.Logger.Info("loyalty sweep", "tenant", r.Tenant, "swept", r.Swept, "reminded", r.Reminded,
					"birthdays", r.Birthdays, "anniversaries", r.Anniversaries, "abandoned_checkouts", r.Abandoned,
					"failed", r.Failed)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close stops the loop after its current sweep and gives the leases up.
func (s *Scheduler) Close(ctx context.Context) error {
	s.stop()
	select {
	case <-s.done:
	case <-ctx.Done():
		return fmt.Errorf("stopping the scheduler: %w", ctx.Err())
	}
	var errs []error
	for _, id := range s.Tenants.IDs() {
		errs = append(errs, s.Store.ReleaseLease(ctx, leaseName(id), s.holder))
	}
	return errors.Join(errs...)
}

func leaseName(tenant string) string { return "loyalty-sweep/" + tenant }

// Sweep runs one sweep of every tenant as holder at now: SweepTenant for
// each tenant whose lease holder gets. Tenants another holder is sweeping
// are skipped.
func (s *Scheduler) Sweep(ctx context.Context, holder string, now time.Time) []SweepReport {
	var out []SweepReport
	tenants := s.Tenants.Current()
	for _, id := range tenants.IDs() {
		r := SweepReport{Tenant: id}
		ok, err := s.Store.AcquireLease(ctx, leaseName(id), holder, s.Config.Lease)
		switch {
		case err != nil:
			s.Logger.Error("loyalty sweep: taking the lease", "tenant", id, "err", err)
			r.Skipped = true
		case !ok:
			r.Skipped = true
		default:
			t := tenants[id]
			var effects func(eventID string, at time.Time) func(store.AccountResult) (store.Effects, error)
			if s.Effects != nil {
				effects = func(eventID string, at time.Time) func(store.AccountResult) (store.Effects, error) {
					return s.Effects(t, eventID, at)
				}
			}
			r = SweepTenant(ctx, SweepOptions{
				Store: s.Store, Tenant: id, Program: t.Program, Batch: s.Config.Batch,
				Effects: effects, FollowUps: s.FollowUps,
				Logger: s.Logger,
				Renew: func(ctx context.Context) (bool, error) {
					return s.Store.AcquireLease(ctx, leaseName(id), holder, s.Config.Lease)
				},
			}, now)
			if !r.LeaseLost && s.Checkouts != nil {
				n, err := s.Checkouts(ctx, t, now)
				r.Abandoned = n
				if err != nil {
					r.Errors = append(r.Errors, err)
					s.Logger.Error("checkout sweep", "tenant", id, "err", err)
				}
			}
		}
		out = append(out, r)
	}
	return out
}
