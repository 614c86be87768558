package store

import (
	"cmp"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
)

// Identities returns the identities ref finds a member by besides its
// member id and order, in the order they are tried: phone, customer id,
// email.
func (r AccountRef) Identities() []member.Identity {
	var ids []member.Identity
	if r.Phone != "" {
		ids = append(ids, member.Identity{Kind: member.IdentityPhone, Value: r.Phone})
	}
	if c := strings.TrimSpace(r.CustomerID); c != "" {
		ids = append(ids, member.Identity{Kind: member.IdentityCustomer, Connector: r.Connector, Value: c})
	}
	if e := member.NormalizeEmail(r.Email); e != "" {
		ids = append(ids, member.Identity{Kind: member.IdentityEmail, Value: e})
	}
	return ids
}

// HasIdentities reports whether ref names its member by a customer id or an
// email, which may merge members.
func (r AccountRef) HasIdentities() bool {
	return strings.TrimSpace(r.CustomerID) != "" || member.NormalizeEmail(r.Email) != ""
}

// PlanMerge decides which of the members one event's identities found
// become one. found lists them in the order the ref tried its identities
// (member id, phone, customer id, email), each member once.
//
// The merge rule: members join the first one found, in order, as long as
// the group holds one phone number at most; a member with a phone other
// than the group's is left apart (two phones are two WhatsApp users, which
// no shop's data may join), and the identity that found it stays with it.
// Of the group, the member with the phone survives, else the one that
// joined first (then the smaller id). The others are absorbed into it.
func PlanMerge(found []member.Member) (survivor member.Member, absorbed, apart []member.Member) {
	if len(found) == 0 {
		return member.Member{}, nil, nil
	}
	group := []member.Member{found[0]}
	phone := found[0].Phone
	for _, m := range found[1:] {
		switch {
		case m.Phone == "":
			group = append(group, m)
		case phone == "":
			phone = m.Phone
			group = append(group, m)
		default:
			apart = append(apart, m)
		}
	}
	sort.SliceStable(group, func(i, j int) bool {
		a, b := group[i], group[j]
		if (a.Phone != "") != (b.Phone != "") {
			return a.Phone != ""
		}
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.ID < b.ID
	})
	return group[0], group[1:], apart
}

// StoredPhone is what a store keeps in a member's phone column: the phone,
// or for a member without one its own id, so that the column stays unique
// per tenant.
func StoredPhone(m member.Member) string {
	if m.Phone == "" {
		return m.ID
	}
	return m.Phone
}

// PhoneOf reads a member's phone column back (see StoredPhone).
func PhoneOf(id, stored string) string {
	if stored == id {
		return ""
	}
	return stored
}

// MergedPrefix starts the phone column of a member merged into another:
// MergedPrefix + its own id. Its row stays, emptied, so that nothing that
// refers to it has to be looked up when it goes; stores read it as no
// member, and its id finds the survivor through an IdentityMerged.
const MergedPrefix = "merged:"

// Merged reports whether a member's phone column marks it merged.
func Merged(stored string) bool { return strings.HasPrefix(stored, MergedPrefix) }

// MergedMember is member s with what loyalty.Merge decided for it.
func MergedMember(s member.Member, merged loyalty.Member, now time.Time) member.Member {
	s.Name, s.Email, s.Balance, s.Pending = merged.Name, merged.Email, merged.Balance, merged.Pending
	s.Tier, s.Referral = merged.Tier, merged.Referral
	s.Birthday, s.BirthdayYear, s.CreatedAt, s.UpdatedAt = merged.Birthday, merged.BirthdayYear, merged.CreatedAt, now
	s.AnniversaryYear = merged.AnniversaryYear
	return s
}

// MergedProfile is the profile of member s once member x merged into it:
// s's values, and x's where s has none; s's tags, then x's new ones; the
// attributes of both, s's winning.
func MergedProfile(s, x member.Profile) member.Profile {
	p := member.MergeProfile(x, s)
	p.Source = cmp.Or(s.Source, x.Source)
	p.Tags = member.UnionTags(s.Tags, x.Tags)
	return p
}

// FindMembers looks up the members ref names (see AccountRef) with the
// adapter's lookups, in order: byID for ref.MemberID (an error when it
// finds nobody), then byIdentity for each of ref.Identities. It returns
// the members found, each once, and the identities nobody has, which the
// adapter attaches to the member the event runs on.
//
// A ref's phone names its member: when nobody has it, a member found by
// customer id or email with another phone is someone else, and is left
// out (the identity stays with it).
func FindMembers(ref AccountRef, byID func(id string) (member.Member, error),
	byIdentity func(id member.Identity) (member.Member, error)) (found []member.Member, unheld []member.Identity, err error) {
	add := func(m member.Member) {
		for _, f := range found {
			if f.ID == m.ID {
				return
			}
		}
		found = append(found, m)
	}
	if ref.MemberID != "" {
		m, err := byID(ref.MemberID)
		if err != nil {
			return nil, nil, err
		}
		add(m)
	}
	newPhone := false
	for _, id := range ref.Identities() {
		m, err := byIdentity(id)
		switch {
		case errors.Is(err, ErrNotFound):
			unheld = append(unheld, id)
			newPhone = newPhone || id.Kind == member.IdentityPhone
		case err != nil:
			return nil, nil, err
		case newPhone && m.Phone != "":
		default:
			add(m)
		}
	}
	return found, unheld, nil
}

// LookupIdentity is an identity in the form stores keep it: an email
// normalized, a phone, customer id or merged member id trimmed. ErrNotFound
// for one that is empty then, as it finds nobody; an error for an unknown
// kind.
func LookupIdentity(id member.Identity) (member.Identity, error) {
	switch id.Kind {
	case member.IdentityEmail:
		id.Value = member.NormalizeEmail(id.Value)
	case member.IdentityPhone, member.IdentityCustomer, member.IdentityMerged:
		id.Value = strings.TrimSpace(id.Value)
	default:
		return id, fmt.Errorf("unknown identity kind %q", id.Kind)
	}
	if id.Value == "" {
		return id, ErrNotFound
	}
	return id, nil
}
