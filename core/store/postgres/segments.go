package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/loyalhub/loyalhub/core/segment"
	"github.com/loyalhub/loyalhub/core/store"
)

const segmentColumns = `name, description, condition, created_at, updated_at`

func scanSegment(r pgx.Row) (store.SavedSegment, error) {
	var s store.SavedSegment
	if err := r.Scan(&s.Name, &s.Description, &s.Condition, &s.CreatedAt, &s.UpdatedAt); err != nil {
		return store.SavedSegment{}, notFound(err)
	}
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	return s, nil
}

// SaveSegment creates or replaces a tenant's segment; see store.Segments.
func (s *Store) SaveSegment(ctx context.Context, tenant string, seg segment.Segment, at time.Time) (store.SavedSegment, error) {
	p, err := s.db()
	if err != nil {
		return store.SavedSegment{}, err
	}
	out, err := scanSegment(p.QueryRow(ctx, `INSERT INTO segments (tenant, `+segmentColumns+`)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (tenant, name) DO UPDATE SET description = excluded.description,
			condition = excluded.condition, updated_at = excluded.updated_at
		RETURNING `+segmentColumns, tenant, seg.Name, seg.Description, seg.Condition, store.Stamp(at)))
	if err != nil {
		return store.SavedSegment{}, fmt.Errorf("saving segment: %w", err)
	}
	return out, nil
}

// Segment returns a tenant's segment by name.
func (s *Store) Segment(ctx context.Context, tenant, name string) (store.SavedSegment, error) {
	p, err := s.db()
	if err != nil {
		return store.SavedSegment{}, err
	}
	seg, err := scanSegment(p.QueryRow(ctx, `SELECT `+segmentColumns+` FROM segments
		WHERE tenant = $1 AND name = $2`, tenant, name))
	if err != nil {
		return store.SavedSegment{}, fmt.Errorf("getting segment: %w", err)
	}
	return seg, nil
}

// Segments lists a tenant's segments by name.
func (s *Store) Segments(ctx context.Context, tenant string) ([]store.SavedSegment, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT `+segmentColumns+` FROM segments WHERE tenant = $1 ORDER BY name`, tenant)
	if err != nil {
		return nil, fmt.Errorf("listing segments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.SavedSegment, error) { return scanSegment(r) })
	if err != nil {
		return nil, fmt.Errorf("listing segments: %w", err)
	}
	return out, nil
}

// DeleteSegment deletes a tenant's segment.
func (s *Store) DeleteSegment(ctx context.Context, tenant, name string) error {
	p, err := s.db()
	if err != nil {
		return err
	}
	tag, err := p.Exec(ctx, `DELETE FROM segments WHERE tenant = $1 AND name = $2`, tenant, name)
	if err != nil {
		return fmt.Errorf("deleting segment: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("deleting segment: %w", store.ErrNotFound)
	}
	return nil
}

// ScanMembers calls fn with each of a tenant's members and their facts,
// a page (one statement) at a time; see store.Segments.
func (s *Store) ScanMembers(ctx context.Context, tenant string, q store.MemberScan, fn func(store.MemberFacts) error) error {
	p, err := s.db()
	if err != nil {
		return err
	}
	var f store.MemberFacts
	var buf []store.ScannedMember
	return store.ScanPages(tenant, q, func(n int) string { return "$" + strconv.Itoa(n) }, store.ScanColumns,
		func(t time.Time) any { return t }, func(query string, args []any) (int, string, error) {
			return scanPage(ctx, p, query, args, q.Needs, &buf, &f, fn)
		})
}

// scanPage reads one page of a scan, then calls fn with each member once
// the page's statement is done, so that fn may take as long as it needs
// (write, or stream to a slow client) without holding a connection. It
// returns how many rows it read and the last id.
func scanPage(ctx context.Context, p *pgxpool.Pool, query string, args []any, needs segment.Needs,
	buf *[]store.ScannedMember, f *store.MemberFacts, fn func(store.MemberFacts) error) (n int, lastID string, err error) {
	// The estimate of a page's statement passes jit_above_cost, and
	// compiling it takes longer than running it: a page reads in a
	// transaction of its own with JIT off.
	tx, err := p.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
		return 0, "", err
	}
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	page := (*buf)[:0]
	defer func() { *buf = page }()
	tenant := args[0].(string)
	var lastOrder *time.Time
	var tags, attributes []byte
	dest := make([]any, 0, 32)
	for rows.Next() {
		var sm *store.ScannedMember
		page, sm = store.Next(page)
		m, pr := &sm.Member, &sm.Member.Profile
		dest = sm.Row.AppendDest(append(dest[:0], &m.ID, &m.Phone, &m.Name, &m.Email, &m.Balance, &m.Pending, &m.CreatedAt,
			&m.Tier.Name, &m.Birthday, &pr.Source, &pr.Store, &pr.City, &pr.Language, &tags, &attributes), needs, &lastOrder)
		if err := rows.Scan(dest...); err != nil {
			return 0, "", err
		}
		n++
		lastID = m.ID
		if store.Merged(m.Phone) {
			page = page[:len(page)-1]
			continue
		}
		m.Tenant, m.Phone, m.CreatedAt = tenant, store.PhoneOf(m.ID, m.Phone), m.CreatedAt.UTC()
		if err := store.DecodeProfileLists(tags, attributes, pr); err != nil {
			return 0, "", fmt.Errorf("member %s: %w", m.ID, err)
		}
		sm.LastOrder = time.Time{}
		if lastOrder != nil {
			sm.LastOrder = lastOrder.UTC()
		}
	}
	if err := rows.Err(); err != nil {
		return 0, "", err
	}
	rows.Close()
	if err := tx.Rollback(ctx); err != nil {
		return 0, "", err
	}
	return n, lastID, store.DeliverPage(page, needs, f, fn)
}
