package config_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/journey"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
)

// TestShippedJourneys loads the journeys docs/journeys.md ships and checks
// what their triggers decide.
func TestShippedJourneys(t *testing.T) {
	s, err := hubconfig.Load(filepath.Join("testdata", "journeys.yaml"), nil, fakeRegistry(t))
	require.NoError(t, err)
	js := s.Journeys["demo"]
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "journeys.md"))
	require.NoError(t, err)
	var names []string
	for _, j := range js {
		names = append(names, j.Name())
		assert.Contains(t, string(doc), "- name: "+j.Name(), "docs/journeys.md ships %s", j.Name())
	}
	assert.Equal(t, []string{"birthday", "anniversary", "winback", "cart", "expiring", "post-purchase"}, names)
	// And every journey (or survey) the page ships is one the test loads.
	for _, m := range regexp.MustCompile(`(?m)^  - name: (\S+)$`).FindAllStringSubmatch(string(doc), -1) {
		shipped := slices.Contains(names, m[1]) || slices.ContainsFunc(s.Config.Tenants["demo"].Surveys,
			func(sv config.Survey) bool { return sv.Name == m[1] })
		assert.True(t, shipped, "docs/journeys.md ships %s, which testdata/journeys.yaml lacks", m[1])
	}

	at := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	expiring := func(points int, left time.Duration) event.Outcome {
		return event.Outcome{ID: "out_1", Tenant: "demo", Type: "points.expiring", OccurredAt: at,
			Member: event.MemberRef{ID: "mem_1"}, Data: map[string]any{"points": points, "expires_at": at.Add(left)}}
	}
	tests := []struct {
		name    string
		o       event.Outcome
		entered []string
		goals   []string
	}{
		{"an order ends and restarts the win-back, and asks for a score", event.Outcome{ID: "o", Type: "points.earned", OccurredAt: at,
			Member: event.MemberRef{ID: "mem_1"}, Data: map[string]any{"points": 25, "order_id": "1001"}},
			[]string{"winback", "post-purchase"}, []string{"winback", "cart"}},
		{"points earned without an order: no survey", event.Outcome{ID: "o", Type: "points.earned", OccurredAt: at,
			Member: event.MemberRef{ID: "mem_1"}, Data: map[string]any{"points": 5}}, []string{"winback"}, []string{"winback", "cart"}},
		{"a birthday", event.Outcome{ID: "o", Type: "member.birthday", OccurredAt: at, Member: event.MemberRef{ID: "mem_1"}},
			[]string{"birthday"}, nil},
		{"an anniversary", event.Outcome{ID: "o", Type: "member.anniversary", OccurredAt: at, Member: event.MemberRef{ID: "mem_1"},
			Data: map[string]any{"years": 3}}, []string{"anniversary"}, nil},
		{"points expiring in 7 days", expiring(80, 7*24*time.Hour), []string{"expiring"}, nil},
		{"too few points", expiring(20, 7*24*time.Hour), nil, nil},
		{"too late for both reminders", expiring(80, 2*24*time.Hour), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			goals, entries, err := journey.Effects(js, tt.o, at)
			require.NoError(t, err)
			var entered, ended []string
			for _, e := range entries {
				entered = append(entered, e.Journey)
			}
			for _, g := range goals {
				ended = append(ended, g.Journey)
			}
			assert.Equal(t, tt.entered, entered)
			assert.ElementsMatch(t, tt.goals, ended)
		})
	}
}

// TestShippedPostPurchaseSurvey walks the shipped post-purchase journey:
// the survey the morning after the order, then the tag for a member who
// replied, or one reminder for one who did not.
func TestShippedPostPurchaseSurvey(t *testing.T) {
	s, err := hubconfig.Load(filepath.Join("testdata", "journeys.yaml"), nil, fakeRegistry(t))
	require.NoError(t, err)
	var j *journey.Journey
	for _, c := range s.Journeys["demo"] {
		if c.Name() == "post-purchase" {
			j = c
		}
	}
	require.NotNil(t, j)
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	ordered := time.Date(2026, 12, 7, 12, 0, 0, 0, jakarta)
	_, entries, err := journey.Effects([]*journey.Journey{j}, event.Outcome{ID: "out_1", Type: "points.earned", OccurredAt: ordered,
		Member: event.MemberRef{ID: "mem_1"}, Data: map[string]any{"points": 25, "order_id": "1001"}}, ordered)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	ana := member.Member{ID: "mem_1", Phone: "+6281200000001", Name: "Ana"}
	env := journey.Env{Member: ana, Location: jakarta}
	st := store.JourneyState{Tenant: "demo", Journey: j.Name(), MemberID: "mem_1", EntryID: entries[0].EntryID,
		Status: store.JourneyActive, Data: entries[0].Data}

	acts, st, err := j.Advance(st, ordered, env)
	require.NoError(t, err)
	assert.Empty(t, acts)
	acts, st, err = j.Advance(st, st.DueAt, env)
	require.NoError(t, err)
	morning := time.Date(2026, 12, 8, 10, 0, 0, 0, jakarta)
	assert.Equal(t, morning, st.DueAt, "12 hours, then 10:00 in the tenant's zone")
	acts, st, err = j.Advance(st, morning, env)
	require.NoError(t, err)
	require.Len(t, acts, 1)
	invite := acts[0].(journey.Survey)
	assert.Equal(t, "after_order", invite.Name)
	assert.Equal(t, "1001", invite.OrderID, "the invitation keeps the order")
	assert.Equal(t, "reply", st.WaitFor)
	assert.Equal(t, morning.Add(48*time.Hour), st.DueAt)
	waiting := st

	_, st, err = j.Advance(waiting, morning.Add(time.Hour), journey.Env{Member: ana, Location: jakarta, Came: true})
	require.NoError(t, err)
	acts, st, err = j.Advance(st, morning.Add(time.Hour), env)
	require.NoError(t, err)
	assert.Equal(t, []journey.Action{journey.Tag{Step: 6, Add: []string{"surveyed"}}}, acts, "replied: tagged")
	assert.Equal(t, store.JourneyCompleted, st.Status)

	_, st, err = j.Advance(waiting, waiting.DueAt, env)
	require.NoError(t, err)
	acts, st, err = j.Advance(st, waiting.DueAt, env)
	require.NoError(t, err)
	require.Len(t, acts, 1)
	assert.Equal(t, "survey_reminder", acts[0].(journey.Send).Command.Template.Name, "no reply in 2 days: one reminder")
	assert.Equal(t, store.JourneyCompleted, st.Status)
}

func TestParseJourneyErrors(t *testing.T) {
	errs := parseErrors(t, minimal+`
    journeys:
      - name: Win Back
        sender: sms
        trigger:
          on: order.paid
          when: data.points >
        re_entry: sometimes
        steps:
          - wait: 1h
            award: 5
          - wait_until: "25:00"
          - send:
              category: promo
              template:
                name: hello
                language: en
                body: [membr.name]
          - reason: why
      - name: empty
        sender: pos
        trigger:
          on: points.earned
        goal: nothing.happened
`)
	for _, key := range []string{
		"tenants.demo.journeys[0].name",
		"tenants.demo.journeys[0].sender",
		"tenants.demo.journeys[0].trigger.on",
		"tenants.demo.journeys[0].re_entry",
		"tenants.demo.journeys[0].steps[0]",
		"tenants.demo.journeys[0].steps[1].wait_until",
		"tenants.demo.journeys[0].steps[2].send.category",
		"tenants.demo.journeys[0].steps[2].send.template.body[0]",
		"tenants.demo.journeys[0].steps[3]",
		"tenants.demo.journeys[1].goal",
		"tenants.demo.journeys[1].steps",
		"tenants.demo.journeys[1].sender",
	} {
		assert.Contains(t, errs, key)
	}
	assert.Contains(t, errs["tenants.demo.journeys[1].sender"], "cannot send")
}

func TestParseJourneyStepErrors(t *testing.T) {
	errs := parseErrors(t, minimal+`
    journeys:
      - name: branches
        sender: wa
        trigger:
          on: points.earned
        steps:
          - name: start
            tag:
              add: [vip, ""]
              remove: [vip]
          - tag: {}
          - wait_for:
              event: click
              then: later
              else: start
          - goto: nowhere
          - name: start
            survey: nps
          - name: end
            wait: 1h
          - name: Later
            goto: end
          - wait_for:
              event: order
              within: 1h
            goto: end
`)
	for key, want := range map[string]string{
		"tenants.demo.journeys[0].steps[0].tag.add[1]":      "must not be empty",
		"tenants.demo.journeys[0].steps[0].tag.remove[0]":   `"vip" is also added`,
		"tenants.demo.journeys[0].steps[1].tag":             "add or remove at least one tag",
		"tenants.demo.journeys[0].steps[2].wait_for.event":  "click",
		"tenants.demo.journeys[0].steps[2].wait_for.within": "required",
		"tenants.demo.journeys[0].steps[2].wait_for.then":   `"later" is not the name of a step`,
		"tenants.demo.journeys[0].steps[2].wait_for.else":   "only go on to a later one",
		"tenants.demo.journeys[0].steps[3].goto":            `"nowhere"`,
		"tenants.demo.journeys[0].steps[4].name":            "already the name of steps[0]",
		"tenants.demo.journeys[0].steps[4].survey":          `"nps" is not a survey of the tenant`,
		"tenants.demo.journeys[0].steps[5].name":            "other than end",
		"tenants.demo.journeys[0].steps[6].name":            "lower case",
		"tenants.demo.journeys[0].steps[7]":                 "exactly one of",
	} {
		assert.Contains(t, errs[key], want, key)
	}
}
