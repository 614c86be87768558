package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
)

const redemptionColumns = `id, member_id, reward_id, cost, status, code, reason, spent, created_at, updated_at`

func scanRedemption(r pgx.Row) (loyalty.Redemption, error) {
	var d loyalty.Redemption
	var spent []byte
	if err := r.Scan(&d.ID, &d.MemberID, &d.RewardID, &d.Cost, &d.Status, &d.Code, &d.Reason, &spent,
		&d.CreatedAt, &d.UpdatedAt); err != nil {
		return loyalty.Redemption{}, notFound(err)
	}
	if err := json.Unmarshal(spent, &d.Spent); err != nil {
		return loyalty.Redemption{}, fmt.Errorf("decoding what redemption %s spent: %w", d.ID, err)
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return d, nil
}

// TakeCode assigns one of a reward's free codes to a redemption. SKIP
// LOCKED: a code another transaction is taking is passed over rather than
// waited for, so concurrent redemptions each get a code of their own.
func (a accountTx) TakeCode(ctx context.Context, tenant, rewardID, redemptionID string) (string, error) {
	var code string
	err := a.tx.QueryRow(ctx, `UPDATE reward_codes SET redemption_id = $3
		WHERE tenant = $1 AND reward_id = $2 AND code = (
			SELECT code FROM reward_codes
			WHERE tenant = $1 AND reward_id = $2 AND redemption_id IS NULL
			ORDER BY imported_at, code LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING code`, tenant, rewardID, redemptionID).Scan(&code)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", loyalty.ErrOutOfStock
	}
	if err != nil {
		return "", fmt.Errorf("taking a code: %w", err)
	}
	return code, nil
}

// Redeemed counts a reward's reserved and confirmed redemptions. The
// reward's row stays locked until the transaction ends: other redemptions
// of the reward wait, then read the count this one leaves.
func (a accountTx) Redeemed(ctx context.Context, tenant, rewardID string) (int64, error) {
	if _, err := a.tx.Exec(ctx, `INSERT INTO reward_stock (tenant, reward_id, redeemed) VALUES ($1, $2, 0)
		ON CONFLICT (tenant, reward_id) DO NOTHING`, tenant, rewardID); err != nil {
		return 0, fmt.Errorf("reading redemptions: %w", err)
	}
	var n int64
	if err := a.tx.QueryRow(ctx, `SELECT redeemed FROM reward_stock WHERE tenant = $1 AND reward_id = $2 FOR UPDATE`,
		tenant, rewardID).Scan(&n); err != nil {
		return 0, fmt.Errorf("reading redemptions: %w", err)
	}
	return n, nil
}

// CodeUsed reports whether a redemption of the reward has code. A code
// drawn by a concurrent transaction is not seen: the unique index on codes
// fails the later of the two.
func (a accountTx) CodeUsed(ctx context.Context, tenant, rewardID, code string) (bool, error) {
	var used bool
	if err := a.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM redemptions
		WHERE tenant = $1 AND reward_id = $2 AND code = $3)`, tenant, rewardID, code).Scan(&used); err != nil {
		return false, fmt.Errorf("looking up a code: %w", err)
	}
	return used, nil
}

// writeRedemption saves what a transaction did to a redemption: inserts a
// new one and counts it toward its reward's stock, or settles a reserved
// one (a released one no longer counts).
func writeRedemption(ctx context.Context, tx pgx.Tx, tenant, memberID string, r *loyalty.Redemption, now time.Time) error {
	if r == nil {
		return nil
	}
	spent, err := json.Marshal(r.Spent)
	if err != nil {
		return fmt.Errorf("encoding what redemption %s spent: %w", r.ID, err)
	}
	if r.Spent == nil {
		spent = []byte("[]")
	}
	tag, err := tx.Exec(ctx, `INSERT INTO redemptions (tenant, `+redemptionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (tenant, id) DO NOTHING`,
		tenant, r.ID, memberID, r.RewardID, r.Cost, r.Status, r.Code, r.Reason, string(spent),
		store.StampOr(r.CreatedAt, now), store.StampOr(r.UpdatedAt, now))
	if err != nil {
		return fmt.Errorf("saving redemption %s: %w", r.ID, err)
	}
	if tag.RowsAffected() == 1 {
		if _, err := tx.Exec(ctx, `INSERT INTO reward_stock (tenant, reward_id, redeemed) VALUES ($1, $2, 1)
			ON CONFLICT (tenant, reward_id) DO UPDATE SET redeemed = reward_stock.redeemed + 1`, tenant, r.RewardID); err != nil {
			return fmt.Errorf("counting redemption %s: %w", r.ID, err)
		}
		return nil
	}
	tag, err = tx.Exec(ctx, `UPDATE redemptions SET status = $1, code = $2, reason = $3, updated_at = $4
		WHERE tenant = $5 AND id = $6 AND status = $7`,
		r.Status, r.Code, r.Reason, store.StampOr(r.UpdatedAt, now), tenant, r.ID, loyalty.RedemptionReserved)
	if err != nil {
		return fmt.Errorf("settling redemption %s: %w", r.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: redemption %s is no longer reserved", loyalty.ErrRedemptionSettled, r.ID)
	}
	if r.Status == loyalty.RedemptionReleased {
		if _, err := tx.Exec(ctx, `UPDATE reward_stock SET redeemed = redeemed - 1
			WHERE tenant = $1 AND reward_id = $2`, tenant, r.RewardID); err != nil {
			return fmt.Errorf("uncounting redemption %s: %w", r.ID, err)
		}
	}
	return nil
}

// ImportCodes adds codes to a reward's pool; see store.Rewards.
func (s *Store) ImportCodes(ctx context.Context, tenant, rewardID string, codes []string) (int, int, error) {
	unique, repeated, err := store.CleanCodes(codes)
	if err != nil {
		return 0, 0, fmt.Errorf("importing codes: %w", err)
	}
	p, err := s.db()
	if err != nil {
		return 0, 0, err
	}
	if len(unique) == 0 {
		return 0, repeated, nil
	}
	tag, err := p.Exec(ctx, `INSERT INTO reward_codes (tenant, reward_id, code, imported_at)
		SELECT $1, $2, c, $4 FROM unnest($3::text[]) AS c
		ON CONFLICT (tenant, reward_id, code) DO NOTHING`, tenant, rewardID, unique, s.clock.Now())
	if err != nil {
		return 0, 0, fmt.Errorf("importing codes: %w", err)
	}
	added := int(tag.RowsAffected())
	return added, repeated + len(unique) - added, nil
}

// RewardStock returns what is used and left of each reward; see
// store.Rewards.
func (s *Store) RewardStock(ctx context.Context, tenant string) (map[string]store.RewardStock, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT reward_id, redeemed, 0::bigint FROM reward_stock WHERE tenant = $1
		UNION ALL
		SELECT reward_id, 0::bigint, count(*) FROM reward_codes WHERE tenant = $1 AND redemption_id IS NULL
		GROUP BY reward_id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("reading reward stock: %w", err)
	}
	out := map[string]store.RewardStock{}
	var (
		id              string
		redeemed, codes int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&id, &redeemed, &codes}, func() error {
		st := out[id]
		st.Redeemed += redeemed
		st.CodesLeft += codes
		out[id] = st
		return nil
	}); err != nil {
		return nil, fmt.Errorf("reading reward stock: %w", err)
	}
	return out, nil
}

// Redemption returns one redemption; see store.Rewards.
func (s *Store) Redemption(ctx context.Context, tenant, id string) (loyalty.Redemption, error) {
	p, err := s.db()
	if err != nil {
		return loyalty.Redemption{}, err
	}
	d, err := scanRedemption(p.QueryRow(ctx, `SELECT `+redemptionColumns+` FROM redemptions
		WHERE tenant = $1 AND id = $2`, tenant, id))
	if err != nil {
		return loyalty.Redemption{}, fmt.Errorf("getting redemption: %w", err)
	}
	return d, nil
}

// ListRedemptions lists a member's redemptions, newest first; see
// store.Rewards.
func (s *Store) ListRedemptions(ctx context.Context, tenant, memberID string, limit int) ([]loyalty.Redemption, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT `+redemptionColumns+` FROM redemptions
		WHERE tenant = $1 AND member_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3`,
		tenant, memberID, store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing redemptions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (loyalty.Redemption, error) { return scanRedemption(r) })
	if err != nil {
		return nil, fmt.Errorf("listing redemptions: %w", err)
	}
	return out, nil
}
