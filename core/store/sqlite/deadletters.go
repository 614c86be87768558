package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

const deadLetterColumns = `id, tenant, topic, handler, reason, payload, metadata, created_at, replayed_at`

func scanDeadLetter(r rowScanner) (store.DeadLetter, error) {
	var d store.DeadLetter
	var meta string
	var created int64
	var replayed sql.NullInt64
	if err := r.Scan(&d.ID, &d.Tenant, &d.Topic, &d.Handler, &d.Reason, &d.Payload, &meta,
		&created, &replayed); err != nil {
		return store.DeadLetter{}, notFound(err)
	}
	if err := json.Unmarshal([]byte(meta), &d.Metadata); err != nil {
		return store.DeadLetter{}, fmt.Errorf("decoding metadata: %w", err)
	}
	d.CreatedAt = fromDB(created)
	if replayed.Valid {
		t := fromDB(replayed.Int64)
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
	if d.Metadata == nil {
		d.Metadata = map[string]string{}
	}
	meta, err := json.Marshal(d.Metadata)
	if err != nil {
		return fmt.Errorf("adding dead letter: encoding metadata: %w", err)
	}
	if d.Payload == nil {
		d.Payload = []byte{}
	}
	var replayed any
	if d.ReplayedAt != nil {
		replayed = toDB(*d.ReplayedAt)
	}
	created := toDB(s.clock.Stamp(d.CreatedAt))
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO dead_letters (`+deadLetterColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			d.ID, d.Tenant, d.Topic, d.Handler, d.Reason, d.Payload, string(meta), created, replayed)
		return err
	}); err != nil {
		return fmt.Errorf("adding dead letter: %w", err)
	}
	return nil
}

// ListDeadLetters lists a tenant's dead letters, newest first; limit
// defaults to 100 and is capped at 1000.
func (s *Store) ListDeadLetters(ctx context.Context, tenant string, limit int) ([]store.DeadLetter, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, `SELECT `+deadLetterColumns+` FROM dead_letters
		WHERE tenant = ? ORDER BY created_at DESC, id DESC LIMIT ?`, tenant, store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing dead letters: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var ds []store.DeadLetter
	for rows.Next() {
		d, err := scanDeadLetter(rows)
		if err != nil {
			return nil, fmt.Errorf("listing dead letters: %w", err)
		}
		ds = append(ds, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing dead letters: %w", err)
	}
	return ds, nil
}

// DeadLetter returns one of the tenant's dead letters.
func (s *Store) DeadLetter(ctx context.Context, tenant, id string) (store.DeadLetter, error) {
	r, err := s.reads()
	if err != nil {
		return store.DeadLetter{}, err
	}
	d, err := scanDeadLetter(r.QueryRowContext(ctx, `SELECT `+deadLetterColumns+` FROM dead_letters
		WHERE tenant = ? AND id = ?`, tenant, id))
	if err != nil {
		return store.DeadLetter{}, fmt.Errorf("getting dead letter: %w", err)
	}
	return d, nil
}

// MarkReplayed records that the dead letter was published again at at.
func (s *Store) MarkReplayed(ctx context.Context, tenant, id string, at time.Time) error {
	replayed := toDB(s.clock.Stamp(at))
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE dead_letters SET replayed_at = ? WHERE tenant = ? AND id = ?`,
			replayed, tenant, id)
		if err != nil {
			return err
		}
		if rowsAffected(res) == 0 {
			return store.ErrNotFound
		}
		return nil
	}); err != nil {
		return fmt.Errorf("marking dead letter replayed: %w", err)
	}
	return nil
}
