package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

const deadLetterColumns = `id, tenant, topic, handler, reason, payload, metadata, created_at, replayed_at`

func scanDeadLetter(r pgx.Row) (store.DeadLetter, error) {
	var d store.DeadLetter
	if err := r.Scan(&d.ID, &d.Tenant, &d.Topic, &d.Handler, &d.Reason, &d.Payload, &d.Metadata,
		&d.CreatedAt, &d.ReplayedAt); err != nil {
		return store.DeadLetter{}, notFound(err)
	}
	d.CreatedAt = d.CreatedAt.UTC()
	if d.ReplayedAt != nil {
		t := d.ReplayedAt.UTC()
		d.ReplayedAt = &t
	}
	return d, nil
}

// AddDeadLetter stores d; adding the same id again changes nothing. Its time
// is d.CreatedAt (now when zero).
func (s *Store) AddDeadLetter(ctx context.Context, d store.DeadLetter) error {
	if d.ID == "" || d.Tenant == "" {
		return errors.New("adding dead letter: id and tenant are required")
	}
	p, err := s.db()
	if err != nil {
		return err
	}
	if d.Metadata == nil {
		d.Metadata = map[string]string{}
	}
	if d.Payload == nil {
		d.Payload = []byte{}
	}
	if _, err := p.Exec(ctx, `INSERT INTO dead_letters (`+deadLetterColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
		d.ID, d.Tenant, d.Topic, d.Handler, d.Reason, d.Payload, d.Metadata,
		s.clock.Stamp(d.CreatedAt), d.ReplayedAt); err != nil {
		return fmt.Errorf("adding dead letter: %w", err)
	}
	return nil
}

// ListDeadLetters lists a tenant's dead letters, newest first; limit
// defaults to 100 and is capped at 1000.
func (s *Store) ListDeadLetters(ctx context.Context, tenant string, limit int) ([]store.DeadLetter, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT `+deadLetterColumns+` FROM dead_letters
		WHERE tenant = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, tenant, store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing dead letters: %w", err)
	}
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.DeadLetter, error) { return scanDeadLetter(r) })
	if err != nil {
		return nil, fmt.Errorf("listing dead letters: %w", err)
	}
	return ds, nil
}

// DeadLetter returns one of the tenant's dead letters.
func (s *Store) DeadLetter(ctx context.Context, tenant, id string) (store.DeadLetter, error) {
	p, err := s.db()
	if err != nil {
		return store.DeadLetter{}, err
	}
	d, err := scanDeadLetter(p.QueryRow(ctx, `SELECT `+deadLetterColumns+` FROM dead_letters
		WHERE tenant = $1 AND id = $2`, tenant, id))
	if err != nil {
		return store.DeadLetter{}, fmt.Errorf("getting dead letter: %w", err)
	}
	return d, nil
}

// MarkReplayed records that the dead letter was published again at at.
func (s *Store) MarkReplayed(ctx context.Context, tenant, id string, at time.Time) error {
	p, err := s.db()
	if err != nil {
		return err
	}
	tag, err := p.Exec(ctx, `UPDATE dead_letters SET replayed_at = $1 WHERE tenant = $2 AND id = $3`,
		s.clock.Stamp(at), tenant, id)
	if err != nil {
		return fmt.Errorf("marking dead letter replayed: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("marking dead letter replayed: %w", store.ErrNotFound)
	}
	return nil
}
