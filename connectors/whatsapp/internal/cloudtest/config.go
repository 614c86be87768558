package cloudtest

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
)

// ErrorKeys requires err to be config.Errors, each message led by its key
// path, and returns the paths in order; nil for no error.
func ErrorKeys(t testing.TB, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var errs config.Errors
	require.True(t, errors.As(err, &errs), "a config error list, got %T: %v", err, err)
	var keys []string
	for _, fe := range errs {
		keys = append(keys, fe.Path)
		assert.True(t, strings.HasPrefix(fe.Error(), fe.Path+": "), fe.Error())
	}
	return keys
}

// ConfigKeys lists the dotted koanf key of every field of a config struct
// type, nested blocks walked.
func ConfigKeys(typ reflect.Type, prefix string) []string {
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		key := config.Join(prefix, f.Tag.Get("koanf"))
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Duration]() {
			out = append(out, ConfigKeys(f.Type, key)...)
			continue
		}
		out = append(out, key)
	}
	return out
}

var nextHeading = regexp.MustCompile(`\n#{1,3} `)

// RequireDocumented checks that the section "### typeName" of docs/config.md
// (docPath) has a table row for every key of the config type.
func RequireDocumented(t *testing.T, docPath, typeName string, typ reflect.Type) {
	t.Helper()
	doc, err := os.ReadFile(filepath.Clean(docPath))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(doc), "\n### "+typeName+"\n")
	require.True(t, ok, "docs/config.md has a section for %s", typeName)
	if loc := nextHeading.FindStringIndex(section); loc != nil {
		section = section[:loc[0]]
	}
	keys := ConfigKeys(typ, "")
	require.NotEmpty(t, keys)
	for _, k := range keys {
		assert.True(t, strings.Contains(section, "| `"+k+"` |"), "docs/config.md, %s, documents %s", typeName, k)
	}
}
