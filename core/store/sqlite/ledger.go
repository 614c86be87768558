package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

const memberColumns = `id, tenant, phone, name, email, balance, created_at, updated_at`

func scanMember(r rowScanner) (member.Member, error) {
	var m member.Member
	var created, updated int64
	if err := r.Scan(&m.ID, &m.Tenant, &m.Phone, &m.Name, &m.Email, &m.Balance, &created, &updated); err != nil {
		return member.Member{}, notFound(err)
	}
	m.CreatedAt, m.UpdatedAt = fromDB(created), fromDB(updated)
	return m, nil
}

const entryColumns = `id, tenant, member_id, event_id, rule, kind, points, balance_after, reason, created_at`

func scanEntry(r rowScanner) (store.LedgerEntry, error) {
	var e store.LedgerEntry
	var created int64
	if err := r.Scan(&e.ID, &e.Tenant, &e.MemberID, &e.EventID, &e.Rule, &e.Kind, &e.Points,
		&e.BalanceAfter, &e.Reason, &created); err != nil {
		return store.LedgerEntry{}, notFound(err)
	}
	e.CreatedAt = fromDB(created)
	return e, nil
}

// MemberByPhone returns the tenant's member with the E.164 phone.
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
	if err != nil {
		return member.Member{}, fmt.Errorf("getting member: %w", err)
	}
	return m, nil
}

func memberByPhone(ctx context.Context, q queryer, tenant, phone string) (member.Member, error) {
	return scanMember(q.QueryRowContext(ctx,
		`SELECT `+memberColumns+` FROM members WHERE tenant = ? AND phone = ?`, tenant, phone))
}

func memberByID(ctx context.Context, q queryer, tenant, id string) (member.Member, error) {
	return scanMember(q.QueryRowContext(ctx,
		`SELECT `+memberColumns+` FROM members WHERE tenant = ? AND id = ?`, tenant, id))
}

// Award credits a.Points to the member with a.Phone in one transaction; see
// store.Ledger. The entry's time is a.At (now when zero).
func (s *Store) Award(ctx context.Context, a store.Award) (member.Member, store.LedgerEntry, bool, error) {
	if err := a.Validate(); err != nil {
		return member.Member{}, store.LedgerEntry{}, false, fmt.Errorf("awarding points: %w", err)
	}
	var (
		m       member.Member
		e       store.LedgerEntry
		created bool
	)
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		var err error
		m, e, created, err = award(ctx, tx, a)
		return err
	})
	if err != nil {
		return member.Member{}, store.LedgerEntry{}, false, fmt.Errorf("awarding points: %w", err)
	}
	return m, e, created, nil
}

func award(ctx context.Context, tx *wtx, a store.Award) (member.Member, store.LedgerEntry, bool, error) {
	// The IMMEDIATE transaction holds the write lock, so nothing changes
	// between these reads and the writes below.
	e, err := scanEntry(tx.QueryRowContext(ctx,
		`SELECT `+entryColumns+` FROM ledger_entries WHERE tenant = ? AND event_id = ? AND rule = ?`,
		a.Tenant, a.EventID, a.Rule))
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
	m, err := memberByPhone(ctx, tx, a.Tenant, a.Phone)
	isNew := errors.Is(err, store.ErrNotFound)
	if err != nil && !isNew {
		return member.Member{}, store.LedgerEntry{}, false, fmt.Errorf("looking up the member: %w", err)
	}
	if isNew {
		m = member.Member{ID: store.NewMemberID(), Tenant: a.Tenant, Phone: a.Phone, CreatedAt: now}
	}
	if m.Name == "" {
		m.Name = a.Name
	}
	if m.Email == "" {
		m.Email = a.Email
	}
	m.Balance += a.Points
	m.UpdatedAt = now
	if isNew {
		_, err = tx.ExecContext(ctx, `INSERT INTO members (`+memberColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.Tenant, m.Phone, m.Name, m.Email, m.Balance, toDB(m.CreatedAt), toDB(m.UpdatedAt))
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE members SET name = ?, email = ?, balance = ?, updated_at = ? WHERE id = ?`,
			m.Name, m.Email, m.Balance, toDB(m.UpdatedAt), m.ID)
	}
	if err != nil {
		return member.Member{}, store.LedgerEntry{}, false, fmt.Errorf("saving the member: %w", err)
	}

	e = store.LedgerEntry{
		Tenant: a.Tenant, MemberID: m.ID, EventID: a.EventID, Rule: a.Rule, Kind: store.EntryEarn,
		Points: a.Points, BalanceAfter: m.Balance, Reason: a.Reason, CreatedAt: store.Stamp(a.At),
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO ledger_entries
		(tenant, member_id, event_id, rule, kind, points, balance_after, reason, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.Tenant, e.MemberID, e.EventID, e.Rule, e.Kind, e.Points, e.BalanceAfter, e.Reason, toDB(e.CreatedAt),
	).Scan(&e.ID); err != nil {
		return member.Member{}, store.LedgerEntry{}, false, fmt.Errorf("inserting the entry: %w", err)
	}
	return m, e, true, nil
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
