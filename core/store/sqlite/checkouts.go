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

const (
	checkoutColumns   = `tenant, token, phone, email, name, total, currency, url, updated_at, completed, abandoned_at`
	queryDueCheckouts = `SELECT ` + checkoutColumns + ` FROM checkouts
		WHERE tenant = ? AND completed = 0 AND abandoned_at IS NULL AND updated_at <= ?
		ORDER BY updated_at, token LIMIT ?`
)

func scanCheckout(r rowScanner) (store.Checkout, error) {
	var c store.Checkout
	var updated int64
	var abandoned sql.NullInt64
	if err := r.Scan(&c.Tenant, &c.Token, &c.Phone, &c.Email, &c.Name, &c.Total, &c.Currency, &c.URL,
		&updated, &c.Completed, &abandoned); err != nil {
		return store.Checkout{}, notFound(err)
	}
	c.UpdatedAt = fromDB(updated)
	if abandoned.Valid {
		t := fromDB(abandoned.Int64)
		c.AbandonedAt = &t
	}
	return c, nil
}

// UpsertCheckout records a checkout's state as of c.UpdatedAt; see
// store.Checkouts.
func (s *Store) UpsertCheckout(ctx context.Context, c store.Checkout) error {
	if c.Tenant == "" || c.Token == "" {
		return errors.New("saving checkout: tenant and token are required")
	}
	updated := toDB(s.clock.Stamp(c.UpdatedAt))
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO checkouts (tenant, token, phone, email, name, total, currency,
			url, updated_at, completed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant, token) DO UPDATE SET phone = excluded.phone, email = excluded.email,
				name = excluded.name, total = excluded.total, currency = excluded.currency, url = excluded.url,
				updated_at = excluded.updated_at, completed = max(checkouts.completed, excluded.completed)
			WHERE excluded.updated_at >= checkouts.updated_at`,
			c.Tenant, c.Token, c.Phone, c.Email, c.Name, c.Total, c.Currency, c.URL, updated, c.Completed); err != nil {
			return err
		}
		if !c.Completed {
			return nil
		}
		// A completion is final even when its report is older.
		_, err := tx.ExecContext(ctx, `UPDATE checkouts SET completed = 1
			WHERE tenant = ? AND token = ? AND completed = 0`, c.Tenant, c.Token)
		return err
	}); err != nil {
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
	updated := toDB(s.clock.Stamp(at))
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO checkouts (tenant, token, updated_at, completed) VALUES (?, ?, ?, 1)
			ON CONFLICT (tenant, token) DO UPDATE SET completed = 1,
				updated_at = max(checkouts.updated_at, excluded.updated_at)`, tenant, token, updated)
		return err
	}); err != nil {
		return fmt.Errorf("completing checkout: %w", err)
	}
	return nil
}

// DueCheckouts lists the tenant's checkouts to announce as abandoned; see
// store.Checkouts.
func (s *Store) DueCheckouts(ctx context.Context, tenant string, before time.Time, limit int) ([]store.Checkout, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, queryDueCheckouts, tenant, toDB(before), store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing due checkouts: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var cs []store.Checkout
	for rows.Next() {
		c, err := scanCheckout(rows)
		if err != nil {
			return nil, fmt.Errorf("listing due checkouts: %w", err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
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
	rows := make([][2]any, len(marks))
	for i, m := range marks {
		rows[i] = [2]any{m.Token, toDB(m.UpdatedAt)}
	}
	list, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("marking checkouts abandoned: %w", err)
	}
	var tokens []string
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		tokens = tokens[:0]
		rs, err := tx.QueryContext(ctx, `UPDATE checkouts SET abandoned_at = ? FROM json_each(?) AS j
			WHERE tenant = ? AND token = j.value ->> 0 AND completed = 0 AND abandoned_at IS NULL AND updated_at = j.value ->> 1
			RETURNING token`, toDB(s.clock.Stamp(at)), string(list), tenant)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var t string
			if err := rs.Scan(&t); err != nil {
				return err
			}
			tokens = append(tokens, t)
		}
		return rs.Err()
	}); err != nil {
		return nil, fmt.Errorf("marking checkouts abandoned: %w", err)
	}
	return store.MarkedTokens(marks, tokens), nil
}
