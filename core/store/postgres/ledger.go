package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

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

func scanMember(r pgx.Row) (member.Member, error) {
	var m member.Member
	var tags, attributes []byte
	if err := r.Scan(&m.ID, &m.Tenant, &m.Phone, &m.Name, &m.Email, &m.Balance, &m.Pending,
		&m.CreatedAt, &m.UpdatedAt, &m.Tier.Name, &m.Tier.Since, &m.Tier.ReviewAt, &m.Tier.Manual, &m.Tier.ManualUntil,
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
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	m.Tier.Since, m.Tier.ReviewAt, m.Tier.ManualUntil = utcPtr(m.Tier.Since), utcPtr(m.Tier.ReviewAt), utcPtr(m.Tier.ManualUntil)
	return m, nil
}

const entryColumns = `id, tenant, member_id, event_id, rule, kind, points, balance_after,
	pending_points, pending_after, lot_id, order_id, ref_event_id, actor, reason, created_at`

func scanEntry(r pgx.Row) (store.LedgerEntry, error) {
	var e store.LedgerEntry
	if err := r.Scan(&e.ID, &e.Tenant, &e.MemberID, &e.EventID, &e.Rule, &e.Kind, &e.Points,
		&e.BalanceAfter, &e.PendingPoints, &e.PendingAfter, &e.LotID, &e.OrderID, &e.RefEventID,
		&e.Actor, &e.Reason, &e.CreatedAt); err != nil {
		return store.LedgerEntry{}, notFound(err)
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return e, nil
}

// MemberByPhone returns the tenant's member with the phone (its canonical
// key).
func (s *Store) MemberByPhone(ctx context.Context, tenant, phone string) (member.Member, error) {
	p, err := s.db()
	if err != nil {
		return member.Member{}, err
	}
	m, err := scanMember(p.QueryRow(ctx,
		`SELECT `+memberColumns+` FROM members WHERE tenant = $1 AND phone = $2`, tenant, phone))
	if err != nil {
		return member.Member{}, fmt.Errorf("getting member by phone: %w", err)
	}
	return m, nil
}

// Member returns the tenant's member with id.
func (s *Store) Member(ctx context.Context, tenant, id string) (member.Member, error) {
	p, err := s.db()
	if err != nil {
		return member.Member{}, err
	}
	m, err := memberByID(ctx, p, tenant, id)
	if err == nil {
		m.Identities, err = identities(ctx, p, m)
	}
	if err != nil {
		return member.Member{}, fmt.Errorf("getting member: %w", err)
	}
	return m, nil
}

// memberByID finds a member by id, or by the id of a member merged into
// it.
func memberByID(ctx context.Context, q querier, tenant, id string) (member.Member, error) {
	m, err := scanMember(q.QueryRow(ctx,
		`SELECT `+memberColumns+` FROM members WHERE tenant = $1 AND id = $2`, tenant, id))
	if errors.Is(err, store.ErrNotFound) {
		return memberByIdentity(ctx, q, tenant, member.Identity{Kind: member.IdentityMerged, Value: id}, "")
	}
	return m, err
}

// Entries lists a member's ledger, newest first; limit defaults to 100 and is
// capped at 1000.
func (s *Store) Entries(ctx context.Context, tenant, memberID string, limit int) ([]store.LedgerEntry, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT `+entryColumns+` FROM ledger_entries
		WHERE member_id = $1 AND tenant = $2 ORDER BY id DESC LIMIT $3`, memberID, tenant, store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing ledger entries: %w", err)
	}
	es, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.LedgerEntry, error) { return scanEntry(r) })
	if err != nil {
		return nil, fmt.Errorf("listing ledger entries: %w", err)
	}
	return es, nil
}
