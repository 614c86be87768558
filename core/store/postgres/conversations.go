package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

const conversationColumns = `id, tenant, phone, user_id, lang, lang_chosen, step, reward_id, join_code,
	join_source, misunderstood, handoff_until, handoff_reason, last_message_id, last_message_at, updated_at`

type conversationRow struct {
	id int64
	store.Conversation
}

func scanConversation(r pgx.Row) (conversationRow, error) {
	var c conversationRow
	var handoff, last *time.Time
	if err := r.Scan(&c.id, &c.Tenant, &c.Phone, &c.UserID, &c.Lang, &c.LangChosen, &c.Step, &c.RewardID,
		&c.JoinCode, &c.JoinSource, &c.Misunderstood, &handoff, &c.HandoffReason, &c.LastMessageID, &last, &c.UpdatedAt); err != nil {
		return conversationRow{}, notFound(err)
	}
	c.HandoffUntil, c.LastMessageAt, c.UpdatedAt = utcOrZero(handoff), utcOrZero(last), c.UpdatedAt.UTC()
	return c, nil
}

// findConversation looks a reference up by phone and by user id; lock is
// appended to each query.
func findConversation(ctx context.Context, q rowQueryer, tenant string, ref store.ContactRef, lock string) (byPhone, byUser *conversationRow, err error) {
	return findByRef(ctx, q, tenant, ref,
		`SELECT `+conversationColumns+` FROM conversations WHERE tenant = $1 AND phone = $2 AND phone <> ''`+lock,
		`SELECT `+conversationColumns+` FROM conversations WHERE tenant = $1 AND user_id = $2 AND user_id <> ''`+lock,
		scanConversation)
}

// Conversation returns the chatbot's state with the user ref names; see
// store.Conversations.
func (s *Store) Conversation(ctx context.Context, tenant string, ref store.ContactRef) (store.Conversation, error) {
	if ref.Empty() {
		return store.Conversation{}, fmt.Errorf("reading conversation: %w", store.ErrNoContact)
	}
	p, err := s.db()
	if err != nil {
		return store.Conversation{}, err
	}
	byPhone, byUser, err := findConversation(ctx, p, tenant, ref, "")
	if err != nil {
		return store.Conversation{}, fmt.Errorf("reading conversation: %w", err)
	}
	var ph, u *store.Conversation
	if byPhone != nil {
		ph = &byPhone.Conversation
	}
	if byUser != nil {
		u = &byUser.Conversation
	}
	return store.ResolveConversation(tenant, ref, ph, u), nil
}

// SaveConversation stores the chatbot's state with a user; see
// store.Conversations. It takes a transaction lock on each of the user's
// phone number and user id, always in that order, so that two first saves
// of one user do not both insert a row, and a save that merges waits for
// the saves of either half.
func (s *Store) SaveConversation(ctx context.Context, c store.Conversation) error {
	if c.Tenant == "" {
		return errors.New("saving conversation: tenant is required")
	}
	ref := store.ContactRef{Phone: c.Phone, UserID: c.UserID}
	if ref.Empty() {
		return fmt.Errorf("saving conversation: %w", store.ErrNoContact)
	}
	p, err := s.db()
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		for _, key := range conversationLockKeys(c.Tenant, ref) {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, key); err != nil {
				return fmt.Errorf("locking conversation: %w", err)
			}
		}
		byPhone, byUser, err := findConversation(ctx, tx, c.Tenant, ref, ` FOR UPDATE`)
		if err != nil {
			return err
		}
		var ph, u *store.Conversation
		id := int64(0)
		if byPhone != nil {
			ph, id = &byPhone.Conversation, byPhone.id
		}
		if byUser != nil {
			u = &byUser.Conversation
			if id == 0 {
				id = byUser.id
			}
		}
		now := s.clock.Now()
		target, detach := store.MergeConversations(c, ph, u)
		if detach != nil {
			if detach.Phone == "" {
				_, err = tx.Exec(ctx, `DELETE FROM conversations WHERE id = $1`, byUser.id)
			} else {
				_, err = tx.Exec(ctx, `UPDATE conversations SET user_id = '', updated_at = $1 WHERE id = $2`, now, byUser.id)
			}
			if err != nil {
				return fmt.Errorf("detaching user id: %w", err)
			}
		}
		args := []any{target.Phone, target.UserID, target.Lang, target.LangChosen, target.Step, target.RewardID,
			target.JoinCode, target.JoinSource, target.Misunderstood, nullTime(dbTime(target.HandoffUntil)),
			target.HandoffReason, target.LastMessageID, nullTime(dbTime(target.LastMessageAt)), now}
		if id == 0 {
			_, err = tx.Exec(ctx, `INSERT INTO conversations (phone, user_id, lang, lang_chosen, step, reward_id,
				join_code, join_source, misunderstood, handoff_until, handoff_reason, last_message_id, last_message_at,
				updated_at, tenant)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`, append(args, c.Tenant)...)
		} else {
			_, err = tx.Exec(ctx, `UPDATE conversations SET phone = $1, user_id = $2, lang = $3, lang_chosen = $4,
				step = $5, reward_id = $6, join_code = $7, join_source = $8, misunderstood = $9, handoff_until = $10,
				handoff_reason = $11, last_message_id = $12, last_message_at = $13, updated_at = $14 WHERE id = $15`, append(args, id)...)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("saving conversation: %w", err)
	}
	return nil
}

// conversationLockKeys are the advisory lock keys of a user's phone number
// and user id, in the order they are taken.
func conversationLockKeys(tenant string, ref store.ContactRef) []string {
	var keys []string
	if ref.Phone != "" {
		keys = append(keys, "conversation|"+tenant+"|p"+ref.Phone)
	}
	if ref.UserID != "" {
		keys = append(keys, "conversation|"+tenant+"|u"+ref.UserID)
	}
	return keys
}

// Handoffs lists the tenant's conversations a person answers at now; see
// store.Conversations.
func (s *Store) Handoffs(ctx context.Context, tenant string, now time.Time, limit int) ([]store.Conversation, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	rows, err := p.Query(ctx, `SELECT `+conversationColumns+` FROM conversations
		WHERE tenant = $1 AND handoff_until > $2 ORDER BY handoff_until, id LIMIT $3`,
		tenant, dbTime(now), store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing handoffs: %w", err)
	}
	defer rows.Close()
	var cs []store.Conversation
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("listing handoffs: %w", err)
		}
		cs = append(cs, c.Conversation)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing handoffs: %w", err)
	}
	return cs, nil
}
