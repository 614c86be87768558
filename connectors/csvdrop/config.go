package csvdrop

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/loyalhub/loyalhub/core/config"
)

// Defaults.
const (
	DefaultPattern      = "*.csv"
	DefaultPollInterval = 2 * time.Second
	DefaultSettle       = time.Second
	DefaultDelimiter    = "auto"
	DefaultDecimal      = "."
	DefaultTimezone     = "UTC"
	DefaultBatchRows    = 1000
)

// MaxBatchRows caps batch_rows: the mapping stage maps at most 10,000
// events from one delivery.
const MaxBatchRows = 10000

// DefaultDateFormats are the layouts tried, in order, on occurred_at when
// date_formats is not set: RFC 3339 and the usual spreadsheet forms, day
// before month.
func DefaultDateFormats() []string {
	return []string{
		time.RFC3339,
		"2006-01-02 15:04:05",
		"2006-01-02T15:04:05",
		"2006-01-02 15:04",
		"2006-01-02",
		"02/01/2006 15:04:05",
		"02/01/2006 15:04",
		"02/01/2006",
		"02-01-2006 15:04",
		"02-01-2006",
	}
}

// Config is one csv_drop connector: a watched folder of CSV exports.
type Config struct {
	// Dir is the watched folder. Required; created at start when missing.
	// done/, failed/, rejects/ and .loyalhub/ are made inside it.
	Dir string `koanf:"dir"`
	// Pattern selects the files taken, as filepath.Match reads it, matched
	// against the file name as written and in lower case (so "*.csv" also
	// takes SALES.CSV). Names starting with a dot are never taken.
	// Default "*.csv".
	Pattern string `koanf:"pattern"`
	// PollInterval is how often the folder is listed. Default 2s.
	PollInterval time.Duration `koanf:"poll_interval"`
	// Settle is how long a file's size and modification time must stay
	// unchanged before it is taken, so that a file still being written
	// waits. Zero takes a file as soon as it is seen. Default 1s.
	Settle time.Duration `koanf:"settle"`
	// Delimiter separates the fields: "auto" (sniffed on the header line
	// from , ; tab and |), ",", ";", "tab" or "|". Default "auto".
	Delimiter string `koanf:"delimiter"`
	// DecimalSeparator of amounts: "." or ",". Default ".".
	DecimalSeparator string `koanf:"decimal_separator"`
	// ThousandsSeparator of amounts: "" (none), ",", "." or " ". It must
	// differ from the decimal separator. Default "" (none).
	ThousandsSeparator string `koanf:"thousands_separator"`
	// DateFormats are the Go time layouts tried on occurred_at, in order.
	// Default: RFC 3339, "2006-01-02 15:04:05", "2006-01-02T15:04:05",
	// "2006-01-02 15:04", "2006-01-02", "02/01/2006 15:04:05",
	// "02/01/2006 15:04", "02/01/2006", "02-01-2006 15:04", "02-01-2006".
	DateFormats []string `koanf:"date_formats"`
	// Timezone (IANA) of dates written without an offset. Default "UTC".
	Timezone string `koanf:"timezone"`
	// DefaultCurrency (ISO 4217) of rows without a currency column or
	// value; the mapping reads it. Optional.
	DefaultCurrency string `koanf:"default_currency"`
	// DefaultRegion (ISO 3166, such as "ID") of phone numbers written
	// without a country code. When set, phones are normalized to E.164 and
	// a row whose phone is not a valid number is rejected. Optional: the
	// hub normalizes with the tenant's region otherwise.
	DefaultRegion string `koanf:"default_region"`
	// Columns adds header aliases per canonical column, such as
	// {customer_phone: [hp_pelanggan]}. An alias given here wins over the
	// canonical names and the built-in aliases. Optional.
	Columns map[string][]string `koanf:"columns"`
	// BatchRows is the most rows sent in one delivery (1 to 10000).
	// Default 1000.
	BatchRows int `koanf:"batch_rows"`
	// MaxRejects, when positive, stops a file once more rows than this are
	// rejected: it moves to failed/. Default 0 (no cap).
	MaxRejects int `koanf:"max_rejects"`
}

// NewConfig returns a config holding the defaults.
func NewConfig() *Config {
	return &Config{
		Pattern:          DefaultPattern,
		PollInterval:     DefaultPollInterval,
		Settle:           DefaultSettle,
		Delimiter:        DefaultDelimiter,
		DecimalSeparator: DefaultDecimal,
		DateFormats:      DefaultDateFormats(),
		Timezone:         DefaultTimezone,
		BatchRows:        DefaultBatchRows,
	}
}

// layoutProbe is formatted and parsed back with each date format: a
// layout must keep its year, month and day.
var layoutProbe = time.Date(2031, 12, 27, 13, 45, 56, 0, time.UTC)

// Validate checks the values; every problem is a config.FieldError at a key
// relative to the connector's block.
func (c *Config) Validate() error {
	var errs config.Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, &config.FieldError{Path: key, Msg: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(c.Dir) == "" {
		bad("dir", "required: the folder the CSV files are dropped in")
	}
	switch _, err := filepath.Match(c.Pattern, "x"); {
	case c.Pattern == "":
		bad("pattern", "required, such as %q", DefaultPattern)
	case err != nil:
		bad("pattern", "%q is not a file name pattern: %v", c.Pattern, err)
	case strings.ContainsAny(c.Pattern, `/\`):
		bad("pattern", "%q must match file names, not paths", c.Pattern)
	}
	if c.PollInterval <= 0 {
		bad("poll_interval", "must be a positive duration, got %s", c.PollInterval)
	}
	if c.Settle < 0 {
		bad("settle", "must not be negative, got %s", c.Settle)
	}
	if _, ok := delimiters[c.Delimiter]; !ok {
		bad("delimiter", `%q is not one of auto, ",", ";", tab, "|"`, c.Delimiter)
	}
	switch c.DecimalSeparator {
	case ".", ",":
	default:
		bad("decimal_separator", `%q is not one of ".", ","`, c.DecimalSeparator)
	}
	switch c.ThousandsSeparator {
	case "", ",", ".", " ":
		if c.ThousandsSeparator != "" && c.ThousandsSeparator == c.DecimalSeparator {
			bad("thousands_separator", "must differ from decimal_separator (%q)", c.DecimalSeparator)
		}
	default:
		bad("thousands_separator", `%q is not one of "" (none), ",", ".", " "`, c.ThousandsSeparator)
	}
	if len(c.DateFormats) == 0 {
		bad("date_formats", "needs at least one Go time layout, such as %q", "2006-01-02 15:04:05")
	}
	for i, l := range c.DateFormats {
		t, err := time.Parse(l, layoutProbe.Format(l))
		if err != nil || t.Year() != layoutProbe.Year() || t.Month() != layoutProbe.Month() || t.Day() != layoutProbe.Day() {
			bad(fmt.Sprintf("date_formats[%d]", i), "%q is not a Go time layout with a year, month and day (written with the reference date 2006-01-02 15:04:05)", l)
		}
	}
	if c.Timezone == "" {
		bad("timezone", "required, such as %q", DefaultTimezone)
	} else if _, err := time.LoadLocation(c.Timezone); err != nil {
		bad("timezone", "%q is not a known IANA time zone", c.Timezone)
	}
	if c.DefaultCurrency != "" && !isCurrencyCode(c.DefaultCurrency) {
		bad("default_currency", "%q is not an ISO 4217 code such as IDR", c.DefaultCurrency)
	}
	if c.DefaultRegion != "" && !phonenumbers.GetSupportedRegions()[strings.ToUpper(c.DefaultRegion)] {
		bad("default_region", "%q is not a known ISO 3166 region, such as ID", c.DefaultRegion)
	}
	errs = append(errs, c.validateColumns()...)
	if c.BatchRows < 1 || c.BatchRows > MaxBatchRows {
		bad("batch_rows", "must be between 1 and %d, got %d", MaxBatchRows, c.BatchRows)
	}
	if c.MaxRejects < 0 {
		bad("max_rejects", "must not be negative, got %d", c.MaxRejects)
	}
	return errs.Err()
}

func (c *Config) validateColumns() config.Errors {
	var errs config.Errors
	names := make([]string, 0, len(c.Columns))
	for name := range c.Columns {
		names = append(names, name)
	}
	sort.Strings(names)
	owner := map[string]string{}
	for _, name := range names {
		p := "columns." + name
		if _, ok := columnByName(name); !ok {
			errs = append(errs, &config.FieldError{Path: p, Msg: fmt.Sprintf("%q is not a column; one of %s", name, strings.Join(columnNames[:], ", "))})
			continue
		}
		for i, alias := range c.Columns[name] {
			key := headerKey(alias)
			ap := fmt.Sprintf("%s[%d]", p, i)
			switch prev, dup := owner[key]; {
			case key == "":
				errs = append(errs, &config.FieldError{Path: ap, Msg: fmt.Sprintf("%q has no letters or digits", alias)})
			case dup && prev != name:
				errs = append(errs, &config.FieldError{Path: ap, Msg: fmt.Sprintf("%q is already an alias of %s", alias, prev)})
			default:
				owner[key] = name
			}
		}
	}
	return errs
}
