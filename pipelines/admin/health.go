package admin

import (
	"net/http"
	"time"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// healthDeadLetters is how many of a tenant's latest dead letters the
// health view looks at to count those not replayed.
const healthDeadLetters = 1000

func (a *API) healthRoutes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}"
	mux.Handle("GET /api/v1/whoami", a.self(http.HandlerFunc(a.getWhoami)))
	mux.Handle("GET "+p+"/health", a.tenant(a.getHealth))
	mux.Handle("GET "+p+"/templates", a.tenant(a.listTemplates))
}

// getWhoami tells a caller what its token is: the key, its scope, and the
// tenants it opens (every tenant's id for the admin token and integrator
// keys, its own for a tenant key).
func (a *API) getWhoami(w http.ResponseWriter, r *http.Request) {
	c, _ := CallerFrom(r.Context())
	tenants := []string{}
	for _, id := range a.Tenants.IDs() {
		if c.Opens(id) {
			tenants = append(tenants, id)
		}
	}
	a.respond(w, map[string]any{
		"key_id": c.KeyID, "name": c.Name, "tenant": c.Tenant, "scope": c.Scope.String(), "tenants": tenants,
	}, nil, "")
}

// connectorHealth is a connector's state in the health view. Deliveries
// and Sends count since this replica started.
type connectorHealth struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Kinds are its roles: source, sender or both.
	Kinds []connectors.Kind `json:"kinds"`
	// Deliveries are the webhooks the source accepted and refused.
	Deliveries *activityView `json:"deliveries,omitempty"`
	// Sends are the messages the BSP accepted, and the sends that failed.
	Sends *activityView `json:"sends,omitempty"`
	// Breaker is the account's circuit breaker (closed, half-open, open)
	// when the sender has one, and when it last opened.
	Breaker         string    `json:"breaker,omitempty"`
	BreakerOpenedAt time.Time `json:"breaker_opened_at,omitzero"`
	// Paused is the pause after the BSP refused the sender's credentials;
	// MarketingPaused the pause of its marketing messages for its
	// number's quality.
	Paused          bool      `json:"paused"`
	PausedUntil     time.Time `json:"paused_until,omitzero"`
	PauseReason     string    `json:"pause_reason,omitempty"`
	Quality         string    `json:"quality,omitempty"`
	MarketingPaused bool      `json:"marketing_paused"`
	MarketingReason string    `json:"marketing_pause_reason,omitempty"`
}

type activityView struct {
	runtime.ActivityStats
	ErrorRate float64 `json:"error_rate"`
}

func viewActivity(a *runtime.Activity) *activityView {
	s := a.Stats()
	return &activityView{ActivityStats: s, ErrorRate: s.ErrorRate()}
}

// getHealth shows the tenant's connectors: what they received and sent
// since this replica started, their breakers and pauses; and how many of
// the latest dead letters wait for a replay.
func (a *API) getHealth(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	byName, err := a.senderStates(r.Context(), t.ID)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	out := []connectorHealth{}
	for _, name := range sortedKeys(t.Connectors) {
		c := t.Connectors[name]
		h := connectorHealth{Name: name, Type: c.Spec.Name, Kinds: []connectors.Kind{}}
		for _, k := range []connectors.Kind{connectors.KindSource, connectors.KindSender} {
			if c.Spec.Has(k) {
				h.Kinds = append(h.Kinds, k)
			}
		}
		if c.Source != nil || c.Runner != nil {
			h.Deliveries = viewActivity(c.Deliveries)
		}
		if c.Sender != nil {
			h.Sends = viewActivity(c.Sends)
			if b, ok := c.Sender.(connectors.BreakerReporter); ok {
				h.Breaker, h.BreakerOpenedAt = b.Breaker()
			}
			h.Paused, h.PausedUntil, h.PauseReason = c.Pause.State()
			st := byName[name]
			h.Quality, h.MarketingPaused, h.MarketingReason = st.Quality, st.MarketingPaused, st.PauseReason
		}
		out = append(out, h)
	}
	ds, err := a.Store.ListDeadLetters(r.Context(), t.ID, healthDeadLetters)
	pending := 0
	for _, d := range ds {
		if d.ReplayedAt == nil {
			pending++
		}
	}
	a.respond(w, map[string]any{"tenant": t.ID, "connectors": out, "dead_letters_pending": pending}, err, "")
}

// senderTemplates is a sender's template listing: Known is false when the
// sender cannot list its templates or has not listed them yet.
type senderTemplates struct {
	Sender    string                   `json:"sender"`
	Known     bool                     `json:"known"`
	Templates []messaging.TemplateInfo `json:"templates"`
}

// listTemplates lists each sender's templates with their status, as the
// account last listed them (and status webhooks changed them since).
func (a *API) listTemplates(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	out := []senderTemplates{}
	for _, name := range sortedKeys(t.Connectors) {
		c := t.Connectors[name]
		if c.Sender == nil {
			continue
		}
		cat := c.Templates.Catalog()
		out = append(out, senderTemplates{Sender: name, Known: cat != nil, Templates: nonNil(cat.All())})
	}
	a.respond(w, map[string]any{"senders": out}, nil, "")
}
