package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

const (
	// invitationColumns read an invitation (i) with its response (r).
	invitationColumns = `i.tenant, i.id, i.survey, i.kind, i.member_id, i.phone, i.order_id, i.store_id, i.event_id,
	i.lang, i.due_at, i.created_at, r.invitation IS NOT NULL, coalesce(r.follow_up = 1 AND r.commented_at = 0, 0)`
	invitationFrom     = ` FROM survey_invitations i LEFT JOIN survey_responses r ON r.tenant = i.tenant AND r.invitation = i.id`
	surveyResponseCols = `tenant, invitation, survey, kind, member_id, phone, order_id, store_id, score, follow_up, comment,
	answered_at, commented_at`
)

func scanInvitation(r rowScanner) (store.SurveyInvitation, error) {
	var inv store.SurveyInvitation
	var due, created int64
	if err := r.Scan(&inv.Tenant, &inv.ID, &inv.Survey, &inv.Kind, &inv.MemberID, &inv.Phone, &inv.OrderID, &inv.StoreID,
		&inv.EventID, &inv.Lang, &due, &created, &inv.Answered, &inv.AwaitingComment); err != nil {
		return store.SurveyInvitation{}, notFound(err)
	}
	inv.DueAt, inv.CreatedAt = fromDB(due), fromDB(created)
	return inv, nil
}

// AddSurveyInvitation records an invitation once; see store.Surveys.
func (s *Store) AddSurveyInvitation(ctx context.Context, inv store.SurveyInvitation) error {
	created := inv.CreatedAt
	if created.IsZero() {
		created = s.clock.Now()
	}
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO survey_invitations (tenant, id, survey, kind, member_id, phone, order_id,
			store_id, event_id, lang, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant, id) DO NOTHING`,
			inv.Tenant, inv.ID, inv.Survey, inv.Kind, inv.MemberID, inv.Phone, inv.OrderID, inv.StoreID, inv.EventID,
			inv.Lang, toDB(inv.DueAt), toDB(created))
		return err
	})
	if err != nil {
		return fmt.Errorf("adding survey invitation: %w", err)
	}
	return nil
}

// SurveyInvitation returns an invitation; see store.Surveys.
func (s *Store) SurveyInvitation(ctx context.Context, tenant, id string) (store.SurveyInvitation, error) {
	r, err := s.reads()
	if err != nil {
		return store.SurveyInvitation{}, err
	}
	inv, err := scanInvitation(r.QueryRowContext(ctx, `SELECT `+invitationColumns+invitationFrom+
		` WHERE i.tenant = ? AND i.id = ?`, tenant, id))
	if err != nil {
		return inv, fmt.Errorf("reading survey invitation: %w", err)
	}
	return inv, nil
}

// LatestSurveyInvitation returns a phone's latest invitation due in a
// window; see store.Surveys.
func (s *Store) LatestSurveyInvitation(ctx context.Context, tenant, phone string, since, now time.Time) (store.SurveyInvitation, error) {
	r, err := s.reads()
	if err != nil {
		return store.SurveyInvitation{}, err
	}
	inv, err := scanInvitation(r.QueryRowContext(ctx, `SELECT `+invitationColumns+invitationFrom+
		` WHERE i.tenant = ? AND i.phone = ? AND i.due_at >= ? AND i.due_at <= ? ORDER BY i.due_at DESC, i.id DESC LIMIT 1`,
		tenant, phone, toDB(since), toDB(now)))
	if err != nil {
		return inv, fmt.Errorf("reading survey invitation: %w", err)
	}
	return inv, nil
}

// RecordSurveyResponse records the first response to an invitation; see
// store.Surveys.
func (s *Store) RecordSurveyResponse(ctx context.Context, resp store.SurveyResponse) (bool, error) {
	var created bool
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO survey_responses (`+surveyResponseCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, invitation) DO NOTHING`,
			resp.Tenant, resp.Invitation, resp.Survey, resp.Kind, resp.MemberID, resp.Phone, resp.OrderID, resp.StoreID,
			resp.Score, resp.FollowUp, resp.Comment, toDB(resp.AnsweredAt), toDBZero(resp.CommentedAt))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		created = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("recording survey response: %w", err)
	}
	return created, nil
}

// SetSurveyComment stores the answer to a response's follow-up question;
// see store.Surveys.
func (s *Store) SetSurveyComment(ctx context.Context, tenant, invitation, comment string, at time.Time) (bool, error) {
	var set bool
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE survey_responses SET comment = ?, commented_at = ?
			WHERE tenant = ? AND invitation = ? AND follow_up = 1 AND commented_at = 0`, comment, toDB(at), tenant, invitation)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		set = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("setting survey comment: %w", err)
	}
	return set, nil
}

// SurveyResponses lists a survey's responses; see store.Surveys.
func (s *Store) SurveyResponses(ctx context.Context, tenant, survey string, f store.SurveyFilter) ([]store.SurveyResponse, error) {
	r, err := s.reads()
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + surveyResponseCols + ` FROM survey_responses WHERE tenant = ? AND survey = ?`
	args := []any{tenant, survey}
	if !f.From.IsZero() {
		q, args = q+` AND answered_at >= ?`, append(args, toDB(f.From))
	}
	if !f.To.IsZero() {
		q, args = q+` AND answered_at < ?`, append(args, toDB(f.To))
	}
	if f.Store != "" {
		q, args = q+` AND store_id = ?`, append(args, f.Store)
	}
	q += ` ORDER BY answered_at, invitation`
	if f.Limit > 0 {
		q, args = q+` LIMIT ?`, append(args, f.Limit)
	}
	rows, err := r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing survey responses: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []store.SurveyResponse
	for rows.Next() {
		var x store.SurveyResponse
		var answered, commented int64
		if err := rows.Scan(&x.Tenant, &x.Invitation, &x.Survey, &x.Kind, &x.MemberID, &x.Phone, &x.OrderID, &x.StoreID,
			&x.Score, &x.FollowUp, &x.Comment, &answered, &commented); err != nil {
			return nil, fmt.Errorf("listing survey responses: %w", err)
		}
		x.AnsweredAt, x.CommentedAt = fromDB(answered), fromDBZero(commented)
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing survey responses: %w", err)
	}
	return out, nil
}
