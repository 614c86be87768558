package loyalty

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
)

// TestTypesKnown keeps core/event's lists of known types whole: every
// Outcome* and Type* constant of this package is in them, so that a config
// that sends or earns on it validates.
func TestTypesKnown(t *testing.T) {
	consts := stringConsts(t, ".")
	require.NotEmpty(t, consts)
	for name, val := range consts {
		if !strings.HasPrefix(name, "Outcome") && !strings.HasPrefix(name, "Type") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			switch {
			case strings.HasPrefix(name, "Outcome"):
				assert.True(t, event.KnownOutcome(val), "%s = %q is not in event.OutcomeTypes", name, val)
			case strings.HasPrefix(name, "Type"):
				assert.True(t, event.KnownType(val), "%s = %q is not in event.Types", name, val)
			}
		})
	}
}

// stringConsts returns the package's exported string constants.
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
