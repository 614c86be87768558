package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// ChangeIdentity applies a user's new number or user id once; see
// store.Contacts.
func (s *Store) ChangeIdentity(ctx context.Context, ch store.IdentityChange) (store.IdentityResult, error) {
	if ch.Tenant == "" || ch.MessageID == "" {
		return store.IdentityResult{}, errors.New("changing identity: tenant and message id are required")
	}
	p, err := s.db()
	if err != nil {
		return store.IdentityResult{}, err
	}
	var res store.IdentityResult
	err = pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		res = store.IdentityResult{}
		rec := ch.New
		if rec.Phone == "" {
			rec.Phone = ch.Old.Phone
		}
		tag, err := tx.Exec(ctx, `INSERT INTO inbound_messages (tenant, provider_message_id, phone, user_id, type, text, at)
			VALUES ($1, $2, $3, $4, 'system', $5, $6) ON CONFLICT DO NOTHING`,
			ch.Tenant, ch.MessageID, rec.Phone, rec.UserID, ch.Kind, s.clock.Stamp(ch.At))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			res.Duplicate = true
			return nil
		}
		for _, key := range identityLockKeys(ch) {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, key); err != nil {
				return fmt.Errorf("locking the identities: %w", err)
			}
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

// identityLockKeys are the advisory locks an identity change takes: the
// contact keys of both identities, then their conversation keys in the
// order SaveConversation takes them (phone numbers before user ids), so
// that neither waits on the other in a cycle.
func identityLockKeys(ch store.IdentityChange) []string {
	var contacts, phones, users []string
	for _, ref := range []store.ContactRef{ch.Old, ch.New} {
		if !ref.Empty() {
			contacts = append(contacts, contactLockKey(ch.Tenant, ref))
		}
		for _, k := range conversationLockKeys(ch.Tenant, ref) {
			if k[len("conversation|"+ch.Tenant+"|")] == 'p' {
				phones = append(phones, k)
			} else {
				users = append(users, k)
			}
		}
	}
	for _, l := range [][]string{contacts, phones, users} {
		slices.Sort(l)
	}
	keys := slices.Compact(contacts)
	keys = append(keys, slices.Compact(phones)...)
	return append(keys, slices.Compact(users)...)
}

func moveContact(ctx context.Context, tx pgx.Tx, ch store.IdentityChange, now time.Time, res *store.IdentityResult) error {
	rows := store.IdentityRows[contactRow]{
		Find: func(ref store.ContactRef) (*contactRow, *contactRow, error) {
			return findContact(ctx, tx, ch.Tenant, ref, ` FOR UPDATE`)
		},
		ID: func(r *contactRow) int64 { return r.id },
		Delete: func(id int64) error {
			_, err := tx.Exec(ctx, `DELETE FROM contacts WHERE id = $1`, id)
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

func moveConversation(ctx context.Context, tx pgx.Tx, ch store.IdentityChange, now time.Time) error {
	rows := store.IdentityRows[conversationRow]{
		Find: func(ref store.ContactRef) (*conversationRow, *conversationRow, error) {
			return findConversation(ctx, tx, ch.Tenant, ref, ` FOR UPDATE`)
		},
		ID: func(r *conversationRow) int64 { return r.id },
		Delete: func(id int64) error {
			_, err := tx.Exec(ctx, `DELETE FROM conversations WHERE id = $1`, id)
			return err
		},
	}
	return store.MoveConversationRows(ch, rows,
		func(r *conversationRow) store.ContactRef { return store.ContactRef{Phone: r.Phone, UserID: r.UserID} },
		func(id int64, ref store.ContactRef) error {
			_, err := tx.Exec(ctx, `UPDATE conversations SET phone = $1, user_id = $2, updated_at = $3 WHERE id = $4`,
				ref.Phone, ref.UserID, now, id)
			return err
		})
}

func moveMember(ctx context.Context, tx pgx.Tx, ch store.IdentityChange, now time.Time, res *store.IdentityResult) error {
	if !ch.PhoneMoves() {
		return nil
	}
	old, err := memberByIdentity(ctx, tx, ch.Tenant, member.Identity{Kind: member.IdentityPhone, Value: ch.Old.Phone}, forUpdate)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	res.MemberID = old.ID
	cur, err := memberByIdentity(ctx, tx, ch.Tenant, member.Identity{Kind: member.IdentityPhone, Value: ch.New.Phone}, forUpdate)
	switch {
	case err == nil:
		res.ConflictMemberID = cur.ID
		return nil
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE members SET phone = $1, updated_at = $2 WHERE tenant = $3 AND id = $4`,
		ch.New.Phone, now, ch.Tenant, old.ID); err != nil {
		return fmt.Errorf("moving the member's number: %w", err)
	}
	return nil
}
