package campaigns

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/campaign"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

type sender struct{}

func (sender) Send(context.Context, messaging.Command) (messaging.Result, error) {
	return messaging.Result{}, nil
}

// audience is a segment of n members, the first noPhone of them without
// a phone.
type audience struct{ n, noPhone int }

func (a audience) Members(ctx context.Context, tenant, segment string, fn func(member.Member) error) error {
	if segment != "gold" {
		return fmt.Errorf("segment %q: %w", segment, store.ErrNotFound)
	}
	for i := range a.n {
		m := member.Member{ID: fmt.Sprintf("m%05d", i), Tenant: tenant, Name: fmt.Sprintf("Member %d", i), Balance: int64(i),
			Tier: member.Tier{Name: "Gold"}}
		if i >= a.noPhone {
			m.Phone = fmt.Sprintf("+62812%07d", i)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func setup(t testing.TB, a Audience, rates config.Pricing) (*Runner, *runtime.Tenant, *sqlite.Store, *clock) {
	t.Helper()
	c := &clock{now: time.Date(2026, 12, 11, 2, 0, 0, 0, time.UTC)}
	st := sqlite.New(filepath.Join(t.TempDir(), "loyalhub.db")).WithClock(c.Now)
	require.NoError(t, st.Migrate(context.Background()))
	t.Cleanup(func() { st.Close() })
	jkt, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	tenant := &runtime.Tenant{ID: "acme", Location: jkt, Rates: messaging.NewRateCard(rates),
		Connectors: map[string]*runtime.Connector{"wa": {Name: "wa", Sender: sender{}}}}
	r := &Runner{Store: st, Audience: a, Tenants: runtime.NewTenants(runtime.Snapshot{"acme": tenant}), Now: c.Now, Holder: "test", Chunk: 7}
	return r, tenant, st, c
}

func spec() campaign.Spec {
	return campaign.Spec{Name: "double-weekend", Segment: "gold", Sender: "wa", Holdout: 10, Rate: 10,
		Variants: []campaign.Variant{
			{Name: "a", Template: config.NotificationTmpl{Name: "double_points", Language: "en", Body: []string{"data.first_name"}}},
			{Name: "b", Template: config.NotificationTmpl{Name: "double_points_b", Language: "en", Body: []string{"member.name"}}},
		}}
}

func waiting(t *testing.T, st *sqlite.Store) map[string]store.Message {
	t.Helper()
	ms, err := st.ListMessages(context.Background(), "acme", store.MessageFilter{Limit: store.MaxLimit})
	require.NoError(t, err)
	out := map[string]store.Message{}
	for _, m := range ms {
		out[m.Key] = m
	}
	return out
}

func TestPrepareQueuesOneMessagePerMemberPacedAndOnce(t *testing.T) {
	ctx := context.Background()
	r, tenant, st, c := setup(t, audience{n: 100, noPhone: 3}, config.Pricing{})
	_, err := r.Create(ctx, tenant, spec())
	require.NoError(t, err)
	_, err = r.Create(ctx, tenant, spec())
	require.ErrorIs(t, err, ErrExists)

	// Start at 10:00 in Jakarta: nothing before then.
	s2 := spec()
	s2.Name, s2.Start = "later", "2026-12-11T10:00"
	_, err = r.Create(ctx, tenant, s2)
	require.NoError(t, err)
	later, err := r.Start(ctx, tenant, "later")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 12, 11, 3, 0, 0, 0, time.UTC), later.StartAt.UTC())

	c2, err := r.Start(ctx, tenant, "double-weekend")
	require.NoError(t, err)
	assert.Equal(t, store.CampaignScheduled, c2.State)
	_, err = r.Start(ctx, tenant, "double-weekend")
	require.ErrorIs(t, err, ErrState)

	require.NoError(t, r.RunDue(ctx))
	got, err := st.Campaign(ctx, "acme", "double-weekend")
	require.NoError(t, err)
	assert.Equal(t, store.CampaignRunning, got.State)
	assert.Equal(t, int64(100), got.Audience)
	assert.Equal(t, int64(3), got.NoPhone)
	assert.InDelta(t, 10, got.HeldOut, 7)
	ms := waiting(t, st)
	assert.Len(t, ms, int(100-3-got.HeldOut), "one message per member with a phone, not held out")
	for _, m := range ms {
		assert.Equal(t, store.MessageQueued, m.Status)
		assert.Contains(t, []string{"campaign:double-weekend/a", "campaign:double-weekend/b"}, m.Origin)
		assert.Equal(t, messaging.CategoryMarketing, m.Category)
	}
	due, err := st.DueMessages(ctx, c.Now(), store.MaxLimit, time.Minute)
	require.NoError(t, err)
	assert.Len(t, due, 1, "paced at 10 a second: only the first is due at once")
	due, err = st.DueMessages(ctx, c.Now().Add(time.Second), store.MaxLimit, time.Minute)
	require.NoError(t, err)
	assert.Len(t, due, 10)

	notYet, err := st.Campaign(ctx, "acme", "later")
	require.NoError(t, err)
	assert.Equal(t, store.CampaignScheduled, notYet.State, "a campaign is prepared at its start, not before")

	// Preparing again (a crash before the state was written, or another
	// replica) writes nothing twice.
	got.State = store.CampaignScheduled
	ok, err := st.UpdateCampaign(ctx, got, store.CampaignRunning)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, r.RunDue(ctx))
	assert.Len(t, waiting(t, st), len(ms))

	p, err := r.Progress(ctx, tenant, "double-weekend")
	require.NoError(t, err)
	assert.Equal(t, int64(len(ms)), p.Totals.Targeted)
	assert.Equal(t, int64(len(ms)), p.Totals.Waiting)
	assert.Equal(t, got.HeldOut, p.Holdout.Members)
	require.Len(t, p.Variants, 2)
	assert.Equal(t, p.Totals.Targeted, p.Variants[0].Targeted+p.Variants[1].Targeted)
	assert.NotNil(t, p.Variants[1].VsFirst)
}

func TestPauseResumeCancel(t *testing.T) {
	ctx := context.Background()
	r, tenant, st, c := setup(t, audience{n: 40}, config.Pricing{})
	_, err := r.Create(ctx, tenant, spec())
	require.NoError(t, err)
	_, err = r.Start(ctx, tenant, "double-weekend")
	require.NoError(t, err)
	require.NoError(t, r.RunDue(ctx))
	n := len(waiting(t, st))
	require.Positive(t, n)

	_, err = r.Resume(ctx, tenant, "double-weekend")
	require.ErrorIs(t, err, ErrState)
	paused, err := r.Pause(ctx, tenant, "double-weekend", "by ops")
	require.NoError(t, err)
	assert.Equal(t, store.CampaignPaused, paused.State)
	c.add(time.Hour)
	due, err := st.DueMessages(ctx, c.Now().Add(24*time.Hour), store.MaxLimit, time.Minute)
	require.NoError(t, err)
	assert.Empty(t, due, "paused, nothing comes due")

	resumed, err := r.Resume(ctx, tenant, "double-weekend")
	require.NoError(t, err)
	assert.Equal(t, store.CampaignRunning, resumed.State)
	due, err = st.DueMessages(ctx, c.Now().Add(-time.Second), store.MaxLimit, time.Minute)
	require.NoError(t, err)
	assert.Empty(t, due, "resumed, messages come due as much later as the pause lasted")
	due, err = st.DueMessages(ctx, c.Now().Add(10*time.Second), store.MaxLimit, time.Minute)
	require.NoError(t, err)
	assert.NotEmpty(t, due)

	cancelled, err := r.Cancel(ctx, tenant, "double-weekend", "wrong offer")
	require.NoError(t, err)
	assert.Equal(t, store.CampaignCancelled, cancelled.State)
	for _, m := range waiting(t, st) {
		assert.Equal(t, store.MessageSkipped, m.Status)
		assert.Equal(t, store.CodeCancelled, m.ErrorCode)
	}
	_, err = r.Pause(ctx, tenant, "double-weekend", "again")
	require.ErrorIs(t, err, ErrState)
	p, err := r.Progress(ctx, tenant, "double-weekend")
	require.NoError(t, err)
	assert.Equal(t, int64(n), p.Totals.Skipped[store.CodeCancelled])
}

// stopAfter pauses the campaign from inside its audience walk, as an
// operator's pause during a long preparation would.
type stopAfter struct {
	audience
	at    int
	pause func()
}

func (a stopAfter) Members(ctx context.Context, tenant, segment string, fn func(member.Member) error) error {
	i := 0
	return a.audience.Members(ctx, tenant, segment, func(m member.Member) error {
		if i++; i == a.at {
			a.pause()
		}
		return fn(m)
	})
}

func TestPauseDuringPreparationHoldsEveryChunk(t *testing.T) {
	ctx := context.Background()
	var r *Runner
	var tenant *runtime.Tenant
	a := &stopAfter{audience: audience{n: 60}, at: 30}
	r, tenant, st, c := setup(t, a, config.Pricing{})
	a.pause = func() {
		_, err := r.Pause(ctx, tenant, "double-weekend", "by ops")
		require.NoError(t, err)
	}
	_, err := r.Create(ctx, tenant, spec())
	require.NoError(t, err)
	_, err = r.Start(ctx, tenant, "double-weekend")
	require.NoError(t, err)
	require.NoError(t, r.RunDue(ctx))
	partial := len(waiting(t, st))
	assert.Less(t, partial, 30, "preparation stops at the pause")
	due, err := st.DueMessages(ctx, c.Now().Add(time.Hour), store.MaxLimit, time.Minute)
	require.NoError(t, err)
	assert.Empty(t, due, "every chunk written before the pause is held")

	_, err = r.Resume(ctx, tenant, "double-weekend")
	require.NoError(t, err)
	a.at = -1
	require.NoError(t, r.RunDue(ctx))
	got, err := st.Campaign(ctx, "acme", "double-weekend")
	require.NoError(t, err)
	assert.Equal(t, store.CampaignRunning, got.State)
	assert.Len(t, waiting(t, st), int(60-got.HeldOut), "resumed, the preparation finishes without writing twice")
}

func TestBudgetAndDryRun(t *testing.T) {
	ctx := context.Background()
	r, tenant, st, _ := setup(t, audience{n: 50, noPhone: 2}, config.Pricing{Currency: "USD",
		Rates: map[string]config.Rates{"default": {Marketing: "0.0411"}}})
	s := spec()
	s.Budget = "1.00" // 24 messages at 0.0411
	p, samples, err := r.DryRun(ctx, tenant, s, 3)
	require.NoError(t, err)
	assert.Equal(t, int64(50), p.Audience)
	assert.Equal(t, int64(2), p.NoPhone)
	assert.Equal(t, int64(24), p.Queued)
	assert.Equal(t, int64(24*41100), p.Cost)
	assert.Equal(t, 50-2-p.HeldOut-24, p.OverBudget)
	assert.Equal(t, p.Queued, p.ByVariant["a"]+p.ByVariant["b"])
	require.Len(t, samples, 3)
	assert.Contains(t, string(samples[0].Command), `"double_points`)
	assert.Empty(t, waiting(t, st), "a dry run writes nothing")

	s.Segment = "nope"
	_, _, err = r.DryRun(ctx, tenant, s, 3)
	assert.ErrorIs(t, err, store.ErrNotFound)
	s.Sender = "sms"
	_, err = r.Create(ctx, tenant, s)
	assert.ErrorIs(t, err, ErrInvalid)
	assert.ErrorContains(t, err, "sender:")
}

func TestSpike(t *testing.T) {
	assert.Empty(t, Spike(store.FunnelRow{Sent: 30, Failed: 19}), "too few attempts to judge")
	assert.Empty(t, Spike(store.FunnelRow{Sent: 90, Failed: 10}))
	assert.Equal(t, "failures spiked: 25 of 100 attempts failed (25%)", Spike(store.FunnelRow{Sent: 75, Failed: 25}))
}

func TestCreateChecksTheSendersTemplates(t *testing.T) {
	ctx := context.Background()
	r, tenant, _, _ := setup(t, audience{n: 1}, config.Pricing{})
	tpl := runtime.NewTemplates(lister{{Name: "double_points", Language: "en", Category: "marketing",
		Status: messaging.TemplateApproved, BodyParams: []string{"1"}}})
	_, _, err := tpl.Fetch(ctx, time.Now())
	require.NoError(t, err)
	tenant.Connectors["wa"].Templates = tpl
	_, err = r.Create(ctx, tenant, spec())
	require.ErrorIs(t, err, ErrInvalid)
	assert.ErrorContains(t, err, `variants[1].template: template "double_points_b" does not exist`)
}

type lister []messaging.TemplateInfo

func (l lister) Templates(context.Context) ([]messaging.TemplateInfo, error) { return l, nil }

// TestWatchShowsPausesOnSpikeAndCompletes: the once-a-minute watch shows a
// running campaign's messages by stage, pauses it when a fifth of its
// attempts failed, and completes one with nothing left waiting.
func TestWatchShowsPausesOnSpikeAndCompletes(t *testing.T) {
	ctx := context.Background()
	r, tenant, st, c := setup(t, audience{n: 100}, config.Pricing{})
	r.Messages = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "campaign_messages"}, []string{"tenant", "campaign", "stage"})
	gauge := func(name, stage string) float64 {
		var m dto.Metric
		require.NoError(t, r.Messages.WithLabelValues("acme", name, stage).Write(&m))
		return m.GetGauge().GetValue()
	}
	finish := func(ms map[string]store.Message, sent, failed int) {
		t.Helper()
		for _, m := range ms {
			cur, claimed, err := st.ClaimMessage(ctx, m)
			require.NoError(t, err)
			require.True(t, claimed, "%+v", cur)
			switch {
			case sent > 0:
				require.NoError(t, st.MarkSent(ctx, m.Key, "wamid."+m.Key, c.Now()))
				sent--
			case failed > 0:
				require.NoError(t, st.MarkFailed(ctx, m.Key, "131026", "undeliverable", c.Now()))
				failed--
			default:
				return
			}
		}
	}

	sp := spec()
	_, err := r.Create(ctx, tenant, sp)
	require.NoError(t, err)
	_, err = r.Start(ctx, tenant, sp.Name)
	require.NoError(t, err)
	require.NoError(t, r.RunDue(ctx))
	ms := waiting(t, st)
	n := float64(len(ms))
	require.NoError(t, r.watch(ctx, "acme"))
	assert.Equal(t, n, gauge(sp.Name, "targeted"))
	assert.Equal(t, n, gauge(sp.Name, "waiting"))
	got, err := st.Campaign(ctx, "acme", sp.Name)
	require.NoError(t, err)
	assert.Equal(t, store.CampaignRunning, got.State, "messages still wait")

	finish(ms, 40, 20)
	require.NoError(t, r.watch(ctx, "acme"))
	assert.Equal(t, 40.0, gauge(sp.Name, "sent"))
	assert.Equal(t, 20.0, gauge(sp.Name, "failed"))
	assert.Equal(t, n-60, gauge(sp.Name, "waiting"))
	got, err = st.Campaign(ctx, "acme", sp.Name)
	require.NoError(t, err)
	assert.Equal(t, store.CampaignPaused, got.State)
	assert.Equal(t, "failures spiked: 20 of 60 attempts failed (33.3%)", got.Reason)

	// A small campaign all sent completes.
	small := spec()
	small.Name, small.Holdout = "small", 0
	r.Audience = audience{n: 5}
	_, err = r.Create(ctx, tenant, small)
	require.NoError(t, err)
	_, err = r.Start(ctx, tenant, small.Name)
	require.NoError(t, err)
	require.NoError(t, r.RunDue(ctx))
	all := waiting(t, st)
	mine := map[string]store.Message{}
	for k, m := range all {
		if strings.HasPrefix(m.Origin, campaign.OriginPrefix(small.Name)) {
			mine[k] = m
		}
	}
	require.Len(t, mine, 5)
	finish(mine, 5, 0)
	require.NoError(t, r.watch(ctx, "acme"))
	got, err = st.Campaign(ctx, "acme", small.Name)
	require.NoError(t, err)
	assert.Equal(t, store.CampaignCompleted, got.State)
	assert.Equal(t, 5.0, gauge(small.Name, "sent"))
	assert.Zero(t, gauge(small.Name, "waiting"))
}
