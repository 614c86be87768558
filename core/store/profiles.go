package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/loyalhub/loyalhub/core/member"
)

// MemberTags changes members' tags.
type MemberTags interface {
	// TagMember adds tags to a member's profile and removes others, in one
	// transaction, and returns the tags the member has then. Adding a tag
	// the member has, or removing one they lack, changes nothing, so a
	// repeated call does no more. ErrNotFound for an unknown member.
	TagMember(ctx context.Context, tenant, memberID string, add, remove []string) ([]string, error)
}

// RetagMember is what TagMember makes of a member's tags as an adapter
// keeps them (ProfileJSON): member.Retag's, and their JSON to write, ""
// when they did not change.
func RetagMember(stored []byte, add, remove []string) (tags []string, write string, err error) {
	var p member.Profile
	if err := ReadProfileJSON(&p, stored, nil); err != nil {
		return nil, "", err
	}
	tags = member.Retag(p.Tags, add, remove)
	if slices.Equal(tags, p.Tags) {
		return tags, "", nil
	}
	write, _, err = ProfileJSON(member.Profile{Tags: tags})
	return tags, write, err
}

// ProfileJSON is how the adapters keep a profile's tags and attributes:
// a JSON array and a JSON object, "[]" and "{}" when there are none.
func ProfileJSON(p member.Profile) (tags, attributes string, err error) {
	t, a := []byte("[]"), []byte("{}")
	if len(p.Tags) > 0 {
		if t, err = json.Marshal(p.Tags); err != nil {
			return "", "", fmt.Errorf("encoding tags: %w", err)
		}
	}
	if len(p.Attributes) > 0 {
		if a, err = json.Marshal(p.Attributes); err != nil {
			return "", "", fmt.Errorf("encoding attributes: %w", err)
		}
	}
	return string(t), string(a), nil
}

// ReadProfileJSON reads tags and attributes back (see ProfileJSON); ""
// is none.
func ReadProfileJSON(p *member.Profile, tags, attributes []byte) error {
	p.Tags, p.Attributes = nil, nil
	if len(tags) > 0 {
		if err := json.Unmarshal(tags, &p.Tags); err != nil {
			return fmt.Errorf("decoding tags: %w", err)
		}
		if len(p.Tags) == 0 {
			p.Tags = nil
		}
	}
	if len(attributes) > 0 {
		if err := json.Unmarshal(attributes, &p.Attributes); err != nil {
			return fmt.Errorf("decoding attributes: %w", err)
		}
		if len(p.Attributes) == 0 {
			p.Attributes = nil
		}
	}
	return nil
}
