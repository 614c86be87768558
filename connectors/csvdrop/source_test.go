package csvdrop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
)

func TestDelimitersAndBOM(t *testing.T) {
	tests := []struct {
		name    string
		setting string // delimiter setting; auto when empty
		file    string
	}{
		{"comma", "", "transaction_id,occurred_at,amount,customer_phone\nT1,2026-11-23 10:00:00,1000,081234567890\n"},
		{"semicolon", "", "transaction_id;occurred_at;amount;customer_phone\nT1;2026-11-23 10:00:00;1000;081234567890\n"},
		{"tab", "", "transaction_id\toccurred_at\tamount\tcustomer_phone\nT1\t2026-11-23 10:00:00\t1000\t081234567890\n"},
		{"pipe", "", "transaction_id|occurred_at|amount|customer_phone\nT1|2026-11-23 10:00:00|1000|081234567890\n"},
		{"semicolon with commas quoted in the header", "", "\"transaction_id, the receipt\";occurred_at;amount;customer_phone;\"a,b,c\"\nT1;2026-11-23 10:00:00;1000;081234567890;x\n"},
		{"utf-8 BOM and CRLF", "", "\ufefftransaction_id;occurred_at;amount;customer_phone\r\nT1;2026-11-23 10:00:00;1000;081234567890\r\n"},
		{"set delimiter", ";", "transaction_id;occurred_at;amount;customer_phone\nT1;2026-11-23 10:00:00;1000;081234567890\n"},
		{"set tab", "tab", "transaction_id\toccurred_at\tamount\tcustomer_phone\nT1\t2026-11-23 10:00:00\t1000\t081234567890"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSource(t, func(c *Config) {
				if tt.setting != "" {
					c.Delimiter = tt.setting
				}
				c.Columns = map[string][]string{"transaction_id": {"transaction_id, the receipt"}}
			})
			drop(t, s, "a.csv", tt.file)
			var c collector
			pollOnce(t, s, context.Background(), c.accept)
			require.Equal(t, []map[string]any{{
				"line": jsonNumber(2), "transaction_id": "T1", "type": "sale", "occurred_at": "2026-11-23T10:00:00Z",
				"amount": "1000", "customer_phone": "081234567890",
			}}, c.rows())
			assert.True(t, exists(s.cfg.Dir, DoneDir, "a.csv"))
			assert.False(t, exists(s.cfg.Dir, RejectsDir, "a.csv.rejects.csv"), "no rejects, no report")
		})
	}
}

func TestSniff(t *testing.T) {
	tests := map[string]rune{
		"a,b,c":             ',',
		"a;b;c":             ';',
		"a\tb\tc":           '\t',
		"a|b|c":             '|',
		`"a;b","c;d",e`:     ',',
		"a;b\n1,2,3,4,5,6,": ';',
		"single":            ',',
		"":                  ',',
		`"open;quote`:       ',',
	}
	for in, want := range tests {
		assert.Equal(t, string(want), string(sniff([]byte(in))), "%q", in)
	}
}

func TestSeparatorsDatesAndTimezone(t *testing.T) {
	s := newTestSource(t, func(c *Config) {
		c.DecimalSeparator = ","
		c.ThousandsSeparator = "."
		c.Timezone = "Asia/Jakarta"
		c.DefaultCurrency = "IDR"
	})
	drop(t, s, "id.csv", "no_struk;tanggal;jumlah;no_hp;currency\n"+
		"A1;23/11/2026 10:00;Rp 150.000,00;0812-3456-7890;\n"+
		"A2;2026-11-23T10:00:00+09:00;46000;0812-3456-7890;idr\n"+
		"A3;23-11-2026;1.234.567,5;0812-3456-7890;\n"+
		"A4;2026-11-23 10:00:00;150.5;0812-3456-7890;\n"+ // a decimal point where a comma is due
		"A5;23/11/26;1000;0812-3456-7890;\n") // a two-digit year is no format
	var c collector
	pollOnce(t, s, context.Background(), c.accept)
	rows := c.rows()
	require.Len(t, rows, 3)
	assert.Equal(t, []any{"2026-11-23T10:00:00+07:00", "150000.00", nil}, []any{rows[0]["occurred_at"], rows[0]["amount"], rows[0]["currency"]})
	assert.Equal(t, []any{"2026-11-23T10:00:00+09:00", "46000", "IDR"}, []any{rows[1]["occurred_at"], rows[1]["amount"], rows[1]["currency"]})
	assert.Equal(t, []any{"2026-11-23T00:00:00+07:00", "1234567.5"}, []any{rows[2]["occurred_at"], rows[2]["amount"]})
	assert.Equal(t, map[string]string{"file": "id.csv", "default_currency": "IDR"}, c.ds[0].Meta)
	report := readFile(t, s.cfg.Dir, RejectsDir, "id.csv.rejects.csv")
	assert.Contains(t, report, `5;"amount ""150.5"": thousands separators are misplaced`)
	assert.Contains(t, report, `6;"occurred_at ""23/11/26"" matches none of the date formats";A5;`)
}

func TestHeaderAliases(t *testing.T) {
	tests := []struct {
		name    string
		columns map[string][]string
		header  string
		want    map[string]any
	}{
		{
			name:   "aliases, case, spaces and accents",
			header: "Receipt No,TANGGAL,Grand Total,Nómor HP,E-mail,Nama,Outlet,Kind,Refund For,Customer ID,Notes",
			want: map[string]any{"transaction_id": "R1", "occurred_at": "2026-11-23T10:00:00Z", "amount": "5000",
				"customer_phone": "0812", "customer_email": "a@b.co", "customer_name": "Sari", "store_id": "JKT",
				"type": "refund", "original_transaction_id": "S0", "member_id": "M1"},
		},
		{
			name:    "configured aliases win",
			columns: map[string][]string{"member_id": {"id"}, "transaction_id": {"Nomor Nota"}, "amount": {"grand_total"}},
			header:  "nomor_nota,date,grand_total,id,total,x,y,z,a,b,c",
			want: map[string]any{"transaction_id": "R1", "occurred_at": "2026-11-23T10:00:00Z", "amount": "5000",
				"member_id": "0812", "type": "sale"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSource(t, func(c *Config) { c.Columns = tt.columns })
			drop(t, s, "a.csv", tt.header+"\nR1,2026-11-23 10:00:00,5000,0812,a@b.co,Sari,JKT,refund,S0,M1,n\n")
			var c collector
			pollOnce(t, s, context.Background(), c.accept)
			require.Len(t, c.rows(), 1, listDir(t, s.cfg.Dir, FailedDir))
			got := c.rows()[0]
			delete(got, "line")
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestFileRejectedWhole(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string // in the error report
	}{
		{
			name: "missing required columns",
			file: "Tanggal;Nama;Total\n2026-11-23;Sari;1000\n",
			want: []string{
				"the header lacks required columns: transaction_id; customer_phone, customer_email or member_id",
				`"Tanggal" → occurred_at`, `"Total" → amount`, `"Nama" → customer_name`, `  "Nama"`,
			},
		},
		{
			name: "two headers for one column",
			file: "id,invoice_no,date,amount,phone\n1,2,2026-11-23,1,0812\n",
			want: []string{`more than one header names a column (say which with the columns setting): transaction_id ("id", "invoice_no")`},
		},
		{
			name: "empty",
			file: "",
			want: []string{"the file is empty"},
		},
		{
			name: "a quote never closed",
			file: "transaction_id,occurred_at,amount,phone\n\"T1," + strings.Repeat("x", maxRecordBytes+readBufferSize) + "\n",
			want: []string{"not readable as CSV: from line 2: a record is longer than"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSource(t, nil)
			drop(t, s, "bad.csv", tt.file)
			var c collector
			pollOnce(t, s, context.Background(), c.accept)
			assert.Empty(t, c.rows())
			assert.False(t, exists(s.cfg.Dir, "bad.csv"))
			assert.Equal(t, tt.file, readFile(t, s.cfg.Dir, FailedDir, "bad.csv"))
			report := readFile(t, s.cfg.Dir, FailedDir, "bad.csv.error.txt")
			assert.True(t, strings.HasPrefix(report, "bad.csv was not read: "), report)
			for _, w := range tt.want {
				assert.Contains(t, report, w)
			}
			assert.Equal(t, []string{"lock"}, listDir(t, s.cfg.Dir, StateDir), "no checkpoint left")
		})
	}
}

func TestRejectsReport(t *testing.T) {
	s := newTestSource(t, func(c *Config) { c.DefaultRegion = "ID" })
	file := "transaction_id,occurred_at,amount,customer_phone,customer_email,note,type,original_transaction_id\r\n" +
		"T1,2026-11-23 10:00:00,1000,0812-3456-7890,,\"two\r\nlines\",,\r\n" + // lines 2-3
		"T2,2026-11-23 10:00:00,abc,0812-3456-7890,,,,\r\n" + // 4
		"T3,2026-11-23 10:00:00,1000,0812-3456-7890,,\"three\nmore\nlines\",,\r\n" + // 5-7
		"\r\n" + // 8: blank
		",2026-11-23 10:00:00,1000,0812-3456-7890,,,,\r\n" + // 9
		"T5,yesterday,1000,0812-3456-7890,,,,\r\n" + // 10
		"T6,2026-11-23 10:00:00,1000,,,,,\r\n" + // 11
		"T7,2026-11-23 10:00:00,1000,6.28123E+12,,,,\r\n" + // 12
		"T8,2026-11-23 10:00:00,1000,n/a,,,,\r\n" + // 13
		"T9,2026-11-23 10:00:00,1000,12,,,,\r\n" + // 14
		"T10,2026-11-23 10:00:00,1000,,sari-at-example,,,\r\n" + // 15
		"T11,2026-11-23 10:00:00,-1000,0812-3456-7890,,,,\r\n" + // 16
		"T12,2026-11-23 10:00:00,-1000,0812-3456-7890,,,refund,\r\n" + // 17
		"T13,2026-11-23 10:00:00,1000,0812-3456-7890,,,swap,\r\n" + // 18
		"T14,2026-11-23 10:00:00,1000,0812-3456-7890\r\n" + // 19
		"T15,2026-11-23 10:00:00,(1000),0812-3456-7890,,,refund,T1\r\n" + // 20
		"T16,2026-11-23 10:00:00,,,,,void,T3\r\n" + // 21
		"T17,1900-01-01,1000,0812-3456-7890,,,,\r\n" // 22
	drop(t, s, "day.csv", file)
	var c collector
	pollOnce(t, s, context.Background(), c.accept)

	assert.Equal(t, []string{"T1", "T3", "T15", "T16"}, c.ids())
	rows := c.rows()
	assert.Equal(t, []any{jsonNumber(2), jsonNumber(5), jsonNumber(20), jsonNumber(21)},
		[]any{rows[0]["line"], rows[1]["line"], rows[2]["line"], rows[3]["line"]})
	assert.Equal(t, "+6281234567890", rows[0]["customer_phone"], "normalized with default_region")
	assert.Equal(t, []any{"refund", "1000", "T1"}, []any{rows[2]["type"], rows[2]["amount"], rows[2]["original_transaction_id"]})
	assert.Equal(t, []any{"void", nil}, []any{rows[3]["type"], rows[3]["amount"]})

	want := "line,reason,transaction_id,occurred_at,amount,customer_phone,customer_email,note,type,original_transaction_id\n" +
		"4,\"amount \"\"abc\"\": has no digits\",T2,2026-11-23 10:00:00,abc,0812-3456-7890,,,,\n" +
		"9,transaction_id is missing,,2026-11-23 10:00:00,1000,0812-3456-7890,,,,\n" +
		"10,\"occurred_at \"\"yesterday\"\" matches none of the date formats\",T5,yesterday,1000,0812-3456-7890,,,,\n" +
		"11,\"no customer: customer_phone, customer_email and member_id are all empty\",T6,2026-11-23 10:00:00,1000,,,,,\n" +
		"12,customer_phone was turned into scientific notation by a spreadsheet and lost digits (format the column as Text),T7,2026-11-23 10:00:00,1000,6.28123E+12,,,,\n" +
		"13,customer_phone has no digits,T8,2026-11-23 10:00:00,1000,n/a,,,,\n" +
		"14,customer_phone is not a valid phone number for region ID,T9,2026-11-23 10:00:00,1000,12,,,,\n" +
		"15,customer_email is not an email address,T10,2026-11-23 10:00:00,1000,,sari-at-example,,,\n" +
		"16,\"amount \"\"-1000\"\" is negative on a sale (a refund needs type refund)\",T11,2026-11-23 10:00:00,-1000,0812-3456-7890,,,,\n" +
		"17,a refund needs original_transaction_id,T12,2026-11-23 10:00:00,-1000,0812-3456-7890,,,refund,\n" +
		"18,\"type \"\"swap\"\" is not sale, refund or void\",T13,2026-11-23 10:00:00,1000,0812-3456-7890,,,swap,\n" +
		"19,\"has 4 fields, the header has 8\",T14,2026-11-23 10:00:00,1000,0812-3456-7890\n" +
		"22,\"occurred_at \"\"1900-01-01\"\" is not between 1970 and 2999\",T17,1900-01-01,1000,0812-3456-7890,,,,\n"
	assert.Equal(t, want, readFile(t, s.cfg.Dir, RejectsDir, "day.csv.rejects.csv"))
	assert.Equal(t, file, readFile(t, s.cfg.Dir, DoneDir, "day.csv"))
}

func TestWindows1252(t *testing.T) {
	s := newTestSource(t, nil)
	drop(t, s, "legacy.csv", "transaction_id,occurred_at,amount,email,nama\nT1,2026-11-23,1,jos\xe9@example.com,Jos\xe9 M\xfcller\n")
	var c collector
	pollOnce(t, s, context.Background(), c.accept)
	require.Len(t, c.rows(), 1)
	assert.Equal(t, "José Müller", c.rows()[0]["customer_name"])
	assert.Equal(t, "josé@example.com", c.rows()[0]["customer_email"])
}

func TestExcelTextFormula(t *testing.T) {
	s := newTestSource(t, nil)
	drop(t, s, "a.csv", "transaction_id,occurred_at,amount,phone\n\"=\"\"00123\"\"\",2026-11-23,1,'081234567890\n")
	var c collector
	pollOnce(t, s, context.Background(), c.accept)
	require.Len(t, c.rows(), 1)
	assert.Equal(t, []any{"00123", "081234567890"}, []any{c.rows()[0]["transaction_id"], c.rows()[0]["customer_phone"]})
}

func TestBatchesAndDeliveryIDs(t *testing.T) {
	s := newTestSource(t, func(c *Config) { c.BatchRows = 3 })
	var b strings.Builder
	require.NoError(t, WriteSample(&b, 10, 1))
	drop(t, s, "sales.csv", b.String())
	var first collector
	pollOnce(t, s, context.Background(), first.accept)
	require.Len(t, first.bodies, 4)
	assert.Equal(t, []int{3, 3, 3, 1}, batchSizes(&first))
	assert.Equal(t, "sales.csv", first.bodies[0].File)
	assert.Len(t, first.rows(), 10)

	t.Run("the same file again yields the same deliveries", func(t *testing.T) {
		drop(t, s, "sales.csv", b.String())
		var again collector
		pollOnce(t, s, context.Background(), again.accept)
		assert.Equal(t, first.deliveryIDs(), again.deliveryIDs())
		assert.Equal(t, first.bodies, again.bodies)
		done := listDir(t, s.cfg.Dir, DoneDir)
		require.Len(t, done, 2, "the second copy is kept beside the first")
		assert.Equal(t, "sales.csv", done[1])
		assert.Regexp(t, `^sales-\d{8}T\d{6}Z\.csv$`, done[0])
	})

	t.Run("another file yields other deliveries", func(t *testing.T) {
		drop(t, s, "sales.csv", b.String()+"\n")
		var other collector
		pollOnce(t, s, context.Background(), other.accept)
		assert.NotEqual(t, first.deliveryIDs()[0], other.deliveryIDs()[0])
		assert.Len(t, listDir(t, s.cfg.Dir, DoneDir), 3)
	})
}

func batchSizes(c *collector) []int {
	var out []int
	for _, b := range c.bodies {
		out = append(out, len(b.Rows))
	}
	return out
}

func TestFilesInNameOrder(t *testing.T) {
	s := newTestSource(t, nil)
	for _, n := range []string{"c.csv", "a.CSV", "b.csv", "skip.txt", ".hidden.csv"} {
		drop(t, s, n, "transaction_id,occurred_at,amount,member_id\n"+n+",2026-11-23,1,M\n")
	}
	var c collector
	pollOnce(t, s, context.Background(), c.accept)
	assert.Equal(t, []string{"a.CSV", "b.csv", "c.csv"}, c.ids())
	assert.ElementsMatch(t, []string{"skip.txt", ".hidden.csv", DoneDir, FailedDir, RejectsDir, StateDir}, listDir(t, s.cfg.Dir))
}

func TestMaxRejects(t *testing.T) {
	s := newTestSource(t, func(c *Config) { c.MaxRejects = 2; c.BatchRows = 2 })
	drop(t, s, "bad.csv", "transaction_id,occurred_at,amount,member_id\n"+
		"T1,2026-11-23,1,M\nT2,2026-11-23,1,M\nT3,2026-11-23,1,M\nT4,x,1,M\nT5,x,1,M\nT6,x,1,M\nT7,2026-11-23,1,M\n")
	var c collector
	pollOnce(t, s, context.Background(), c.accept)
	assert.Equal(t, []string{"T1", "T2", "T3"}, c.ids(), "rows before the cap are sent")
	assert.Contains(t, readFile(t, s.cfg.Dir, FailedDir, "bad.csv.error.txt"), "more than 2 rows were rejected (max_rejects); reading stopped at line 7")
	assert.Equal(t, 4, strings.Count(readFile(t, s.cfg.Dir, RejectsDir, "bad.csv.rejects.csv"), "\n"))
}

func TestAcceptRetried(t *testing.T) {
	s := newTestSource(t, func(c *Config) { c.BatchRows = 2 })
	var b strings.Builder
	require.NoError(t, WriteSample(&b, 5, 2))
	drop(t, s, "s.csv", b.String())
	c := collector{fail: func(call int) error {
		if call == 2 || call == 3 {
			return errors.New("queue unavailable")
		}
		return nil
	}}
	pollOnce(t, s, context.Background(), c.accept)
	assert.Equal(t, 5, c.calls)
	assert.Len(t, c.rows(), 5, "nothing skipped")
	assert.Equal(t, []int{2, 2, 1}, batchSizes(&c))
	assert.True(t, exists(s.cfg.Dir, DoneDir, "s.csv"))
}

// A crash after some batches: the restart sends only the rest, and the
// rejects report holds every rejected row once.
func TestResumeAfterCrash(t *testing.T) {
	const rows = 100
	var b strings.Builder
	b.WriteString("transaction_id,occurred_at,amount,member_id,note\n")
	for i := 1; i <= rows; i++ {
		switch {
		case i%7 == 0:
			fmt.Fprintf(&b, "T%d,not a date,1,M,\"multi\nline\"\n", i)
		case i%5 == 0:
			fmt.Fprintf(&b, "T%d,2026-11-23,1,M,\"a\r\nb\r\nc\"\r\n", i)
		default:
			fmt.Fprintf(&b, "T%d,2026-11-23,%d,M,\n", i, i)
		}
	}
	file := b.String()
	want := reference(t, file)

	for _, crashAt := range []int{1, 3, 7} {
		t.Run(fmt.Sprintf("accept refuses batch %d until stopped", crashAt+1), func(t *testing.T) {
			s := newTestSource(t, func(c *Config) { c.BatchRows = 10 })
			drop(t, s, "big.csv", file)
			ctx, cancel := context.WithCancel(context.Background())
			first := collector{fail: func(call int) error {
				if call > crashAt {
					cancel() // the process dies while the queue is down
					return errors.New("queue down")
				}
				return nil
			}}
			pollOnce(t, s, ctx, first.accept)
			require.Len(t, first.bodies, crashAt)
			assert.True(t, exists(s.cfg.Dir, "big.csv"), "the file stays")
			assert.True(t, exists(s.cfg.Dir, StateDir, "big.csv"+checkpointSuffix))

			s2 := newTestSource(t, func(c *Config) { c.Dir = s.cfg.Dir; c.BatchRows = 10 })
			var rest collector
			pollOnce(t, s2, context.Background(), rest.accept)
			assert.Empty(t, intersect(first.ids(), rest.ids()), "no row sent twice")
			assert.Equal(t, want.ids, append(first.ids(), rest.ids()...), "no row lost")
			assert.Equal(t, want.deliveryIDs, append(first.deliveryIDs(), rest.deliveryIDs()...))
			assert.Equal(t, want.rows, append(first.rows(), rest.rows()...), "lines are right after resuming")
			assert.Equal(t, want.rejects, readFile(t, s.cfg.Dir, RejectsDir, "big.csv.rejects.csv"))
			assert.False(t, exists(s.cfg.Dir, StateDir, "big.csv"+checkpointSuffix))
			assert.True(t, exists(s.cfg.Dir, DoneDir, "big.csv"))
		})
	}

	t.Run("rejects written after the checkpoint are not doubled", func(t *testing.T) {
		s := newTestSource(t, func(c *Config) { c.BatchRows = 10 })
		drop(t, s, "big.csv", file)
		ctx, cancel := context.WithCancel(context.Background())
		first := collector{fail: func(call int) error {
			if call == 2 {
				cancel()
				return context.Canceled
			}
			return nil
		}}
		pollOnce(t, s, ctx, first.accept)
		report := readFile(t, s.cfg.Dir, RejectsDir, "big.csv.rejects.csv")
		require.Greater(t, strings.Count(report, "\n"), 2, "rejects of the refused batch were written")

		var rest collector
		pollOnce(t, s, context.Background(), rest.accept)
		assert.Equal(t, want.rejects, readFile(t, s.cfg.Dir, RejectsDir, "big.csv.rejects.csv"))
		assert.Equal(t, want.ids, append(first.ids(), rest.ids()...))
	})

	t.Run("a changed file starts over", func(t *testing.T) {
		s := newTestSource(t, func(c *Config) { c.BatchRows = 10 })
		drop(t, s, "big.csv", file)
		ctx, cancel := context.WithCancel(context.Background())
		first := collector{fail: func(call int) error {
			if call == 3 {
				cancel()
				return context.Canceled
			}
			return nil
		}}
		pollOnce(t, s, ctx, first.accept)
		drop(t, s, "big.csv", strings.Replace(file, "T1,", "X1,", 1))
		var rest collector
		pollOnce(t, s, context.Background(), rest.accept)
		assert.Len(t, rest.ids(), len(want.ids))
		assert.Equal(t, "X1", rest.ids()[0])
		assert.Len(t, listDir(t, s.cfg.Dir, RejectsDir), 2, "the first attempt's report is kept beside the new one")
	})
}

type outcome struct {
	ids         []string
	deliveryIDs []string
	rows        []map[string]any
	rejects     string
}

// reference reads file in one go.
func reference(t *testing.T, file string) outcome {
	s := newTestSource(t, func(c *Config) { c.BatchRows = 10 })
	drop(t, s, "big.csv", file)
	var c collector
	pollOnce(t, s, context.Background(), c.accept)
	return outcome{c.ids(), c.deliveryIDs(), c.rows(), readFile(t, s.cfg.Dir, RejectsDir, "big.csv.rejects.csv")}
}

func intersect(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range a {
		in[x] = true
	}
	var out []string
	for _, x := range b {
		if in[x] {
			out = append(out, x)
		}
	}
	return out
}

func TestSettle(t *testing.T) {
	s := newTestSource(t, func(c *Config) { c.Settle = time.Second })
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	w, err := s.newWatcher()
	require.NoError(t, err)
	defer w.close()
	var c collector
	poll := func(after time.Duration) {
		now = now.Add(after)
		w.poll(context.Background(), c.accept)
	}

	head := "transaction_id,occurred_at,amount,member_id\nT1,2026-11-23,1,M\nT2,2026-11-2"
	drop(t, s, "half.csv", head)
	poll(0)
	poll(900 * time.Millisecond)
	assert.Zero(t, c.calls, "not settled yet")

	path := filepath.Join(s.cfg.Dir, "half.csv")
	require.NoError(t, os.WriteFile(path, []byte(head+"3,1,M\n"), 0o644))
	poll(200 * time.Millisecond) // the old state had settled, the new one has not
	assert.Zero(t, c.calls, "a file that changed waits again")

	// Same size, new modification time.
	require.NoError(t, os.WriteFile(path, []byte(head+"4,1,M\n"), 0o644))
	require.NoError(t, os.Chtimes(path, now, now.Add(time.Hour)))
	poll(900 * time.Millisecond)
	poll(900 * time.Millisecond)
	assert.Zero(t, c.calls)
	poll(100 * time.Millisecond)
	assert.Equal(t, []string{"T1", "T2"}, c.ids())
	assert.Equal(t, "2026-11-24T00:00:00Z", c.rows()[1]["occurred_at"])
}

func TestRunStopsOnCancel(t *testing.T) {
	s := newTestSource(t, func(c *Config) { c.BatchRows = 1 })
	var b strings.Builder
	require.NoError(t, WriteSample(&b, 20, 3))
	drop(t, s, "s.csv", b.String())
	ctx, cancel := context.WithCancel(context.Background())
	var c collector
	blocked := make(chan struct{})
	c.fail = func(call int) error {
		if call == 5 {
			close(blocked)
		}
		if call >= 5 {
			return errors.New("down")
		}
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, c.accept) }()
	<-blocked
	require.Error(t, s.Run(context.Background(), c.accept), "one Run at a time")
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	assert.Len(t, c.rows(), 4)

	// A new Run takes the folder's lock and finishes the file.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	var rest collector
	go func() { done <- s.Run(ctx2, rest.accept) }()
	require.Eventually(t, func() bool { return exists(s.cfg.Dir, DoneDir, "s.csv") }, 5*time.Second, 10*time.Millisecond)
	cancel2()
	<-done
	assert.Len(t, rest.rows(), 16)
	assert.Equal(t, rest.rows()[0]["line"], jsonNumber(6))
}

func TestFolderLock(t *testing.T) {
	s := newTestSource(t, nil)
	w1, err := s.newWatcher()
	require.NoError(t, err)
	require.NoError(t, w1.prepare())
	w2, err := s.newWatcher()
	require.NoError(t, err)
	require.ErrorIs(t, w2.prepare(), errLocked)
	drop(t, s, "a.csv", "transaction_id,occurred_at,amount,member_id\nT1,2026-11-23,1,M\n")
	var c collector
	w2.poll(context.Background(), c.accept)
	assert.Zero(t, c.calls, "a second watcher leaves the folder alone")
	w1.close()
	w2.poll(context.Background(), c.accept)
	w2.close()
	assert.Equal(t, 1, c.calls)
}

func TestDirCreated(t *testing.T) {
	s := newTestSource(t, func(c *Config) { c.Dir = filepath.Join(c.Dir, "not", "yet") })
	pollOnce(t, s, context.Background(), (&collector{}).accept)
	for _, d := range []string{DoneDir, FailedDir, RejectsDir, StateDir} {
		assert.True(t, exists(s.cfg.Dir, d), d)
	}
}

func TestStaleCheckpointsRemoved(t *testing.T) {
	s := newTestSource(t, nil)
	pollOnce(t, s, context.Background(), (&collector{}).accept)
	stale := filepath.Join(s.cfg.Dir, StateDir, "gone.csv"+checkpointSuffix)
	tmp := filepath.Join(s.cfg.Dir, StateDir, "x.csv"+checkpointSuffix+".tmp")
	require.NoError(t, os.WriteFile(stale, []byte("{}"), 0o644))
	require.NoError(t, os.WriteFile(tmp, []byte("{"), 0o644))
	pollOnce(t, s, context.Background(), (&collector{}).accept)
	assert.False(t, exists(stale))
	assert.False(t, exists(tmp))
}

func TestNewSource(t *testing.T) {
	_, err := NewSource(nil, connectors.Deps{})
	require.Error(t, err)
	_, err = NewSource(NewConfig(), connectors.Deps{})
	require.ErrorContains(t, err, "dir: required")
	c := NewConfig()
	c.Dir = filepath.Join(t.TempDir(), "later")
	_, err = NewSource(c, connectors.Deps{})
	require.NoError(t, err)
	assert.False(t, exists(c.Dir), "the constructor does no I/O")
}
