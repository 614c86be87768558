package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

const messageColumns = `key, tenant, member_id, sender, recipient, kind, template, category, status,
	provider_message_id, error_code, error, attempts, created_at, updated_at, sent_as, origin`

func scanMessage(r rowScanner) (store.Message, error) {
	var m store.Message
	var created, updated int64
	if err := r.Scan(&m.Key, &m.Tenant, &m.MemberID, &m.Sender, &m.Recipient, &m.Kind, &m.Template,
		&m.Category, &m.Status, &m.ProviderMessageID, &m.ErrorCode, &m.Error, &m.Attempts,
		&created, &updated, &m.SentAs, &m.Origin); err != nil {
		return store.Message{}, notFound(err)
	}
	m.CreatedAt, m.UpdatedAt = fromDB(created), fromDB(updated)
	return m, nil
}

func messageByKey(ctx context.Context, q queryer, key string) (store.Message, error) {
	return scanMessage(q.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages WHERE key = ?`, key))
}

func addStatus(ctx context.Context, tx *wtx, key, status, code, reason string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO message_statuses (message_key, status, error_code, error, at)
		VALUES (?, ?, ?, ?, ?)`, key, status, code, reason, toDB(at)); err != nil {
		return fmt.Errorf("adding to the timeline: %w", err)
	}
	return nil
}

// ClaimMessage inserts m as sending with one attempt, or takes over the
// pending message with m.Key; see store.Messages. The claim's time is
// m.UpdatedAt, else m.CreatedAt, else now; a new message is created then.
func (s *Store) ClaimMessage(ctx context.Context, m store.Message) (store.Message, bool, error) {
	if m.Key == "" || m.Tenant == "" {
		return store.Message{}, false, errors.New("claiming message: key and tenant are required")
	}
	var (
		cur     store.Message
		claimed bool
	)
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		var err error
		cur, claimed, err = claim(ctx, tx, m, s.clock)
		return err
	})
	if err != nil {
		return store.Message{}, false, fmt.Errorf("claiming message: %w", err)
	}
	return cur, claimed, nil
}

func claim(ctx context.Context, tx *wtx, m store.Message, clock store.Clock) (store.Message, bool, error) {
	at := m.UpdatedAt
	if at.IsZero() {
		at = m.CreatedAt
	}
	at = clock.Stamp(at)
	created := at
	if !m.CreatedAt.IsZero() {
		created = store.Stamp(m.CreatedAt)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO messages (`+messageColumns+`, command, trace)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', 1, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
		m.Key, m.Tenant, m.MemberID, m.Sender, m.Recipient, m.Kind, m.Template, m.Category,
		store.MessageSending, toDB(created), toDB(at), m.SentAs, m.Origin, m.Command, m.Trace)
	if err != nil {
		return store.Message{}, false, fmt.Errorf("inserting: %w", err)
	}
	claimed := rowsAffected(res) == 1
	if !claimed {
		res, err = tx.ExecContext(ctx, `UPDATE messages SET status = ?, attempts = attempts + 1, updated_at = ?,
			command = COALESCE(?, command), template = ?, sent_as = ?, trace = COALESCE(NULLIF(?, ''), trace)
			WHERE key = ? AND status IN (?, ?, ?)`, store.MessageSending, toDB(at), m.Command, m.Template, m.SentAs,
			m.Trace, m.Key, store.MessagePending, store.MessageDeferred, store.MessageQueued)
		if err != nil {
			return store.Message{}, false, fmt.Errorf("taking over: %w", err)
		}
		claimed = rowsAffected(res) == 1
	}
	if !claimed && m.Command != nil {
		// An interrupted attempt claimed without its command keeps this
		// one, for the relay.
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET command = ?
			WHERE key = ? AND command IS NULL AND status IN (?, ?)`,
			m.Command, m.Key, store.MessageSending, store.MessageUnknown); err != nil {
			return store.Message{}, false, fmt.Errorf("keeping the command: %w", err)
		}
	}
	if claimed {
		if err := addStatus(ctx, tx, m.Key, store.MessageSending, "", "", at); err != nil {
			return store.Message{}, false, err
		}
	}
	cur, err := messageByKey(ctx, tx, m.Key)
	if err != nil {
		return store.Message{}, false, fmt.Errorf("reading: %w", err)
	}
	return cur, claimed, nil
}

func rowsAffected(res sql.Result) int64 {
	n, err := res.RowsAffected()
	if err != nil {
		return 0
	}
	return n
}

// MarkFallback records that the claimed message goes out as its fallback
// template; see store.Messages.
func (s *Store) MarkFallback(ctx context.Context, key, template string, at time.Time) error {
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE messages SET sent_as = ?, template = ?, updated_at = ? WHERE key = ?`,
			store.SentAsFallback, template, toDB(s.clock.Stamp(at)), key)
		if err != nil {
			return err
		}
		if rowsAffected(res) == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("marking message %s sent as its fallback: %w", key, err)
	}
	return nil
}

// MarkSent moves a pending, sending or unknown message to sent with the
// BSP's message id. On a message already past that it only fills a missing
// provider message id.
func (s *Store) MarkSent(ctx context.Context, key, providerMessageID string, at time.Time) error {
	return s.mark(ctx, key, at, store.SentTransition(providerMessageID))
}

// ReleaseMessage returns a sending or unknown message to pending with the
// rejection's code and reason.
func (s *Store) ReleaseMessage(ctx context.Context, key, errorCode, reason string, at time.Time) error {
	return s.mark(ctx, key, at, store.ReleaseTransition(errorCode, reason))
}

// MarkFailed moves a pending, sending or unknown message to failed.
func (s *Store) MarkFailed(ctx context.Context, key, errorCode, reason string, at time.Time) error {
	return s.mark(ctx, key, at, store.FailedTransition(errorCode, reason))
}

// MarkSkipped moves a pending or sending message to skipped.
func (s *Store) MarkSkipped(ctx context.Context, key, code, reason string, at time.Time) error {
	return s.mark(ctx, key, at, store.SkippedTransition(code, reason))
}

// DeferMessage moves a sending message to deferred until a time; see
// store.Messages.
func (s *Store) DeferMessage(ctx context.Context, key string, until time.Time, command []byte, reason string, at time.Time) error {
	at = s.clock.Stamp(at)
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE messages SET status = ?, not_before = ?, command = ?, error = ?,
			error_code = '', updated_at = ? WHERE key = ? AND status IN (?, ?)`,
			store.MessageDeferred, toDB(until), command, reason, toDB(at), key, store.MessageSending, store.MessagePending)
		if err != nil {
			return err
		}
		if rowsAffected(res) == 0 {
			return nil
		}
		return addStatus(ctx, tx, key, store.MessageDeferred, "", reason, at)
	}); err != nil {
		return fmt.Errorf("deferring message: %w", err)
	}
	return nil
}

// DueMessages returns queued and deferred messages due at now; see
// store.Messages. Writes are serialized, so two calls never lease the same
// message.
func (s *Store) DueMessages(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.DeferredMessage, error) {
	// The statuses are written out: SQLite uses the partial index
	// messages_due only for a condition it can see matches the index's.
	out, err := s.leaseCommands(ctx, `UPDATE messages SET not_before = ?
		WHERE key IN (SELECT key FROM messages WHERE status IN ('queued', 'deferred') AND not_before <= ?
			ORDER BY not_before LIMIT ?)
		RETURNING key, tenant, recipient, command, created_at, trace`, toDB(now.Add(lease)), toDB(now), store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing due messages: %w", err)
	}
	return out, nil
}

// EnqueueMessages writes messages to the outbox; see store.Messages.
func (s *Store) EnqueueMessages(ctx context.Context, ms []store.Message) error {
	if len(ms) == 0 {
		return nil
	}
	if err := store.CheckQueued(ms); err != nil {
		return err
	}
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		return enqueue(ctx, tx, ms, s.clock.Now())
	}); err != nil {
		return fmt.Errorf("queueing messages: %w", err)
	}
	return nil
}

// enqueueRow is one message's values in an INSERT of queued messages.
const enqueueRow = `(?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', 0, ?, ?, ?, ?, ?, ?, ?)`

// enqueueRows is how many messages one INSERT writes: a statement per
// message was most of what a large batch (a campaign's chunk) cost.
const enqueueRows = 32

// queryEnqueue inserts n queued messages.
func queryEnqueue(n int) string {
	return `INSERT INTO messages (` + messageColumns + `, command, not_before, trace) VALUES ` +
		strings.Repeat(enqueueRow+", ", n-1) + enqueueRow + ` ON CONFLICT (key) DO NOTHING`
}

// queryEnqueueFull is queryEnqueue of enqueueRows, built once.
var queryEnqueueFull = queryEnqueue(enqueueRows)

// enqueue inserts checked messages (store.CheckQueued) as queued, created
// at now unless they say otherwise, enqueueRows to a statement.
func enqueue(ctx context.Context, tx *wtx, ms []store.Message, now time.Time) error {
	args := make([]any, 0, 16*min(len(ms), enqueueRows))
	for len(ms) > 0 {
		part := ms[:min(len(ms), enqueueRows)]
		ms = ms[len(part):]
		args = args[:0]
		for _, m := range part {
			created, due := store.QueuedTimes(m, now)
			args = append(args, m.Key, m.Tenant, m.MemberID, m.Sender, m.Recipient, m.Kind,
				m.Template, m.Category, store.MessageQueued, toDB(created), toDB(created), m.SentAs, m.Origin, m.Command,
				toDB(due), m.Trace)
		}
		q := queryEnqueueFull
		if len(part) < enqueueRows {
			q = queryEnqueue(len(part))
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("queueing messages from %s: %w", part[0].Key, err)
		}
	}
	return nil
}

// writeEffects writes a loyalty transaction's messages, journey goals
// and entries, webhook deliveries, and write-backs.
func writeEffects(ctx context.Context, tx *wtx, tenant string, e store.Effects, now time.Time) error {
	if err := enqueue(ctx, tx, e.Messages, now); err != nil {
		return err
	}
	if err := writeJourneys(ctx, tx, tenant, e.JourneyGoals, e.Journeys); err != nil {
		return err
	}
	if err := writeWebhooks(ctx, tx, e.Webhooks, now); err != nil {
		return err
	}
	for _, r := range e.Sync {
		if err := queueSync(ctx, tx, tenant, r.Connector, r.MemberID, now); err != nil {
			return err
		}
	}
	return nil
}

// leaseCommands runs an UPDATE … RETURNING key, tenant, recipient, command,
// created_at, trace that pushes the lease (not_before) of the messages it selects,
// and returns them in the order they were created (RETURNING has none).
func (s *Store) leaseCommands(ctx context.Context, query string, args ...any) ([]store.DeferredMessage, error) {
	var out []store.DeferredMessage
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			var d store.DeferredMessage
			var created int64
			if err := rows.Scan(&d.Key, &d.Tenant, &d.Recipient, &d.Command, &created, &d.Trace); err != nil {
				return err
			}
			d.CreatedAt = fromDB(created)
			out = append(out, d)
		}
		return rows.Err()
	})
	store.SortLeased(out)
	return out, err
}

// RetakeMessage starts a new attempt of a stale sending or unknown message;
// see store.Messages.
func (s *Store) RetakeMessage(ctx context.Context, seen store.Message, code, reason string, at time.Time) (bool, error) {
	if seen.Status != store.MessageSending && seen.Status != store.MessageUnknown {
		return false, nil
	}
	at = s.clock.Stamp(at)
	claimed := false
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		claimed = false
		res, err := tx.ExecContext(ctx, `UPDATE messages SET status = ?, attempts = attempts + 1,
			error_code = ?, error = ?, updated_at = ? WHERE key = ? AND status = ? AND updated_at = ?`,
			store.MessageSending, code, reason, toDB(at), seen.Key, seen.Status, toDB(seen.UpdatedAt))
		if err != nil {
			return err
		}
		if rowsAffected(res) == 0 {
			return nil
		}
		claimed = true
		if err := addStatus(ctx, tx, seen.Key, store.MessagePending, code, reason, at); err != nil {
			return err
		}
		return addStatus(ctx, tx, seen.Key, store.MessageSending, "", "", at)
	}); err != nil {
		return false, fmt.Errorf("retaking message: %w", err)
	}
	return claimed, nil
}

// StaleAttempts returns a tenant's sending and unknown messages unchanged
// since before; see store.Messages.
func (s *Store) StaleAttempts(ctx context.Context, tenant string, before, now time.Time, limit int, lease time.Duration) ([]store.DeferredMessage, error) {
	out, err := s.leaseCommands(ctx, `UPDATE messages SET not_before = ?
		WHERE key IN (SELECT key FROM messages WHERE tenant = ? AND status IN (?, ?)
			AND updated_at <= ? AND not_before <= ? AND command IS NOT NULL
			ORDER BY updated_at LIMIT ?)
		RETURNING key, tenant, recipient, command, created_at, trace`, toDB(now.Add(lease)), tenant, store.MessageSending, store.MessageUnknown,
		toDB(before), toDB(now), store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing stale send attempts: %w", err)
	}
	return out, nil
}

// MarkUnknown moves a sending message to unknown.
func (s *Store) MarkUnknown(ctx context.Context, key, reason string, at time.Time) error {
	return s.mark(ctx, key, at, store.UnknownTransition(reason))
}

// mark applies t when the message is in one of t.From, adding a timeline
// row; otherwise it changes nothing (a status report moved the message on
// first), except that a missing provider message id is filled.
func (s *Store) mark(ctx context.Context, key string, at time.Time, t store.Transition) error {
	at = s.clock.Stamp(at)
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		return mark(ctx, tx, key, at, t)
	}); err != nil {
		return fmt.Errorf("marking message %s: %w", t.To, err)
	}
	return nil
}

func mark(ctx context.Context, tx *wtx, key string, at time.Time, t store.Transition) error {
	cur, err := messageByKey(ctx, tx, key)
	if err != nil {
		return err
	}
	pmid := cur.ProviderMessageID
	if pmid == "" {
		pmid = t.ProviderMessageID
	}
	if slices.Contains(t.From, cur.Status) {
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET status = ?, provider_message_id = ?,
			error_code = ?, error = ?, updated_at = ? WHERE key = ?`,
			t.To, pmid, t.ErrorCode, t.Reason, toDB(at), key); err != nil {
			return fmt.Errorf("updating: %w", err)
		}
		if err := addStatus(ctx, tx, key, t.To, t.ErrorCode, t.Reason, at); err != nil {
			return err
		}
	} else if pmid != cur.ProviderMessageID {
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET provider_message_id = ? WHERE key = ?`,
			pmid, key); err != nil {
			return fmt.Errorf("updating: %w", err)
		}
	}
	return nil
}

// ApplyStatus applies a delivery report; see store.Messages and the
// ordering in the package documentation.
func (s *Store) ApplyStatus(ctx context.Context, u store.StatusUpdate) (bool, error) {
	if err := store.CheckStatus(u.Status); err != nil {
		return false, fmt.Errorf("applying status: %w", err)
	}
	var applied bool
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		var err error
		applied, err = applyStatus(ctx, tx, u, s.clock)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("applying status: %w", err)
	}
	return applied, nil
}

// ApplyStatuses applies several delivery reports in one transaction; see
// store.Messages.
func (s *Store) ApplyStatuses(ctx context.Context, us []store.StatusUpdate) ([]bool, error) {
	for _, u := range us {
		if err := store.CheckStatus(u.Status); err != nil {
			return nil, fmt.Errorf("applying statuses: %w", err)
		}
	}
	missing := make([]bool, len(us))
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		for i, u := range us {
			_, err := applyStatus(ctx, tx, u, s.clock)
			missing[i] = errors.Is(err, store.ErrNotFound)
			if err != nil && !missing[i] {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("applying statuses: %w", err)
	}
	return missing, nil
}

// MessageTrace returns the trace context of the message a report names;
// see store.Messages.
func (s *Store) MessageTrace(ctx context.Context, u store.StatusUpdate) (string, error) {
	db, err := s.reads()
	if err != nil {
		return "", err
	}
	var trace string
	err = store.ErrNotFound
	if u.ProviderMessageID != "" {
		err = notFound(db.QueryRowContext(ctx, `SELECT trace FROM messages WHERE tenant = ? AND provider_message_id = ?`,
			u.Tenant, u.ProviderMessageID).Scan(&trace))
	}
	if errors.Is(err, store.ErrNotFound) && u.Key != "" {
		err = notFound(db.QueryRowContext(ctx, `SELECT trace FROM messages WHERE tenant = ? AND key = ?`,
			u.Tenant, u.Key).Scan(&trace))
	}
	if err != nil {
		return "", fmt.Errorf("reading the trace of a message: %w", err)
	}
	return trace, nil
}

func applyStatus(ctx context.Context, tx *wtx, u store.StatusUpdate, clock store.Clock) (bool, error) {
	cur, err := store.Message{}, store.ErrNotFound
	if u.ProviderMessageID != "" {
		cur, err = scanMessage(tx.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages
			WHERE tenant = ? AND provider_message_id = ?`, u.Tenant, u.ProviderMessageID))
	}
	if errors.Is(err, store.ErrNotFound) && u.Key != "" {
		cur, err = scanMessage(tx.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages
			WHERE tenant = ? AND key = ?`, u.Tenant, u.Key))
	}
	if err != nil {
		return false, err
	}
	at := clock.Stamp(u.At)
	if err := applyPricing(ctx, tx, cur.Key, u, at); err != nil {
		return false, err
	}
	if !store.Advances(cur.Status, u.Status) {
		return false, nil
	}
	pmid := cur.ProviderMessageID
	if pmid == "" {
		pmid = u.ProviderMessageID
	}
	var code, reason string
	if u.Status == store.MessageFailed {
		code, reason = u.ErrorCode, u.Error
	}
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET status = ?, provider_message_id = ?,
		error_code = ?, error = ?, updated_at = ? WHERE key = ?`,
		u.Status, pmid, code, reason, toDB(at), cur.Key); err != nil {
		return false, fmt.Errorf("updating: %w", err)
	}
	if err := addStatus(ctx, tx, cur.Key, u.Status, u.ErrorCode, u.Error, at); err != nil {
		return false, err
	}
	return true, nil
}

// Message returns one message with its timeline, oldest step first.
func (s *Store) Message(ctx context.Context, tenant, key string) (store.Message, error) {
	r, err := s.reads()
	if err != nil {
		return store.Message{}, err
	}
	m, err := scanMessage(r.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages
		WHERE tenant = ? AND key = ?`, tenant, key))
	if err != nil {
		return store.Message{}, fmt.Errorf("getting message: %w", err)
	}
	var pr store.MessagePricing
	var billable sql.NullBool
	var charged int64
	if err := r.QueryRowContext(ctx, `SELECT command, pricing_category, pricing_type, billable, country, cost, charged_at
		FROM messages WHERE key = ?`, key).Scan(&m.Command, &pr.Category, &pr.Type, &billable, &pr.Country, &pr.Cost, &charged); err != nil {
		return store.Message{}, fmt.Errorf("getting message command: %w", err)
	}
	if billable.Valid {
		pr.Billable = &billable.Bool
	}
	pr.ChargedAt = fromDBZero(charged)
	if pr.Category != "" || pr.Type != "" || pr.Billable != nil {
		m.Pricing = &pr
	}
	rows, err := r.QueryContext(ctx, `SELECT status, at, error_code, error FROM message_statuses
		WHERE message_key = ? ORDER BY id`, key)
	if err != nil {
		return store.Message{}, fmt.Errorf("getting message timeline: %w", err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var st store.MessageStatus
		var at int64
		if err := rows.Scan(&st.Status, &at, &st.ErrorCode, &st.Error); err != nil {
			return store.Message{}, fmt.Errorf("getting message timeline: %w", err)
		}
		st.At = fromDB(at)
		m.Timeline = append(m.Timeline, st)
	}
	if err := rows.Err(); err != nil {
		return store.Message{}, fmt.Errorf("getting message timeline: %w", err)
	}
	return m, nil
}

// ListMessages lists a tenant's messages, newest first; Limit defaults to
// 100 and is capped at 1000.
func (s *Store) ListMessages(ctx context.Context, tenant string, f store.MessageFilter) ([]store.Message, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + messageColumns + ` FROM messages WHERE tenant = ?`
	args := []any{tenant}
	if f.MemberID != "" {
		q += ` AND member_id = ?`
		args = append(args, f.MemberID)
	}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, f.Status)
	}
	q += ` ORDER BY created_at DESC, key DESC LIMIT ?`
	args = append(args, store.ClampLimit(f.Limit))
	rows, err := r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing messages: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var ms []store.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("listing messages: %w", err)
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing messages: %w", err)
	}
	return ms, nil
}
