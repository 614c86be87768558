package programtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/pipelines/ledger"
	"github.com/loyalhub/loyalhub/pipelines/process"
	"github.com/loyalhub/loyalhub/pipelines/schedule"
)

// maxEntries is the most ledger entries a case can count.
const maxEntries = 1000

// Report is what running a suite found.
type Report struct {
	// File is the test file.
	File  string
	Cases []CaseResult
}

// CaseResult is one case's outcome: it passed when it has no failures.
type CaseResult struct {
	Name string
	// Failures are the mismatches and the steps' errors, one line each:
	// "balance: want 25, got 24", "step 2 (order.refunded): order not
	// found: A9".
	Failures []string
	// Notes explain what may have surprised the case, such as an event
	// type the program ignores.
	Notes []string
}

// Passed reports whether the case had no failures.
func (c CaseResult) Passed() bool { return len(c.Failures) == 0 }

// Failed returns how many cases failed.
func (r Report) Failed() int {
	n := 0
	for _, c := range r.Cases {
		if !c.Passed() {
			n++
		}
	}
	return n
}

// Run runs every case, each on a fresh in-memory store.
func (s *Suite) Run(ctx context.Context) Report {
	rep := Report{File: s.Path}
	for _, c := range s.Cases {
		rep.Cases = append(rep.Cases, s.runCase(ctx, c))
	}
	return rep
}

// outcome is an outcome type emitted for a member.
type outcome struct {
	memberID, typ string
}

// caseRun is one case's state while it runs.
type caseRun struct {
	s        *Suite
	st       *sqlite.Store
	res      CaseResult
	outcomes []outcome
}

func (s *Suite) runCase(ctx context.Context, c Case) CaseResult {
	r := &caseRun{s: s, st: sqlite.New(":memory:"), res: CaseResult{Name: c.Name}}
	defer func() { _ = r.st.Close() }()
	if err := r.st.Migrate(ctx); err != nil {
		r.failf("opening an in-memory store: %v", err)
		return r.res
	}
	for i, st := range c.Steps {
		label := fmt.Sprintf("step %d (%s)", i+1, st.Kind())
		err := r.step(ctx, label, st)
		switch {
		case st.Error != "" && err == nil:
			r.failf("%s: want an error containing %q, got none", label, st.Error)
		case st.Error != "" && !strings.Contains(err.Error(), st.Error):
			r.failf("%s: want an error containing %q, got: %v", label, st.Error, err)
		case st.Error == "" && err != nil:
			r.failf("%s: %v", label, err)
		}
	}
	r.check(ctx, c.Expect)
	return r.res
}

func (r *caseRun) failf(format string, args ...any) {
	r.res.Failures = append(r.res.Failures, fmt.Sprintf(format, args...))
}

func (r *caseRun) record(res store.AccountResult) {
	if res.Replayed {
		return
	}
	for _, o := range res.Outcomes {
		r.outcomes = append(r.outcomes, outcome{memberID: res.Member.ID, typ: o.Type})
	}
}

func (r *caseRun) step(ctx context.Context, label string, st Step) error {
	switch {
	case st.Event != nil:
		return r.event(ctx, label, *st.Event)
	case st.Sweep != nil:
		return r.sweep(ctx, *st.Sweep)
	default:
		return r.adjust(ctx, *st.Adjust)
	}
}

// event applies an event as the hub's loyalty stage does.
func (r *caseRun) event(ctx context.Context, label string, ev event.Event) error {
	p := r.s.program
	ev.Tenant = r.s.Tenant
	if !p.Handles(ev.Type) {
		r.res.Notes = append(r.res.Notes, fmt.Sprintf("%s: the program has no rule for %s events, so the hub ignores them", label, ev.Type))
		return nil
	}
	ref, err := process.AccountRef(r.s.region, ev)
	if err != nil {
		return err
	}
	res, err := r.st.Transact(ctx, ev.Tenant, ev.ID, ref, ev.OccurredAt, func(a *loyalty.Account) error {
		return p.Apply(a, ev)
	})
	refund := ev.Type == event.TypeOrderRefunded || ev.Type == event.TypeOrderCancelled
	if refund && errors.Is(err, store.ErrNoMember) {
		err = fmt.Errorf("%w: %s", loyalty.ErrOrderNotFound, ref.OrderID)
	}
	if err != nil {
		return err
	}
	r.record(res)
	// Follow-ups, such as a referrer's reward, run after the event as the
	// hub runs them.
	more, err := ledger.RunFollowUps(ctx, r.st, ev.Tenant, p, res.FollowUps, nil)
	for _, fr := range more {
		r.record(fr)
	}
	return err
}

// adjust applies a manual correction to an existing member.
func (r *caseRun) adjust(ctx context.Context, a Adjust) error {
	ref := store.AccountRef{MemberID: a.MemberID}
	who := a.MemberID
	if a.Phone != "" {
		phone, err := member.NormalizePhone(a.Phone, r.s.region)
		if err != nil {
			return err
		}
		ref, who = store.AccountRef{Phone: phone}, phone
	}
	res, err := r.st.Transact(ctx, r.s.Tenant, a.ID, ref, a.At, func(acc *loyalty.Account) error {
		return r.s.program.Adjust(acc, a.ID, a.Points, a.Reason, a.At)
	})
	if errors.Is(err, store.ErrNoMember) {
		return fmt.Errorf("%w: %s", err, who)
	}
	if err != nil {
		return err
	}
	r.record(res)
	return nil
}

// sweep runs the hub's sweep of the tenant at now (schedule.SweepTenant)
// and records the outcomes of its transactions, as the hook that writes
// their notifications sees them: once per committed change (a birthday
// already celebrated has no outcome again).
func (r *caseRun) sweep(ctx context.Context, now time.Time) error {
	rep := schedule.SweepTenant(ctx, schedule.SweepOptions{
		Store: r.st, Tenant: r.s.Tenant, Program: r.s.program, FollowUps: ledger.RunFollowUps,
		Effects: func(string, time.Time) func(store.AccountResult) (store.Effects, error) {
			return func(res store.AccountResult) (store.Effects, error) {
				for _, oc := range res.Outcomes {
					r.outcomes = append(r.outcomes, outcome{memberID: res.Member.ID, typ: oc.Type})
				}
				return store.Effects{}, nil
			}
		},
	}, now)
	return errors.Join(rep.Errors...)
}

// check compares the expected member with the store.
func (r *caseRun) check(ctx context.Context, e Expect) {
	tenant := r.s.Tenant
	id := member.Identity{Kind: member.IdentityEmail, Value: e.Email}
	if e.Phone != "" {
		phone, err := member.NormalizePhone(e.Phone, r.s.region)
		if err != nil {
			r.failf("expect.phone: %v", err)
			return
		}
		id = member.Identity{Kind: member.IdentityPhone, Value: phone}
	}
	m, err := r.st.MemberByIdentity(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		r.failf("member %s: not found: no step created a member with this %s", id.Value, id.Kind)
		return
	}
	if err != nil {
		r.failf("member %s: %v", id.Value, err)
		return
	}
	if e.Balance != nil && *e.Balance != m.Balance {
		r.failf("balance: want %d, got %d", *e.Balance, m.Balance)
	}
	if e.Pending != nil && *e.Pending != m.Pending {
		r.failf("pending: want %d, got %d", *e.Pending, m.Pending)
	}
	if e.Tier != "" && !strings.EqualFold(e.Tier, m.Tier.Name) {
		r.failf("tier: want %s, got %s", e.Tier, m.Tier.Name)
	}
	if e.CheckOutcomes {
		got := []string{}
		for _, o := range r.outcomes {
			if o.memberID == m.ID {
				got = append(got, o.typ)
			}
		}
		if !slices.Equal(e.Outcomes, got) {
			r.failf("outcomes: want [%s], got [%s]", strings.Join(e.Outcomes, ", "), strings.Join(got, ", "))
		}
	}
	if err := r.consistent(ctx, m); err != nil {
		r.failf("ledger of member %s: %v", id.Value, err)
	}
	if e.Entries != nil {
		entries, err := r.st.Entries(ctx, tenant, m.ID, maxEntries)
		switch {
		case err != nil:
			r.failf("entries: %v", err)
		case len(entries) != *e.Entries:
			r.failf("entries: want %d, got %d", *e.Entries, len(entries))
		}
	}
}

// consistent checks the member's lots against its balance and pending
// points with the engine's own invariants.
func (r *caseRun) consistent(ctx context.Context, m member.Member) error {
	lots, err := r.st.Lots(ctx, r.s.Tenant, m.ID)
	if err != nil {
		return err
	}
	a := &loyalty.Account{Member: store.LoyaltyMember(m)}
	for i := range lots {
		a.Lots = append(a.Lots, &lots[i])
	}
	return a.Check(r.s.program.AllowNegative)
}
