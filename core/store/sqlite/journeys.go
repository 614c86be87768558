package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

const journeyColumns = `tenant, journey, member_id, entry_id, step, due_at, status, reason, entered_at, updated_at, data,
	wait_for, wait_since, wait_deadline`

func scanJourneyState(r rowScanner) (store.JourneyState, error) {
	var s store.JourneyState
	var due, entered, updated, since, deadline int64
	if err := r.Scan(&s.Tenant, &s.Journey, &s.MemberID, &s.EntryID, &s.Step, &due, &s.Status, &s.Reason,
		&entered, &updated, &s.Data, &s.WaitFor, &since, &deadline); err != nil {
		return store.JourneyState{}, err
	}
	s.DueAt, s.EnteredAt, s.UpdatedAt = fromDB(due), fromDB(entered), fromDB(updated)
	s.WaitSince, s.WaitDeadline = fromDBZero(since), fromDBZero(deadline)
	return s, nil
}

const (
	// queryJourneyGoal ends a member's active state in a journey.
	queryJourneyGoal = `UPDATE journey_states SET status = 'exited', reason = ?, updated_at = ?
		WHERE tenant = ? AND journey = ? AND member_id = ? AND status = 'active'`
	// queryJourneyEntry enters a member, replacing a state they left
	// when re-entry allows.
	queryJourneyEntry = `INSERT INTO journey_states (` + journeyColumns + `)
		VALUES (?, ?, ?, ?, 0, ?, 'active', '', ?, ?, ?, '', 0, 0)
		ON CONFLICT (tenant, journey, member_id) DO UPDATE SET entry_id = excluded.entry_id, step = 0,
			due_at = excluded.due_at, status = 'active', reason = '', entered_at = excluded.entered_at,
			updated_at = excluded.updated_at, data = excluded.data, wait_for = '', wait_since = 0, wait_deadline = 0
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
		res, err := tx.ExecContext(ctx, `UPDATE journey_states SET step = ?, due_at = ?, status = ?, reason = ?, updated_at = ?,
				wait_for = ?, wait_since = ?, wait_deadline = ?
			WHERE tenant = ? AND journey = ? AND member_id = ? AND entry_id = ? AND status = 'active'`,
			st.Step, toDB(st.DueAt), st.Status, st.Reason, toDB(s.clock.Now()), st.WaitFor, toDBZero(st.WaitSince), toDBZero(st.WaitDeadline),
			st.Tenant, st.Journey, st.MemberID, st.EntryID)
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

// queryJourneyWake wakes the states waiting for an event that came: a
// message from the member's phone (inbound_messages_phone) or an order of
// the member (orders_member; a member id is unique across tenants), found
// by journey_states_waiting.
const queryJourneyWake = `UPDATE journey_states SET due_at = ?1
	WHERE status = 'active' AND wait_for <> '' AND due_at > ?1 AND due_at = wait_deadline AND (
		(wait_for = 'reply' AND EXISTS (SELECT 1 FROM members m JOIN inbound_messages i ON i.tenant = m.tenant AND i.phone = m.phone
			WHERE m.id = journey_states.member_id AND m.phone <> '' AND i.phone <> '' AND i.at >= journey_states.wait_since AND i.at <= ?1))
		OR (wait_for = 'order' AND EXISTS (SELECT 1 FROM orders o
			WHERE o.member_id = journey_states.member_id
				AND o.created_at >= journey_states.wait_since AND o.created_at <= ?1)))`

// WakeJourneyStates makes due the states whose awaited event came; see
// store.Journeys.
func (s *Store) WakeJourneyStates(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, queryJourneyWake, toDB(now))
		if err != nil {
			return err
		}
		n = rowsAffected(res)
		return nil
	}); err != nil {
		return 0, fmt.Errorf("waking waiting journey states: %w", err)
	}
	return n, nil
}

// Queries of JourneyEventCame: a message from the member's phone, an
// order of the member, at or after since and at or before until.
const (
	queryJourneyReplied = `SELECT EXISTS (SELECT 1 FROM members m JOIN inbound_messages i ON i.tenant = m.tenant AND i.phone = m.phone
		WHERE m.id = ?1 AND m.tenant = ?2 AND m.phone <> '' AND i.phone <> '' AND i.at >= ?3 AND i.at <= ?4)`
	queryJourneyOrdered = `SELECT EXISTS (SELECT 1 FROM orders
		WHERE member_id = ?1 AND created_at >= ?3 AND created_at <= ?4)`
)

// JourneyEventCame reports whether a state's awaited event came; see
// store.Journeys.
func (s *Store) JourneyEventCame(ctx context.Context, st store.JourneyState, until time.Time) (bool, error) {
	q := queryJourneyReplied
	switch st.WaitFor {
	case store.JourneyWaitReply:
	case store.JourneyWaitOrder:
		q = queryJourneyOrdered
	default:
		return false, fmt.Errorf("reading journey events: %q is not an event a state waits for", st.WaitFor)
	}
	r, err := s.reads()
	if err != nil {
		return false, err
	}
	var came bool
	if err := r.QueryRowContext(ctx, q, st.MemberID, st.Tenant, toDB(st.WaitSince), toDB(until)).Scan(&came); err != nil {
		return false, fmt.Errorf("reading journey events of member %s: %w", st.MemberID, err)
	}
	return came, nil
}

// TagMember changes a member's tags in one transaction; see
// store.MemberTags.
func (s *Store) TagMember(ctx context.Context, tenant, memberID string, add, remove []string) ([]string, error) {
	var out []string
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		var raw []byte
		if err := tx.QueryRowContext(ctx, `SELECT tags FROM members WHERE id = ? AND tenant = ?`, memberID, tenant).Scan(&raw); err != nil {
			return notFound(err)
		}
		var tags string
		var err error
		if out, tags, err = store.RetagMember(raw, add, remove); err != nil || tags == "" {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE members SET tags = ?, updated_at = ? WHERE id = ?`, tags, toDB(s.clock.Now()), memberID)
		return err
	}); err != nil {
		return nil, fmt.Errorf("tagging member %s: %w", memberID, err)
	}
	return out, nil
}
