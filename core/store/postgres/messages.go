package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

const messageColumns = `key, tenant, member_id, sender, recipient, kind, template, category, status,
	provider_message_id, error_code, error, attempts, created_at, updated_at, sent_as, origin`

func scanMessage(r pgx.Row) (store.Message, error) {
	var m store.Message
	if err := r.Scan(&m.Key, &m.Tenant, &m.MemberID, &m.Sender, &m.Recipient, &m.Kind, &m.Template,
		&m.Category, &m.Status, &m.ProviderMessageID, &m.ErrorCode, &m.Error, &m.Attempts,
		&m.CreatedAt, &m.UpdatedAt, &m.SentAs, &m.Origin); err != nil {
		return store.Message{}, notFound(err)
	}
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	return m, nil
}

func addStatus(ctx context.Context, tx pgx.Tx, key, status, code, reason string, at time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO message_statuses (message_key, status, error_code, error, at)
		VALUES ($1, $2, $3, $4, $5)`, key, status, code, reason, at); err != nil {
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
	op := &messageOp{key: m.Key, claim: &m}
	op.write = func(ctx context.Context, tx pgx.Tx) error {
		var err error
		op.cur, op.claimed, err = claim(ctx, tx, m, s.clock)
		return err
	}
	if err := s.writeMessage(ctx, op); err != nil {
		return store.Message{}, false, fmt.Errorf("claiming message: %w", err)
	}
	return op.cur, op.claimed, nil
}

// claimValues inserts a claimed message; claimInsert does not when one has
// its key.
const (
	claimValues = `INSERT INTO messages (` + messageColumns + `, command, trace)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', '', '', 1, $10, $11, $12, $13, $14, $15)`
	claimInsert = claimValues + ` ON CONFLICT (key) DO NOTHING`
)

// claimRow returns the time of m's claim and claimInsert's arguments.
func claimRow(m store.Message, clock store.Clock) (time.Time, []any) {
	at := m.UpdatedAt
	if at.IsZero() {
		at = m.CreatedAt
	}
	at = clock.Stamp(at)
	created := at
	if !m.CreatedAt.IsZero() {
		created = store.Stamp(m.CreatedAt)
	}
	return at, []any{m.Key, m.Tenant, m.MemberID, m.Sender, m.Recipient, m.Kind, m.Template, m.Category,
		store.MessageSending, created, at, m.SentAs, m.Origin, m.Command, m.Trace}
}

func claim(ctx context.Context, tx pgx.Tx, m store.Message, clock store.Clock) (store.Message, bool, error) {
	at, args := claimRow(m, clock)
	tag, err := tx.Exec(ctx, claimInsert, args...)
	if err != nil {
		return store.Message{}, false, fmt.Errorf("inserting: %w", err)
	}
	claimed := tag.RowsAffected() == 1
	if !claimed {
		// A concurrent claimer's update is waited for, then the status is
		// checked again: only one takes the message over.
		tag, err = tx.Exec(ctx, `UPDATE messages SET status = $1, attempts = attempts + 1, updated_at = $2,
			command = COALESCE($6, command), template = $7, sent_as = $8, trace = COALESCE(NULLIF($10, ''), trace)
			WHERE key = $3 AND status IN ($4, $5, $9)`, store.MessageSending, at, m.Key, store.MessagePending, store.MessageDeferred, m.Command,
			m.Template, m.SentAs, store.MessageQueued, m.Trace)
		if err != nil {
			return store.Message{}, false, fmt.Errorf("taking over: %w", err)
		}
		claimed = tag.RowsAffected() == 1
	}
	if !claimed && m.Command != nil {
		// An interrupted attempt claimed without its command keeps this
		// one, for the relay.
		if _, err := tx.Exec(ctx, `UPDATE messages SET command = $1
			WHERE key = $2 AND command IS NULL AND status IN ($3, $4)`,
			m.Command, m.Key, store.MessageSending, store.MessageUnknown); err != nil {
			return store.Message{}, false, fmt.Errorf("keeping the command: %w", err)
		}
	}
	if claimed {
		if err := addStatus(ctx, tx, m.Key, store.MessageSending, "", "", at); err != nil {
			return store.Message{}, false, err
		}
	}
	cur, err := scanMessage(tx.QueryRow(ctx, `SELECT `+messageColumns+` FROM messages WHERE key = $1`, m.Key))
	if err != nil {
		return store.Message{}, false, fmt.Errorf("reading: %w", err)
	}
	return cur, claimed, nil
}

// MarkFallback records that the claimed message goes out as its fallback
// template; see store.Messages.
func (s *Store) MarkFallback(ctx context.Context, key, template string, at time.Time) error {
	err := s.writeMessage(ctx, &messageOp{key: key, write: func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE messages SET sent_as = $1, template = $2, updated_at = $3 WHERE key = $4`,
			store.SentAsFallback, template, s.clock.Stamp(at), key)
		if err == nil && tag.RowsAffected() == 0 {
			err = store.ErrNotFound
		}
		return err
	}})
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
	err := s.writeMessage(ctx, &messageOp{key: key, write: func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE messages SET status = $1, not_before = $2, command = $3, error = $4,
			error_code = '', updated_at = $5 WHERE key = $6 AND status IN ($7, $8)`,
			store.MessageDeferred, until, command, reason, at, key, store.MessageSending, store.MessagePending)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return addStatus(ctx, tx, key, store.MessageDeferred, "", reason, at)
	}})
	if err != nil {
		return fmt.Errorf("deferring message: %w", err)
	}
	return nil
}

// DueMessages returns queued and deferred messages due at now; see
// store.Messages. Replicas asking at once get different messages. The
// statuses are written out, so that every plan can use the partial index
// messages_due.
func (s *Store) DueMessages(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.DeferredMessage, error) {
	out, err := s.leaseCommands(ctx, `UPDATE messages SET not_before = $1
		WHERE key IN (SELECT key FROM messages WHERE status IN ('queued', 'deferred') AND not_before <= $2
			ORDER BY not_before LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING key, tenant, recipient, command, created_at, trace`, now.Add(lease), now, store.ClampLimit(limit))
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
	p, err := s.db()
	if err != nil {
		return err
	}
	var w writeBatch
	queueEffects(&w, "", store.Effects{Messages: ms}, s.clock.Now())
	if err := pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		return w.send(ctx, tx, "queueing messages")
	}); err != nil {
		return fmt.Errorf("queueing messages: %w", err)
	}
	return nil
}

// leaseCommands runs an UPDATE … RETURNING key, tenant, recipient, command,
// created_at, trace that pushes the lease (not_before) of the messages it selects,
// and returns them in the order they were created (RETURNING has none).
func (s *Store) leaseCommands(ctx context.Context, query string, args ...any) ([]store.DeferredMessage, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.DeferredMessage, error) {
		var d store.DeferredMessage
		err := r.Scan(&d.Key, &d.Tenant, &d.Recipient, &d.Command, &d.CreatedAt, &d.Trace)
		return d, err
	})
	store.SortLeased(out)
	return out, err
}

// RetakeMessage starts a new attempt of a stale sending or unknown message;
// see store.Messages. The row's compare-and-set makes concurrent callers
// that saw the same attempt race for it: one wins.
func (s *Store) RetakeMessage(ctx context.Context, seen store.Message, code, reason string, at time.Time) (bool, error) {
	if seen.Status != store.MessageSending && seen.Status != store.MessageUnknown {
		return false, nil
	}
	p, err := s.db()
	if err != nil {
		return false, err
	}
	at = s.clock.Stamp(at)
	claimed := false
	err = pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		claimed = false
		tag, err := tx.Exec(ctx, `UPDATE messages SET status = $1, attempts = attempts + 1,
			error_code = $2, error = $3, updated_at = $4 WHERE key = $5 AND status = $6 AND updated_at = $7`,
			store.MessageSending, code, reason, at, seen.Key, seen.Status, s.clock.Stamp(seen.UpdatedAt))
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		claimed = true
		if err := addStatus(ctx, tx, seen.Key, store.MessagePending, code, reason, at); err != nil {
			return err
		}
		return addStatus(ctx, tx, seen.Key, store.MessageSending, "", "", at)
	})
	if err != nil {
		return false, fmt.Errorf("retaking message: %w", err)
	}
	return claimed, nil
}

// StaleAttempts returns a tenant's sending and unknown messages unchanged
// since before; see store.Messages. Replicas asking at once get different
// messages.
func (s *Store) StaleAttempts(ctx context.Context, tenant string, before, now time.Time, limit int, lease time.Duration) ([]store.DeferredMessage, error) {
	out, err := s.leaseCommands(ctx, `UPDATE messages SET not_before = $1
		WHERE key IN (SELECT key FROM messages WHERE tenant = $2 AND status IN ($3, $4)
			AND updated_at <= $5 AND (not_before IS NULL OR not_before <= $6) AND command IS NOT NULL
			ORDER BY updated_at LIMIT $7 FOR UPDATE SKIP LOCKED)
		RETURNING key, tenant, recipient, command, created_at, trace`, now.Add(lease), tenant, store.MessageSending, store.MessageUnknown,
		before, now, store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing stale send attempts: %w", err)
	}
	return out, nil
}

// MarkUnknown moves a sending message to unknown.
func (s *Store) MarkUnknown(ctx context.Context, key, reason string, at time.Time) error {
	return s.mark(ctx, key, at, store.UnknownTransition(reason))
}

// lockMessage reads and locks the message with a key.
const lockMessage = `SELECT ` + messageColumns + ` FROM messages WHERE key = $1 FOR UPDATE`

// mark applies t when the message is in one of t.From, adding a timeline
// row; otherwise it changes nothing (a status report moved the message on
// first), except that a missing provider message id is filled.
func (s *Store) mark(ctx context.Context, key string, at time.Time, t store.Transition) error {
	at = s.clock.Stamp(at)
	op := &messageOp{key: key, mark: &t, at: at}
	op.write = func(ctx context.Context, tx pgx.Tx) error {
		cur, err := scanMessage(tx.QueryRow(ctx, lockMessage, key))
		if err != nil {
			return err
		}
		next, moved := transit(cur, t, at)
		if moved {
			if _, err := tx.Exec(ctx, `UPDATE messages SET status = $1, provider_message_id = $2,
				error_code = $3, error = $4, updated_at = $5 WHERE key = $6`,
				next.Status, next.ProviderMessageID, next.ErrorCode, next.Error, next.UpdatedAt, key); err != nil {
				return fmt.Errorf("updating: %w", err)
			}
			return addStatus(ctx, tx, key, t.To, t.ErrorCode, t.Reason, at)
		}
		if next.ProviderMessageID != cur.ProviderMessageID {
			if _, err := tx.Exec(ctx, `UPDATE messages SET provider_message_id = $1 WHERE key = $2`,
				next.ProviderMessageID, key); err != nil {
				return fmt.Errorf("updating: %w", err)
			}
		}
		return nil
	}
	if err := s.writeMessage(ctx, op); err != nil {
		return fmt.Errorf("marking message %s: %w", t.To, err)
	}
	return nil
}

// transit returns cur after t at time at, and whether t moved its status,
// which adds a step to its timeline: t applies when cur's status is one of
// t.From; a missing provider message id is filled either way.
func transit(cur store.Message, t store.Transition, at time.Time) (store.Message, bool) {
	next := cur
	if next.ProviderMessageID == "" {
		next.ProviderMessageID = t.ProviderMessageID
	}
	if !slices.Contains(t.From, cur.Status) {
		return next, false
	}
	next.Status, next.ErrorCode, next.Error, next.UpdatedAt = t.To, t.ErrorCode, t.Reason, at
	return next, true
}

// ApplyStatus applies a delivery report; see store.Messages. Status moves
// only forward; a failure applies until the message is delivered; a sent
// report does not hide an earlier failure; delivered and read override
// failed and unknown.
func (s *Store) ApplyStatus(ctx context.Context, u store.StatusUpdate) (bool, error) {
	if err := store.CheckStatus(u.Status); err != nil {
		return false, fmt.Errorf("applying status: %w", err)
	}
	p, err := s.db()
	if err != nil {
		return false, err
	}
	var applied bool
	err = pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		applied, err = applyStatus(ctx, tx, u, s.clock)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("applying status: %w", err)
	}
	return applied, nil
}

// MessageTrace returns the trace context of the message a report names;
// see store.Messages.
func (s *Store) MessageTrace(ctx context.Context, u store.StatusUpdate) (string, error) {
	p, err := s.db()
	if err != nil {
		return "", err
	}
	var trace string
	err = store.ErrNotFound
	if u.ProviderMessageID != "" {
		err = notFound(p.QueryRow(ctx, `SELECT trace FROM messages WHERE tenant = $1 AND provider_message_id = $2`,
			u.Tenant, u.ProviderMessageID).Scan(&trace))
	}
	if errors.Is(err, store.ErrNotFound) && u.Key != "" {
		err = notFound(p.QueryRow(ctx, `SELECT trace FROM messages WHERE tenant = $1 AND key = $2`,
			u.Tenant, u.Key).Scan(&trace))
	}
	if err != nil {
		return "", fmt.Errorf("reading the trace of a message: %w", err)
	}
	return trace, nil
}

// ApplyStatuses applies several delivery reports in one transaction; see
// store.Messages. The transaction is shared with concurrent calls (see
// statusGrouper).
func (s *Store) ApplyStatuses(ctx context.Context, us []store.StatusUpdate) ([]bool, error) {
	for _, u := range us {
		if err := store.CheckStatus(u.Status); err != nil {
			return nil, fmt.Errorf("applying statuses: %w", err)
		}
	}
	g, err := s.statusGroups()
	if err != nil {
		return nil, err
	}
	missing, err := g.do(ctx, us)
	if err != nil {
		return nil, fmt.Errorf("applying statuses: %w", err)
	}
	return missing, nil
}

func applyStatus(ctx context.Context, tx pgx.Tx, u store.StatusUpdate, clock store.Clock) (bool, error) {
	cur, err := store.Message{}, store.ErrNotFound
	if u.ProviderMessageID != "" {
		cur, err = scanMessage(tx.QueryRow(ctx, `SELECT `+messageColumns+` FROM messages
			WHERE tenant = $1 AND provider_message_id = $2 AND provider_message_id <> ''
			LIMIT 1 FOR UPDATE`, u.Tenant, u.ProviderMessageID))
	}
	if errors.Is(err, store.ErrNotFound) && u.Key != "" {
		cur, err = scanMessage(tx.QueryRow(ctx, `SELECT `+messageColumns+` FROM messages
			WHERE tenant = $1 AND key = $2 FOR UPDATE`, u.Tenant, u.Key))
	}
	if err != nil {
		return false, err
	}
	at := clock.Stamp(u.At)
	var pricing pricingRows
	pricing.add(cur.Key, u, at)
	var writes writeBatch
	pricing.queue(&writes)
	if err := writes.send(ctx, tx, "recording pricing"); err != nil {
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
	if _, err := tx.Exec(ctx, `UPDATE messages SET status = $1, provider_message_id = $2,
		error_code = $3, error = $4, updated_at = $5 WHERE key = $6`,
		u.Status, pmid, code, reason, at, cur.Key); err != nil {
		return false, fmt.Errorf("updating: %w", err)
	}
	if err := addStatus(ctx, tx, cur.Key, u.Status, u.ErrorCode, u.Error, at); err != nil {
		return false, err
	}
	return true, nil
}

// Message returns one message with its timeline, oldest step first.
func (s *Store) Message(ctx context.Context, tenant, key string) (store.Message, error) {
	p, err := s.db()
	if err != nil {
		return store.Message{}, err
	}
	m, err := scanMessage(p.QueryRow(ctx, `SELECT `+messageColumns+` FROM messages
		WHERE tenant = $1 AND key = $2`, tenant, key))
	if err != nil {
		return store.Message{}, fmt.Errorf("getting message: %w", err)
	}
	var pr store.MessagePricing
	var charged *time.Time
	if err := p.QueryRow(ctx, `SELECT command, pricing_category, pricing_type, billable, country, cost, charged_at
		FROM messages WHERE key = $1`, key).Scan(&m.Command, &pr.Category, &pr.Type, &pr.Billable, &pr.Country, &pr.Cost, &charged); err != nil {
		return store.Message{}, fmt.Errorf("getting message command: %w", err)
	}
	if charged != nil {
		pr.ChargedAt = charged.UTC()
	}
	if pr.Category != "" || pr.Type != "" || pr.Billable != nil {
		m.Pricing = &pr
	}
	rows, err := p.Query(ctx, `SELECT status, at, error_code, error FROM message_statuses
		WHERE message_key = $1 ORDER BY id`, key)
	if err != nil {
		return store.Message{}, fmt.Errorf("getting message timeline: %w", err)
	}
	m.Timeline, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.MessageStatus, error) {
		var st store.MessageStatus
		err := r.Scan(&st.Status, &st.At, &st.ErrorCode, &st.Error)
		st.At = st.At.UTC()
		return st, err
	})
	if err != nil {
		return store.Message{}, fmt.Errorf("getting message timeline: %w", err)
	}
	return m, nil
}

// ListMessages lists a tenant's messages, newest first; Limit defaults to
// 100 and is capped at 1000.
func (s *Store) ListMessages(ctx context.Context, tenant string, f store.MessageFilter) ([]store.Message, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + messageColumns + ` FROM messages WHERE tenant = $1`
	args := []any{tenant}
	if f.MemberID != "" {
		args = append(args, f.MemberID)
		q += ` AND member_id = $` + strconv.Itoa(len(args))
	}
	if f.Status != "" {
		args = append(args, f.Status)
		q += ` AND status = $` + strconv.Itoa(len(args))
	}
	args = append(args, store.ClampLimit(f.Limit))
	q += ` ORDER BY created_at DESC, key DESC LIMIT $` + strconv.Itoa(len(args))
	rows, err := p.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing messages: %w", err)
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Message, error) { return scanMessage(r) })
	if err != nil {
		return nil, fmt.Errorf("listing messages: %w", err)
	}
	return ms, nil
}
