package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

// ListMembers lists members by a filter; see store.MemberLists.
func (s *Store) ListMembers(ctx context.Context, tenant string, f store.MemberFilter) ([]store.ListedMember, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	args := []any{tenant, f.After}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	q := `SELECT ` + memberColumns + `, COALESCE((SELECT marketing FROM contacts c
			WHERE c.tenant = members.tenant AND c.phone = members.phone), '')
		FROM members WHERE tenant = $1 AND id > $2 AND phone NOT LIKE '` + store.MergedPrefix + `%'`
	if f.Query != "" {
		lower := arg(strings.ToLower(f.Query))
		cond := `strpos(lower(name), ` + lower + `) > 0 OR strpos(lower(email), ` + lower + `) > 0`
		if d := store.PhoneDigits(f.Query); d != "" {
			cond += ` OR (phone <> id AND strpos(phone, ` + arg(d) + `) > 0)`
		}
		q += ` AND (` + cond + `)`
	}
	if f.Tier != "" {
		q += ` AND tier = ` + arg(f.Tier)
	}
	if f.Tag != "" {
		q += ` AND tags @> jsonb_build_array(` + arg(f.Tag) + `::text)`
	}
	if f.Store != "" {
		q += ` AND store = ` + arg(f.Store)
	}
	if f.City != "" {
		q += ` AND lower(city) = lower(` + arg(f.City) + `)`
	}
	if f.Source != "" {
		q += ` AND source = ` + arg(f.Source)
	}
	if !f.JoinedAfter.IsZero() {
		q += ` AND created_at >= ` + arg(f.JoinedAfter)
	}
	if !f.JoinedBefore.IsZero() {
		q += ` AND created_at < ` + arg(f.JoinedBefore)
	}
	q += ` ORDER BY id LIMIT ` + arg(store.ClampMemberPage(f.Limit))
	rows, err := p.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing members: %w", err)
	}
	defer rows.Close()
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
	r     pgx.Row
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.r.Scan(append(dest, w.extra...)...) }
