package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

const senderStateColumns = `tenant, sender, messaging_limit, limit_at, quality, quality_at, marketing_paused, pause_reason`

func scanSenderState(r pgx.Row) (store.SenderState, error) {
	var st store.SenderState
	var limitAt, qualityAt *time.Time
	if err := r.Scan(&st.Tenant, &st.Sender, &st.MessagingLimit, &limitAt, &st.Quality, &qualityAt,
		&st.MarketingPaused, &st.PauseReason); err != nil {
		return store.SenderState{}, err
	}
	if limitAt != nil {
		st.LimitAt = limitAt.UTC()
	}
	if qualityAt != nil {
		st.QualityAt = qualityAt.UTC()
	}
	return st, nil
}

// SenderStates returns the tenant's sender states; see store.Senders.
func (s *Store) SenderStates(ctx context.Context, tenant string) ([]store.SenderState, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT `+senderStateColumns+` FROM sender_states WHERE tenant = $1 ORDER BY sender`, tenant)
	if err != nil {
		return nil, fmt.Errorf("listing sender states: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.SenderState, error) { return scanSenderState(r) })
	if err != nil {
		return nil, fmt.Errorf("listing sender states: %w", err)
	}
	return out, nil
}

// SenderState returns one sender's state; see store.Senders.
func (s *Store) SenderState(ctx context.Context, tenant, sender string) (store.SenderState, error) {
	p, err := s.db()
	if err != nil {
		return store.SenderState{}, err
	}
	st, err := scanSenderState(p.QueryRow(ctx, `SELECT `+senderStateColumns+` FROM sender_states
		WHERE tenant = $1 AND sender = $2`, tenant, sender))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.SenderState{Tenant: tenant, Sender: sender}, nil
	case err != nil:
		return store.SenderState{}, fmt.Errorf("reading sender state: %w", err)
	}
	return st, nil
}

// SetMessagingLimit records a sender's messaging limit; see store.Senders.
func (s *Store) SetMessagingLimit(ctx context.Context, tenant, sender string, limit int, at time.Time) error {
	p, err := s.db()
	if err != nil {
		return err
	}
	if _, err := p.Exec(ctx, `INSERT INTO sender_states (tenant, sender, messaging_limit, limit_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant, sender) DO UPDATE SET messaging_limit = excluded.messaging_limit, limit_at = excluded.limit_at
		WHERE sender_states.limit_at IS NULL OR excluded.limit_at >= sender_states.limit_at`,
		tenant, sender, limit, store.Stamp(at)); err != nil {
		return fmt.Errorf("recording messaging limit: %w", err)
	}
	return nil
}

// SetQuality records a sender's quality; see store.Senders.
func (s *Store) SetQuality(ctx context.Context, tenant, sender, quality string, paused bool, reason string, at time.Time) error {
	p, err := s.db()
	if err != nil {
		return err
	}
	if _, err := p.Exec(ctx, `INSERT INTO sender_states (tenant, sender, quality, quality_at, marketing_paused, pause_reason)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant, sender) DO UPDATE SET quality = excluded.quality, quality_at = excluded.quality_at,
			marketing_paused = excluded.marketing_paused, pause_reason = excluded.pause_reason
		WHERE sender_states.quality_at IS NULL OR excluded.quality_at >= sender_states.quality_at`,
		tenant, sender, quality, store.Stamp(at), paused, reason); err != nil {
		return fmt.Errorf("recording quality: %w", err)
	}
	return nil
}

// RecordReach records a business-initiated reach; see store.Senders.
func (s *Store) RecordReach(ctx context.Context, tenant, sender, recipient string, at time.Time) error {
	p, err := s.db()
	if err != nil {
		return err
	}
	if _, err := p.Exec(ctx, `INSERT INTO sender_reach (tenant, sender, recipient, reached_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant, sender, recipient) DO UPDATE SET reached_at = greatest(sender_reach.reached_at, excluded.reached_at)`,
		tenant, sender, recipient, store.Stamp(at)); err != nil {
		return fmt.Errorf("recording reach: %w", err)
	}
	return nil
}

// Reach counts the recipients a sender reached since a time; see
// store.Senders. The count reads the index of reaches from since on: one
// entry per recipient reached since, at most the messaging limit's plus
// those in flight.
func (s *Store) Reach(ctx context.Context, tenant, sender, recipient string, since time.Time) (store.Reach, error) {
	p, err := s.db()
	if err != nil {
		return store.Reach{}, err
	}
	var rc store.Reach
	var oldest *time.Time
	if err := p.QueryRow(ctx, `SELECT count(*), min(reached_at),
			EXISTS (SELECT 1 FROM sender_reach WHERE tenant = $1 AND sender = $2 AND recipient = $3 AND reached_at > $4)
		FROM sender_reach WHERE tenant = $1 AND sender = $2 AND reached_at > $4`,
		tenant, sender, recipient, since).Scan(&rc.Reached, &oldest, &rc.Known); err != nil {
		return store.Reach{}, fmt.Errorf("counting reach: %w", err)
	}
	if oldest != nil {
		rc.Oldest = oldest.UTC()
	}
	return rc, nil
}

// Reached reports whether a sender reached a recipient since a time; see
// store.Senders.
func (s *Store) Reached(ctx context.Context, tenant, sender, recipient string, since time.Time) (bool, error) {
	p, err := s.db()
	if err != nil {
		return false, err
	}
	var known bool
	if err := p.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sender_reach
		WHERE tenant = $1 AND sender = $2 AND recipient = $3 AND reached_at > $4)`,
		tenant, sender, recipient, since).Scan(&known); err != nil {
		return false, fmt.Errorf("looking up a reach: %w", err)
	}
	return known, nil
}

// ReachTimes returns the times of a sender's reaches in a span; see
// store.Senders. It reads the index of reaches in order.
func (s *Store) ReachTimes(ctx context.Context, tenant, sender string, after, until time.Time, skip, n int) ([]time.Time, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT reached_at FROM sender_reach
		WHERE tenant = $1 AND sender = $2 AND reached_at > $3 AND reached_at <= $4
		ORDER BY reached_at LIMIT $5 OFFSET $6`, tenant, sender, after, until, n, skip)
	if err != nil {
		return nil, fmt.Errorf("reading reach times: %w", err)
	}
	times, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (time.Time, error) {
		var at time.Time
		err := row.Scan(&at)
		return at.UTC(), err
	})
	if err != nil {
		return nil, fmt.Errorf("reading reach times: %w", err)
	}
	return times, nil
}

// ResumeDeferred makes a sender's messages deferred for code due; see
// store.Senders.
func (s *Store) ResumeDeferred(ctx context.Context, tenant, sender, code string, now time.Time) (int, error) {
	p, err := s.db()
	if err != nil {
		return 0, err
	}
	tag, err := p.Exec(ctx, `UPDATE messages SET not_before = $1
		WHERE status = $2 AND tenant = $3 AND sender = $4 AND not_before > $1 AND starts_with(error, $5)`,
		store.Stamp(now), store.MessageDeferred, tenant, sender, code+": ")
	if err != nil {
		return 0, fmt.Errorf("resuming deferred messages: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Costs sums the tenant's charged messages; see store.Senders.
func (s *Store) Costs(ctx context.Context, tenant string, from, to time.Time) ([]store.CostLine, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT pricing_category, country, count(*), sum(cost) FROM messages
		WHERE tenant = $1 AND charged_at IS NOT NULL AND charged_at >= $2 AND charged_at < $3
		GROUP BY pricing_category, country ORDER BY pricing_category, country`, tenant, from, to)
	if err != nil {
		return nil, fmt.Errorf("summing costs: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.CostLine, error) {
		var l store.CostLine
		err := r.Scan(&l.Category, &l.Country, &l.Messages, &l.Cost)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("summing costs: %w", err)
	}
	return out, nil
}

// Spend sums the cost of the tenant's messages charged since a time; see
// store.Senders.
func (s *Store) Spend(ctx context.Context, tenant string, since time.Time) (int64, error) {
	p, err := s.db()
	if err != nil {
		return 0, err
	}
	var n int64
	if err := p.QueryRow(ctx, `SELECT coalesce(sum(cost), 0)::bigint FROM messages
		WHERE tenant = $1 AND charged_at IS NOT NULL AND charged_at >= $2`, tenant, since).Scan(&n); err != nil {
		return 0, fmt.Errorf("summing spend: %w", err)
	}
	return n, nil
}

// pricingRows are the pricing of delivery reports as columns, one row per
// message, for one UPDATE: the first report that charges a message, else
// its latest.
type pricingRows struct {
	keys, categories, types, countries []string
	billables                          []*bool
	costs                              []int64
	charged                            []*time.Time
	index                              map[string]int
}

func (r *pricingRows) add(key string, u store.StatusUpdate, at time.Time) {
	if u.Pricing == nil {
		return
	}
	var charged *time.Time
	if u.Charges() {
		charged = &at
	}
	i, seen := r.index[key]
	switch {
	case !seen:
		if r.index == nil {
			r.index = map[string]int{}
		}
		r.index[key] = len(r.keys)
		r.keys = append(r.keys, key)
		r.categories, r.types, r.countries = append(r.categories, ""), append(r.types, ""), append(r.countries, "")
		r.billables, r.costs, r.charged = append(r.billables, nil), append(r.costs, 0), append(r.charged, nil)
		i = len(r.keys) - 1
	case r.charged[i] != nil:
		return // charged by an earlier report
	}
	p := u.Pricing
	r.categories[i], r.types[i], r.countries[i], r.billables[i] = p.Category, p.Type, p.Country, p.Billable
	if charged != nil {
		r.costs[i], r.charged[i] = p.Cost, charged
	}
}

// queue queues the UPDATE of the messages' pricing: a message already
// charged is left as it is.
func (r *pricingRows) queue(w *writeBatch) {
	if len(r.keys) == 0 {
		return
	}
	w.queue("recording pricing", `UPDATE messages AS m SET pricing_category = v.category, pricing_type = v.type,
			billable = v.billable, country = v.country,
			cost = CASE WHEN v.charged IS NULL THEN m.cost ELSE v.cost END, charged_at = v.charged
		FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::text[], $6::bigint[], $7::timestamptz[])
			AS v(key, category, type, billable, country, cost, charged)
		WHERE m.key = v.key AND m.charged_at IS NULL`,
		r.keys, r.categories, r.types, r.billables, r.countries, r.costs, r.charged)
}
