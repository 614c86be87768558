package store

import (
	"context"
	"time"
)

// SurveySubject is whom and what a survey invitation, and its response,
// are about.
type SurveySubject struct {
	Tenant   string `json:"tenant"`
	Survey   string `json:"survey"`
	Kind     string `json:"kind"`
	MemberID string `json:"member_id,omitempty"`
	// Phone is the member's canonical key, whose chat answers.
	Phone string `json:"phone"`
	// OrderID and StoreID are the trigger's order and store, "" when it
	// had none.
	OrderID string `json:"order_id,omitempty"`
	StoreID string `json:"store_id,omitempty"`
}

// SurveyInvitation is a survey sent to a member after a trigger. Its ID is
// the key of the invitation's message in the outbox.
type SurveyInvitation struct {
	ID string `json:"id"`
	SurveySubject
	// EventID is the trigger; Lang the language the invitation was
	// written in.
	EventID string `json:"event_id,omitempty"`
	Lang    string `json:"lang,omitempty"`
	// DueAt is when the invitation goes out; an answer counts from then.
	DueAt     time.Time `json:"due_at"`
	CreatedAt time.Time `json:"created_at"`
	// Answered and AwaitingComment are read from its response: one was
	// recorded, and its follow-up question waits for the free text.
	Answered        bool `json:"answered"`
	AwaitingComment bool `json:"awaiting_comment,omitempty"`
}

// SurveyResponse is a member's answer to an invitation (one per
// invitation), about the invitation's subject.
type SurveyResponse struct {
	Invitation string `json:"invitation"`
	SurveySubject
	Score int `json:"score"`
	// FollowUp is true when the follow-up question was asked; Comment
	// is its answer, given at CommentedAt (zero while none).
	FollowUp    bool      `json:"follow_up,omitempty"`
	Comment     string    `json:"comment,omitempty"`
	AnsweredAt  time.Time `json:"answered_at"`
	CommentedAt time.Time `json:"commented_at,omitzero"`
}

// SurveyFilter selects a survey's responses: answered at or after From
// and before To (zero: unbounded), of one store ("" all), up to Limit
// (0: all of them).
type SurveyFilter struct {
	From, To time.Time
	Store    string
	Limit    int
}

// Surveys keeps survey invitations and their responses.
type Surveys interface {
	// AddSurveyInvitation records an invitation; an id recorded already
	// is left as it is, so adding it again changes nothing.
	AddSurveyInvitation(ctx context.Context, inv SurveyInvitation) error
	// SurveyInvitation returns an invitation with Answered and
	// AwaitingComment; ErrNotFound when there is none.
	SurveyInvitation(ctx context.Context, tenant, id string) (SurveyInvitation, error)
	// LatestSurveyInvitation returns the invitation to phone due last at
	// or after since and at or before now, with Answered and
	// AwaitingComment; ErrNotFound when there is none.
	LatestSurveyInvitation(ctx context.Context, tenant, phone string, since, now time.Time) (SurveyInvitation, error)
	// RecordSurveyResponse records the response to r.Invitation; it
	// returns false, changing nothing, when a response was recorded
	// already.
	RecordSurveyResponse(ctx context.Context, r SurveyResponse) (bool, error)
	// SetSurveyComment stores the answer to the follow-up question of an
	// invitation's response while it waits for one; false, changing
	// nothing, when none waits.
	SetSurveyComment(ctx context.Context, tenant, invitation, comment string, at time.Time) (bool, error)
	// SurveyResponses lists a survey's responses the filter selects,
	// oldest answer first.
	SurveyResponses(ctx context.Context, tenant, survey string, f SurveyFilter) ([]SurveyResponse, error)
}
