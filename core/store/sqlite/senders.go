package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

const senderStateColumns = `tenant, sender, messaging_limit, limit_at, quality, quality_at, marketing_paused, pause_reason`

func scanSenderState(r rowScanner) (store.SenderState, error) {
	var st store.SenderState
	var limitAt, qualityAt int64
	if err := r.Scan(&st.Tenant, &st.Sender, &st.MessagingLimit, &limitAt, &st.Quality, &qualityAt,
		&st.MarketingPaused, &st.PauseReason); err != nil {
		return store.SenderState{}, err
	}
	st.LimitAt, st.QualityAt = fromDBZero(limitAt), fromDBZero(qualityAt)
	return st, nil
}

// SenderStates returns the tenant's sender states; see store.Senders.
func (s *Store) SenderStates(ctx context.Context, tenant string) ([]store.SenderState, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, `SELECT `+senderStateColumns+` FROM sender_states WHERE tenant = ? ORDER BY sender`, tenant)
	if err != nil {
		return nil, fmt.Errorf("listing sender states: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []store.SenderState
	for rows.Next() {
		st, err := scanSenderState(rows)
		if err != nil {
			return nil, fmt.Errorf("listing sender states: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing sender states: %w", err)
	}
	return out, nil
}

// SenderState returns one sender's state; see store.Senders.
func (s *Store) SenderState(ctx context.Context, tenant, sender string) (store.SenderState, error) {
	r, err := s.reads()
	if err != nil {
		return store.SenderState{}, err
	}
	st, err := scanSenderState(r.QueryRowContext(ctx, `SELECT `+senderStateColumns+` FROM sender_states
		WHERE tenant = ? AND sender = ?`, tenant, sender))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.SenderState{Tenant: tenant, Sender: sender}, nil
	case err != nil:
		return store.SenderState{}, fmt.Errorf("reading sender state: %w", err)
	}
	return st, nil
}

// SetMessagingLimit records a sender's messaging limit; see store.Senders.
func (s *Store) SetMessagingLimit(ctx context.Context, tenant, sender string, limit int, at time.Time) error {
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sender_states (tenant, sender, messaging_limit, limit_at)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant, sender) DO UPDATE SET messaging_limit = excluded.messaging_limit, limit_at = excluded.limit_at
			WHERE excluded.limit_at >= sender_states.limit_at`, tenant, sender, limit, toDB(at))
		return err
	}); err != nil {
		return fmt.Errorf("recording messaging limit: %w", err)
	}
	return nil
}

// SetQuality records a sender's quality; see store.Senders.
func (s *Store) SetQuality(ctx context.Context, tenant, sender, quality string, paused bool, reason string, at time.Time) error {
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sender_states (tenant, sender, quality, quality_at, marketing_paused, pause_reason)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant, sender) DO UPDATE SET quality = excluded.quality, quality_at = excluded.quality_at,
				marketing_paused = excluded.marketing_paused, pause_reason = excluded.pause_reason
			WHERE excluded.quality_at >= sender_states.quality_at`, tenant, sender, quality, toDB(at), paused, reason)
		return err
	}); err != nil {
		return fmt.Errorf("recording quality: %w", err)
	}
	return nil
}

// RecordReach records a business-initiated reach; see store.Senders.
func (s *Store) RecordReach(ctx context.Context, tenant, sender, recipient string, at time.Time) error {
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sender_reach (tenant, sender, recipient, reached_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant, sender, recipient) DO UPDATE SET reached_at = max(reached_at, excluded.reached_at)`,
			tenant, sender, recipient, toDB(at))
		return err
	}); err != nil {
		return fmt.Errorf("recording reach: %w", err)
	}
	return nil
}

// Reach counts the recipients a sender reached since a time; see
// store.Senders. The count reads the index of reaches from since on: one
// entry per recipient reached since, at most the messaging limit's plus
// those in flight.
func (s *Store) Reach(ctx context.Context, tenant, sender, recipient string, since time.Time) (store.Reach, error) {
	r, err := s.reads()
	if err != nil {
		return store.Reach{}, err
	}
	var rc store.Reach
	var oldest sql.NullInt64
	if err := r.QueryRowContext(ctx, `SELECT count(*), min(reached_at),
			EXISTS (SELECT 1 FROM sender_reach WHERE tenant = ?1 AND sender = ?2 AND recipient = ?3 AND reached_at > ?4)
		FROM sender_reach WHERE tenant = ?1 AND sender = ?2 AND reached_at > ?4`,
		tenant, sender, recipient, toDB(since)).Scan(&rc.Reached, &oldest, &rc.Known); err != nil {
		return store.Reach{}, fmt.Errorf("counting reach: %w", err)
	}
	if oldest.Valid {
		rc.Oldest = fromDB(oldest.Int64)
	}
	return rc, nil
}

// Reached reports whether a sender reached a recipient since a time; see
// store.Senders.
func (s *Store) Reached(ctx context.Context, tenant, sender, recipient string, since time.Time) (bool, error) {
	r, err := s.reads()
	if err != nil {
		return false, err
	}
	var known bool
	if err := r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sender_reach
		WHERE tenant = ? AND sender = ? AND recipient = ? AND reached_at > ?)`,
		tenant, sender, recipient, toDB(since)).Scan(&known); err != nil {
		return false, fmt.Errorf("looking up a reach: %w", err)
	}
	return known, nil
}

// ReachTimes returns the times of a sender's reaches in a span; see
// store.Senders. It reads the index of reaches in order.
func (s *Store) ReachTimes(ctx context.Context, tenant, sender string, after, until time.Time, skip, n int) ([]time.Time, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, `SELECT reached_at FROM sender_reach
		WHERE tenant = ? AND sender = ? AND reached_at > ? AND reached_at <= ?
		ORDER BY reached_at LIMIT ? OFFSET ?`, tenant, sender, toDB(after), toDB(until), n, skip)
	if err != nil {
		return nil, fmt.Errorf("reading reach times: %w", err)
	}
	defer rows.Close()
	var times []time.Time
	for rows.Next() {
		var at int64
		if err := rows.Scan(&at); err != nil {
			return nil, fmt.Errorf("reading reach times: %w", err)
		}
		times = append(times, fromDB(at))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading reach times: %w", err)
	}
	return times, nil
}

// ResumeDeferred makes a sender's messages deferred for code due; see
// store.Senders.
func (s *Store) ResumeDeferred(ctx context.Context, tenant, sender, code string, now time.Time) (int, error) {
	var n int64
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE messages SET not_before = ?1
			WHERE status = ?2 AND tenant = ?3 AND sender = ?4 AND not_before > ?1 AND substr(error, 1, length(?5)) = ?5`,
			toDB(now), store.MessageDeferred, tenant, sender, code+": ")
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	}); err != nil {
		return 0, fmt.Errorf("resuming deferred messages: %w", err)
	}
	return int(n), nil
}

// Costs sums the tenant's charged messages; see store.Senders.
func (s *Store) Costs(ctx context.Context, tenant string, from, to time.Time) ([]store.CostLine, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, `SELECT pricing_category, country, count(*), sum(cost) FROM messages
		WHERE tenant = ? AND charged_at > 0 AND charged_at >= ? AND charged_at < ?
		GROUP BY pricing_category, country ORDER BY pricing_category, country`, tenant, toDB(from), toDB(to))
	if err != nil {
		return nil, fmt.Errorf("summing costs: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []store.CostLine
	for rows.Next() {
		var l store.CostLine
		if err := rows.Scan(&l.Category, &l.Country, &l.Messages, &l.Cost); err != nil {
			return nil, fmt.Errorf("summing costs: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("summing costs: %w", err)
	}
	return out, nil
}

// Spend sums the cost of the tenant's messages charged since a time; see
// store.Senders.
func (s *Store) Spend(ctx context.Context, tenant string, since time.Time) (int64, error) {
	r, err := s.reads()
	if err != nil {
		return 0, err
	}
	var n int64
	if err := r.QueryRowContext(ctx, `SELECT coalesce(sum(cost), 0) FROM messages
		WHERE tenant = ? AND charged_at > 0 AND charged_at >= ?`, tenant, toDB(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("summing spend: %w", err)
	}
	return n, nil
}

// applyPricing records the pricing of a delivery report on the message
// with key; see store.StatusUpdate.
func applyPricing(ctx context.Context, tx *wtx, key string, u store.StatusUpdate, at time.Time) error {
	if u.Pricing == nil {
		return nil
	}
	p := u.Pricing
	var billable any
	if p.Billable != nil {
		billable = *p.Billable
	}
	charge := u.Charges()
	var chargedAt int64
	if charge {
		chargedAt = toDB(at)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET pricing_category = ?, pricing_type = ?, billable = ?, country = ?,
		cost = CASE WHEN ? THEN ? ELSE cost END, charged_at = ? WHERE key = ? AND charged_at = 0`,
		p.Category, p.Type, billable, p.Country, charge, p.Cost, chargedAt, key); err != nil {
		return fmt.Errorf("recording pricing: %w", err)
	}
	return nil
}
