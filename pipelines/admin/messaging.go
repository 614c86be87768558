package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

func (a *API) messagingRoutes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}"
	mux.Handle("GET "+p+"/contacts", a.tenant(a.getContact))
	mux.Handle("POST "+p+"/contacts/consent", a.tenant(a.postConsent))
	mux.Handle("GET "+p+"/contacts/messages", a.tenant(a.listInbound))
	mux.Handle("GET "+p+"/senders", a.tenant(a.listSenders))
	mux.Handle("POST "+p+"/senders/{sender}/resume", a.tenant(a.resumeSender))
	mux.Handle("GET "+p+"/costs", a.tenant(a.getCosts))
}

// contactRefParams reads ?phone= or ?user_id=.
func contactRefParams(w http.ResponseWriter, r *http.Request, t *runtime.Tenant, phone, userID string) (store.ContactRef, bool) {
	ref := store.ContactRef{UserID: userID}
	if phone != "" {
		p, err := member.NormalizePhone(phone, t.Config.DefaultRegion)
		if err != nil {
			respond.Error(w, http.StatusBadRequest, err.Error())
			return ref, false
		}
		ref.Phone = p
	}
	if ref.Empty() {
		respond.Error(w, http.StatusBadRequest, "phone or user_id is required")
		return ref, false
	}
	return ref, true
}

// contactQuery reads the query parameters ?phone= or ?user_id=.
func contactQuery(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) (store.ContactRef, bool) {
	q := r.URL.Query()
	return contactRefParams(w, r, t, q.Get("phone"), q.Get("user_id"))
}

// getContact shows what the messaging policy knows of a WhatsApp user:
// consent, window, hold.
func (a *API) getContact(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	ref, ok := contactQuery(w, r, t)
	if !ok {
		return
	}
	c, err := a.Store.Contact(r.Context(), t.ID, ref)
	if err != nil {
		a.respond(w, nil, err, "no contact with that phone or user id")
		return
	}
	now := a.Now()
	a.respond(w, map[string]any{"contact": c, "window_open": c.WindowOpen(now), "held": c.Held(now)}, nil, "")
}

// postConsent records a marketing consent gathered outside WhatsApp (a
// shop's checkbox, a paper form): {"phone", "opted_in", "source"}.
func (a *API) postConsent(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	var body struct {
		Phone   string     `json:"phone"`
		UserID  string     `json:"user_id"`
		OptedIn *bool      `json:"opted_in"`
		Source  string     `json:"source"`
		At      *time.Time `json:"at"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil {
		respond.Error(w, http.StatusBadRequest, "decoding body: "+err.Error())
		return
	}
	ref, ok := contactRefParams(w, r, t, body.Phone, body.UserID)
	if !ok {
		return
	}
	if body.OptedIn == nil {
		respond.Error(w, http.StatusBadRequest, "opted_in (true or false) is required")
		return
	}
	if body.Source == "" {
		respond.Error(w, http.StatusBadRequest, "source is required: where the consent was given")
		return
	}
	state := member.ConsentOptedOut
	if *body.OptedIn {
		state = member.ConsentOptedIn
	}
	at := a.Now()
	if body.At != nil {
		at = *body.At
	}
	c, err := a.Store.UpdateContact(r.Context(), t.ID, ref, member.SetConsent(state, body.Source, at))
	a.respond(w, map[string]any{"contact": c}, err, "")
}

// senderView is a sender's state in the admin API: the pause after its
// credentials were refused, and what WhatsApp last said of its messaging
// limit and its number's quality.
type senderView struct {
	Name        string    `json:"name"`
	Type        string    `json:"type"`
	Paused      bool      `json:"paused"`
	PausedUntil time.Time `json:"paused_until,omitzero"`
	PauseReason string    `json:"pause_reason,omitempty"`
	Templates   *int      `json:"templates,omitempty"` // listed templates, when known
	// MessagingLimit is the limit in force: WhatsApp's last word, else
	// the configured one ("250"…"unlimited"); empty when none is known.
	// LimitSource says which (whatsapp, config).
	MessagingLimit string    `json:"messaging_limit,omitempty"`
	LimitSource    string    `json:"limit_source,omitempty"`
	LimitAt        time.Time `json:"limit_at,omitzero"`
	// Reached is how many unique users the sender reached outside a
	// service window in the last 24 hours.
	Reached         int       `json:"reached_24h"`
	Quality         string    `json:"quality,omitempty"`
	QualityAt       time.Time `json:"quality_at,omitzero"`
	MarketingPaused bool      `json:"marketing_paused"`
	MarketingReason string    `json:"marketing_pause_reason,omitempty"`
}

func limitText(n int) string {
	switch {
	case n < 0:
		return config.LimitUnlimited
	case n == 0:
		return ""
	}
	return strconv.Itoa(n)
}

// senderStates returns what the store knows of tenant's senders, by
// sender name.
func (a *API) senderStates(ctx context.Context, tenant string) (map[string]store.SenderState, error) {
	states, err := a.Store.SenderStates(ctx, tenant)
	byName := make(map[string]store.SenderState, len(states))
	for _, st := range states {
		byName[st.Sender] = st
	}
	return byName, err
}

func (a *API) listSenders(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	byName, err := a.senderStates(r.Context(), t.ID)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	since := a.Now().Add(-messaging.ReachWindow)
	var out []senderView
	for _, name := range sortedKeys(t.Connectors) {
		c := t.Connectors[name]
		if c.Sender == nil {
			continue
		}
		v := senderView{Name: name, Type: c.Spec.Name}
		v.Paused, v.PausedUntil, v.PauseReason = c.Pause.State()
		if cat := c.Templates.Catalog(); cat != nil {
			n := cat.Len()
			v.Templates = &n
		}
		st := byName[name]
		switch {
		case st.MessagingLimit != 0:
			v.MessagingLimit, v.LimitSource, v.LimitAt = limitText(st.MessagingLimit), "whatsapp", st.LimitAt
		case t.Policy.MessagingLimit != 0:
			v.MessagingLimit, v.LimitSource = limitText(t.Policy.MessagingLimit), "config"
		}
		reach, err := a.Store.Reach(r.Context(), t.ID, name, "", since)
		if err != nil {
			a.respond(w, nil, err, "")
			return
		}
		v.Reached = reach.Reached
		v.Quality, v.QualityAt = st.Quality, st.QualityAt
		v.MarketingPaused, v.MarketingReason = st.MarketingPaused, st.PauseReason
		out = append(out, v)
	}
	a.respond(w, map[string]any{"senders": nonNil(out)}, nil, "")
}

// resumeSender lifts a sender's pauses: after an operator fixed its
// credentials (replay its dead letters next), or when they decide its
// marketing messages go again despite a quality drop (the ones it held
// back are due at once).
func (a *API) resumeSender(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	name := r.PathValue("sender")
	c, ok := t.Connectors[name]
	if !ok || c.Sender == nil {
		respond.Error(w, http.StatusNotFound, "no sender "+name)
		return
	}
	c.Pause.Resume()
	st, err := a.Store.SenderState(r.Context(), t.ID, name)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	if st.MarketingPaused {
		if err := a.Store.SetQuality(r.Context(), t.ID, name, st.Quality, false, "", a.Now()); err != nil {
			a.respond(w, nil, err, "")
			return
		}
		if a.QualityPaused != nil {
			a.QualityPaused.WithLabelValues(t.ID, name).Set(0)
		}
		n, err := a.Store.ResumeDeferred(r.Context(), t.ID, name, messaging.CodeQualityPaused, a.Now())
		if err != nil {
			a.respond(w, nil, err, "")
			return
		}
		a.Logger.Info("operator resumed the sender's marketing messages", "tenant", t.ID, "sender", name, "quality", st.Quality,
			"resumed", n)
	}
	a.respond(w, map[string]any{"sender": name, "paused": false, "marketing_paused": false}, nil, "")
}

// listInbound lists what a WhatsApp user sent, newest first:
// ?phone= or ?user_id=, and limit.
func (a *API) listInbound(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	ref, ok := contactQuery(w, r, t)
	if !ok {
		return
	}
	limit, ok := limitParam(w, r)
	if !ok {
		return
	}
	ms, err := a.Store.ListInbound(r.Context(), t.ID, ref, limit)
	a.respond(w, map[string]any{"messages": nonNil(ms)}, err, "")
}
