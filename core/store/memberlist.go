package store

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/loyalhub/loyalhub/core/member"
)

// MaxMemberPage is the most members one page of ListMembers holds.
const MaxMemberPage = 500

// MemberFilter selects a tenant's members. Empty fields select all.
type MemberFilter struct {
	// Query is a substring of the name or email (case-insensitive), or
	// of the phone (see PhoneDigits).
	Query  string
	Tier   string
	Tag    string // one of the profile's tags, exactly
	Store  string
	City   string // case-insensitive
	Source string
	// JoinedAfter and JoinedBefore bound when the member was created:
	// at or after, and before.
	JoinedAfter  time.Time
	JoinedBefore time.Time
	// After is the cursor: the id of the last member of the page before.
	After string
	// Limit caps the page: (0, MaxMemberPage], DefaultLimit when 0 or
	// less.
	Limit int
}

// ListedMember is a member as ListMembers lists it: without identities,
// with the marketing consent of the contact of its phone.
type ListedMember struct {
	member.Member
	// Consent is member.ConsentOptedIn, member.ConsentOptedOut or "".
	Consent string `json:"consent,omitempty"`
}

// MemberLists lists and searches a tenant's members.
type MemberLists interface {
	// ListMembers lists the tenant's members f selects, by id, the page
	// after f.After; members merged into others are never listed. A
	// page shorter than its limit is the last.
	ListMembers(ctx context.Context, tenant string, f MemberFilter) ([]ListedMember, error)
}

// ClampMemberPage returns n within (0, MaxMemberPage], DefaultLimit when
// n <= 0.
func ClampMemberPage(n int) int {
	return min(ClampLimit(n), MaxMemberPage)
}

// PhoneDigits returns the digits a member search matches phones by: the
// query's digits without leading zeros (a national number's trunk prefix,
// "0812…" of "+62812…"), when there are at least three, else "".
func PhoneDigits(q string) string {
	d := strings.TrimLeft(strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) && r < unicode.MaxASCII {
			return r
		}
		return -1
	}, q), "0")
	if len(d) < 3 {
		return ""
	}
	return d
}
