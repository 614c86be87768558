package mappings_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/mappings"
)

func TestLocate(t *testing.T) {
	src := `def need($f): if .[$f] == null then error("\($f) is required (\(keys | length) keys)") else . end;
if type != "object" then error("a sale must be an object, got \(type)")
elif .total == "x" then error("total \(.total) is not a decimal: \(.total)")
else need("sale_id") | {type: "t", id: .sale_id, data: (.items[] | {})} end`
	p, err := mappings.Compile("m", src)
	require.NoError(t, err)
	tests := []struct {
		name     string
		body     string
		wantLine int
		wantCol  int
		wantOK   bool
	}{
		{"raised with a literal start", `[]`, 2, 26, true},
		{"raised in a function, interpolation first", `{"total": 1}`, 1, 37, true},
		{"interpolations between literals", `{"total": "x"}`, 3, 25, true},
		{"gojq's own error has no position", `{"sale_id": "S-1", "items": null}`, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Run(context.Background(), delivery("m"), []byte(tt.body))
			require.Error(t, err)
			loc, ok := p.Locate(err)
			require.Equal(t, tt.wantOK, ok, "%v", err)
			if ok {
				assert.Equal(t, tt.wantLine, loc.Line, err.Error())
				assert.Equal(t, tt.wantCol, loc.Column)
				assert.Equal(t, strings.Split(src, "\n")[tt.wantLine-1], loc.Text)
			}
		})
	}
}

func TestLocateBundled(t *testing.T) {
	p := mustBundled(t, "pos_webhook")
	body, err := os.ReadFile(filepath.Join("testdata", "pos_webhook", "missing_sale_id.json"))
	require.NoError(t, err)
	_, err = p.Run(context.Background(), delivery("pos_webhook"), body)
	require.Error(t, err)
	loc, ok := p.Locate(err)
	require.True(t, ok, "%v", err)
	assert.Contains(t, loc.Text, `error("sale_id is required`)
	assert.Equal(t, mappings.Location{Line: loc.Line, Column: strings.Index(loc.Text, "error(") + 1, Text: loc.Text}, loc)
}

func TestSamples(t *testing.T) {
	for _, name := range mappings.Names() {
		got, err := mappings.Samples(name)
		require.NoError(t, err)
		assert.NotEmpty(t, got, name)
		for _, s := range got {
			assert.NotContains(t, s.Name, ".", "golden and delivery files are not samples")
			assert.NotEmpty(t, s.Body)
		}
	}
	none, err := mappings.Samples("nope")
	require.NoError(t, err)
	assert.Empty(t, none)
}
