package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
)

// traceTx is an AccountTx over one stored member, one order and the events
// processed so far, that records the steps a transaction takes. The
// program's reads are not used here (nil AccountReader).
type traceTx struct {
	AccountReader
	steps     []string
	member    *member.Member // nil: nobody
	order     *loyalty.Order
	processed map[string]ProcessedEvent
	written   *AccountWrite
}

func (f *traceTx) step(s string) { f.steps = append(f.steps, s) }

func (f *traceTx) ClaimEvent(_ context.Context, _, eventID string, _ time.Time) (*ProcessedEvent, error) {
	f.step("claim")
	if done, ok := f.processed[eventID]; ok {
		return &done, nil
	}
	return nil, nil
}

func (f *traceTx) Member(_ context.Context, _, id string) (member.Member, error) {
	f.step("member")
	if f.member == nil || f.member.ID != id {
		return member.Member{}, ErrNotFound
	}
	return *f.member, nil
}

func (f *traceTx) ResolveMember(_ context.Context, tenant, _ string, ref AccountRef, at, _ time.Time) (
	member.Member, bool, []string, error) {
	f.step("resolve")
	switch {
	case f.member != nil:
		return *f.member, false, nil, nil
	case ref.Create:
		return member.Member{ID: "mem_new", Tenant: tenant, Phone: ref.Phone, CreatedAt: at}, true, nil, nil
	}
	return member.Member{}, false, nil, ErrNotFound
}

func (f *traceTx) NewReferralCode(context.Context, string) (string, error) {
	f.step("code")
	return "CODE2345", nil
}

func (f *traceTx) Order(context.Context, string, string) (*loyalty.Order, error) {
	f.step("order")
	return f.order, nil
}

func (f *traceTx) OrderLots(context.Context, string, string, string) ([]*loyalty.Lot, error) {
	f.step("order lots")
	return nil, nil
}

func (f *traceTx) WriteChanges(_ context.Context, w AccountWrite) error {
	f.step("write")
	f.written = &w
	return nil
}

func TestRunTransact(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	stored := member.Member{ID: "mem_1", Tenant: "acme", Phone: "+6281200000001", Referral: member.Referral{Code: "OLD23456"}}
	boom := errors.New("the program refused")
	tests := []struct {
		name      string
		tx        *traceTx
		ref       AccountRef
		fn        func(a *loyalty.Account) error
		wantSteps []string
		wantErr   error
		check     func(t *testing.T, res AccountResult, tx *traceTx)
	}{
		{
			name:      "a new member's first order",
			tx:        &traceTx{},
			ref:       AccountRef{Phone: "+6281200000002", Name: "Sari", OrderID: "O-1", Create: true},
			wantSteps: []string{"claim", "resolve", "code", "order", "program", "write"},
			check: func(t *testing.T, res AccountResult, tx *traceTx) {
				w := tx.written
				require.NotNil(t, w)
				assert.True(t, w.IsNew)
				assert.True(t, w.Record)
				assert.Equal(t, "Sari", w.Member.Name, "the ref fills an empty name")
				assert.Empty(t, w.Stored.Name, "Stored is the member as read")
				assert.Equal(t, "CODE2345", w.Member.Referral.Code, "a member without a code gets one")
				assert.Equal(t, now, w.Now)
				assert.Equal(t, "mem_new", res.Member.ID)
				assert.False(t, res.Replayed)
			},
		},
		{
			name:      "a stored order loads its lots",
			tx:        &traceTx{member: &stored, order: &loyalty.Order{ID: "O-1", MemberID: "mem_1"}},
			ref:       AccountRef{OrderID: "O-1"},
			wantSteps: []string{"claim", "resolve", "order", "order lots", "program", "write"},
			check: func(t *testing.T, _ AccountResult, tx *traceTx) {
				assert.False(t, tx.written.IsNew)
				assert.Equal(t, "OLD23456", tx.written.Member.Referral.Code)
			},
		},
		{
			name: "a processed event replays what it recorded",
			tx: &traceTx{member: &stored, processed: map[string]ProcessedEvent{"ev_1": {
				MemberID: "mem_1", Outcomes: []byte(`[{"type": "points.earned", "data": {"points": 5}}]`)}}},
			ref:       AccountRef{MemberID: "mem_1"},
			wantSteps: []string{"claim", "member"},
			check: func(t *testing.T, res AccountResult, tx *traceTx) {
				assert.True(t, res.Replayed)
				assert.Equal(t, "mem_1", res.Member.ID)
				require.Len(t, res.Outcomes, 1)
				assert.Equal(t, loyalty.OutcomePointsEarned, res.Outcomes[0].Type)
				assert.Nil(t, tx.written)
			},
		},
		{
			name:      "an unrecorded event is neither claimed nor recorded",
			tx:        &traceTx{member: &stored, processed: map[string]ProcessedEvent{"ev_1": {MemberID: "mem_1"}}},
			ref:       AccountRef{MemberID: "mem_1", Unrecorded: true},
			wantSteps: []string{"resolve", "program", "write"},
			check: func(t *testing.T, _ AccountResult, tx *traceTx) {
				assert.False(t, tx.written.Record)
			},
		},
		{
			name:      "nobody to find or create",
			tx:        &traceTx{},
			ref:       AccountRef{Phone: "+6281200000003"},
			wantSteps: []string{"claim", "resolve"},
			wantErr:   ErrNoMember,
		},
		{
			name:      "a failing program writes nothing",
			tx:        &traceTx{member: &stored},
			ref:       AccountRef{MemberID: "mem_1"},
			fn:        func(*loyalty.Account) error { return boom },
			wantSteps: []string{"claim", "resolve", "program"},
			wantErr:   boom,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := RunTransact(ctx, tt.tx, Transaction{
				Tenant: "acme", EventID: "ev_1", Ref: tt.ref, At: now, Now: now,
				Fn: func(a *loyalty.Account) error {
					tt.tx.step("program")
					if tt.fn != nil {
						return tt.fn(a)
					}
					return nil
				},
			})
			assert.Equal(t, tt.wantSteps, tt.tx.steps)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, tt.tx.written)
				return
			}
			require.NoError(t, err)
			tt.check(t, res, tt.tx)
		})
	}
}

func TestTransactionCheck(t *testing.T) {
	assert.ErrorIs(t, Transaction{EventID: "ev"}.Check(), ErrTransactionArgs)
	assert.ErrorIs(t, Transaction{Tenant: "acme"}.Check(), ErrTransactionArgs)
	assert.NoError(t, Transaction{Tenant: "acme", EventID: "ev"}.Check())
}
