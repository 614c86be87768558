package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// ChangeIdentity applies a user's new number or user id once; see
// store.Contacts.
func (s *Store) ChangeIdentity(ctx context.Context, ch store.IdentityChange) (store.IdentityResult, error) {
	if ch.Tenant == "" || ch.MessageID == "" {
		return store.IdentityResult{}, errors.New("changing identity: tenant and message id are required")
	}
	var res store.IdentityResult
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res = store.IdentityResult{}
		rec := ch.New
		if rec.Phone == "" {
			rec.Phone = ch.Old.Phone
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO inbound_messages (tenant, provider_message_id, phone, user_id, type, text, at)
			VALUES (?, ?, ?, ?, 'system', ?, ?) ON CONFLICT DO NOTHING`,
			ch.Tenant, ch.MessageID, rec.Phone, rec.UserID, ch.Kind, toDB(s.clock.Stamp(ch.At)))
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			res.Duplicate = true
			return nil
		}
		now := s.clock.Now()
		if err := moveContact(ctx, tx, ch, now, &res); err != nil {
			return err
		}
		if err := moveConversation(ctx, tx, ch, now); err != nil {
			return err
		}
		return moveMember(ctx, tx, ch, now, &res)
	})
	if err != nil {
		return store.IdentityResult{}, fmt.Errorf("changing identity: %w", err)
	}
	return res, nil
}

func moveContact(ctx context.Context, tx *wtx, ch store.IdentityChange, now time.Time, res *store.IdentityResult) error {
	rows := store.IdentityRows[contactRow]{
		Find: func(ref store.ContactRef) (*contactRow, *contactRow, error) {
			return findContact(ctx, tx, ch.Tenant, ref)
		},
		ID: func(r *contactRow) int64 { return r.id },
		Delete: func(id int64) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM contacts WHERE id = ?`, id)
			return err
		},
	}
	c, err := store.MoveContactRows(ch, rows,
		func(r *contactRow) *member.Contact { return &r.Contact },
		func(r *contactRow) error { return detachUserID(ctx, tx, r, now) },
		func(id int64, c member.Contact) error { return writeContact(ctx, tx, id, c, now) })
	if c != nil {
		c.UpdatedAt = now
	}
	res.Contact = c
	return err
}

func moveConversation(ctx context.Context, tx *wtx, ch store.IdentityChange, now time.Time) error {
	rows := store.IdentityRows[conversationRow]{
		Find: func(ref store.ContactRef) (*conversationRow, *conversationRow, error) {
			return findConversation(ctx, tx, ch.Tenant, ref)
		},
		ID: func(r *conversationRow) int64 { return r.id },
		Delete: func(id int64) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM conversations WHERE id = ?`, id)
			return err
		},
	}
	return store.MoveConversationRows(ch, rows,
		func(r *conversationRow) store.ContactRef { return store.ContactRef{Phone: r.Phone, UserID: r.UserID} },
		func(id int64, ref store.ContactRef) error {
			_, err := tx.ExecContext(ctx, `UPDATE conversations SET phone = ?, user_id = ?, updated_at = ? WHERE id = ?`,
				ref.Phone, ref.UserID, toDB(now), id)
			return err
		})
}

func moveMember(ctx context.Context, tx *wtx, ch store.IdentityChange, now time.Time, res *store.IdentityResult) error {
	if !ch.PhoneMoves() {
		return nil
	}
	old, err := memberByPhone(ctx, tx, ch.Tenant, ch.Old.Phone)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	res.MemberID = old.ID
	cur, err := memberByPhone(ctx, tx, ch.Tenant, ch.New.Phone)
	switch {
	case err == nil:
		res.ConflictMemberID = cur.ID
		return nil
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE members SET phone = ?, updated_at = ? WHERE tenant = ? AND id = ?`,
		ch.New.Phone, toDB(now), ch.Tenant, old.ID); err != nil {
		return fmt.Errorf("moving the member's number: %w", err)
	}
	return nil
}
