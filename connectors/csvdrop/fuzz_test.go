package csvdrop

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var decimalPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// FuzzParseRow feeds one record (fields separated by a tab) to the row
// parser under every separator setting: it must not panic, and a row it
// accepts must be a valid delivery row.
func FuzzParseRow(f *testing.F) {
	for _, seed := range []string{
		"T1\t2026-11-23 10:00:00\t150000.00\t0812-3456-7890\t\t\t\tsale\t",
		"T2\t23/11/2026 10:00\tRp 150.000,00\t6.28123E+12\tsari@example.com\tM1\tSari\trefund\tT1",
		"T3\t2026-11-23T10:00:00+07:00\t(1,234.50)\t'081234567890\t\t\tJos\xe9\tvoid\t",
		"\t\t\t\t\t\t\t\t",
		"=\"007\"\t2026-11-23\t1 234,50 €\t+62 812\ta@b\t\t\"q\"\tRETUR\tX",
	} {
		f.Add(seed, uint8(0))
	}
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		f.Fatal(err)
	}
	lay := layout{width: 9}
	for c := range numColumns {
		lay.index[c] = -1
	}
	for i, c := range []column{colTransactionID, colOccurredAt, colAmount, colPhone, colEmail, colMemberID, colName, colType, colOriginalID} {
		lay.index[c] = i
	}
	settings := [][2]string{{".", ""}, {".", ","}, {",", "."}, {",", " "}}
	f.Fuzz(func(t *testing.T, record string, setting uint8) {
		s := settings[int(setting)%len(settings)]
		cfg := NewConfig()
		cfg.DecimalSeparator, cfg.ThousandsSeparator = s[0], s[1]
		if setting&4 != 0 {
			cfg.DefaultRegion = "ID"
		}
		p := newRowParser(cfg, lay, jakarta)
		var r row
		r.line = 2
		reason := p.parse(strings.Split(record, "\t"), &r)
		if reason != "" {
			if !strings.ContainsFunc(reason, func(r rune) bool { return r != ' ' }) {
				t.Fatal("an empty reason")
			}
			return
		}
		b := appendRow(nil, &r)
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("row JSON %s: %v", b, err)
		}
		if r.id == "" || got["transaction_id"] != r.id {
			t.Fatalf("transaction id %q, JSON %s", r.id, b)
		}
		if r.amount != "" && !decimalPattern.MatchString(r.amount) {
			t.Fatalf("amount %q is not a decimal", r.amount)
		}
		if r.amount == "" && r.typ != TypeVoid {
			t.Fatalf("a %s without an amount", r.typ)
		}
		if _, err := time.Parse(time.RFC3339, got["occurred_at"].(string)); err != nil {
			t.Fatalf("occurred_at %q: %v", got["occurred_at"], err)
		}
		if r.typ == TypeSale && r.phone == "" && r.email == "" && r.memberID == "" {
			t.Fatal("a sale without a customer")
		}
		if r.typ == TypeRefund && r.originalID == "" {
			t.Fatal("a refund without its original")
		}
	})
}

// FuzzParseAmount checks that an amount read is an exact decimal that
// reads back the same when written with the same separators.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"Rp 150.000,00", "1,234.50", "(1 000,5)", "-.5", "12,34,567.00", "1e5", "€\u00a01.0"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(2))
	}
	settings := [][2]byte{{'.', 0}, {'.', ','}, {',', '.'}, {',', ' '}}
	f.Fuzz(func(t *testing.T, s string, setting uint8) {
		sep := settings[int(setting)%len(settings)]
		got, neg, err := parseAmount(s, sep[0], sep[1])
		if err != nil {
			return
		}
		if !decimalPattern.MatchString(got) {
			t.Fatalf("%q read as %q", s, got)
		}
		again := strings.Replace(got, ".", string(sep[0]), 1)
		if neg {
			again = "-" + again
		}
		back, neg2, err := parseAmount(again, sep[0], sep[1])
		if err != nil || back != got || neg2 != neg {
			t.Fatalf("%q read as %q, which reads back as %q, %v, %v", s, got, back, neg2, err)
		}
	})
}

// FuzzScan reads any bytes as a CSV file: resuming at any record boundary,
// as a checkpoint does, must yield the same records on the same lines as
// reading on from there.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n3,4\n",
		"\ufeffa;b\r\n\"x\r\ny\";2\r\n\r\n3;\"4\"\"\"\r\n",
		"a\tb\n\"open\tquote\n1\t2\n",
		"a|b\n1|\"multi\nline\nfield\"\n\n\n2|3",
		"h\n\"\"\"\"\n\"a\"b\n\"\n",
		"x,y\r1,2\r",
	} {
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, at uint8) {
		type record struct {
			fields []string
			line   int
			offset int64
			next   int
		}
		readAll := func(start int64, line int, comma rune) ([]record, rune, error) {
			sc, err := newScanner(bytes.NewReader(data[start:]), start, line, comma)
			if err != nil {
				return nil, 0, err
			}
			var out []record
			for {
				rec, l, err := sc.read()
				if errors.Is(err, io.EOF) {
					return out, sc.comma, nil
				}
				if err != nil {
					return out, sc.comma, err
				}
				if sc.offset > int64(len(data)) || (len(out) > 0 && (sc.offset <= out[len(out)-1].offset || l < out[len(out)-1].next)) {
					t.Fatalf("record %d: offset %d, line %d after %+v", len(out), sc.offset, l, out)
				}
				out = append(out, record{slices.Clone(rec), l, sc.offset, sc.next})
			}
		}
		all, comma, err := readAll(0, 1, 0)
		if err != nil || len(all) < 2 {
			return
		}
		k := int(at) % (len(all) - 1)
		rest, _, err := readAll(all[k].offset, all[k].next, comma)
		if err != nil {
			t.Fatalf("resuming at %d: %v", all[k].offset, err)
		}
		want := all[k+1:]
		if len(rest) != len(want) {
			t.Fatalf("resuming after record %d: %d records, want %d", k, len(rest), len(want))
		}
		for i := range want {
			if !slices.Equal(rest[i].fields, want[i].fields) || rest[i].line != want[i].line ||
				rest[i].offset != want[i].offset || rest[i].next != want[i].next {
				t.Fatalf("resuming after record %d: record %d is %+v, want %+v", k, i, rest[i], want[i])
			}
		}
		// The line after each record is the line its offset is on.
		for _, r := range all {
			if r.offset == int64(len(data)) {
				continue // nothing follows: no checkpoint resumes there
			}
			if got := 1 + bytes.Count(data[:r.offset], []byte("\n")); got != r.next {
				t.Fatalf("line after offset %d is %d, counted %d", r.offset, r.next, got)
			}
		}
	})
}
