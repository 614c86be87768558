package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
)

// keyPaths lists the documented form of every key of t: nested structs
// dotted, map entries as <id> or <name>, list entries as [].
func keyPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
		if tag == "" {
			continue // the connector's own keys
		}
		p := config.Join(prefix, tag)
		ft := f.Type
		switch {
		case ft.Kind() == reflect.Struct:
			out = append(out, keyPaths(ft, p)...)
		case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.Struct:
			placeholder := "<name>"
			if tag == "tenants" {
				placeholder = "<id>"
			}
			out = append(out, keyPaths(ft.Elem(), p+"."+placeholder)...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out = append(out, keyPaths(ft.Elem(), p+"[]")...)
		default:
			out = append(out, p)
		}
	}
	return out
}

func TestReferenceDocumentsEveryKey(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "config.md"))
	require.NoError(t, err)
	keys := keyPaths(reflect.TypeFor[config.Config](), "")
	require.Contains(t, keys, "tenants.<id>.notifications[].template.body")
	for _, k := range keys {
		assert.Contains(t, string(doc), "| `"+k+"` |", "docs/config.md documents %s", k)
	}
}
