package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

const apiKeyColumns = `id, name, tenant, scope, hash, created_at, expires_at, last_used_at, revoked_at`

// CreateAPIKey stores a new key; see store.APIKeys.
func (s *Store) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	p, err := s.db()
	if err != nil {
		return err
	}
	tag, err := p.Exec(ctx, `INSERT INTO api_keys (id, name, tenant, scope, hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
		k.ID, k.Name, k.Tenant, k.Scope, k.Hash, s.clock.Stamp(k.CreatedAt), nullTime(store.Stamp(k.ExpiresAt)))
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrKeyTaken
	}
	if err != nil {
		return fmt.Errorf("creating api key: %w", err)
	}
	return nil
}

// APIKey returns a key by id; see store.APIKeys.
func (s *Store) APIKey(ctx context.Context, id string) (store.APIKey, error) {
	p, err := s.db()
	if err != nil {
		return store.APIKey{}, err
	}
	k, err := scanAPIKey(p.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = $1`, id))
	if err != nil {
		return store.APIKey{}, fmt.Errorf("reading api key: %w", err)
	}
	return k, nil
}

// ListAPIKeys returns a tenant's keys, or every key; see store.APIKeys.
func (s *Store) ListAPIKeys(ctx context.Context, tenant string) ([]store.APIKey, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE $1 = '' OR tenant = $1 ORDER BY created_at, id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("listing api keys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.APIKey, error) { return scanAPIKey(r) })
	if err != nil {
		return nil, fmt.Errorf("listing api keys: %w", err)
	}
	return keys, nil
}

// RevokeAPIKey revokes a key once; see store.APIKeys.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, at time.Time) (store.APIKey, error) {
	p, err := s.db()
	if err != nil {
		return store.APIKey{}, err
	}
	k, err := scanAPIKey(p.QueryRow(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2)
		WHERE id = $1 RETURNING `+apiKeyColumns, id, s.clock.Stamp(at)))
	if err != nil {
		return store.APIKey{}, fmt.Errorf("revoking api key: %w", err)
	}
	return k, nil
}

// TouchAPIKey records a key's use at most once a minute; see
// store.APIKeys.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	p, err := s.db()
	if err != nil {
		return err
	}
	at = s.clock.Stamp(at)
	if _, err := p.Exec(ctx, `UPDATE api_keys SET last_used_at = $2
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)`, id, at, at.Add(-time.Minute)); err != nil {
		return fmt.Errorf("recording an api key's use: %w", err)
	}
	return nil
}

func scanAPIKey(r pgx.Row) (store.APIKey, error) {
	var k store.APIKey
	var expires, used, revoked *time.Time
	if err := r.Scan(&k.ID, &k.Name, &k.Tenant, &k.Scope, &k.Hash, &k.CreatedAt, &expires, &used, &revoked); err != nil {
		return store.APIKey{}, notFound(err)
	}
	k.CreatedAt = k.CreatedAt.UTC()
	k.ExpiresAt, k.LastUsedAt, k.RevokedAt = utcOrZero(expires), utcOrZero(used), utcOrZero(revoked)
	return k, nil
}

// RecordAudit appends an audit entry; see store.Audit.
func (s *Store) RecordAudit(ctx context.Context, e store.AuditEntry) (int64, error) {
	p, err := s.db()
	if err != nil {
		return 0, err
	}
	var id int64
	err = p.QueryRow(ctx, `INSERT INTO audit_log (tenant, key_id, key_name, method, route, path, status, at, request, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		e.Tenant, e.KeyID, e.KeyName, e.Method, e.Route, e.Path, e.Status, s.clock.Stamp(e.At),
		nullJSON(e.Request), nullJSON(e.Before), nullJSON(e.After)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("recording audit entry: %w", err)
	}
	return id, nil
}

// ListAudit reads a page of a tenant's audit log; see store.Audit.
func (s *Store) ListAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	where := []string{"tenant = $1"}
	args := []any{q.Tenant}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+" $"+strconv.Itoa(len(args)))
	}
	if !q.From.IsZero() {
		add("at >=", q.From)
	}
	if !q.To.IsZero() {
		add("at <", q.To)
	}
	if q.KeyID != "" {
		add("key_id =", q.KeyID)
	}
	if q.Before > 0 {
		add("id <", q.Before)
	}
	args = append(args, q.Limit)
	rows, err := p.Query(ctx, `SELECT id, tenant, key_id, key_name, method, route, path, status, at, request, before, after
		FROM audit_log WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("listing audit entries: %w", err)
	}
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AuditEntry, error) {
		var e store.AuditEntry
		var req, before, after []byte
		err := r.Scan(&e.ID, &e.Tenant, &e.KeyID, &e.KeyName, &e.Method, &e.Route, &e.Path, &e.Status, &e.At,
			&req, &before, &after)
		e.At = e.At.UTC()
		e.Request, e.Before, e.After = req, before, after
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing audit entries: %w", err)
	}
	return entries, nil
}

// nullJSON is b as a jsonb parameter, NULL when empty.
func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}
