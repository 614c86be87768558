package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

const webhookColumns = `tenant, endpoint, id, member_id, type, payload, status, attempts, next_at, created_at, updated_at, last_code, last_error`

const queryEnqueueWebhook = `INSERT INTO webhook_deliveries (` + webhookColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, 0, '') ON CONFLICT DO NOTHING`

// redactWebhooks empties the payloads of a member's deliveries and fails
// those not delivered; see store.Privacy.
const redactWebhooks = `UPDATE webhook_deliveries SET payload = X'7B7D',
	status = CASE WHEN status = 'delivered' THEN status ELSE 'failed' END,
	last_error = CASE WHEN status = 'delivered' THEN last_error ELSE '` + store.WebhookErased + `' END
	WHERE tenant = ? AND member_id = ? AND member_id <> '' AND payload <> X'7B7D'`

// writeWebhooks writes deliveries as pending; see store.Webhooks.
func writeWebhooks(ctx context.Context, tx *wtx, ds []store.WebhookDelivery, now time.Time) error {
	for _, d := range ds {
		created := d.CreatedAt
		if created.IsZero() {
			created = now
		}
		next := d.NextAt
		if next.IsZero() {
			next = created
		}
		if _, err := tx.ExecContext(ctx, queryEnqueueWebhook, d.Tenant, d.Endpoint, d.ID, d.MemberID, d.Type, []byte(d.Payload),
			toDB(next), toDB(created), toDB(created)); err != nil {
			return fmt.Errorf("queueing webhook %s to %s: %w", d.ID, d.Endpoint, err)
		}
	}
	return nil
}

// EnqueueWebhooks writes deliveries as pending; see store.Webhooks.
func (s *Store) EnqueueWebhooks(ctx context.Context, ds []store.WebhookDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	now := s.clock.Now()
	return s.do(ctx, func(ctx context.Context, tx *wtx) error { return writeWebhooks(ctx, tx, ds, now) })
}

func scanWebhook(r rowScanner) (store.WebhookDelivery, error) {
	var d store.WebhookDelivery
	var payload []byte
	var next, created, updated int64
	if err := r.Scan(&d.Tenant, &d.Endpoint, &d.ID, &d.MemberID, &d.Type, &payload, &d.Status, &d.Attempts, &next, &created, &updated,
		&d.LastCode, &d.LastError); err != nil {
		return d, err
	}
	d.Payload = payload
	d.NextAt, d.CreatedAt, d.UpdatedAt = fromDB(next), fromDB(created), fromDB(updated)
	return d, nil
}

// DueWebhooks leases the pending deliveries due at now; see store.Webhooks.
func (s *Store) DueWebhooks(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.WebhookDelivery, error) {
	var out []store.WebhookDelivery
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `UPDATE webhook_deliveries SET next_at = ?
			WHERE (tenant, endpoint, id) IN (SELECT d.tenant, d.endpoint, d.id FROM webhook_deliveries d
				WHERE d.status = 'pending' AND d.next_at <= ? AND NOT EXISTS (SELECT 1 FROM webhook_endpoints e
					WHERE e.tenant = d.tenant AND e.name = d.endpoint AND e.disabled_at <> 0)
				ORDER BY d.next_at, d.created_at LIMIT ?)
			RETURNING `+webhookColumns, toDB(now.Add(lease)), toDB(now), store.ClampLimit(limit))
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			d, err := scanWebhook(rows)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("leasing due webhooks: %w", err)
	}
	store.SortWebhookDeliveries(out)
	return out, nil
}

const webhookEndpointColumns = `tenant, name, last_success_at, last_failure_at, failing_since, failures, disabled_at, disabled_reason`

func scanWebhookEndpoint(r rowScanner) (store.WebhookEndpoint, error) {
	var e store.WebhookEndpoint
	var ok, failed, since, disabled int64
	if err := r.Scan(&e.Tenant, &e.Name, &ok, &failed, &since, &e.Failures, &disabled, &e.DisabledReason); err != nil {
		return e, err
	}
	e.LastSuccessAt, e.LastFailureAt, e.FailingSince, e.DisabledAt = fromDBZero(ok), fromDBZero(failed),
		fromDBZero(since), fromDBZero(disabled)
	return e, nil
}

// RecordWebhookAttempt logs an attempt and applies its result; see
// store.Webhooks.
func (s *Store) RecordWebhookAttempt(ctx context.Context, d store.WebhookDelivery, r store.WebhookResult) (store.WebhookEndpoint, bool, error) {
	var ep store.WebhookEndpoint
	var applied bool
	a := r.Attempt
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts
			(tenant, endpoint, delivery_id, at, status_code, latency_ms, error, response) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			d.Tenant, d.Endpoint, d.ID, toDB(a.At), a.StatusCode, a.LatencyMS, a.Error, a.Response); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, next_at = ?,
			updated_at = ?, last_code = ?, last_error = ?
			WHERE tenant = ? AND endpoint = ? AND id = ? AND status = 'pending' AND attempts = ?`,
			r.Status, toDB(r.NextAt), toDB(a.At), a.StatusCode, a.Error, d.Tenant, d.Endpoint, d.ID, d.Attempts)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		applied = n == 1
		q := `INSERT INTO webhook_endpoints (tenant, name, last_failure_at, failing_since, failures) VALUES (?, ?, ?, ?, 1)
			ON CONFLICT (tenant, name) DO UPDATE SET last_failure_at = excluded.last_failure_at,
				failing_since = CASE WHEN failing_since = 0 THEN excluded.failing_since ELSE failing_since END,
				failures = failures + 1
			RETURNING ` + webhookEndpointColumns
		args := []any{d.Tenant, d.Endpoint, toDB(a.At), toDB(a.At)}
		if r.Success {
			q = `INSERT INTO webhook_endpoints (tenant, name, last_success_at) VALUES (?, ?, ?)
				ON CONFLICT (tenant, name) DO UPDATE SET last_success_at = excluded.last_success_at, failing_since = 0, failures = 0
				RETURNING ` + webhookEndpointColumns
			args = args[:3]
		}
		ep, err = scanWebhookEndpoint(tx.QueryRowContext(ctx, q, args...))
		return err
	})
	if err != nil {
		return ep, false, fmt.Errorf("recording webhook attempt %s to %s: %w", d.ID, d.Endpoint, err)
	}
	return ep, applied, nil
}

// DisableWebhookEndpoint disables an endpoint and holds its pending
// deliveries; see store.Webhooks.
func (s *Store) DisableWebhookEndpoint(ctx context.Context, tenant, name, reason string, at time.Time) error {
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoints (tenant, name, disabled_at, disabled_reason) VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant, name) DO UPDATE SET disabled_at = excluded.disabled_at, disabled_reason = excluded.disabled_reason
			WHERE disabled_at = 0`, tenant, name, toDB(at), reason)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'held', updated_at = ?
			WHERE tenant = ? AND endpoint = ? AND status = 'pending'`, toDB(at), tenant, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("disabling webhook endpoint %s: %w", name, err)
	}
	return nil
}

// EnableWebhookEndpoint enables an endpoint and sends its held deliveries;
// see store.Webhooks.
func (s *Store) EnableWebhookEndpoint(ctx context.Context, tenant, name string, at time.Time) error {
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET disabled_at = 0, disabled_reason = '', failures = 0,
			failing_since = 0 WHERE tenant = ? AND name = ?`, tenant, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_at = ?, updated_at = ?
			WHERE tenant = ? AND endpoint = ? AND status = 'held'`, toDB(at), toDB(at), tenant, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("enabling webhook endpoint %s: %w", name, err)
	}
	return nil
}

// WebhookEndpoints returns the health of a tenant's endpoints; see
// store.Webhooks.
func (s *Store) WebhookEndpoints(ctx context.Context, tenant string) ([]store.WebhookEndpoint, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, `SELECT `+webhookEndpointColumns+` FROM webhook_endpoints WHERE tenant = ? ORDER BY name`, tenant)
	if err != nil {
		return nil, fmt.Errorf("listing webhook endpoints: %w", err)
	}
	defer rows.Close()
	var out []store.WebhookEndpoint
	for rows.Next() {
		e, err := scanWebhookEndpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("listing webhook endpoints: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing webhook endpoints: %w", err)
	}
	return out, nil
}

// ListWebhookDeliveries lists an endpoint's deliveries, newest first; see
// store.Webhooks.
func (s *Store) ListWebhookDeliveries(ctx context.Context, tenant, endpoint string, f store.WebhookFilter) ([]store.WebhookDelivery, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhook_deliveries
		WHERE tenant = ? AND endpoint = ? AND (? = '' OR status = ?) ORDER BY created_at DESC, id DESC LIMIT ?`,
		tenant, endpoint, f.Status, f.Status, store.ClampLimit(f.Limit))
	if err != nil {
		return nil, fmt.Errorf("listing webhook deliveries: %w", err)
	}
	defer rows.Close()
	var out []store.WebhookDelivery
	for rows.Next() {
		d, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("listing webhook deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing webhook deliveries: %w", err)
	}
	return out, nil
}

// WebhookDelivery returns one delivery with its attempts; see
// store.Webhooks.
func (s *Store) WebhookDelivery(ctx context.Context, tenant, endpoint, id string) (store.WebhookDelivery, []store.WebhookAttempt, error) {
	r, err := s.reads()
	if err != nil {
		return store.WebhookDelivery{}, nil, err
	}
	d, err := scanWebhook(r.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhook_deliveries
		WHERE tenant = ? AND endpoint = ? AND id = ?`, tenant, endpoint, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, nil, store.ErrNotFound
	}
	if err != nil {
		return d, nil, fmt.Errorf("reading webhook delivery: %w", err)
	}
	rows, err := r.QueryContext(ctx, `SELECT at, status_code, latency_ms, error, response FROM webhook_attempts
		WHERE tenant = ? AND endpoint = ? AND delivery_id = ? ORDER BY id`, tenant, endpoint, id)
	if err != nil {
		return d, nil, fmt.Errorf("reading webhook attempts: %w", err)
	}
	defer rows.Close()
	var out []store.WebhookAttempt
	for rows.Next() {
		a := store.WebhookAttempt{Tenant: tenant, Endpoint: endpoint, DeliveryID: id}
		var at int64
		if err := rows.Scan(&at, &a.StatusCode, &a.LatencyMS, &a.Error, &a.Response); err != nil {
			return d, nil, fmt.Errorf("reading webhook attempts: %w", err)
		}
		a.At = fromDB(at)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return d, nil, fmt.Errorf("reading webhook attempts: %w", err)
	}
	return d, out, nil
}

// ReplayWebhook makes a delivery pending again; see store.Webhooks.
func (s *Store) ReplayWebhook(ctx context.Context, tenant, endpoint, id string, at time.Time) error {
	var n int64
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_at = ?, updated_at = ?
			WHERE tenant = ? AND endpoint = ? AND id = ?`, toDB(at), toDB(at), tenant, endpoint, id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("replaying webhook %s: %w", id, err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
