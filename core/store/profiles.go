package store

import (
	"encoding/json"
	"fmt"

	"github.com/loyalhub/loyalhub/core/member"
)

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
