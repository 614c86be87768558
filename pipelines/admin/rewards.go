package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/account"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

func (a *API) rewardsRoutes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}"
	mux.Handle("GET "+p+"/rewards", a.tenant(a.listRewards))
	mux.Handle("POST "+p+"/rewards/{reward}/codes", a.tenant(a.postRewardCodes))
	mux.Handle("POST "+p+"/members/{id}/redemptions", a.tenant(a.postRedemption))
	mux.Handle("GET "+p+"/members/{id}/redemptions", a.tenant(a.listRedemptions))
}

// rewardView is a reward of the catalog with what is left of it.
type rewardView struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Cost  int64    `json:"cost"`
	Tiers []string `json:"tiers,omitempty"`
	Codes string   `json:"codes"` // pool, pattern or issuer
	// Stock is the configured stock; absent when unlimited.
	Stock    int64 `json:"stock,omitempty"`
	Redeemed int64 `json:"redeemed"`
	// Left is how many more redemptions the stock and, for a pool, the
	// codes allow; null when unlimited.
	Left       *int64     `json:"left"`
	CodesLeft  *int64     `json:"codes_left,omitempty"` // pool rewards
	ValidFrom  *time.Time `json:"valid_from,omitempty"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	// Available is true when the reward can be redeemed now, by a member
	// with the points (and the tier, when it has tiers).
	Available bool `json:"available"`
}

func viewReward(r loyalty.Reward, st store.RewardStock, now time.Time) rewardView {
	v := rewardView{
		ID: r.ID, Name: r.Name, Cost: r.Cost, Tiers: r.Tiers, Codes: r.Codes, Stock: r.Stock, Redeemed: st.Redeemed,
	}
	if r.Stock > 0 {
		left := max(r.Stock-st.Redeemed, 0)
		v.Left = &left
	}
	if r.Codes == loyalty.CodesPool {
		codes := st.CodesLeft
		v.CodesLeft = &codes
		if v.Left == nil || codes < *v.Left {
			v.Left = &codes
		}
	}
	if !r.From.IsZero() {
		from := r.From.UTC()
		v.ValidFrom = &from
	}
	if !r.Until.IsZero() {
		until := r.Until.UTC()
		v.ValidUntil = &until
	}
	v.Available = r.AvailableAt(now, time.UTC) == nil && (v.Left == nil || *v.Left > 0)
	return v
}

func (a *API) listRewards(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	stock, err := a.Store.RewardStock(r.Context(), t.ID)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	now := a.Now()
	rewards := t.Program.Rewards()
	views := make([]rewardView, 0, len(rewards))
	for _, rw := range rewards {
		views = append(views, viewReward(rw, stock[rw.ID], now))
	}
	respond.JSON(w, http.StatusOK, map[string]any{"rewards": views})
}

// codesRequest imports codes into a pool reward.
type codesRequest struct {
	Codes []string `json:"codes"`
}

func (a *API) postRewardCodes(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	id := r.PathValue("reward")
	rw, ok := t.Program.Reward(id)
	if !ok {
		respond.Error(w, http.StatusNotFound, "no reward "+id)
		return
	}
	if rw.Codes != loyalty.CodesPool {
		respond.Error(w, http.StatusConflict, fmt.Sprintf("reward %s takes its codes from its %s, not from a pool", id, rw.Codes))
		return
	}
	var req codesRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if len(req.Codes) == 0 {
		respond.Error(w, http.StatusBadRequest, "codes: required, a list of codes")
		return
	}
	for i, c := range req.Codes {
		if strings.TrimSpace(c) == "" {
			respond.Error(w, http.StatusBadRequest, fmt.Sprintf("codes[%d] is empty", i))
			return
		}
	}
	added, dups, err := a.Store.ImportCodes(r.Context(), t.ID, id, req.Codes)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	stock, err := a.Store.RewardStock(r.Context(), t.ID)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	respond.JSON(w, http.StatusOK, map[string]any{
		"reward_id": id, "added": added, "duplicates": dups, "codes_left": stock[id].CodesLeft,
	})
}

// redemptionRequest redeems a reward for a member.
type redemptionRequest struct {
	RewardID string `json:"reward_id"`
	// RequestID makes the request idempotent: the same id redeems once for
	// the member, and answers the same redemption and code again.
	RequestID string `json:"request_id"`
}

func (a *API) postRedemption(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	var req redemptionRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.RequestID == "" {
		req.RequestID = r.Header.Get("Idempotency-Key")
	}
	if !required(w, map[string]string{"reward_id": req.RewardID, "request_id": req.RequestID}) {
		return
	}
	res, err := a.Redeemer.Redeem(r.Context(), t, r.PathValue("id"), req.RewardID, req.RequestID, "")
	var re *account.Refusal
	switch {
	case errors.As(err, &re):
		respond.Error(w, re.Status, re.Error())
		return
	case err != nil:
		a.respond(w, nil, err, "")
		return
	}
	code := http.StatusCreated
	if res.Replayed {
		code = http.StatusOK
	}
	respond.JSON(w, code, res)
}

func (a *API) listRedemptions(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	m, err := a.Store.Member(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		a.respond(w, nil, err, "no member "+r.PathValue("id"))
		return
	}
	limit, ok := limitParam(w, r)
	if !ok {
		return
	}
	ds, err := a.Store.ListRedemptions(r.Context(), t.ID, m.ID, limit)
	views := make([]account.RedemptionView, 0, len(ds))
	for _, d := range ds {
		views = append(views, account.ViewRedemption(t, d))
	}
	a.respond(w, map[string]any{"member_id": m.ID, "redemptions": views}, err, "")
}
