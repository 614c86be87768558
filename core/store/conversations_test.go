package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestResolveConversation(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	phoneRow := &Conversation{Tenant: "t", Phone: "+6281", Step: StepAwaitConsent, UpdatedAt: t0}
	userRow := &Conversation{Tenant: "t", UserID: "ID.1", Step: StepAwaitConfirm, UpdatedAt: t0.Add(time.Minute)}
	linked := &Conversation{Tenant: "t", Phone: "+6281", UserID: "ID.1", Step: StepAwaitLanguage, UpdatedAt: t0}
	both := ContactRef{Phone: "+6281", UserID: "ID.1"}
	tests := []struct {
		name            string
		ref             ContactRef
		byPhone, byUser *Conversation
		want            Conversation
	}{
		{"none", both, nil, nil, Conversation{Tenant: "t", Phone: "+6281", UserID: "ID.1"}},
		{"by phone, carrying the ref's user id", both, phoneRow, nil,
			Conversation{Tenant: "t", Phone: "+6281", UserID: "ID.1", Step: StepAwaitConsent, UpdatedAt: t0}},
		{"by user id, carrying the ref's phone", both, nil, userRow,
			Conversation{Tenant: "t", Phone: "+6281", UserID: "ID.1", Step: StepAwaitConfirm, UpdatedAt: t0.Add(time.Minute)}},
		{"apart: the newer", both, phoneRow, userRow,
			Conversation{Tenant: "t", Phone: "+6281", UserID: "ID.1", Step: StepAwaitConfirm, UpdatedAt: t0.Add(time.Minute)}},
		{"apart at the same time: the phone's", both, phoneRow, &Conversation{Tenant: "t", UserID: "ID.1", UpdatedAt: t0},
			Conversation{Tenant: "t", Phone: "+6281", UserID: "ID.1", Step: StepAwaitConsent, UpdatedAt: t0}},
		{"one row found both ways", both, linked, linked, *linked},
		{"by user id alone keeps the stored phone", ContactRef{UserID: "ID.1"}, nil, linked, *linked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ResolveConversation("t", tt.ref, tt.byPhone, tt.byUser))
		})
	}
}

func TestMergeConversations(t *testing.T) {
	saved := Conversation{Tenant: "t", Phone: "+6281", UserID: "ID.1", Lang: "id"}
	tests := []struct {
		name            string
		c               Conversation
		byPhone, byUser *Conversation
		want            Conversation
		detach          *Conversation
	}{
		{"new", saved, nil, nil, saved, nil},
		{"one row found both ways", saved, &Conversation{Phone: "+6281", UserID: "ID.1"}, &Conversation{Phone: "+6281", UserID: "ID.1"}, saved, nil},
		{"user id alone is deleted", saved, &Conversation{Phone: "+6281"}, &Conversation{UserID: "ID.1", Step: StepAwaitConfirm},
			saved, &Conversation{Step: StepAwaitConfirm}},
		{"user id of another phone gives it up", saved, &Conversation{Phone: "+6281"}, &Conversation{Phone: "+6282", UserID: "ID.1"},
			saved, &Conversation{Phone: "+6282"}},
		{"saving by phone keeps the stored user id", Conversation{Tenant: "t", Phone: "+6281"},
			&Conversation{Phone: "+6281", UserID: "ID.1"}, nil, Conversation{Tenant: "t", Phone: "+6281", UserID: "ID.1"}, nil},
		{"saving by user id keeps the stored phone", Conversation{Tenant: "t", UserID: "ID.1"},
			nil, &Conversation{Phone: "+6281", UserID: "ID.1"}, Conversation{Tenant: "t", Phone: "+6281", UserID: "ID.1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, detach := MergeConversations(tt.c, tt.byPhone, tt.byUser)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.detach, detach)
		})
	}
}
