package admin

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/loyalhub/loyalhub/core/member"
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

// senderView is a sender's state in the admin API.
type senderView struct {
	Name        string    `json:"name"`
	Type        string    `json:"type"`
	Paused      bool      `json:"paused"`
	PausedUntil time.Time `json:"paused_until,omitzero"`
	PauseReason string    `json:"pause_reason,omitempty"`
	Templates   *int      `json:"templates,omitempty"` // listed templates, when known
}

func (a *API) listSenders(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
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
		out = append(out, v)
	}
	a.respond(w, map[string]any{"senders": nonNil(out)}, nil, "")
}

// resumeSender lifts a sender's pause after an operator fixed its
// credentials; replay its dead letters next.
func (a *API) resumeSender(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	c, ok := t.Connectors[r.PathValue("sender")]
	if !ok || c.Sender == nil {
		respond.Error(w, http.StatusNotFound, "no sender "+r.PathValue("sender"))
		return
	}
	c.Pause.Resume()
	a.respond(w, map[string]any{"sender": r.PathValue("sender"), "paused": false}, nil, "")
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
