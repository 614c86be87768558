package member

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMergeProfile(t *testing.T) {
	known := Profile{Source: "shopify", Store: "jkt-01", City: "Jakarta", Language: "id",
		Tags: []string{"vip", "staff"}, Attributes: map[string]any{"size": "M", "kids": float64(2)}}
	tests := []struct {
		name       string
		into, from Profile
		want       Profile
	}{
		{name: "empty from changes nothing", into: known, from: Profile{}, want: known},
		{name: "into empty takes from", into: Profile{}, from: known, want: known},
		{
			name: "scalars overwrite, source kept",
			into: known,
			from: Profile{Source: "pos", Store: " bdg-02 ", City: "Bandung", Language: "en"},
			want: Profile{Source: "shopify", Store: "bdg-02", City: "Bandung", Language: "en",
				Tags: []string{"vip", "staff"}, Attributes: map[string]any{"size": "M", "kids": float64(2)}},
		},
		{
			name: "blank scalars change nothing",
			into: known,
			from: Profile{Store: "  ", City: ""},
			want: known,
		},
		{
			name: "tags are a union in first order",
			into: Profile{Tags: []string{"vip", "staff"}},
			from: Profile{Tags: []string{"new", " vip", "", "staff", "new"}},
			want: Profile{Tags: []string{"vip", "staff", "new"}},
		},
		{
			name: "attributes merge by key, null and empty ignored",
			into: Profile{Attributes: map[string]any{"size": "M", "kids": float64(2)}},
			from: Profile{Attributes: map[string]any{"size": "L", "pet": true, "kids": nil, "note": "",
				"nested": map[string]any{"a": 1}, "list": []any{"x"}}},
			want: Profile{Attributes: map[string]any{"size": "L", "kids": float64(2), "pet": true}},
		},
		{
			name: "first source sets it",
			into: Profile{City: "Jakarta"},
			from: Profile{Source: " whatsapp "},
			want: Profile{Source: "whatsapp", City: "Jakarta"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MergeProfile(tt.into, tt.from)
			assert.Equal(t, tt.want, got)
			assert.True(t, got.Equal(tt.want))
		})
	}
}

func TestMergeProfileLeavesInputsAlone(t *testing.T) {
	into := Profile{Tags: []string{"a"}, Attributes: map[string]any{"x": "1"}}
	from := Profile{Tags: []string{"b"}, Attributes: map[string]any{"x": "2"}}
	MergeProfile(into, from)
	assert.Equal(t, []string{"a"}, into.Tags)
	assert.Equal(t, "1", into.Attributes["x"])
}

func TestProfileEqual(t *testing.T) {
	p := Profile{Tags: []string{"a", "b"}, Attributes: map[string]any{"n": 1}}
	assert.True(t, p.Equal(Profile{Tags: []string{"a", "b"}, Attributes: map[string]any{"n": float64(1)}}))
	assert.False(t, p.Equal(Profile{Tags: []string{"b", "a"}, Attributes: map[string]any{"n": 1}}))
	assert.False(t, p.Equal(Profile{Tags: []string{"a", "b"}, Attributes: map[string]any{"n": 2}}))
	assert.False(t, p.Equal(Profile{Tags: []string{"a", "b"}, Attributes: map[string]any{"m": 1}}))
	assert.True(t, Profile{}.IsZero())
	assert.False(t, Profile{Tags: []string{"a"}}.IsZero())
}

func TestSplitTags(t *testing.T) {
	assert.Equal(t, []string{"vip", "staff", "new"}, SplitTags("vip, staff,,new, vip", ","))
	assert.Equal(t, []string{"a", "b", "c"}, SplitTags("a|b;c", "|;"))
	assert.Nil(t, SplitTags("  ", ","))
}

func TestRetag(t *testing.T) {
	tests := []struct {
		name              string
		tags, add, remove []string
		want              []string
	}{
		{"added after, each once", []string{"vip"}, []string{"new", " vip", "new"}, nil, []string{"vip", "new"}},
		{"removed, trimmed", []string{"lapsed", "vip"}, nil, []string{" lapsed "}, []string{"vip"}},
		{"removing what is not there", []string{"vip"}, nil, []string{"gone"}, []string{"vip"}},
		{"none left", []string{"lapsed"}, nil, []string{"lapsed"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Retag(tt.tags, tt.add, tt.remove))
		})
	}
}
