package admin

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/account"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// getMemberByIdentity finds a member by one of the query parameters
// phone (any notation; the tenant's region applies), email, or
// customer_id with connector (the connector instance it came from).
func (a *API) getMemberByIdentity(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	q := r.URL.Query()
	var id member.Identity
	switch {
	case q.Get("phone") != "":
		phone, err := member.NormalizePhone(q.Get("phone"), t.Config.DefaultRegion)
		if err != nil {
			respond.Error(w, http.StatusBadRequest, err.Error())
			return
		}
		id = member.Identity{Kind: member.IdentityPhone, Value: phone}
	case q.Get("email") != "":
		id = member.Identity{Kind: member.IdentityEmail, Value: q.Get("email")}
		if member.NormalizeEmail(id.Value) == "" {
			respond.Error(w, http.StatusBadRequest, "query parameter email is not an email address")
			return
		}
	case q.Get("customer_id") != "":
		if q.Get("connector") == "" {
			respond.Error(w, http.StatusBadRequest, "query parameter customer_id needs connector, the connector the id comes from")
			return
		}
		id = member.Identity{Kind: member.IdentityCustomer, Connector: q.Get("connector"), Value: q.Get("customer_id")}
	default:
		respond.Error(w, http.StatusBadRequest, "one of the query parameters phone, email or customer_id (with connector) is required")
		return
	}
	m, err := a.Store.MemberByIdentity(r.Context(), t.ID, id)
	if err != nil {
		a.respond(w, nil, err, "no member with that "+strings.ReplaceAll(id.Kind, "customer", "customer id"))
		return
	}
	d, err := account.ReadDetail(r.Context(), a.Store, t, m, a.Now())
	a.respond(w, d, err, "")
}

func (a *API) getMember(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	m, err := a.Store.Member(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		a.respond(w, nil, err, "no member "+r.PathValue("id"))
		return
	}
	d, err := account.ReadDetail(r.Context(), a.Store, t, m, a.Now())
	a.respond(w, d, err, "")
}

func (a *API) getLedger(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	m, err := a.Store.Member(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		a.respond(w, nil, err, "no member "+r.PathValue("id"))
		return
	}
	limit, ok := limitParam(w, r)
	if !ok {
		return
	}
	// A merged member's id shows the ledger of the member it joined.
	entries, err := a.Store.Entries(r.Context(), t.ID, m.ID, limit)
	a.respond(w, map[string]any{"member_id": m.ID, "entries": nonNil(entries)}, err, "")
}

func (a *API) listMessages(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	limit, ok := limitParam(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	msgs, err := a.Store.ListMessages(r.Context(), t.ID, store.MessageFilter{
		MemberID: q.Get("member_id"), Status: q.Get("status"), Limit: limit,
	})
	a.respond(w, map[string]any{"messages": nonNil(msgs)}, err, "")
}

func (a *API) getMessage(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	m, err := a.Store.Message(r.Context(), t.ID, r.PathValue("key"))
	a.respond(w, m, err, "no message "+r.PathValue("key"))
}

// deadLetterView shows a payload as text when it is text.
type deadLetterView struct {
	store.DeadLetter
	Payload       string `json:"payload,omitempty"`
	PayloadBase64 []byte `json:"payload_base64,omitempty"`
}

func viewDeadLetter(d store.DeadLetter) deadLetterView {
	v := deadLetterView{DeadLetter: d}
	if utf8.Valid(d.Payload) {
		v.Payload = string(d.Payload)
	} else {
		v.PayloadBase64 = d.Payload
	}
	return v
}

func (a *API) listDeadLetters(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	limit, ok := limitParam(w, r)
	if !ok {
		return
	}
	ds, err := a.Store.ListDeadLetters(r.Context(), t.ID, limit)
	views := make([]deadLetterView, 0, len(ds))
	for _, d := range ds {
		views = append(views, viewDeadLetter(d))
	}
	a.respond(w, map[string]any{"deadletters": views}, err, "")
}

func (a *API) getDeadLetter(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	d, err := a.Store.DeadLetter(r.Context(), t.ID, r.PathValue("id"))
	a.respond(w, viewDeadLetter(d), err, "no dead letter "+r.PathValue("id"))
}

// replayDeadLetter sends the dead letter's payload back to where it failed
// (Replay), under a new message id (the queue would drop the original id as
// a duplicate), for the stage to try again after a fix.
func (a *API) replayDeadLetter(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	d, err := a.Store.DeadLetter(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		a.respond(w, nil, err, "no dead letter "+r.PathValue("id"))
		return
	}
	if d.Topic == "" {
		respond.Error(w, http.StatusConflict, "dead letter has no source topic to replay to")
		return
	}
	if d.Metadata[store.RedactedMeta] != "" {
		respond.Error(w, http.StatusConflict, "dead letter's payload was erased on a privacy request: nothing to replay")
		return
	}
	now := a.Now().UTC()
	topic, id, err := a.Replay(r.Context(), t, d, now)
	if err != nil {
		respond.Error(w, http.StatusServiceUnavailable, "could not enqueue the replay: "+err.Error())
		return
	}
	if err := a.Store.MarkReplayed(r.Context(), t.ID, d.ID, now); err != nil {
		a.respond(w, nil, err, "")
		return
	}
	respond.JSON(w, http.StatusAccepted, map[string]string{"status": "replayed", "topic": topic, "message_id": id})
}

// listAppDeadLetters lists a shared Meta app webhook's unroutable changes.
func (a *API) listAppDeadLetters(w http.ResponseWriter, r *http.Request) {
	app := r.PathValue("app")
	tenant, ok := a.Apps[app]
	if !ok {
		respond.Error(w, http.StatusNotFound, "unknown whatsapp app "+app)
		return
	}
	limit, ok := limitParam(w, r)
	if !ok {
		return
	}
	ds, err := a.Store.ListDeadLetters(r.Context(), tenant, limit)
	a.respond(w, map[string]any{"dead_letters": nonNil(ds)}, err, "")
}
