package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

const (
	// invitationColumns read an invitation (i) with its response (r).
	invitationColumns = `i.tenant, i.id, i.survey, i.kind, i.member_id, i.phone, i.order_id, i.store_id, i.event_id,
	i.lang, i.due_at, i.created_at, r.invitation IS NOT NULL, coalesce(r.follow_up AND r.commented_at IS NULL, false)`
	invitationFrom     = ` FROM survey_invitations i LEFT JOIN survey_responses r ON r.tenant = i.tenant AND r.invitation = i.id`
	surveyResponseCols = `tenant, invitation, survey, kind, member_id, phone, order_id, store_id, score, follow_up, comment,
	answered_at, commented_at`
)

func scanInvitation(r pgx.Row) (store.SurveyInvitation, error) {
	var inv store.SurveyInvitation
	if err := r.Scan(&inv.Tenant, &inv.ID, &inv.Survey, &inv.Kind, &inv.MemberID, &inv.Phone, &inv.OrderID, &inv.StoreID,
		&inv.EventID, &inv.Lang, &inv.DueAt, &inv.CreatedAt, &inv.Answered, &inv.AwaitingComment); err != nil {
		return store.SurveyInvitation{}, notFound(err)
	}
	inv.DueAt, inv.CreatedAt = inv.DueAt.UTC(), inv.CreatedAt.UTC()
	return inv, nil
}

// AddSurveyInvitation records an invitation once; see store.Surveys.
func (s *Store) AddSurveyInvitation(ctx context.Context, inv store.SurveyInvitation) error {
	p, err := s.db()
	if err != nil {
		return err
	}
	created := inv.CreatedAt
	if created.IsZero() {
		created = s.clock.Now()
	}
	if _, err := p.Exec(ctx, `INSERT INTO survey_invitations (tenant, id, survey, kind, member_id, phone, order_id,
		store_id, event_id, lang, due_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (tenant, id) DO NOTHING`,
		inv.Tenant, inv.ID, inv.Survey, inv.Kind, inv.MemberID, inv.Phone, inv.OrderID, inv.StoreID, inv.EventID,
		inv.Lang, dbTime(inv.DueAt), dbTime(created)); err != nil {
		return fmt.Errorf("adding survey invitation: %w", err)
	}
	return nil
}

// SurveyInvitation returns an invitation; see store.Surveys.
func (s *Store) SurveyInvitation(ctx context.Context, tenant, id string) (store.SurveyInvitation, error) {
	p, err := s.db()
	if err != nil {
		return store.SurveyInvitation{}, err
	}
	inv, err := scanInvitation(p.QueryRow(ctx, `SELECT `+invitationColumns+invitationFrom+
		` WHERE i.tenant = $1 AND i.id = $2`, tenant, id))
	if err != nil {
		return inv, fmt.Errorf("reading survey invitation: %w", err)
	}
	return inv, nil
}

// LatestSurveyInvitation returns a phone's latest invitation due in a
// window; see store.Surveys.
func (s *Store) LatestSurveyInvitation(ctx context.Context, tenant, phone string, since, now time.Time) (store.SurveyInvitation, error) {
	p, err := s.db()
	if err != nil {
		return store.SurveyInvitation{}, err
	}
	inv, err := scanInvitation(p.QueryRow(ctx, `SELECT `+invitationColumns+invitationFrom+
		` WHERE i.tenant = $1 AND i.phone = $2 AND i.due_at >= $3 AND i.due_at <= $4 ORDER BY i.due_at DESC, i.id DESC LIMIT 1`,
		tenant, phone, dbTime(since), dbTime(now)))
	if err != nil {
		return inv, fmt.Errorf("reading survey invitation: %w", err)
	}
	return inv, nil
}

// RecordSurveyResponse records the first response to an invitation; see
// store.Surveys.
func (s *Store) RecordSurveyResponse(ctx context.Context, r store.SurveyResponse) (bool, error) {
	p, err := s.db()
	if err != nil {
		return false, err
	}
	tag, err := p.Exec(ctx, `INSERT INTO survey_responses (`+surveyResponseCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (tenant, invitation) DO NOTHING`,
		r.Tenant, r.Invitation, r.Survey, r.Kind, r.MemberID, r.Phone, r.OrderID, r.StoreID,
		r.Score, r.FollowUp, r.Comment, dbTime(r.AnsweredAt), nullTime(dbTime(r.CommentedAt)))
	if err != nil {
		return false, fmt.Errorf("recording survey response: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// SetSurveyComment stores the answer to a response's follow-up question;
// see store.Surveys.
func (s *Store) SetSurveyComment(ctx context.Context, tenant, invitation, comment string, at time.Time) (bool, error) {
	p, err := s.db()
	if err != nil {
		return false, err
	}
	tag, err := p.Exec(ctx, `UPDATE survey_responses SET comment = $1, commented_at = $2
		WHERE tenant = $3 AND invitation = $4 AND follow_up AND commented_at IS NULL`, comment, dbTime(at), tenant, invitation)
	if err != nil {
		return false, fmt.Errorf("setting survey comment: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// SurveyResponses lists a survey's responses; see store.Surveys.
func (s *Store) SurveyResponses(ctx context.Context, tenant, survey string, f store.SurveyFilter) ([]store.SurveyResponse, error) {
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + surveyResponseCols + ` FROM survey_responses WHERE tenant = $1 AND survey = $2`
	args := []any{tenant, survey}
	if !f.From.IsZero() {
		args = append(args, dbTime(f.From))
		q += fmt.Sprintf(` AND answered_at >= $%d`, len(args))
	}
	if !f.To.IsZero() {
		args = append(args, dbTime(f.To))
		q += fmt.Sprintf(` AND answered_at < $%d`, len(args))
	}
	if f.Store != "" {
		args = append(args, f.Store)
		q += fmt.Sprintf(` AND store_id = $%d`, len(args))
	}
	q += ` ORDER BY answered_at, invitation`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := p.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing survey responses: %w", err)
	}
	defer rows.Close()
	var out []store.SurveyResponse
	for rows.Next() {
		var x store.SurveyResponse
		var commented *time.Time
		if err := rows.Scan(&x.Tenant, &x.Invitation, &x.Survey, &x.Kind, &x.MemberID, &x.Phone, &x.OrderID, &x.StoreID,
			&x.Score, &x.FollowUp, &x.Comment, &x.AnsweredAt, &commented); err != nil {
			return nil, fmt.Errorf("listing survey responses: %w", err)
		}
		x.AnsweredAt, x.CommentedAt = x.AnsweredAt.UTC(), utcOrZero(commented)
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing survey responses: %w", err)
	}
	return out, nil
}
