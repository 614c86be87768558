package csvdrop

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// column is a canonical column of the CSV convention.
type column int

// The canonical columns.
const (
	colTransactionID column = iota
	colOccurredAt
	colAmount
	colPhone
	colEmail
	colMemberID
	colName
	colCurrency
	colStoreID
	colType
	colOriginalID
	numColumns
)

// columnNames are the canonical names, as headers and as config keys.
var columnNames = [numColumns]string{
	colTransactionID: "transaction_id",
	colOccurredAt:    "occurred_at",
	colAmount:        "amount",
	colPhone:         "customer_phone",
	colEmail:         "customer_email",
	colMemberID:      "member_id",
	colName:          "customer_name",
	colCurrency:      "currency",
	colStoreID:       "store_id",
	colType:          "type",
	colOriginalID:    "original_transaction_id",
}

// builtinAliases are the other headers each column is known by.
var builtinAliases = [numColumns][]string{
	colTransactionID: {"id", "invoice_no", "receipt_no", "no_struk", "receipt_number", "order_id", "sale_id"},
	colOccurredAt:    {"date", "datetime", "transaction_date", "created_at", "tanggal"},
	colAmount:        {"total", "total_amount", "grand_total", "jumlah"},
	colPhone:         {"phone", "phone_number", "no_hp", "nomor_hp", "msisdn", "mobile", "whatsapp"},
	colEmail:         {"email", "email_address"},
	colMemberID:      {"customer_id"},
	colName:          {"name", "nama"},
	colStoreID:       {"store", "outlet", "location"},
	colType:          {"kind", "transaction_type"},
	colOriginalID:    {"refund_for", "original_id"},
}

func columnByName(name string) (column, bool) {
	for c, n := range columnNames {
		if n == name {
			return column(c), true
		}
	}
	return 0, false
}

// headerKey folds a header for matching: accents removed, letters lower
// case, everything but letters and digits dropped, so "Nómor HP",
// "nomor_hp" and "NOMOR-HP" are one key.
func headerKey(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Match ranks: a configured alias wins over a canonical name, which wins
// over a built-in alias.
const (
	rankConfigured = iota
	rankCanonical
	rankBuiltin
	rankNone
)

// layout says where each canonical column is in a file's records.
type layout struct {
	index [numColumns]int // -1 when absent
	width int             // the header's field count
}

// has reports whether the file has column c.
func (l *layout) has(c column) bool { return l.index[c] >= 0 }

// headerError is a file whose header lacks a required column or names a
// column twice; the file is rejected whole.
type headerError struct {
	Found     []string // the header as written
	Matched   []string // "header → column" for each recognised header
	Missing   []string // required columns not found; a group reads "a, b or c"
	Ambiguous []string // columns named by more than one header
}

func (e *headerError) Error() string {
	var b strings.Builder
	if len(e.Missing) > 0 {
		fmt.Fprintf(&b, "the header lacks required columns: %s", strings.Join(e.Missing, "; "))
	}
	if len(e.Ambiguous) > 0 {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "more than one header names a column (say which with the columns setting): %s", strings.Join(e.Ambiguous, "; "))
	}
	return b.String()
}

// Explain is the full report written next to a rejected file.
func (e *headerError) Explain() string {
	var b strings.Builder
	b.WriteString(e.Error())
	b.WriteString("\n\nColumns found:\n")
	for _, h := range e.Found {
		fmt.Fprintf(&b, "  %q\n", h)
	}
	b.WriteString("\nRecognised:\n")
	if len(e.Matched) == 0 {
		b.WriteString("  none\n")
	}
	for _, m := range e.Matched {
		fmt.Fprintf(&b, "  %s\n", m)
	}
	b.WriteString("\nRequired: transaction_id, occurred_at, amount, and one of customer_phone, customer_email, member_id.\n")
	b.WriteString("Headers match case, space, underscore and accent insensitively; the columns setting adds aliases.\n")
	return b.String()
}

// matcher maps folded header keys to columns.
type matcher struct {
	keys map[string]struct {
		col  column
		rank int
	}
}

func newMatcher(extra map[string][]string) *matcher {
	m := &matcher{keys: map[string]struct {
		col  column
		rank int
	}{}}
	set := func(key string, c column, rank int) {
		if cur, ok := m.keys[key]; ok && cur.rank <= rank {
			return
		}
		m.keys[key] = struct {
			col  column
			rank int
		}{c, rank}
	}
	for c := range numColumns {
		set(headerKey(columnNames[c]), c, rankCanonical)
		for _, a := range builtinAliases[c] {
			set(headerKey(a), c, rankBuiltin)
		}
	}
	for name, aliases := range extra {
		c, ok := columnByName(name)
		if !ok {
			continue // reported by Validate
		}
		for _, a := range aliases {
			set(headerKey(a), c, rankConfigured)
		}
	}
	return m
}

// match lays out a header. Headers that match no column are kept in the
// records and ignored. Where several headers name one column the best
// ranked wins; a tie is an error.
func (m *matcher) match(header []string) (layout, *headerError) {
	l := layout{width: len(header)}
	best := [numColumns]int{}
	var clash [numColumns][]string
	for c := range numColumns {
		l.index[c], best[c] = -1, rankNone
	}
	he := &headerError{Found: header}
	for i, h := range header {
		k, ok := m.keys[headerKey(h)]
		if !ok {
			continue
		}
		he.Matched = append(he.Matched, fmt.Sprintf("%q → %s", h, columnNames[k.col]))
		switch {
		case k.rank < best[k.col]:
			l.index[k.col], best[k.col] = i, k.rank
			clash[k.col] = []string{h}
		case k.rank == best[k.col]:
			clash[k.col] = append(clash[k.col], h)
		}
	}
	for c := range numColumns {
		if len(clash[c]) > 1 {
			he.Ambiguous = append(he.Ambiguous, fmt.Sprintf("%s (%s)", columnNames[c], quoteAll(clash[c])))
		}
	}
	for _, c := range []column{colTransactionID, colOccurredAt, colAmount} {
		if !l.has(c) {
			he.Missing = append(he.Missing, columnNames[c])
		}
	}
	if !l.has(colPhone) && !l.has(colEmail) && !l.has(colMemberID) {
		he.Missing = append(he.Missing, "customer_phone, customer_email or member_id")
	}
	if len(he.Missing) > 0 || len(he.Ambiguous) > 0 {
		return layout{}, he
	}
	return l, nil
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
