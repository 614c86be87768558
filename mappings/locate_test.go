package mappings_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

func TestLocateRun(t *testing.T) {
	src := `def amount($field):
  if type == "string" then tonumber
  else error("\($field) must be a string, got \(type)")
  end;
if type != "object" then error("a sale must be an object, got \(type)") else . end
| .sale_id as $id
| [.items[] | .qty | amount("qty")] as $qty
| (.customer
   | .phone) as $phone
| if $id == "void" then error("\($id) must be a string, got \(type)")
  else {type: "t", id: $id, data: {phone: $phone, total: (.total | amount("total"))}}
  end`
	p, err := mappings.Compile("m", src)
	require.NoError(t, err)
	lines := strings.Split(src, "\n")
	tests := []struct {
		name     string
		body     string
		wantLine int
		wantText string // what the location points at
		wantOK   bool
	}{
		{"iterating over null", `{"sale_id": "S-1"}`, 7, `[.items[] | .qty`, true},
		{"indexing a string", `{"sale_id": "S-1", "items": [], "customer": "0812"}`, 9, `.phone) as $phone`, true},
		{"a builtin's error in a function", `{"sale_id": "S-1", "items": [{"qty": "x"}]}`, 2, `tonumber`, true},
		{"the mapping's error in a function", `{"sale_id": "S-1", "items": [{"qty": 1}]}`, 3, `error("\($field) must`, true},
		{"the same literal raised in two places", `{"sale_id": "void", "items": [], "customer": {}}`, 10, `error("\($id) must`, true},
		{"an error raised as written", `[]`, 5, `error("a sale must`, true},
		{"an output that breaks the contract", `{"sale_id": null, "items": [], "customer": {}, "total": "5"}`, 0, "", false},
		{"not JSON", `{`, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := delivery("m")
			_, runErr := p.Run(context.Background(), d, []byte(tt.body))
			require.Error(t, runErr)
			loc, ok := p.LocateRun(context.Background(), d, []byte(tt.body), runErr)
			require.Equal(t, tt.wantOK, ok, "%v", runErr)
			if !ok {
				return
			}
			assert.Equal(t, tt.wantLine, loc.Line, "%v at %+v", runErr, loc)
			assert.Equal(t, lines[tt.wantLine-1], loc.Text)
			assert.True(t, strings.HasPrefix(string([]rune(loc.Text)[loc.Column-1:]), tt.wantText),
				"column %d of %q points at %q", loc.Column, loc.Text, tt.wantText)
		})
	}
}

func TestLocateRunWithoutStages(t *testing.T) {
	tests := []struct {
		name, src string
		wantLine  int
		wantText  string
	}{
		{"a program of one term", "# the customer's phone\n.customer.phone", 2, ".customer.phone"},
		{"the query after the definitions", "def id: .sale_id;\ndef phone: .customer.phone;\n\n{type: id, id: id, data: {phone: .customer.phone}}", 4, "{type: id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := mappings.Compile("m", tt.src)
			require.NoError(t, err)
			body := []byte(`{"sale_id": "S-1", "customer": "0812"}`)
			_, runErr := p.Run(context.Background(), delivery("m"), body)
			require.ErrorContains(t, runErr, "expected an object but got: string")
			loc, ok := p.LocateRun(context.Background(), delivery("m"), body, runErr)
			require.True(t, ok)
			assert.Equal(t, tt.wantLine, loc.Line)
			assert.Equal(t, 1, loc.Column)
			assert.True(t, strings.HasPrefix(loc.Text, tt.wantText), loc.Text)
		})
	}
}

// TestLocateRunBundled points at the line of a bundled mapping where gojq
// itself fails: Square's payment reads data.object, which a body whose data
// is a string does not have.
func TestLocateRunBundled(t *testing.T) {
	p := mustBundled(t, "square")
	body := []byte(`{"type": "payment.updated", "data": "x"}`)
	d := delivery("square")
	_, err := p.Run(context.Background(), d, body)
	require.ErrorContains(t, err, `expected an object but got: string ("x")`)
	_, ok := p.Locate(err)
	require.False(t, ok, "no error(…) call raised it")
	loc, ok := p.LocateRun(context.Background(), d, body, err)
	require.True(t, ok)
	src, _ := mappings.Bundled("square")
	want := strings.Count(src[:strings.Index(src, "  .data.object.payment\n")], "\n") + 1
	assert.Equal(t, mappings.Location{Line: want, Column: 3, Text: "  .data.object.payment"}, loc)
}

// TestLocateRunCaught places an error the mapping caught and reported as a
// failed item, whose message another error carries (the item's failure),
// where it was raised.
func TestLocateRunCaught(t *testing.T) {
	src := `def sale:
  {type: "order.paid", id: .sale_id,
   data: {order_id: .sale_id,
          qty: (.items | map(.qty | tonumber) | add)}};
.sales[] as $s
| try ($s | sale) catch {type: "failed", id: ($s.sale_id // "?"), data: {reason: .}}`
	p, err := mappings.Compile("m", src)
	require.NoError(t, err)
	body := []byte(`{"sales": [{"sale_id": "S-1", "items": [{"qty": "2"}]}, {"sale_id": "S-2", "items": [{"qty": "two"}]}]}`)
	d := delivery("m")
	events, err := p.Run(context.Background(), d, body)
	require.NoError(t, err)
	require.Len(t, events, 2)
	var failed struct{ Reason string }
	require.NoError(t, json.Unmarshal(events[1].Data, &failed))
	require.Contains(t, failed.Reason, "tonumber")

	// What a pipeline makes of the failed item: an error carrying its reason.
	itemErr := fmt.Errorf("running mapping %q: output 1: item failed: %s", "m", failed.Reason)
	loc, ok := p.LocateRun(context.Background(), d, body, itemErr)
	require.True(t, ok)
	assert.Equal(t, 4, loc.Line, "%+v", loc)
	assert.Equal(t, "          qty: (.items | map(.qty | tonumber) | add)}};", loc.Text)
	assert.True(t, strings.HasPrefix(string([]rune(loc.Text)[loc.Column-1:]), "tonumber)"), "column %d", loc.Column)

	_, ok = p.LocateRun(context.Background(), d, body, errors.New("a reason no handler received"))
	assert.False(t, ok)
}
