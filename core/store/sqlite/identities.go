package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

const (
	queryIdentityMember = `SELECT member_id FROM member_identities
		WHERE tenant = ? AND kind = ? AND connector = ? AND value = ?`
	queryIdentities = `SELECT kind, connector, value FROM member_identities
		WHERE member_id = ? ORDER BY kind, connector, value`
	insertIdentity = `INSERT INTO member_identities (tenant, kind, connector, value, member_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`
)

// MemberByIdentity returns the member an identity finds; see
// store.Members.
func (s *Store) MemberByIdentity(ctx context.Context, tenant string, id member.Identity) (member.Member, error) {
	r, err := s.reads()
	if err != nil {
		return member.Member{}, err
	}
	m, err := memberByIdentity(ctx, r, tenant, id)
	if err == nil {
		m.Identities, err = identities(ctx, r, m)
	}
	if err != nil {
		return member.Member{}, fmt.Errorf("getting member by %s: %w", id.Kind, err)
	}
	return m, nil
}

// memberByIdentity finds the member of an identity.
func memberByIdentity(ctx context.Context, q queryer, tenant string, id member.Identity) (member.Member, error) {
	id, err := store.LookupIdentity(id)
	if err != nil {
		return member.Member{}, err
	}
	if id.Kind == member.IdentityPhone {
		return memberByPhone(ctx, q, tenant, id.Value)
	}
	var memberID string
	if err := q.QueryRowContext(ctx, queryIdentityMember, tenant, id.Kind, id.Connector, id.Value).Scan(&memberID); err != nil {
		return member.Member{}, notFound(err)
	}
	return scanMember(q.QueryRowContext(ctx,
		`SELECT `+memberColumns+` FROM members WHERE tenant = ? AND id = ?`, tenant, memberID))
}

// identities lists a member's identities: its phone first, then the
// others by kind.
func identities(ctx context.Context, q queryer, m member.Member) ([]member.Identity, error) {
	var out []member.Identity
	if m.Phone != "" && !strings.HasPrefix(m.Phone, store.RedactedPrefix) {
		out = append(out, member.Identity{Kind: member.IdentityPhone, Value: m.Phone})
	}
	rows, err := q.QueryContext(ctx, queryIdentities, m.ID)
	if err != nil {
		return nil, fmt.Errorf("listing identities: %w", err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var id member.Identity
		if err := rows.Scan(&id.Kind, &id.Connector, &id.Value); err != nil {
			return nil, fmt.Errorf("listing identities: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing identities: %w", err)
	}
	return out, nil
}

// ResolveMember finds, merges or makes the member ref names; a new member
// is inserted by WriteChanges.
func (a accountTx) ResolveMember(ctx context.Context, tenant, eventID string, ref store.AccountRef, at, now time.Time) (
	member.Member, bool, []string, error) {
	return store.ResolveMember(ctx, a, tenant, eventID, ref, at, now)
}

// LockCandidates does nothing: writes are serialized.
func (accountTx) LockCandidates(context.Context, string, store.AccountRef) error { return nil }

// MemberByID returns a member by id, or by the id of a member merged into
// it.
func (a accountTx) MemberByID(ctx context.Context, tenant, id string) (member.Member, error) {
	return memberByID(ctx, a.tx, tenant, id)
}

// MemberByIdentity returns the member an identity finds.
func (a accountTx) MemberByIdentity(ctx context.Context, tenant string, id member.Identity) (member.Member, error) {
	return memberByIdentity(ctx, a.tx, tenant, id)
}

// OrderMember returns the member of a stored order.
func (a accountTx) OrderMember(ctx context.Context, tenant, orderID string) (member.Member, error) {
	var memberID string
	if err := a.tx.QueryRowContext(ctx, `SELECT member_id FROM orders WHERE tenant = ? AND id = ?`,
		tenant, orderID).Scan(&memberID); err != nil {
		return member.Member{}, notFound(err)
	}
	return memberByID(ctx, a.tx, tenant, memberID)
}

// CreateMember makes a new member, not inserted yet, and gives it first.
func (a accountTx) CreateMember(ctx context.Context, tenant string, ref store.AccountRef, first member.Identity, at, now time.Time) (
	member.Member, bool, error) {
	m := member.Member{ID: store.NewMemberID(), Tenant: tenant, Phone: ref.Phone, CreatedAt: store.StampOr(at, now)}
	if first.Kind != member.IdentityPhone {
		if err := a.AttachIdentity(ctx, tenant, first, m.ID, now); err != nil {
			return member.Member{}, false, fmt.Errorf("saving the member's %s: %w", first.Kind, err)
		}
	}
	return m, true, nil
}

// MergeMember absorbs member x into member s.
func (a accountTx) MergeMember(ctx context.Context, tenant, eventID string, s, x member.Member, at, now time.Time) (member.Member, error) {
	return mergeMember(ctx, a.tx, tenant, eventID, s, x, at, now)
}

// AttachIdentity gives a member a customer id or an email.
func (a accountTx) AttachIdentity(ctx context.Context, tenant string, id member.Identity, memberID string, now time.Time) error {
	_, err := a.tx.ExecContext(ctx, insertIdentity, tenant, id.Kind, id.Connector, id.Value, memberID, toDB(now))
	return err
}

// SetPhone gives a member a phone.
func (a accountTx) SetPhone(ctx context.Context, memberID, phone string, now time.Time) error {
	_, err := a.tx.ExecContext(ctx, `UPDATE members SET phone = ?, updated_at = ? WHERE id = ?`, phone, toDB(now), memberID)
	return err
}

// The statements that move what an absorbed member (the second argument)
// has to the survivor (the first), in order; the absorbed member's row is
// emptied last (see store.MergedPrefix).
// Every statement names the survivor ?1, the absorbed member ?2 and the
// tenant ?3. Lots are found through the ledger entries that made them (every
// lot has one; the ledger is indexed by member), so they move first.
var mergeSteps = []struct{ what, query string }{
	{"moving lots", `UPDATE lots SET member_id = ?1 WHERE tenant = ?3 AND member_id = ?2
		AND id IN (SELECT lot_id FROM ledger_entries WHERE member_id = ?2 AND lot_id <> '')`},
	{"moving ledger entries", `UPDATE ledger_entries SET member_id = ?1 WHERE member_id = ?2 AND tenant = ?3`},
	{"moving orders", `UPDATE orders SET member_id = ?1 WHERE member_id = ?2 AND tenant = ?3`},
	{"moving redemptions", `UPDATE redemptions SET member_id = ?1 WHERE tenant = ?3 AND member_id = ?2`},
	{"moving messages", `UPDATE messages SET member_id = ?1 WHERE tenant = ?3 AND member_id = ?2`},
	{"moving counters", `INSERT INTO loyalty_counters (tenant, member_id, key, value)
		SELECT tenant, ?1, key, value FROM loyalty_counters WHERE tenant = ?3 AND member_id = ?2
		ON CONFLICT (tenant, member_id, key) DO UPDATE SET value = value + excluded.value`},
	{"moving counters", `DELETE FROM loyalty_counters WHERE tenant = ?3 AND member_id = ?2 AND ?1 <> ''`},
	{"moving badges", `INSERT INTO member_badges (tenant, member_id, badge, event_id, awarded_at)
		SELECT tenant, ?1, badge, event_id, awarded_at FROM member_badges WHERE tenant = ?3 AND member_id = ?2
		ON CONFLICT DO NOTHING`},
	{"moving badges", `DELETE FROM member_badges WHERE tenant = ?3 AND member_id = ?2 AND ?1 <> ''`},
	{"moving the sync queue", `INSERT INTO sync_queue (tenant, connector, member_id, seq, queued_at)
		SELECT tenant, connector, ?1, seq, queued_at FROM sync_queue WHERE tenant = ?3 AND member_id = ?2
		ON CONFLICT DO NOTHING`},
	{"moving the sync queue", `DELETE FROM sync_queue WHERE tenant = ?3 AND member_id = ?2 AND ?1 <> ''`},
	{"moving referrals", `UPDATE members SET referred_by = ?1
		WHERE tenant = ?3 AND referred_by = ?2 AND referred_by <> ''`},
	{"moving identities", `UPDATE member_identities SET member_id = ?1 WHERE member_id = ?2 AND tenant = ?3`},
	{"retiring the merged member", `UPDATE members SET phone = '` + store.MergedPrefix + `' || id, name = '', email = '',
		balance = 0, pending = 0, tier = '', tier_since = NULL, tier_review_at = NULL, tier_manual = 0, tier_manual_until = NULL,
		referral_code = '', referred_by = '', referral_status = '', referral_order = '', birthday = '', birthday_year = 0
		WHERE id = ?2 AND tenant = ?3 AND ?1 <> ''`},
}

// mergeMember absorbs member x into member s (see store.PlanMerge and
// loyalty.Merge) and returns s as merged.
func mergeMember(ctx context.Context, tx *wtx, tenant, eventID string, s, x member.Member, at, now time.Time) (member.Member, error) {
	for _, st := range mergeSteps {
		if _, err := tx.ExecContext(ctx, st.query, s.ID, x.ID, tenant); err != nil {
			return member.Member{}, fmt.Errorf("merging member %s: %s: %w", x.ID, st.what, err)
		}
	}
	if _, err := tx.ExecContext(ctx, insertIdentity, tenant, member.IdentityMerged, "", x.ID, s.ID, toDB(now)); err != nil {
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
	for _, l := range changed {
		if _, err := tx.ExecContext(ctx, `UPDATE lots SET remaining = ? WHERE id = ?`, l.Remaining, l.ID); err != nil {
			return member.Member{}, fmt.Errorf("merging member %s: saving lot %s: %w", x.ID, l.ID, err)
		}
	}
	if err := insertEntry(ctx, tx, tenant, s.ID, entry, now); err != nil {
		return member.Member{}, fmt.Errorf("merging member %s: %w", x.ID, err)
	}
	s = store.MergedMember(s, merged, now)
	t, r := s.Tier, s.Referral
	if _, err := tx.ExecContext(ctx, `UPDATE members SET name = ?, email = ?, balance = ?, pending = ?,
		created_at = ?, updated_at = ?, tier = ?, tier_since = ?, tier_review_at = ?, tier_manual = ?, tier_manual_until = ?,
		referral_code = ?, referred_by = ?, referral_status = ?, referral_order = ?, birthday = ?, birthday_year = ?,
		anniversary_year = ? WHERE id = ?`,
		s.Name, s.Email, s.Balance, s.Pending, toDB(s.CreatedAt), toDB(s.UpdatedAt),
		t.Name, dbTime(t.Since), dbTime(t.ReviewAt), t.Manual, dbTime(t.ManualUntil),
		r.Code, r.ReferredBy, r.Status, r.Order, s.Birthday, s.BirthdayYear, s.AnniversaryYear, s.ID); err != nil {
		return member.Member{}, fmt.Errorf("merging member %s: saving the member: %w", x.ID, err)
	}
	if p := store.MergedProfile(s.Profile, x.Profile); !p.Equal(s.Profile) {
		s.Profile = p
		if err := writeProfile(ctx, tx, s.ID, p); err != nil {
			return member.Member{}, fmt.Errorf("merging member %s: %w", x.ID, err)
		}
	}
	return s, nil
}

// insertEntry appends one ledger entry of a member.
func insertEntry(ctx context.Context, tx *wtx, tenant, memberID string, e loyalty.Entry, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_entries
		(tenant, member_id, event_id, rule, kind, points, pending_points, balance_after, pending_after,
		 lot_id, order_id, ref_event_id, actor, reason, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tenant, memberID, e.EventID, e.Rule, e.Kind, e.Points, e.PendingPoints, e.BalanceAfter, e.PendingAfter,
		e.LotID, e.OrderID, e.RefEventID, e.Actor, e.Reason, toDB(store.StampOr(e.At, now))); err != nil {
		return fmt.Errorf("inserting a %s entry: %w", e.Kind, err)
	}
	return nil
}
