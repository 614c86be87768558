package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

const webhookColumns = `tenant, endpoint, id, member_id, type, payload, status, attempts, next_at, created_at, updated_at, last_code, last_error`

const queryEnqueueWebhook = `INSERT INTO webhook_deliveries (` + webhookColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8, $8, 0, '') ON CONFLICT DO NOTHING`

// redactWebhooks empties the payloads of a member's deliveries and fails
// those not delivered; see store.Privacy.
const redactWebhooks = `UPDATE webhook_deliveries SET payload = '\x7b7d'::bytea,
	status = CASE WHEN status = 'delivered' THEN status ELSE 'failed' END,
	last_error = CASE WHEN status = 'delivered' THEN last_error ELSE '` + store.WebhookErased + `' END
	WHERE tenant = $1 AND member_id = $2 AND member_id <> '' AND payload <> '\x7b7d'::bytea`

// queueWebhooks queues the writes of deliveries as pending; see
// store.Webhooks.
func queueWebhooks(w *writeBatch, ds []store.WebhookDelivery, now time.Time) {
	for _, d := range ds {
		created := d.CreatedAt
		if created.IsZero() {
			created = now
		}
		next := d.NextAt
		if next.IsZero() {
			next = created
		}
		w.queue("queueing webhook "+d.ID+" to "+d.Endpoint, queryEnqueueWebhook, d.Tenant, d.Endpoint, d.ID, d.MemberID, d.Type,
			[]byte(d.Payload), dbTime(next), dbTime(created))
	}
}

// EnqueueWebhooks writes deliveries as pending; see store.Webhooks.
func (s *Store) EnqueueWebhooks(ctx context.Context, ds []store.WebhookDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	p, err := s.db()
	if err != nil {
		return err
	}
	var w writeBatch
	queueWebhooks(&w, ds, s.clock.Now())
	return pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error { return w.send(ctx, tx, "queueing webhooks") })
}

func scanWebhook(r pgx.Row) (store.WebhookDelivery, error) {
	var d store.WebhookDelivery
	var payload []byte
	if err := r.Scan(&d.Tenant, &d.Endpoint, &d.ID, &d.MemberID, &d.Type, &payload, &d.Status, &d.Attempts, &d.NextAt, &d.CreatedAt,
		&d.UpdatedAt, &d.LastCode, &d.LastError); err != nil {
		return d, err
	}
	d.Payload = payload
	d.NextAt, d.CreatedAt, d.UpdatedAt = d.NextAt.UTC(), d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return d, nil
}

func collectWebhooks(rows pgx.Rows) ([]store.WebhookDelivery, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.WebhookDelivery, error) { return scanWebhook(r) })
}

// DueWebhooks leases the pending deliveries due at now; see store.Webhooks.
func (s *Store) DueWebhooks(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.WebhookDelivery, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `UPDATE webhook_deliveries w SET next_at = $1
		FROM (SELECT d.tenant, d.endpoint, d.id FROM webhook_deliveries d
			WHERE d.status = 'pending' AND d.next_at <= $2 AND NOT EXISTS (SELECT 1 FROM webhook_endpoints e
				WHERE e.tenant = d.tenant AND e.name = d.endpoint AND e.disabled_at IS NOT NULL)
			ORDER BY d.next_at, d.created_at LIMIT $3 FOR UPDATE OF d SKIP LOCKED) due
		WHERE w.tenant = due.tenant AND w.endpoint = due.endpoint AND w.id = due.id
		RETURNING w.tenant, w.endpoint, w.id, w.member_id, w.type, w.payload, w.status, w.attempts, w.next_at, w.created_at,
			w.updated_at, w.last_code, w.last_error`,
		dbTime(now.Add(lease)), dbTime(now), store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("leasing due webhooks: %w", err)
	}
	out, err := collectWebhooks(rows)
	if err != nil {
		return nil, fmt.Errorf("leasing due webhooks: %w", err)
	}
	store.SortWebhookDeliveries(out)
	return out, nil
}

const webhookEndpointColumns = `tenant, name, last_success_at, last_failure_at, failing_since, failures, disabled_at, disabled_reason`

func scanWebhookEndpoint(r pgx.Row) (store.WebhookEndpoint, error) {
	var e store.WebhookEndpoint
	var ok, failed, since, disabled *time.Time
	if err := r.Scan(&e.Tenant, &e.Name, &ok, &failed, &since, &e.Failures, &disabled, &e.DisabledReason); err != nil {
		return e, err
	}
	for _, t := range []struct {
		from *time.Time
		to   *time.Time
	}{{ok, &e.LastSuccessAt}, {failed, &e.LastFailureAt}, {since, &e.FailingSince}, {disabled, &e.DisabledAt}} {
		if t.from != nil {
			*t.to = t.from.UTC()
		}
	}
	return e, nil
}

// RecordWebhookAttempt logs an attempt and applies its result; see
// store.Webhooks.
func (s *Store) RecordWebhookAttempt(ctx context.Context, d store.WebhookDelivery, r store.WebhookResult) (store.WebhookEndpoint, bool, error) {
	p, err := s.db()
	if err != nil {
		return store.WebhookEndpoint{}, false, err
	}
	var ep store.WebhookEndpoint
	var applied bool
	a := r.Attempt
	err = pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_attempts
			(tenant, endpoint, delivery_id, at, status_code, latency_ms, error, response) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			d.Tenant, d.Endpoint, d.ID, dbTime(a.At), a.StatusCode, a.LatencyMS, a.Error, a.Response); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_at = $2,
			updated_at = $3, last_code = $4, last_error = $5
			WHERE tenant = $6 AND endpoint = $7 AND id = $8 AND status = 'pending' AND attempts = $9`,
			r.Status, dbTime(r.NextAt), dbTime(a.At), a.StatusCode, a.Error, d.Tenant, d.Endpoint, d.ID, d.Attempts)
		if err != nil {
			return err
		}
		applied = tag.RowsAffected() == 1
		q := `INSERT INTO webhook_endpoints AS e (tenant, name, last_failure_at, failing_since, failures) VALUES ($1, $2, $3, $3, 1)
			ON CONFLICT (tenant, name) DO UPDATE SET last_failure_at = excluded.last_failure_at,
				failing_since = COALESCE(e.failing_since, excluded.failing_since), failures = e.failures + 1
			RETURNING ` + webhookEndpointColumns
		if r.Success {
			q = `INSERT INTO webhook_endpoints AS e (tenant, name, last_success_at) VALUES ($1, $2, $3)
				ON CONFLICT (tenant, name) DO UPDATE SET last_success_at = excluded.last_success_at, failing_since = NULL, failures = 0
				RETURNING ` + webhookEndpointColumns
		}
		ep, err = scanWebhookEndpoint(tx.QueryRow(ctx, q, d.Tenant, d.Endpoint, dbTime(a.At)))
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
	p, err := s.db()
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO webhook_endpoints AS e (tenant, name, disabled_at, disabled_reason) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant, name) DO UPDATE SET disabled_at = excluded.disabled_at, disabled_reason = excluded.disabled_reason
			WHERE e.disabled_at IS NULL`, tenant, name, dbTime(at), reason)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'held', updated_at = $1
			WHERE tenant = $2 AND endpoint = $3 AND status = 'pending'`, dbTime(at), tenant, name)
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
	p, err := s.db()
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = '', failures = 0,
			failing_since = NULL WHERE tenant = $1 AND name = $2`, tenant, name); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_at = $1, updated_at = $1
			WHERE tenant = $2 AND endpoint = $3 AND status = 'held'`, dbTime(at), tenant, name)
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
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT `+webhookEndpointColumns+` FROM webhook_endpoints WHERE tenant = $1 ORDER BY name`, tenant)
	if err != nil {
		return nil, fmt.Errorf("listing webhook endpoints: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.WebhookEndpoint, error) { return scanWebhookEndpoint(r) })
	if err != nil {
		return nil, fmt.Errorf("listing webhook endpoints: %w", err)
	}
	return out, nil
}

// ListWebhookDeliveries lists an endpoint's deliveries, newest first; see
// store.Webhooks.
func (s *Store) ListWebhookDeliveries(ctx context.Context, tenant, endpoint string, f store.WebhookFilter) ([]store.WebhookDelivery, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT `+webhookColumns+` FROM webhook_deliveries
		WHERE tenant = $1 AND endpoint = $2 AND ($3 = '' OR status = $3) ORDER BY created_at DESC, id DESC LIMIT $4`,
		tenant, endpoint, f.Status, store.ClampLimit(f.Limit))
	if err != nil {
		return nil, fmt.Errorf("listing webhook deliveries: %w", err)
	}
	out, err := collectWebhooks(rows)
	if err != nil {
		return nil, fmt.Errorf("listing webhook deliveries: %w", err)
	}
	return out, nil
}

// WebhookDelivery returns one delivery with its attempts; see
// store.Webhooks.
func (s *Store) WebhookDelivery(ctx context.Context, tenant, endpoint, id string) (store.WebhookDelivery, []store.WebhookAttempt, error) {
	p, err := s.db()
	if err != nil {
		return store.WebhookDelivery{}, nil, err
	}
	d, err := scanWebhook(p.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhook_deliveries
		WHERE tenant = $1 AND endpoint = $2 AND id = $3`, tenant, endpoint, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, nil, store.ErrNotFound
	}
	if err != nil {
		return d, nil, fmt.Errorf("reading webhook delivery: %w", err)
	}
	rows, err := p.Query(ctx, `SELECT at, status_code, latency_ms, error, response FROM webhook_attempts
		WHERE tenant = $1 AND endpoint = $2 AND delivery_id = $3 ORDER BY id`, tenant, endpoint, id)
	if err != nil {
		return d, nil, fmt.Errorf("reading webhook attempts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.WebhookAttempt, error) {
		a := store.WebhookAttempt{Tenant: tenant, Endpoint: endpoint, DeliveryID: id}
		err := r.Scan(&a.At, &a.StatusCode, &a.LatencyMS, &a.Error, &a.Response)
		a.At = a.At.UTC()
		return a, err
	})
	if err != nil {
		return d, nil, fmt.Errorf("reading webhook attempts: %w", err)
	}
	return d, out, nil
}

// ReplayWebhook makes a delivery pending again; see store.Webhooks.
func (s *Store) ReplayWebhook(ctx context.Context, tenant, endpoint, id string, at time.Time) error {
	p, err := s.db()
	if err != nil {
		return err
	}
	tag, err := p.Exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_at = $1, updated_at = $1
		WHERE tenant = $2 AND endpoint = $3 AND id = $4`, dbTime(at), tenant, endpoint, id)
	if err != nil {
		return fmt.Errorf("replaying webhook %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}
