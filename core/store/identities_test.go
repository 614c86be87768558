package store

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/member"
)

func TestPlanMerge(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	mem := func(id, phone string, day int) member.Member {
		return member.Member{ID: id, Phone: phone, CreatedAt: t0.AddDate(0, 0, day)}
	}
	ids := func(ms []member.Member) []string {
		out := []string{}
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	tests := []struct {
		name                string
		found               []member.Member
		survivor            string
		absorbed, leftApart []string
	}{
		{"one member", []member.Member{mem("a", "", 0)}, "a", []string{}, []string{}},
		{"the phone survives though younger", []member.Member{mem("shop", "", 0), mem("chat", "+62811", 5)}, "chat", []string{"shop"}, []string{}},
		{"the oldest survives without a phone", []member.Member{mem("young", "", 5), mem("old", "", 1)}, "old", []string{"young"}, []string{}},
		{"the smaller id breaks a tie", []member.Member{mem("b", "", 1), mem("a", "", 1)}, "a", []string{"b"}, []string{}},
		{"a second phone stays apart", []member.Member{mem("p1", "+62811", 3), mem("x", "", 0), mem("p2", "+62812", 0)}, "p1", []string{"x"}, []string{"p2"}},
		{"the first phone found joins a group without one", []member.Member{mem("x", "", 0), mem("p1", "+62811", 3), mem("p2", "+62812", 0)}, "p1", []string{"x"}, []string{"p2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, absorbed, apart := PlanMerge(tt.found)
			assert.Equal(t, tt.survivor, s.ID)
			assert.Equal(t, tt.absorbed, ids(absorbed))
			assert.Equal(t, tt.leftApart, ids(apart))
		})
	}
	s, absorbed, apart := PlanMerge(nil)
	assert.Empty(t, s.ID)
	assert.Empty(t, absorbed)
	assert.Empty(t, apart)
}

func TestFindMembers(t *testing.T) {
	members := map[string]member.Member{
		"phone:+62811":         {ID: "chat", Phone: "+62811"},
		"customer:shop/7":      {ID: "shop", Phone: ""},
		"email:/a@example.com": {ID: "other", Phone: "+62899"},
	}
	lookup := func(id member.Identity) (member.Member, error) {
		if m, ok := members[id.Kind+":"+id.Connector+"/"+id.Value]; ok {
			return m, nil
		}
		if m, ok := members[id.Kind+":"+id.Value]; ok {
			return m, nil
		}
		return member.Member{}, ErrNotFound
	}
	byID := func(id string) (member.Member, error) {
		if id == "chat" {
			return members["phone:+62811"], nil
		}
		return member.Member{}, ErrNotFound
	}
	tests := []struct {
		name   string
		ref    AccountRef
		found  []string
		unheld []string
	}{
		{"phone and customer id", AccountRef{Phone: "+62811", Connector: "shop", CustomerID: "7"}, []string{"chat", "shop"}, nil},
		{"each member once", AccountRef{MemberID: "chat", Phone: "+62811"}, []string{"chat"}, nil},
		{"new identities", AccountRef{Connector: "shop", CustomerID: "8", Email: " B@Example.com"}, nil, []string{"customer:8", "email:b@example.com"}},
		{"a new phone leaves another phone's member apart", AccountRef{Phone: "+62822", Email: "a@example.com", Connector: "shop", CustomerID: "7"},
			[]string{"shop"}, []string{"phone:+62822"}},
		{"without a phone the email finds its member", AccountRef{Email: "a@example.com"}, []string{"other"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found, unheld, err := FindMembers(tt.ref, byID, lookup)
			require.NoError(t, err)
			var got []string
			for _, m := range found {
				got = append(got, m.ID)
			}
			assert.Equal(t, tt.found, got)
			var gotUnheld []string
			for _, id := range unheld {
				gotUnheld = append(gotUnheld, id.Kind+":"+id.Value)
			}
			assert.Equal(t, tt.unheld, gotUnheld)
		})
	}
	_, _, err := FindMembers(AccountRef{MemberID: "gone"}, byID, lookup)
	assert.ErrorIs(t, err, ErrNotFound, "a member id that finds nobody")
	boom := errors.New("boom")
	_, _, err = FindMembers(AccountRef{Email: "a@example.com"}, byID, func(member.Identity) (member.Member, error) { return member.Member{}, boom })
	assert.ErrorIs(t, err, boom)
}

func TestStoredPhone(t *testing.T) {
	with := member.Member{ID: "mem_1", Phone: "+62811"}
	without := member.Member{ID: "mem_2"}
	assert.Equal(t, "+62811", StoredPhone(with))
	assert.Equal(t, "mem_2", StoredPhone(without), "the member's own id keeps the column unique")
	assert.Equal(t, "+62811", PhoneOf(with.ID, StoredPhone(with)))
	assert.Empty(t, PhoneOf(without.ID, StoredPhone(without)))
}

func TestMergedProfile(t *testing.T) {
	s := member.Profile{Source: "pos", City: "Medan", Tags: []string{"a", "c"}, Attributes: map[string]any{"x": "s"}}
	x := member.Profile{Source: "shopify", Store: "s-9", City: "Bandung", Language: "id", Tags: []string{"b", "a"},
		Attributes: map[string]any{"x": "x", "y": "x"}}
	assert.Equal(t, member.Profile{Source: "pos", Store: "s-9", City: "Medan", Language: "id", Tags: []string{"a", "c", "b"},
		Attributes: map[string]any{"x": "s", "y": "x"}}, MergedProfile(s, x))
	assert.Equal(t, "shopify", MergedProfile(member.Profile{}, x).Source, "a survivor without a source takes the other's")
}
