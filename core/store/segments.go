package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/segment"
)

// SavedSegment is a segment a tenant saved.
type SavedSegment struct {
	segment.Segment
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MemberFacts is what a member scan reads of one member (see
// segment.Facts).
type MemberFacts = segment.Facts

// MemberScan says what ScanMembers reads of each member beyond its own
// row, and when.
type MemberScan struct {
	// Needs are the facts to read; the others stay zero.
	Needs segment.Needs
	// Now is the end of the windows of spend and visits, and the start of
	// the horizons of expiring points.
	Now time.Time
	// PageSize is how many members one read takes (DefaultScanPage when
	// 0).
	PageSize int
}

// DefaultScanPage is how many members a scan reads at a time.
const DefaultScanPage = 5000

// Segments stores tenants' saved segments and scans their members with
// the facts segments select by.
type Segments interface {
	// SaveSegment creates or replaces a tenant's segment by name, at a
	// time: a new one is created then, a replaced one keeps its creation
	// time. It does not validate the segment.
	SaveSegment(ctx context.Context, tenant string, s segment.Segment, at time.Time) (SavedSegment, error)
	// Segment returns a tenant's segment by name; ErrNotFound when none.
	Segment(ctx context.Context, tenant, name string) (SavedSegment, error)
	// Segments lists a tenant's segments by name.
	Segments(ctx context.Context, tenant string) ([]SavedSegment, error)
	// DeleteSegment deletes a tenant's segment; ErrNotFound when none.
	DeleteSegment(ctx context.Context, tenant, name string) error
	// ScanMembers calls fn with each of a tenant's members (merged ones
	// left out), in the order of their ids, with the facts q.Needs names,
	// until fn returns an error, which ScanMembers returns. It reads a
	// page of members at a time, each page in one statement that joins
	// the facts once, and calls fn with the page's members once that
	// statement is done, so that a long scan neither holds a lock nor a
	// snapshot for long, and fn may write to the store: a member written
	// meanwhile may or may not be seen. A member comes with its id, tenant, phone, name, email,
	// balance, pending points, tier name, birthday, creation time and
	// profile: not its tier's dates, referral or Identities.
	// The facts' maps hold an entry for every day of q.Needs, and fn must
	// not keep them after it returns.
	ScanMembers(ctx context.Context, tenant string, q MemberScan, fn func(MemberFacts) error) error
}

// MemberScanQuery returns the statement that reads one page of a member
// scan, with an adapter's placeholders (param(1) is the first); its
// arguments are MemberScanArgs. It returns the member columns it was
// given, then the columns ScanRow.Dest reads.
//
// The page's orders and lots are aggregated once for the page, read by
// the range of the page's member ids (orders_member, lots_member_open);
// consent is the contact with the member's phone (contacts_phone).
func MemberScanQuery(p func(n int) string, columns string, n segment.Needs) string {
	var b strings.Builder
	b.WriteString(`WITH page AS (SELECT ` + columns + ` FROM members WHERE tenant = ` + p(1) +
		` AND id > ` + p(2) + ` ORDER BY id LIMIT ` + p(3) + `)`)
	// A page's orders and lots are read by the range of its member ids
	// alone, which orders_member and lots_member_open lead with: a
	// member's are its tenant's, and the join to the page leaves out
	// those of other tenants' members in the range.
	inPage := func(t string) string {
		return t + `.member_id > ` + p(2) + ` AND ` + t + `.member_id <= (SELECT max(id) FROM page)`
	}
	money := `(CAST(o.total AS DOUBLE PRECISION) - CAST(o.refunded AS DOUBLE PRECISION))`
	arg := 4
	var sel, join strings.Builder
	if n.Consent {
		// A lookup per row by contacts_phone: joined instead, PostgreSQL
		// hashes every contact of the database for each page.
		sel.WriteString(`, coalesce((SELECT c.marketing FROM contacts c WHERE c.tenant = ` + p(1) +
			` AND c.phone = page.phone AND c.phone <> ''), '')`)
	}
	if n.Orders || len(n.Windows) > 0 {
		b.WriteString(`, o AS (SELECT o.member_id, count(*) AS n, sum(` + money + `) AS spent, max(o.created_at) AS last`)
		sel.WriteString(`, coalesce(o.n, 0), coalesce(o.spent, 0), o.last`)
		for i := range n.Windows {
			since := p(arg + i)
			fmt.Fprintf(&b, `, sum(CASE WHEN o.created_at >= %s THEN %s ELSE 0 END) AS s%d`, since, money, i)
			fmt.Fprintf(&b, `, CAST(sum(CASE WHEN o.created_at >= %s THEN 1 ELSE 0 END) AS BIGINT) AS v%d`, since, i)
			fmt.Fprintf(&sel, `, coalesce(o.s%d, 0), coalesce(o.v%d, 0)`, i, i)
		}
		b.WriteString(` FROM orders o WHERE ` + inPage("o") + ` GROUP BY o.member_id)`)
		join.WriteString(` LEFT JOIN o ON o.member_id = page.id`)
	}
	arg += len(n.Windows)
	if len(n.Expiring) > 0 {
		now := p(arg)
		arg++
		b.WriteString(`, x AS (SELECT l.member_id`)
		for i := range n.Expiring {
			fmt.Fprintf(&b, `, CAST(sum(CASE WHEN l.expires_at <= %s THEN l.remaining ELSE 0 END) AS BIGINT) AS e%d`, p(arg+i), i)
			fmt.Fprintf(&sel, `, coalesce(x.e%d, 0)`, i)
		}
		// The partial index's own condition, repeated, lets SQLite use it.
		b.WriteString(` FROM lots l WHERE ` + inPage("l") +
			` AND (l.status = 'pending' OR (l.status = 'active' AND l.remaining > 0)) AND l.status = 'active'` +
			` AND l.expires_at IS NOT NULL AND l.expires_at > ` + now + ` GROUP BY l.member_id)`)
		join.WriteString(` LEFT JOIN x ON x.member_id = page.id`)
	}
	b.WriteString(` SELECT page.*` + sel.String() + ` FROM page` + join.String() + ` ORDER BY page.id`)
	return b.String()
}

// MemberScanArgs returns the arguments of MemberScanQuery for the first
// page: tenant, the last member id of the previous page (argument 2,
// "" at first), the page size, the start of each window, then, when there
// are horizons, q.Now and the end of each. t converts a time to the
// adapter's form.
func MemberScanArgs(tenant string, size int, q MemberScan, t func(time.Time) any) []any {
	args := []any{tenant, "", size}
	for _, d := range q.Needs.Windows {
		args = append(args, t(q.Now.Add(-time.Duration(d)*24*time.Hour)))
	}
	if len(q.Needs.Expiring) > 0 {
		args = append(args, t(q.Now))
	}
	for _, d := range q.Needs.Expiring {
		args = append(args, t(q.Now.Add(time.Duration(d)*24*time.Hour)))
	}
	return args
}

// ScanColumns are what a scan reads of a member, in the order both
// stores scan them: as few columns as segments and exports use, each
// costing a scan of a million members time.
const ScanColumns = `id, phone, name, email, balance, pending, created_at, tier, birthday,
	source, store, city, language, tags, attributes`

// ScanPages runs a member scan's pages: page reads the page its
// arguments (MemberScanArgs, t converting times) name and returns how
// many rows it read and the last member id, until a page comes back
// short. It returns the query for the adapter's placeholders to page.
func ScanPages(tenant string, q MemberScan, param func(n int) string, columns string, t func(time.Time) any,
	page func(query string, args []any) (n int, lastID string, err error)) error {
	size := q.PageSize
	if size <= 0 {
		size = DefaultScanPage
	}
	query := MemberScanQuery(param, columns, q.Needs)
	args := MemberScanArgs(tenant, size, q, t)
	for {
		n, last, err := page(query, args)
		if err != nil {
			return fmt.Errorf("scanning members: %w", err)
		}
		if n < size {
			return nil
		}
		args[1] = last
	}
}

// ScanRow receives the facts columns of a row of MemberScanQuery.
type ScanRow struct {
	Consent  string
	Orders   int64
	Spent    float64
	Spend    []float64
	Visits   []int64
	Expiring []int64
}

// AppendDest appends to out the scan destinations of the facts columns
// for needs n, with last (the adapter's nullable time) for the last
// order's time. It keeps r's slices when they have the lengths n needs.
func (r *ScanRow) AppendDest(out []any, n segment.Needs, last any) []any {
	if n.Consent {
		out = append(out, &r.Consent)
	}
	if n.Orders || len(n.Windows) > 0 {
		out = append(out, &r.Orders, &r.Spent, last)
		if len(r.Spend) != len(n.Windows) {
			r.Spend, r.Visits = make([]float64, len(n.Windows)), make([]int64, len(n.Windows))
		}
		for i := range n.Windows {
			out = append(out, &r.Spend[i], &r.Visits[i])
		}
	}
	if len(r.Expiring) != len(n.Expiring) {
		r.Expiring = make([]int64, len(n.Expiring))
	}
	for i := range n.Expiring {
		out = append(out, &r.Expiring[i])
	}
	return out
}

// Fill copies the row's facts into f, whose maps it makes or reuses.
func (r *ScanRow) Fill(f *MemberFacts, n segment.Needs, last time.Time) {
	f.Consent, f.Orders, f.TotalSpend, f.LastPurchaseAt = r.Consent, r.Orders, r.Spent, last
	if f.Spend == nil {
		f.Spend, f.Visits, f.Expiring = map[int]float64{}, map[int]int64{}, map[int]int64{}
	}
	for i, d := range n.Windows {
		f.Spend[d], f.Visits[d] = r.Spend[i], r.Visits[i]
	}
	for i, d := range n.Expiring {
		f.Expiring[d] = r.Expiring[i]
	}
}

// ScannedMember is one member of a page a scan read, with its facts
// columns.
type ScannedMember struct {
	Member    member.Member
	Row       ScanRow
	LastOrder time.Time
}

// Next returns the next slot of a page buffer being filled, growing it
// when full; the slot keeps what it held before, for Dest to reuse.
func Next(page []ScannedMember) ([]ScannedMember, *ScannedMember) {
	if len(page) < cap(page) {
		page = page[:len(page)+1]
	} else {
		page = append(page, ScannedMember{})
	}
	return page, &page[len(page)-1]
}

// DeliverPage calls fn with each member of a page a scan read, its facts
// in f (whose maps it reuses), until fn returns an error.
func DeliverPage(page []ScannedMember, needs segment.Needs, f *MemberFacts, fn func(MemberFacts) error) error {
	for i := range page {
		f.Member = page[i].Member
		page[i].Row.Fill(f, needs, page[i].LastOrder)
		if err := fn(*f); err != nil {
			return err
		}
	}
	return nil
}

// DecodeProfileLists reads a member's tags and attributes as stored: JSON,
// or empty for none.
func DecodeProfileLists(tags, attributes []byte, p *member.Profile) error {
	p.Tags, p.Attributes = nil, nil
	if len(tags) > 0 && string(tags) != "[]" {
		if err := json.Unmarshal(tags, &p.Tags); err != nil {
			return fmt.Errorf("decoding tags: %w", err)
		}
	}
	if len(attributes) > 0 && string(attributes) != "{}" {
		if err := json.Unmarshal(attributes, &p.Attributes); err != nil {
			return fmt.Errorf("decoding attributes: %w", err)
		}
	}
	return nil
}
