package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

// QueueSync queues members for write-back; see store.SyncQueue. The ids
// are written sorted and once each, so that concurrent calls lock their
// rows in the same order and one statement touches a row once.
func (s *Store) QueueSync(ctx context.Context, tenant, connector string, memberIDs []string) error {
	if tenant == "" || connector == "" {
		return errors.New("queueing members to sync: tenant and connector are required")
	}
	if len(memberIDs) == 0 {
		return nil
	}
	if slices.Contains(memberIDs, "") {
		return errors.New("queueing members to sync: empty member id")
	}
	p, err := s.db()
	if err != nil {
		return err
	}
	ids := slices.Compact(slices.Sorted(slices.Values(memberIDs)))
	if _, err := p.Exec(ctx, `INSERT INTO sync_queue AS q (tenant, connector, member_id, seq, queued_at)
		SELECT $1, $2, id, 1, $4 FROM unnest($3::text[]) WITH ORDINALITY AS u (id, n) ORDER BY n
		ON CONFLICT (tenant, connector, member_id) DO UPDATE SET seq = q.seq + 1`,
		tenant, connector, ids, s.clock.Now()); err != nil {
		return fmt.Errorf("queueing members to sync: %w", err)
	}
	return nil
}

// PendingSync lists queued members, longest queued first; see
// store.SyncQueue.
func (s *Store) PendingSync(ctx context.Context, tenant, connector string, limit int) ([]store.SyncItem, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT member_id, seq FROM sync_queue WHERE tenant = $1 AND connector = $2
		ORDER BY queued_at, member_id LIMIT $3`, tenant, connector, store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing members to sync: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.SyncItem, error) {
		var it store.SyncItem
		err := r.Scan(&it.MemberID, &it.Seq)
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing members to sync: %w", err)
	}
	return items, nil
}

// DoneSync removes the synced items not queued again since; see
// store.SyncQueue.
func (s *Store) DoneSync(ctx context.Context, tenant, connector string, items []store.SyncItem) error {
	if len(items) == 0 {
		return nil
	}
	p, err := s.db()
	if err != nil {
		return err
	}
	ids := make([]string, len(items))
	seqs := make([]int64, len(items))
	for i, it := range items {
		ids[i], seqs[i] = it.MemberID, it.Seq
	}
	if _, err := p.Exec(ctx, `DELETE FROM sync_queue
		WHERE tenant = $1 AND connector = $2 AND (member_id, seq) IN (SELECT * FROM unnest($3::text[], $4::bigint[]))`,
		tenant, connector, ids, seqs); err != nil {
		return fmt.Errorf("removing synced members: %w", err)
	}
	return nil
}
