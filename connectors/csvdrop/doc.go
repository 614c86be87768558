// Package csvdrop is the CSV drop folder source ("csv_drop"): a point of
// sale or back office drops CSV exports of transactions into a folder, and
// each row becomes an event (a sale, a refund or a void).
//
// # Files
//
// The source lists the folder every poll_interval and takes the files
// matching pattern once their size and modification time have held still
// for settle, one at a time in name order. A file is read as a stream,
// never loaded whole: a UTF-8 BOM is skipped, the delimiter is sniffed on
// the header line (or set), quoted fields may hold delimiters and line
// breaks, CRLF and LF both end a line, and a value that is not UTF-8 is
// read as Windows-1252.
//
// The header names the columns. The canonical ones are transaction_id,
// occurred_at, amount, customer_phone, customer_email, member_id,
// customer_name, currency, store_id, type (sale, refund or void) and
// original_transaction_id; each has built-in aliases (phone, no_hp,
// invoice_no, tanggal, total…) and the columns setting adds more. Headers
// match case, space, underscore and accent insensitively. A file whose
// header lacks transaction_id, occurred_at, amount or all of the customer
// columns moves to failed/ with failed/<name>.error.txt saying which
// columns were found and which are missing.
//
// # Rows
//
// Amounts lose their currency symbols, codes and spaces and are read with
// the configured decimal and thousands separators into an exact decimal
// string ("Rp 150.000,00" → "150000.00"); dates are read with date_formats
// in timezone and sent as RFC 3339; a phone that a spreadsheet turned into
// scientific notation (6.28123E+12) is rejected, as is one with no digits,
// and with default_region phones are normalized to E.164. A row that cannot
// be read (a bad amount or date, a missing id or customer, a refund without
// original_transaction_id, a wrong field count…) is written to
// rejects/<name>.rejects.csv with its line number and the reason, followed
// by its original columns; the other rows go on.
//
// Accepted rows are sent in batches of batch_rows as one delivery each:
//
//	{"file": "sales.csv", "rows": [{"line": 2, "transaction_id": "INV-1",
//	  "type": "sale", "occurred_at": "2026-11-23T10:00:00+07:00",
//	  "amount": "150000.00", "customer_phone": "0812-3456-7890", …}]}
//
// with empty fields left out. The delivery id is the SHA-256 of the file's
// content hash and the batch's first line, and its meta holds the file
// name and default_currency, so the bundled csv_drop mapping turns the
// rows into order.paid, order.refunded and order.cancelled events whose ids
// derive from the transaction ids: a file dropped twice changes nothing.
// A file read to the end moves to done/ (with a time stamp when the name is
// taken).
//
// # Resuming
//
// After each batch accept stored, the source writes a checkpoint,
// .loyalhub/<name>.checkpoint: the file's size, modification time and
// SHA-256, the byte offset and line after the batch's last record, the
// header and the rejects so far. It is written atomically (a synced
// temporary file renamed over the old one). A restart resumes a file whose
// checkpoint matches at that offset, truncating the rejects report to the
// length it had then; no row before the checkpoint is sent again. A batch
// accept refuses is retried with backoff until ctx is done, never skipped.
//
// One process at a time watches a folder: it holds a lock on
// .loyalhub/lock while Run runs.
package csvdrop
