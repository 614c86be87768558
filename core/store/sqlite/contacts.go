package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

const (
	contactColumns = `id, tenant, phone, user_id, wa_id, name, marketing, marketing_at, marketing_source,
	marketing_text, last_inbound_at, hold_until, hold_reason, updated_at`
	// The phone and user id indexes are partial (non-empty values only):
	// a lookup says its value is not empty so that SQLite may use them.
	queryContactByPhone = `SELECT ` + contactColumns + ` FROM contacts WHERE tenant = ? AND phone = ? AND phone <> ''`
	queryContactByUser  = `SELECT ` + contactColumns + ` FROM contacts WHERE tenant = ? AND user_id = ? AND user_id <> ''`
)

// contactRow is a contact with its row id.
type contactRow struct {
	id int64
	member.Contact
}

func scanContact(r rowScanner) (contactRow, error) {
	var c contactRow
	var mAt, inAt, hold, upd int64
	if err := r.Scan(&c.id, &c.Tenant, &c.Phone, &c.UserID, &c.WAID, &c.Name, &c.Marketing, &mAt, &c.MarketingSource,
		&c.MarketingText, &inAt, &hold, &c.HoldReason, &upd); err != nil {
		return contactRow{}, notFound(err)
	}
	c.MarketingAt, c.LastInboundAt, c.HoldUntil = fromDBZero(mAt), fromDBZero(inAt), fromDBZero(hold)
	c.UpdatedAt = fromDB(upd)
	return c, nil
}

// fromDBZero reads a time stored as 0 when unset.
func fromDBZero(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromDB(v)
}

func toDBZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return toDB(t)
}

// findByRef looks a row keyed like a contact up by phone and by user id,
// with a query for each taking (tenant, phone) and (tenant, user id); the
// rows found either way (nil when none).
func findByRef[T any](ctx context.Context, q queryer, tenant string, ref store.ContactRef,
	byPhoneQuery, byUserQuery string, scan func(rowScanner) (T, error)) (byPhone, byUser *T, err error) {
	find := func(query, key string) (*T, error) {
		if key == "" {
			return nil, nil
		}
		row, err := scan(q.QueryRowContext(ctx, query, tenant, key))
		switch {
		case err == nil:
			return &row, nil
		case errors.Is(err, store.ErrNotFound):
			return nil, nil
		}
		return nil, err
	}
	if byPhone, err = find(byPhoneQuery, ref.Phone); err != nil {
		return nil, nil, err
	}
	if byUser, err = find(byUserQuery, ref.UserID); err != nil {
		return nil, nil, err
	}
	return byPhone, byUser, nil
}

// findContact looks a reference up by phone and by user id.
func findContact(ctx context.Context, q queryer, tenant string, ref store.ContactRef) (byPhone, byUser *contactRow, err error) {
	return findByRef(ctx, q, tenant, ref, queryContactByPhone, queryContactByUser, scanContact)
}

// upsertContact resolves ref to one row, applies change and writes it.
func upsertContact(ctx context.Context, tx *wtx, tenant string, ref store.ContactRef, change member.Change, now time.Time) (member.Contact, error) {
	byPhone, byUser, err := findContact(ctx, tx, tenant, ref)
	if err != nil {
		return member.Contact{}, err
	}
	var p, u *member.Contact
	id := int64(0)
	if byPhone != nil {
		p, id = &byPhone.Contact, byPhone.id
	}
	if byUser != nil {
		u = &byUser.Contact
		if id == 0 {
			id = byUser.id
		}
	}
	c, detach := store.MergeContacts(tenant, ref, p, u)
	if detach != nil {
		if err := detachUserID(ctx, tx, byUser, now); err != nil {
			return member.Contact{}, err
		}
	}
	change(&c)
	if err := writeContact(ctx, tx, id, c, now); err != nil {
		return member.Contact{}, err
	}
	c.UpdatedAt = now
	return c, nil
}

// detachUserID takes a contact's user id from it: the row is deleted when
// it has no phone number left.
func detachUserID(ctx context.Context, tx *wtx, row *contactRow, now time.Time) error {
	var err error
	if row.Phone == "" {
		_, err = tx.ExecContext(ctx, `DELETE FROM contacts WHERE id = ?`, row.id)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE contacts SET user_id = '', updated_at = ? WHERE id = ?`, toDB(now), row.id)
	}
	if err != nil {
		return fmt.Errorf("detaching user id: %w", err)
	}
	return nil
}

// writeContact inserts c (id 0) or replaces the row id.
func writeContact(ctx context.Context, tx *wtx, id int64, c member.Contact, now time.Time) error {
	args := []any{c.Phone, c.UserID, c.WAID, c.Name, c.Marketing, toDBZero(c.MarketingAt), c.MarketingSource,
		c.MarketingText, toDBZero(c.LastInboundAt), toDBZero(c.HoldUntil), c.HoldReason, toDB(now)}
	var err error
	if id == 0 {
		_, err = tx.ExecContext(ctx, `INSERT INTO contacts (tenant, phone, user_id, wa_id, name, marketing, marketing_at,
			marketing_source, marketing_text, last_inbound_at, hold_until, hold_reason, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append([]any{c.Tenant}, args...)...)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE contacts SET phone = ?, user_id = ?, wa_id = ?, name = ?, marketing = ?,
			marketing_at = ?, marketing_source = ?, marketing_text = ?, last_inbound_at = ?, hold_until = ?,
			hold_reason = ?, updated_at = ? WHERE id = ?`, append(args, id)...)
	}
	return err
}

// RecordInbound stores a customer's message once; see store.Contacts.
func (s *Store) RecordInbound(ctx context.Context, m store.InboundMessage) (member.Contact, bool, error) {
	if m.Tenant == "" || m.ProviderMessageID == "" {
		return member.Contact{}, false, errors.New("recording inbound message: tenant and message id are required")
	}
	if m.Contact.Empty() {
		return member.Contact{}, false, fmt.Errorf("recording inbound message: %w", store.ErrNoContact)
	}
	if err := store.CheckContent(m.Content); err != nil {
		return member.Contact{}, false, fmt.Errorf("recording inbound message: %w", err)
	}
	at := s.clock.Stamp(m.At)
	var (
		c   member.Contact
		dup bool
	)
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO inbound_messages (tenant, provider_message_id, phone, user_id, type, text, at, content)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			m.Tenant, m.ProviderMessageID, m.Contact.Phone, m.Contact.UserID, m.Type, m.Text, toDB(at), string(m.Content))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			dup = true
			byPhone, byUser, err := findContact(ctx, tx, m.Tenant, m.Contact)
			if err != nil {
				return err
			}
			if byPhone != nil {
				c = byPhone.Contact
			} else if byUser != nil {
				c = byUser.Contact
			}
			return nil
		}
		m.At = at
		c, err = upsertContact(ctx, tx, m.Tenant, m.Contact, func(c *member.Contact) { store.ApplyInbound(c, m) }, s.clock.Now())
		return err
	})
	if err != nil {
		return member.Contact{}, false, fmt.Errorf("recording inbound message: %w", err)
	}
	return c, dup, nil
}

// queryInbound lists the messages of a phone number and of a user id (the
// phone and user id indexes are partial: non-empty values only).
const queryInbound = `SELECT provider_message_id, phone, user_id, type, text, at, content
	FROM inbound_messages WHERE tenant = ? AND phone = ? AND phone <> ''
	UNION
	SELECT provider_message_id, phone, user_id, type, text, at, content
	FROM inbound_messages WHERE tenant = ? AND user_id = ? AND user_id <> ''
	ORDER BY at DESC, provider_message_id DESC LIMIT ?`

// ListInbound lists a contact's inbound messages, newest first; see
// store.Contacts.
func (s *Store) ListInbound(ctx context.Context, tenant string, ref store.ContactRef, limit int) ([]store.InboundMessage, error) {
	if ref.Empty() {
		return nil, fmt.Errorf("listing inbound messages: %w", store.ErrNoContact)
	}
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	byPhone, byUser, err := findContact(ctx, r, tenant, ref)
	if err != nil {
		return nil, fmt.Errorf("listing inbound messages: %w", err)
	}
	switch {
	case byPhone != nil:
		ref = store.InboundRef(ref, &byPhone.Contact)
	case byUser != nil:
		ref = store.InboundRef(ref, &byUser.Contact)
	}
	rows, err := r.QueryContext(ctx, queryInbound, tenant, ref.Phone, tenant, ref.UserID, store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing inbound messages: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var ms []store.InboundMessage
	for rows.Next() {
		m := store.InboundMessage{Tenant: tenant}
		var at int64
		var content string
		if err := rows.Scan(&m.ProviderMessageID, &m.Contact.Phone, &m.Contact.UserID, &m.Type, &m.Text, &at, &content); err != nil {
			return nil, fmt.Errorf("listing inbound messages: %w", err)
		}
		m.At = fromDB(at)
		if content != "" {
			m.Content = json.RawMessage(content)
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing inbound messages: %w", err)
	}
	return ms, nil
}

// UpdateContact applies change to the contact ref names; see
// store.Contacts.
func (s *Store) UpdateContact(ctx context.Context, tenant string, ref store.ContactRef, change member.Change) (member.Contact, error) {
	if ref.Empty() {
		return member.Contact{}, fmt.Errorf("updating contact: %w", store.ErrNoContact)
	}
	var c member.Contact
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		var err error
		c, err = upsertContact(ctx, tx, tenant, ref, change, s.clock.Now())
		return err
	})
	if err != nil {
		return member.Contact{}, fmt.Errorf("updating contact: %w", err)
	}
	return c, nil
}

// Contact returns the contact ref names; see store.Contacts.
func (s *Store) Contact(ctx context.Context, tenant string, ref store.ContactRef) (member.Contact, error) {
	if ref.Empty() {
		return member.Contact{}, fmt.Errorf("reading contact: %w", store.ErrNoContact)
	}
	r, err := s.reads()
	if err != nil {
		return member.Contact{}, err
	}
	byPhone, byUser, err := findContact(ctx, r, tenant, ref)
	switch {
	case err != nil:
		return member.Contact{}, fmt.Errorf("reading contact: %w", err)
	case byPhone != nil:
		return byPhone.Contact, nil
	case byUser != nil:
		return byUser.Contact, nil
	}
	return member.Contact{}, fmt.Errorf("reading contact: %w", store.ErrNotFound)
}

// CountMessages counts a recipient's sent messages of a category; see
// store.Contacts.
func (s *Store) CountMessages(ctx context.Context, tenant, recipient, category string, since time.Time) (int, error) {
	r, err := s.reads()
	if err != nil {
		return 0, err
	}
	var n int
	if err := r.QueryRowContext(ctx, `SELECT count(*) FROM messages
		WHERE tenant = ? AND recipient = ? AND created_at >= ? AND category = ? AND status NOT IN (?, ?, ?, ?)`,
		tenant, recipient, toDB(since), category, store.MessageFailed, store.MessagePending, store.MessageSkipped, store.MessageQueued).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting messages: %w", err)
	}
	return n, nil
}
