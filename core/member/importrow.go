package member

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// An import file is CSV with a header row naming its columns (any order,
// any case). These are the columns it may have; ImportAttributePrefix
// columns ("attr.size") are custom attributes.
const (
	ColPhone         = "phone"
	ColEmail         = "email"
	ColCustomerID    = "customer_id"
	ColName          = "name"
	ColBirthday      = "birthday"
	ColTier          = "tier" // accepted and ignored: tiers come from the program
	ColConsent       = "consent"
	ColConsentAt     = "consent_at"
	ColConsentSource = "consent_source"
	ColStore         = "store"
	ColCity          = "city"
	ColLanguage      = "language"
	ColTags          = "tags"
	ColSource        = "source"

	ImportAttributePrefix = "attr."
)

// ImportSource is the profile source of an imported member whose row names
// none.
const ImportSource = "import"

// ImportTagSeparators separate the tags of an import row's tags column.
const ImportTagSeparators = "|;"

var importColumns = []string{ColPhone, ColEmail, ColCustomerID, ColName, ColBirthday, ColTier, ColConsent,
	ColConsentAt, ColConsentSource, ColStore, ColCity, ColLanguage, ColTags, ColSource}

// ErrImportHeader is the error of an import file whose header row cannot
// be read.
var ErrImportHeader = errors.New("import header")

// ImportHeader is an import file's header row: where each column is.
type ImportHeader struct {
	cols  map[string]int
	attrs map[string]int
}

// ReadImportHeader reads an import file's header row. An unknown or
// repeated column, an empty attr. name, or a header without a phone,
// email or customer_id column is an error (ErrImportHeader) naming the
// column.
func ReadImportHeader(record []string) (ImportHeader, error) {
	h := ImportHeader{cols: map[string]int{}, attrs: map[string]int{}}
	seen := map[string]bool{}
	for i, raw := range record {
		raw = strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff"))
		name := strings.ToLower(raw)
		if seen[name] {
			return ImportHeader{}, fmt.Errorf("%w: column %q appears twice", ErrImportHeader, name)
		}
		seen[name] = true
		switch {
		case strings.HasPrefix(name, ImportAttributePrefix):
			attr := strings.TrimSpace(raw[len(ImportAttributePrefix):])
			if attr == "" {
				return ImportHeader{}, fmt.Errorf("%w: column %q names no attribute", ErrImportHeader, raw)
			}
			h.attrs[attr] = i
		case name == "":
			return ImportHeader{}, fmt.Errorf("%w: column %d has no name", ErrImportHeader, i+1)
		default:
			known := false
			for _, c := range importColumns {
				known = known || c == name
			}
			if !known {
				return ImportHeader{}, fmt.Errorf("%w: unknown column %q (known: %s, and %s<name> for attributes)",
					ErrImportHeader, name, strings.Join(importColumns, ", "), ImportAttributePrefix)
			}
			h.cols[name] = i
		}
	}
	_, phone := h.cols[ColPhone]
	_, email := h.cols[ColEmail]
	_, customer := h.cols[ColCustomerID]
	if !phone && !email && !customer {
		return ImportHeader{}, fmt.Errorf("%w: a phone, email or customer_id column is required", ErrImportHeader)
	}
	return h, nil
}

// ImportRow is one member of an import file, read and checked.
type ImportRow struct {
	Phone      string // canonical key (NormalizePhone), "" for none
	Email      string // lower-cased (NormalizeEmail)
	CustomerID string
	Name       string // cleaned (CleanName)
	Birthday   string // "MM-DD"
	// Consent is ConsentUnknown (the row says nothing), ConsentOptedIn or
	// ConsentOptedOut, given at ConsentAt, as ConsentSource tells.
	Consent       string
	ConsentAt     time.Time
	ConsentSource string
	Profile       Profile
}

// ImportError says why an import row was skipped: its row in the file
// (the header is row 1), the column at fault ("" for the row as a whole)
// and why.
type ImportError struct {
	Row    int    `json:"row"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
}

func (e *ImportError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Reason)
	}
	return fmt.Sprintf("row %d, column %s: %s", e.Row, e.Column, e.Reason)
}

// Row reads row number n of the file (record), reading national phone
// numbers in region. A consent without consent_at is taken as given at
// now. The first problem found is returned as an *ImportError.
//
// A row needs a phone, an email or a customer id; a consent needs a phone
// (consent is kept per WhatsApp number), and opting in needs
// consent_source, the evidence of where and how it was given.
func (h ImportHeader) Row(n int, record []string, region string, now time.Time) (ImportRow, error) {
	get := func(col string) string {
		if i, ok := h.cols[col]; ok && i < len(record) {
			return strings.TrimSpace(record[i])
		}
		return ""
	}
	bad := func(col, format string, args ...any) (ImportRow, error) {
		return ImportRow{}, &ImportError{Row: n, Column: col, Reason: fmt.Sprintf(format, args...)}
	}
	var r ImportRow
	if p := get(ColPhone); p != "" {
		phone, err := NormalizePhone(p, region)
		if err != nil {
			return bad(ColPhone, "%q is not a phone number", p)
		}
		r.Phone = phone
	}
	if e := get(ColEmail); e != "" {
		if r.Email = NormalizeEmail(e); r.Email == "" {
			return bad(ColEmail, "%q is not an email address", e)
		}
	}
	r.CustomerID = get(ColCustomerID)
	if r.Phone == "" && r.Email == "" && r.CustomerID == "" {
		return bad(ColPhone, "a phone, email or customer_id is required")
	}
	r.Name = CleanName(get(ColName))
	if b := get(ColBirthday); b != "" {
		birthday, err := ParseBirthday(b)
		if err != nil {
			return bad(ColBirthday, "%q is not a date such as 1990-04-12 or 04-12", b)
		}
		r.Birthday = birthday
	}
	switch c := strings.ToLower(get(ColConsent)); c {
	case ConsentUnknown, ConsentOptedIn, ConsentOptedOut:
		r.Consent = c
	default:
		return bad(ColConsent, "%q is not %s, %s or empty", get(ColConsent), ConsentOptedIn, ConsentOptedOut)
	}
	r.ConsentSource = get(ColConsentSource)
	if at := get(ColConsentAt); at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return bad(ColConsentAt, "%q is not an RFC 3339 time such as 2024-05-01T10:00:00+07:00", at)
		}
		if t.After(now) {
			return bad(ColConsentAt, "%s is in the future", at)
		}
		r.ConsentAt = t.UTC()
	}
	switch {
	case r.Consent == ConsentUnknown && (!r.ConsentAt.IsZero() || r.ConsentSource != ""):
		return bad(ColConsent, "consent_at or consent_source without a consent")
	case r.Consent != ConsentUnknown && r.Phone == "":
		return bad(ColConsent, "a consent needs the member's phone")
	case r.Consent == ConsentOptedIn && r.ConsentSource == "":
		return bad(ColConsentSource, "opting in needs evidence: where and how the consent was given")
	case r.Consent != ConsentUnknown && r.ConsentAt.IsZero():
		r.ConsentAt = now.UTC()
	}
	source := get(ColSource)
	if source == "" {
		source = ImportSource
	}
	r.Profile = Profile{Source: source, Store: get(ColStore), City: get(ColCity),
		Language: strings.ToLower(get(ColLanguage)), Tags: SplitTags(get(ColTags), ImportTagSeparators)}
	for name, i := range h.attrs {
		if i < len(record) {
			if v := strings.TrimSpace(record[i]); v != "" {
				setAttribute(&r.Profile.Attributes, name, v)
			}
		}
	}
	return r, nil
}
