package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/loyalhub/loyalhub/core/segment"
	"github.com/loyalhub/loyalhub/core/store"
)

const segmentColumns = `name, description, condition, created_at, updated_at`

func scanSegment(r rowScanner) (store.SavedSegment, error) {
	var s store.SavedSegment
	var created, updated int64
	if err := r.Scan(&s.Name, &s.Description, &s.Condition, &created, &updated); err != nil {
		return store.SavedSegment{}, notFound(err)
	}
	s.CreatedAt, s.UpdatedAt = fromDB(created), fromDB(updated)
	return s, nil
}

// SaveSegment creates or replaces a tenant's segment; see store.Segments.
func (s *Store) SaveSegment(ctx context.Context, tenant string, seg segment.Segment, at time.Time) (store.SavedSegment, error) {
	var out store.SavedSegment
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		var err error
		out, err = scanSegment(tx.QueryRowContext(ctx, `INSERT INTO segments (tenant, `+segmentColumns+`)
			VALUES (?1, ?2, ?3, ?4, ?5, ?5)
			ON CONFLICT (tenant, name) DO UPDATE SET description = excluded.description,
				condition = excluded.condition, updated_at = excluded.updated_at
			RETURNING `+segmentColumns, tenant, seg.Name, seg.Description, seg.Condition, toDB(at)))
		return err
	}); err != nil {
		return store.SavedSegment{}, fmt.Errorf("saving segment: %w", err)
	}
	return out, nil
}

// Segment returns a tenant's segment by name.
func (s *Store) Segment(ctx context.Context, tenant, name string) (store.SavedSegment, error) {
	r, err := s.reads()
	if err != nil {
		return store.SavedSegment{}, err
	}
	seg, err := scanSegment(r.QueryRowContext(ctx, `SELECT `+segmentColumns+` FROM segments
		WHERE tenant = ? AND name = ?`, tenant, name))
	if err != nil {
		return store.SavedSegment{}, fmt.Errorf("getting segment: %w", err)
	}
	return seg, nil
}

// Segments lists a tenant's segments by name.
func (s *Store) Segments(ctx context.Context, tenant string) ([]store.SavedSegment, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, `SELECT `+segmentColumns+` FROM segments WHERE tenant = ? ORDER BY name`, tenant)
	if err != nil {
		return nil, fmt.Errorf("listing segments: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []store.SavedSegment
	for rows.Next() {
		seg, err := scanSegment(rows)
		if err != nil {
			return nil, fmt.Errorf("listing segments: %w", err)
		}
		out = append(out, seg)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing segments: %w", err)
	}
	return out, nil
}

// DeleteSegment deletes a tenant's segment.
func (s *Store) DeleteSegment(ctx context.Context, tenant, name string) error {
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM segments WHERE tenant = ? AND name = ?`, tenant, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	}); err != nil {
		return fmt.Errorf("deleting segment: %w", err)
	}
	return nil
}

// ScanMembers calls fn with each of a tenant's members and their facts,
// a page (one read statement) at a time; see store.Segments.
func (s *Store) ScanMembers(ctx context.Context, tenant string, q store.MemberScan, fn func(store.MemberFacts) error) error {
	r, err := s.reads()
	if err != nil {
		return err
	}
	var f store.MemberFacts
	var buf []store.ScannedMember
	return store.ScanPages(tenant, q, func(n int) string { return "?" + strconv.Itoa(n) }, store.ScanColumns,
		func(t time.Time) any { return toDB(t) }, func(query string, args []any) (int, string, error) {
			return s.scanPage(ctx, r, query, args, q.Needs, &buf, &f, fn)
		})
}

// scanPage reads one page of a scan, then calls fn with each member once
// the page's statement is done, so that fn may take as long as it needs
// (write, or stream to a slow client) without holding a read open. It
// returns how many rows it read and the last id.
func (s *Store) scanPage(ctx context.Context, r *reader, query string, args []any, needs segment.Needs,
	buf *[]store.ScannedMember, f *store.MemberFacts, fn func(store.MemberFacts) error) (n int, lastID string, err error) {
	rows, err := r.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = rows.Close() }()
	page := (*buf)[:0]
	defer func() { *buf = page }()
	tenant := args[0].(string)
	var lastOrder sql.NullInt64
	var tags, attributes []byte
	var created int64
	dest := make([]any, 0, 32)
	for rows.Next() {
		var sm *store.ScannedMember
		page, sm = store.Next(page)
		m, p := &sm.Member, &sm.Member.Profile
		dest = sm.Row.AppendDest(append(dest[:0], &m.ID, &m.Phone, &m.Name, &m.Email, &m.Balance, &m.Pending, &created,
			&m.Tier.Name, &m.Birthday, &p.Source, &p.Store, &p.City, &p.Language, &tags, &attributes), needs, &lastOrder)
		if err := rows.Scan(dest...); err != nil {
			return 0, "", err
		}
		n++
		lastID = m.ID
		if store.Merged(m.Phone) {
			page = page[:len(page)-1]
			continue
		}
		m.Tenant, m.Phone, m.CreatedAt = tenant, store.PhoneOf(m.ID, m.Phone), fromDB(created)
		if err := store.DecodeProfileLists(tags, attributes, p); err != nil {
			return 0, "", fmt.Errorf("member %s: %w", m.ID, err)
		}
		sm.LastOrder = time.Time{}
		if lastOrder.Valid {
			sm.LastOrder = fromDB(lastOrder.Int64)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, "", err
	}
	_ = rows.Close()
	return n, lastID, store.DeliverPage(page, needs, f, fn)
}
