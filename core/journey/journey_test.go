package journey_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/journey"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

func tmpl(name string, body ...string) *config.JourneySend {
	return &config.JourneySend{Template: config.NotificationTmpl{Name: name, Language: "en", Body: body}}
}

func compile(t *testing.T, c config.Journey) *journey.Journey {
	t.Helper()
	if c.Sender == "" {
		c.Sender = "wa"
	}
	j, err := journey.Compile("acme", c)
	require.NoError(t, err)
	return j
}

var (
	jakarta, _ = time.LoadLocation("Asia/Jakarta")
	t0         = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC) // 16:00 in Jakarta
	ana        = member.Member{ID: "mem_1", Phone: "+6281200000001", Name: "Ana Putri", Balance: 120,
		Tier: member.Tier{Name: "gold"}}
)

func entry() store.JourneyState {
	return store.JourneyState{Tenant: "acme", Journey: "j", MemberID: "mem_1", EntryID: "jen_1",
		Status: store.JourneyActive, DueAt: t0, EnteredAt: t0}
}

func TestAdvance(t *testing.T) {
	j := compile(t, config.Journey{Name: "j", Trigger: config.JourneyTrigger{On: "points.earned"}, Steps: []config.JourneyStep{
		{Send: tmpl("hello", "data.first_name", "member.balance")},
		{Award: 50, Reason: "welcome bonus"},
		{Wait: 48 * time.Hour},
		{If: `data.tier == "gold"`},
		{Send: tmpl("gold_offer")},
		{WaitUntil: "10:00"},
		{Send: tmpl("last_call")},
	}})
	env := journey.Env{Member: ana, Location: jakarta}

	acts, s, err := j.Advance(entry(), t0, env)
	require.NoError(t, err)
	require.Len(t, acts, 2)
	send := acts[0].(journey.Send)
	assert.Equal(t, 0, send.Step)
	assert.Equal(t, "hello", send.Command.Template.Name)
	assert.Equal(t, "Ana", send.Command.Template.Body[0].Text)
	assert.Equal(t, "120", send.Command.Template.Body[1].Text)
	assert.Equal(t, "marketing", send.Command.Category)
	assert.Equal(t, "journey:j/0", send.Command.Origin)
	assert.Equal(t, "+6281200000001", send.Command.To)
	assert.Equal(t, journey.MessageKey("acme", "j", "mem_1", "jen_1", 0), send.Command.Key)
	assert.Equal(t, journey.Award{Step: 1, Points: 50, Reason: "welcome bonus",
		EventID: journey.AwardEventID("acme", "j", "mem_1", "jen_1", 1)}, acts[1])
	assert.Equal(t, 3, s.Step, "after the wait")
	assert.Equal(t, t0.Add(48*time.Hour), s.DueAt)
	assert.Equal(t, store.JourneyActive, s.Status)

	now := s.DueAt.Add(time.Minute) // 16:01 in Jakarta
	acts, s, err = j.Advance(s, now, env)
	require.NoError(t, err)
	require.Len(t, acts, 1)
	assert.Equal(t, "gold_offer", acts[0].(journey.Send).Command.Template.Name)
	assert.Equal(t, 6, s.Step)
	assert.Equal(t, time.Date(2026, 12, 10, 10, 0, 0, 0, jakarta), s.DueAt, "wait_until: tomorrow's 10:00 in the zone")

	acts, s, err = j.Advance(s, s.DueAt, env)
	require.NoError(t, err)
	require.Len(t, acts, 1)
	assert.Equal(t, "journey:j/6", acts[0].(journey.Send).Command.Origin)
	assert.Equal(t, store.JourneyCompleted, s.Status)
	assert.Equal(t, 7, s.Step)

	other := entry()
	other.EntryID = "jen_2"
	acts, _, err = j.Advance(other, t0, env)
	require.NoError(t, err)
	assert.NotEqual(t, send.Command.Key, acts[0].(journey.Send).Command.Key, "a new entry sends again")
	assert.NotEqual(t, acts[1].(journey.Award).EventID, journey.AwardEventID("acme", "j", "mem_1", "jen_1", 1))
}

func TestAdvanceConditionExits(t *testing.T) {
	j := compile(t, config.Journey{Name: "j", Trigger: config.JourneyTrigger{On: "points.earned"}, Steps: []config.JourneyStep{
		{Send: tmpl("first")},
		{If: `"vip" in data.tags`},
		{Send: tmpl("vip_only")},
	}})
	acts, s, err := j.Advance(entry(), t0, journey.Env{Member: ana})
	require.NoError(t, err)
	require.Len(t, acts, 1, "the steps before the condition ran")
	assert.Equal(t, store.JourneyExited, s.Status)
	assert.Equal(t, store.JourneyReasonCondition, s.Reason)
	assert.Equal(t, 1, s.Step, "left at the condition")

	vip := ana
	vip.Profile.Tags = []string{"vip"}
	acts, s, err = j.Advance(entry(), t0, journey.Env{Member: vip})
	require.NoError(t, err)
	assert.Len(t, acts, 2)
	assert.Equal(t, store.JourneyCompleted, s.Status)
}

func TestAdvanceSkipsSendsWithoutPhone(t *testing.T) {
	j := compile(t, config.Journey{Name: "j", Trigger: config.JourneyTrigger{On: "member.birthday"}, Steps: []config.JourneyStep{
		{Send: tmpl("birthday")}, {Award: 100},
	}})
	noPhone := ana
	noPhone.Phone = ""
	acts, s, err := j.Advance(entry(), t0, journey.Env{Member: noPhone})
	require.NoError(t, err)
	require.Len(t, acts, 1)
	assert.IsType(t, journey.Award{}, acts[0])
	assert.Equal(t, store.JourneyCompleted, s.Status)
}

func TestAdvanceFailingExpressionExits(t *testing.T) {
	j := compile(t, config.Journey{Name: "j", Trigger: config.JourneyTrigger{On: "member.birthday"}, Steps: []config.JourneyStep{
		{Award: 10}, {Send: tmpl("t", "data.attributes.size.cm")},
	}})
	acts, s, err := j.Advance(entry(), t0, journey.Env{Member: ana})
	require.Error(t, err)
	assert.Len(t, acts, 1, "the award before it stands")
	assert.Equal(t, store.JourneyExited, s.Status)
	assert.Equal(t, store.JourneyReasonError, s.Reason)
}

func TestNextClock(t *testing.T) {
	ten := 10 * time.Hour
	tests := []struct {
		name string
		now  time.Time
		want time.Time
	}{
		{"later today", time.Date(2026, 12, 7, 8, 0, 0, 0, jakarta), time.Date(2026, 12, 7, 10, 0, 0, 0, jakarta)},
		{"at the time: tomorrow", time.Date(2026, 12, 7, 10, 0, 0, 0, jakarta), time.Date(2026, 12, 8, 10, 0, 0, 0, jakarta)},
		{"past midnight UTC but not local", time.Date(2026, 12, 7, 23, 30, 0, 0, time.UTC), time.Date(2026, 12, 8, 10, 0, 0, 0, jakarta)},
		{"across the year's end", time.Date(2026, 12, 31, 22, 0, 0, 0, jakarta), time.Date(2027, 1, 1, 10, 0, 0, 0, jakarta)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, journey.NextClock(tt.now, jakarta, ten))
		})
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	got := journey.NextClock(time.Date(2026, 3, 28, 12, 0, 0, 0, berlin), berlin, ten)
	assert.Equal(t, time.Date(2026, 3, 29, 10, 0, 0, 0, berlin), got, "10:00 local across the switch to summer time")
	assert.Equal(t, 23*time.Hour-2*time.Hour, got.Sub(time.Date(2026, 3, 28, 12, 0, 0, 0, berlin)))
}

func TestStepsSeeTheTriggersData(t *testing.T) {
	j := compile(t, config.Journey{Name: "cart", Trigger: config.JourneyTrigger{On: "checkout.abandoned"}, Steps: []config.JourneyStep{
		{If: `data.trigger.url != nil`},
		{Send: tmpl("cart_reminder", "data.first_name", "data.trigger.url")},
	}})
	cart := event.Outcome{ID: "out_c", Type: "checkout.abandoned", Member: event.MemberRef{ID: "mem_1"},
		Data: map[string]any{"url": "https://shop.example/cart/abc", "total": "150000"}}
	_, entries, err := journey.Effects([]*journey.Journey{j}, cart, t0)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	s := entry()
	s.Data = entries[0].Data
	acts, s, err := j.Advance(s, t0, journey.Env{Member: ana, Location: jakarta})
	require.NoError(t, err)
	require.Len(t, acts, 1)
	assert.Equal(t, "https://shop.example/cart/abc", acts[0].(journey.Send).Command.Template.Body[1].Text)
	assert.Equal(t, store.JourneyCompleted, s.Status)

	// A state entered without data (before the trigger's data was kept)
	// sees an empty trigger: the condition is false, not an error.
	s = entry()
	_, s, err = j.Advance(s, t0, journey.Env{Member: ana, Location: jakarta})
	require.NoError(t, err)
	assert.Equal(t, store.JourneyExited, s.Status)
	assert.Equal(t, store.JourneyReasonCondition, s.Reason)
}

func TestEffects(t *testing.T) {
	off := false
	js := []*journey.Journey{
		compile(t, config.Journey{Name: "winback", Trigger: config.JourneyTrigger{On: "points.earned"}, Goal: "points.earned",
			ReEntry: "always", Steps: []config.JourneyStep{{Wait: time.Hour}}}),
		compile(t, config.Journey{Name: "big", Trigger: config.JourneyTrigger{On: "points.earned", When: "data.points >= 100"},
			ReEntry: "720h", Steps: []config.JourneyStep{{Wait: time.Hour}}}),
		compile(t, config.Journey{Name: "off", Enabled: &off, Trigger: config.JourneyTrigger{On: "points.earned"},
			Goal: "reward.redeemed", Steps: []config.JourneyStep{{Wait: time.Hour}}}),
	}
	earned := func(points int) event.Outcome {
		return event.Outcome{ID: "out_1", Tenant: "acme", Type: "points.earned", OccurredAt: t0,
			Member: event.MemberRef{ID: "mem_1"}, Data: map[string]any{"points": points}}
	}
	goals, entries, err := journey.Effects(js, earned(150), t0)
	require.NoError(t, err)
	assert.Equal(t, []store.JourneyGoal{{Journey: "winback", MemberID: "mem_1", At: t0}}, goals)
	assert.Equal(t, []store.JourneyEntry{
		{Journey: "winback", MemberID: "mem_1", EntryID: journey.EntryID("out_1", "winback"), ReEntry: config.ReEntryAlways, At: t0,
			Data: []byte(`{"points":150}`)},
		{Journey: "big", MemberID: "mem_1", EntryID: journey.EntryID("out_1", "big"), ReEntry: 720 * time.Hour, At: t0,
			Data: []byte(`{"points":150}`)},
	}, entries, "a disabled journey takes no entries; the trigger's data goes with each entry")

	_, entries, err = journey.Effects(js, earned(50), t0)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "when is false for big")

	redeemed := event.Outcome{ID: "out_2", Type: "reward.redeemed", OccurredAt: t0, Member: event.MemberRef{ID: "mem_1"}}
	goals, entries, err = journey.Effects(js, redeemed, t0)
	require.NoError(t, err)
	assert.Equal(t, []store.JourneyGoal{{Journey: "off", MemberID: "mem_1", At: t0}}, goals, "a disabled journey still ends")
	assert.Empty(t, entries)

	failing := append(js, compile(t, config.Journey{Name: "odd", Trigger: config.JourneyTrigger{On: "points.earned",
		When: "data.points / data.missing > 1"}, Steps: []config.JourneyStep{{Wait: time.Hour}}}))
	goals, entries, err = journey.Effects(failing, earned(150), t0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `journey "odd", trigger.when`)
	assert.Len(t, goals, 1)
	assert.Len(t, entries, 2, "the other journeys' entries stand")

	anonymous := earned(150)
	anonymous.Member.ID = ""
	goals, entries, err = journey.Effects(js, anonymous, t0)
	require.NoError(t, err)
	assert.Empty(t, goals)
	assert.Empty(t, entries)
}

func TestCompileErrorsNameKeys(t *testing.T) {
	_, err := journey.Compile("acme", config.Journey{Name: "j", Sender: "wa", ReEntry: "sometimes",
		Trigger: config.JourneyTrigger{On: "points.earned", When: "data.points >"},
		Steps: []config.JourneyStep{
			{If: "membr.balance > 1"},
			{Send: tmpl("t", "data.first_name +")},
			{},
		}})
	var errs config.Errors
	require.ErrorAs(t, err, &errs)
	var paths []string
	for _, e := range errs {
		paths = append(paths, e.Path)
	}
	assert.Equal(t, []string{"re_entry", "trigger.when", "steps[0].if", "steps[1].send.template.body[0]", "steps[2]"}, paths)
}

func TestCompileTargets(t *testing.T) {
	_, err := journey.Compile("acme", config.Journey{Name: "j", Sender: "wa",
		Trigger: config.JourneyTrigger{On: "points.earned"},
		Steps: []config.JourneyStep{
			{Name: "first", Wait: time.Hour},
			{WaitFor: &config.JourneyWaitFor{Event: "click", Then: "nowhere", Else: "first"}},
			{Goto: "first"},
			{Goto: "missing"},
			{Name: "last", Tag: &config.JourneyTag{Add: []string{"vip"}}},
		}})
	var errs config.Errors
	require.ErrorAs(t, err, &errs)
	got := map[string]string{}
	for _, e := range errs {
		got[e.Path] = e.Msg
	}
	assert.Len(t, got, 6)
	assert.Contains(t, got["steps[1].wait_for.event"], `"click"`)
	assert.Contains(t, got["steps[1].wait_for.within"], "required")
	assert.Contains(t, got["steps[1].wait_for.then"], `"nowhere" is not the name of a step`)
	assert.Contains(t, got["steps[1].wait_for.else"], "only go on to a later one")
	assert.Contains(t, got["steps[2].goto"], "only go on to a later one")
	assert.Contains(t, got["steps[3].goto"], `"missing"`)

	_, err = journey.Compile("acme", config.Journey{Name: "j", Sender: "wa",
		Trigger: config.JourneyTrigger{On: "points.earned"},
		Steps: []config.JourneyStep{
			{WaitFor: &config.JourneyWaitFor{Event: "reply", Within: time.Hour, Then: "end"}},
			{Goto: "last"},
			{Name: "last", Survey: "after_order"},
		}})
	require.NoError(t, err, "end, a later step, and the next step by default")
}

func TestAdvanceTag(t *testing.T) {
	j := compile(t, config.Journey{Name: "j", Trigger: config.JourneyTrigger{On: "points.earned"}, Steps: []config.JourneyStep{
		{Tag: &config.JourneyTag{Add: []string{"vip-candidate"}, Remove: []string{"lapsed"}}},
		{If: `"vip-candidate" in data.tags && !("lapsed" in data.tags)`},
		{Send: tmpl("welcome_vip")},
	}})
	lapsed := ana
	lapsed.Profile.Tags = []string{"lapsed"}
	acts, s, err := j.Advance(entry(), t0, journey.Env{Member: lapsed})
	require.NoError(t, err)
	require.Len(t, acts, 2, "the condition after the tag sees the member as tagged")
	assert.Equal(t, journey.Tag{Step: 0, Add: []string{"vip-candidate"}, Remove: []string{"lapsed"}}, acts[0])
	assert.Equal(t, store.JourneyCompleted, s.Status)
}

func TestAdvanceSurvey(t *testing.T) {
	j := compile(t, config.Journey{Name: "j", Trigger: config.JourneyTrigger{On: "points.earned"}, Steps: []config.JourneyStep{
		{Survey: "after_order"},
	}})
	s := entry()
	s.Data = []byte(`{"order_id":"1001","points":25}`)
	acts, next, err := j.Advance(s, t0, journey.Env{Member: ana})
	require.NoError(t, err)
	require.Len(t, acts, 1)
	assert.Equal(t, journey.Survey{Step: 0, Name: "after_order", MemberID: "mem_1", Phone: ana.Phone, OrderID: "1001",
		EventID: journey.SurveyEventID("acme", "j", "mem_1", "jen_1", 0)}, acts[0])
	assert.Equal(t, store.JourneyCompleted, next.Status)

	noPhone := ana
	noPhone.Phone = ""
	acts, next, err = j.Advance(s, t0, journey.Env{Member: noPhone})
	require.NoError(t, err)
	assert.Empty(t, acts, "nobody to ask")
	assert.Equal(t, store.JourneyCompleted, next.Status)
}

func TestAdvanceWaitFor(t *testing.T) {
	j := compile(t, config.Journey{Name: "j", Trigger: config.JourneyTrigger{On: "points.earned"}, Steps: []config.JourneyStep{
		{Send: tmpl("how_was_it")},
		{WaitFor: &config.JourneyWaitFor{Event: "reply", Within: 48 * time.Hour, Then: "thanks", Else: "nudge"}},
		{Name: "nudge", Send: tmpl("nudge")},
		{Goto: "end"},
		{Name: "thanks", Tag: &config.JourneyTag{Add: []string{"replied"}}},
	}})
	env := journey.Env{Member: ana}
	acts, s, err := j.Advance(entry(), t0, env)
	require.NoError(t, err)
	require.Len(t, acts, 1)
	assert.Equal(t, 1, s.Step, "waits at the wait_for step")
	assert.Equal(t, store.JourneyActive, s.Status)
	assert.Equal(t, store.JourneyWaitReply, s.WaitFor)
	assert.Equal(t, t0, s.WaitSince)
	assert.Equal(t, t0.Add(48*time.Hour), s.WaitDeadline)
	assert.Equal(t, t0.Add(48*time.Hour), s.DueAt, "due at the deadline")
	waiting := s

	t.Run("run early without the event: waits on", func(t *testing.T) {
		acts, s, err := j.Advance(waiting, t0.Add(time.Hour), env)
		require.NoError(t, err)
		assert.Empty(t, acts)
		assert.Equal(t, waiting, s)
	})
	t.Run("the reply came: the then branch, written before it runs", func(t *testing.T) {
		now := t0.Add(5 * time.Hour)
		acts, s, err := j.Advance(waiting, now, journey.Env{Member: ana, Came: true})
		require.NoError(t, err)
		assert.Empty(t, acts)
		assert.Equal(t, 4, s.Step)
		assert.Equal(t, now, s.DueAt)
		assert.Empty(t, s.WaitFor)
		assert.True(t, s.WaitSince.IsZero())
		assert.Equal(t, store.JourneyActive, s.Status)
		acts, s, err = j.Advance(s, now, env)
		require.NoError(t, err)
		assert.Equal(t, []journey.Action{journey.Tag{Step: 4, Add: []string{"replied"}}}, acts)
		assert.Equal(t, store.JourneyCompleted, s.Status)
	})
	t.Run("no reply by the deadline: the else branch, then the end", func(t *testing.T) {
		now := t0.Add(48 * time.Hour)
		acts, s, err := j.Advance(waiting, now, env)
		require.NoError(t, err)
		assert.Empty(t, acts)
		assert.Equal(t, 2, s.Step)
		acts, s, err = j.Advance(s, now, env)
		require.NoError(t, err)
		require.Len(t, acts, 1)
		assert.Equal(t, "nudge", acts[0].(journey.Send).Command.Template.Name)
		assert.Equal(t, store.JourneyCompleted, s.Status, "goto end skips the then branch")
		assert.Equal(t, 5, s.Step)
	})
	t.Run("a branch to the end completes at once", func(t *testing.T) {
		j := compile(t, config.Journey{Name: "j", Trigger: config.JourneyTrigger{On: "points.earned"}, Steps: []config.JourneyStep{
			{WaitFor: &config.JourneyWaitFor{Event: "order", Within: time.Hour, Then: "end"}},
			{Send: tmpl("come_back")},
		}})
		_, s, err := j.Advance(entry(), t0, env)
		require.NoError(t, err)
		assert.Equal(t, store.JourneyWaitOrder, s.WaitFor)
		_, s, err = j.Advance(s, t0.Add(time.Minute), journey.Env{Member: ana, Came: true})
		require.NoError(t, err)
		assert.Equal(t, store.JourneyCompleted, s.Status)
		assert.Empty(t, s.WaitFor)
	})
	t.Run("a wait whose step left the journey is dropped", func(t *testing.T) {
		j := compile(t, config.Journey{Name: "j", Trigger: config.JourneyTrigger{On: "points.earned"}, Steps: []config.JourneyStep{
			{Send: tmpl("how_was_it")}, {Send: tmpl("next")},
		}})
		acts, s, err := j.Advance(waiting, t0.Add(time.Hour), env)
		require.NoError(t, err)
		require.Len(t, acts, 1)
		assert.Equal(t, "next", acts[0].(journey.Send).Command.Template.Name)
		assert.Equal(t, store.JourneyCompleted, s.Status)
		assert.Empty(t, s.WaitFor)
	})
}
