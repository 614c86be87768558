package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// forUpdate locks a member's row for the rest of the transaction.
const forUpdate = ` FOR NO KEY UPDATE`

const insertIdentity = `INSERT INTO member_identities (tenant, kind, connector, value, member_id, created_at)
	VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`

// MemberByIdentity returns the member an identity finds; see
// store.Members.
func (s *Store) MemberByIdentity(ctx context.Context, tenant string, id member.Identity) (member.Member, error) {
	p, err := s.db()
	if err != nil {
		return member.Member{}, err
	}
	m, err := memberByIdentity(ctx, p, tenant, id, "")
	if err == nil {
		m.Identities, err = identities(ctx, p, m)
	}
	if err != nil {
		return member.Member{}, fmt.Errorf("getting member by %s: %w", id.Kind, err)
	}
	return m, nil
}

// memberByIdentity finds the member of an identity, its row locked when
// lock is forUpdate. A member merged into another while this transaction
// waited for its lock is found again through the identity, which moved.
func memberByIdentity(ctx context.Context, q querier, tenant string, id member.Identity, lock string) (member.Member, error) {
	id, err := store.LookupIdentity(id)
	if err != nil {
		return member.Member{}, err
	}
	if id.Kind == member.IdentityPhone {
		return scanMember(q.QueryRow(ctx,
			`SELECT `+memberColumns+` FROM members WHERE tenant = $1 AND phone = $2`+lock, tenant, id.Value))
	}
	for range 2 {
		var memberID string
		if err := q.QueryRow(ctx, `SELECT member_id FROM member_identities
			WHERE tenant = $1 AND kind = $2 AND connector = $3 AND value = $4`,
			tenant, id.Kind, id.Connector, id.Value).Scan(&memberID); err != nil {
			return member.Member{}, notFound(err)
		}
		m, err := scanMember(q.QueryRow(ctx,
			`SELECT `+memberColumns+` FROM members WHERE tenant = $1 AND id = $2`+lock, tenant, memberID))
		if !errors.Is(err, store.ErrNotFound) {
			return m, err
		}
	}
	return member.Member{}, store.ErrNotFound
}

// identities lists a member's identities: its phone first, then the
// others by kind.
func identities(ctx context.Context, q querier, m member.Member) ([]member.Identity, error) {
	var out []member.Identity
	if m.Phone != "" && !strings.HasPrefix(m.Phone, store.RedactedPrefix) {
		out = append(out, member.Identity{Kind: member.IdentityPhone, Value: m.Phone})
	}
	rows, err := q.Query(ctx, `SELECT kind, connector, value FROM member_identities
		WHERE member_id = $1 ORDER BY kind, connector, value`, m.ID)
	if err != nil {
		return nil, fmt.Errorf("listing identities: %w", err)
	}
	ids, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (member.Identity, error) {
		var id member.Identity
		err := r.Scan(&id.Kind, &id.Connector, &id.Value)
		return id, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing identities: %w", err)
	}
	return append(out, ids...), nil
}

// lockMemberByID finds a member by id, or by the id of a member merged
// into it, and locks its row.
func lockMemberByID(ctx context.Context, tx pgx.Tx, tenant, id string) (member.Member, error) {
	m, err := scanMember(tx.QueryRow(ctx,
		`SELECT `+memberColumns+` FROM members WHERE tenant = $1 AND id = $2`+forUpdate, tenant, id))
	if errors.Is(err, store.ErrNotFound) {
		return memberByIdentity(ctx, tx, tenant, member.Identity{Kind: member.IdentityMerged, Value: id}, forUpdate)
	}
	return m, err
}

// ResolveMember finds, merges or creates the member ref names and locks
// its row (see store.ResolveMember).
func (a accountTx) ResolveMember(ctx context.Context, tenant, eventID string, ref store.AccountRef, at, now time.Time) (
	member.Member, bool, []string, error) {
	return store.ResolveMember(ctx, a, tenant, eventID, ref, at, now)
}

// LockCandidates locks the members ref's identities find; see
// lockCandidates.
func (a accountTx) LockCandidates(ctx context.Context, tenant string, ref store.AccountRef) error {
	return lockCandidates(ctx, a.tx, tenant, ref)
}

// MemberByID finds a member by id, or by the id of a member merged into
// it, and locks its row.
func (a accountTx) MemberByID(ctx context.Context, tenant, id string) (member.Member, error) {
	return lockMemberByID(ctx, a.tx, tenant, id)
}

// MemberByIdentity finds the member of an identity and locks its row.
func (a accountTx) MemberByIdentity(ctx context.Context, tenant string, id member.Identity) (member.Member, error) {
	return memberByIdentity(ctx, a.tx, tenant, id, forUpdate)
}

// OrderMember finds the member of a stored order and locks its row.
func (a accountTx) OrderMember(ctx context.Context, tenant, orderID string) (member.Member, error) {
	var memberID string
	if err := a.tx.QueryRow(ctx, `SELECT member_id FROM orders WHERE tenant = $1 AND id = $2`,
		tenant, orderID).Scan(&memberID); err != nil {
		return member.Member{}, notFound(err)
	}
	return lockMemberByID(ctx, a.tx, tenant, memberID)
}

// CreateMember inserts a member and locks it; see createMember.
func (a accountTx) CreateMember(ctx context.Context, tenant string, ref store.AccountRef, first member.Identity, at, now time.Time) (
	member.Member, bool, error) {
	return createMember(ctx, a.tx, tenant, ref, first, at, now)
}

// MergeMember absorbs member x into member s, both locked.
func (a accountTx) MergeMember(ctx context.Context, tenant, eventID string, s, x member.Member, at, now time.Time) (member.Member, error) {
	return mergeMember(ctx, a.tx, tenant, eventID, s, x, at, now)
}

// AttachIdentity gives a member a customer id or an email.
func (a accountTx) AttachIdentity(ctx context.Context, tenant string, id member.Identity, memberID string, now time.Time) error {
	_, err := a.tx.Exec(ctx, insertIdentity, tenant, id.Kind, id.Connector, id.Value, memberID, now)
	return err
}

// SetPhone gives a member a phone.
func (a accountTx) SetPhone(ctx context.Context, memberID, phone string, now time.Time) error {
	_, err := a.tx.Exec(ctx, `UPDATE members SET phone = $1, updated_at = $2 WHERE id = $3`, phone, now, memberID)
	return err
}

// lockCandidates locks, in id order, every member ref's phone, customer id
// and email find. The lookups that follow lock them again as they find
// them, which then waits for nobody: two transactions merging the same
// members never hold one each while waiting for the other's.
func lockCandidates(ctx context.Context, tx pgx.Tx, tenant string, ref store.AccountRef) error {
	var kinds, conns, values []string
	phone := ""
	for _, id := range ref.Identities() {
		id, err := store.LookupIdentity(id)
		switch {
		case err != nil:
		case id.Kind == member.IdentityPhone:
			phone = id.Value
		default:
			kinds, conns, values = append(kinds, id.Kind), append(conns, id.Connector), append(values, id.Value)
		}
	}
	if _, err := tx.Exec(ctx, `SELECT id FROM members WHERE tenant = $1 AND id IN (
			SELECT member_id FROM member_identities WHERE tenant = $1
				AND (kind, connector, value) IN (SELECT * FROM unnest($2::text[], $3::text[], $4::text[]))
			UNION ALL
			SELECT id FROM members WHERE tenant = $1 AND phone = $5 AND $5 <> '')
		ORDER BY id FOR NO KEY UPDATE`, tenant, kinds, conns, values, phone); err != nil {
		return fmt.Errorf("locking the members to look up: %w", err)
	}
	return nil
}

// createMember inserts a member found by first, the ref's first identity,
// and locks it. A concurrent first event for the same identity makes the
// insert wait for it; when it commits, this one finds its member. An
// insert that does nothing without such a member met a referral code
// already taken, and is tried again with another.
func createMember(ctx context.Context, tx pgx.Tx, tenant string, ref store.AccountRef, first member.Identity,
	at, now time.Time) (member.Member, bool, error) {
	for range maxCodeAttempts {
		m := member.Member{ID: store.NewMemberID(), Phone: ref.Phone}
		created := true
		if first.Kind != member.IdentityPhone {
			tag, err := tx.Exec(ctx, insertIdentity, tenant, first.Kind, first.Connector, first.Value, m.ID, now)
			if err != nil {
				return member.Member{}, false, fmt.Errorf("creating the member: %w", err)
			}
			created = tag.RowsAffected() == 1
		}
		if created {
			tag, err := tx.Exec(ctx, `INSERT INTO members (id, tenant, phone, name, email, balance, pending, created_at, updated_at,
				referral_code)
				VALUES ($1, $2, $3, '', '', 0, 0, $4, $5, $6)
				ON CONFLICT DO NOTHING`, m.ID, tenant, store.StoredPhone(m), store.StampOr(at, now), now, member.NewReferralCode())
			if err != nil {
				return member.Member{}, false, fmt.Errorf("creating the member: %w", err)
			}
			created = tag.RowsAffected() == 1
			if !created && first.Kind != member.IdentityPhone {
				// The referral code was taken: the identity goes with
				// the next attempt's member.
				if _, err := tx.Exec(ctx, `DELETE FROM member_identities WHERE member_id = $1`, m.ID); err != nil {
					return member.Member{}, false, fmt.Errorf("creating the member: %w", err)
				}
				continue
			}
		}
		found, err := memberByIdentity(ctx, tx, tenant, first, forUpdate)
		if !errors.Is(err, store.ErrNotFound) {
			return found, created && err == nil, err
		}
	}
	return member.Member{}, false, fmt.Errorf("creating the member: no free referral code after %d attempts", maxCodeAttempts)
}

// The statements that move what an absorbed member ($2) has to the
// survivor ($1) of tenant $3, in order; the absorbed member's row goes last.
// Lots are found through the ledger entries that made them (every lot has
// one; the ledger is indexed by member), so they move first.
var mergeSteps = []struct{ what, query string }{
	{"moving lots", `UPDATE lots SET member_id = $1 WHERE tenant = $3 AND member_id = $2
		AND id IN (SELECT lot_id FROM ledger_entries WHERE member_id = $2 AND lot_id <> '')`},
	{"moving ledger entries", `UPDATE ledger_entries SET member_id = $1 WHERE member_id = $2 AND tenant = $3`},
	{"moving orders", `UPDATE orders SET member_id = $1 WHERE member_id = $2 AND tenant = $3`},
	{"moving redemptions", `UPDATE redemptions SET member_id = $1 WHERE tenant = $3 AND member_id = $2`},
	{"moving messages", `UPDATE messages SET member_id = $1 WHERE tenant = $3 AND member_id = $2`},
	{"moving counters", `INSERT INTO loyalty_counters (tenant, member_id, key, value)
		SELECT tenant, $1, key, value FROM loyalty_counters WHERE tenant = $3 AND member_id = $2
		ON CONFLICT (tenant, member_id, key) DO UPDATE SET value = loyalty_counters.value + excluded.value`},
	{"moving counters", `DELETE FROM loyalty_counters WHERE tenant = $3 AND member_id = $2 AND $1 <> ''`},
	{"moving badges", `INSERT INTO member_badges (tenant, member_id, badge, event_id, awarded_at)
		SELECT tenant, $1, badge, event_id, awarded_at FROM member_badges WHERE tenant = $3 AND member_id = $2
		ON CONFLICT DO NOTHING`},
	{"moving badges", `DELETE FROM member_badges WHERE tenant = $3 AND member_id = $2 AND $1 <> ''`},
	{"moving the sync queue", `INSERT INTO sync_queue (tenant, connector, member_id, seq, queued_at)
		SELECT tenant, connector, $1, seq, queued_at FROM sync_queue WHERE tenant = $3 AND member_id = $2
		ON CONFLICT DO NOTHING`},
	{"moving the sync queue", `DELETE FROM sync_queue WHERE tenant = $3 AND member_id = $2 AND $1 <> ''`},
	{"moving referrals", `UPDATE members SET referred_by = $1
		WHERE tenant = $3 AND referred_by = $2 AND referred_by <> ''`},
	{"moving identities", `UPDATE member_identities SET member_id = $1 WHERE member_id = $2 AND tenant = $3`},
	{"retiring the merged member", `UPDATE members SET phone = '` + store.MergedPrefix + `' || id, name = '', email = '',
		balance = 0, pending = 0, tier = '', tier_since = NULL, tier_review_at = NULL, tier_manual = false, tier_manual_until = NULL,
		referral_code = '', referred_by = '', referral_status = '', referral_order = '', birthday = '', birthday_year = 0
		WHERE id = $2 AND tenant = $3 AND $1 <> ''`},
}

// mergeMember absorbs member x into member s, both locked (see
// store.PlanMerge and loyalty.Merge), and returns s as merged.
func mergeMember(ctx context.Context, tx pgx.Tx, tenant, eventID string, s, x member.Member, at, now time.Time) (member.Member, error) {
	for _, st := range mergeSteps {
		if _, err := tx.Exec(ctx, st.query, s.ID, x.ID, tenant); err != nil {
			return member.Member{}, fmt.Errorf("merging member %s: %s: %w", x.ID, st.what, err)
		}
	}
	if _, err := tx.Exec(ctx, insertIdentity, tenant, member.IdentityMerged, "", x.ID, s.ID, now); err != nil {
		return member.Member{}, fmt.Errorf("merging member %s: keeping its id: %w", x.ID, err)
	}
	lots, err := queryLots(ctx, tx, queryOpenLots, s.ID)
	if err != nil {
		return member.Member{}, err
	}
	merged, changed, entry, err := loyalty.Merge(store.LoyaltyMember(s), store.LoyaltyMember(x), lots, eventID, at)
	if err != nil {
		return member.Member{}, fmt.Errorf("merging member %s: %w", x.ID, err)
	}
	s = store.MergedMember(s, merged, now)
	var w writeBatch
	for _, l := range changed {
		w.queue("saving lot "+l.ID, `UPDATE lots SET remaining = $1 WHERE id = $2`, l.Remaining, l.ID)
	}
	queueEntry(&w, tenant, s.ID, entry, now)
	t, r := s.Tier, s.Referral
	w.queue("saving the member", `UPDATE members SET name = $1, email = $2, balance = $3, pending = $4,
		created_at = $5, updated_at = $6, tier = $7, tier_since = $8, tier_review_at = $9, tier_manual = $10,
		tier_manual_until = $11, referral_code = $12, referred_by = $13, referral_status = $14, referral_order = $15,
		birthday = $16, birthday_year = $17, anniversary_year = $19
		WHERE id = $18`,
		s.Name, s.Email, s.Balance, s.Pending, s.CreatedAt, now,
		t.Name, dbTimePtr(t.Since), dbTimePtr(t.ReviewAt), t.Manual, dbTimePtr(t.ManualUntil),
		r.Code, r.ReferredBy, r.Status, r.Order, s.Birthday, s.BirthdayYear, s.ID, s.AnniversaryYear)
	if p := store.MergedProfile(s.Profile, x.Profile); !p.Equal(s.Profile) {
		s.Profile = p
		if err := queueProfile(w.queue, s.ID, p); err != nil {
			return member.Member{}, fmt.Errorf("merging member %s: %w", x.ID, err)
		}
	}
	if err := w.send(ctx, tx, "merging member "+x.ID); err != nil {
		return member.Member{}, err
	}
	return s, nil
}

// queueEntry queues the insert of one ledger entry of a member.
func queueEntry(w *writeBatch, tenant, memberID string, e loyalty.Entry, now time.Time) {
	w.queue("inserting a "+e.Kind+" entry", `INSERT INTO ledger_entries
		(tenant, member_id, event_id, rule, kind, points, pending_points, balance_after, pending_after,
		 lot_id, order_id, ref_event_id, actor, reason, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		tenant, memberID, e.EventID, e.Rule, e.Kind, e.Points, e.PendingPoints, e.BalanceAfter, e.PendingAfter,
		e.LotID, e.OrderID, e.RefEventID, e.Actor, e.Reason, store.StampOr(e.At, now))
}
