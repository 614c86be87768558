package config_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/journey"
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
	assert.Equal(t, []string{"birthday", "winback", "cart", "expiring"}, names)

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
		{"an order ends and restarts the win-back", event.Outcome{ID: "o", Type: "points.earned", OccurredAt: at,
			Member: event.MemberRef{ID: "mem_1"}}, []string{"winback"}, []string{"winback", "cart"}},
		{"a birthday", event.Outcome{ID: "o", Type: "member.birthday", OccurredAt: at, Member: event.MemberRef{ID: "mem_1"}},
			[]string{"birthday"}, nil},
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
