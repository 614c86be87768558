package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

const lotColumns = `id, member_id, rule, event_id, order_id, points, remaining, reversed, status,
	earned_at, activates_at, expires_at, reminded`

func scanLot(r pgx.Row) (*loyalty.Lot, error) {
	var l loyalty.Lot
	if err := r.Scan(&l.ID, &l.MemberID, &l.Rule, &l.EventID, &l.OrderID, &l.Points, &l.Remaining,
		&l.Reversed, &l.Status, &l.EarnedAt, &l.ActivatesAt, &l.ExpiresAt, &l.Reminded); err != nil {
		return nil, notFound(err)
	}
	l.EarnedAt = l.EarnedAt.UTC()
	l.ActivatesAt, l.ExpiresAt = utcPtr(l.ActivatesAt), utcPtr(l.ExpiresAt)
	return &l, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// dbTime is t as stored: UTC, to the microsecond.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// dbTimePtr is dbTime for a nullable time.
func dbTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := dbTime(*t)
	return &u
}

// Transact runs one loyalty event on a member's account; see store.Accounts.
// Concurrent calls are committed in groups (see batch.go); each event's
// effects are those of transactAlone.
func (s *Store) Transact(ctx context.Context, tenant, eventID string, ref store.AccountRef, at time.Time,
	fn func(a *loyalty.Account) error) (store.AccountResult, error) {
	t := store.Transaction{Tenant: tenant, EventID: eventID, Ref: ref, At: at, Fn: fn}
	if err := t.Check(); err != nil {
		return store.AccountResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return store.AccountResult{}, err
	}
	g, err := s.groups()
	if err != nil {
		return store.AccountResult{}, err
	}
	return g.do(&txOp{ctx: ctx, t: t})
}

// transactAlone runs one loyalty event in a transaction of its own.
//
// The transaction first inserts the event into processed_events, so a
// concurrent transaction of the same event waits for this one and then
// replays it. It then locks the member's row, so transactions on one member
// queue and each reads the lots, order and counters the previous one wrote.
// Errors of fn, and store.ErrNoMember, are returned unchanged.
//
// Transactions that merge members lock them in one order (lockCandidates),
// but a merge that commits meanwhile can move an identity to a member
// locked later; the server then ends one of two waiting transactions as a
// deadlock, and that event runs again.
func transactAlone(ctx context.Context, p *pgxpool.Pool, t store.Transaction, clock store.Clock) (store.AccountResult, error) {
	return retryDeadlocks(func() (store.AccountResult, error) { return transactOnce(ctx, p, t, clock) })
}

// retryDeadlocks runs a transaction, and again, up to maxDeadlockAttempts
// runs in all, while the server ends it to break a deadlock.
func retryDeadlocks[T any](run func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		res, err := run()
		var pgErr *pgconn.PgError
		if attempt < maxDeadlockAttempts && errors.As(err, &pgErr) && pgErr.Code == deadlockDetected {
			continue
		}
		return res, err
	}
}

// deadlockDetected is PostgreSQL's SQLSTATE for a transaction ended to
// break a deadlock.
const deadlockDetected = "40P01"

// maxDeadlockAttempts bounds the runs of one event ended by deadlocks.
const maxDeadlockAttempts = 5

// transactOnce runs one loyalty event in a transaction; see transactAlone.
func transactOnce(ctx context.Context, p *pgxpool.Pool, t store.Transaction, clock store.Clock) (store.AccountResult, error) {
	tx, err := p.Begin(ctx)
	if err != nil {
		return store.AccountResult{}, fmt.Errorf("loyalty transaction: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	t.Now = clock.Now()
	res, err := store.RunTransact(ctx, accountTx{tx}, t)
	if err != nil {
		return store.AccountResult{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return store.AccountResult{}, fmt.Errorf("loyalty transaction: committing: %w", err)
	}
	return res, nil
}

// accountTx is a loyalty transaction of its own; see store.AccountTx. It
// locks the rows it reads to change: the event's record, the member, the
// order.
type accountTx struct{ tx pgx.Tx }

var (
	_ store.AccountTx      = accountTx{}
	_ store.MemberResolver = accountTx{}
)

// ClaimEvent inserts the event's record, which WriteChanges completes;
// until this transaction ends, a concurrent insert of the same event waits
// on its key. An event recorded before is returned.
func (a accountTx) ClaimEvent(ctx context.Context, tenant, eventID string, now time.Time) (*store.ProcessedEvent, error) {
	tag, err := a.tx.Exec(ctx, `INSERT INTO processed_events (tenant, event_id, member_id, outcomes, created_at)
		VALUES ($1, $2, '', '[]', $3) ON CONFLICT (tenant, event_id) DO NOTHING`, tenant, eventID, now)
	if err != nil {
		return nil, fmt.Errorf("recording it as processed: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return nil, nil
	}
	var done store.ProcessedEvent
	if err := a.tx.QueryRow(ctx, `SELECT member_id, outcomes FROM processed_events WHERE tenant = $1 AND event_id = $2`,
		tenant, eventID).Scan(&done.MemberID, &done.Outcomes); err != nil {
		return nil, err
	}
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

// Order reads a stored order and locks it. It is read under the member's
// lock, so it is current for an order of this member; the row lock covers
// an order of another one.
func (a accountTx) Order(ctx context.Context, tenant, orderID string) (*loyalty.Order, error) {
	o := &loyalty.Order{ID: orderID}
	err := a.tx.QueryRow(ctx, `SELECT member_id, event_id, total, refunded, currency FROM orders
		WHERE tenant = $1 AND id = $2 FOR UPDATE`, tenant, orderID).
		Scan(&o.MemberID, &o.EventID, &o.Total, &o.Refunded, &o.Currency)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return o, nil
}

// OrderLots returns the lots of a member made by an order.
func (a accountTx) OrderLots(ctx context.Context, tenant, orderID, memberID string) ([]*loyalty.Lot, error) {
	return queryLots(ctx, a.tx, `SELECT `+lotColumns+` FROM lots
		WHERE tenant = $1 AND order_id = $2 AND order_id <> '' AND member_id = $3`, tenant, orderID, memberID)
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

// WriteChanges writes a redemption first (its outcome decides whether the
// rest may be written), then the other statements in one pipelined batch,
// one round trip however many entries, lots and counters the event wrote.
// The member's row exists: lockMember created a new one.
func (a accountTx) WriteChanges(ctx context.Context, w store.AccountWrite) error {
	if err := writeRedemption(ctx, a.tx, w.Tenant, w.Member.ID, w.Changes.Redemption, w.Now); err != nil {
		return err
	}
	processed := processedNone
	if w.Record {
		processed = processedUpdate
	}
	var b writeBatch
	if err := queueChanges(&b, w, false, processed); err != nil {
		return err
	}
	queueEffects(&b, w.Tenant, w.Effects, w.Now)
	return b.send(ctx, a.tx, "writing the loyalty transaction")
}

const (
	queryEnqueue = `INSERT INTO messages (` + messageColumns + `, command, not_before, trace)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', '', '', 0, $10, $10, $11, $12, $13, $14, $15) ON CONFLICT (key) DO NOTHING`
	queryQueueSync = `INSERT INTO sync_queue AS q (tenant, connector, member_id, seq, queued_at)
		VALUES ($1, $2, $3, 1, $4) ON CONFLICT (tenant, connector, member_id) DO UPDATE SET seq = q.seq + 1`
)

// queueEffects queues the writes of a transaction's messages, checked
// (store.CheckQueued), as queued (created at now unless they say
// otherwise), journey goals and entries, webhook deliveries, and
// write-backs.
func queueEffects(w *writeBatch, tenant string, e store.Effects, now time.Time) {
	for _, m := range e.Messages {
		created, due := store.QueuedTimes(m, now)
		w.queue("queueing message "+m.Key, queryEnqueue, m.Key, m.Tenant, m.MemberID, m.Sender, m.Recipient, m.Kind,
			m.Template, m.Category, store.MessageQueued, created, m.SentAs, m.Origin, m.Command, due, m.Trace)
	}
	queueJourneys(w, tenant, e.JourneyGoals, e.Journeys)
	queueWebhooks(w, e.Webhooks, now)
	for _, r := range e.Sync {
		w.queue("queueing member "+r.MemberID+" for write-back", queryQueueSync, tenant, r.Connector, r.MemberID, now)
	}
}

// queryOpenLots reads a member's open lots: pending, or active with points
// left.
const queryOpenLots = `SELECT ` + lotColumns + ` FROM lots
	WHERE member_id = $1 AND (status = 'pending' OR (status = 'active' AND remaining > 0))`

// maxCodeAttempts bounds the draws of a referral code that is not taken.
const maxCodeAttempts = 10

// newReferralCode draws referral codes until one is not taken in the
// tenant. The unique index refuses a code a concurrent transaction took
// meanwhile, and the event is retried.
func newReferralCode(ctx context.Context, tx pgx.Tx, tenant string) (string, error) {
	for range maxCodeAttempts {
		code := member.NewReferralCode()
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM members WHERE tenant = $1 AND referral_code = $2 AND referral_code <> '')`,
			tenant, code).Scan(&taken); err != nil {
			return "", fmt.Errorf("checking a referral code: %w", err)
		}
		if !taken {
			return code, nil
		}
	}
	return "", fmt.Errorf("no free referral code after %d attempts", maxCodeAttempts)
}

// referrer finds the member whose referral code is code.
func referrer(ctx context.Context, tx pgx.Tx, tenant, code string) (id, phone string, found bool, err error) {
	err = tx.QueryRow(ctx, `SELECT id, phone FROM members WHERE tenant = $1 AND referral_code = $2 AND referral_code <> ''`,
		tenant, code).Scan(&id, &phone)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", "", false, nil
	case err != nil:
		return "", "", false, fmt.Errorf("looking up a referral code: %w", err)
	}
	return id, store.PhoneOf(id, phone), true, nil
}

// referralsSince counts the members linked to a referrer who joined at or
// after since. It first takes a lock on the referrer's referrals until the
// transaction ends, so that concurrent new members cannot exceed the
// monthly cap together.
func referralsSince(ctx context.Context, tx pgx.Tx, tenant, referrerID string, since time.Time) (int, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
		"referrals/"+tenant+"/"+referrerID); err != nil {
		return 0, fmt.Errorf("locking the referrals of %s: %w", referrerID, err)
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM members
		WHERE tenant = $1 AND referred_by = $2 AND referred_by <> '' AND created_at >= $3`, tenant, referrerID, dbTime(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting referrals: %w", err)
	}
	return n, nil
}

// queryLots runs a query of lots, ordered by id.
func queryLots(ctx context.Context, tx pgx.Tx, q string, args ...any) ([]*loyalty.Lot, error) {
	rows, err := tx.Query(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("loading lots: %w", err)
	}
	lots, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*loyalty.Lot, error) { return scanLot(r) })
	if err != nil {
		return nil, fmt.Errorf("loading lots: %w", err)
	}
	return lots, nil
}

// qualifying sums a member's tier qualification since a time.
func qualifying(ctx context.Context, tx querier, tenant, memberID, basis string, since time.Time) (*big.Rat, error) {
	if basis != config.TierBasisSpend {
		// SUM of a bigint is a numeric: read as text, it is exact however
		// far beyond an int64 the points of years add up.
		var points string
		err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(points), 0)::text FROM ledger_entries
			WHERE member_id = $1 AND kind IN ('earn', 'activate', 'reverse') AND created_at >= $2`,
			memberID, dbTime(since)).Scan(&points)
		if err != nil {
			return nil, fmt.Errorf("summing qualifying points: %w", err)
		}
		sum, ok := new(big.Rat).SetString(points)
		if !ok {
			return nil, fmt.Errorf("summing qualifying points: %q is not a number", points)
		}
		return sum, nil
	}
	rows, err := tx.Query(ctx, `SELECT total, refunded FROM orders
		WHERE tenant = $1 AND member_id = $2 AND created_at >= $3`, tenant, memberID, dbTime(since))
	if err != nil {
		return nil, fmt.Errorf("summing qualifying spend: %w", err)
	}
	orders, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var o [2]string
		err := r.Scan(&o[0], &o[1])
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("summing qualifying spend: %w", err)
	}
	return store.NetSpend(orders)
}

func counters(ctx context.Context, tx querier, tenant, memberID string, keys []string) (map[string]int64, error) {
	out := make(map[string]int64, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT key, value FROM loyalty_counters
		WHERE tenant = $1 AND member_id = $2 AND key = ANY($3)`, tenant, memberID, keys)
	if err != nil {
		return nil, fmt.Errorf("reading counters: %w", err)
	}
	var (
		k string
		v int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&k, &v}, func() error {
		out[k] = v
		return nil
	}); err != nil {
		return nil, fmt.Errorf("reading counters: %w", err)
	}
	return out, nil
}

// writeBatch is writes sent to the server as one pipeline, each named by
// what it does, for its error.
type writeBatch struct {
	b    pgx.Batch
	what []string
}

func (w *writeBatch) queue(action, sql string, args ...any) {
	w.b.Queue(sql, args...)
	w.what = append(w.what, action)
}

// send runs the queued writes in tx; what names the whole for an error
// that is no single write's.
func (w *writeBatch) send(ctx context.Context, tx pgx.Tx, what string) error {
	if len(w.what) == 0 {
		return nil
	}
	br := tx.SendBatch(ctx, &w.b)
	for _, action := range w.what {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return fmt.Errorf("%s: %w", action, err)
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// processedWrite is how a transaction records its event as processed.
type processedWrite int

const (
	processedNone   processedWrite = iota // the event is not recorded (AccountRef.Unrecorded)
	processedUpdate                       // complete the row the transaction began with
	processedInsert                       // insert the row
)

// queueChanges queues the writes of a loyalty transaction but its
// redemption: insertMember inserts the member's row rather than update it.
func queueChanges(b *writeBatch, w store.AccountWrite, insertMember bool, processed processedWrite) error {
	outcomes, err := w.Outcomes()
	if err != nil {
		return err
	}
	tenant, eventID, m, ch, now := w.Tenant, w.EventID, w.Member, w.Changes, w.Now
	queue := b.queue
	t, r := ch.Member.Tier, ch.Member.Referral
	switch {
	case insertMember:
		queue("creating the member", `INSERT INTO members (`+memberRowColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
			m.ID, m.Tenant, store.StoredPhone(m), m.Name, m.Email, ch.Member.Balance, ch.Member.Pending, m.CreatedAt, now,
			t.Name, dbTimePtr(t.Since), dbTimePtr(t.ReviewAt), t.Manual, dbTimePtr(t.ManualUntil),
			r.Code, r.ReferredBy, r.Status, r.Order, m.Birthday, ch.Member.BirthdayYear, ch.Member.AnniversaryYear)
	case store.OnlyPointsChanged(w.Stored, ch.Member):
		queue("saving the member", `UPDATE members SET balance = $1, pending = $2, updated_at = $3 WHERE id = $4`,
			ch.Member.Balance, ch.Member.Pending, now, m.ID)
	default:
		queue("saving the member", `UPDATE members SET name = $1, email = $2, balance = $3, pending = $4, updated_at = $5,
		tier = $6, tier_since = $7, tier_review_at = $8, tier_manual = $9, tier_manual_until = $10,
		referral_code = $12, referred_by = $13, referral_status = $14, referral_order = $15,
		birthday = $16, birthday_year = $17, anniversary_year = $18
		WHERE id = $11`, m.Name, m.Email, ch.Member.Balance, ch.Member.Pending, now,
			t.Name, dbTimePtr(t.Since), dbTimePtr(t.ReviewAt), t.Manual, dbTimePtr(t.ManualUntil), m.ID,
			r.Code, r.ReferredBy, r.Status, r.Order, m.Birthday, ch.Member.BirthdayYear, ch.Member.AnniversaryYear)
	}
	if w.ProfileChanged() {
		if err := queueProfile(queue, m.ID, m.Profile); err != nil {
			return err
		}
	}
	if o := ch.Order; o != nil {
		if w.NewOrder {
			queue("saving order "+o.ID, `INSERT INTO orders (tenant, id, member_id, event_id, total, refunded, currency, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tenant, o.ID, m.ID, o.EventID, o.Total, o.Refunded, o.Currency, now)
		} else {
			queue("saving order "+o.ID, `UPDATE orders SET refunded = $1 WHERE tenant = $2 AND id = $3`, o.Refunded, tenant, o.ID)
		}
	}
	for _, l := range ch.Lots {
		queue("saving lot "+l.ID, `INSERT INTO lots (tenant, `+lotColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (id) DO UPDATE SET remaining = excluded.remaining, reversed = excluded.reversed,
				status = excluded.status, activates_at = excluded.activates_at, expires_at = excluded.expires_at,
				reminded = excluded.reminded`,
			tenant, l.ID, m.ID, l.Rule, l.EventID, l.OrderID, l.Points, l.Remaining, l.Reversed, l.Status,
			dbTime(l.EarnedAt), dbTimePtr(l.ActivatesAt), dbTimePtr(l.ExpiresAt), l.Reminded)
	}
	for _, e := range ch.Entries {
		queueEntry(b, tenant, m.ID, e, now)
	}
	for k, v := range ch.Counters {
		queue("saving counter "+k, `INSERT INTO loyalty_counters (tenant, member_id, key, value) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant, member_id, key) DO UPDATE SET value = loyalty_counters.value + excluded.value`,
			tenant, m.ID, k, v)
	}
	for _, badge := range ch.Badges {
		queue("saving badge "+badge, `INSERT INTO member_badges (tenant, member_id, badge, event_id, awarded_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, tenant, m.ID, badge, eventID, now)
	}
	switch processed {
	case processedInsert:
		queue("recording event "+eventID+" as processed", `INSERT INTO processed_events (tenant, event_id, member_id, outcomes, created_at)
			VALUES ($1, $2, $3, $4, $5)`, tenant, eventID, m.ID, string(outcomes), now)
	case processedUpdate:
		queue("recording event "+eventID+" as processed", `UPDATE processed_events SET member_id = $1, outcomes = $2
			WHERE tenant = $3 AND event_id = $4`, m.ID, string(outcomes), tenant, eventID)
	}
	return nil
}

// Lots returns a member's lots in consumption order.
func (s *Store) Lots(ctx context.Context, tenant, memberID string) ([]loyalty.Lot, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT `+lotColumns+` FROM lots WHERE tenant = $1 AND member_id = $2`, tenant, memberID)
	if err != nil {
		return nil, fmt.Errorf("listing lots: %w", err)
	}
	lots, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*loyalty.Lot, error) { return scanLot(r) })
	if err != nil {
		return nil, fmt.Errorf("listing lots: %w", err)
	}
	return store.SortLots(lots), nil
}

// DueMembers lists members with lots to activate or expire at due.
func (s *Store) DueMembers(ctx context.Context, tenant string, due time.Time, limit int) ([]string, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	// Each kind of due work is read up to limit rows from its index
	// before the union: a union takes in all of its inputs, and all the
	// due lots of a large sweep would be read and sorted again for every
	// batch.
	rows, err := p.Query(ctx, `
		(SELECT member_id FROM lots WHERE tenant = $1 AND status = 'pending' AND activates_at <= $2 LIMIT $3)
		UNION
		(SELECT member_id FROM lots WHERE tenant = $1 AND status = 'active' AND remaining > 0
			AND expires_at IS NOT NULL AND expires_at <= $2 LIMIT $3)
		UNION
		(SELECT id FROM members WHERE tenant = $1 AND tier_review_at IS NOT NULL AND tier_review_at <= $2 LIMIT $3)
		ORDER BY member_id LIMIT $3`, tenant, dbTime(due), store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing members with due lots: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("listing members with due lots: %w", err)
	}
	return ids, nil
}

// Expiring lists the expiry dates not announced yet; see store.Accounts.
func (s *Store) Expiring(ctx context.Context, tenant string, from, to time.Time, limit int) ([]store.Expiring, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT DISTINCT member_id, expires_at FROM lots
		WHERE tenant = $1 AND status = 'active' AND remaining > 0 AND expires_at IS NOT NULL AND NOT reminded
			AND expires_at > $2 AND expires_at <= $3
		ORDER BY expires_at, member_id LIMIT $4`, tenant, dbTime(from), dbTime(to), store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing expiring lots: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Expiring, error) {
		var e store.Expiring
		err := r.Scan(&e.MemberID, &e.ExpiresAt)
		e.ExpiresAt = e.ExpiresAt.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing expiring lots: %w", err)
	}
	return out, nil
}

// AcquireLease takes or renews a lease; see store.Leases.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	p, err := s.db()
	if err != nil {
		return false, err
	}
	now := s.clock.Now()
	tag, err := p.Exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= $4`,
		name, holder, dbTime(now.Add(ttl)), dbTime(now))
	if err != nil {
		return false, fmt.Errorf("acquiring lease %s: %w", name, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseLease gives a lease up; see store.Leases.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	p, err := s.db()
	if err != nil {
		return err
	}
	if _, err := p.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder); err != nil {
		return fmt.Errorf("releasing lease %s: %w", name, err)
	}
	return nil
}

// Qualifying sums a member's tier qualification since a time; see
// store.Accounts.
func (s *Store) Qualifying(ctx context.Context, tenant, memberID, basis string, since time.Time) (*big.Rat, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	return qualifying(ctx, p, tenant, memberID, basis, since)
}

// Badges lists a member's badges, first earned first; see store.Accounts.
func (s *Store) Badges(ctx context.Context, tenant, memberID string) ([]store.Badge, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT badge, awarded_at FROM member_badges
		WHERE tenant = $1 AND member_id = $2 ORDER BY awarded_at, badge`, tenant, memberID)
	if err != nil {
		return nil, fmt.Errorf("listing badges: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Badge, error) {
		var b store.Badge
		err := r.Scan(&b.Name, &b.AwardedAt)
		b.AwardedAt = b.AwardedAt.UTC()
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing badges: %w", err)
	}
	return out, nil
}

// CounterValues reads a member's counters (cap usage, challenge progress);
// see store.Accounts.
func (s *Store) CounterValues(ctx context.Context, tenant, memberID string, keys []string) (map[string]int64, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	return counters(ctx, p, tenant, memberID, keys)
}

// BirthdayMembers lists members to celebrate; see store.Accounts.
func (s *Store) BirthdayMembers(ctx context.Context, tenant string, birthdays []string, year, limit int) ([]string, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	// birthday <> '' is members_birthday's condition, spelt out: a
	// generic plan cannot prove it from the parameter's list.
	rows, err := p.Query(ctx, `SELECT id FROM members WHERE tenant = $1 AND birthday_year < $2
		AND birthday <> '' AND birthday = ANY($3) ORDER BY id LIMIT $4`, tenant, year, birthdays, store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing birthdays: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("listing birthdays: %w", err)
	}
	return ids, nil
}

// AnniversaryMembers lists members whose anniversary may be today, by
// members_joined_day; see store.Accounts.
func (s *Store) AnniversaryMembers(ctx context.Context, tenant string, days []int, joinedBefore time.Time, year int,
	after string, limit int) ([]store.Joined, error) {
	if len(days) == 0 {
		return nil, nil
	}
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT id, created_at FROM members WHERE tenant = $1
		AND (date_part('month', created_at AT TIME ZONE 'UTC') * 100 + date_part('day', created_at AT TIME ZONE 'UTC'))::integer = ANY($2)
		AND created_at < $3 AND anniversary_year < $4 AND id > $5 ORDER BY id LIMIT $6`,
		tenant, days, joinedBefore, year, after, store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing anniversaries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Joined, error) {
		var j store.Joined
		err := r.Scan(&j.ID, &j.JoinedAt)
		return j, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing anniversaries: %w", err)
	}
	return out, nil
}

// queueProfile queues the write of a member's profile.
func queueProfile(queue func(what, sql string, args ...any), memberID string, p member.Profile) error {
	tags, attributes, err := store.ProfileJSON(p)
	if err != nil {
		return err
	}
	queue("saving the member's profile", `UPDATE members SET source = $1, store = $2, city = $3, language = $4,
		tags = $5, attributes = $6 WHERE id = $7`, p.Source, p.Store, p.City, p.Language, tags, attributes, memberID)
	return nil
}
