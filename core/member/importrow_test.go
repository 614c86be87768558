package member

import (
	"encoding/csv"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var importNow = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

func TestReadImportHeader(t *testing.T) {
	tests := []struct {
		name   string
		header string
		err    string
	}{
		{"phone only", "phone", ""},
		{"any case, spaces, a BOM", "\ufeffPhone , EMAIL,attr.Shoe Size", ""},
		{"tier is accepted", "email,tier", ""},
		{"unknown column", "phone,points", `unknown column "points"`},
		{"twice", "phone,Phone", `column "phone" appears twice`},
		{"no identity column", "name,city", "a phone, email or customer_id column is required"},
		{"attribute without a name", "phone,attr.", `column "attr." names no attribute`},
		{"empty column name", "phone,,name", "column 2 has no name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadImportHeader(strings.Split(tt.header, ","))
			if tt.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrImportHeader)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestImportRow(t *testing.T) {
	header := strings.Split("phone,email,customer_id,name,birthday,tier,consent,consent_at,consent_source,store,city,language,tags,source,attr.size,attr.Kids", ",")
	h, err := ReadImportHeader(header)
	require.NoError(t, err)
	row := func(values map[string]string) []string {
		out := make([]string, len(header))
		for i, c := range header {
			out[i] = values[c]
		}
		return out
	}
	tests := []struct {
		name   string
		values map[string]string
		want   ImportRow
		col    string // the column of the error, "-" for none
		reason string
	}{
		{
			name: "everything",
			values: map[string]string{"phone": "0812-3456-7890", "email": " Sari@Example.com", "customer_id": "C-1",
				"name": " Sari ", "birthday": "1990-04-12", "tier": "gold", "consent": "Opted_In",
				"consent_at": "2024-05-01T10:00:00+07:00", "consent_source": "store signup form 2024-05",
				"store": "jkt-01", "city": "Jakarta", "language": "ID", "tags": "vip| staff;vip", "source": "pos",
				"attr.size": "M", "attr.Kids": "2"},
			want: ImportRow{Phone: "+6281234567890", Email: "sari@example.com", CustomerID: "C-1", Name: "Sari",
				Birthday: "04-12", Consent: ConsentOptedIn, ConsentAt: time.Date(2024, 5, 1, 3, 0, 0, 0, time.UTC),
				ConsentSource: "store signup form 2024-05",
				Profile: Profile{Source: "pos", Store: "jkt-01", City: "Jakarta", Language: "id", Tags: []string{"vip", "staff"},
					Attributes: map[string]any{"size": "M", "Kids": "2"}}},
			col: "-",
		},
		{
			name:   "an email alone; source defaults to import",
			values: map[string]string{"email": "budi@example.com"},
			want:   ImportRow{Email: "budi@example.com", Profile: Profile{Source: ImportSource}},
			col:    "-",
		},
		{
			name:   "opting out without a time is taken now",
			values: map[string]string{"phone": "+62 812 3456 7890", "consent": "opted_out"},
			want: ImportRow{Phone: "+6281234567890", Consent: ConsentOptedOut, ConsentAt: importNow,
				Profile: Profile{Source: ImportSource}},
			col: "-",
		},
		{name: "no identity", values: map[string]string{"name": "Sari"}, col: "phone", reason: "a phone, email or customer_id is required"},
		{name: "bad phone", values: map[string]string{"phone": "12"}, col: "phone", reason: `"12" is not a phone number`},
		{name: "bad email", values: map[string]string{"email": "sari"}, col: "email", reason: "not an email address"},
		{name: "bad birthday", values: map[string]string{"email": "a@b.c", "birthday": "13-45"}, col: "birthday", reason: "not a date"},
		{name: "bad consent", values: map[string]string{"phone": "08123456789", "consent": "yes"}, col: "consent", reason: `"yes" is not opted_in`},
		{name: "bad consent_at", values: map[string]string{"phone": "08123456789", "consent": "opted_out", "consent_at": "2024-05-01"},
			col: "consent_at", reason: "not an RFC 3339 time"},
		{name: "future consent_at", values: map[string]string{"phone": "08123456789", "consent": "opted_out", "consent_at": "2030-01-01T00:00:00Z"},
			col: "consent_at", reason: "in the future"},
		{name: "opting in without evidence", values: map[string]string{"phone": "08123456789", "consent": "opted_in"},
			col: "consent_source", reason: "opting in needs evidence"},
		{name: "consent without a phone", values: map[string]string{"email": "a@b.c", "consent": "opted_out"},
			col: "consent", reason: "needs the member's phone"},
		{name: "evidence without a consent", values: map[string]string{"phone": "08123456789", "consent_source": "form"},
			col: "consent", reason: "without a consent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Row(7, row(tt.values), "ID", importNow)
			if tt.col == "-" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			var ie *ImportError
			require.True(t, errors.As(err, &ie), "an *ImportError: %v", err)
			assert.Equal(t, 7, ie.Row)
			assert.Equal(t, tt.col, ie.Column)
			assert.Contains(t, ie.Reason, tt.reason)
		})
	}
}

func TestImportRowShortRecord(t *testing.T) {
	h, err := ReadImportHeader([]string{"email", "name", "city"})
	require.NoError(t, err)
	got, err := h.Row(2, []string{"a@b.c"}, "ID", importNow)
	require.NoError(t, err)
	assert.Equal(t, ImportRow{Email: "a@b.c", Profile: Profile{Source: ImportSource}}, got)
}

// The example file of docs/members.md reads without errors.
func TestImportExampleFile(t *testing.T) {
	f, err := os.Open("testdata/import_example.csv")
	require.NoError(t, err)
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	h, err := ReadImportHeader(records[0])
	require.NoError(t, err)
	var rows []ImportRow
	for i, rec := range records[1:] {
		r, err := h.Row(i+2, rec, "ID", importNow)
		require.NoError(t, err, "row %d", i+2)
		rows = append(rows, r)
	}
	require.Len(t, rows, 3)
	assert.Equal(t, ConsentOptedIn, rows[0].Consent)
	assert.Equal(t, "store signup form 2024-05", rows[0].ConsentSource)
	assert.Equal(t, []string{"vip", "coffee"}, rows[0].Profile.Tags)
}

// FuzzImportRow: any header and row read without panicking, and a row read
// without error names its member and keeps its promises.
func FuzzImportRow(f *testing.F) {
	f.Add("phone,email,consent,consent_at,consent_source,tags,attr.size", "0812-3456-7890,a@b.c,opted_in,2024-05-01T10:00:00Z,form,vip|x,M")
	f.Add("email,birthday", "a@b.c,--02-29")
	f.Add("customer_id,consent", "C-1,opted_out")
	f.Fuzz(func(t *testing.T, header, row string) {
		records, err := csv.NewReader(strings.NewReader(header + "\n" + row)).ReadAll()
		if err != nil || len(records) < 2 {
			return
		}
		h, err := ReadImportHeader(records[0])
		if err != nil {
			return
		}
		r, err := h.Row(2, records[1], "ID", importNow)
		if err != nil {
			var ie *ImportError
			if !errors.As(err, &ie) || ie.Row != 2 || ie.Reason == "" {
				t.Fatalf("not an import error of row 2: %v", err)
			}
			return
		}
		if r.Phone == "" && r.Email == "" && r.CustomerID == "" {
			t.Fatal("a row without an identity was taken")
		}
		if r.Consent == ConsentOptedIn && r.ConsentSource == "" {
			t.Fatal("an opt-in without evidence was taken")
		}
		if r.Consent != ConsentUnknown && (r.Phone == "" || r.ConsentAt.IsZero() || r.ConsentAt.After(importNow)) {
			t.Fatalf("a consent without a phone or a sensible time was taken: %+v", r)
		}
		if r.Profile.Source == "" {
			t.Fatal("a row without a source")
		}
	})
}
