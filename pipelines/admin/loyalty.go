package admin

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

func (a *API) loyaltyRoutes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}"
	mux.Handle("GET "+p+"/members/{id}/lots", a.tenant(a.getLots))
	mux.Handle("POST "+p+"/members/{id}/adjustments", a.tenant(a.postAdjustment))
	mux.Handle("POST "+p+"/program/simulate", a.tenant(a.postSimulate))
	mux.Handle("POST "+p+"/members/{id}/tier", a.tenant(a.postTier))
}

func (a *API) getLots(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	m, err := a.Store.Member(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		a.respond(w, nil, err, "no member "+r.PathValue("id"))
		return
	}
	lots, err := a.Store.Lots(r.Context(), t.ID, m.ID)
	a.respond(w, map[string]any{"member_id": m.ID, "lots": nonNil(lots)}, err, "")
}

// adjustmentRequest is a manual correction of a member's points.
type adjustmentRequest struct {
	Points int64  `json:"points"`
	Reason string `json:"reason"`
	// Actor is who asks for it (an operator's name or email), kept on the
	// ledger entry.
	Actor string `json:"actor"`
	// RequestID makes the request idempotent: the same id is applied once.
	RequestID string `json:"request_id"`
}

func (a *API) postAdjustment(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	var req adjustmentRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.RequestID == "" {
		req.RequestID = r.Header.Get("Idempotency-Key")
	}
	if !required(w, map[string]string{"actor": req.Actor, "reason": req.Reason, "request_id": req.RequestID}) {
		return
	}
	if req.Points == 0 {
		respond.Error(w, http.StatusBadRequest, "points must not be 0")
		return
	}
	id := r.PathValue("id")
	// The request id is the client's; scoped to the member, the same id
	// sent for another member is another adjustment.
	eventID := event.DerivedID("ev_", t.ID, "adjust", id, req.RequestID)
	now := a.Now().UTC()
	res, err := a.Transact(r.Context(), t, "", eventID, store.AccountRef{MemberID: id}, now,
		func(a *loyalty.Account) error {
			return t.Program.AdjustAs(a, eventID, req.Points, req.Reason, req.Actor, now)
		})
	switch {
	case errors.Is(err, store.ErrNoMember):
		respond.Error(w, http.StatusNotFound, "no member "+id)
		return
	case errors.Is(err, loyalty.ErrInsufficientPoints):
		respond.Error(w, http.StatusConflict, err.Error())
		return
	case errors.Is(err, loyalty.ErrBadEvent):
		respond.Error(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		a.respond(w, nil, err, "")
		return
	}
	code := http.StatusCreated
	if res.Replayed {
		code = http.StatusOK
	}
	respond.JSON(w, code, map[string]any{
		"event_id": eventID, "replayed": res.Replayed, "balance": res.Member.Balance, "pending": res.Member.Pending,
	})
}

// errSimulated rolls a simulated transaction back.
var errSimulated = errors.New("simulation: nothing is written")

// simulateRequest is an event to run against the program without keeping
// anything.
type simulateRequest struct {
	Type       string          `json:"type"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
	// Connector is the connector the event comes from, whose customer id
	// data.customer_id is.
	Connector string `json:"connector"`
}

// simulateResponse is what the event would do.
type simulateResponse struct {
	Member   loyalty.Member    `json:"member"` // after the event
	New      bool              `json:"new_member"`
	Entries  []loyalty.Entry   `json:"entries"`
	Lots     []*loyalty.Lot    `json:"lots"`
	Outcomes []loyalty.Outcome `json:"outcomes"`
}

// postSimulate runs an event through the tenant's program on the member's
// real account inside a transaction that is then rolled back: the answer is
// exactly what the event would do now, and nothing is written.
func (a *API) postSimulate(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	var req simulateRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Type == "" || len(req.Data) == 0 {
		respond.Error(w, http.StatusBadRequest, "type and data are required")
		return
	}
	if req.OccurredAt.IsZero() {
		req.OccurredAt = a.Now().UTC()
	}
	ev := event.Event{
		ID:     event.DerivedID("ev_", t.ID, "simulate", a.Now().Format(time.RFC3339Nano), rand.Text()),
		Tenant: t.ID, Type: req.Type, Connector: req.Connector, OccurredAt: req.OccurredAt, Data: req.Data,
	}
	ref, err := a.AccountRef(t.Config.DefaultRegion, ev)
	if err != nil {
		respond.Error(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	var out simulateResponse
	_, err = a.Store.Transact(r.Context(), t.ID, ev.ID, ref, ev.OccurredAt, func(a *loyalty.Account) error {
		if err := t.Program.Apply(a, ev); err != nil {
			return err
		}
		ch := a.Changes()
		out = simulateResponse{
			Member: ch.Member, New: a.New, Entries: nonNil(ch.Entries), Lots: nonNil(ch.Lots),
			Outcomes: nonNil(ch.Outcomes),
		}
		return errSimulated
	})
	switch {
	case errors.Is(err, errSimulated):
		respond.JSON(w, http.StatusOK, out)
	case errors.Is(err, store.ErrNoMember), errors.Is(err, loyalty.ErrOrderNotFound),
		errors.Is(err, loyalty.ErrBadEvent), errors.Is(err, loyalty.ErrInsufficientPoints):
		respond.Error(w, http.StatusUnprocessableEntity, err.Error())
	default:
		a.respond(w, nil, err, "")
	}
}

// tierRequest sets a member's level by hand.
type tierRequest struct {
	Tier      string     `json:"tier"`
	Until     *time.Time `json:"until"` // when the program takes over again; null: until set again
	Reason    string     `json:"reason"`
	Actor     string     `json:"actor"`
	RequestID string     `json:"request_id"`
}

// postTier sets a member's level by hand: explicit on the member (manual,
// until when), never a silent floor; the program reviews the level again
// once it ends.
func (a *API) postTier(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	var req tierRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if !required(w, map[string]string{"tier": req.Tier, "actor": req.Actor, "reason": req.Reason, "request_id": req.RequestID}) {
		return
	}
	id := r.PathValue("id")
	eventID := event.DerivedID("ev_", t.ID, "tier", id, req.RequestID)
	now := a.Now().UTC()
	res, err := a.Transact(r.Context(), t, "", eventID, store.AccountRef{MemberID: id}, now,
		func(a *loyalty.Account) error {
			return t.Program.SetTier(a, req.Tier, req.Until, req.Actor, req.Reason, now)
		})
	switch {
	case errors.Is(err, store.ErrNoMember):
		respond.Error(w, http.StatusNotFound, "no member "+id)
		return
	case errors.Is(err, loyalty.ErrBadEvent):
		respond.Error(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		a.respond(w, nil, err, "")
		return
	}
	respond.JSON(w, http.StatusOK, map[string]any{"event_id": eventID, "replayed": res.Replayed, "tier": res.Member.Tier})
}
