package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/member"
)

func TestMoveContact(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	old := &member.Contact{Tenant: "t", Phone: "+6281", UserID: "ID.1", WAID: "6281", Name: "Sari",
		Marketing: member.ConsentOptedOut, MarketingAt: t0, LastInboundAt: t0}
	cur := &member.Contact{Tenant: "t", Phone: "+6282", WAID: "6282", Marketing: member.ConsentOptedIn, MarketingAt: t0.Add(-time.Hour),
		LastInboundAt: t0.Add(time.Hour)}
	number := IdentityChange{Old: ContactRef{Phone: "+6281"}, New: ContactRef{Phone: "+6282"}, NewWAID: "6282"}
	tests := []struct {
		name     string
		ch       IdentityChange
		old, cur *member.Contact
		want     member.Contact
		dropOld  bool
		ok       bool
	}{
		{name: "nobody", ch: number},
		{name: "only the new identity: it takes the wa_id", ch: number, cur: &member.Contact{Tenant: "t", Phone: "+6282", WAID: "x"},
			want: member.Contact{Tenant: "t", Phone: "+6282", WAID: "6282"}, ok: true},
		{name: "the old contact moves, keeping its user id", ch: number, old: old,
			want: member.Contact{Tenant: "t", Phone: "+6282", UserID: "ID.1", WAID: "6282", Name: "Sari",
				Marketing: member.ConsentOptedOut, MarketingAt: t0, LastInboundAt: t0}, ok: true},
		{name: "a new number without its wa_id forgets the old one",
			ch: IdentityChange{Old: ContactRef{Phone: "+6281"}, New: ContactRef{Phone: "+6282"}}, old: old,
			want: member.Contact{Tenant: "t", Phone: "+6282", UserID: "ID.1", Name: "Sari",
				Marketing: member.ConsentOptedOut, MarketingAt: t0, LastInboundAt: t0}, ok: true},
		{name: "a new user id", ch: IdentityChange{Old: ContactRef{UserID: "ID.1"}, New: ContactRef{UserID: "ID.2"}}, old: old,
			want: member.Contact{Tenant: "t", Phone: "+6281", UserID: "ID.2", WAID: "6281", Name: "Sari",
				Marketing: member.ConsentOptedOut, MarketingAt: t0, LastInboundAt: t0}, ok: true},
		{name: "both: the old folds into the new", ch: number, old: old, cur: cur,
			want: member.Contact{Tenant: "t", Phone: "+6282", UserID: "ID.1", WAID: "6282", Name: "Sari",
				Marketing: member.ConsentOptedOut, MarketingAt: t0, LastInboundAt: t0.Add(time.Hour)}, dropOld: true, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dropOld, ok := MoveContact(tt.ch, tt.old, tt.cur)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.dropOld, dropOld)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestApplyInboundKeepsTheLatestWAID(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	c := member.Contact{}
	ApplyInbound(&c, InboundMessage{WAID: "554188887777", At: t0})
	assert.Equal(t, "554188887777", c.WAID)
	ApplyInbound(&c, InboundMessage{WAID: "5541988887777", At: t0.Add(time.Minute)})
	assert.Equal(t, "5541988887777", c.WAID)
	ApplyInbound(&c, InboundMessage{WAID: "554188887777", At: t0})
	assert.Equal(t, "5541988887777", c.WAID, "a late older message keeps the later wa_id")
	ApplyInbound(&c, InboundMessage{At: t0.Add(2 * time.Minute)})
	assert.Equal(t, "5541988887777", c.WAID, "a message without a wa_id (a user id only) keeps it")
}
