package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

const queryPendingSync = `SELECT member_id, seq FROM sync_queue WHERE tenant = ? AND connector = ?
	ORDER BY queued_at, member_id LIMIT ?`

// QueueSync queues members for write-back; see store.SyncQueue.
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
	now := s.clock.Now()
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		for _, id := range memberIDs {
			if err := queueSync(ctx, tx, tenant, connector, id, now); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("queueing members to sync: %w", err)
	}
	return nil
}

// PendingSync lists queued members, longest queued first; see
// store.SyncQueue.
func (s *Store) PendingSync(ctx context.Context, tenant, connector string, limit int) ([]store.SyncItem, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, queryPendingSync, tenant, connector, store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing members to sync: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var items []store.SyncItem
	for rows.Next() {
		var it store.SyncItem
		if err := rows.Scan(&it.MemberID, &it.Seq); err != nil {
			return nil, fmt.Errorf("listing members to sync: %w", err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
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
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		for _, it := range items {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sync_queue
				WHERE tenant = ? AND connector = ? AND member_id = ? AND seq = ?`,
				tenant, connector, it.MemberID, it.Seq); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("removing synced members: %w", err)
	}
	return nil
}

// queueSync queues one member for write-back, or counts a queued one again.
func queueSync(ctx context.Context, tx *wtx, tenant, connector, memberID string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO sync_queue (tenant, connector, member_id, seq, queued_at)
		VALUES (?, ?, ?, 1, ?) ON CONFLICT (tenant, connector, member_id) DO UPDATE SET seq = sync_queue.seq + 1`,
		tenant, connector, memberID, toDB(now)); err != nil {
		return fmt.Errorf("queueing member %s for write-back: %w", memberID, err)
	}
	return nil
}
