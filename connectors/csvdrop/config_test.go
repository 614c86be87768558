package csvdrop_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/configtest"
	"github.com/loyalhub/loyalhub/connectors/csvdrop"
	"github.com/loyalhub/loyalhub/mappings"
)

func validConfig() *csvdrop.Config {
	c := csvdrop.NewConfig()
	c.Dir = "/var/lib/loyalhub/drops"
	return c
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		set  func(c *csvdrop.Config)
		want map[string]string // key → part of the message
	}{
		{name: "defaults with a dir", set: func(*csvdrop.Config) {}},
		{name: "everything set", set: func(c *csvdrop.Config) {
			c.Pattern, c.Delimiter, c.DecimalSeparator, c.ThousandsSeparator = "sales_*.txt", "tab", ",", " "
			c.DateFormats = []string{"02.01.2006 15:04", "Jan 2, 2006"}
			c.Timezone, c.DefaultCurrency, c.DefaultRegion = "Asia/Jakarta", "IDR", "ID"
			c.Columns = map[string][]string{"customer_phone": {"hp pelanggan", "wa"}, "amount": {"nilai"}}
			c.BatchRows, c.MaxRejects, c.Settle = csvdrop.MaxBatchRows, 100, 0
		}},
		{name: "missing dir", set: func(c *csvdrop.Config) { c.Dir = " " }, want: map[string]string{"dir": "required"}},
		{name: "bad pattern", set: func(c *csvdrop.Config) { c.Pattern = "[" }, want: map[string]string{"pattern": "not a file name pattern"}},
		{name: "pattern with a path", set: func(c *csvdrop.Config) { c.Pattern = "in/*.csv" }, want: map[string]string{"pattern": "not paths"}},
		{name: "empty pattern", set: func(c *csvdrop.Config) { c.Pattern = "" }, want: map[string]string{"pattern": "required"}},
		{name: "durations", set: func(c *csvdrop.Config) { c.PollInterval, c.Settle = 0, -time.Second },
			want: map[string]string{"poll_interval": "positive", "settle": "negative"}},
		{name: "delimiter", set: func(c *csvdrop.Config) { c.Delimiter = ":" }, want: map[string]string{"delimiter": `":" is not one of`}},
		{name: "separators", set: func(c *csvdrop.Config) { c.DecimalSeparator, c.ThousandsSeparator = "'", "_" },
			want: map[string]string{"decimal_separator": `"'"`, "thousands_separator": `"_"`}},
		{name: "same separators", set: func(c *csvdrop.Config) { c.DecimalSeparator, c.ThousandsSeparator = ",", "," },
			want: map[string]string{"thousands_separator": "must differ"}},
		{name: "date formats", set: func(c *csvdrop.Config) { c.DateFormats = []string{"2006-01-02", "15:04", "yesterday"} },
			want: map[string]string{"date_formats[1]": `"15:04" is not a Go time layout`, "date_formats[2]": "yesterday"}},
		{name: "no date formats", set: func(c *csvdrop.Config) { c.DateFormats = nil }, want: map[string]string{"date_formats": "at least one"}},
		{name: "timezone", set: func(c *csvdrop.Config) { c.Timezone = "Mars/Olympus" }, want: map[string]string{"timezone": "IANA"}},
		{name: "currency and region", set: func(c *csvdrop.Config) { c.DefaultCurrency, c.DefaultRegion = "rupiah", "XX" },
			want: map[string]string{"default_currency": "ISO 4217", "default_region": "ISO 3166"}},
		{name: "columns", set: func(c *csvdrop.Config) {
			c.Columns = map[string][]string{"phone": {"hp"}, "customer_email": {"kontak", "--"}, "member_id": {"Kontak"}}
		}, want: map[string]string{
			"columns.phone":             `"phone" is not a column`,
			"columns.customer_email[1]": "no letters or digits",
			"columns.member_id[0]":      "already an alias of customer_email",
		}},
		{name: "batch rows", set: func(c *csvdrop.Config) { c.BatchRows = csvdrop.MaxBatchRows + 1 }, want: map[string]string{"batch_rows": "between 1 and 10000"}},
		{name: "max rejects", set: func(c *csvdrop.Config) { c.MaxRejects = -1 }, want: map[string]string{"max_rejects": "negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.set(c)
			err := c.Validate()
			if len(tt.want) == 0 {
				require.NoError(t, err)
				return
			}
			got := map[string]string{}
			for _, e := range configtest.FieldErrors(t, err) {
				got[e.Path] = e.Msg
			}
			require.Len(t, got, len(tt.want), "%v", err)
			for k, msg := range tt.want {
				assert.Contains(t, got[k], msg, k)
			}
		})
	}
}

func TestSpec(t *testing.T) {
	s := csvdrop.Spec()
	assert.Equal(t, "csv_drop", s.Name)
	assert.True(t, s.Has(connectors.KindSource))
	assert.False(t, s.Has(connectors.KindSender))
	assert.NotEmpty(t, s.Summary)
	_, ok := mappings.Bundled(s.Mapping)
	assert.True(t, ok, "mapping %q is bundled", s.Mapping)
	require.NoError(t, connectors.NewRegistry().Register(s))

	t.Run("example decodes strictly and validates", func(t *testing.T) {
		cfg := s.NewConfig().(*csvdrop.Config)
		settings := configtest.DecodeBlock(t, "csv_drop", s.Example, cfg)
		require.NoError(t, cfg.Validate())
		assert.Equal(t, []string{"2006-01-02 15:04:05", "02/01/2006 15:04"}, cfg.DateFormats, "a list replaces the defaults")
		assert.Equal(t, map[string][]string{"customer_phone": {"hp_pelanggan"}, "transaction_id": {"nomor_nota"}}, cfg.Columns)
		assert.Equal(t, 2*time.Second, cfg.PollInterval)
		// The example sets every key.
		for _, key := range configtest.Keys(reflect.TypeFor[csvdrop.Config]()) {
			assert.True(t, settings.Exists(key), "the example shows %s", key)
		}
	})

	t.Run("defaults", func(t *testing.T) {
		c := s.NewConfig().(*csvdrop.Config)
		assert.Equal(t, &csvdrop.Config{Pattern: "*.csv", PollInterval: 2 * time.Second, Settle: time.Second,
			Delimiter: "auto", DecimalSeparator: ".", DateFormats: csvdrop.DefaultDateFormats(), Timezone: "UTC",
			BatchRows: 1000}, c)
		assert.ErrorContains(t, c.Validate(), "dir: required")
	})

	t.Run("build makes a runner", func(t *testing.T) {
		in, err := s.Build(validConfig(), connectors.Deps{Tenant: "acme", Name: "drop"})
		require.NoError(t, err)
		assert.Equal(t, []connectors.Capability{connectors.CapRunner}, in.Capabilities())
	})

	t.Run("build rejects another config type or an invalid config", func(t *testing.T) {
		_, err := s.Build(otherConfig{}, connectors.Deps{})
		require.ErrorContains(t, err, "want *csvdrop.Config")
		_, err = s.Build(s.NewConfig(), connectors.Deps{})
		require.ErrorContains(t, err, "dir: required")
	})
}

type otherConfig struct{}

func (otherConfig) Validate() error { return nil }

func TestEveryKeyDocumented(t *testing.T) {
	require.Len(t, configtest.Keys(reflect.TypeFor[csvdrop.Config]()), 14)
	configtest.RequireDocumented(t, "../../docs/connectors/csv_drop.md", "", reflect.TypeFor[csvdrop.Config]())
}
