package csvdrop

import "github.com/loyalhub/loyalhub/connectors"

// Name is the registered connector type.
const Name = "csv_drop"

// Example is the documented YAML block of one csv_drop connector.
const Example = `# A folder a POS or back office drops CSV exports of transactions into.
type: csv_drop
# The watched folder; done/, failed/, rejects/ and .loyalhub/ are made in it. Required.
dir: /var/lib/loyalhub/drops/acme-pos
# Files taken (matched as written and in lower case). Default "*.csv".
pattern: "*.csv"
# How often the folder is listed. Default 2s.
poll_interval: 2s
# A file is taken once its size and modification time held still this long. Default 1s.
settle: 1s
# auto (sniffed from the header line), ",", ";", tab or "|". Default auto.
delimiter: auto
# Amounts such as "Rp 150.000,00". Defaults "." and "" (no thousands separator).
decimal_separator: ","
thousands_separator: "."
# Go layouts tried on occurred_at, in order. Default: RFC 3339, 2006-01-02 15:04:05,
# 2006-01-02T15:04:05, 2006-01-02 15:04, 2006-01-02, 02/01/2006 15:04:05, 02/01/2006 15:04,
# 02/01/2006, 02-01-2006 15:04, 02-01-2006.
date_formats: ["2006-01-02 15:04:05", "02/01/2006 15:04"]
# Time zone of dates written without an offset. Default UTC.
timezone: Asia/Jakarta
# Currency of rows that name none. Optional.
default_currency: IDR
# Region of phone numbers written without a country code; numbers are then
# normalized to E.164 and invalid ones rejected. Optional.
default_region: ID
# Extra header aliases per column. Optional.
columns:
  customer_phone: [hp_pelanggan]
  transaction_id: [nomor_nota]
# Rows per delivery (1 to 10000). Default 1000.
batch_rows: 1000
# Stop a file once more rows than this are rejected; 0 is no cap. Default 0.
max_rejects: 0
`

// Spec describes the csv_drop connector type.
func Spec() connectors.Spec {
	return connectors.Spec{
		Name:         Name,
		Capabilities: []connectors.Capability{connectors.CapRunner},
		Summary:      "CSV drop folder: transaction exports from a POS or back office, one event per row",
		Example:      Example,
		Mapping:      "csv_drop",
		NewConfig: func() connectors.Config {
			return NewConfig()
		},
		New: connectors.Construct(NewSource),
	}
}
