package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// issueTimeout bounds asking a shop connector for a code and recording
// the answer. It does not end with the request: a client that hangs up
// must not leave a redemption reserved.
const issueTimeout = 30 * time.Second

// Transact runs a loyalty transaction of tenant t with its effects (the
// notifications of its outcomes, write-backs), then its follow-ups; via
// marks the reward.redeemed outcomes with where the member asked for the
// reward. See store.Accounts for the rest.
type Transact func(ctx context.Context, t *runtime.Tenant, via, eventID string, ref store.AccountRef, at time.Time,
	fn func(a *loyalty.Account) error) (store.AccountResult, error)

// Redeemer redeems rewards for members.
type Redeemer struct {
	// Store reads redemptions.
	Store store.Rewards
	// Transact runs the transaction that spends the points.
	Transact Transact
	// Ledger is the store as tenant t's loyalty transactions use it, with
	// their effects (via as for Transact): the issuer's code is confirmed,
	// or the points given back, on it.
	Ledger func(t *runtime.Tenant, via string) store.RedemptionStore
	// CodesIssued counts the issuers' answers (loyalhub_codes_issued_total).
	CodesIssued *prometheus.CounterVec
	Logger      *slog.Logger
	// Now is the hub's clock.
	Now func() time.Time
}

// RedemptionView is a redemption with its reward's name.
type RedemptionView struct {
	loyalty.Redemption
	RewardName string `json:"reward_name,omitempty"`
}

// ViewRedemption is redemption d of tenant t with its reward's name.
func ViewRedemption(t *runtime.Tenant, d loyalty.Redemption) RedemptionView {
	v := RedemptionView{Redemption: d}
	if rw, ok := t.Program.Reward(d.RewardID); ok {
		v.RewardName = rw.Name
	}
	return v
}

// Redeemed is a redemption done, or done before under the same request id
// (Replayed), with the member's balance after it.
type Redeemed struct {
	RedemptionView
	Balance  int64 `json:"balance"`
	Replayed bool  `json:"replayed"`
}

// Refusal is a redemption refused, with the HTTP status that says why.
type Refusal struct {
	Status int
	err    error
}

func (e *Refusal) Error() string { return e.err.Error() }
func (e *Refusal) Unwrap() error { return e.err }

func refused(status int, err error) error { return &Refusal{Status: status, err: err} }

// Redeem redeems a reward for a member once per request id (scoped to the
// member): the points are spent and the code taken in one transaction, then
// an issuer's code is asked for. Refusals are *Refusal: 404 for no such
// member or reward, 409 for too few points, out of stock, another tier,
// outside the dates or a request id used for another reward, 502 when the
// code could not be issued (the points are given back). via names where the
// member asked, when the code reaches them there (the chat); it is carried
// by the reward.redeemed outcome as data.via.
func (r *Redeemer) Redeem(ctx context.Context, t *runtime.Tenant, memberID, rewardID, requestID, via string) (Redeemed, error) {
	rw, ok := t.Program.Reward(rewardID)
	if !ok {
		return Redeemed{}, refused(http.StatusNotFound, errors.New("no reward "+rewardID))
	}
	// The request id is the client's; scoped to the member, the same id
	// sent for another member is another redemption.
	id := loyalty.RedemptionID(t.ID, memberID, requestID)
	now := r.Now().UTC()
	res, err := r.Transact(ctx, t, via, id, store.AccountRef{MemberID: memberID}, now,
		func(a *loyalty.Account) error { return t.Program.Redeem(a, id, rw, now) })
	switch {
	case errors.Is(err, store.ErrNoMember):
		return Redeemed{}, refused(http.StatusNotFound, errors.New("no member "+memberID))
	case errors.Is(err, loyalty.ErrInsufficientPoints), errors.Is(err, loyalty.ErrOutOfStock),
		errors.Is(err, loyalty.ErrRewardUnavailable):
		return Redeemed{}, refused(http.StatusConflict, err)
	case errors.Is(err, loyalty.ErrBadEvent):
		return Redeemed{}, refused(http.StatusBadRequest, err)
	case err != nil:
		return Redeemed{}, err
	}
	d, err := r.Store.Redemption(ctx, t.ID, id)
	if err != nil {
		return Redeemed{}, err
	}
	if d.RewardID != rw.ID {
		return Redeemed{}, refused(http.StatusConflict, fmt.Errorf("request_id %s redeemed %s already; use a new request_id", requestID, d.RewardID))
	}
	replayed := res.Replayed
	if d.Status == loyalty.RedemptionReserved {
		// An issuer's reward, or one whose code a crash or a hung-up
		// client left unasked: the issuer answers the same code for the
		// same redemption.
		ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), issueTimeout)
		defer cancel()
		d, res, err = r.issue(ictx, t, rw, d, res, via)
		if err != nil {
			return Redeemed{}, err
		}
		if d.Status == loyalty.RedemptionReleased {
			return Redeemed{}, refused(http.StatusBadGateway, fmt.Errorf("the code of %s could not be issued and the points are given back: %s", rw.Name, d.Reason))
		}
	}
	if d.Status == loyalty.RedemptionReleased {
		return Redeemed{}, refused(http.StatusConflict, fmt.Errorf("redemption %s was released (%s); use a new request_id", d.ID, d.Reason))
	}
	return Redeemed{RedemptionView: ViewRedemption(t, d), Balance: res.Member.Balance, Replayed: replayed}, nil
}

// issue asks the reward's issuer for the code of reserved redemption d, then
// confirms the redemption with it, or releases it, with the reason, when
// there is none. It returns the redemption as it ends up and the result of
// the settling transaction (res when there was none). A redemption settled
// meanwhile by a concurrent request is returned as that request left it.
func (r *Redeemer) issue(ctx context.Context, t *runtime.Tenant, rw loyalty.Reward, d loyalty.Redemption,
	res store.AccountResult, via string) (loyalty.Redemption, store.AccountResult, error) {
	var code string
	issueErr := fmt.Errorf("connector %s cannot issue codes", rw.Issuer)
	if issuer := codeIssuer(t, rw.Issuer); issuer != nil {
		code, issueErr = issueCode(ctx, issuer, t.ID, rw, d)
		result := "ok"
		if issueErr != nil {
			result = string(fault.ClassOf(issueErr))
		}
		r.CodesIssued.WithLabelValues(t.ID, rw.Issuer, result).Inc()
	}
	now := r.Now().UTC()
	var settled store.AccountResult
	var err error
	if issueErr == nil {
		settled, err = store.ConfirmRedemption(ctx, r.Ledger(t, via), t.Program, t.ID, d.ID, code, now)
	} else {
		r.Logger.Warn("a reward's code could not be issued", "tenant", t.ID, "reward", rw.ID, "redemption", d.ID, "err", issueErr)
		settled, err = store.ReleaseRedemption(ctx, r.Ledger(t, ""), t.Program, t.ID, d.ID, issueErr.Error(), now)
	}
	switch {
	case errors.Is(err, loyalty.ErrRedemptionSettled):
		// Settled by a concurrent request: answer what it decided.
		settled = res
	case err != nil:
		return d, res, err
	}
	d, err = r.Store.Redemption(ctx, t.ID, d.ID)
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
