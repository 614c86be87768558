package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

const contactColumns = `id, tenant, phone, user_id, wa_id, name, marketing, marketing_at, marketing_source,
	marketing_text, last_inbound_at, hold_until, hold_reason, updated_at`

type contactRow struct {
	id int64
	member.Contact
}

type rowQueryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func scanContact(r pgx.Row) (contactRow, error) {
	var c contactRow
	var mAt, inAt, hold *time.Time
	if err := r.Scan(&c.id, &c.Tenant, &c.Phone, &c.UserID, &c.WAID, &c.Name, &c.Marketing, &mAt, &c.MarketingSource,
		&c.MarketingText, &inAt, &hold, &c.HoldReason, &c.UpdatedAt); err != nil {
		return contactRow{}, notFound(err)
	}
	c.MarketingAt, c.LastInboundAt, c.HoldUntil = utcOrZero(mAt), utcOrZero(inAt), utcOrZero(hold)
	c.UpdatedAt = c.UpdatedAt.UTC()
	return c, nil
}

func utcOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// findByRef looks a row keyed like a contact up by phone and by user id,
// with a query for each taking (tenant, phone) and (tenant, user id); the
// rows found either way (nil when none).
func findByRef[T any](ctx context.Context, q rowQueryer, tenant string, ref store.ContactRef,
	byPhoneQuery, byUserQuery string, scan func(pgx.Row) (T, error)) (byPhone, byUser *T, err error) {
	find := func(query, key string) (*T, error) {
		if key == "" {
			return nil, nil
		}
		row, err := scan(q.QueryRow(ctx, query, tenant, key))
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

// findContact looks a reference up by phone and by user id; lock is
// appended to each query (" FOR UPDATE" in a writing transaction).
func findContact(ctx context.Context, q rowQueryer, tenant string, ref store.ContactRef, lock string) (byPhone, byUser *contactRow, err error) {
	return findByRef(ctx, q, tenant, ref,
		`SELECT `+contactColumns+` FROM contacts WHERE tenant = $1 AND phone = $2`+lock,
		`SELECT `+contactColumns+` FROM contacts WHERE tenant = $1 AND user_id = $2`+lock, scanContact)
}

// contactLockKey serialises the first write of a new contact: two
// transactions that find no row must not both insert one.
func contactLockKey(tenant string, ref store.ContactRef) string {
	if ref.Phone != "" {
		return "contact|" + tenant + "|p" + ref.Phone
	}
	return "contact|" + tenant + "|u" + ref.UserID
}

func upsertContact(ctx context.Context, tx pgx.Tx, tenant string, ref store.ContactRef, change member.Change, now time.Time) (member.Contact, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, contactLockKey(tenant, ref)); err != nil {
		return member.Contact{}, fmt.Errorf("locking contact: %w", err)
	}
	byPhone, byUser, err := findContact(ctx, tx, tenant, ref, ` FOR UPDATE`)
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
func detachUserID(ctx context.Context, tx pgx.Tx, row *contactRow, now time.Time) error {
	var err error
	if row.Phone == "" {
		_, err = tx.Exec(ctx, `DELETE FROM contacts WHERE id = $1`, row.id)
	} else {
		_, err = tx.Exec(ctx, `UPDATE contacts SET user_id = '', updated_at = $1 WHERE id = $2`, now, row.id)
	}
	if err != nil {
		return fmt.Errorf("detaching user id: %w", err)
	}
	return nil
}

// writeContact inserts c (id 0) or replaces the row id.
func writeContact(ctx context.Context, tx pgx.Tx, id int64, c member.Contact, now time.Time) error {
	args := []any{c.Phone, c.UserID, c.WAID, c.Name, c.Marketing, nullTime(c.MarketingAt), c.MarketingSource,
		c.MarketingText, nullTime(c.LastInboundAt), nullTime(c.HoldUntil), c.HoldReason, now}
	var err error
	if id == 0 {
		_, err = tx.Exec(ctx, `INSERT INTO contacts (phone, user_id, wa_id, name, marketing, marketing_at,
			marketing_source, marketing_text, last_inbound_at, hold_until, hold_reason, updated_at, tenant)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, append(args, c.Tenant)...)
	} else {
		_, err = tx.Exec(ctx, `UPDATE contacts SET phone = $1, user_id = $2, wa_id = $3, name = $4, marketing = $5,
			marketing_at = $6, marketing_source = $7, marketing_text = $8, last_inbound_at = $9, hold_until = $10,
			hold_reason = $11, updated_at = $12 WHERE id = $13`, append(args, id)...)
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
	p, err := s.db()
	if err != nil {
		return member.Contact{}, false, err
	}
	m.At = s.clock.Stamp(m.At)
	var (
		c   member.Contact
		dup bool
	)
	err = pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO inbound_messages (tenant, provider_message_id, phone, user_id, type, text, at, content)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			m.Tenant, m.ProviderMessageID, m.Contact.Phone, m.Contact.UserID, m.Type, m.Text, m.At, string(m.Content))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			dup = true
			byPhone, byUser, err := findContact(ctx, tx, m.Tenant, m.Contact, "")
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
	FROM inbound_messages WHERE tenant = $1 AND phone = $2 AND phone <> ''
	UNION
	SELECT provider_message_id, phone, user_id, type, text, at, content
	FROM inbound_messages WHERE tenant = $1 AND user_id = $3 AND user_id <> ''
	ORDER BY at DESC, provider_message_id DESC LIMIT $4`

// ListInbound lists a contact's inbound messages, newest first; see
// store.Contacts.
func (s *Store) ListInbound(ctx context.Context, tenant string, ref store.ContactRef, limit int) ([]store.InboundMessage, error) {
	if ref.Empty() {
		return nil, fmt.Errorf("listing inbound messages: %w", store.ErrNoContact)
	}
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	byPhone, byUser, err := findContact(ctx, p, tenant, ref, "")
	if err != nil {
		return nil, fmt.Errorf("listing inbound messages: %w", err)
	}
	switch {
	case byPhone != nil:
		ref = store.InboundRef(ref, &byPhone.Contact)
	case byUser != nil:
		ref = store.InboundRef(ref, &byUser.Contact)
	}
	rows, err := p.Query(ctx, queryInbound, tenant, ref.Phone, ref.UserID, store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing inbound messages: %w", err)
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.InboundMessage, error) {
		m := store.InboundMessage{Tenant: tenant}
		var content string
		err := r.Scan(&m.ProviderMessageID, &m.Contact.Phone, &m.Contact.UserID, &m.Type, &m.Text, &m.At, &content)
		m.At = m.At.UTC()
		if content != "" {
			m.Content = json.RawMessage(content)
		}
		return m, err
	})
	if err != nil {
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
	p, err := s.db()
	if err != nil {
		return member.Contact{}, err
	}
	var c member.Contact
	err = pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
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
	p, err := s.db()
	if err != nil {
		return member.Contact{}, err
	}
	byPhone, byUser, err := findContact(ctx, p, tenant, ref, "")
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
	p, err := s.db()
	if err != nil {
		return 0, err
	}
	var n int
	if err := p.QueryRow(ctx, `SELECT count(*) FROM messages
		WHERE tenant = $1 AND recipient = $2 AND created_at >= $3 AND category = $4 AND status NOT IN ($5, $6, $7, $8)`,
		tenant, recipient, since, category, store.MessageFailed, store.MessagePending, store.MessageSkipped, store.MessageQueued).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting messages: %w", err)
	}
	return n, nil
}
