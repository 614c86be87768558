package csvdrop

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in        string
		dec, thou byte
		want      string
		neg       bool
		err       string
	}{
		{in: "150000", dec: '.', want: "150000"},
		{in: "150000.50", dec: '.', want: "150000.50"},
		{in: "Rp 150.000,00", dec: ',', thou: '.', want: "150000.00"},
		{in: "Rp. 150.000", dec: ',', thou: '.', want: "150000"},
		{in: "Rp150.000", dec: ',', thou: '.', want: "150000"},
		{in: "IDR 46000", dec: '.', want: "46000"},
		{in: "46000 IDR", dec: '.', want: "46000"},
		{in: "1,234.50", dec: '.', thou: ',', want: "1234.50"},
		{in: "$1,234,567.891", dec: '.', thou: ',', want: "1234567.891"},
		{in: "€ 1.234,5", dec: ',', thou: '.', want: "1234.5"},
		{in: "1 234,50 €", dec: ',', thou: ' ', want: "1234.50"},
		{in: "1\u00a0234\u202f567,50", dec: ',', thou: ' ', want: "1234567.50"},
		{in: "12,34,567.00", dec: '.', thou: ',', want: "1234567.00"}, // Indian grouping
		{in: "0,5", dec: ',', want: "0.5"},
		{in: ".5", dec: '.', want: "0.5"},
		{in: "Rp .5", dec: '.', want: "0.5"},
		{in: "000120", dec: '.', want: "120"},
		{in: "0", dec: '.', want: "0"},
		{in: "-1000", dec: '.', want: "1000", neg: true},
		{in: "-Rp 1.000", dec: ',', thou: '.', want: "1000", neg: true},
		{in: "Rp -1.000", dec: ',', thou: '.', want: "1000", neg: true},
		{in: "1000-", dec: '.', want: "1000", neg: true},
		{in: "(1,000.00)", dec: '.', thou: ',', want: "1000.00", neg: true},
		{in: "+1000", dec: '.', want: "1000"},
		{in: "150.000", dec: '.', want: "150.000"}, // ambiguous: the settings decide

		{in: "", dec: '.', err: "has no digits"},
		{in: "Rp", dec: '.', err: "has no digits"},
		{in: "1,234.50", dec: '.', err: "thousands separators are misplaced"}, // no thousands separator set
		{in: "150.5", dec: ',', thou: '.', err: "thousands separators are misplaced"},
		{in: "1.50", dec: ',', thou: '.', err: "thousands separators are misplaced"},
		{in: "1,2345.00", dec: '.', thou: ',', err: "thousands separators are misplaced"},
		{in: "1,,234", dec: '.', thou: ',', err: "holds characters"},
		{in: "1.2.3", dec: '.', err: "more than one decimal separator"},
		{in: "12abc34", dec: '.', err: "holds characters"},
		{in: "1e5", dec: '.', err: "holds characters"},
		{in: "150.", dec: '.', err: "holds characters"},
		{in: "--5", dec: '.', err: "holds characters"},
		{in: "(5", dec: '.', err: "holds characters"},
		{in: "-(5)", dec: '.', err: "holds characters"},
		{in: "#5", dec: '.', err: "holds characters"},
		{in: "5%", dec: '.', err: "holds characters"},
		{in: "1 000", dec: '.', err: "holds characters"},
		{in: "1234567890123456789012345678901", dec: '.', err: "too many digits"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, neg, err := parseAmount(tt.in, tt.dec, tt.thou)
			if tt.err != "" {
				require.Error(t, err, "got %q", got)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.neg, neg)
		})
	}
}

func TestScientific(t *testing.T) {
	for in, want := range map[string]bool{
		"6.28123E+12": true, "6,28123E+12": true, "6.28E12": true, "62812E+8": true, "6.2e-3": true,
		"081234567890": false, "+6281234567890": false, "E12": false, "6.28E": false, "0812-E12": false,
		"ext. 12": false, "6.28E+": false, ".5E3": false,
	} {
		assert.Equal(t, want, scientific(in), in)
	}
}

func TestDates(t *testing.T) {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	p := &rowParser{dateFmts: DefaultDateFormats(), loc: jakarta}
	tests := map[string]string{
		"2026-11-23T10:00:00Z":      "2026-11-23T10:00:00Z",
		"2026-11-23T10:00:00+09:00": "2026-11-23T10:00:00+09:00",
		"2026-11-23T10:00:00.5Z":    "2026-11-23T10:00:00Z",
		"2026-11-23 10:00:00":       "2026-11-23T10:00:00+07:00",
		"2026-11-23T10:00:00":       "2026-11-23T10:00:00+07:00",
		"2026-11-23 10:00":          "2026-11-23T10:00:00+07:00",
		"2026-11-23":                "2026-11-23T00:00:00+07:00",
		"23/11/2026 10:00:07":       "2026-11-23T10:00:07+07:00",
		"23/11/2026 10:00":          "2026-11-23T10:00:00+07:00",
		"01/02/2026":                "2026-02-01T00:00:00+07:00", // day first
		"23-11-2026 10:00":          "2026-11-23T10:00:00+07:00",
		"23-11-2026":                "2026-11-23T00:00:00+07:00",
		"11/23/2026":                "",
		"2026-13-01":                "",
		"yesterday":                 "",
	}
	format := func(p *rowParser, in string) string {
		t, ok := p.date(in)
		if !ok {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	for in, want := range tests {
		assert.Equal(t, want, format(p, in), in)
	}
	us := &rowParser{dateFmts: []string{"01/02/2006 3:04 PM"}, loc: time.UTC}
	assert.Equal(t, "2026-11-23T22:05:00Z", format(us, "11/23/2026 10:05 PM"))
}

func TestPhones(t *testing.T) {
	tests := []struct {
		in, region, want, reason string
	}{
		{in: "0812-3456-7890", want: "0812-3456-7890"},
		{in: "0812-3456-7890", region: "ID", want: "+6281234567890"},
		{in: "81234567890", region: "ID", want: "+6281234567890"}, // Excel dropped the 0
		{in: "'081234567890", region: "ID", want: "+6281234567890"},
		{in: "+62 812 3456 7890", want: "+62 812 3456 7890"},
		{in: "6.28123E+12", reason: "scientific notation"},
		{in: "6.28123E+12", region: "ID", reason: "scientific notation"},
		{in: "-", reason: "no digits"},
		{in: "123", region: "ID", reason: "not a valid phone number for region ID"},
	}
	for _, tt := range tests {
		t.Run(tt.in+"/"+tt.region, func(t *testing.T) {
			p := &rowParser{region: tt.region}
			got, reason := p.phone(tt.in)
			if tt.reason != "" {
				assert.Contains(t, reason, tt.reason)
				return
			}
			assert.Empty(t, reason)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRowTypes(t *testing.T) {
	for in, want := range map[string]string{
		"": TypeSale, "Sale": TypeSale, "PENJUALAN": TypeSale, "refund": TypeRefund, "Return": TypeRefund,
		"retur": TypeRefund, "void": TypeVoid, "Cancelled": TypeVoid, "batal": TypeVoid,
	} {
		got, ok := rowType(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	_, ok := rowType("exchange")
	assert.False(t, ok)
}

func TestAppendRow(t *testing.T) {
	r := row{line: 7, id: "T\"1\\", typ: TypeSale, occurredAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), amount: "1.50",
		name: "Sari\n\t\x01 <b>&</b> \u2028 é", email: "bad\xffutf8"}
	b := appendRow(nil, &r)
	require.True(t, json.Valid(b), "%s", b)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, map[string]any{"line": 7.0, "transaction_id": "T\"1\\", "type": "sale",
		"occurred_at": "2026-11-23T10:00:00Z", "amount": "1.50", "customer_name": "Sari\n\t\x01 <b>&</b> \u2028 é",
		"customer_email": "bad\ufffdutf8"}, got)
}

func TestHeaderKey(t *testing.T) {
	for in, want := range map[string]string{
		"Nómor HP":          "nomorhp",
		"  NO_HP ":          "nohp",
		"E-mail":            "email",
		"Transaction ID":    "transactionid",
		"Téléphone":         "telephone",
		"occurred_at":       "occurredat",
		"Jumlah (Rp)":       "jumlahrp",
		"\ufefftransaction": "transaction",
	} {
		assert.Equal(t, want, headerKey(in), in)
	}
}
