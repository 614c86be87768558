// Package configtest checks a connector's config against its reference and
// the way the hub reads it: the keys of a config struct, that a reference
// documents every one of them, the key paths of a validation error, and the
// strict decoding of a config block.
//
// A connector's tests use it like this:
//
//	func TestReferenceDocumentsEveryKey(t *testing.T) {
//		configtest.RequireDocumented(t, "../../docs/connectors/pos_webhook.md", "", reflect.TypeFor[pos.Config]())
//	}
package configtest

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
)

// MapKey stands for the keys of a map of blocks in the paths Keys returns,
// as in "admin.discounts.<key>.amount". A reference may name it after what
// the keys are: RequireDocumented takes any "<name>" in its place.
const MapKey = "<key>"

// Keys lists the dotted koanf key of every field of a config struct type, in
// field order. Nested blocks are walked, and so are maps of blocks, with
// MapKey for their keys; lists and maps of plain values are one key each. A
// field without a koanf tag has its Go name as its key, the hub matching
// keys exactly; fields tagged "-" and unexported fields are left out.
func Keys(typ reflect.Type) []string {
	return keys(typ, "")
}

func keys(typ reflect.Type, prefix string) []string {
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		key := config.Join(prefix, name)
		ft := indirect(f.Type)
		switch {
		case ft.Kind() == reflect.Struct:
			out = append(out, keys(ft, key)...)
		case ft.Kind() == reflect.Map && indirect(ft.Elem()).Kind() == reflect.Struct:
			out = append(out, keys(indirect(ft.Elem()), key+"."+MapKey)...)
		default:
			out = append(out, key)
		}
	}
	return out
}

// indirect is the type a pointer type points to, or typ itself.
func indirect(typ reflect.Type) reflect.Type {
	if typ.Kind() == reflect.Pointer {
		return typ.Elem()
	}
	return typ
}

var (
	nextHeading = regexp.MustCompile(`\n#{1,3} `)
	placeholder = regexp.QuoteMeta(MapKey)
)

// RequireDocumented checks that the reference at docPath has a table row,
// "| `key` |", for every key of the config type typ (see Keys). section ""
// searches the whole file; otherwise only the section under the heading
// "### section", up to the next heading of level 1 to 3 (as docs/config.md
// has one per connector type).
func RequireDocumented(t testing.TB, docPath, section string, typ reflect.Type) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Clean(docPath))
	require.NoError(t, err)
	doc, where := string(raw), docPath
	if section != "" {
		_, body, ok := strings.Cut(doc, "\n### "+section+"\n")
		require.True(t, ok, "%s has a section for %s", docPath, section)
		if loc := nextHeading.FindStringIndex(body); loc != nil {
			body = body[:loc[0]]
		}
		doc, where = body, docPath+", "+section+","
	}
	ks := Keys(typ)
	require.NotEmpty(t, ks, "%s has keys", typ)
	for _, k := range ks {
		row := regexp.MustCompile(strings.ReplaceAll(regexp.QuoteMeta("| `"+k+"` |"), placeholder, "<[^<>`|]+>"))
		assert.True(t, row.MatchString(doc), "%s documents %s", where, k)
	}
}

// ErrorKeys requires err to be config.Errors, each message led by its key
// path, and returns the paths in order; nil for no error.
func ErrorKeys(t testing.TB, err error) []string {
	t.Helper()
	var keys []string
	for _, fe := range FieldErrors(t, err) {
		keys = append(keys, fe.Path)
	}
	return keys
}

// FieldErrors requires err to be config.Errors, each message led by its key
// path, and returns them; nil for no error.
func FieldErrors(t testing.TB, err error) config.Errors {
	t.Helper()
	if err == nil {
		return nil
	}
	var errs config.Errors
	require.True(t, errors.As(err, &errs), "a config error list, got %T: %v", err, err)
	for _, fe := range errs {
		require.NotEmpty(t, fe.Path, fe.Error())
		assert.True(t, strings.HasPrefix(fe.Error(), fe.Path+": "), fe.Error())
	}
	return errs
}

// DecodeBlock decodes a connector's config block, YAML as in a config file,
// into cfg the way the hub does: the block's type must be typeName, type and
// mapping are set aside, unknown keys are errors and durations are parsed.
// It returns the connector's own settings.
func DecodeBlock(t testing.TB, typeName, block string, cfg any) *koanf.Koanf {
	t.Helper()
	raw, err := yaml.Parser().Unmarshal([]byte(block))
	require.NoError(t, err)
	k := koanf.New(".")
	require.NoError(t, k.Load(confmap.Provider(raw, "."), nil))
	assert.Equal(t, typeName, k.String("type"))
	settings := k.Cut("")
	settings.Delete("type")
	settings.Delete("mapping")
	require.NoError(t, settings.UnmarshalWithConf("", cfg, koanf.UnmarshalConf{
		Tag: "koanf",
		DecoderConfig: &mapstructure.DecoderConfig{
			DecodeHook:       mapstructure.StringToTimeDurationHookFunc(),
			ErrorUnused:      true,
			WeaklyTypedInput: true,
			TagName:          "koanf",
			Result:           cfg,
		},
	}))
	return settings
}
