package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

const lotColumns = `id, member_id, rule, event_id, order_id, points, remaining, reversed, status,
	earned_at, activates_at, expires_at, reminded`

func scanLot(r rowScanner) (*loyalty.Lot, error) {
	var l loyalty.Lot
	var earned int64
	var activates, expires sql.NullInt64
	if err := r.Scan(&l.ID, &l.MemberID, &l.Rule, &l.EventID, &l.OrderID, &l.Points, &l.Remaining,
		&l.Reversed, &l.Status, &earned, &activates, &expires, &l.Reminded); err != nil {
		return nil, notFound(err)
	}
	l.EarnedAt = fromDB(earned)
	l.ActivatesAt, l.ExpiresAt = nullTime(activates), nullTime(expires)
	return &l, nil
}

func nullTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromDB(v.Int64)
	return &t
}

func dbTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return toDB(*t)
}

// Transact runs one loyalty event on a member's account; see store.Accounts.
func (s *Store) Transact(ctx context.Context, tenant, eventID string, ref store.AccountRef, at time.Time,
	fn func(a *loyalty.Account) error) (store.AccountResult, error) {
	t := store.Transaction{Tenant: tenant, EventID: eventID, Ref: ref, At: at, Fn: fn}
	if err := t.Check(); err != nil {
		return store.AccountResult{}, err
	}
	var res store.AccountResult
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		var err error
		t.Now = s.clock.Now()
		res, err = store.RunTransact(ctx, accountTx{tx}, t)
		return err
	})
	if err != nil {
		return store.AccountResult{}, err
	}
	return res, nil
}

// accountTx is a loyalty transaction inside the writer's transaction; see
// store.AccountTx. Writes are serialized, so what it reads stays true
// until the transaction ends.
type accountTx struct{ tx *wtx }

var (
	_ store.AccountTx      = accountTx{}
	_ store.MemberResolver = accountTx{}
)

// ClaimEvent looks up a processed event.
func (a accountTx) ClaimEvent(ctx context.Context, tenant, eventID string, _ time.Time) (*store.ProcessedEvent, error) {
	var done store.ProcessedEvent
	var outcomes string
	err := a.tx.QueryRowContext(ctx, `SELECT member_id, outcomes FROM processed_events WHERE tenant = ? AND event_id = ?`,
		tenant, eventID).Scan(&done.MemberID, &outcomes)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	}
	done.Outcomes = []byte(outcomes)
	return &done, nil
}

// Member returns a member by id, or by the id of a member merged into it.
func (a accountTx) Member(ctx context.Context, tenant, id string) (member.Member, error) {
	return memberByID(ctx, a.tx, tenant, id)
}

// NewReferralCode draws a referral code not taken in the tenant.
func (a accountTx) NewReferralCode(ctx context.Context, tenant string) (string, error) {
	return newReferralCode(ctx, a.tx, tenant)
}

// Order returns a stored order, nil when there is none.
func (a accountTx) Order(ctx context.Context, tenant, orderID string) (*loyalty.Order, error) {
	o := &loyalty.Order{ID: orderID}
	err := a.tx.QueryRowContext(ctx, `SELECT member_id, event_id, total, refunded, currency FROM orders
		WHERE tenant = ? AND id = ?`, tenant, orderID).Scan(&o.MemberID, &o.EventID, &o.Total, &o.Refunded, &o.Currency)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return o, nil
}

// OrderLots returns the lots of a member made by an order.
func (a accountTx) OrderLots(ctx context.Context, tenant, orderID, memberID string) ([]*loyalty.Lot, error) {
	return queryLots(ctx, a.tx, queryOrderLots, tenant, orderID, memberID)
}

// OpenLots returns a member's pending lots and active ones with points left.
func (a accountTx) OpenLots(ctx context.Context, memberID string) ([]*loyalty.Lot, error) {
	return queryLots(ctx, a.tx, queryOpenLots, memberID)
}

// Counters reads a member's counters by key.
func (a accountTx) Counters(ctx context.Context, tenant, memberID string, keys []string) (map[string]int64, error) {
	return counters(ctx, a.tx, tenant, memberID, keys)
}

// Qualifying sums a member's tier qualification since a time.
func (a accountTx) Qualifying(ctx context.Context, tenant, memberID, basis string, since time.Time) (*big.Rat, error) {
	return qualifying(ctx, a.tx, tenant, memberID, basis, since)
}

// Referrer finds the member whose referral code is code.
func (a accountTx) Referrer(ctx context.Context, tenant, code string) (string, string, bool, error) {
	return referrer(ctx, a.tx, tenant, code)
}

// ReferralsSince counts a referrer's members who joined at or after since.
func (a accountTx) ReferralsSince(ctx context.Context, tenant, referrerID string, since time.Time) (int, error) {
	return referralsSince(ctx, a.tx, tenant, referrerID, since)
}

// WriteChanges writes what the transaction changed, and its effects.
func (a accountTx) WriteChanges(ctx context.Context, w store.AccountWrite) error {
	if err := writeChanges(ctx, a.tx, w); err != nil {
		return err
	}
	return writeEffects(ctx, a.tx, w.Tenant, w.Effects, w.Now)
}

// Referral lookups. The indexes on referral codes and referrers are
// partial (empty values are left out), so each query repeats the index's
// condition for SQLite to use it: without it every new member would scan
// the members table.
const (
	queryCodeTaken      = `SELECT COUNT(*) FROM members WHERE tenant = ? AND referral_code = ? AND referral_code <> ''`
	queryReferrer       = `SELECT id, phone FROM members WHERE tenant = ? AND referral_code = ? AND referral_code <> ''`
	queryReferralsSince = `SELECT COUNT(*) FROM members
		WHERE tenant = ? AND referred_by = ? AND referred_by <> '' AND created_at >= ?`
)

// maxCodeAttempts bounds the draws of a referral code that is not taken.
const maxCodeAttempts = 10

// newReferralCode draws referral codes until one is not taken in the
// tenant. Writes are serialized, so the code stays free until the
// transaction commits; the unique index would refuse it otherwise.
func newReferralCode(ctx context.Context, tx *wtx, tenant string) (string, error) {
	for range maxCodeAttempts {
		code := member.NewReferralCode()
		var n int
		if err := tx.QueryRowContext(ctx, queryCodeTaken,
			tenant, code).Scan(&n); err != nil {
			return "", fmt.Errorf("checking a referral code: %w", err)
		}
		if n == 0 {
			return code, nil
		}
	}
	return "", fmt.Errorf("no free referral code after %d attempts", maxCodeAttempts)
}

// referrer finds the member whose referral code is code.
func referrer(ctx context.Context, tx *wtx, tenant, code string) (id, phone string, found bool, err error) {
	err = tx.QueryRowContext(ctx, queryReferrer,
		tenant, code).Scan(&id, &phone)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", "", false, nil
	case err != nil:
		return "", "", false, fmt.Errorf("looking up a referral code: %w", err)
	}
	return id, store.PhoneOf(id, phone), true, nil
}

// referralsSince counts the members linked to a referrer who joined at or
// after since.
func referralsSince(ctx context.Context, tx *wtx, tenant, referrerID string, since time.Time) (int, error) {
	var n int
	if err := tx.QueryRowContext(ctx, queryReferralsSince, tenant, referrerID, toDB(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting referrals: %w", err)
	}
	return n, nil
}

// Lot queries. Each repeats the condition of its partial index, which
// SQLite cannot infer from an equality with a parameter: without it, the
// lots of an order are found by reading every lot.
const (
	queryOrderLots = `SELECT ` + lotColumns + ` FROM lots
		WHERE tenant = ? AND order_id = ? AND order_id <> '' AND member_id = ?`
	queryOpenLots = `SELECT ` + lotColumns + ` FROM lots
		WHERE member_id = ? AND (status = 'pending' OR (status = 'active' AND remaining > 0))`
)

// queryLots runs a query of lots, ordered by id.
func queryLots(ctx context.Context, tx *wtx, q string, args ...any) ([]*loyalty.Lot, error) {
	rows, err := tx.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("loading lots: %w", err)
	}
	defer rows.Close()
	var lots []*loyalty.Lot
	for rows.Next() {
		l, err := scanLot(rows)
		if err != nil {
			return nil, fmt.Errorf("loading lots: %w", err)
		}
		lots = append(lots, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("loading lots: %w", err)
	}
	return lots, nil
}

// qualifying sums a member's tier qualification since a time.
func qualifying(ctx context.Context, tx queryer, tenant, memberID, basis string, since time.Time) (*big.Rat, error) {
	if basis != config.TierBasisSpend {
		// SQLite's SUM fails once an int64 overflows: sum the points'
		// high and low 32 bits apart (truncated division, so both carry
		// the sign) and join them exactly, which fits for 2^31 rows.
		var high, low int64
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(points / 4294967296), 0), COALESCE(SUM(points % 4294967296), 0)
			FROM ledger_entries
			WHERE member_id = ? AND kind IN ('earn', 'activate', 'reverse') AND created_at >= ?`,
			memberID, toDB(since)).Scan(&high, &low)
		if err != nil {
			return nil, fmt.Errorf("summing qualifying points: %w", err)
		}
		sum := new(big.Int).Lsh(big.NewInt(high), 32)
		return new(big.Rat).SetInt(sum.Add(sum, big.NewInt(low))), nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT total, refunded FROM orders
		WHERE tenant = ? AND member_id = ? AND created_at >= ?`, tenant, memberID, toDB(since))
	if err != nil {
		return nil, fmt.Errorf("summing qualifying spend: %w", err)
	}
	defer rows.Close()
	var orders [][2]string
	for rows.Next() {
		var o [2]string
		if err := rows.Scan(&o[0], &o[1]); err != nil {
			return nil, fmt.Errorf("summing qualifying spend: %w", err)
		}
		orders = append(orders, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("summing qualifying spend: %w", err)
	}
	return store.NetSpend(orders)
}

func counters(ctx context.Context, tx queryer, tenant, memberID string, keys []string) (map[string]int64, error) {
	out := make(map[string]int64, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	args := []any{tenant, memberID}
	for _, k := range keys {
		args = append(args, k)
	}
	rows, err := tx.QueryContext(ctx, `SELECT key, value FROM loyalty_counters WHERE tenant = ? AND member_id = ? AND key IN (?`+
		strings.Repeat(", ?", len(keys)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading counters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("reading counters: %w", err)
		}
		out[k] = v
	}
	return out, rows.Err()
}

// writeChanges writes what a loyalty transaction changed.
func writeChanges(ctx context.Context, tx *wtx, w store.AccountWrite) error {
	tenant, eventID, m, ch, now := w.Tenant, w.EventID, w.Member, w.Changes, w.Now
	m.Balance, m.Pending, m.UpdatedAt = ch.Member.Balance, ch.Member.Pending, now
	t, r := ch.Member.Tier, ch.Member.Referral
	var err error
	switch {
	case !w.IsNew && store.OnlyPointsChanged(w.Stored, ch.Member):
		_, err = tx.ExecContext(ctx, `UPDATE members SET balance = ?, pending = ?, updated_at = ? WHERE id = ?`,
			m.Balance, m.Pending, toDB(m.UpdatedAt), m.ID)
	case w.IsNew:
		_, err = tx.ExecContext(ctx, `INSERT INTO members (`+memberRowColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.Tenant, store.StoredPhone(m), m.Name, m.Email, m.Balance, m.Pending, toDB(m.CreatedAt), toDB(m.UpdatedAt),
			t.Name, dbTime(t.Since), dbTime(t.ReviewAt), t.Manual, dbTime(t.ManualUntil),
			r.Code, r.ReferredBy, r.Status, r.Order, m.Birthday, ch.Member.BirthdayYear, ch.Member.AnniversaryYear)
	default:
		_, err = tx.ExecContext(ctx, `UPDATE members SET name = ?, email = ?, balance = ?, pending = ?, updated_at = ?,
			tier = ?, tier_since = ?, tier_review_at = ?, tier_manual = ?, tier_manual_until = ?,
			referral_code = ?, referred_by = ?, referral_status = ?, referral_order = ?,
			birthday = ?, birthday_year = ?, anniversary_year = ? WHERE id = ?`,
			m.Name, m.Email, m.Balance, m.Pending, toDB(m.UpdatedAt),
			t.Name, dbTime(t.Since), dbTime(t.ReviewAt), t.Manual, dbTime(t.ManualUntil),
			r.Code, r.ReferredBy, r.Status, r.Order, m.Birthday, ch.Member.BirthdayYear, ch.Member.AnniversaryYear, m.ID)
	}
	if err != nil {
		return fmt.Errorf("saving the member: %w", err)
	}
	if w.ProfileChanged() {
		if err := writeProfile(ctx, tx, m.ID, m.Profile); err != nil {
			return err
		}
	}
	if o := ch.Order; o != nil {
		if w.NewOrder {
			_, err = tx.ExecContext(ctx, `INSERT INTO orders (tenant, id, member_id, event_id, total, refunded, currency, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, tenant, o.ID, m.ID, o.EventID, o.Total, o.Refunded, o.Currency, toDB(now))
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE orders SET refunded = ? WHERE tenant = ? AND id = ?`, o.Refunded, tenant, o.ID)
		}
		if err != nil {
			return fmt.Errorf("saving order %s: %w", o.ID, err)
		}
	}
	for _, l := range ch.Lots {
		if _, err := tx.ExecContext(ctx, `INSERT INTO lots (tenant, `+lotColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET remaining = excluded.remaining, reversed = excluded.reversed,
				status = excluded.status, activates_at = excluded.activates_at, expires_at = excluded.expires_at,
				reminded = excluded.reminded`,
			tenant, l.ID, m.ID, l.Rule, l.EventID, l.OrderID, l.Points, l.Remaining, l.Reversed, l.Status,
			toDB(l.EarnedAt), dbTime(l.ActivatesAt), dbTime(l.ExpiresAt), l.Reminded); err != nil {
			return fmt.Errorf("saving lot %s: %w", l.ID, err)
		}
	}
	for _, e := range ch.Entries {
		if err := insertEntry(ctx, tx, tenant, m.ID, e, now); err != nil {
			return err
		}
	}
	for k, v := range ch.Counters {
		if _, err := tx.ExecContext(ctx, `INSERT INTO loyalty_counters (tenant, member_id, key, value) VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant, member_id, key) DO UPDATE SET value = value + excluded.value`, tenant, m.ID, k, v); err != nil {
			return fmt.Errorf("saving counter %s: %w", k, err)
		}
	}
	if err := writeRedemption(ctx, tx, tenant, m.ID, ch.Redemption, now); err != nil {
		return err
	}
	for _, b := range ch.Badges {
		if _, err := tx.ExecContext(ctx, `INSERT INTO member_badges (tenant, member_id, badge, event_id, awarded_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, tenant, m.ID, b, eventID, toDB(now)); err != nil {
			return fmt.Errorf("saving badge %s: %w", b, err)
		}
	}
	if !w.Record {
		return nil
	}
	outcomes, err := w.Outcomes()
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO processed_events (tenant, event_id, member_id, outcomes, created_at)
		VALUES (?, ?, ?, ?, ?)`, tenant, eventID, m.ID, string(outcomes), toDB(now)); err != nil {
		return fmt.Errorf("recording event %s as processed: %w", eventID, err)
	}
	return nil
}

// Lots returns a member's lots in consumption order.
func (s *Store) Lots(ctx context.Context, tenant, memberID string) ([]loyalty.Lot, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.db.QueryContext(ctx, `SELECT `+lotColumns+` FROM lots WHERE tenant = ? AND member_id = ?`, tenant, memberID)
	if err != nil {
		return nil, fmt.Errorf("listing lots: %w", err)
	}
	defer rows.Close()
	var out []*loyalty.Lot
	for rows.Next() {
		l, err := scanLot(rows)
		if err != nil {
			return nil, fmt.Errorf("listing lots: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing lots: %w", err)
	}
	return store.SortLots(out), nil
}

// DueMembers lists members with lots to activate or expire at due.
func (s *Store) DueMembers(ctx context.Context, tenant string, due time.Time, limit int) ([]string, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	// Each kind of due work is read up to limit rows from its index
	// before the union: a union takes in all of its inputs, and all the
	// due lots of a large sweep would be read again for every batch.
	n := store.ClampLimit(limit)
	rows, err := r.db.QueryContext(ctx, `
		SELECT member_id FROM (SELECT member_id FROM lots WHERE tenant = ? AND status = 'pending' AND activates_at <= ? LIMIT ?)
		UNION
		SELECT member_id FROM (SELECT member_id FROM lots WHERE tenant = ? AND status = 'active' AND remaining > 0
			AND expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)
		UNION
		SELECT id FROM (SELECT id FROM members WHERE tenant = ? AND tier_review_at IS NOT NULL AND tier_review_at <= ? LIMIT ?)
		LIMIT ?`, tenant, toDB(due), n, tenant, toDB(due), n, tenant, toDB(due), n, n)
	if err != nil {
		return nil, fmt.Errorf("listing members with due lots: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("listing members with due lots: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Expiring lists the expiry dates not announced yet; see store.Accounts.
func (s *Store) Expiring(ctx context.Context, tenant string, from, to time.Time, limit int) ([]store.Expiring, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.db.QueryContext(ctx, `SELECT DISTINCT member_id, expires_at FROM lots
		WHERE tenant = ? AND status = 'active' AND remaining > 0 AND expires_at IS NOT NULL AND reminded = 0
			AND expires_at > ? AND expires_at <= ?
		ORDER BY expires_at, member_id LIMIT ?`, tenant, toDB(from), toDB(to), store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing expiring lots: %w", err)
	}
	defer rows.Close()
	var out []store.Expiring
	for rows.Next() {
		var e store.Expiring
		var at int64
		if err := rows.Scan(&e.MemberID, &at); err != nil {
			return nil, fmt.Errorf("listing expiring lots: %w", err)
		}
		e.ExpiresAt = fromDB(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// AcquireLease takes or renews a lease; see store.Leases.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := s.clock.Now()
	var got bool
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
			name, holder, toDB(now.Add(ttl)), toDB(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		got = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("acquiring lease %s: %w", name, err)
	}
	return got, nil
}

// ReleaseLease gives a lease up; see store.Leases.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
		return err
	})
	if err != nil {
		return fmt.Errorf("releasing lease %s: %w", name, err)
	}
	return nil
}

// Qualifying sums a member's tier qualification since a time; see
// store.Accounts.
func (s *Store) Qualifying(ctx context.Context, tenant, memberID, basis string, since time.Time) (*big.Rat, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	return qualifying(ctx, r, tenant, memberID, basis, since)
}

// Badges lists a member's badges, first earned first; see store.Accounts.
func (s *Store) Badges(ctx context.Context, tenant, memberID string) ([]store.Badge, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.db.QueryContext(ctx, `SELECT badge, awarded_at FROM member_badges
		WHERE tenant = ? AND member_id = ? ORDER BY awarded_at, badge`, tenant, memberID)
	if err != nil {
		return nil, fmt.Errorf("listing badges: %w", err)
	}
	defer rows.Close()
	var out []store.Badge
	for rows.Next() {
		var b store.Badge
		var at int64
		if err := rows.Scan(&b.Name, &at); err != nil {
			return nil, fmt.Errorf("listing badges: %w", err)
		}
		b.AwardedAt = fromDB(at)
		out = append(out, b)
	}
	return out, rows.Err()
}

// CounterValues reads a member's counters (cap usage, challenge progress);
// see store.Accounts.
func (s *Store) CounterValues(ctx context.Context, tenant, memberID string, keys []string) (map[string]int64, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	return counters(ctx, r, tenant, memberID, keys)
}

// BirthdayMembers lists members to celebrate; see store.Accounts.
func (s *Store) BirthdayMembers(ctx context.Context, tenant string, birthdays []string, year, limit int) ([]string, error) {
	if len(birthdays) == 0 {
		return nil, nil
	}
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	list, err := json.Marshal(birthdays)
	if err != nil {
		return nil, err
	}
	rows, err := r.db.QueryContext(ctx, queryBirthdays, tenant, string(list), year, store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing birthdays: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("listing birthdays: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// queryBirthdays lists members by birthday (month and day), by the partial
// index members_birthday: named, and with its condition spelt out, since
// the planner cannot tell that a birthday in the list is not empty and
// scanned every member in id order instead, at every sweep, a million
// rows for the few thousand of a day.
const queryBirthdays = `SELECT id FROM members INDEXED BY members_birthday WHERE tenant = ?1 AND birthday <> ''
	AND birthday IN (SELECT value FROM json_each(?2)) AND birthday_year < ?3 ORDER BY id LIMIT ?4`

// queryAnniversaries lists members by the UTC month and day they joined,
// by members_joined_day: named, for the planner would take the range of
// members_tenant_created or members_tenant_id, nearly every member.
const queryAnniversaries = `SELECT id, created_at FROM members INDEXED BY members_joined_day WHERE tenant = ?1
	AND CAST(strftime('%m%d', created_at / 1000000, 'unixepoch') AS INTEGER) IN (SELECT value FROM json_each(?2))
	AND created_at < ?3 AND anniversary_year < ?4 AND id > ?5 ORDER BY id LIMIT ?6`

// AnniversaryMembers lists members whose anniversary may be today; see
// store.Accounts.
func (s *Store) AnniversaryMembers(ctx context.Context, tenant string, days []int, joinedBefore time.Time, year int,
	after string, limit int) ([]store.Joined, error) {
	if len(days) == 0 {
		return nil, nil
	}
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	list, err := json.Marshal(days)
	if err != nil {
		return nil, err
	}
	rows, err := r.db.QueryContext(ctx, queryAnniversaries, tenant, string(list), toDB(joinedBefore), year, after,
		store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing anniversaries: %w", err)
	}
	defer rows.Close()
	var out []store.Joined
	for rows.Next() {
		var j store.Joined
		var at int64
		if err := rows.Scan(&j.ID, &at); err != nil {
			return nil, fmt.Errorf("listing anniversaries: %w", err)
		}
		j.JoinedAt = fromDB(at)
		out = append(out, j)
	}
	return out, rows.Err()
}

// writeProfile writes a member's profile.
func writeProfile(ctx context.Context, tx *wtx, memberID string, p member.Profile) error {
	tags, attributes, err := store.ProfileJSON(p)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE members SET source = ?, store = ?, city = ?, language = ?, tags = ?, attributes = ?
		WHERE id = ?`, p.Source, p.Store, p.City, p.Language, tags, attributes, memberID); err != nil {
		return fmt.Errorf("saving the member's profile: %w", err)
	}
	return nil
}
