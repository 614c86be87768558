package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

// RedactMember erases a member's personal data in one transaction; see
// store.Privacy. It locks the member's row first, so a loyalty transaction
// on the member waits for it and then finds the tombstone.
func (s *Store) RedactMember(ctx context.Context, tenant, memberID string) error {
	if tenant == "" || memberID == "" {
		return errors.New("redacting member: tenant and member id are required")
	}
	p, err := s.db()
	if err != nil {
		return err
	}
	now := s.clock.Now()
	err = pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		m, err := lockMemberByID(ctx, tx, tenant, memberID)
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
			{"erasing the member", `UPDATE members SET phone = $1, name = '', email = '', birthday = '', birthday_year = 0,
				city = '', tags = '[]', attributes = '{}',
				updated_at = $2 WHERE tenant = $3 AND id = $4
				AND (phone <> $1 OR name <> '' OR email <> '' OR birthday <> '' OR birthday_year <> 0
					OR city <> '' OR tags <> '[]' OR attributes <> '{}')`,
				[]any{tombstone, now, tenant, memberID}},
			// The contact leads to the inbound messages and the
			// conversation of its user id, so these go before it. The phone, user id and email indexes are
			// partial (non-empty values only), so the statements say that
			// their values are not empty.
			{"erasing inbound messages", `UPDATE inbound_messages SET text = '', content = '', phone = '', user_id = ''
				WHERE tenant = $1 AND user_id <> '' AND user_id = (
					SELECT user_id FROM contacts WHERE tenant = $1 AND phone = $2 AND phone <> '')`,
				[]any{tenant, phone}},
			{"erasing inbound messages", `UPDATE inbound_messages SET text = '', content = '', phone = '', user_id = ''
				WHERE tenant = $1 AND phone = $2 AND phone <> ''`, []any{tenant, phone}},
			{"deleting conversations", `DELETE FROM conversations
				WHERE tenant = $1 AND user_id <> '' AND user_id = (
					SELECT user_id FROM contacts WHERE tenant = $1 AND phone = $2 AND phone <> '')`,
				[]any{tenant, phone}},
			{"deleting conversations", `DELETE FROM conversations WHERE tenant = $1 AND phone = $2 AND phone <> ''`,
				[]any{tenant, phone}},
			// Answers in the chat go to the wa_id as WhatsApp gave it,
			// which may be another form of the member's number.
			// A short link's URL may name the person (a cart's): the
			// links of the messages erased go, their clicks stay.
			{"deleting short links", `DELETE FROM links WHERE message_key IN (
				SELECT key FROM messages WHERE tenant = $1 AND recipient <> '' AND recipient = (
					SELECT '+' || wa_id FROM contacts WHERE tenant = $1 AND phone = $2 AND phone <> '' AND wa_id <> ''))`,
				[]any{tenant, phone}},
			{"erasing messages", `UPDATE messages SET recipient = '', command = NULL
				WHERE tenant = $1 AND recipient <> '' AND recipient = (
					SELECT '+' || wa_id FROM contacts WHERE tenant = $1 AND phone = $2 AND phone <> '' AND wa_id <> '')`,
				[]any{tenant, phone}},
			{"deleting the contact", `DELETE FROM contacts WHERE tenant = $1 AND phone = $2 AND phone <> ''`,
				[]any{tenant, phone}},
			{"deleting short links", `DELETE FROM links WHERE message_key IN (
				SELECT key FROM messages WHERE tenant = $1 AND member_id = $2 AND member_id <> '')`,
				[]any{tenant, memberID}},
			{"deleting short links", `DELETE FROM links WHERE message_key IN (
				SELECT key FROM messages WHERE tenant = $1 AND recipient = $2 AND recipient <> '')`,
				[]any{tenant, phone}},
			{"erasing messages", `UPDATE messages SET recipient = '', command = NULL
				WHERE tenant = $1 AND member_id = $2 AND (recipient <> '' OR command IS NOT NULL)`,
				[]any{tenant, memberID}},
			{"erasing messages", `UPDATE messages SET recipient = '', command = NULL
				WHERE tenant = $1 AND recipient = $2 AND recipient <> ''`, []any{tenant, phone}},
			{"erasing checkouts", `UPDATE checkouts SET phone = '', email = '', name = ''
				WHERE tenant = $1 AND phone = $2 AND phone <> ''`, []any{tenant, phone}},
			{"erasing checkouts", `UPDATE checkouts SET phone = '', email = '', name = ''
				WHERE tenant = $1 AND email = $2 AND email <> ''`, []any{tenant, email}},
			{"erasing identities", `DELETE FROM member_identities WHERE member_id = $1 AND tenant = $2 AND kind <> 'merged'`,
				[]any{memberID, tenant}},
		}
		for _, st := range steps {
			if _, err := tx.Exec(ctx, st.query, st.args...); err != nil {
				return fmt.Errorf("%s: %w", st.what, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("redacting member: %w", err)
	}
	return nil
}

// MemberIDs lists the tenant's member ids after afterID; see
// store.Privacy.
func (s *Store) MemberIDs(ctx context.Context, tenant, afterID string, limit int) ([]string, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT id FROM members WHERE tenant = $1 AND id > $2
		AND phone NOT LIKE '`+store.MergedPrefix+`%' ORDER BY id LIMIT $3`,
		tenant, afterID, store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing member ids: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("listing member ids: %w", err)
	}
	return ids, nil
}

// RedactDeadLetters erases the payloads of the tenant's dead letters that
// match; see store.Privacy.
func (s *Store) RedactDeadLetters(ctx context.Context, tenant string, match func(payload []byte) bool, at time.Time) (int, error) {
	p, err := s.db()
	if err != nil {
		return 0, err
	}
	n := 0
	err = pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		n = 0
		rows, err := tx.Query(ctx, `SELECT id, payload FROM dead_letters
			WHERE tenant = $1 AND length(payload) > 0 FOR UPDATE`, tenant)
		if err != nil {
			return err
		}
		var hits []string
		var id string
		var payload []byte
		if _, err := pgx.ForEachRow(rows, []any{&id, &payload}, func() error {
			if match(payload) {
				hits = append(hits, id)
			}
			return nil
		}); err != nil {
			return err
		}
		if len(hits) == 0 {
			return nil
		}
		tag, err := tx.Exec(ctx, `UPDATE dead_letters SET payload = ''::bytea,
			metadata = metadata || jsonb_build_object($1::text, $2::text) WHERE tenant = $3 AND id = ANY($4)`,
			store.RedactedMeta, s.clock.Stamp(at).Format(time.RFC3339Nano), tenant, hits)
		n = int(tag.RowsAffected())
		return err
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
	p, err := s.db()
	if err != nil {
		return store.Erasure{}, false, err
	}
	e.At = s.clock.Stamp(e.At)
	e.Members = store.NonNilIDs(e.Members)
	members, err := json.Marshal(e.Members)
	if err != nil {
		return store.Erasure{}, false, fmt.Errorf("recording erasure: %w", err)
	}
	tag, err := p.Exec(ctx, `INSERT INTO privacy_erasures (tenant, request_id, actor, members, dead_letters, at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		e.Tenant, e.RequestID, e.Actor, string(members), e.DeadLetters, e.At)
	if err != nil {
		return store.Erasure{}, false, fmt.Errorf("recording erasure: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return e, true, nil
	}
	// The row that won the insert is committed: ON CONFLICT waited for it.
	kept, err := erasure(ctx, p, e.Tenant, e.RequestID)
	if err != nil {
		return store.Erasure{}, false, fmt.Errorf("recording erasure: %w", err)
	}
	return kept, false, nil
}

// Erasure returns the record of a request id; see store.Privacy.
func (s *Store) Erasure(ctx context.Context, tenant, requestID string) (store.Erasure, error) {
	p, err := s.db()
	if err != nil {
		return store.Erasure{}, err
	}
	e, err := erasure(ctx, p, tenant, requestID)
	if err != nil {
		return store.Erasure{}, fmt.Errorf("reading erasure: %w", err)
	}
	return e, nil
}

func erasure(ctx context.Context, q querier, tenant, requestID string) (store.Erasure, error) {
	e := store.Erasure{Tenant: tenant, RequestID: requestID}
	var members string
	if err := q.QueryRow(ctx, `SELECT actor, members, dead_letters, at FROM privacy_erasures
		WHERE tenant = $1 AND request_id = $2`, tenant, requestID).Scan(&e.Actor, &members, &e.DeadLetters, &e.At); err != nil {
		return store.Erasure{}, notFound(err)
	}
	if err := json.Unmarshal([]byte(members), &e.Members); err != nil {
		return store.Erasure{}, fmt.Errorf("decoding the erased members: %w", err)
	}
	e.Members, e.At = store.NonNilIDs(e.Members), e.At.UTC()
	return e, nil
}
