package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

const campaignColumns = `tenant, name, spec, state, start_at, reason, prepared_at, audience, held_out, no_phone,
	over_budget, failed, cost, paused_at, created_at, updated_at`

func scanCampaign(r pgx.Row) (store.Campaign, error) {
	var c store.Campaign
	var start *time.Time
	if err := r.Scan(&c.Tenant, &c.Name, &c.Spec, &c.State, &start, &c.Reason, &c.Prepared, &c.Audience, &c.HeldOut,
		&c.NoPhone, &c.OverBudget, &c.Failed, &c.Cost, &c.PausedAt, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return store.Campaign{}, err
	}
	if start != nil {
		c.StartAt = start.UTC()
	}
	for _, t := range []*time.Time{c.Prepared, c.PausedAt, &c.CreatedAt, &c.UpdatedAt} {
		if t != nil {
			*t = t.UTC()
		}
	}
	return c, nil
}

// CreateCampaign writes a new campaign; see store.Campaigns.
func (s *Store) CreateCampaign(ctx context.Context, c store.Campaign) error {
	p, err := s.db()
	if err != nil {
		return err
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.clock.Now()
	}
	tag, err := p.Exec(ctx, `INSERT INTO campaigns (tenant, name, spec, state, start_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (tenant, name) DO NOTHING`,
		c.Tenant, c.Name, c.Spec, c.State, nullTime(c.StartAt), c.CreatedAt)
	if err != nil {
		return fmt.Errorf("creating campaign: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("campaign %q: %w", c.Name, store.ErrExists)
	}
	return nil
}

// Campaign returns one campaign; see store.Campaigns.
func (s *Store) Campaign(ctx context.Context, tenant, name string) (store.Campaign, error) {
	p, err := s.db()
	if err != nil {
		return store.Campaign{}, err
	}
	c, err := scanCampaign(p.QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns
		WHERE tenant = $1 AND name = $2`, tenant, name))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Campaign{}, fmt.Errorf("reading campaign %q: %w", name, err)
	}
	return c, nil
}

func (s *Store) campaigns(ctx context.Context, what, query string, args ...any) ([]store.Campaign, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Campaign, error) { return scanCampaign(r) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// ListCampaigns lists a tenant's campaigns; see store.Campaigns.
func (s *Store) ListCampaigns(ctx context.Context, tenant string) ([]store.Campaign, error) {
	return s.campaigns(ctx, "listing campaigns", `SELECT `+campaignColumns+` FROM campaigns
		WHERE tenant = $1 ORDER BY created_at DESC, name`, tenant)
}

// DueCampaigns lists the scheduled campaigns due at now; see
// store.Campaigns.
func (s *Store) DueCampaigns(ctx context.Context, now time.Time, limit int) ([]store.Campaign, error) {
	return s.campaigns(ctx, "listing due campaigns", `SELECT `+campaignColumns+` FROM campaigns
		WHERE state = 'scheduled' AND coalesce(start_at, '-infinity') <= $1 ORDER BY start_at NULLS FIRST, tenant, name LIMIT $2`,
		now, store.ClampLimit(limit))
}

// UpdateCampaign writes a campaign's state and counts; see
// store.Campaigns.
func (s *Store) UpdateCampaign(ctx context.Context, c store.Campaign, from string) (bool, error) {
	p, err := s.db()
	if err != nil {
		return false, err
	}
	tag, err := p.Exec(ctx, `UPDATE campaigns SET state = $1, start_at = $2, reason = $3, prepared_at = $4,
		audience = $5, held_out = $6, no_phone = $7, over_budget = $8, failed = $9, cost = $10, paused_at = $11, updated_at = $12
		WHERE tenant = $13 AND name = $14 AND state = $15`,
		c.State, nullTime(c.StartAt), c.Reason, c.Prepared, c.Audience, c.HeldOut, c.NoPhone,
		c.OverBudget, c.Failed, c.Cost, c.PausedAt, s.clock.Now(), c.Tenant, c.Name, from)
	if err != nil {
		return false, fmt.Errorf("updating campaign %q: %w", c.Name, err)
	}
	return tag.RowsAffected() == 1, nil
}

// WriteCampaignChunk queues a chunk of a campaign's messages and records
// its held-out members; see store.Campaigns.
func (s *Store) WriteCampaignChunk(ctx context.Context, ch store.CampaignChunk) (bool, error) {
	if err := store.CheckQueued(ch.Messages); err != nil {
		return false, err
	}
	p, err := s.db()
	if err != nil {
		return false, err
	}
	var w writeBatch
	queueEffects(&w, "", store.Effects{Messages: ch.Messages}, ch.At)
	var written bool
	if err := pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		// FOR SHARE makes a pause or cancel wait for this chunk, so
		// that what it does to the campaign's messages covers it.
		var state string
		if err := tx.QueryRow(ctx, `SELECT state FROM campaigns WHERE tenant = $1 AND name = $2 FOR SHARE`,
			ch.Tenant, ch.Campaign).Scan(&state); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return store.ErrNotFound
			}
			return err
		}
		if state != store.CampaignScheduled {
			return nil
		}
		written = true
		if err := w.send(ctx, tx, "queueing campaign messages"); err != nil {
			return err
		}
		if len(ch.HeldOut) == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO campaign_holdouts (tenant, campaign, member_id, at)
			SELECT $1, $2, m, $4 FROM unnest($3::text[]) AS m ON CONFLICT DO NOTHING`,
			ch.Tenant, ch.Campaign, ch.HeldOut, ch.At)
		return err
	}); err != nil {
		return false, fmt.Errorf("writing campaign %q: %w", ch.Campaign, err)
	}
	return written, nil
}

// campaignWaiting selects a campaign's queued and deferred messages by
// messages_campaign; $1 is the tenant, $2 the origin prefix.
const campaignWaiting = `tenant = $1 AND origin LIKE 'campaign:%' AND status IN ('queued', 'deferred')
	AND starts_with(origin, $2)`

// ShiftCampaignMessages moves a campaign's waiting messages' due time;
// see store.Campaigns.
func (s *Store) ShiftCampaignMessages(ctx context.Context, tenant, prefix string, d time.Duration) (int64, error) {
	p, err := s.db()
	if err != nil {
		return 0, err
	}
	tag, err := p.Exec(ctx, `UPDATE messages SET not_before = not_before + make_interval(secs => $3)
		WHERE `+campaignWaiting, tenant, prefix, d.Seconds())
	if err != nil {
		return 0, fmt.Errorf("moving campaign messages: %w", err)
	}
	return tag.RowsAffected(), nil
}

// SkipCampaignMessages skips a campaign's waiting messages; see
// store.Campaigns.
func (s *Store) SkipCampaignMessages(ctx context.Context, tenant, prefix, code, reason string, at time.Time) (int64, error) {
	p, err := s.db()
	if err != nil {
		return 0, err
	}
	at = store.Stamp(at)
	var n int64
	if err := pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `WITH skipped AS (
			UPDATE messages SET status = 'skipped', error_code = $3, error = $4, updated_at = $5
			WHERE `+campaignWaiting+` RETURNING key
		), timeline AS (
			INSERT INTO message_statuses (message_key, status, error_code, error, at)
			SELECT key, 'skipped', $3, $4, $5 FROM skipped
		) SELECT count(*) FROM skipped`, tenant, prefix, code, reason, at).Scan(&n)
	}); err != nil {
		return 0, fmt.Errorf("skipping campaign messages: %w", err)
	}
	return n, nil
}

// CampaignHoldout follows a campaign's held-out members; see
// store.Campaigns.
func (s *Store) CampaignHoldout(ctx context.Context, tenant, campaign string, window time.Duration) (store.HoldoutResult, error) {
	p, err := s.db()
	if err != nil {
		return store.HoldoutResult{}, err
	}
	var h store.HoldoutResult
	if err := p.QueryRow(ctx, `SELECT count(*), count(revenue), coalesce(sum(revenue), 0)::float8 FROM (
		SELECT (SELECT sum(o.total::numeric - o.refunded::numeric) FROM orders o
			WHERE o.tenant = h.tenant AND o.member_id = h.member_id AND o.created_at > h.at
				AND o.created_at <= h.at + make_interval(secs => $3)) AS revenue
		FROM campaign_holdouts h WHERE h.tenant = $1 AND h.campaign = $2) AS followed`,
		tenant, campaign, window.Seconds()).Scan(&h.Members, &h.Converted, &h.Revenue); err != nil {
		return store.HoldoutResult{}, fmt.Errorf("following campaign %q's holdout: %w", campaign, err)
	}
	return h, nil
}
