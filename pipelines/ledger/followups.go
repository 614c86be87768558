package ledger

import (
	"context"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
)

// RunFollowUps runs the follow-ups of a committed loyalty transaction (a
// referrer's reward, say), each as a transaction and event of its own, and
// returns their results in order. One that ran before replays and changes
// nothing, so a caller that failed midway runs them all again. effects, when
// set, gives each follow-up's transaction its hook (store.AccountRef.Effects).
func RunFollowUps(ctx context.Context, st store.Accounts, tenant string, p *loyalty.Program,
	fus []loyalty.FollowUp, effects func(eventID string, at time.Time) func(store.AccountResult) (store.Effects, error)) ([]store.AccountResult, error) {
	out := make([]store.AccountResult, 0, len(fus))
	for _, f := range fus {
		ref := store.AccountRef{MemberID: f.MemberID}
		if effects != nil {
			ref.Effects = effects(f.EventID, f.At)
		}
		res, err := st.Transact(ctx, tenant, f.EventID, ref, f.At,
			func(a *loyalty.Account) error { return p.CompleteReferral(a, f) })
		if err != nil {
			return out, fmt.Errorf("follow-up %s of member %s: %w", f.Kind, f.MemberID, err)
		}
		out = append(out, res)
	}
	return out, nil
}
