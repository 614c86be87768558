package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

const (
	conversationColumns = `id, tenant, phone, user_id, lang, lang_chosen, step, reward_id, join_code,
	join_source, misunderstood, handoff_until, handoff_reason, last_message_id, last_message_at, updated_at`
	// The phone, user id and handoff indexes are partial: a lookup repeats
	// their condition so that SQLite may use them.
	queryConversationByPhone = `SELECT ` + conversationColumns + ` FROM conversations
		WHERE tenant = ? AND phone = ? AND phone <> ''`
	queryConversationByUser = `SELECT ` + conversationColumns + ` FROM conversations
		WHERE tenant = ? AND user_id = ? AND user_id <> ''`
	queryHandoffs = `SELECT ` + conversationColumns + ` FROM conversations
		WHERE tenant = ? AND handoff_until > ? AND handoff_until > 0 ORDER BY handoff_until, id LIMIT ?`
)

// conversationRow is a conversation with its row id.
type conversationRow struct {
	id int64
	store.Conversation
}

func scanConversation(r rowScanner) (conversationRow, error) {
	var c conversationRow
	var handoff, last, upd int64
	if err := r.Scan(&c.id, &c.Tenant, &c.Phone, &c.UserID, &c.Lang, &c.LangChosen, &c.Step, &c.RewardID,
		&c.JoinCode, &c.JoinSource, &c.Misunderstood, &handoff, &c.HandoffReason, &c.LastMessageID, &last, &upd); err != nil {
		return conversationRow{}, notFound(err)
	}
	c.HandoffUntil, c.LastMessageAt, c.UpdatedAt = fromDBZero(handoff), fromDBZero(last), fromDB(upd)
	return c, nil
}

// findConversation looks a reference up by phone and by user id.
func findConversation(ctx context.Context, q queryer, tenant string, ref store.ContactRef) (byPhone, byUser *conversationRow, err error) {
	return findByRef(ctx, q, tenant, ref, queryConversationByPhone, queryConversationByUser, scanConversation)
}

// Conversation returns the chatbot's state with the user ref names; see
// store.Conversations.
func (s *Store) Conversation(ctx context.Context, tenant string, ref store.ContactRef) (store.Conversation, error) {
	if ref.Empty() {
		return store.Conversation{}, fmt.Errorf("reading conversation: %w", store.ErrNoContact)
	}
	r, err := s.reads()
	if err != nil {
		return store.Conversation{}, err
	}
	byPhone, byUser, err := findConversation(ctx, r, tenant, ref)
	if err != nil {
		return store.Conversation{}, fmt.Errorf("reading conversation: %w", err)
	}
	var p, u *store.Conversation
	if byPhone != nil {
		p = &byPhone.Conversation
	}
	if byUser != nil {
		u = &byUser.Conversation
	}
	return store.ResolveConversation(tenant, ref, p, u), nil
}

// SaveConversation stores the chatbot's state with a user; see
// store.Conversations.
func (s *Store) SaveConversation(ctx context.Context, c store.Conversation) error {
	if c.Tenant == "" {
		return errors.New("saving conversation: tenant is required")
	}
	ref := store.ContactRef{Phone: c.Phone, UserID: c.UserID}
	if ref.Empty() {
		return fmt.Errorf("saving conversation: %w", store.ErrNoContact)
	}
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		byPhone, byUser, err := findConversation(ctx, tx, c.Tenant, ref)
		if err != nil {
			return err
		}
		var p, u *store.Conversation
		id := int64(0)
		if byPhone != nil {
			p, id = &byPhone.Conversation, byPhone.id
		}
		if byUser != nil {
			u = &byUser.Conversation
			if id == 0 {
				id = byUser.id
			}
		}
		now := toDB(s.clock.Now())
		target, detach := store.MergeConversations(c, p, u)
		if detach != nil {
			if detach.Phone == "" {
				_, err = tx.ExecContext(ctx, `DELETE FROM conversations WHERE id = ?`, byUser.id)
			} else {
				_, err = tx.ExecContext(ctx, `UPDATE conversations SET user_id = '', updated_at = ? WHERE id = ?`, now, byUser.id)
			}
			if err != nil {
				return fmt.Errorf("detaching user id: %w", err)
			}
		}
		args := []any{target.Phone, target.UserID, target.Lang, target.LangChosen, target.Step, target.RewardID,
			target.JoinCode, target.JoinSource, target.Misunderstood, toDBZero(target.HandoffUntil),
			target.HandoffReason, target.LastMessageID, toDBZero(target.LastMessageAt), now}
		if id == 0 {
			_, err = tx.ExecContext(ctx, `INSERT INTO conversations (tenant, phone, user_id, lang, lang_chosen, step,
				reward_id, join_code, join_source, misunderstood, handoff_until, handoff_reason, last_message_id,
				last_message_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append([]any{c.Tenant}, args...)...)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE conversations SET phone = ?, user_id = ?, lang = ?, lang_chosen = ?,
				step = ?, reward_id = ?, join_code = ?, join_source = ?, misunderstood = ?, handoff_until = ?,
				handoff_reason = ?, last_message_id = ?, last_message_at = ?, updated_at = ? WHERE id = ?`, append(args, id)...)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("saving conversation: %w", err)
	}
	return nil
}

// Handoffs lists the tenant's conversations a person answers at now; see
// store.Conversations.
func (s *Store) Handoffs(ctx context.Context, tenant string, now time.Time, limit int) ([]store.Conversation, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, queryHandoffs, tenant, toDB(now), store.ClampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("listing handoffs: %w", err)
	}
	defer func() { _ = rows.Close() }()
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
