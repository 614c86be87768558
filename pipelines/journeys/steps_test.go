package journeys

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/journey"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
)

// surveyBranch is a post-purchase flow: a template, then up to 48 hours
// for the member's reply (thanks and a tag) or else a nudge.
func surveyBranch(event string) []config.JourneyStep {
	return []config.JourneyStep{
		{Send: send("how_was_it")},
		{WaitFor: &config.JourneyWaitFor{Event: event, Within: 48 * time.Hour, Then: "thanks", Else: "nudge"}},
		{Name: "nudge", Send: send("nudge")},
		{Goto: "end"},
		{Name: "thanks", Tag: &config.JourneyTag{Add: []string{"engaged"}, Remove: []string{"lapsed"}}},
		{Send: send("thanks")},
	}
}

func (f *fixture) run(t *testing.T) int {
	t.Helper()
	n, err := f.r.RunDue(context.Background())
	require.NoError(t, err)
	return n
}

func (f *fixture) templates() []string {
	var out []string
	for _, c := range f.queued {
		out = append(out, c.Template.Name)
	}
	return out
}

func (f *fixture) reply(t *testing.T, at time.Time) {
	t.Helper()
	_, _, err := f.st.RecordInbound(context.Background(), store.InboundMessage{Tenant: "acme", ProviderMessageID: "wamid." + at.Format("150405"),
		Contact: store.ContactRef{Phone: "+6281200000001"}, Type: "text", Text: "great, thanks", At: at})
	require.NoError(t, err)
}

// order records an order of the member, as the loyalty stage does.
func (f *fixture) order(t *testing.T, id string) {
	t.Helper()
	p, err := loyalty.Compile("acme", config.Loyalty{Combine: config.CombineStack, Expiry: config.Expiry{Policy: config.ExpiryNever},
		Rules: []config.EarnRule{{Name: "spend", On: event.TypeOrderPaid,
			Spend: &config.Spend{Unit: "10", Points: 1, Rounding: config.RoundFloor, MinOrder: "0"}}}}, time.UTC)
	require.NoError(t, err)
	data, err := json.Marshal(event.OrderPaid{OrderID: id, Phone: "+6281200000001", Total: "100000", Currency: "IDR"})
	require.NoError(t, err)
	ev := event.Event{ID: event.ID("acme", "pos", id), Tenant: "acme", Type: event.TypeOrderPaid, OccurredAt: f.now, Data: data}
	_, err = f.st.Transact(context.Background(), "acme", ev.ID, store.AccountRef{Phone: "+6281200000001", OrderID: id},
		f.now, func(a *loyalty.Account) error { return p.Apply(a, ev) })
	require.NoError(t, err)
}

func TestTagStepWritesTheProfileOnce(t *testing.T) {
	f := setup(t, config.JourneyStep{Tag: &config.JourneyTag{Add: []string{"vip-candidate"}, Remove: []string{"lapsed"}}},
		config.JourneyStep{If: `"vip-candidate" in data.tags`}, config.JourneyStep{Send: send("hi")})
	ctx := context.Background()
	_, err := f.st.TagMember(ctx, "acme", f.memberID, []string{"lapsed", "coffee"}, nil)
	require.NoError(t, err)
	f.enter(t, "jen_1")
	f.failQueue = true // the send after the tag fails: the run is repeated
	assert.Zero(t, f.run(t))
	m, err := f.st.Member(ctx, "acme", f.memberID)
	require.NoError(t, err)
	assert.Equal(t, []string{"coffee", "vip-candidate"}, m.Profile.Tags, "written before the send")

	f.now = f.now.Add(DefaultLease)
	assert.Equal(t, 1, f.run(t))
	m, err = f.st.Member(ctx, "acme", f.memberID)
	require.NoError(t, err)
	assert.Equal(t, []string{"coffee", "vip-candidate"}, m.Profile.Tags, "the same after the retry")
	assert.Equal(t, []string{"hi"}, f.templates(), "the condition saw the tag")
	assert.Equal(t, store.JourneyCompleted, f.state(t).Status)
}

func TestWaitForTakesTheReplyBranch(t *testing.T) {
	f := setup(t, surveyBranch("reply")...)
	f.enter(t, "jen_1")
	f.reply(t, f.now.Add(-time.Minute)) // before the wait: does not count
	assert.Equal(t, 1, f.run(t))
	s := f.state(t)
	assert.Equal(t, 1, s.Step)
	assert.Equal(t, store.JourneyWaitReply, s.WaitFor)
	assert.Equal(t, f.now.Add(48*time.Hour), s.DueAt)

	f.now = f.now.Add(time.Hour)
	assert.Zero(t, f.run(t), "nothing came")
	f.reply(t, f.now.Add(time.Minute))
	f.now = f.now.Add(2 * time.Minute)
	assert.Equal(t, 1, f.run(t), "woken by the reply, long before the deadline")
	assert.Equal(t, []string{"how_was_it", "thanks"}, f.templates())
	s = f.state(t)
	assert.Equal(t, store.JourneyCompleted, s.Status)
	assert.Empty(t, s.WaitFor)
	m, err := f.st.Member(context.Background(), "acme", f.memberID)
	require.NoError(t, err)
	assert.Equal(t, []string{"engaged"}, m.Profile.Tags)
}

func TestWaitForTakesTheOrderBranch(t *testing.T) {
	f := setup(t, surveyBranch("order")...)
	f.enter(t, "jen_1")
	f.run(t)
	f.now = f.now.Add(3 * time.Hour)
	f.reply(t, f.now)
	f.now = f.now.Add(time.Minute)
	assert.Zero(t, f.run(t), "a reply is not an order")
	f.order(t, "1001")
	f.now = f.now.Add(time.Minute)
	assert.Equal(t, 1, f.run(t))
	assert.Equal(t, []string{"how_was_it", "thanks"}, f.templates())
	assert.Equal(t, store.JourneyCompleted, f.state(t).Status)
}

func TestWaitForTimesOutToTheElseBranch(t *testing.T) {
	f := setup(t, surveyBranch("reply")...)
	f.enter(t, "jen_1")
	f.run(t)
	start := f.now
	f.now = start.Add(48 * time.Hour)
	// A reply after the deadline, recorded before the run, is too late.
	f.reply(t, start.Add(48*time.Hour+time.Second))
	f.now = f.now.Add(2 * time.Second)
	assert.Equal(t, 1, f.run(t))
	assert.Equal(t, []string{"how_was_it", "nudge"}, f.templates())
	s := f.state(t)
	assert.Equal(t, store.JourneyCompleted, s.Status, "goto end")
	m, err := f.st.Member(context.Background(), "acme", f.memberID)
	require.NoError(t, err)
	assert.Empty(t, m.Profile.Tags, "the then branch did not run")
}

func TestWaitForSurvivesARestart(t *testing.T) {
	f := setup(t, surveyBranch("reply")...)
	f.enter(t, "jen_1")
	f.run(t)

	// The hub stops while the member waits, and starts again.
	require.NoError(t, f.st.Close())
	f.st = sqlite.New(f.path).WithClock(func() time.Time { return f.now })
	require.NoError(t, f.st.Migrate(context.Background()))
	r := *f.r
	r.Store = f.st
	f.r = &r
	s := f.state(t)
	assert.Equal(t, store.JourneyWaitReply, s.WaitFor, "the wait is in the store")

	f.now = f.now.Add(10 * time.Hour)
	f.reply(t, f.now)
	f.now = f.now.Add(time.Minute)
	f.failQueue = true // the branch is decided, then its send fails
	f.run(t)
	s = f.state(t)
	assert.Equal(t, 4, s.Step, "the branch taken is written before its steps run")
	assert.Empty(t, s.WaitFor)
	assert.Equal(t, []string{"how_was_it"}, f.templates())

	f.now = f.now.Add(DefaultLease)
	assert.Equal(t, 1, f.run(t))
	assert.Equal(t, []string{"how_was_it", "thanks"}, f.templates(), "once each: no nudge, one thanks")
	assert.Equal(t, journey.MessageKey("acme", "welcome", f.memberID, "jen_1", 5), f.queued[1].Key)
	assert.Equal(t, store.JourneyCompleted, f.state(t).Status)
}

func TestSurveyStepInvitesOnce(t *testing.T) {
	f := setup(t, config.JourneyStep{Survey: "after_order"}, config.JourneyStep{Send: send("hi")})
	require.NoError(t, f.st.EnterJourneys(context.Background(), "acme", nil, []store.JourneyEntry{{Journey: "welcome",
		MemberID: f.memberID, EntryID: "jen_1", At: f.now, Data: []byte(`{"order_id":"1001"}`)}}))
	f.failQueue = true
	f.run(t)
	f.now = f.now.Add(DefaultLease)
	f.run(t)
	require.Len(t, f.invited, 2, "invited again by the retry")
	assert.Equal(t, f.invited[0], f.invited[1], "under the same event id: the invitation derives from it")
	assert.Equal(t, journey.Survey{Step: 0, Name: "after_order", MemberID: f.memberID, Phone: "+6281200000001", OrderID: "1001",
		EventID: journey.SurveyEventID("acme", "welcome", f.memberID, "jen_1", 0)}, f.invited[0])
	assert.Equal(t, store.JourneyCompleted, f.state(t).Status)

	g := setup(t, config.JourneyStep{Survey: "after_order"})
	g.r.Invite = nil
	g.enter(t, "jen_1")
	g.run(t)
	assert.Equal(t, store.JourneyReasonError, g.state(t).Reason, "no surveys here: the member exits")
}
