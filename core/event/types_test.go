package event_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
)

// TestTypesKnown keeps the lists of known types whole: every Type* and
// Outcome* constant of the packages that produce events and outcomes is in
// them, so that a config that earns or sends on it validates.
func TestTypesKnown(t *testing.T) {
	for _, dir := range []string{".", filepath.Join("..", "loyalty"), filepath.Join("..", "..", "pipelines")} {
		consts := stringConsts(t, dir)
		require.NotEmpty(t, consts, dir)
		for name, val := range consts {
			switch {
			case strings.HasPrefix(name, "Outcome"):
				assert.True(t, event.KnownOutcome(val), "%s: %s = %q is not in event.OutcomeTypes", dir, name, val)
			case strings.HasPrefix(name, "Type"):
				assert.True(t, event.KnownType(val), "%s: %s = %q is not in event.Types", dir, name, val)
			}
		}
	}
	for _, typ := range event.ProgramTypes() {
		assert.True(t, event.KnownType(typ), "the program's type %s is one the hub knows", typ)
	}
	assert.False(t, event.ProgramType(event.TypeMessageReceived), "a customer's message goes to the BSP stage alone")
	assert.False(t, event.KnownType("order.payed"))
	assert.False(t, event.KnownOutcome("order.paid"), "an event is not an outcome")
}

// stringConsts returns the exported string constants of the package in dir.
func stringConsts(t *testing.T, dir string) map[string]string {
	t.Helper()
	pkgs, err := parser.ParseDir(token.NewFileSet(), dir, nil, 0)
	require.NoError(t, err)
	out := map[string]string{}
	for _, pkg := range pkgs {
		for fname, f := range pkg.Files {
			if strings.HasSuffix(fname, "_test.go") {
				continue
			}
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i >= len(vs.Values) || !n.IsExported() {
							continue
						}
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							out[n.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	return out
}
