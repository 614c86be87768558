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
	"github.com/loyalhub/loyalhub/core/event"
)

// keyPaths lists the documented form of every key of t: nested structs
// (and pointers to structs) dotted, map entries as <id> or <name>, list
// entries as [].
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
		if ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct {
			ft = ft.Elem() // an optional block, written like any other
		}
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
	for _, k := range []string{
		"tenants.<id>.notifications[].template.body",
		"tenants.<id>.loyalty.rules[].spend.unit",
		"tenants.<id>.loyalty.rules[].spend.multipliers[].factor",
		"tenants.<id>.loyalty.rules[].schedule.hours",
		"tenants.<id>.loyalty.refunds.wait_for_order",
	} {
		require.Contains(t, keys, k, "keyPaths walks nested blocks")
	}
	for _, k := range keys {
		// assert.True keeps a failure to the missing key, not the whole file.
		assert.True(t, strings.Contains(string(doc), "| `"+k+"` |"), "docs/config.md documents %s", k)
	}
}

// TestReferenceListsKnownTypes keeps the lists of event and outcome types
// that on: accepts, as the reference gives them, whole.
func TestReferenceListsKnownTypes(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "config.md"))
	require.NoError(t, err)
	for _, list := range []struct {
		key   string
		types []string
	}{
		{"tenants.<id>.loyalty.event_types", event.ProgramTypes()},
		{"tenants.<id>.notifications[].on", event.OutcomeTypes()},
	} {
		t.Run(list.key, func(t *testing.T) {
			_, row, ok := strings.Cut(string(doc), "| `"+list.key+"` |")
			require.True(t, ok)
			row, _, _ = strings.Cut(row, "\n")
			quoted := make([]string, len(list.types))
			for i, typ := range list.types {
				quoted[i] = "`" + typ + "`"
			}
			assert.Contains(t, row, strings.Join(quoted, ", "))
		})
	}
}

func TestKeyPaths(t *testing.T) {
	type leaf struct {
		A string `koanf:"a"`
	}
	type node struct {
		Plain    string          `koanf:"plain"`
		Struct   leaf            `koanf:"struct"`
		Pointer  *leaf           `koanf:"pointer"`
		List     []leaf          `koanf:"list"`
		Map      map[string]leaf `koanf:"map"`
		Tenants  map[string]leaf `koanf:"tenants"`
		Strings  []string        `koanf:"strings"`
		Settings map[string]any  `koanf:",remain"`
	}
	tests := []struct {
		name   string
		prefix string
		want   []string
	}{
		{
			name: "top level",
			want: []string{
				"plain", "struct.a", "pointer.a", "list[].a", "map.<name>.a", "tenants.<id>.a", "strings",
			},
		},
		{
			name:   "under a prefix",
			prefix: "x",
			want: []string{
				"x.plain", "x.struct.a", "x.pointer.a", "x.list[].a", "x.map.<name>.a", "x.tenants.<id>.a", "x.strings",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, keyPaths(reflect.TypeFor[node](), tt.prefix))
		})
	}
}
