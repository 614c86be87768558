package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

// The statements of a redaction, in the order they run: the inbound
// messages and the conversation of the contact's user id are found through
// the contact before it is deleted. The phone, user id and email indexes
// are partial (non-empty values only), so every statement also says that
// its value is not empty.
const (
	redactMember = `UPDATE members SET phone = ?, name = '', email = '', birthday = '', birthday_year = 0,
		city = '', tags = '', attributes = '',
		updated_at = ? WHERE tenant = ? AND id = ?
		AND (phone <> ? OR name <> '' OR email <> '' OR birthday <> '' OR birthday_year <> 0
			OR city <> '' OR tags NOT IN ('', '[]') OR attributes NOT IN ('', '{}'))`
	redactInboundByUser = `UPDATE inbound_messages SET text = '', content = '', phone = '', user_id = ''
		WHERE tenant = ? AND user_id <> '' AND user_id = (
			SELECT user_id FROM contacts WHERE tenant = ? AND phone = ? AND phone <> '')`
	redactInboundByPhone = `UPDATE inbound_messages SET text = '', content = '', phone = '', user_id = ''
		WHERE tenant = ? AND phone = ? AND phone <> ''`
	redactConversationByUser = `DELETE FROM conversations
		WHERE tenant = ? AND user_id <> '' AND user_id = (
			SELECT user_id FROM contacts WHERE tenant = ? AND phone = ? AND phone <> '')`
	redactConversationByPhone = `DELETE FROM conversations WHERE tenant = ? AND phone = ? AND phone <> ''`
	redactContact             = `DELETE FROM contacts WHERE tenant = ? AND phone = ? AND phone <> ''`
	redactMessagesOfMember    = `UPDATE messages SET recipient = '', command = NULL
		WHERE tenant = ? AND member_id = ? AND (recipient <> '' OR command IS NOT NULL)`
	redactMessagesToPhone = `UPDATE messages SET recipient = '', command = NULL
		WHERE tenant = ? AND recipient = ? AND recipient <> ''`
	// The links of the messages erased below, before those lose their
	// recipient.
	redactLinksOfMember = `DELETE FROM links WHERE message_key IN (
		SELECT key FROM messages WHERE tenant = ? AND member_id = ? AND member_id <> '')`
	redactLinksToPhone = `DELETE FROM links WHERE message_key IN (
		SELECT key FROM messages WHERE tenant = ? AND recipient = ? AND recipient <> '')`
	redactCheckoutsByPhone = `UPDATE checkouts SET phone = '', email = '', name = ''
		WHERE tenant = ? AND phone = ? AND phone <> ''`
	redactCheckoutsByEmail = `UPDATE checkouts SET phone = '', email = '', name = ''
		WHERE tenant = ? AND email = ? AND email <> ''`

	redactIdentities = `DELETE FROM member_identities WHERE member_id = ? AND tenant = ? AND kind <> 'merged'`

	queryMemberIDs = `SELECT id FROM members WHERE tenant = ? AND id > ? AND phone NOT LIKE '` + store.MergedPrefix + `%'
		ORDER BY id LIMIT ?`
)

// redactMessagesToWAID erases the messages sent to the contact's wa_id as
// WhatsApp gave it (answers in the chat go there), which may be another
// form of the member's number.
const redactMessagesToWAID = `UPDATE messages SET recipient = '', command = NULL
	WHERE tenant = ? AND recipient <> '' AND recipient = (
		SELECT '+' || wa_id FROM contacts WHERE tenant = ? AND phone = ? AND phone <> '' AND wa_id <> '')`

// redactLinksToWAID deletes the links of the messages
// redactMessagesToWAID erases.
const redactLinksToWAID = `DELETE FROM links WHERE message_key IN (
	SELECT key FROM messages WHERE tenant = ? AND recipient <> '' AND recipient = (
		SELECT '+' || wa_id FROM contacts WHERE tenant = ? AND phone = ? AND phone <> '' AND wa_id <> ''))`

// RedactMember erases a member's personal data in one transaction; see
// store.Privacy.
func (s *Store) RedactMember(ctx context.Context, tenant, memberID string) error {
	if tenant == "" || memberID == "" {
		return errors.New("redacting member: tenant and member id are required")
	}
	now := toDB(s.clock.Now())
	if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		m, err := memberByID(ctx, tx, tenant, memberID)
		if err != nil {
			return err
		}
		memberID, phone, email := m.ID, m.Phone, m.Email
		tombstone := store.RedactedPhone(memberID)
		steps := []struct {
			what  string
			query string
			args  []any
		}{
			{"erasing the member", redactMember, []any{tombstone, now, tenant, memberID, tombstone}},
			{"erasing inbound messages", redactInboundByUser, []any{tenant, tenant, phone}},
			{"erasing inbound messages", redactInboundByPhone, []any{tenant, phone}},
			{"deleting conversations", redactConversationByUser, []any{tenant, tenant, phone}},
			{"deleting conversations", redactConversationByPhone, []any{tenant, phone}},
			{"deleting short links", redactLinksToWAID, []any{tenant, tenant, phone}},
			{"erasing messages", redactMessagesToWAID, []any{tenant, tenant, phone}},
			{"deleting the contact", redactContact, []any{tenant, phone}},
			{"deleting short links", redactLinksOfMember, []any{tenant, memberID}},
			{"deleting short links", redactLinksToPhone, []any{tenant, phone}},
			{"erasing messages", redactMessagesOfMember, []any{tenant, memberID}},
			{"erasing messages", redactMessagesToPhone, []any{tenant, phone}},
			{"erasing checkouts", redactCheckoutsByPhone, []any{tenant, phone}},
			{"erasing checkouts", redactCheckoutsByEmail, []any{tenant, email}},
			{"erasing identities", redactIdentities, []any{memberID, tenant}},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.query, st.args...); err != nil {
				return fmt.Errorf("%s: %w", st.what, err)
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("redacting member: %w", err)
	}
	return nil
}

// MemberIDs lists the tenant's member ids after afterID; see
// store.Privacy.
func (s *Store) MemberIDs(ctx context.Context, tenant, afterID string, limit int) ([]string, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, queryMemberIDs, tenant, afterID, store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing member ids: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("listing member ids: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing member ids: %w", err)
	}
	return ids, nil
}

// RedactDeadLetters erases the payloads of the tenant's dead letters that
// match; see store.Privacy.
func (s *Store) RedactDeadLetters(ctx context.Context, tenant string, match func(payload []byte) bool, at time.Time) (int, error) {
	n := 0
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `SELECT id, payload FROM dead_letters
			WHERE tenant = ? AND length(payload) > 0`, tenant)
		if err != nil {
			return err
		}
		var hits []string
		for rows.Next() {
			var id string
			var payload []byte
			if err := rows.Scan(&id, &payload); err != nil {
				_ = rows.Close()
				return err
			}
			if match(payload) {
				hits = append(hits, id)
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		stamp := s.clock.Stamp(at).Format(time.RFC3339Nano)
		for _, id := range hits {
			if _, err := tx.ExecContext(ctx, `UPDATE dead_letters SET payload = X'',
				metadata = json_set(metadata, '$.' || ?, ?) WHERE tenant = ? AND id = ?`,
				store.RedactedMeta, stamp, tenant, id); err != nil {
				return err
			}
		}
		n = len(hits)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("redacting dead letters: %w", err)
	}
	return n, nil
}

// RecordErasure keeps the record of an erasure once per request id; see
// store.Privacy.
func (s *Store) RecordErasure(ctx context.Context, e store.Erasure) (store.Erasure, bool, error) {
	if e.Tenant == "" || e.RequestID == "" {
		return store.Erasure{}, false, errors.New("recording erasure: tenant and request id are required")
	}
	e.At = s.clock.Stamp(e.At)
	e.Members = store.NonNilIDs(e.Members)
	members, err := json.Marshal(e.Members)
	if err != nil {
		return store.Erasure{}, false, fmt.Errorf("recording erasure: %w", err)
	}
	kept, recorded := e, true
	err = s.do(ctx, func(ctx context.Context, tx *wtx) error {
		kept, recorded = e, true
		res, err := tx.ExecContext(ctx, `INSERT INTO privacy_erasures (tenant, request_id, actor, members, dead_letters, at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			e.Tenant, e.RequestID, e.Actor, string(members), e.DeadLetters, toDB(e.At))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		recorded = false
		kept, err = erasure(ctx, tx, e.Tenant, e.RequestID)
		return err
	})
	if err != nil {
		return store.Erasure{}, false, fmt.Errorf("recording erasure: %w", err)
	}
	return kept, recorded, nil
}

// Erasure returns the record of a request id; see store.Privacy.
func (s *Store) Erasure(ctx context.Context, tenant, requestID string) (store.Erasure, error) {
	r, err := s.reads()
	if err != nil {
		return store.Erasure{}, err
	}
	e, err := erasure(ctx, r, tenant, requestID)
	if err != nil {
		return store.Erasure{}, fmt.Errorf("reading erasure: %w", err)
	}
	return e, nil
}

func erasure(ctx context.Context, q queryer, tenant, requestID string) (store.Erasure, error) {
	e := store.Erasure{Tenant: tenant, RequestID: requestID}
	var members string
	var at int64
	if err := q.QueryRowContext(ctx, `SELECT actor, members, dead_letters, at FROM privacy_erasures
		WHERE tenant = ? AND request_id = ?`, tenant, requestID).Scan(&e.Actor, &members, &e.DeadLetters, &at); err != nil {
		return store.Erasure{}, notFound(err)
	}
	if err := json.Unmarshal([]byte(members), &e.Members); err != nil {
		return store.Erasure{}, fmt.Errorf("decoding the erased members: %w", err)
	}
	e.Members, e.At = store.NonNilIDs(e.Members), fromDB(at)
	return e, nil
}
