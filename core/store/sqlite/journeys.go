package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

const journeyColumns = `tenant, journey, member_id, entry_id, step, due_at, status, reason, entered_at, updated_at, data`

func scanJourneyState(r rowScanner) (store.JourneyState, error) {
	var s store.JourneyState
	var due, entered, updated int64
	if err := r.Scan(&s.Tenant, &s.Journey, &s.MemberID, &s.EntryID, &s.Step, &due, &s.Status, &s.Reason,
		&entered, &updated, &s.Data); err != nil {
		return store.JourneyState{}, err
	}
	s.DueAt, s.EnteredAt, s.UpdatedAt = fromDB(due), fromDB(entered), fromDB(updated)
	return s, nil
}

const (
	// queryJourneyGoal ends a member's active state in a journey.
	queryJourneyGoal = `UPDATE journey_states SET status = 'exited', reason = ?, updated_at = ?
		WHERE tenant = ? AND journey = ? AND member_id = ? AND status = 'active'`
	// queryJourneyEntry enters a member, replacing a state they left
	// when re-entry allows.
	queryJourneyEntry = `INSERT INTO journey_states (` + journeyColumns + `)
		VALUES (?, ?, ?, ?, 0, ?, 'active', '', ?, ?, ?)
		ON CONFLICT (tenant, journey, member_id) DO UPDATE SET entry_id = excluded.entry_id, step = 0,
			due_at = excluded.due_at, status = 'active', reason = '', entered_at = excluded.entered_at,
			updated_at = excluded.updated_at, data = excluded.data
		WHERE journey_states.status <> 'active' AND ? AND journey_states.entered_at <= ?`
)

// writeJourneys writes a transaction's journey goals, then its entries.
func writeJourneys(ctx context.Context, tx *wtx, tenant string, goals []store.JourneyGoal, entries []store.JourneyEntry) error {
	for _, g := range goals {
		if _, err := tx.ExecContext(ctx, queryJourneyGoal, store.JourneyReasonGoal, toDB(g.At),
			tenant, g.Journey, g.MemberID); err != nil {
			return fmt.Errorf("ending journey %q of member %s: %w", g.Journey, g.MemberID, err)
		}
	}
	for _, e := range entries {
		cutoff, may := e.ReEntryCutoff()
		if _, err := tx.ExecContext(ctx, queryJourneyEntry, tenant, e.Journey, e.MemberID, e.EntryID,
			toDB(e.At), toDB(e.At), toDB(e.At), e.StoredData(), may, toDB(cutoff)); err != nil {
			return fmt.Errorf("entering member %s into journey %q: %w", e.MemberID, e.Journey, err)
		}
	}
	return nil
}

// EnterJourneys applies journey goals, then entries; see store.Journeys.
func (s *Store) EnterJourneys(ctx context.Context, tenant string, goals []store.JourneyGoal, entries []store.JourneyEntry) error {
	if len(goals) == 0 && len(entries) == 0 {
		return nil
	}
	return s.do(ctx, func(ctx context.Context, tx *wtx) error {
		return writeJourneys(ctx, tx, tenant, goals, entries)
	})
}

// DueJourneyStates leases the active journey states due at now; see
// store.Journeys.
func (s *Store) DueJourneyStates(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.JourneyState, error) {
	var out []store.JourneyState
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `UPDATE journey_states SET due_at = ?
			WHERE (tenant, journey, member_id) IN (SELECT tenant, journey, member_id FROM journey_states
				WHERE status = 'active' AND due_at <= ? ORDER BY due_at LIMIT ?)
			RETURNING `+journeyColumns, toDB(now.Add(lease)), toDB(now), store.ClampLimit(limit))
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			st, err := scanJourneyState(rows)
			if err != nil {
				return err
			}
			out = append(out, st)
		}
		return rows.Err()
	}); err != nil {
		return nil, fmt.Errorf("leasing due journey states: %w", err)
	}
	store.SortJourneyStates(out)
	return out, nil
}

// UpdateJourneyState writes a member's progress in a journey; see
// store.Journeys.
func (s *Store) UpdateJourneyState(ctx context.Context, st store.JourneyState) (bool, error) {
	var ok bool
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE journey_states SET step = ?, due_at = ?, status = ?, reason = ?, updated_at = ?
			WHERE tenant = ? AND journey = ? AND member_id = ? AND entry_id = ? AND status = 'active'`,
			st.Step, toDB(st.DueAt), st.Status, st.Reason, toDB(s.clock.Now()), st.Tenant, st.Journey, st.MemberID, st.EntryID)
		if err != nil {
			return err
		}
		ok = rowsAffected(res) == 1
		return nil
	}); err != nil {
		return false, fmt.Errorf("updating the journey state of member %s: %w", st.MemberID, err)
	}
	return ok, nil
}

// JourneyState returns a member's state in a journey; see store.Journeys.
func (s *Store) JourneyState(ctx context.Context, tenant, journey, memberID string) (store.JourneyState, error) {
	r, err := s.reads()
	if err != nil {
		return store.JourneyState{}, err
	}
	st, err := scanJourneyState(r.QueryRowContext(ctx, `SELECT `+journeyColumns+` FROM journey_states
		WHERE tenant = ? AND journey = ? AND member_id = ?`, tenant, journey, memberID))
	if err != nil {
		return store.JourneyState{}, fmt.Errorf("reading the journey state of member %s: %w", memberID, notFound(err))
	}
	return st, nil
}

// JourneyCounts counts a journey's members by status and step; see
// store.Journeys.
func (s *Store) JourneyCounts(ctx context.Context, tenant, journey string) ([]store.JourneyCount, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, `SELECT status, step, COUNT(*) FROM journey_states
		WHERE tenant = ? AND journey = ? GROUP BY status, step ORDER BY status, step`, tenant, journey)
	if err != nil {
		return nil, fmt.Errorf("counting journey states: %w", err)
	}
	defer rows.Close()
	var out []store.JourneyCount
	for rows.Next() {
		var c store.JourneyCount
		if err := rows.Scan(&c.Status, &c.Step, &c.Members); err != nil {
			return nil, fmt.Errorf("counting journey states: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting journey states: %w", err)
	}
	return out, nil
}
