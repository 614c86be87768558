package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

const memberColumns = `id, tenant, phone, name, email, balance, created_at, updated_at`

func scanMember(r pgx.Row) (member.Member, error) {
	var m member.Member
	if err := r.Scan(&m.ID, &m.Tenant, &m.Phone, &m.Name, &m.Email, &m.Balance, &m.CreatedAt, &m.UpdatedAt); err != nil {
		return member.Member{}, notFound(err)
	}
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	return m, nil
}

const entryColumns = `id, tenant, member_id, event_id, rule, kind, points, balance_after, reason, created_at`

func scanEntry(r pgx.Row) (store.LedgerEntry, error) {
	var e store.LedgerEntry
	if err := r.Scan(&e.ID, &e.Tenant, &e.MemberID, &e.EventID, &e.Rule, &e.Kind, &e.Points,
		&e.BalanceAfter, &e.Reason, &e.CreatedAt); err != nil {
		return store.LedgerEntry{}, notFound(err)
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return e, nil
}

// MemberByPhone returns the tenant's member with the E.164 phone.
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
	if err != nil {
		return member.Member{}, fmt.Errorf("getting member: %w", err)
	}
	return m, nil
}

func memberByID(ctx context.Context, q querier, tenant, id string) (member.Member, error) {
	return scanMember(q.QueryRow(ctx,
		`SELECT `+memberColumns+` FROM members WHERE tenant = $1 AND id = $2`, tenant, id))
}

func entryByKey(ctx context.Context, q querier, a store.Award) (store.LedgerEntry, error) {
	return scanEntry(q.QueryRow(ctx,
		`SELECT `+entryColumns+` FROM ledger_entries WHERE tenant = $1 AND event_id = $2 AND rule = $3`,
		a.Tenant, a.EventID, a.Rule))
}

// Award credits a.Points to the member with a.Phone in one transaction; see
// store.Ledger. The entry's time is a.At (now when zero).
func (s *Store) Award(ctx context.Context, a store.Award) (member.Member, store.LedgerEntry, bool, error) {
	if err := a.Validate(); err != nil {
		return member.Member{}, store.LedgerEntry{}, false, fmt.Errorf("awarding points: %w", err)
	}
	p, err := s.db()
	if err != nil {
		return member.Member{}, store.LedgerEntry{}, false, err
	}
	m, e, created, err := award(ctx, p, a)
	if errors.Is(err, errLostRace) {
		// A concurrent award of the same event committed first: report it.
		m, e, err = existingAward(ctx, p, a)
	}
	if err != nil {
		return member.Member{}, store.LedgerEntry{}, false, fmt.Errorf("awarding points: %w", err)
	}
	return m, e, created, nil
}

var errLostRace = errors.New("entry inserted concurrently")

func award(ctx context.Context, q interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}, a store.Award) (member.Member, store.LedgerEntry, bool, error) {
	tx, err := q.Begin(ctx)
	if err != nil {
		return member.Member{}, store.LedgerEntry{}, false, err
	}
	defer func() { _ = tx.Rollback(ctx) }()

	e, err := entryByKey(ctx, tx, a)
	switch {
	case err == nil:
		m, err := memberByID(ctx, tx, a.Tenant, e.MemberID)
		if err != nil {
			return member.Member{}, store.LedgerEntry{}, false, fmt.Errorf("reading the entry's member: %w", err)
		}
		return m, e, false, nil
	case !errors.Is(err, store.ErrNotFound):
		return member.Member{}, store.LedgerEntry{}, false, fmt.Errorf("looking up the entry: %w", err)
	}

	now := store.Stamp(time.Now())
	if _, err := tx.Exec(ctx, `INSERT INTO members (`+memberColumns+`) VALUES ($1, $2, $3, '', '', 0, $4, $4)
		ON CONFLICT (tenant, phone) DO NOTHING`, store.NewMemberID(), a.Tenant, a.Phone, now); err != nil {
		return member.Member{}, store.LedgerEntry{}, false, fmt.Errorf("creating the member: %w", err)
	}
	// The row lock queues awards to one member, so balance_after is exact.
	m, err := scanMember(tx.QueryRow(ctx, `SELECT `+memberColumns+` FROM members
		WHERE tenant = $1 AND phone = $2 FOR UPDATE`, a.Tenant, a.Phone))
	if err != nil {
		return member.Member{}, store.LedgerEntry{}, false, fmt.Errorf("locking the member: %w", err)
	}

	e = store.LedgerEntry{
		Tenant: a.Tenant, MemberID: m.ID, EventID: a.EventID, Rule: a.Rule, Kind: store.EntryEarn,
		Points: a.Points, BalanceAfter: m.Balance + a.Points, Reason: a.Reason, CreatedAt: store.Stamp(a.At),
	}
	err = tx.QueryRow(ctx, `INSERT INTO ledger_entries
		(tenant, member_id, event_id, rule, kind, points, balance_after, reason, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (tenant, event_id, rule) DO NOTHING RETURNING id`,
		e.Tenant, e.MemberID, e.EventID, e.Rule, e.Kind, e.Points, e.BalanceAfter, e.Reason, e.CreatedAt,
	).Scan(&e.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return member.Member{}, store.LedgerEntry{}, false, errLostRace
	}
	if err != nil {
		return member.Member{}, store.LedgerEntry{}, false, fmt.Errorf("inserting the entry: %w", err)
	}

	m, err = scanMember(tx.QueryRow(ctx, `UPDATE members SET balance = $1,
		name = CASE WHEN name = '' THEN $2 ELSE name END,
		email = CASE WHEN email = '' THEN $3 ELSE email END,
		updated_at = $4
		WHERE id = $5 RETURNING `+memberColumns, e.BalanceAfter, a.Name, a.Email, now, m.ID))
	if err != nil {
		return member.Member{}, store.LedgerEntry{}, false, fmt.Errorf("updating the member: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return member.Member{}, store.LedgerEntry{}, false, fmt.Errorf("committing: %w", err)
	}
	return m, e, true, nil
}

func existingAward(ctx context.Context, q querier, a store.Award) (member.Member, store.LedgerEntry, error) {
	e, err := entryByKey(ctx, q, a)
	if err != nil {
		return member.Member{}, store.LedgerEntry{}, fmt.Errorf("reading the existing entry: %w", err)
	}
	m, err := memberByID(ctx, q, a.Tenant, e.MemberID)
	if err != nil {
		return member.Member{}, store.LedgerEntry{}, fmt.Errorf("reading the entry's member: %w", err)
	}
	return m, e, nil
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
