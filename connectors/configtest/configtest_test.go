package configtest_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/configtest"
	"github.com/loyalhub/loyalhub/core/config"
)

type limits struct {
	Rate  float64       `koanf:"rate"`
	Every time.Duration `koanf:"every"`
}

type discount struct {
	Amount string `koanf:"amount"`
	Days   int    `koanf:"days"`
}

type sample struct {
	Secret    string              `koanf:"secret"`
	Timeout   time.Duration       `koanf:"timeout"`
	Limits    limits              `koanf:"limits"`
	Optional  *limits             `koanf:"optional"`
	Discounts map[string]discount `koanf:"discounts"`
	Pointers  map[string]*discount
	Columns   map[string][]string `koanf:"columns"`
	Names     []string            `koanf:"names,omitempty"`
	Ignored   string              `koanf:"-"`
	internal  string
}

func TestKeys(t *testing.T) {
	assert.Equal(t, []string{
		"secret", "timeout",
		"limits.rate", "limits.every",
		"optional.rate", "optional.every",
		"discounts.<key>.amount", "discounts.<key>.days",
		"Pointers.<key>.amount", "Pointers.<key>.days",
		"columns", "names",
	}, configtest.Keys(reflect.TypeFor[sample]()))
	_ = sample{}.internal
}

const reference = "# Sample\n\n" +
	"### other\n\n| `secret` | string |\n\n" +
	"### sample\n\n" +
	"| key | type |\n| --- | --- |\n" +
	"| `secret` | string |\n| `timeout` | duration |\n" +
	"| `limits.rate` | number |\n| `limits.every` | duration |\n" +
	"| `optional.rate` | number |\n| `optional.every` | duration |\n" +
	"| `discounts.<reward>.amount` | decimal |\n| `discounts.<reward>.days` | integer |\n" +
	"| `Pointers.<key>.amount` | decimal |\n| `Pointers.<key>.days` | integer |\n" +
	"| `columns` | map |\n| `names` | list |\n\n" +
	"## Next\n\n| `extra` | string |\n"

type extra struct {
	Secret string `koanf:"secret"`
	Extra  string `koanf:"extra"`
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recorder) FailNow() { runtime.Goexit() }

// run calls f with a recorder in its own goroutine, so that FailNow ends
// only f, and returns the failures.
func run(t *testing.T, f func(tb testing.TB)) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.failures
}

func TestRequireDocumented(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sample.md")
	require.NoError(t, os.WriteFile(path, []byte(reference), 0o600))

	t.Run("a section", func(t *testing.T) {
		configtest.RequireDocumented(t, path, "sample", reflect.TypeFor[sample]())
	})
	t.Run("the whole file", func(t *testing.T) {
		configtest.RequireDocumented(t, path, "", reflect.TypeFor[extra]())
	})
	t.Run("a key outside the section", func(t *testing.T) {
		failures := run(t, func(tb testing.TB) {
			configtest.RequireDocumented(tb, path, "sample", reflect.TypeFor[extra]())
		})
		require.Len(t, failures, 1)
		assert.Contains(t, failures[0], "sample, documents extra")
	})
	t.Run("a placeholder is not any text", func(t *testing.T) {
		doc := filepath.Join(t.TempDir(), "literal.md")
		require.NoError(t, os.WriteFile(doc, []byte("| `discounts.coffee.amount` |\n| `discounts.coffee.days` |\n"), 0o600))
		failures := run(t, func(tb testing.TB) {
			configtest.RequireDocumented(tb, doc, "", reflect.TypeFor[struct {
				Discounts map[string]discount `koanf:"discounts"`
			}]())
		})
		assert.Len(t, failures, 2)
	})
	t.Run("a missing section", func(t *testing.T) {
		failures := run(t, func(tb testing.TB) {
			configtest.RequireDocumented(tb, path, "absent", reflect.TypeFor[sample]())
		})
		require.Len(t, failures, 1)
		assert.Contains(t, failures[0], "has a section for absent")
	})
}

func TestErrorKeys(t *testing.T) {
	assert.Nil(t, configtest.ErrorKeys(t, nil))
	errs := config.Errors{{Path: "secret", Msg: "required"}, {Path: "limits.rate", Msg: "must be positive"}}
	assert.Equal(t, []string{"secret", "limits.rate"}, configtest.ErrorKeys(t, errs.Err()))
	assert.Equal(t, errs, configtest.FieldErrors(t, errs.Err()))

	assert.NotEmpty(t, run(t, func(tb testing.TB) { configtest.ErrorKeys(tb, errors.New("secret: required")) }),
		"a plain error is not a config error list")
	assert.NotEmpty(t, run(t, func(tb testing.TB) { configtest.ErrorKeys(tb, config.Errors{{Msg: "no path"}}) }),
		"every error names its key")
}

func TestDecodeBlock(t *testing.T) {
	var c sample
	settings := configtest.DecodeBlock(t, "sample", "type: sample\nmapping: sample\nsecret: s3cret\ntimeout: 5s\nlimits:\n  rate: 2\n", &c)
	assert.Equal(t, "s3cret", c.Secret)
	assert.Equal(t, 5*time.Second, c.Timeout)
	assert.Equal(t, 2.0, c.Limits.Rate)
	assert.True(t, settings.Exists("limits.rate"))
	assert.False(t, settings.Exists("type"))

	assert.NotEmpty(t, run(t, func(tb testing.TB) {
		configtest.DecodeBlock(tb, "sample", "type: sample\nsecrets: s3cret\n", &sample{})
	}), "unknown keys are errors")
}
