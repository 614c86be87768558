package pipelines_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// withJourney adds a journey to the test config: an order enters the
// member, who gets a template and 5 points at once and another template an
// hour later, unless they order again (the goal) in between.
func withJourney(cfg string) string {
	return cfg + `
    journeys:
      - name: follow-up
        sender: whatsapp
        trigger:
          on: points.earned
        goal: points.earned
        steps:
          - send:
              category: utility
              template:
                name: thanks
                language: en
                body: ["data.first_name", "member.balance"]
          - award: 5
            reason: thanks for the order
          - wait: 1h
          - send:
              category: utility
              template:
                name: come_back
                language: en
                body: ["data.first_name"]
`
}

type journeysBody struct {
	Journeys []struct {
		Name    string
		Steps   []map[string]any
		Counts  []store.JourneyCount
		Members map[string]int64
	}
}

func TestJourneyRunsItsStepsUntilTheGoal(t *testing.T) {
	var offset atomic.Int64
	h := newHarness(t, harnessOpts{
		yaml: withJourney,
		env:  []string{"LOYALHUB_PIPELINE__SCHEDULER__JOURNEY_POLL=20ms"},
		now:  func() time.Time { return time.Now().Add(time.Duration(offset.Load())) },
	})
	sentTemplates := func(phone string) []string {
		var names []string
		for _, m := range h.sb.Messages() {
			if m.To == strings.TrimPrefix(phone, "+") {
				name, _ := templateOf(t, m)
				names = append(names, name)
			}
		}
		return names
	}
	const stays, leaves = "+6281234560101", "+6281234560102"
	require.Equal(t, http.StatusOK, h.postSale(sale("J-1", "081234560101", "Sari Dewi", "100000")))
	require.Equal(t, http.StatusOK, h.postSale(sale("J-2", "081234560102", "Budi", "50000")))

	eventually(t, "the journey's first message to both", func() bool {
		return assert.ObjectsAreEqual([]string{"points_earned", "thanks"}, sortedCopy(sentTemplates(stays))) &&
			assert.ObjectsAreEqual([]string{"points_earned", "thanks"}, sortedCopy(sentTemplates(leaves)))
	})
	var thanks []string
	for _, m := range h.sb.Messages() {
		if name, params := templateOf(t, m); name == "thanks" && m.To == strings.TrimPrefix(stays, "+") {
			thanks = params
		}
	}
	assert.Equal(t, []string{"Sari", "10"}, thanks, "filled from the member as they are")

	st := h.hub.Store()
	ctx := context.Background()
	sari, ok := h.member(stays)
	require.True(t, ok)
	budi, ok := h.member(leaves)
	require.True(t, ok)
	eventually(t, "both waiting at the step after the wait", func() bool {
		a, errA := st.JourneyState(ctx, "acme", "follow-up", sari.ID)
		b, errB := st.JourneyState(ctx, "acme", "follow-up", budi.ID)
		return errA == nil && errB == nil && a.Step == 3 && b.Step == 3
	})

	// Budi orders again: the goal exits him (and, re-entry being never,
	// he does not enter again).
	require.Equal(t, http.StatusOK, h.postSale(sale("J-3", "081234560102", "Budi", "70000")))
	eventually(t, "Budi's second order", func() bool {
		m, _ := h.member(leaves)
		return m.Balance == 5+5+7
	})
	left, err := st.JourneyState(ctx, "acme", "follow-up", budi.ID)
	require.NoError(t, err)
	assert.Equal(t, store.JourneyExited, left.Status)
	assert.Equal(t, store.JourneyReasonGoal, left.Reason)

	// An hour later Sari gets the second message; Budi does not.
	offset.Store(int64(time.Hour + time.Minute))
	eventually(t, "Sari's second message", func() bool { return len(sentTemplates(stays)) == 3 })
	assert.Equal(t, "come_back", sentTemplates(stays)[2])
	eventually(t, "Sari's journey completed", func() bool {
		s, err := st.JourneyState(ctx, "acme", "follow-up", sari.ID)
		return err == nil && s.Status == store.JourneyCompleted
	})
	n, err := h.hub.Journeys().RunDue(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing left to run")
	assert.Equal(t, []string{"points_earned", "points_earned", "thanks"}, sortedCopy(sentTemplates(leaves)))
	sari, _ = h.member(stays)
	assert.EqualValues(t, 10+5, sari.Balance, "the award, once")
	entries, err := st.Entries(ctx, "acme", sari.ID, 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, "thanks for the order", entries[0].Reason)
	assert.Equal(t, "journey:follow-up/1", entries[0].Actor)

	var msgs struct{ Messages []store.Message }
	h.admin(http.MethodGet, "/messages", &msgs)
	origins := map[string]int{}
	for _, m := range msgs.Messages {
		origins[m.Origin]++
	}
	assert.Equal(t, map[string]int{"rule:points_earned": 3, "journey:follow-up/0": 2, "journey:follow-up/3": 1}, origins)

	var states struct {
		MemberID string `json:"member_id"`
		Journeys []store.JourneyState
	}
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+budi.ID+"/journeys", &states))
	require.Len(t, states.Journeys, 1)
	assert.Equal(t, store.JourneyReasonGoal, states.Journeys[0].Reason)
	assert.Equal(t, http.StatusNotFound, h.admin(http.MethodGet, "/members/mem_nobody/journeys", nil))

	var body journeysBody
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/journeys", &body))
	require.Len(t, body.Journeys, 1)
	j := body.Journeys[0]
	assert.Equal(t, "follow-up", j.Name)
	assert.Len(t, j.Steps, 4)
	assert.Equal(t, map[string]any{"wait": "1h0m0s"}, j.Steps[2])
	assert.Equal(t, map[string]int64{"active": 0, "completed": 1, "exited": 1}, j.Members)
	assert.Equal(t, []store.JourneyCount{
		{Status: store.JourneyCompleted, Step: 4, Members: 1},
		{Status: store.JourneyExited, Step: 3, Members: 1},
	}, j.Counts)
}

func sortedCopy(s []string) []string { return slices.Sorted(slices.Values(s)) }

// An abandoned checkout enters its member into the cart journey as the
// sweep announces it; their order is the goal that ends it.
func TestAbandonedCheckoutEntersTheCartJourney(t *testing.T) {
	h := newHarness(t, harnessOpts{env: []string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true"}, yaml: passThrough(`    journeys:
      - name: cart
        sender: whatsapp
        trigger:
          on: checkout.abandoned
        goal: points.earned
        re_entry: 168h
        steps:
          - wait: 23h
          - send:
              template:
                name: cart_last_call
                language: en
`)})
	order := func(id string) string {
		return fmt.Sprintf(`{"type": "order.paid", "id": %q, "data": {"order_id": %q, "phone": "081234560311", "name": "Tia", "total": "50000", "currency": "IDR"}}`, id, id)
	}
	h.postEvents(t, order("CJ-1"))
	var tia member.Member
	eventually(t, "the member", func() bool {
		var ok bool
		tia, ok = h.member("081234560311")
		return ok
	})
	h.postEvents(t, fmt.Sprintf(`{"type": "checkout.updated", "id": "tok-cj/1", "occurred_at": %d, "data": {"token": "tok-cj", "phone": "081234560311", "total": "90000.00", "currency": "IDR", "url": "https://shop.example/c/tok-cj", "completed": false}}`,
		time.Now().Add(-time.Minute).Unix()))
	ctx := context.Background()
	st := h.hub.Store()
	later := time.Now().Add(2 * time.Hour)
	eventually(t, "the checkout announced", func() bool {
		reports := h.hub.Sweep(ctx, "test", later)
		return len(reports) == 1 && reports[0].Abandoned == 1
	})
	s, err := st.JourneyState(ctx, "acme", "cart", tia.ID)
	require.NoError(t, err)
	assert.Equal(t, store.JourneyActive, s.Status)
	assert.WithinDuration(t, later, s.DueAt, time.Second)
	assert.Contains(t, string(s.Data), `"url":"https://shop.example/c/tok-cj"`, "the cart's link is kept for the steps")

	h.postEvents(t, order("CJ-2"))
	eventually(t, "the order ends the journey", func() bool {
		s, err := st.JourneyState(ctx, "acme", "cart", tia.ID)
		return err == nil && s.Status == store.JourneyExited && s.Reason == store.JourneyReasonGoal
	})
}
