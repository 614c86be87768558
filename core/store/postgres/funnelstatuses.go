package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

// queryFunnelStatuses groups a period's messages by origin, status and
// code, with their cost, reading messages by messages_tenant_created and
// nothing else.
const queryFunnelStatuses = `SELECT origin, status,
	CASE WHEN status IN ('skipped', 'failed') THEN error_code ELSE '' END AS code, count(*), sum(cost)::bigint
FROM messages WHERE tenant = $1 AND created_at >= $2 AND created_at < $3 AND starts_with(origin, $4)
GROUP BY origin, status, code ORDER BY origin, status, code`

// FunnelStatuses counts a period's messages by status; see
// store.Analytics.
func (s *Store) FunnelStatuses(ctx context.Context, q store.FunnelQuery) ([]store.FunnelRow, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, queryFunnelStatuses, q.Tenant, q.From, q.To, q.OriginPrefix)
	if err != nil {
		return nil, fmt.Errorf("counting messages by status: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.FunnelStatusRow, error) {
		var f store.FunnelStatusRow
		err := r.Scan(&f.Origin, &f.Status, &f.Code, &f.Messages, &f.Cost)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("counting messages by status: %w", err)
	}
	return store.FoldFunnel(out), nil
}
