package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// memberRowColumns are the columns a new member's row is inserted with;
// its profile is written after (see writeProfile).
const memberRowColumns = `id, tenant, phone, name, email, balance, pending, created_at, updated_at,
	tier, tier_since, tier_review_at, tier_manual, tier_manual_until,
	referral_code, referred_by, referral_status, referral_order, birthday, birthday_year, anniversary_year`

// memberColumns are the columns scanMember reads.
const memberColumns = memberRowColumns + `, source, store, city, language, tags, attributes`

func scanMember(r rowScanner) (member.Member, error) {
	var m member.Member
	var created, updated int64
	var since, review, until sql.NullInt64
	var tags, attributes []byte
	if err := r.Scan(&m.ID, &m.Tenant, &m.Phone, &m.Name, &m.Email, &m.Balance, &m.Pending, &created, &updated,
		&m.Tier.Name, &since, &review, &m.Tier.Manual, &until,
		&m.Referral.Code, &m.Referral.ReferredBy, &m.Referral.Status, &m.Referral.Order, &m.Birthday, &m.BirthdayYear, &m.AnniversaryYear,
		&m.Profile.Source, &m.Profile.Store, &m.Profile.City, &m.Profile.Language, &tags, &attributes); err != nil {
		return member.Member{}, notFound(err)
	}
	if err := store.ReadProfileJSON(&m.Profile, tags, attributes); err != nil {
		return member.Member{}, fmt.Errorf("reading member %s: %w", m.ID, err)
	}
	if store.Merged(m.Phone) {
		return member.Member{}, store.ErrNotFound
	}
	m.Phone = store.PhoneOf(m.ID, m.Phone)
	m.CreatedAt, m.UpdatedAt = fromDB(created), fromDB(updated)
	m.Tier.Since, m.Tier.ReviewAt, m.Tier.ManualUntil = nullTime(since), nullTime(review), nullTime(until)
	return m, nil
}

const entryColumns = `id, tenant, member_id, event_id, rule, kind, points, balance_after,
	pending_points, pending_after, lot_id, order_id, ref_event_id, actor, reason, created_at`

func scanEntry(r rowScanner) (store.LedgerEntry, error) {
	var e store.LedgerEntry
	var created int64
	if err := r.Scan(&e.ID, &e.Tenant, &e.MemberID, &e.EventID, &e.Rule, &e.Kind, &e.Points,
		&e.BalanceAfter, &e.PendingPoints, &e.PendingAfter, &e.LotID, &e.OrderID, &e.RefEventID, &e.Actor, &e.Reason, &created); err != nil {
		return store.LedgerEntry{}, notFound(err)
	}
	e.CreatedAt = fromDB(created)
	return e, nil
}

// MemberByPhone returns the tenant's member with the phone (its canonical
// key).
func (s *Store) MemberByPhone(ctx context.Context, tenant, phone string) (member.Member, error) {
	r, err := s.reads()
	if err != nil {
		return member.Member{}, err
	}
	m, err := memberByPhone(ctx, r, tenant, phone)
	if err != nil {
		return member.Member{}, fmt.Errorf("getting member by phone: %w", err)
	}
	return m, nil
}

// Member returns the tenant's member with id.
func (s *Store) Member(ctx context.Context, tenant, id string) (member.Member, error) {
	r, err := s.reads()
	if err != nil {
		return member.Member{}, err
	}
	m, err := memberByID(ctx, r, tenant, id)
	if err == nil {
		m.Identities, err = identities(ctx, r, m)
	}
	if err != nil {
		return member.Member{}, fmt.Errorf("getting member: %w", err)
	}
	return m, nil
}

func memberByPhone(ctx context.Context, q queryer, tenant, phone string) (member.Member, error) {
	return scanMember(q.QueryRowContext(ctx,
		`SELECT `+memberColumns+` FROM members WHERE tenant = ? AND phone = ?`, tenant, phone))
}

// memberByID finds a member by id, or by the id of a member merged into
// it.
func memberByID(ctx context.Context, q queryer, tenant, id string) (member.Member, error) {
	m, err := scanMember(q.QueryRowContext(ctx,
		`SELECT `+memberColumns+` FROM members WHERE tenant = ? AND id = ?`, tenant, id))
	if errors.Is(err, store.ErrNotFound) {
		return memberByIdentity(ctx, q, tenant, member.Identity{Kind: member.IdentityMerged, Value: id})
	}
	return m, err
}

// Entries lists a member's ledger, newest first; limit defaults to 100 and is
// capped at 1000.
func (s *Store) Entries(ctx context.Context, tenant, memberID string, limit int) ([]store.LedgerEntry, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, `SELECT `+entryColumns+` FROM ledger_entries
		WHERE member_id = ? AND tenant = ? ORDER BY id DESC LIMIT ?`, memberID, tenant, store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing ledger entries: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var es []store.LedgerEntry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("listing ledger entries: %w", err)
		}
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing ledger entries: %w", err)
	}
	return es, nil
}
