package sqlite

import (
	"context"
	"fmt"

	"github.com/loyalhub/loyalhub/core/store"
)

// queryFunnelStatuses groups a period's messages by origin, status and
// code, with their cost, reading messages by messages_tenant_created and
// nothing else.
const queryFunnelStatuses = `SELECT origin, status,
	CASE WHEN status IN ('skipped', 'failed') THEN error_code ELSE '' END AS code, count(*), sum(cost)
FROM messages WHERE tenant = ?1 AND created_at >= ?2 AND created_at < ?3
	AND substr(origin, 1, length(?4)) = ?4
GROUP BY origin, status, code ORDER BY origin, status, code`

// FunnelStatuses counts a period's messages by status; see
// store.Analytics.
func (s *Store) FunnelStatuses(ctx context.Context, q store.FunnelQuery) ([]store.FunnelRow, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, queryFunnelStatuses, q.Tenant, toDB(q.From), toDB(q.To), q.OriginPrefix)
	if err != nil {
		return nil, fmt.Errorf("counting messages by status: %w", err)
	}
	defer rows.Close()
	var out []store.FunnelStatusRow
	for rows.Next() {
		var f store.FunnelStatusRow
		if err := rows.Scan(&f.Origin, &f.Status, &f.Code, &f.Messages, &f.Cost); err != nil {
			return nil, fmt.Errorf("counting messages by status: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting messages by status: %w", err)
	}
	return store.FoldFunnel(out), nil
}
