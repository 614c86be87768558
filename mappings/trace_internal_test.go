package mappings

import (
	"context"
	"testing"
	"time"

	"github.com/itchyny/gojq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
)

// TestMarksKeepMeaning runs every bundled mapping marked and unmarked over
// every recorded payload of its source: the marks must change nothing but
// the marks passed.
func TestMarksKeepMeaning(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			src, _ := Bundled(name)
			p, err := Compile(name, src)
			require.NoError(t, err)
			passed := 0
			marked, marks, ok := p.marked(func(int, any) { passed++ })
			require.True(t, ok, "the marks fit the bundled mapping")
			require.NotEmpty(t, marks)
			samples, err := Samples(name)
			require.NoError(t, err)
			for _, s := range samples {
				d := event.Delivery{Tenant: "acme", Connector: "c", Kind: name, DeliveryID: "d", Topic: s.Topic, Meta: s.Meta,
					ReceivedAt: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)}
				want, wantErr := p.Run(context.Background(), d, s.Body)
				got, gotErr := marked.Run(context.Background(), d, s.Body)
				assert.Equal(t, want, got, s.Name)
				if wantErr != nil {
					require.Error(t, gotErr, s.Name)
					assert.Equal(t, wantErr.Error(), gotErr.Error(), s.Name)
				}
			}
			assert.Positive(t, passed, "the marks are passed")
		})
	}
}

// markedSources are jq constructs the marks must fit without changing
// what the program does.
var markedSources = []string{
	`.a | .b`, `if . then 1 elif . == 2 then 2 else 3 end`, `def f($a; b): $a | b; f(1; 2)`,
	`{if: 1, then: (2 | 3)}`, `"x\(.a? | "y\(1 | 2)")" | ascii_downcase`, `reduce .[]? as $x (0; . + $x)`,
	`.a? |= (. + 1) # a comment | not code`, `[.[]? | select(. > 1)] | length`, `try error("x") catch .`,
	`label $out | foreach .[]? as $i (0; . + 1; if . > 2 then ., break $out else empty end)`,
	`.a? as [$x, $y] | {$x, y: $y}`, `try (del(.a, .b) | to_entries | map(.key)) catch "no"`, `@base64 "\(.)"`,
	`[.[] | try tonumber catch {error: ., item: .}]`, `try error("x") catch (. + "!")`, `[.[]? | try .a catch [.]]`,
	`path(..)`, `[paths]`, `.a.b`, `def f: .a; f.b`, `(def f: 1; f) + 1`, `(.a? // "none") | tostring`, `def g: def h: 1; h + 1; g`, `getpath(["a"])? // null`,
}

// TestMarkedSourcesRunTheSame runs each of markedSources marked and
// unmarked over a few inputs.
func TestMarkedSourcesRunTheSame(t *testing.T) {
	inputs := []any{nil, 1, "s", []any{1, 2, 3}, map[string]any{"a": 1, "b": []any{1}}}
	for _, src := range markedSources {
		t.Run(src, func(t *testing.T) {
			marked, _ := instrument(src)
			code, err := gojq.Compile(mustParse(t, src))
			require.NoError(t, err)
			mcode, err := gojq.Compile(mustParse(t, "def _loyalhub_at($i): .;\n"+marked))
			require.NoError(t, err, marked)
			for _, in := range inputs {
				assert.Equal(t, outputs(code, in), outputs(mcode, in), "on %v", in)
			}
		})
	}
}

func mustParse(t *testing.T, src string) *gojq.Query {
	t.Helper()
	q, err := gojq.Parse(src)
	require.NoError(t, err, src)
	return q
}

// FuzzInstrument feeds jq sources to instrument: it must not panic, its
// marks lie in the source, and the marked source of one that parses
// parses too.
func FuzzInstrument(f *testing.F) {
	for _, name := range Names() {
		src, _ := Bundled(name)
		f.Add(src)
	}
	for _, s := range markedSources {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		marked, marks := instrument(src)
		for _, m := range marks {
			require.LessOrEqual(t, m.offset, len(src))
			require.Positive(t, m.loc.Line)
		}
		if _, err := gojq.Parse(src); err != nil {
			return
		}
		_, err := gojq.Parse("def _loyalhub_at($i): .;\n" + marked)
		require.NoError(t, err, "marked:\n%s", marked)
	})
}

// outputs collects up to 20 outputs of code on input, errors as strings.
func outputs(code *gojq.Code, input any) []any {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var out []any
	iter := code.RunWithContext(ctx, input, map[string]any{})
	for len(out) < 20 {
		v, ok := iter.Next()
		if !ok {
			break
		}
		if err, isErr := v.(error); isErr {
			out = append(out, "error: "+err.Error())
			break
		}
		out = append(out, v)
	}
	return out
}
