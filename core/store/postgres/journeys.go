package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

const journeyColumns = `tenant, journey, member_id, entry_id, step, due_at, status, reason, entered_at, updated_at, data,
	wait_for, wait_since, wait_deadline`

func scanJourneyState(r pgx.Row) (store.JourneyState, error) {
	var s store.JourneyState
	if err := r.Scan(&s.Tenant, &s.Journey, &s.MemberID, &s.EntryID, &s.Step, &s.DueAt, &s.Status, &s.Reason,
		&s.EnteredAt, &s.UpdatedAt, &s.Data, &s.WaitFor, &s.WaitSince, &s.WaitDeadline); err != nil {
		return store.JourneyState{}, err
	}
	s.DueAt, s.EnteredAt, s.UpdatedAt = s.DueAt.UTC(), s.EnteredAt.UTC(), s.UpdatedAt.UTC()
	s.WaitSince, s.WaitDeadline = zeroTime(s.WaitSince), zeroTime(s.WaitDeadline)
	return s, nil
}

const (
	// queryJourneyGoal ends a member's active state in a journey.
	queryJourneyGoal = `UPDATE journey_states SET status = 'exited', reason = $1, updated_at = $2
		WHERE tenant = $3 AND journey = $4 AND member_id = $5 AND status = 'active'`
	// queryJourneyEntry enters a member, replacing a state they left
	// when re-entry allows.
	queryJourneyEntry = `INSERT INTO journey_states AS j (` + journeyColumns + `)
		VALUES ($1, $2, $3, $4, 0, $5, 'active', '', $5, $5, $8, '', $9, $9)
		ON CONFLICT (tenant, journey, member_id) DO UPDATE SET entry_id = excluded.entry_id, step = 0,
			due_at = excluded.due_at, status = 'active', reason = '', entered_at = excluded.entered_at,
			updated_at = excluded.updated_at, data = excluded.data, wait_for = '', wait_since = $9, wait_deadline = $9
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
			tenant, e.Journey, e.MemberID, e.EntryID, dbTime(e.At), may, dbTime(cutoff), e.StoredData(), time.Time{})
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
		RETURNING j.tenant, j.journey, j.member_id, j.entry_id, j.step, j.due_at, j.status, j.reason, j.entered_at, j.updated_at, j.data,
			j.wait_for, j.wait_since, j.wait_deadline`,
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
	tag, err := p.Exec(ctx, `UPDATE journey_states SET step = $1, due_at = $2, status = $3, reason = $4, updated_at = $5,
			wait_for = $10, wait_since = $11, wait_deadline = $12
		WHERE tenant = $6 AND journey = $7 AND member_id = $8 AND entry_id = $9 AND status = 'active'`,
		st.Step, dbTime(st.DueAt), st.Status, st.Reason, dbTime(s.clock.Now()), st.Tenant, st.Journey, st.MemberID, st.EntryID,
		st.WaitFor, dbTime(st.WaitSince), dbTime(st.WaitDeadline))
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

// zeroTime reads a time column whose default is the zero time.
func zeroTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// queryJourneyWake wakes the states waiting for an event that came: a
// message from the member's phone (inbound_messages_phone) or an order of
// the member (orders_member; a member id is unique across tenants), found
// by journey_states_waiting.
const queryJourneyWake = `UPDATE journey_states j SET due_at = $1
	WHERE status = 'active' AND wait_for <> '' AND due_at > $1 AND due_at = wait_deadline AND (
		(wait_for = 'reply' AND EXISTS (SELECT 1 FROM members m JOIN inbound_messages i ON i.tenant = m.tenant AND i.phone = m.phone
			WHERE m.id = j.member_id AND m.phone <> '' AND i.phone <> '' AND i.at >= j.wait_since AND i.at <= $1))
		OR (wait_for = 'order' AND EXISTS (SELECT 1 FROM orders o
			WHERE o.member_id = j.member_id AND o.created_at >= j.wait_since AND o.created_at <= $1)))`

// WakeJourneyStates makes due the states whose awaited event came; see
// store.Journeys.
func (s *Store) WakeJourneyStates(ctx context.Context, now time.Time) (int64, error) {
	p, err := s.db()
	if err != nil {
		return 0, err
	}
	tag, err := p.Exec(ctx, queryJourneyWake, dbTime(now))
	if err != nil {
		return 0, fmt.Errorf("waking waiting journey states: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Queries of JourneyEventCame: a message from the member's phone, an
// order of the member, at or after since and at or before until.
const (
	queryJourneyReplied = `SELECT EXISTS (SELECT 1 FROM members m JOIN inbound_messages i ON i.tenant = m.tenant AND i.phone = m.phone
		WHERE m.id = $1 AND m.tenant = $2 AND m.phone <> '' AND i.phone <> '' AND i.at >= $3 AND i.at <= $4)`
	queryJourneyOrdered = `SELECT EXISTS (SELECT 1 FROM orders
		WHERE member_id = $1 AND created_at >= $2 AND created_at <= $3)`
)

// JourneyEventCame reports whether a state's awaited event came; see
// store.Journeys.
func (s *Store) JourneyEventCame(ctx context.Context, st store.JourneyState, until time.Time) (bool, error) {
	q, args := queryJourneyReplied, []any{st.MemberID, st.Tenant, dbTime(st.WaitSince), dbTime(until)}
	switch st.WaitFor {
	case store.JourneyWaitReply:
	case store.JourneyWaitOrder:
		q, args = queryJourneyOrdered, []any{st.MemberID, dbTime(st.WaitSince), dbTime(until)}
	default:
		return false, fmt.Errorf("reading journey events: %q is not an event a state waits for", st.WaitFor)
	}
	p, err := s.db()
	if err != nil {
		return false, err
	}
	var came bool
	if err := p.QueryRow(ctx, q, args...).Scan(&came); err != nil {
		return false, fmt.Errorf("reading journey events of member %s: %w", st.MemberID, err)
	}
	return came, nil
}

// TagMember changes a member's tags in one transaction; see
// store.MemberTags.
func (s *Store) TagMember(ctx context.Context, tenant, memberID string, add, remove []string) ([]string, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	var out []string
	err = pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		var raw []byte
		if err := tx.QueryRow(ctx, `SELECT tags FROM members WHERE id = $1 AND tenant = $2 FOR UPDATE`, memberID, tenant).Scan(&raw); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return store.ErrNotFound
			}
			return err
		}
		var tags string
		var err error
		if out, tags, err = store.RetagMember(raw, add, remove); err != nil || tags == "" {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE members SET tags = $1::jsonb, updated_at = $2 WHERE id = $3`, tags, dbTime(s.clock.Now()), memberID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("tagging member %s: %w", memberID, err)
	}
	return out, nil
}
