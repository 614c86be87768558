package segment

import (
	"math"
	"time"

	"github.com/loyalhub/loyalhub/core/member"
)

// Never is days_since_purchase of a member who never bought: larger than
// any window a condition would compare it with.
const Never = math.MaxInt32

// ExpiringDays is the horizon of expiring_points.
const ExpiringDays = 30

// Facts is what a store knows of one member for segments: the member, its
// marketing consent, its orders' stats and its expiring points. Only the
// facts a scan was asked for (Needs) are filled.
type Facts struct {
	Member member.Member
	// Consent is the marketing consent of the member's WhatsApp contact:
	// member.ConsentOptedIn, member.ConsentOptedOut, or "" when unknown.
	Consent string
	// Orders counts the member's orders, TotalSpend sums their totals less
	// refunds, and LastPurchaseAt is the latest one's time (zero when
	// none).
	Orders         int64
	TotalSpend     float64
	LastPurchaseAt time.Time
	// Spend and Visits are, by window in days (Needs.Windows), the money
	// spent (totals less refunds) and the number of orders placed in the
	// last that many days.
	Spend  map[int]float64
	Visits map[int]int64
	// Expiring is, by horizon in days (Needs.Expiring), the points of
	// active lots that expire within that many days.
	Expiring map[int]int64
}

// Env is what a condition sees of one member. Field tags name the
// variables; docs/segments.md describes each.
type Env struct {
	Tier    string `expr:"tier"`
	Balance int64  `expr:"balance"`
	Pending int64  `expr:"pending"`
	// ExpiringPoints are the points expiring in the next ExpiringDays.
	ExpiringPoints int64 `expr:"expiring_points"`
	// Expiring returns the points expiring in the next days.
	Expiring func(days int) int64 `expr:"expiring"`
	// LastPurchaseAt is zero when the member never bought.
	LastPurchaseAt    time.Time `expr:"last_purchase_at"`
	DaysSincePurchase int       `expr:"days_since_purchase"`
	// Spend and Visits return the money spent and the orders placed in the
	// last days.
	Spend      func(days int) float64 `expr:"spend"`
	Visits     func(days int) int64   `expr:"visits"`
	Orders     int64                  `expr:"orders"`
	TotalSpend float64                `expr:"total_spend"`

	Store      string         `expr:"store"`
	City       string         `expr:"city"`
	Language   string         `expr:"language"`
	Source     string         `expr:"source"`
	Tags       []string       `expr:"tags"`
	Attributes map[string]any `expr:"attributes"`

	Consent string `expr:"consent"`
	OptedIn bool   `expr:"opted_in"`

	JoinedAt        time.Time `expr:"joined_at"`
	DaysSinceJoined int       `expr:"days_since_joined"`
	// BirthdayMonth is 1 to 12, 0 when the birthday is unknown.
	BirthdayMonth int `expr:"birthday_month"`
	// Birthday is "MM-DD", "" when unknown.
	Birthday string    `expr:"birthday"`
	Now      time.Time `expr:"now"`

	facts *Facts
	none  map[string]any // Attributes of a member without any
}

// NewEnv returns an Env to Fill with one member after another.
func NewEnv() *Env {
	e := &Env{}
	e.bind()
	return e
}

func (e *Env) bind() {
	e.Spend = func(days int) float64 { return e.facts.Spend[days] }
	e.Visits = func(days int) int64 { return e.facts.Visits[days] }
	e.Expiring = func(days int) int64 { return e.facts.Expiring[days] }
}

// Fill sets e to a member's facts at now. e keeps f until the next Fill.
func (e *Env) Fill(f *Facts, now time.Time) {
	if e.Spend == nil {
		e.bind()
	}
	m := &f.Member
	e.facts = f
	e.Tier, e.Balance, e.Pending = m.Tier.Name, m.Balance, m.Pending
	e.ExpiringPoints = f.Expiring[ExpiringDays]
	e.LastPurchaseAt, e.DaysSincePurchase = f.LastPurchaseAt, Never
	if !f.LastPurchaseAt.IsZero() {
		e.DaysSincePurchase = daysBetween(f.LastPurchaseAt, now)
	}
	e.Orders, e.TotalSpend = f.Orders, f.TotalSpend
	p := &m.Profile
	e.Store, e.City, e.Language, e.Source = p.Store, p.City, p.Language, p.Source
	e.Tags, e.Attributes = p.Tags, p.Attributes
	if e.Tags == nil {
		e.Tags = []string{}
	}
	if e.Attributes == nil {
		if e.none == nil {
			e.none = map[string]any{}
		}
		e.Attributes = e.none
	}
	e.Consent, e.OptedIn = f.Consent, f.Consent == member.ConsentOptedIn
	e.JoinedAt, e.DaysSinceJoined = m.CreatedAt, daysBetween(m.CreatedAt, now)
	e.Birthday, e.BirthdayMonth = m.Birthday, birthdayMonth(m.Birthday)
	e.Now = now
}

// daysBetween counts the whole days from t to now; 0 when t is later.
func daysBetween(t, now time.Time) int {
	if !now.After(t) {
		return 0
	}
	return int(now.Sub(t) / (24 * time.Hour))
}

// birthdayMonth reads the month of a "MM-DD" birthday; 0 when unknown.
func birthdayMonth(b string) int {
	if len(b) != 5 || b[2] != '-' {
		return 0
	}
	mo := int(b[0]-'0')*10 + int(b[1]-'0')
	if mo < 1 || mo > 12 {
		return 0
	}
	return mo
}
