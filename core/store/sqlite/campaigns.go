package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

const campaignColumns = `tenant, name, spec, state, start_at, reason, prepared_at, audience, held_out, no_phone,
	over_budget, failed, cost, paused_at, created_at, updated_at`

func scanCampaign(r rowScanner) (store.Campaign, error) {
	var c store.Campaign
	var start, prepared, paused, created, updated int64
	if err := r.Scan(&c.Tenant, &c.Name, &c.Spec, &c.State, &start, &c.Reason, &prepared, &c.Audience, &c.HeldOut,
		&c.NoPhone, &c.OverBudget, &c.Failed, &c.Cost, &paused, &created, &updated); err != nil {
		return store.Campaign{}, err
	}
	if start != 0 {
		c.StartAt = fromDB(start)
	}
	c.Prepared, c.PausedAt = optionalTime(prepared), optionalTime(paused)
	c.CreatedAt, c.UpdatedAt = fromDB(created), fromDB(updated)
	return c, nil
}

func optionalTime(v int64) *time.Time {
	if v == 0 {
		return nil
	}
	t := fromDB(v)
	return &t
}

func optionalDB(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return toDB(*t)
}

// CreateCampaign writes a new campaign; see store.Campaigns.
func (s *Store) CreateCampaign(ctx context.Context, c store.Campaign) error {
	now := s.clock.Now()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	var created bool
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO campaigns (tenant, name, spec, state, start_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, name) DO NOTHING`,
			c.Tenant, c.Name, c.Spec, c.State, toDBZero(c.StartAt), toDB(c.CreatedAt), toDB(c.CreatedAt))
		if err != nil {
			return err
		}
		created = rowsAffected(res) == 1
		return nil
	}); err != nil {
		return fmt.Errorf("creating campaign: %w", err)
	}
	if !created {
		return fmt.Errorf("campaign %q: %w", c.Name, store.ErrExists)
	}
	return nil
}

// Campaign returns one campaign; see store.Campaigns.
func (s *Store) Campaign(ctx context.Context, tenant, name string) (store.Campaign, error) {
	r, err := s.reads()
	if err != nil {
		return store.Campaign{}, err
	}
	c, err := scanCampaign(r.QueryRowContext(ctx, `SELECT `+campaignColumns+` FROM campaigns
		WHERE tenant = ? AND name = ?`, tenant, name))
	if err != nil {
		return store.Campaign{}, fmt.Errorf("reading campaign %q: %w", name, notFound(err))
	}
	return c, nil
}

func (s *Store) campaigns(ctx context.Context, what, query string, args ...any) ([]store.Campaign, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []store.Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// ListCampaigns lists a tenant's campaigns; see store.Campaigns.
func (s *Store) ListCampaigns(ctx context.Context, tenant string) ([]store.Campaign, error) {
	return s.campaigns(ctx, "listing campaigns", `SELECT `+campaignColumns+` FROM campaigns
		WHERE tenant = ? ORDER BY created_at DESC, name`, tenant)
}

// DueCampaigns lists the scheduled campaigns due at now; see
// store.Campaigns.
func (s *Store) DueCampaigns(ctx context.Context, now time.Time, limit int) ([]store.Campaign, error) {
	return s.campaigns(ctx, "listing due campaigns", `SELECT `+campaignColumns+` FROM campaigns
		WHERE state = 'scheduled' AND start_at <= ? ORDER BY start_at, tenant, name LIMIT ?`,
		toDB(now), store.ClampLimit(limit))
}

// UpdateCampaign writes a campaign's state and counts; see
// store.Campaigns.
func (s *Store) UpdateCampaign(ctx context.Context, c store.Campaign, from string) (bool, error) {
	var ok bool
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE campaigns SET state = ?, start_at = ?, reason = ?, prepared_at = ?,
			audience = ?, held_out = ?, no_phone = ?, over_budget = ?, failed = ?, cost = ?, paused_at = ?, updated_at = ?
			WHERE tenant = ? AND name = ? AND state = ?`,
			c.State, toDBZero(c.StartAt), c.Reason, optionalDB(c.Prepared), c.Audience, c.HeldOut, c.NoPhone,
			c.OverBudget, c.Failed, c.Cost, optionalDB(c.PausedAt), toDB(s.clock.Now()), c.Tenant, c.Name, from)
		if err != nil {
			return err
		}
		ok = rowsAffected(res) == 1
		return nil
	}); err != nil {
		return false, fmt.Errorf("updating campaign %q: %w", c.Name, err)
	}
	return ok, nil
}

// WriteCampaignChunk queues a chunk of a campaign's messages and records
// its held-out members; see store.Campaigns.
func (s *Store) WriteCampaignChunk(ctx context.Context, ch store.CampaignChunk) (bool, error) {
	if err := store.CheckQueued(ch.Messages); err != nil {
		return false, err
	}
	var written bool
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		var state string
		if err := tx.QueryRowContext(ctx, `SELECT state FROM campaigns WHERE tenant = ? AND name = ?`,
			ch.Tenant, ch.Campaign).Scan(&state); err != nil {
			return notFound(err)
		}
		if state != store.CampaignScheduled {
			return nil
		}
		written = true
		if err := enqueue(ctx, tx, ch.Messages, ch.At); err != nil {
			return err
		}
		for _, id := range ch.HeldOut {
			if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_holdouts (tenant, campaign, member_id, at)
				VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, ch.Tenant, ch.Campaign, id, toDB(ch.At)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return false, fmt.Errorf("writing campaign %q: %w", ch.Campaign, err)
	}
	return written, nil
}

// campaignWaiting selects a campaign's queued and deferred messages by
// messages_campaign; ?1 is the tenant, ?2 the origin prefix.
const campaignWaiting = `tenant = ?1 AND origin LIKE 'campaign:%' AND status IN ('queued', 'deferred')
	AND substr(origin, 1, length(?2)) = ?2`

// ShiftCampaignMessages moves a campaign's waiting messages' due time;
// see store.Campaigns.
func (s *Store) ShiftCampaignMessages(ctx context.Context, tenant, prefix string, d time.Duration) (int64, error) {
	var n int64
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE messages SET not_before = not_before + ?3 WHERE `+campaignWaiting,
			tenant, prefix, d.Microseconds())
		if err != nil {
			return err
		}
		n = rowsAffected(res)
		return nil
	}); err != nil {
		return 0, fmt.Errorf("moving campaign messages: %w", err)
	}
	return n, nil
}

// SkipCampaignMessages skips a campaign's waiting messages; see
// store.Campaigns.
func (s *Store) SkipCampaignMessages(ctx context.Context, tenant, prefix, code, reason string, at time.Time) (int64, error) {
	at = s.clock.Stamp(at)
	var n int64
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE messages SET status = 'skipped', error_code = ?3, error = ?4, updated_at = ?5
			WHERE `+campaignWaiting+` RETURNING key`, tenant, prefix, code, reason, toDB(at))
		if err != nil {
			return err
		}
		var keys []string
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return err
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, k := range keys {
			if err := addStatus(ctx, tx, k, store.MessageSkipped, code, reason, at); err != nil {
				return err
			}
		}
		n = int64(len(keys))
		return nil
	}); err != nil {
		return 0, fmt.Errorf("skipping campaign messages: %w", err)
	}
	return n, nil
}

// CampaignHoldout follows a campaign's held-out members; see
// store.Campaigns.
func (s *Store) CampaignHoldout(ctx context.Context, tenant, campaign string, window time.Duration) (store.HoldoutResult, error) {
	r, err := s.reads()
	if err != nil {
		return store.HoldoutResult{}, err
	}
	var h store.HoldoutResult
	if err := r.QueryRowContext(ctx, `SELECT count(*), count(revenue), coalesce(sum(revenue), 0) FROM (
		SELECT (SELECT sum(CAST(o.total AS REAL) - CAST(o.refunded AS REAL)) FROM orders o
			WHERE o.tenant = h.tenant AND o.member_id = h.member_id AND o.created_at > h.at AND o.created_at <= h.at + ?3) AS revenue
		FROM campaign_holdouts h WHERE h.tenant = ?1 AND h.campaign = ?2)`,
		tenant, campaign, window.Microseconds()).Scan(&h.Members, &h.Converted, &h.Revenue); err != nil {
		return store.HoldoutResult{}, fmt.Errorf("following campaign %q's holdout: %w", campaign, err)
	}
	return h, nil
}
