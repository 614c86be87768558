package pipelines

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

func (h *Hub) messagingRoutes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}"
	mux.Handle("GET "+p+"/contacts", h.admin(h.getContact))
	mux.Handle("POST "+p+"/contacts/consent", h.admin(h.postConsent))
	mux.Handle("GET "+p+"/contacts/messages", h.admin(h.listInbound))
	mux.Handle("GET "+p+"/senders", h.admin(h.listSenders))
	mux.Handle("POST "+p+"/senders/{sender}/resume", h.admin(h.resumeSender))
}

// contactRefParams reads ?phone= or ?user_id=.
func contactRefParams(w http.ResponseWriter, r *http.Request, t *runtime.Tenant, phone, userID string) (store.ContactRef, bool) {
	ref := store.ContactRef{UserID: userID}
	if phone != "" {
		p, err := member.NormalizePhone(phone, t.Config.DefaultRegion)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return ref, false
		}
		ref.Phone = p
	}
	if ref.Empty() {
		writeError(w, http.StatusBadRequest, "phone or user_id is required")
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
func (h *Hub) getContact(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	ref, ok := contactQuery(w, r, t)
	if !ok {
		return
	}
	c, err := h.store.Contact(r.Context(), t.ID, ref)
	if err != nil {
		h.respond(w, nil, err, "no contact with that phone or user id")
		return
	}
	now := h.now()
	h.respond(w, map[string]any{"contact": c, "window_open": c.WindowOpen(now), "held": c.Held(now)}, nil, "")
}

// postConsent records a marketing consent gathered outside WhatsApp (a
// shop's checkbox, a paper form): {"phone", "opted_in", "source"}.
func (h *Hub) postConsent(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	var body struct {
		Phone   string     `json:"phone"`
		UserID  string     `json:"user_id"`
		OptedIn *bool      `json:"opted_in"`
		Source  string     `json:"source"`
		At      *time.Time `json:"at"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "decoding body: "+err.Error())
		return
	}
	ref, ok := contactRefParams(w, r, t, body.Phone, body.UserID)
	if !ok {
		return
	}
	if body.OptedIn == nil {
		writeError(w, http.StatusBadRequest, "opted_in (true or false) is required")
		return
	}
	if body.Source == "" {
		writeError(w, http.StatusBadRequest, "source is required: where the consent was given")
		return
	}
	state := member.ConsentOptedOut
	if *body.OptedIn {
		state = member.ConsentOptedIn
	}
	at := h.now()
	if body.At != nil {
		at = *body.At
	}
	c, err := h.store.UpdateContact(r.Context(), t.ID, ref, member.SetConsent(state, body.Source, at))
	h.respond(w, map[string]any{"contact": c}, err, "")
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

func (h *Hub) listSenders(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
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
	h.respond(w, map[string]any{"senders": nonNil(out)}, nil, "")
}

// resumeSender lifts a sender's pause after an operator fixed its
// credentials; replay its dead letters next.
func (h *Hub) resumeSender(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	c, ok := t.Connectors[r.PathValue("sender")]
	if !ok || c.Sender == nil {
		writeError(w, http.StatusNotFound, "no sender "+r.PathValue("sender"))
		return
	}
	c.Pause.Resume()
	h.respond(w, map[string]any{"sender": r.PathValue("sender"), "paused": false}, nil, "")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
