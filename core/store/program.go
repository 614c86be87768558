package store

import (
	"math"
	"time"

	"github.com/loyalhub/loyalhub/core/loyalty"
)

// ProgramQuery chooses the period of a program's KPIs: a tenant's, from
// From (inclusive) to To (exclusive). Location is the tenant's time zone,
// whose calendar months make the retention cohorts; Months is how many
// join months the cohorts go back from To (DefaultCohortMonths when 0, at
// most MaxCohortMonths).
type ProgramQuery struct {
	Tenant   string
	From, To time.Time
	Location *time.Location
	Months   int
}

// DefaultCohortMonths is how many join months the retention cohorts cover
// unless a query says otherwise, the month of To included.
const DefaultCohortMonths = 12

// MaxCohortMonths bounds the cohorts a query may ask for: more are cut to
// as many.
const MaxCohortMonths = 36

// ProgramKPIs is what a loyalty program achieved in a period. Members
// merged into others are not counted. Orders count whatever was refunded
// of them later. Rates come from Rates.
type ProgramKPIs struct {
	// Members counts the members who joined before To.
	Members int64 `json:"members"`
	// NewMembers counts those who joined in the period, and NewBySource
	// them by the source of their profile ("unknown" when it has none).
	NewMembers  int64            `json:"new_members"`
	NewBySource map[string]int64 `json:"new_by_source"`
	// ActiveMembers counts the members who, in the period, placed an
	// order, earned points (at once or pending) or redeemed a reward.
	ActiveMembers int64 `json:"active_members"`

	// Buyers counts the members with an order before To, and
	// RepeatBuyers those of them with two or more.
	Buyers       int64 `json:"buyers"`
	RepeatBuyers int64 `json:"repeat_buyers"`
	// PeriodBuyers counts the members who ordered in the period, and
	// ReturningBuyers those of them who had ordered before From.
	PeriodBuyers    int64 `json:"period_buyers"`
	ReturningBuyers int64 `json:"returning_buyers"`
	// Redeemers counts the members who redeemed a reward in the period
	// (released redemptions left out).
	Redeemers int64 `json:"redeemers"`

	// Points moved by the ledger in the period: Issued earned (at once or
	// pending), Redeemed spent on rewards less what released redemptions
	// gave back, Expired past their date, Reversed taken back after
	// refunds, and Adjusted the net of manual corrections.
	PointsIssued   int64 `json:"points_issued"`
	PointsRedeemed int64 `json:"points_redeemed"`
	PointsExpired  int64 `json:"points_expired"`
	PointsReversed int64 `json:"points_reversed"`
	PointsAdjusted int64 `json:"points_adjusted"`
	// Liability is the points members hold when the query runs, available
	// and pending: what the program still owes, whatever the period.
	Liability int64 `json:"liability"`

	// Cohorts are the members by join month, oldest first.
	Cohorts []Cohort `json:"cohorts"`
}

// Cohort is the members who joined in one calendar month of the tenant's
// time zone, and how many of them ordered in each month since: Ordered[0]
// in the month they joined, Ordered[1] in the next, up to the month of To.
type Cohort struct {
	Month   string    `json:"month"` // 2026-11
	Start   time.Time `json:"start"`
	Members int64     `json:"members"`
	Ordered []int64   `json:"ordered"`
	// Retention is Ordered over Members.
	Retention []float64 `json:"retention"`
}

// ProgramRates are a program's KPIs as shares, each to four decimals and
// 0 when what it divides by is.
type ProgramRates struct {
	// RepeatRate is the share of buyers with two orders or more.
	RepeatRate float64 `json:"repeat_rate"`
	// ReturningRate is the share of the period's buyers who had ordered
	// before it.
	ReturningRate float64 `json:"returning_rate"`
	// RedemptionRate is the share of active members who redeemed.
	RedemptionRate float64 `json:"redemption_rate"`
	// RedeemedShare is the points redeemed over the points issued in the
	// period.
	RedeemedShare float64 `json:"redeemed_share"`
	// Breakage is the share of the points that left members' balances in
	// the period by expiring rather than by being redeemed: expired over
	// expired plus redeemed.
	Breakage float64 `json:"breakage"`
}

// Rates computes the shares of k.
func (k ProgramKPIs) Rates() ProgramRates {
	return ProgramRates{
		RepeatRate:     Ratio(k.RepeatBuyers, k.Buyers),
		ReturningRate:  Ratio(k.ReturningBuyers, k.PeriodBuyers),
		RedemptionRate: Ratio(k.Redeemers, k.ActiveMembers),
		RedeemedShare:  Ratio(k.PointsRedeemed, k.PointsIssued),
		Breakage:       Ratio(k.PointsExpired, k.PointsExpired+k.PointsRedeemed),
	}
}

// Ratio is n/of to four decimals, 0 when of is not positive.
func Ratio(n, of int64) float64 {
	if of <= 0 {
		return 0
	}
	return math.Round(float64(n)/float64(of)*1e4) / 1e4
}

// UnknownSource names the source of members whose profile has none.
const UnknownSource = "unknown"

// CohortMonths returns the starts of the join months of q's cohorts,
// oldest first, in q's time zone, and after them To: the bounds of
// q.Months months, the last one the month of To, which ends at To.
// A To at the very start of a month leaves that month out.
func CohortMonths(q ProgramQuery) []time.Time {
	n := q.Months
	if n <= 0 {
		n = DefaultCohortMonths
	}
	n = min(n, MaxCohortMonths)
	loc := q.Location
	if loc == nil {
		loc = time.UTC
	}
	last := q.To.Add(-time.Nanosecond).In(loc)
	first := time.Date(last.Year(), last.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, 1-n, 0)
	out := make([]time.Time, 0, n+1)
	for i := range n {
		out = append(out, first.AddDate(0, i, 0))
	}
	return append(out, q.To)
}

// CohortCount is what an adapter's cohort query returns: how many members
// who joined in month Joined (an index into CohortMonths) ordered in month
// Ordered, or, with Ordered -1, joined.
type CohortCount struct {
	Joined, Ordered int
	Members         int64
}

// FoldCohorts folds an adapter's counts into cohorts over months (from
// CohortMonths), each with one entry per month from its own to the last.
func FoldCohorts(months []time.Time, counts []CohortCount) []Cohort {
	n := len(months) - 1
	out := make([]Cohort, n)
	for i := range out {
		out[i] = Cohort{Month: months[i].Format("2006-01"), Start: months[i], Ordered: make([]int64, n-i)}
	}
	for _, c := range counts {
		if c.Joined < 0 || c.Joined >= n {
			continue
		}
		co := &out[c.Joined]
		switch off := c.Ordered - c.Joined; {
		case c.Ordered < 0:
			co.Members += c.Members
		case off >= 0 && off < len(co.Ordered):
			co.Ordered[off] += c.Members
		}
	}
	for i := range out {
		co := &out[i]
		co.Retention = make([]float64, len(co.Ordered))
		for j, o := range co.Ordered {
			co.Retention[j] = Ratio(o, co.Members)
		}
	}
	return out
}

// AddPoints adds the points of a period's ledger entries of one kind
// (summed, available and pending) to k.
func (k *ProgramKPIs) AddPoints(kind string, points int64) {
	switch kind {
	case loyalty.EntryEarn, loyalty.EntryPending:
		k.PointsIssued += points
	case loyalty.EntryRedeem:
		k.PointsRedeemed -= points
	case loyalty.EntryExpire:
		k.PointsExpired -= points
	case loyalty.EntryReverse:
		k.PointsReversed -= points
	case loyalty.EntryAdjust:
		k.PointsAdjusted += points
	}
}

// ProgramLedgerKinds are the ledger kinds AddPoints counts, for the
// adapters' queries.
const ProgramLedgerKinds = `'earn', 'pending', 'redeem', 'expire', 'reverse', 'adjust'`

// AddSource adds the members of one profile source to k: all who joined
// before To and those new in the period.
func (k *ProgramKPIs) AddSource(source string, members, joined int64) {
	k.Members += members
	if joined == 0 {
		return
	}
	if source == "" {
		source = UnknownSource
	}
	if k.NewBySource == nil {
		k.NewBySource = map[string]int64{}
	}
	k.NewMembers += joined
	k.NewBySource[source] += joined
}
