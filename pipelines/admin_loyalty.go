package pipelines

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// expiringWindow is how far ahead member detail reports expiring points.
const expiringWindow = 30 * 24 * time.Hour

func (h *Hub) loyaltyRoutes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}"
	mux.Handle("GET "+p+"/members/{id}/lots", h.admin(h.getLots))
	mux.Handle("POST "+p+"/members/{id}/adjustments", h.admin(h.postAdjustment))
	mux.Handle("POST "+p+"/program/simulate", h.admin(h.postSimulate))
	mux.Handle("POST "+p+"/members/{id}/tier", h.admin(h.postTier))
}

// memberDetail is a member with what the program knows of them.
type memberDetail struct {
	member.Member
	// Expiring is the points that expire within 30 days, and when the
	// first of them do.
	Expiring     int64      `json:"expiring_30d"`
	NextExpiry   *time.Time `json:"next_expiry,omitempty"`
	OpenLots     int        `json:"open_lots"`
	NextActivate *time.Time `json:"next_activation,omitempty"`
	// Progress is where the member stands in the program's tiers.
	Progress *loyalty.TierProgress `json:"tier_progress,omitempty"`
	// Badges the member earned, and how far they are in each challenge
	// this period.
	Badges     []store.Badge       `json:"badges"`
	Challenges []challengeProgress `json:"challenges,omitempty"`
}

// challengeProgress is a member's count in a challenge's current period.
type challengeProgress struct {
	Name   string `json:"name"`
	Period string `json:"period"`
	Done   int64  `json:"done"`
	Count  int    `json:"count"`
	Badge  string `json:"badge,omitempty"`
}

func (h *Hub) detail(ctx context.Context, t *runtime.Tenant, m member.Member) (memberDetail, error) {
	d := memberDetail{Member: m}
	lots, err := h.store.Lots(ctx, t.ID, m.ID)
	if err != nil {
		return d, err
	}
	if t.Program.HasTiers() {
		now := h.now()
		lm := store.LoyaltyMember(m)
		q, err := h.store.Qualifying(ctx, t.ID, m.ID, t.Program.TierBasis(), t.Program.WindowStart(lm, now))
		if err != nil {
			return d, err
		}
		if tp, ok := t.Program.Progress(lm, q); ok {
			d.Progress = &tp
		}
	}
	if d.Badges, err = h.store.Badges(ctx, t.ID, m.ID); err != nil {
		return d, err
	}
	d.Badges = nonNil(d.Badges)
	if chs := t.Program.Challenges(); len(chs) > 0 {
		keys := make([]string, len(chs))
		for i, c := range chs {
			keys[i] = loyalty.ChallengeKey(c.Name, c.Period, h.now(), t.Program.Location)
		}
		done, err := h.store.CounterValues(ctx, t.ID, m.ID, keys)
		if err != nil {
			return d, err
		}
		for i, c := range chs {
			d.Challenges = append(d.Challenges, challengeProgress{
				Name: c.Name, Period: c.Period, Done: min(done[keys[i]], int64(c.Count)), Count: c.Count, Badge: c.Badge,
			})
		}
	}
	horizon := h.now().Add(expiringWindow)
	for _, l := range lots {
		switch {
		case l.Status == loyalty.LotActive && l.Remaining > 0:
			d.OpenLots++
			if l.ExpiresAt != nil && !l.ExpiresAt.After(horizon) {
				d.Expiring += l.Remaining
				if d.NextExpiry == nil || l.ExpiresAt.Before(*d.NextExpiry) {
					d.NextExpiry = l.ExpiresAt
				}
			}
		case l.Status == loyalty.LotPending:
			d.OpenLots++
			if d.NextActivate == nil || l.ActivatesAt.Before(*d.NextActivate) {
				d.NextActivate = l.ActivatesAt
			}
		}
	}
	return d, nil
}

func (h *Hub) getLots(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	m, err := h.store.Member(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		h.respond(w, nil, err, "no member "+r.PathValue("id"))
		return
	}
	lots, err := h.store.Lots(r.Context(), t.ID, m.ID)
	h.respond(w, map[string]any{"member_id": m.ID, "lots": nonNil(lots)}, err, "")
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

func (h *Hub) postAdjustment(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
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
		writeError(w, http.StatusBadRequest, "points must not be 0")
		return
	}
	id := r.PathValue("id")
	// The request id is the client's; scoped to the member, the same id
	// sent for another member is another adjustment.
	eventID := event.DerivedID("ev_", t.ID, "adjust", id, req.RequestID)
	now := h.now().UTC()
	res, err := h.transact(r.Context(), t, "", eventID, store.AccountRef{MemberID: id}, now,
		func(a *loyalty.Account) error {
			return t.Program.AdjustAs(a, eventID, req.Points, req.Reason, req.Actor, now)
		})
	switch {
	case errors.Is(err, store.ErrNoMember):
		writeError(w, http.StatusNotFound, "no member "+id)
		return
	case errors.Is(err, loyalty.ErrInsufficientPoints):
		writeError(w, http.StatusConflict, err.Error())
		return
	case errors.Is(err, loyalty.ErrBadEvent):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		h.respond(w, nil, err, "")
		return
	}
	code := http.StatusCreated
	if res.Replayed {
		code = http.StatusOK
	}
	writeJSON(w, code, map[string]any{
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
func (h *Hub) postSimulate(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	var req simulateRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Type == "" || len(req.Data) == 0 {
		writeError(w, http.StatusBadRequest, "type and data are required")
		return
	}
	if req.OccurredAt.IsZero() {
		req.OccurredAt = h.now().UTC()
	}
	ev := event.Event{
		ID:     event.DerivedID("ev_", t.ID, "simulate", h.now().Format(time.RFC3339Nano), newHolder()),
		Tenant: t.ID, Type: req.Type, Connector: req.Connector, OccurredAt: req.OccurredAt, Data: req.Data,
	}
	ref, err := AccountRef(t.Config.DefaultRegion, ev)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	var out simulateResponse
	_, err = h.store.Transact(r.Context(), t.ID, ev.ID, ref, ev.OccurredAt, func(a *loyalty.Account) error {
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
		writeJSON(w, http.StatusOK, out)
	case errors.Is(err, store.ErrNoMember), errors.Is(err, loyalty.ErrOrderNotFound),
		errors.Is(err, loyalty.ErrBadEvent), errors.Is(err, loyalty.ErrInsufficientPoints):
		writeError(w, http.StatusUnprocessableEntity, err.Error())
	default:
		h.respond(w, nil, err, "")
	}
}

// required answers 400 naming the fields that are empty, and reports
// whether all were given.
func required(w http.ResponseWriter, fields map[string]string) bool {
	var missing []string
	for name, v := range fields {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return true
	}
	slices.Sort(missing)
	writeError(w, http.StatusBadRequest, "required: "+strings.Join(missing, ", "))
	return false
}

// decodeBody reads a JSON request body into v, answering 400 when it is not
// one.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("request body: %v", err))
		return false
	}
	return true
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
func (h *Hub) postTier(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	var req tierRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if !required(w, map[string]string{"tier": req.Tier, "actor": req.Actor, "reason": req.Reason, "request_id": req.RequestID}) {
		return
	}
	id := r.PathValue("id")
	eventID := event.DerivedID("ev_", t.ID, "tier", id, req.RequestID)
	now := h.now().UTC()
	res, err := h.transact(r.Context(), t, "", eventID, store.AccountRef{MemberID: id}, now,
		func(a *loyalty.Account) error {
			return t.Program.SetTier(a, req.Tier, req.Until, req.Actor, req.Reason, now)
		})
	switch {
	case errors.Is(err, store.ErrNoMember):
		writeError(w, http.StatusNotFound, "no member "+id)
		return
	case errors.Is(err, loyalty.ErrBadEvent):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		h.respond(w, nil, err, "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"event_id": eventID, "replayed": res.Replayed, "tier": res.Member.Tier})
}
