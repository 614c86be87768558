package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

const apiKeyColumns = `id, name, tenant, scope, hash, created_at, expires_at, last_used_at, revoked_at`

// CreateAPIKey stores a new key; see store.APIKeys.
func (s *Store) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)
			ON CONFLICT (id) DO NOTHING`,
			k.ID, k.Name, k.Tenant, k.Scope, k.Hash, toDB(s.clock.Stamp(k.CreatedAt)), toDBZero(store.Stamp(k.ExpiresAt)))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrKeyTaken
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("creating api key: %w", err)
	}
	return nil
}

// APIKey returns a key by id; see store.APIKeys.
func (s *Store) APIKey(ctx context.Context, id string) (store.APIKey, error) {
	r, err := s.reads()
	if err != nil {
		return store.APIKey{}, err
	}
	k, err := scanAPIKey(r.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = ?`, id))
	if err != nil {
		return store.APIKey{}, fmt.Errorf("reading api key: %w", err)
	}
	return k, nil
}

// ListAPIKeys returns a tenant's keys, or every key; see store.APIKeys.
func (s *Store) ListAPIKeys(ctx context.Context, tenant string) ([]store.APIKey, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE ? = '' OR tenant = ? ORDER BY created_at, id`,
		tenant, tenant)
	if err != nil {
		return nil, fmt.Errorf("listing api keys: %w", err)
	}
	defer rows.Close()
	var out []store.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("listing api keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing api keys: %w", err)
	}
	return out, nil
}

// RevokeAPIKey revokes a key once; see store.APIKeys.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, at time.Time) (store.APIKey, error) {
	var k store.APIKey
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		var err error
		k, err = scanAPIKey(tx.QueryRowContext(ctx, `UPDATE api_keys
			SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END
			WHERE id = ? RETURNING `+apiKeyColumns, toDB(s.clock.Stamp(at)), id))
		return err
	})
	if err != nil {
		return store.APIKey{}, fmt.Errorf("revoking api key: %w", err)
	}
	return k, nil
}

// TouchAPIKey records a key's use at most once a minute; see
// store.APIKeys.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	at = s.clock.Stamp(at)
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		_, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND last_used_at <= ?`,
			toDB(at), id, toDB(at.Add(-time.Minute)))
		return err
	})
	if err != nil {
		return fmt.Errorf("recording an api key's use: %w", err)
	}
	return nil
}

func scanAPIKey(r rowScanner) (store.APIKey, error) {
	var k store.APIKey
	var created, expires, used, revoked int64
	if err := r.Scan(&k.ID, &k.Name, &k.Tenant, &k.Scope, &k.Hash, &created, &expires, &used, &revoked); err != nil {
		return store.APIKey{}, notFound(err)
	}
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt = fromDB(created), fromDBZero(expires), fromDBZero(used), fromDBZero(revoked)
	return k, nil
}

// RecordAudit appends an audit entry; see store.Audit.
func (s *Store) RecordAudit(ctx context.Context, e store.AuditEntry) (int64, error) {
	var id int64
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO audit_log
			(tenant, key_id, key_name, method, route, path, status, at, request, before, after)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			e.Tenant, e.KeyID, e.KeyName, e.Method, e.Route, e.Path, e.Status, toDB(s.clock.Stamp(e.At)),
			nullJSON(e.Request), nullJSON(e.Before), nullJSON(e.After)).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("recording audit entry: %w", err)
	}
	return id, nil
}

// ListAudit reads a page of a tenant's audit log; see store.Audit.
func (s *Store) ListAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	where := []string{"tenant = ?"}
	args := []any{q.Tenant}
	if !q.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, toDB(q.From))
	}
	if !q.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, toDB(q.To))
	}
	if q.KeyID != "" {
		where, args = append(where, "key_id = ?"), append(args, q.KeyID)
	}
	if q.Before > 0 {
		where, args = append(where, "id < ?"), append(args, q.Before)
	}
	rows, err := r.QueryContext(ctx, `SELECT id, tenant, key_id, key_name, method, route, path, status, at, request, before, after
		FROM audit_log WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, append(args, q.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("listing audit entries: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var at int64
		var req, before, after sql.NullString
		if err := rows.Scan(&e.ID, &e.Tenant, &e.KeyID, &e.KeyName, &e.Method, &e.Route, &e.Path, &e.Status, &at,
			&req, &before, &after); err != nil {
			return nil, fmt.Errorf("listing audit entries: %w", err)
		}
		e.At = fromDB(at)
		e.Request, e.Before, e.After = rawJSON(req), rawJSON(before), rawJSON(after)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing audit entries: %w", err)
	}
	return out, nil
}

func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

func rawJSON(s sql.NullString) json.RawMessage {
	if !s.Valid {
		return nil
	}
	return json.RawMessage(s.String)
}
