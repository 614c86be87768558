package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// DefaultBatch is how many members one store transaction of a sweep
// updates when SweepOptions.Batch is not set, and how many rows one query
// of the other scheduled work (checkouts, stale send attempts) returns.
const DefaultBatch = 500

// SweepReport is what one sweep of one tenant did.
type SweepReport struct {
	Tenant    string
	Swept     int // members whose due lots were activated or expired
	Reminded  int // (member, expiry date) pairs announced
	Birthdays int // members whose birthday was celebrated
	// Anniversaries counts the members whose membership's anniversary was
	// celebrated.
	Anniversaries int
	Abandoned     int // checkouts announced as abandoned
	Failed        int // members left for the next sweep after an error
	Skipped       bool
	// LeaseLost is true when the sweep stopped early because its lease
	// could not be renewed; the next holder goes on where it stopped.
	LeaseLost bool
	// Errors are the first errors of the failed members.
	Errors []error
}

// maxSweepErrors bounds SweepReport.Errors.
const maxSweepErrors = 10

// SweepOptions are what one tenant's sweep works with.
type SweepOptions struct {
	Store   store.Accounts
	Tenant  string
	Program *loyalty.Program
	// Batch is how many members one store transaction updates (default
	// 500); the lease is renewed before each batch.
	Batch int
	// Effects, when set, gives each member's work in a batch, and each
	// follow-up it causes, its hook (store.MemberOp.Effects,
	// store.AccountRef.Effects): what it returns for the outcomes (points
	// expired or activated, tier changes, expiry reminders, birthdays; the
	// notifications, in the outbox) is written in the same transaction.
	Effects func(eventID string, at time.Time) func(store.AccountResult) (store.Effects, error)
	Logger  *slog.Logger
	// Renew, when set, renews the tenant's lease before each batch of
	// members; a sweep whose lease cannot be renewed stops, so that a
	// sweep longer than the lease never runs beside another replica's.
	Renew func(ctx context.Context) (bool, error)
	// FollowUps runs the follow-ups of each member's committed work (a
	// referrer's reward, say) with Effects as their hook. A sweep that meets
	// follow-ups without it reports the member as failed.
	FollowUps FollowUps
}

// FollowUps runs the follow-ups fus of a committed loyalty transaction of
// tenant's, each as a transaction and event of its own (effects, when set,
// gives each its hook), and returns their results in order; the hub's is
// ledger.RunFollowUps.
type FollowUps func(ctx context.Context, st store.Accounts, tenant string, p *loyalty.Program, fus []loyalty.FollowUp,
	effects func(eventID string, at time.Time) func(store.AccountResult) (store.Effects, error)) ([]store.AccountResult, error)

// errNoFollowUps is the error of a member whose follow-ups a sweep without
// SweepOptions.FollowUps cannot run.
var errNoFollowUps = errors.New("follow-ups left undone: the sweep has no FollowUps")

// keep renews the lease; it reports false once the lease is lost.
func (o SweepOptions) keep(ctx context.Context, r *SweepReport) bool {
	if r.LeaseLost {
		return false
	}
	if o.Renew == nil {
		return true
	}
	ok, err := o.Renew(ctx)
	if err != nil {
		o.Logger.Error("loyalty sweep: renewing the lease", "tenant", o.Tenant, "err", err)
	}
	if !ok || err != nil {
		r.LeaseLost = true
		o.Logger.Warn("loyalty sweep: stopped, the lease is lost", "tenant", o.Tenant)
		return false
	}
	return true
}

// SweepTenant activates and expires the tenant's lots due at now, reviews
// the tiers due for review, celebrates today's birthdays and announces the
// expiry dates within the program's reminder window. It works set-based: a
// batch of members at a time, listed by one query, read and written in one
// store transaction (store.Accounts.TransactMembers) with the program's
// rules run on each account in between; each member's notifications go
// into the outbox in that transaction (SweepOptions.Effects), and the
// follow-ups run once it committed (such as a referrer's reward). Every
// effect is idempotent by the state it changes, so a sweep interrupted at
// any point and run again changes nothing twice. A member whose update
// fails is left for the next sweep.
func SweepTenant(ctx context.Context, o SweepOptions, now time.Time) SweepReport {
	r := SweepReport{Tenant: o.Tenant}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	// A key handled once in this sweep (or failed) is not handled again: a
	// member still listed afterwards would otherwise keep the sweep busy.
	seen := map[string]bool{}
	failed := map[string]bool{}
	// Each run's expiry and reminder changes are events of their own
	// (idempotent by the lots they change), so a second sweep at the same
	// instant runs again and its outcomes are new ones.
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	stamp := now.UTC().Format(time.RFC3339Nano) + "/" + hex.EncodeToString(nonce[:])
	for ctx.Err() == nil && o.keep(ctx, &r) {
		ids, err := o.Store.DueMembers(ctx, o.Tenant, now, o.Batch)
		if err != nil {
			o.Logger.Error("loyalty sweep: listing due members", "tenant", o.Tenant, "err", err)
			return r
		}
		todo := unseen(seen, "", ids)
		if len(todo) == 0 {
			break
		}
		ops := make([]store.MemberOp, len(todo))
		for i, memberID := range todo {
			eventID := event.DerivedID("ev_", o.Tenant, "sweep", memberID, stamp)
			ops[i] = o.op(memberID, eventID, now, func(a *loyalty.Account) error {
				o.Program.ActivateDue(a, eventID, now)
				o.Program.ExpireDue(a, eventID, now)
				return o.Program.ReviewTier(a, now)
			})
		}
		for i, err := range o.apply(ctx, ops, now) {
			if o.tally(&r, failed, todo[i], err) {
				r.Swept++
			}
		}
	}
	day := now.In(o.Program.Location)
	for ctx.Err() == nil && o.keep(ctx, &r) {
		ids, err := o.Store.BirthdayMembers(ctx, o.Tenant, member.BirthdaysOn(day), day.Year(), o.Batch)
		if err != nil {
			o.Logger.Error("loyalty sweep: listing birthdays", "tenant", o.Tenant, "err", err)
			break
		}
		todo := unseen(seen, "birthday ", ids)
		if len(todo) == 0 {
			break
		}
		r.Birthdays += o.celebrate(ctx, &r, failed, "birthday", todo, day.Year(), now, o.Program.CelebrateBirthday)
	}
	o.anniversaries(ctx, &r, failed, seen, now)
	if days := o.Program.RemindDaysBefore(); days > 0 {
		until := now.Add(time.Duration(days) * 24 * time.Hour)
		for ctx.Err() == nil && o.keep(ctx, &r) {
			due, err := o.Store.Expiring(ctx, o.Tenant, now, until, o.Batch)
			if err != nil {
				o.Logger.Error("loyalty sweep: listing expiring points", "tenant", o.Tenant, "err", err)
				break
			}
			// One op per member, announcing each of its dates.
			var members []string
			dates := map[string][]time.Time{}
			for _, e := range due {
				key := e.MemberID + " " + e.ExpiresAt.UTC().Format(time.RFC3339Nano)
				if seen[key] {
					continue
				}
				seen[key] = true
				if dates[e.MemberID] == nil {
					members = append(members, e.MemberID)
				}
				dates[e.MemberID] = append(dates[e.MemberID], e.ExpiresAt)
			}
			if len(members) == 0 {
				break
			}
			ops := make([]store.MemberOp, len(members))
			for i, memberID := range members {
				// The lots remember the announcement, so each sweep's
				// transaction is its own event.
				eventID := event.DerivedID("ev_", o.Tenant, "remind", memberID, stamp)
				ops[i] = o.op(memberID, eventID, now, func(a *loyalty.Account) error {
					for _, at := range dates[memberID] {
						o.Program.RemindExpiring(a, at)
					}
					return nil
				})
			}
			for i, err := range o.apply(ctx, ops, now) {
				if o.tally(&r, failed, "remind "+members[i], err) {
					r.Reminded += len(dates[members[i]])
				}
			}
		}
	}
	r.Failed = len(failed)
	return r
}

// unseen returns the ids whose prefixed key is not in seen yet, and adds
// their keys.
func unseen(seen map[string]bool, prefix string, ids []string) []string {
	var out []string
	for _, id := range ids {
		if key := prefix + id; !seen[key] {
			seen[key] = true
			out = append(out, id)
		}
	}
	return out
}

// tally records the result of one member's work: it returns true when it
// succeeded, and records a failure otherwise.
func (o SweepOptions) tally(r *SweepReport, failed map[string]bool, key string, err error) bool {
	if err == nil {
		return true
	}
	failed[key] = true
	if len(r.Errors) < maxSweepErrors {
		r.Errors = append(r.Errors, fmt.Errorf("%s: %w", key, err))
	}
	o.Logger.Error("loyalty sweep", "tenant", o.Tenant, "member", key, "err", err)
	return false
}

// op is the work fn on memberID as event eventID, with the sweep's effects.
func (o SweepOptions) op(memberID, eventID string, now time.Time, fn func(a *loyalty.Account) error) store.MemberOp {
	op := store.MemberOp{MemberID: memberID, EventID: eventID, Fn: fn}
	if o.Effects != nil {
		op.Effects = o.Effects(eventID, now)
	}
	return op
}

// apply runs ops in one store transaction, which writes each op's effects
// with its changes, and then runs the follow-ups of those that committed,
// each a transaction of its own with its effects. It returns each op's
// error. When the transaction as a whole fails, each op runs again on its
// own, so that one member cannot hold the batch back.
func (o SweepOptions) apply(ctx context.Context, ops []store.MemberOp, now time.Time) []error {
	errs := make([]error, len(ops))
	rs, err := o.Store.TransactMembers(ctx, o.Tenant, ops)
	if err != nil {
		if len(ops) == 1 || ctx.Err() != nil {
			for i := range errs {
				errs[i] = err
			}
			return errs
		}
		o.Logger.Warn("loyalty sweep: a batch failed, its members run one by one", "tenant", o.Tenant, "err", err)
		for i := range ops {
			errs[i] = o.apply(ctx, ops[i:i+1], now)[0]
		}
		return errs
	}
	for i, res := range rs {
		if errs[i] = res.Err; res.Err != nil {
			continue
		}
		errs[i] = o.followUps(ctx, res.FollowUps)
	}
	return errs
}

// followUps runs the follow-ups of a member's committed work.
func (o SweepOptions) followUps(ctx context.Context, fus []loyalty.FollowUp) error {
	if len(fus) == 0 {
		return nil
	}
	if o.FollowUps == nil {
		return errNoFollowUps
	}
	_, err := o.FollowUps(ctx, o.Store, o.Tenant, o.Program, fus, o.Effects)
	return err
}

// anniversaries celebrates the membership anniversaries that fall on now's
// local date. The store finds the members who joined on the UTC dates
// around it (a zone's day spans two UTC dates); those whose anniversary is
// truly today are celebrated, once a year.
func (o SweepOptions) anniversaries(ctx context.Context, r *SweepReport, failed, seen map[string]bool, now time.Time) {
	day := now.In(o.Program.Location)
	var days []int
	for _, d := range []time.Time{day.AddDate(0, 0, -1), day, day.AddDate(0, 0, 1)} {
		for _, md := range member.BirthdaysOn(d) {
			var m, dd int
			if _, err := fmt.Sscanf(md, "%d-%d", &m, &dd); err == nil {
				days = append(days, m*100+dd)
			}
		}
	}
	// Whoever joined after the start of the local year has no
	// anniversary this year; a day's margin covers every zone.
	before := time.Date(day.Year(), 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	after := ""
	for ctx.Err() == nil && o.keep(ctx, r) {
		found, err := o.Store.AnniversaryMembers(ctx, o.Tenant, days, before, day.Year(), after, o.Batch)
		if err != nil {
			o.Logger.Error("loyalty sweep: listing anniversaries", "tenant", o.Tenant, "err", err)
			return
		}
		if len(found) == 0 {
			return
		}
		after = found[len(found)-1].ID
		var ids []string
		for _, j := range found {
			if loyalty.Anniversary(j.JoinedAt, now, o.Program.Location) > 0 {
				ids = append(ids, j.ID)
			}
		}
		if todo := unseen(seen, "anniversary ", ids); len(todo) > 0 {
			r.Anniversaries += o.celebrate(ctx, r, failed, "anniversary", todo, day.Year(), now, o.Program.CelebrateAnniversary)
		}
	}
}

// celebrate celebrates what (a birthday, an anniversary) of the members
// of ids, in one batch, with fn under an event id of the member and the
// year: once a year, as the member's record of the year also says. It
// returns how many it celebrated.
func (o SweepOptions) celebrate(ctx context.Context, r *SweepReport, failed map[string]bool, what string, ids []string,
	year int, now time.Time, fn func(a *loyalty.Account, eventID string, now time.Time) (bool, error)) int {
	ops := make([]store.MemberOp, len(ids))
	for i, memberID := range ids {
		eventID := event.DerivedID("ev_", o.Tenant, what, memberID, fmt.Sprint(year))
		ops[i] = o.op(memberID, eventID, now, func(a *loyalty.Account) error {
			_, err := fn(a, eventID, now)
			return err
		})
	}
	n := 0
	for i, err := range o.apply(ctx, ops, now) {
		if o.tally(r, failed, what+" "+ids[i], err) {
			n++
		}
	}
	return n
}
