package mappings

import (
	"testing"

	"github.com/itchyny/gojq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// run runs a jq program compiled as mappings are on input and returns its
// first output (an error is returned as the output).
func runFirst(t *testing.T, src string, input any) any {
	t.Helper()
	q, err := gojq.Parse(src)
	require.NoError(t, err)
	code, err := gojq.Compile(q, compileOptions()...)
	require.NoError(t, err)
	v, ok := code.Run(input, map[string]any{}).Next()
	require.True(t, ok)
	return v
}

// drop_nulls gives what del(.[] | nulls) gives, errors included.
func TestDropNullsIsDelNulls(t *testing.T) {
	for name, input := range map[string]any{
		"object":       map[string]any{"a": 1, "b": nil, "c": map[string]any{"d": nil}, "e": false},
		"empty object": map[string]any{},
		"array":        []any{1, nil, "x", nil, []any{nil}},
		"null":         nil,
		"string":       "text",
		"number":       3,
	} {
		t.Run(name, func(t *testing.T) {
			got := runFirst(t, "drop_nulls", input)
			want := runFirst(t, "del(.[] | nulls)", input)
			if wantErr, ok := want.(error); ok {
				gotErr, isErr := got.(error)
				require.True(t, isErr, "got %v, want an error like %v", got, wantErr)
				assert.Contains(t, gotErr.Error(), "cannot iterate over")
				return
			}
			assert.Equal(t, want, got)
		})
	}
}

// A mapping's own drop_nulls takes the place of the engine's.
func TestOwnDropNullsWins(t *testing.T) {
	got := runFirst(t, `def drop_nulls: "own"; {a: null} | drop_nulls`, nil)
	assert.Equal(t, "own", got)
}
