package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

const checkoutColumns = `tenant, token, phone, email, name, total, currency, url, updated_at, completed, abandoned_at`

func scanCheckout(r pgx.Row) (store.Checkout, error) {
	var c store.Checkout
	if err := r.Scan(&c.Tenant, &c.Token, &c.Phone, &c.Email, &c.Name, &c.Total, &c.Currency, &c.URL,
		&c.UpdatedAt, &c.Completed, &c.AbandonedAt); err != nil {
		return store.Checkout{}, notFound(err)
	}
	c.UpdatedAt = c.UpdatedAt.UTC()
	c.AbandonedAt = utcPtr(c.AbandonedAt)
	return c, nil
}

// UpsertCheckout records a checkout's state as of c.UpdatedAt; see
// store.Checkouts.
func (s *Store) UpsertCheckout(ctx context.Context, c store.Checkout) error {
	if c.Tenant == "" || c.Token == "" {
		return errors.New("saving checkout: tenant and token are required")
	}
	p, err := s.db()
	if err != nil {
		return err
	}
	// A completion is final even when its report is older than the
	// stored state: it completes the row without changing its fields.
	if _, err := p.Exec(ctx, `INSERT INTO checkouts AS c (tenant, token, phone, email, name, total, currency,
		url, updated_at, completed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (tenant, token) DO UPDATE SET
			phone    = CASE WHEN excluded.updated_at >= c.updated_at THEN excluded.phone ELSE c.phone END,
			email    = CASE WHEN excluded.updated_at >= c.updated_at THEN excluded.email ELSE c.email END,
			name     = CASE WHEN excluded.updated_at >= c.updated_at THEN excluded.name ELSE c.name END,
			total    = CASE WHEN excluded.updated_at >= c.updated_at THEN excluded.total ELSE c.total END,
			currency = CASE WHEN excluded.updated_at >= c.updated_at THEN excluded.currency ELSE c.currency END,
			url      = CASE WHEN excluded.updated_at >= c.updated_at THEN excluded.url ELSE c.url END,
			updated_at = GREATEST(c.updated_at, excluded.updated_at),
			completed  = c.completed OR excluded.completed
		WHERE excluded.updated_at >= c.updated_at OR (excluded.completed AND NOT c.completed)`,
		c.Tenant, c.Token, c.Phone, c.Email, c.Name, c.Total, c.Currency, c.URL,
		s.clock.Stamp(c.UpdatedAt), c.Completed); err != nil {
		return fmt.Errorf("saving checkout: %w", err)
	}
	return nil
}

// CompleteCheckout marks a checkout completed, storing an unknown one
// completed; see store.Checkouts.
func (s *Store) CompleteCheckout(ctx context.Context, tenant, token string, at time.Time) error {
	if tenant == "" || token == "" {
		return errors.New("completing checkout: tenant and token are required")
	}
	p, err := s.db()
	if err != nil {
		return err
	}
	if _, err := p.Exec(ctx, `INSERT INTO checkouts AS c (tenant, token, updated_at, completed) VALUES ($1, $2, $3, true)
		ON CONFLICT (tenant, token) DO UPDATE SET completed = true,
			updated_at = GREATEST(c.updated_at, excluded.updated_at)`,
		tenant, token, s.clock.Stamp(at)); err != nil {
		return fmt.Errorf("completing checkout: %w", err)
	}
	return nil
}

// DueCheckouts lists the tenant's checkouts to announce as abandoned; see
// store.Checkouts.
func (s *Store) DueCheckouts(ctx context.Context, tenant string, before time.Time, limit int) ([]store.Checkout, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT `+checkoutColumns+` FROM checkouts
		WHERE tenant = $1 AND NOT completed AND abandoned_at IS NULL AND updated_at <= $2
		ORDER BY updated_at, token LIMIT $3`, tenant, dbTime(before), store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing due checkouts: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Checkout, error) { return scanCheckout(r) })
	if err != nil {
		return nil, fmt.Errorf("listing due checkouts: %w", err)
	}
	return cs, nil
}

// MarkAbandoned records that a checkout was announced; see
// store.Checkouts.
func (s *Store) MarkAbandoned(ctx context.Context, tenant string, marks []store.CheckoutMark, at time.Time) ([]bool, error) {
	if len(marks) == 0 {
		return []bool{}, nil
	}
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	tokens, seen := make([]string, len(marks)), make([]time.Time, len(marks))
	for i, m := range marks {
		tokens[i], seen[i] = m.Token, dbTime(m.UpdatedAt)
	}
	rows, err := p.Query(ctx, `UPDATE checkouts AS c SET abandoned_at = $1
		FROM unnest($3::text[], $4::timestamptz[]) AS u (token, updated_at)
		WHERE c.tenant = $2 AND c.token = u.token AND NOT c.completed AND c.abandoned_at IS NULL AND c.updated_at = u.updated_at
		RETURNING c.token`, s.clock.Stamp(at), tenant, tokens, seen)
	if err != nil {
		return nil, fmt.Errorf("marking checkouts abandoned: %w", err)
	}
	marked, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("marking checkouts abandoned: %w", err)
	}
	return store.MarkedTokens(marks, marked), nil
}
