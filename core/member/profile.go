package member

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// Profile is what shops, CRMs, imports and the chat say of a member beyond
// their identity and their standing in the program. Segments select
// members by it; the hub never sends it anywhere.
type Profile struct {
	// Source is how the member joined: "whatsapp" (the chat), a
	// connector's name ("shopify", "pos"), "import", or the source of the
	// join link they used.
	Source string `json:"source,omitempty"`
	// Store is the member's home store: the store id a source gave, or the
	// store of their last purchase when none was given.
	Store string `json:"store,omitempty"`
	City  string `json:"city,omitempty"`
	// Language is the language the member speaks with the hub, as the
	// chatbot names it ("en", "id").
	Language string `json:"language,omitempty"`
	// Tags are labels from a shop, a CRM or an operator ("vip", "staff"),
	// each once, in the order first given.
	Tags []string `json:"tags,omitempty"`
	// Attributes are custom attributes by name (strings, numbers,
	// booleans), from connectors' mappings or an import.
	Attributes map[string]any `json:"attributes,omitempty"`
}

// IsZero reports whether the profile says nothing.
func (p Profile) IsZero() bool {
	return p.Source == "" && p.Store == "" && p.City == "" && p.Language == "" &&
		len(p.Tags) == 0 && len(p.Attributes) == 0
}

// Equal reports whether two profiles say the same. Attributes compare by
// their JSON value, so 1 and 1.0 are one value.
func (p Profile) Equal(q Profile) bool {
	if p.Source != q.Source || p.Store != q.Store || p.City != q.City || p.Language != q.Language ||
		!slices.Equal(p.Tags, q.Tags) || len(p.Attributes) != len(q.Attributes) {
		return false
	}
	for k, v := range p.Attributes {
		w, ok := q.Attributes[k]
		if !ok {
			return false
		}
		a, errA := json.Marshal(v)
		b, errB := json.Marshal(w)
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			return false
		}
	}
	return true
}

// MergeProfile returns what is known of a member once a source said from,
// given what was known before (into), and leaves both unchanged:
//
//   - Source is set once: the first source that said anything keeps it.
//   - Store, City and Language: a non-empty value (trimmed) replaces the
//     one known; an empty one changes nothing.
//   - Tags are a union: each tag once (trimmed, empty ones left out), in
//     the order first given, known ones first.
//   - Attributes merge by key: a key from says replaces the known value; a
//     null or empty-string value changes nothing, and so does a value that
//     is not a string, a number or a boolean.
func MergeProfile(into, from Profile) Profile {
	out := into
	if out.Source == "" {
		out.Source = strings.TrimSpace(from.Source)
	}
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&out.Store, from.Store}, {&out.City, from.City}, {&out.Language, from.Language},
	} {
		if v := strings.TrimSpace(f.src); v != "" {
			*f.dst = v
		}
	}
	out.Tags = UnionTags(into.Tags, from.Tags)
	out.Attributes = nil
	for k, v := range into.Attributes {
		setAttribute(&out.Attributes, k, v)
	}
	for k, v := range from.Attributes {
		setAttribute(&out.Attributes, k, v)
	}
	return out
}

func setAttribute(m *map[string]any, k string, v any) {
	k = strings.TrimSpace(k)
	switch v.(type) {
	case string, bool, float64, int, int64, json.Number:
	default:
		return // null, or an object or array an attribute cannot be
	}
	if k == "" || v == "" {
		return
	}
	if *m == nil {
		*m = map[string]any{}
	}
	(*m)[k] = v
}

// UnionTags returns the tags of both lists, each once, trimmed and without
// empty ones, in the order first given. It returns nil when there are none.
func UnionTags(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, t := range l {
			if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// Retag returns tags with add (each once, after them) and without remove,
// as UnionTags keeps them; nil when none is left.
func Retag(tags, add, remove []string) []string {
	remove = UnionTags(remove)
	out := slices.DeleteFunc(UnionTags(tags, add), func(t string) bool { return slices.Contains(remove, t) })
	if len(out) == 0 {
		return nil
	}
	return out
}

// SplitTags reads tags written in one string, separated by any of seps
// (Shopify's "vip, staff" with ","; an import's "vip|staff"), as UnionTags
// would keep them.
func SplitTags(s, seps string) []string {
	return UnionTags(strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) }))
}
