package pipelines

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// issueTimeout bounds asking a shop connector for a code and recording
// the answer. It does not end with the request: a client that hangs up
// must not leave a redemption reserved.
const issueTimeout = 30 * time.Second

func (h *Hub) rewardsRoutes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}"
	mux.Handle("GET "+p+"/rewards", h.admin(h.listRewards))
	mux.Handle("POST "+p+"/rewards/{reward}/codes", h.admin(h.postRewardCodes))
	mux.Handle("POST "+p+"/members/{id}/redemptions", h.admin(h.postRedemption))
	mux.Handle("GET "+p+"/members/{id}/redemptions", h.admin(h.listRedemptions))
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

func (h *Hub) listRewards(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	stock, err := h.store.RewardStock(r.Context(), t.ID)
	if err != nil {
		h.respond(w, nil, err, "")
		return
	}
	now := h.now()
	rewards := t.Program.Rewards()
	views := make([]rewardView, 0, len(rewards))
	for _, rw := range rewards {
		views = append(views, viewReward(rw, stock[rw.ID], now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"rewards": views})
}

// codesRequest imports codes into a pool reward.
type codesRequest struct {
	Codes []string `json:"codes"`
}

func (h *Hub) postRewardCodes(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	id := r.PathValue("reward")
	rw, ok := t.Program.Reward(id)
	if !ok {
		writeError(w, http.StatusNotFound, "no reward "+id)
		return
	}
	if rw.Codes != loyalty.CodesPool {
		writeError(w, http.StatusConflict, fmt.Sprintf("reward %s takes its codes from its %s, not from a pool", id, rw.Codes))
		return
	}
	var req codesRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if len(req.Codes) == 0 {
		writeError(w, http.StatusBadRequest, "codes: required, a list of codes")
		return
	}
	for i, c := range req.Codes {
		if strings.TrimSpace(c) == "" {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("codes[%d] is empty", i))
			return
		}
	}
	added, dups, err := h.store.ImportCodes(r.Context(), t.ID, id, req.Codes)
	if err != nil {
		h.respond(w, nil, err, "")
		return
	}
	stock, err := h.store.RewardStock(r.Context(), t.ID)
	if err != nil {
		h.respond(w, nil, err, "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
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

// redemptionView is a redemption with its reward's name.
type redemptionView struct {
	loyalty.Redemption
	RewardName string `json:"reward_name,omitempty"`
}

func viewRedemption(t *runtime.Tenant, d loyalty.Redemption) redemptionView {
	v := redemptionView{Redemption: d}
	if rw, ok := t.Program.Reward(d.RewardID); ok {
		v.RewardName = rw.Name
	}
	return v
}

// redeemResponse answers a redemption.
type redeemResponse struct {
	redemptionView
	Balance  int64 `json:"balance"`
	Replayed bool  `json:"replayed"`
}

func (h *Hub) postRedemption(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
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
	res, err := h.redeem(r.Context(), t, r.PathValue("id"), req.RewardID, req.RequestID, "")
	var re *redeemError
	switch {
	case errors.As(err, &re):
		writeError(w, re.status, re.Error())
		return
	case err != nil:
		h.respond(w, nil, err, "")
		return
	}
	code := http.StatusCreated
	if res.Replayed {
		code = http.StatusOK
	}
	writeJSON(w, code, res)
}

// redeemError is a redemption refused, with the HTTP status that says why.
type redeemError struct {
	status int
	err    error
}

func (e *redeemError) Error() string { return e.err.Error() }
func (e *redeemError) Unwrap() error { return e.err }

func refused(status int, err error) error { return &redeemError{status: status, err: err} }

// redeem redeems a reward for a member once per request id (scoped to the
// member): the points are spent and the code taken in one transaction, then
// an issuer's code is asked for. Refusals are *redeemError: 404 for no such
// member or reward, 409 for too few points, out of stock, another tier,
// outside the dates or a request id used for another reward, 502 when the
// code could not be issued (the points are given back). via names where the
// member asked, when the code reaches them there (redeemViaChat); it is
// carried by the reward.redeemed outcome as data.via.
func (h *Hub) redeem(ctx context.Context, t *runtime.Tenant, memberID, rewardID, requestID, via string) (redeemResponse, error) {
	rw, ok := t.Program.Reward(rewardID)
	if !ok {
		return redeemResponse{}, refused(http.StatusNotFound, errors.New("no reward "+rewardID))
	}
	// The request id is the client's; scoped to the member, the same id
	// sent for another member is another redemption.
	id := loyalty.RedemptionID(t.ID, memberID, requestID)
	now := h.now().UTC()
	res, err := h.transact(ctx, t, via, id, store.AccountRef{MemberID: memberID}, now,
		func(a *loyalty.Account) error { return t.Program.Redeem(a, id, rw, now) })
	switch {
	case errors.Is(err, store.ErrNoMember):
		return redeemResponse{}, refused(http.StatusNotFound, errors.New("no member "+memberID))
	case errors.Is(err, loyalty.ErrInsufficientPoints), errors.Is(err, loyalty.ErrOutOfStock),
		errors.Is(err, loyalty.ErrRewardUnavailable):
		return redeemResponse{}, refused(http.StatusConflict, err)
	case errors.Is(err, loyalty.ErrBadEvent):
		return redeemResponse{}, refused(http.StatusBadRequest, err)
	case err != nil:
		return redeemResponse{}, err
	}
	d, err := h.store.Redemption(ctx, t.ID, id)
	if err != nil {
		return redeemResponse{}, err
	}
	if d.RewardID != rw.ID {
		return redeemResponse{}, refused(http.StatusConflict, fmt.Errorf("request_id %s redeemed %s already; use a new request_id", requestID, d.RewardID))
	}
	replayed := res.Replayed
	if d.Status == loyalty.RedemptionReserved {
		// An issuer's reward, or one whose code a crash or a hung-up
		// client left unasked: the issuer answers the same code for the
		// same redemption.
		ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), issueTimeout)
		defer cancel()
		d, res, err = h.issue(ictx, t, rw, d, res, via)
		if err != nil {
			return redeemResponse{}, err
		}
		if d.Status == loyalty.RedemptionReleased {
			return redeemResponse{}, refused(http.StatusBadGateway, fmt.Errorf("the code of %s could not be issued and the points are given back: %s", rw.Name, d.Reason))
		}
	}
	if d.Status == loyalty.RedemptionReleased {
		return redeemResponse{}, refused(http.StatusConflict, fmt.Errorf("redemption %s was released (%s); use a new request_id", d.ID, d.Reason))
	}
	return redeemResponse{redemptionView: viewRedemption(t, d), Balance: res.Member.Balance, Replayed: replayed}, nil
}

// issue asks the reward's issuer for the code of reserved redemption d, then
// confirms the redemption with it, or releases it, with the reason, when
// there is none. It returns the redemption as it ends up and the result of
// the settling transaction (res when there was none). A redemption settled
// meanwhile by a concurrent request is returned as that request left it.
func (h *Hub) issue(ctx context.Context, t *runtime.Tenant, rw loyalty.Reward, d loyalty.Redemption,
	res store.AccountResult, via string) (loyalty.Redemption, store.AccountResult, error) {
	var code string
	issueErr := fmt.Errorf("connector %s cannot issue codes", rw.Issuer)
	if issuer := codeIssuer(t, rw.Issuer); issuer != nil {
		code, issueErr = issueCode(ctx, issuer, t.ID, rw, d)
		result := "ok"
		if issueErr != nil {
			result = string(fault.ClassOf(issueErr))
		}
		h.metrics.CodesIssued.WithLabelValues(t.ID, rw.Issuer, result).Inc()
	}
	now := h.now().UTC()
	var settled store.AccountResult
	var err error
	if issueErr == nil {
		settled, err = store.ConfirmRedemption(ctx, h.ledger(t, via), t.Program, t.ID, d.ID, code, now)
	} else {
		h.logger.Warn("a reward's code could not be issued", "tenant", t.ID, "reward", rw.ID, "redemption", d.ID, "err", issueErr)
		settled, err = store.ReleaseRedemption(ctx, h.ledger(t, ""), t.Program, t.ID, d.ID, issueErr.Error(), now)
	}
	switch {
	case errors.Is(err, loyalty.ErrRedemptionSettled):
		// Settled by a concurrent request: answer what it decided.
		settled = res
	case err != nil:
		return d, res, err
	}
	d, err = h.store.Redemption(ctx, t.ID, d.ID)
	if err != nil {
		return d, res, err
	}
	return d, settled, nil
}

// Retries of a reward code the issuer could not give yet (a shop's rate
// limit, a timeout): the member waits for the answer, so they are few and
// short; what still fails releases the redemption and gives the points back.
const (
	issueAttempts = 4
	issueMaxWait  = 10 * time.Second
)

// issueCode asks the issuer for the redemption's code, again after a
// retryable error (honouring its Retry-After) while the wait allows: the
// issuer is idempotent by redemption, so a retry never makes a second code.
func issueCode(ctx context.Context, issuer loyalty.CodeIssuer, tenant string, rw loyalty.Reward, d loyalty.Redemption) (string, error) {
	waited := time.Duration(0)
	backoff := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		code, err := issuer.Issue(ctx, tenant, rw, d.MemberID, d.ID)
		if err == nil && strings.TrimSpace(code) == "" {
			err = fault.Permanent(fault.ClassRequest, errors.New("the issuer answered no code"))
		}
		if err == nil || fault.IsPermanent(err) || attempt == issueAttempts {
			return code, err
		}
		wait := max(fault.RetryAfter(err), backoff)
		if waited+wait > issueMaxWait {
			return "", err
		}
		select {
		case <-ctx.Done():
			return "", err
		case <-time.After(wait):
		}
		waited += wait
		backoff *= 2
	}
}

// codeIssuer returns the tenant's connector named name when it can issue
// reward codes.
func codeIssuer(t *runtime.Tenant, name string) loyalty.CodeIssuer {
	if c, ok := t.Connectors[name]; ok {
		return c.Issuer
	}
	return nil
}

func (h *Hub) listRedemptions(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	m, err := h.store.Member(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		h.respond(w, nil, err, "no member "+r.PathValue("id"))
		return
	}
	limit, ok := limitParam(w, r)
	if !ok {
		return
	}
	ds, err := h.store.ListRedemptions(r.Context(), t.ID, m.ID, limit)
	views := make([]redemptionView, 0, len(ds))
	for _, d := range ds {
		views = append(views, viewRedemption(t, d))
	}
	h.respond(w, map[string]any{"member_id": m.ID, "redemptions": views}, err, "")
}
