package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
)

const redemptionColumns = `id, member_id, reward_id, cost, status, code, reason, spent, created_at, updated_at`

func scanRedemption(r rowScanner) (loyalty.Redemption, error) {
	var d loyalty.Redemption
	var spent string
	var created, updated int64
	if err := r.Scan(&d.ID, &d.MemberID, &d.RewardID, &d.Cost, &d.Status, &d.Code, &d.Reason, &spent,
		&created, &updated); err != nil {
		return loyalty.Redemption{}, notFound(err)
	}
	if err := json.Unmarshal([]byte(spent), &d.Spent); err != nil {
		return loyalty.Redemption{}, fmt.Errorf("decoding what redemption %s spent: %w", d.ID, err)
	}
	d.CreatedAt, d.UpdatedAt = fromDB(created), fromDB(updated)
	return d, nil
}

// TakeCode assigns one of a reward's free codes to a redemption. The
// writer runs one transaction at a time, so what the reads of an account
// find stays true until its transaction ends.
func (a accountTx) TakeCode(ctx context.Context, tenant, rewardID, redemptionID string) (string, error) {
	var code string
	err := a.tx.QueryRowContext(ctx, `SELECT code FROM reward_codes
		WHERE tenant = ? AND reward_id = ? AND redemption_id IS NULL
		ORDER BY imported_at, code LIMIT 1`, tenant, rewardID).Scan(&code)
	if errors.Is(err, sql.ErrNoRows) {
		return "", loyalty.ErrOutOfStock
	}
	if err != nil {
		return "", fmt.Errorf("finding a free code: %w", err)
	}
	if _, err := a.tx.ExecContext(ctx, `UPDATE reward_codes SET redemption_id = ?
		WHERE tenant = ? AND reward_id = ? AND code = ?`, redemptionID, tenant, rewardID, code); err != nil {
		return "", fmt.Errorf("taking code: %w", err)
	}
	return code, nil
}

// Redeemed counts a reward's reserved and confirmed redemptions.
func (a accountTx) Redeemed(ctx context.Context, tenant, rewardID string) (int64, error) {
	var n int64
	err := a.tx.QueryRowContext(ctx, `SELECT redeemed FROM reward_stock WHERE tenant = ? AND reward_id = ?`,
		tenant, rewardID).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("reading redemptions: %w", err)
	}
	return n, nil
}

// CodeUsed reports whether a redemption of the reward has code.
func (a accountTx) CodeUsed(ctx context.Context, tenant, rewardID, code string) (bool, error) {
	var used bool
	if err := a.tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM redemptions
		WHERE tenant = ? AND reward_id = ? AND code = ?)`, tenant, rewardID, code).Scan(&used); err != nil {
		return false, fmt.Errorf("looking up a code: %w", err)
	}
	return used, nil
}

// writeRedemption saves what a transaction did to a redemption: inserts a
// new one and counts it toward its reward's stock, or settles a reserved
// one (a released one no longer counts).
func writeRedemption(ctx context.Context, tx *wtx, tenant, memberID string, r *loyalty.Redemption, now time.Time) error {
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
	res, err := tx.ExecContext(ctx, `INSERT INTO redemptions (tenant, `+redemptionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, id) DO NOTHING`,
		tenant, r.ID, memberID, r.RewardID, r.Cost, r.Status, r.Code, r.Reason, string(spent),
		toDB(store.StampOr(r.CreatedAt, now)), toDB(store.StampOr(r.UpdatedAt, now)))
	if err != nil {
		return fmt.Errorf("saving redemption %s: %w", r.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("saving redemption %s: %w", r.ID, err)
	} else if n == 1 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO reward_stock (tenant, reward_id, redeemed) VALUES (?, ?, 1)
			ON CONFLICT (tenant, reward_id) DO UPDATE SET redeemed = redeemed + 1`, tenant, r.RewardID); err != nil {
			return fmt.Errorf("counting redemption %s: %w", r.ID, err)
		}
		return nil
	}
	res, err = tx.ExecContext(ctx, `UPDATE redemptions SET status = ?, code = ?, reason = ?, updated_at = ?
		WHERE tenant = ? AND id = ? AND status = ?`,
		r.Status, r.Code, r.Reason, toDB(store.StampOr(r.UpdatedAt, now)), tenant, r.ID, loyalty.RedemptionReserved)
	if err != nil {
		return fmt.Errorf("settling redemption %s: %w", r.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("settling redemption %s: %w", r.ID, err)
	} else if n == 0 {
		return fmt.Errorf("%w: redemption %s is no longer reserved", loyalty.ErrRedemptionSettled, r.ID)
	}
	if r.Status == loyalty.RedemptionReleased {
		if _, err := tx.ExecContext(ctx, `UPDATE reward_stock SET redeemed = redeemed - 1
			WHERE tenant = ? AND reward_id = ?`, tenant, r.RewardID); err != nil {
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
	now := toDB(s.clock.Now())
	var added int
	err = s.do(ctx, func(ctx context.Context, tx *wtx) error {
		added = 0
		for _, c := range unique {
			res, err := tx.ExecContext(ctx, `INSERT INTO reward_codes (tenant, reward_id, code, imported_at)
				VALUES (?, ?, ?, ?) ON CONFLICT (tenant, reward_id, code) DO NOTHING`, tenant, rewardID, c, now)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("importing codes: %w", err)
	}
	return added, repeated + len(unique) - added, nil
}

// RewardStock returns what is used and left of each reward; see
// store.Rewards.
func (s *Store) RewardStock(ctx context.Context, tenant string) (map[string]store.RewardStock, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	out := map[string]store.RewardStock{}
	rows, err := r.QueryContext(ctx, `SELECT reward_id, redeemed, 0 FROM reward_stock WHERE tenant = ?
		UNION ALL
		SELECT reward_id, 0, count(*) FROM reward_codes WHERE tenant = ? AND redemption_id IS NULL GROUP BY reward_id`,
		tenant, tenant)
	if err != nil {
		return nil, fmt.Errorf("reading reward stock: %w", err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var id string
		var redeemed, left int64
		if err := rows.Scan(&id, &redeemed, &left); err != nil {
			return nil, fmt.Errorf("reading reward stock: %w", err)
		}
		st := out[id]
		st.Redeemed += redeemed
		st.CodesLeft += left
		out[id] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading reward stock: %w", err)
	}
	return out, nil
}

// Redemption returns one redemption; see store.Rewards.
func (s *Store) Redemption(ctx context.Context, tenant, id string) (loyalty.Redemption, error) {
	r, err := s.reads()
	if err != nil {
		return loyalty.Redemption{}, err
	}
	d, err := scanRedemption(r.QueryRowContext(ctx, `SELECT `+redemptionColumns+` FROM redemptions
		WHERE tenant = ? AND id = ?`, tenant, id))
	if err != nil {
		return loyalty.Redemption{}, fmt.Errorf("getting redemption: %w", err)
	}
	return d, nil
}

// ListRedemptions lists a member's redemptions, newest first; see
// store.Rewards.
func (s *Store) ListRedemptions(ctx context.Context, tenant, memberID string, limit int) ([]loyalty.Redemption, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, `SELECT `+redemptionColumns+` FROM redemptions
		WHERE tenant = ? AND member_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
		tenant, memberID, store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing redemptions: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []loyalty.Redemption
	for rows.Next() {
		d, err := scanRedemption(rows)
		if err != nil {
			return nil, fmt.Errorf("listing redemptions: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing redemptions: %w", err)
	}
	return out, nil
}
