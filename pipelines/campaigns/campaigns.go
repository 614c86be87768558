// Package campaigns runs broadcasts: it keeps campaigns as operators
// write them, prepares a started campaign's audience into the outbox (one
// message per member, paced, under a lease so that one replica does it),
// holds, releases and skips its waiting messages on pause, resume and
// cancel, pauses it when its sends fail too often, and reports its
// progress and the comparison of its variants with its holdout.
//
// The messages it queues go through the send stage like every other:
// consent, STOP, quiet hours, the per-member cap, the number's messaging
// limit and a quality pause are decided there, at send time, and show in
// the campaign's progress as skips and deferrals.
package campaigns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loyalhub/loyalhub/core/campaign"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/ledger"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// Store is what campaigns read and write.
type Store interface {
	store.Campaigns
	store.Analytics
	store.Leases
}

// Audience finds a saved segment's members.
type Audience interface {
	Members(ctx context.Context, tenant, segment string, fn func(member.Member) error) error
}

// Errors the operator's requests get.
var (
	ErrInvalid  = campaign.ErrInvalid
	ErrNotFound = store.ErrNotFound
	ErrExists   = store.ErrExists
	// ErrState is returned for an action the campaign's state does not
	// allow, such as resuming a running campaign.
	ErrState = errors.New("not allowed in the campaign's state")
)

// Defaults of the runner.
const (
	DefaultPoll  = 5 * time.Second
	DefaultChunk = 500
	// hold is how far a pause moves a campaign's waiting messages: far
	// enough that none comes due while it is paused.
	hold = 100 * 365 * 24 * time.Hour
	// leaseTTL is how long one replica prepares a campaign before another
	// may take over; it is renewed with each chunk.
	leaseTTL = 2 * time.Minute
	// failure spike: at least spikeMin attempts of which spikeShare failed.
	spikeMin = 50
	// watchEvery is how often running campaigns' funnels are read.
	watchEvery = time.Minute
	spikeShare = 0.2
)

// Runner runs the tenants' campaigns. Set its fields, then call Run; its
// methods are safe for concurrent use.
type Runner struct {
	Store    Store
	Audience Audience
	Tenants  *runtime.Tenants
	Now      func() time.Time
	// Wake tells the sender new messages are queued.
	Wake   func()
	Logger *slog.Logger
	// Holder names this replica for leases.
	Holder string
	// Poll is how often due and running campaigns are looked at; Chunk
	// how many members one transaction prepares.
	Poll  time.Duration
	Chunk int
	// Messages, when set, shows running campaigns' messages by stage
	// (targeted, waiting, sent, delivered, read, failed, skipped), as the
	// watch last counted them.
	Messages *prometheus.GaugeVec // tenant, campaign, stage

	kick chan struct{}
	once sync.Once
	// watched is when running campaigns were last looked at.
	mu      sync.Mutex
	watched time.Time
}

func (r *Runner) init() {
	r.once.Do(func() {
		r.kick = make(chan struct{}, 1)
		if r.Poll <= 0 {
			r.Poll = DefaultPoll
		}
		if r.Chunk <= 0 {
			r.Chunk = DefaultChunk
		}
		if r.Logger == nil {
			r.Logger = slog.New(slog.DiscardHandler)
		}
		if r.Wake == nil {
			r.Wake = func() {}
		}
	})
}

// Kick asks Run to look at due campaigns now.
func (r *Runner) Kick() {
	r.init()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run prepares due campaigns and watches running ones until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	r.init()
	t := time.NewTicker(r.Poll)
	defer t.Stop()
	for {
		if err := r.RunDue(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Error("campaigns", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.kick:
		}
	}
}

// RunDue prepares every due campaign this replica gets the lease of, and
// checks running campaigns for a failure spike or their end.
func (r *Runner) RunDue(ctx context.Context) error {
	r.init()
	due, err := r.Store.DueCampaigns(ctx, r.Now(), 100)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range due {
		if err := r.prepareLeased(ctx, c); err != nil {
			errs = append(errs, fmt.Errorf("campaign %s/%s: %w", c.Tenant, c.Name, err))
		}
	}
	if r.watchDue() {
		for _, id := range r.Tenants.IDs() {
			if err := r.watch(ctx, id); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// watchDue reports whether running campaigns are due to be looked at,
// and if so notes that they are.
func (r *Runner) watchDue() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.Now()
	if now.Sub(r.watched) < watchEvery {
		return false
	}
	r.watched = now
	return true
}

// Create writes a new draft campaign after checking its spec against the
// tenant.
func (r *Runner) Create(ctx context.Context, t *runtime.Tenant, spec campaign.Spec) (store.Campaign, error) {
	if _, err := r.compile(t, spec); err != nil {
		return store.Campaign{}, err
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return store.Campaign{}, err
	}
	c := store.Campaign{Tenant: t.ID, Name: spec.Name, Spec: b, State: store.CampaignDraft, CreatedAt: r.Now()}
	if err := r.Store.CreateCampaign(ctx, c); err != nil {
		return store.Campaign{}, err
	}
	return r.Store.Campaign(ctx, t.ID, spec.Name)
}

// compile compiles a spec for tenant t and checks what only the tenant
// knows: its sender, the sender's templates when it lists them, and its
// time zone.
func (r *Runner) compile(t *runtime.Tenant, spec campaign.Spec) (*campaign.Compiled, error) {
	c, err := spec.Compile(t.ID)
	if err != nil {
		return nil, err
	}
	conn, ok := t.Connectors[spec.Sender]
	if !ok || conn.Sender == nil {
		return nil, fmt.Errorf("%w: sender: %q is not a WhatsApp connector of tenant %s", ErrInvalid, spec.Sender, t.ID)
	}
	if conn.Templates != nil {
		if cat := conn.Templates.Catalog(); cat.Len() > 0 {
			if err := c.CheckTemplates(cat); err != nil {
				return nil, err
			}
		}
	}
	if _, err := spec.StartAt(t.Location); err != nil {
		return nil, err
	}
	return c, nil
}

// Spec reads a stored campaign's spec.
func Spec(c store.Campaign) (campaign.Spec, error) {
	var s campaign.Spec
	if err := json.Unmarshal(c.Spec, &s); err != nil {
		return s, fmt.Errorf("campaign %s: reading its spec: %w", c.Name, err)
	}
	return s, nil
}

// Start schedules a draft campaign: at its start time, or now.
func (r *Runner) Start(ctx context.Context, t *runtime.Tenant, name string) (store.Campaign, error) {
	c, err := r.Store.Campaign(ctx, t.ID, name)
	if err != nil {
		return c, err
	}
	if c.State != store.CampaignDraft {
		return c, fmt.Errorf("%w: campaign %s is %s, only a draft starts", ErrState, name, c.State)
	}
	spec, err := Spec(c)
	if err != nil {
		return c, err
	}
	at, err := spec.StartAt(t.Location)
	if err != nil {
		return c, err
	}
	if now := r.Now(); at.Before(now) {
		at = now
	}
	c.State, c.StartAt = store.CampaignScheduled, at
	if err := r.update(ctx, c, store.CampaignDraft); err != nil {
		return c, err
	}
	r.Kick()
	return r.Store.Campaign(ctx, t.ID, name)
}

// update writes c if it is still in state from.
func (r *Runner) update(ctx context.Context, c store.Campaign, from string) error {
	ok, err := r.Store.UpdateCampaign(ctx, c, from)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: campaign %s changed state meanwhile", ErrState, c.Name)
	}
	return nil
}

// Pause holds a scheduled or running campaign: its preparation stops and
// its waiting messages are not sent until it is resumed.
func (r *Runner) Pause(ctx context.Context, t *runtime.Tenant, name, reason string) (store.Campaign, error) {
	c, err := r.Store.Campaign(ctx, t.ID, name)
	if err != nil {
		return c, err
	}
	if err := r.pause(ctx, c, reason); err != nil {
		return c, err
	}
	return r.Store.Campaign(ctx, t.ID, name)
}

func (r *Runner) pause(ctx context.Context, c store.Campaign, reason string) error {
	from := c.State
	if from != store.CampaignScheduled && from != store.CampaignRunning {
		return fmt.Errorf("%w: campaign %s is %s, only a scheduled or running campaign pauses", ErrState, c.Name, from)
	}
	now := r.Now()
	c.State, c.PausedAt, c.Reason = store.CampaignPaused, &now, reason
	if from == store.CampaignScheduled {
		c.Reason = reason + " (while preparing)"
	}
	if err := r.update(ctx, c, from); err != nil {
		return err
	}
	n, err := r.Store.ShiftCampaignMessages(ctx, c.Tenant, campaign.OriginPrefix(c.Name), hold)
	if err != nil {
		return err
	}
	r.Logger.Info("campaign paused", "tenant", c.Tenant, "campaign", c.Name, "held", n, "reason", reason)
	return nil
}

// Resume releases a paused campaign: its waiting messages come due as
// much later as it was paused, and a campaign paused while it was being
// prepared is prepared again from where it stopped.
func (r *Runner) Resume(ctx context.Context, t *runtime.Tenant, name string) (store.Campaign, error) {
	c, err := r.Store.Campaign(ctx, t.ID, name)
	if err != nil {
		return c, err
	}
	if c.State != store.CampaignPaused {
		return c, fmt.Errorf("%w: campaign %s is %s, only a paused campaign resumes", ErrState, name, c.State)
	}
	now := r.Now()
	paused := now
	if c.PausedAt != nil {
		paused = *c.PausedAt
	}
	c.State, c.PausedAt, c.Reason = store.CampaignRunning, nil, ""
	if c.Prepared == nil {
		c.State = store.CampaignScheduled
	}
	if err := r.update(ctx, c, store.CampaignPaused); err != nil {
		return c, err
	}
	if _, err := r.Store.ShiftCampaignMessages(ctx, t.ID, campaign.OriginPrefix(name), -hold+now.Sub(paused)); err != nil {
		return c, err
	}
	r.Wake()
	r.Kick()
	return r.Store.Campaign(ctx, t.ID, name)
}

// Cancel ends a campaign for good: its waiting messages are skipped as
// cancelled; those already sent stay sent.
func (r *Runner) Cancel(ctx context.Context, t *runtime.Tenant, name, reason string) (store.Campaign, error) {
	c, err := r.Store.Campaign(ctx, t.ID, name)
	if err != nil {
		return c, err
	}
	if c.State == store.CampaignCancelled || c.State == store.CampaignCompleted {
		return c, fmt.Errorf("%w: campaign %s is already %s", ErrState, name, c.State)
	}
	from := c.State
	c.State, c.Reason = store.CampaignCancelled, reason
	if err := r.update(ctx, c, from); err != nil {
		return c, err
	}
	if _, err := r.Store.SkipCampaignMessages(ctx, t.ID, campaign.OriginPrefix(name), store.CodeCancelled,
		"campaign cancelled: "+reason, r.Now()); err != nil {
		return c, err
	}
	return r.Store.Campaign(ctx, t.ID, name)
}

// prepareLeased prepares a due campaign if this replica gets its lease.
func (r *Runner) prepareLeased(ctx context.Context, c store.Campaign) error {
	lease := "campaign:" + c.Tenant + "/" + c.Name
	ok, err := r.Store.AcquireLease(ctx, lease, r.Holder, leaseTTL)
	if err != nil || !ok {
		return err
	}
	defer func() {
		if err := r.Store.ReleaseLease(context.WithoutCancel(ctx), lease, r.Holder); err != nil {
			r.Logger.Warn("releasing campaign lease", "lease", lease, "error", err)
		}
	}()
	t, ok := r.Tenants.Tenant(c.Tenant)
	if !ok {
		return fmt.Errorf("tenant %s is not configured", c.Tenant)
	}
	renew := func() error {
		ok, err := r.Store.AcquireLease(ctx, lease, r.Holder, leaseTTL)
		if err == nil && !ok {
			err = errors.New("lost the campaign's lease to another replica")
		}
		return err
	}
	return r.prepare(ctx, t, c, renew)
}

// Preparation is what preparing an audience found: the campaign's counts
// and, for a dry run, samples of what members would get.
type Preparation struct {
	Audience   int64            `json:"audience"`
	HeldOut    int64            `json:"held_out"`
	NoPhone    int64            `json:"no_phone"`
	OverBudget int64            `json:"over_budget"`
	Failed     int64            `json:"render_failed"`
	Queued     int64            `json:"queued"`
	ByVariant  map[string]int64 `json:"by_variant"`
	// Cost is the estimated cost of the messages queued, by the tenant's
	// rate card, in micros of its currency.
	Cost int64 `json:"cost_micros"`
}

// walk places and renders every member of a campaign's audience,
// calling queue for each message within the budget and held for each
// held-out member.
func (r *Runner) walk(ctx context.Context, t *runtime.Tenant, c *campaign.Compiled,
	queue func(campaign.Placement, member.Member, store.Message) error, held func(member.Member) error) (Preparation, error) {
	p := Preparation{ByVariant: map[string]int64{}}
	now := r.Now()
	priced := t.Rates.Priced() // reading a number's country is dear: only for a rate card
	err := r.Audience.Members(ctx, t.ID, c.Spec.Segment, func(m member.Member) error {
		p.Audience++
		pl := c.Place(t.ID, m.ID)
		if pl.Holdout {
			p.HeldOut++
			return held(m)
		}
		cmd, err := c.Message(t.ID, pl, m)
		switch {
		case errors.Is(err, campaign.ErrNoPhone):
			p.NoPhone++
			return nil
		case err != nil:
			p.Failed++
			r.Logger.Warn("campaign message failed to render", "tenant", t.ID, "campaign", c.Spec.Name, "member", m.ID, "error", err)
			return nil
		}
		var cost int64
		if priced {
			cost = t.Rates.Estimate(cmd, member.Contact{}, now)
		}
		if c.Budget > 0 && p.Cost+cost > c.Budget {
			p.OverBudget++
			return nil
		}
		msg, err := ledger.OutboxMessage(cmd)
		if err != nil {
			return err
		}
		p.Cost += cost
		p.Queued++
		p.ByVariant[pl.Variant]++
		return queue(pl, m, msg)
	})
	return p, err
}

// prepare writes a scheduled campaign's audience to the outbox in chunks,
// each message due at the campaign's pace from its start (or now, when
// that has passed); then the campaign runs. Preparing again writes
// nothing twice: messages keep their keys and held-out members their
// rows.
func (r *Runner) prepare(ctx context.Context, t *runtime.Tenant, c store.Campaign, renew func() error) error {
	spec, err := Spec(c)
	if err != nil {
		return err
	}
	comp, err := r.compile(t, spec)
	if err != nil {
		return r.cancelInvalid(ctx, c, err)
	}
	start := r.Now()
	if c.StartAt.After(start) {
		start = c.StartAt
	}
	step := time.Duration(float64(time.Second) / comp.Rate)
	ch := store.CampaignChunk{Tenant: t.ID, Campaign: c.Name}
	var queued int64
	stopped := false
	flush := func() error {
		if len(ch.Messages)+len(ch.HeldOut) == 0 {
			return nil
		}
		ch.At = r.Now()
		written, err := r.Store.WriteCampaignChunk(ctx, ch)
		if err != nil {
			return err
		}
		if !written {
			stopped = true
			return errStopped
		}
		r.Wake()
		ch.Messages, ch.HeldOut = ch.Messages[:0], ch.HeldOut[:0]
		return renew()
	}
	full := func() error {
		if len(ch.Messages)+len(ch.HeldOut) >= r.Chunk {
			return flush()
		}
		return nil
	}
	prep, err := r.walk(ctx, t, comp,
		func(_ campaign.Placement, _ member.Member, m store.Message) error {
			m.CreatedAt = r.Now()
			m.DueAt = start.Add(time.Duration(queued) * step)
			queued++
			ch.Messages = append(ch.Messages, m)
			return full()
		},
		func(m member.Member) error {
			ch.HeldOut = append(ch.HeldOut, m.ID)
			return full()
		})
	if err == nil {
		err = flush()
	}
	if stopped {
		r.Logger.Info("campaign preparation stopped: paused or cancelled", "tenant", t.ID, "campaign", c.Name)
		return nil
	}
	if err != nil {
		return err
	}
	now := r.Now()
	c.State, c.Prepared = store.CampaignRunning, &now
	c.Audience, c.HeldOut, c.NoPhone, c.OverBudget, c.Failed, c.Cost =
		prep.Audience, prep.HeldOut, prep.NoPhone, prep.OverBudget, prep.Failed, prep.Cost
	if err := r.update(ctx, c, store.CampaignScheduled); err != nil {
		if errors.Is(err, ErrState) {
			return nil // paused or cancelled after its last chunk
		}
		return err
	}
	r.Logger.Info("campaign prepared", "tenant", t.ID, "campaign", c.Name, "audience", prep.Audience,
		"queued", prep.Queued, "held_out", prep.HeldOut, "no_phone", prep.NoPhone, "over_budget", prep.OverBudget)
	return nil
}

var errStopped = errors.New("campaign stopped")

// cancelInvalid cancels a campaign whose spec no longer fits its tenant
// (a sender removed from the config): it cannot be prepared.
func (r *Runner) cancelInvalid(ctx context.Context, c store.Campaign, cause error) error {
	from := c.State
	c.State, c.Reason = store.CampaignCancelled, "no longer valid: "+cause.Error()
	if err := r.update(ctx, c, from); err != nil {
		return err
	}
	return cause
}

// DryRun says who would get what and what it would cost, without writing
// anything: the counts of a preparation now and up to samples rendered
// messages.
func (r *Runner) DryRun(ctx context.Context, t *runtime.Tenant, spec campaign.Spec, samples int) (Preparation, []Sample, error) {
	r.init()
	comp, err := r.compile(t, spec)
	if err != nil {
		return Preparation{}, nil, err
	}
	var out []Sample
	p, err := r.walk(ctx, t, comp,
		func(pl campaign.Placement, m member.Member, msg store.Message) error {
			if len(out) < samples {
				var cmd json.RawMessage = msg.Command
				out = append(out, Sample{MemberID: m.ID, Phone: m.Phone, Variant: pl.Variant, Command: cmd})
			}
			return nil
		},
		func(member.Member) error { return nil })
	return p, out, err
}

// Sample is one member's message in a dry run.
type Sample struct {
	MemberID string          `json:"member_id"`
	Phone    string          `json:"phone"`
	Variant  string          `json:"variant"`
	Command  json.RawMessage `json:"message"`
}
