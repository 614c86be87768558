// Package account reads and acts on a member's loyalty account outside
// the processing of events, for the admin API and the chatbot alike: the
// detail they show of a member (expiring points, open lots, tier progress,
// badges, challenges) and redeeming a reward (the points spent and the code
// taken in one transaction, then the issuer asked for its code).
package account

import (
	"context"
	"time"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// expiringWindow is how far ahead a member's detail reports expiring
// points.
const expiringWindow = 30 * 24 * time.Hour

// Detail is a member with what the program knows of them.
type Detail struct {
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
	Challenges []ChallengeProgress `json:"challenges,omitempty"`
}

// ChallengeProgress is a member's count in a challenge's current period.
type ChallengeProgress struct {
	Name   string `json:"name"`
	Period string `json:"period"`
	Done   int64  `json:"done"`
	Count  int    `json:"count"`
	Badge  string `json:"badge,omitempty"`
}

// ReadDetail reads member m's detail in tenant t's program at now.
func ReadDetail(ctx context.Context, st store.Accounts, t *runtime.Tenant, m member.Member, now time.Time) (Detail, error) {
	d := Detail{Member: m}
	lots, err := st.Lots(ctx, t.ID, m.ID)
	if err != nil {
		return d, err
	}
	if t.Program.HasTiers() {
		lm := store.LoyaltyMember(m)
		q, err := st.Qualifying(ctx, t.ID, m.ID, t.Program.TierBasis(), t.Program.WindowStart(lm, now))
		if err != nil {
			return d, err
		}
		if tp, ok := t.Program.Progress(lm, q); ok {
			d.Progress = &tp
		}
	}
	if d.Badges, err = st.Badges(ctx, t.ID, m.ID); err != nil {
		return d, err
	}
	if d.Badges == nil {
		d.Badges = []store.Badge{}
	}
	if chs := t.Program.Challenges(); len(chs) > 0 {
		keys := make([]string, len(chs))
		for i, c := range chs {
			keys[i] = loyalty.ChallengeKey(c.Name, c.Period, now, t.Program.Location)
		}
		done, err := st.CounterValues(ctx, t.ID, m.ID, keys)
		if err != nil {
			return d, err
		}
		for i, c := range chs {
			d.Challenges = append(d.Challenges, ChallengeProgress{
				Name: c.Name, Period: c.Period, Done: min(done[keys[i]], int64(c.Count)), Count: c.Count, Badge: c.Badge,
			})
		}
	}
	horizon := now.Add(expiringWindow)
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
