package admin

import (
	"errors"
	"net/http"
	"strings"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// privacyOperator is the type label of erasures the operator asks for
// through the admin API in loyalhub_privacy_requests_total.
const privacyOperator = "admin.redact"

func (a *API) privacyRoutes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}"
	mux.Handle("POST "+p+"/privacy/redact", a.tenantAdmin(a.postRedact))
}

// redactRequest is a person's request to be erased, passed on by the
// operator: the person named by phone, email and a source's customer id
// (with the connector it comes from), any of them together, or by member
// id alone.
type redactRequest struct {
	Phone      string `json:"phone"`
	Email      string `json:"email"`
	CustomerID string `json:"customer_id"`
	Connector  string `json:"connector"`
	MemberID   string `json:"member_id"`
	// RequestID makes the request idempotent: the same id erases once and
	// answers what it erased then.
	RequestID string `json:"request_id"`
	// Actor is who passed the request on (an operator's name or email),
	// kept with the record of the erasure.
	Actor string `json:"actor"`
}

// redactAnswer is what an erasure did.
type redactAnswer struct {
	store.Erasure
	// Replayed is true when the request id had erased before: nothing
	// was done again.
	Replayed bool `json:"replayed"`
}

// postRedact erases a person on their request as a shop's privacy.redact
// does (the members found, their messages, contacts and conversations, and
// every dead letter's payload that names them), for people no source sends
// privacy webhooks for: a POS or CSV customer, someone who wrote on
// WhatsApp. 404 when nothing names the person: nothing is erased or kept,
// so that the request can be corrected and sent again under its id.
func (a *API) postRedact(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	var req redactRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.RequestID == "" {
		req.RequestID = r.Header.Get("Idempotency-Key")
	}
	if !required(w, map[string]string{"actor": req.Actor, "request_id": req.RequestID}) {
		return
	}
	named, ref, ok := a.redactSubject(w, t, req)
	if !ok {
		return
	}
	a.erasing.Lock()
	defer a.erasing.Unlock()
	ctx := r.Context()
	count := func(result string) { a.PrivacyRequests.WithLabelValues(t.ID, privacyOperator, result).Inc() }
	if done, err := a.Store.Erasure(ctx, t.ID, req.RequestID); err == nil {
		count("replayed")
		respond.JSON(w, http.StatusOK, redactAnswer{Erasure: done, Replayed: true})
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		a.respond(w, nil, err, "")
		return
	}
	var ms []member.Member
	var err error
	if req.MemberID != "" {
		var m member.Member
		m, err = a.Store.Member(ctx, t.ID, req.MemberID)
		if err == nil {
			ms = []member.Member{m}
		}
	} else {
		ms, err = a.MembersOf(ctx, t.ID, ref)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		a.respond(w, nil, err, "")
		return
	}
	done, err := a.Erase(ctx, t.ID, req.RequestID, named, ms)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	if len(done.Members) == 0 && done.DeadLetters == 0 {
		if kept, err := a.Store.Erasure(ctx, t.ID, req.RequestID); err == nil {
			// The same request id erased them at the same time, through
			// another replica.
			count("replayed")
			respond.JSON(w, http.StatusOK, redactAnswer{Erasure: kept, Replayed: true})
			return
		}
		count("no_member")
		respond.Error(w, http.StatusNotFound, "no member and no dead letter names that person: nothing was erased")
		return
	}
	done.Actor, done.At = req.Actor, a.Now()
	kept, recorded, err := a.Store.RecordErasure(ctx, done)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	a.Logger.Warn("a person's personal data erased on the operator's request", "tenant", t.ID,
		"request", req.RequestID, "actor", req.Actor, "members", kept.Members, "dead_letters", done.DeadLetters)
	if !recorded {
		// Another replica erased under the same request id at the same
		// time: its record answers.
		count("replayed")
		respond.JSON(w, http.StatusOK, redactAnswer{Erasure: kept, Replayed: true})
		return
	}
	count("erased")
	respond.JSON(w, http.StatusCreated, redactAnswer{Erasure: kept})
}

// redactSubject reads whom a redaction request names: what to look for in
// dead letters, and the reference its members are found by (unused for a
// member id). It answers 400 and returns false for a request naming nobody,
// or naming them by something that is not a phone number, an email
// address, or a customer id of one of the tenant's connectors.
func (a *API) redactSubject(w http.ResponseWriter, t *runtime.Tenant, req redactRequest) (member.Person, store.AccountRef, bool) {
	var named member.Person
	var ref store.AccountRef
	bad := func(msg string) (member.Person, store.AccountRef, bool) {
		respond.Error(w, http.StatusBadRequest, msg)
		return member.Person{}, store.AccountRef{}, false
	}
	byIdentity := req.Phone != "" || req.Email != "" || req.CustomerID != ""
	switch {
	case req.MemberID != "" && byIdentity:
		return bad("member_id names the person alone: leave out phone, email and customer_id")
	case req.MemberID != "":
		return named, ref, true
	case !byIdentity:
		return bad("one of phone, email, customer_id (with connector) or member_id is required")
	}
	if req.Phone != "" {
		phone, err := member.NormalizePhone(req.Phone, t.Config.DefaultRegion)
		if err != nil {
			return bad(err.Error())
		}
		named.Phones, ref.Phone = []string{phone}, phone
	}
	if req.Email != "" {
		if member.NormalizeEmail(req.Email) == "" {
			return bad("email is not an email address")
		}
		named.Emails, ref.Email = []string{req.Email}, req.Email
	}
	if req.CustomerID != "" {
		if _, ok := t.Connectors[req.Connector]; !ok {
			return bad("customer_id needs connector, one of the tenant's connectors: " + strings.Join(sortedKeys(t.Connectors), ", "))
		}
		named.CustomerIDs, ref.CustomerID, ref.Connector = []string{req.CustomerID}, req.CustomerID, req.Connector
	}
	return named, ref, true
}
