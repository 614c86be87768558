package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

const journeyColumns = `tenant, journey, member_id, entry_id, step, due_at, status, reason, entered_at, updated_at, data`

func scanJourneyState(r pgx.Row) (store.JourneyState, error) {
	var s store.JourneyState
	if err := r.Scan(&s.Tenant, &s.Journey, &s.MemberID, &s.EntryID, &s.Step, &s.DueAt, &s.Status, &s.Reason,
		&s.EnteredAt, &s.UpdatedAt, &s.Data); err != nil {
		return store.JourneyState{}, err
	}
	s.DueAt, s.EnteredAt, s.UpdatedAt = s.DueAt.UTC(), s.EnteredAt.UTC(), s.UpdatedAt.UTC()
	return s, nil
}

const (
	// queryJourneyGoal ends a member's active state in a journey.
	queryJourneyGoal = `UPDATE journey_states SET status = 'exited', reason = $1, updated_at = $2
		WHERE tenant = $3 AND journey = $4 AND member_id = $5 AND status = 'active'`
	// queryJourneyEntry enters a member, replacing a state they left
	// when re-entry allows.
	queryJourneyEntry = `INSERT INTO journey_states AS j (` + journeyColumns + `)
		VALUES ($1, $2, $3, $4, 0, $5, 'active', '', $5, $5, $8)
		ON CONFLICT (tenant, journey, member_id) DO UPDATE SET entry_id = excluded.entry_id, step = 0,
			due_at = excluded.due_at, status = 'active', reason = '', entered_at = excluded.entered_at,
			updated_at = excluded.updated_at, data = excluded.data
		WHERE j.status <> 'active' AND $6 AND j.entered_at <= $7`
)

// queueJourneys queues the writes of a transaction's journey goals, then
// its entries.
func queueJourneys(w *writeBatch, tenant string, goals []store.JourneyGoal, entries []store.JourneyEntry) {
	for _, g := range goals {
		w.queue(fmt.Sprintf("ending journey %q of member %s", g.Journey, g.MemberID), queryJourneyGoal,
			store.JourneyReasonGoal, dbTime(g.At), tenant, g.Journey, g.MemberID)
	}
	for _, e := range entries {
		cutoff, may := e.ReEntryCutoff()
		w.queue(fmt.Sprintf("entering member %s into journey %q", e.MemberID, e.Journey), queryJourneyEntry,
			tenant, e.Journey, e.MemberID, e.EntryID, dbTime(e.At), may, dbTime(cutoff), e.StoredData())
	}
}

// EnterJourneys applies journey goals, then entries; see store.Journeys.
func (s *Store) EnterJourneys(ctx context.Context, tenant string, goals []store.JourneyGoal, entries []store.JourneyEntry) error {
	if len(goals) == 0 && len(entries) == 0 {
		return nil
	}
	p, err := s.db()
	if err != nil {
		return err
	}
	var w writeBatch
	queueJourneys(&w, tenant, goals, entries)
	return pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		return w.send(ctx, tx, "entering journeys")
	})
}

// DueJourneyStates leases the active journey states due at now; see
// store.Journeys.
func (s *Store) DueJourneyStates(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.JourneyState, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `UPDATE journey_states j SET due_at = $1
		FROM (SELECT tenant, journey, member_id FROM journey_states
			WHERE status = 'active' AND due_at <= $2 ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED) d
		WHERE j.tenant = d.tenant AND j.journey = d.journey AND j.member_id = d.member_id
		RETURNING j.tenant, j.journey, j.member_id, j.entry_id, j.step, j.due_at, j.status, j.reason, j.entered_at, j.updated_at, j.data`,
		dbTime(now.Add(lease)), dbTime(now), store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("leasing due journey states: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.JourneyState, error) { return scanJourneyState(r) })
	if err != nil {
		return nil, fmt.Errorf("leasing due journey states: %w", err)
	}
	store.SortJourneyStates(out)
	return out, nil
}

// UpdateJourneyState writes a member's progress in a journey; see
// store.Journeys.
func (s *Store) UpdateJourneyState(ctx context.Context, st store.JourneyState) (bool, error) {
	p, err := s.db()
	if err != nil {
		return false, err
	}
	tag, err := p.Exec(ctx, `UPDATE journey_states SET step = $1, due_at = $2, status = $3, reason = $4, updated_at = $5
		WHERE tenant = $6 AND journey = $7 AND member_id = $8 AND entry_id = $9 AND status = 'active'`,
		st.Step, dbTime(st.DueAt), st.Status, st.Reason, dbTime(s.clock.Now()), st.Tenant, st.Journey, st.MemberID, st.EntryID)
	if err != nil {
		return false, fmt.Errorf("updating the journey state of member %s: %w", st.MemberID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// JourneyState returns a member's state in a journey; see store.Journeys.
func (s *Store) JourneyState(ctx context.Context, tenant, journey, memberID string) (store.JourneyState, error) {
	p, err := s.db()
	if err != nil {
		return store.JourneyState{}, err
	}
	st, err := scanJourneyState(p.QueryRow(ctx, `SELECT `+journeyColumns+` FROM journey_states
		WHERE tenant = $1 AND journey = $2 AND member_id = $3`, tenant, journey, memberID))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.JourneyState{}, fmt.Errorf("reading the journey state of member %s: %w", memberID, err)
	}
	return st, nil
}

// JourneyCounts counts a journey's members by status and step; see
// store.Journeys.
func (s *Store) JourneyCounts(ctx context.Context, tenant, journey string) ([]store.JourneyCount, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT status, step, COUNT(*) FROM journey_states
		WHERE tenant = $1 AND journey = $2 GROUP BY status, step ORDER BY status, step`, tenant, journey)
	if err != nil {
		return nil, fmt.Errorf("counting journey states: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[store.JourneyCount])
	if err != nil {
		return nil, fmt.Errorf("counting journey states: %w", err)
	}
	return out, nil
}
