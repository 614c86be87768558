package admin

import (
	"errors"
	"net/http"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

func (a *API) journeyRoutes(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/tenants/{tenant}/journeys", a.tenant(a.listJourneys))
	mux.Handle("GET /api/v1/tenants/{tenant}/members/{id}/journeys", a.tenant(a.memberJourneys))
}

// memberJourneys lists where a member stands in each of the tenant's
// journeys they ever entered.
func (a *API) memberJourneys(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	m, err := a.Store.Member(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		a.respond(w, nil, err, "no member "+r.PathValue("id"))
		return
	}
	states := []store.JourneyState{}
	for _, j := range t.Journeys {
		s, err := a.Store.JourneyState(r.Context(), t.ID, j.Name(), m.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			a.respond(w, nil, err, "")
			return
		}
		states = append(states, s)
	}
	respond.JSON(w, http.StatusOK, map[string]any{"member_id": m.ID, "journeys": states})
}

// journeyView is a journey as configured, with its members counted by
// status and step.
type journeyView struct {
	Name    string               `json:"name"`
	Enabled bool                 `json:"enabled"`
	Sender  string               `json:"sender"`
	Trigger triggerView          `json:"trigger"`
	Goal    string               `json:"goal,omitempty"`
	ReEntry string               `json:"re_entry"`
	Steps   []map[string]any     `json:"steps"`
	Counts  []store.JourneyCount `json:"counts"`
	// Members counts the members in each status, every step together.
	Members map[string]int64 `json:"members"`
}

type triggerView struct {
	On   string `json:"on"`
	When string `json:"when,omitempty"`
}

func (a *API) listJourneys(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	out := make([]journeyView, 0, len(t.Journeys))
	for _, j := range t.Journeys {
		c := j.Config
		counts, err := a.Store.JourneyCounts(r.Context(), t.ID, c.Name)
		if err != nil {
			a.respond(w, nil, err, "")
			return
		}
		v := journeyView{Name: c.Name, Enabled: c.On(), Sender: c.Sender, Trigger: triggerView{On: c.Trigger.On, When: c.Trigger.When},
			Goal: c.Goal, ReEntry: c.ReEntry, Counts: nonNil(counts),
			Members: map[string]int64{store.JourneyActive: 0, store.JourneyCompleted: 0, store.JourneyExited: 0}}
		if v.ReEntry == "" {
			v.ReEntry = "never"
		}
		for _, n := range counts {
			v.Members[n.Status] += n.Members
		}
		for _, s := range c.Steps {
			v.Steps = append(v.Steps, stepView(s))
		}
		out = append(out, v)
	}
	respond.JSON(w, http.StatusOK, map[string]any{"journeys": out})
}

// stepView is a step with the one key it has.
func stepView(s config.JourneyStep) map[string]any {
	v := stepKind(s)
	if s.Name != "" {
		v["name"] = s.Name
	}
	return v
}

// stepKind is what a step does, as the API shows it.
func stepKind(s config.JourneyStep) map[string]any {
	switch {
	case s.Wait != 0:
		return map[string]any{"wait": s.Wait.String()}
	case s.WaitUntil != "":
		return map[string]any{"wait_until": s.WaitUntil}
	case s.If != "":
		return map[string]any{"if": s.If}
	case s.Send != nil:
		cat := s.Send.Category
		if cat == "" {
			cat = "marketing"
		}
		return map[string]any{"send": map[string]any{"category": cat, "template": s.Send.Template.Name,
			"language": s.Send.Template.Language}}
	case s.Tag != nil:
		return map[string]any{"tag": map[string]any{"add": s.Tag.Add, "remove": s.Tag.Remove}}
	case s.WaitFor != nil:
		return map[string]any{"wait_for": map[string]any{"event": s.WaitFor.Event, "within": s.WaitFor.Within.String(),
			"then": s.WaitFor.Then, "else": s.WaitFor.Else}}
	case s.Goto != "":
		return map[string]any{"goto": s.Goto}
	case s.Survey != "":
		return map[string]any{"survey": s.Survey}
	default:
		return map[string]any{"award": s.Award, "reason": s.Reason}
	}
}
