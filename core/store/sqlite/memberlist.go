package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/loyalhub/loyalhub/core/store"
)

// ListMembers lists members by a filter; see store.MemberLists.
func (s *Store) ListMembers(ctx context.Context, tenant string, f store.MemberFilter) ([]store.ListedMember, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + memberColumns + `, COALESCE((SELECT marketing FROM contacts c
			WHERE c.tenant = members.tenant AND c.phone = members.phone), '')
		FROM members WHERE tenant = ? AND id > ? AND phone NOT LIKE '` + store.MergedPrefix + `%'`
	args := []any{tenant, f.After}
	if f.Query != "" {
		lower := strings.ToLower(f.Query)
		cond := `instr(lower(name), ?) > 0 OR instr(lower(email), ?) > 0`
		args = append(args, lower, lower)
		if d := store.PhoneDigits(f.Query); d != "" {
			cond += ` OR (phone <> id AND instr(phone, ?) > 0)`
			args = append(args, d)
		}
		q += ` AND (` + cond + `)`
	}
	for _, c := range []struct{ cond, value string }{
		{`tier = ?`, f.Tier},
		{`EXISTS (SELECT 1 FROM json_each(NULLIF(members.tags, '')) WHERE value = ?)`, f.Tag},
		{`store = ?`, f.Store},
		{`lower(city) = lower(?)`, f.City},
		{`source = ?`, f.Source},
	} {
		if c.value != "" {
			q += ` AND ` + c.cond
			args = append(args, c.value)
		}
	}
	if !f.JoinedAfter.IsZero() {
		q += ` AND created_at >= ?`
		args = append(args, toDB(f.JoinedAfter))
	}
	if !f.JoinedBefore.IsZero() {
		q += ` AND created_at < ?`
		args = append(args, toDB(f.JoinedBefore))
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, store.ClampMemberPage(f.Limit))
	rows, err := r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing members: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []store.ListedMember
	for rows.Next() {
		var l store.ListedMember
		if l.Member, err = scanMember(withExtra{rows, []any{&l.Consent}}); err != nil {
			return nil, fmt.Errorf("listing members: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing members: %w", err)
	}
	return out, nil
}

// withExtra scans a member's row that has more columns after the
// member's into extra.
type withExtra struct {
	r     rowScanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.r.Scan(append(dest, w.extra...)...) }
