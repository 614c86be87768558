package csvdrop

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/loyalhub/loyalhub/core/member"
)

// Row types, as the delivery body names them.
const (
	TypeSale   = "sale"
	TypeRefund = "refund"
	TypeVoid   = "void"
)

// maxRowJSON bounds one row's JSON in a delivery body; a longer row is
// rejected, which keeps a delivery under 1 MB with maxBatchBytes.
const maxRowJSON = 64 << 10

// The years a transaction may be dated: an earlier one is a spreadsheet's
// zero date (1899-12-30, 1900-01-00) or a typo.
const minYear, maxYear = 1970, 2999

// maxAmountDigits bounds the digits of an amount.
const maxAmountDigits = 30

// row is one accepted record, as the delivery body carries it.
type row struct {
	line       int
	id         string
	typ        string
	occurredAt time.Time
	amount     string
	currency   string
	phone      string
	email      string
	memberID   string
	name       string
	storeID    string
	originalID string
}

// rowParser turns records into rows under one file's layout and the
// connector's number, date and phone settings. It is not safe for
// concurrent use.
type rowParser struct {
	lay       layout
	dec       byte // decimal separator
	thou      byte // thousands separator, 0 when none
	dateFmts  []string
	loc       *time.Location
	region    string
	lastDate  int // the layout that matched last, tried first
	dateCache struct {
		in  string
		out time.Time
	}
}

func newRowParser(cfg *Config, lay layout, loc *time.Location) *rowParser {
	p := &rowParser{lay: lay, dec: cfg.DecimalSeparator[0], dateFmts: cfg.DateFormats, loc: loc, region: strings.ToUpper(cfg.DefaultRegion)}
	if cfg.ThousandsSeparator != "" {
		p.thou = cfg.ThousandsSeparator[0]
	}
	return p
}

// field returns column c of rec, trimmed and as UTF-8 (a value that is not
// valid UTF-8 is read as Windows-1252, the usual legacy export), or "" when
// the file has no such column.
func (p *rowParser) field(rec []string, c column) string {
	i := p.lay.index[c]
	if i < 0 || i >= len(rec) {
		return ""
	}
	return cleanText(rec[i])
}

// cleanText trims a value, reads it as Windows-1252 when it is not UTF-8,
// and unwraps Excel's ="…" text formula.
func cleanText(v string) string {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) {
		if d, err := charmap.Windows1252.NewDecoder().String(v); err == nil {
			v = strings.TrimSpace(d)
		} else {
			v = strings.ToValidUTF8(v, "\uFFFD")
		}
	}
	if len(v) >= 3 && v[0] == '=' && v[1] == '"' && v[len(v)-1] == '"' {
		v = strings.TrimSpace(v[2 : len(v)-1])
	}
	return v
}

// parse fills r from rec, or returns why the record is rejected.
func (p *rowParser) parse(rec []string, r *row) (reason string) {
	if len(rec) != p.lay.width {
		return fmt.Sprintf("has %d fields, the header has %d", len(rec), p.lay.width)
	}
	*r = row{line: r.line}
	if r.id = p.field(rec, colTransactionID); r.id == "" {
		return "transaction_id is missing"
	}
	typ, ok := rowType(p.field(rec, colType))
	if !ok {
		return fmt.Sprintf("type %q is not sale, refund or void", p.field(rec, colType))
	}
	r.typ = typ

	at := p.field(rec, colOccurredAt)
	if at == "" {
		return "occurred_at is missing"
	}
	if r.occurredAt, ok = p.date(at); !ok {
		return fmt.Sprintf("occurred_at %q matches none of the date formats", at)
	}
	if y := r.occurredAt.Year(); y < minYear || y > maxYear {
		return fmt.Sprintf("occurred_at %q is not between %d and %d", at, minYear, maxYear)
	}

	amount := p.field(rec, colAmount)
	switch {
	case amount == "" && typ == TypeVoid:
	case amount == "":
		return "amount is missing"
	default:
		a, neg, err := parseAmount(amount, p.dec, p.thou)
		if err != nil {
			return fmt.Sprintf("amount %q: %v", amount, err)
		}
		if neg && typ == TypeSale {
			return fmt.Sprintf("amount %q is negative on a sale (a refund needs type refund)", amount)
		}
		r.amount = a // a refund's amount is what was paid back, whatever its sign
	}

	if cur := p.field(rec, colCurrency); cur != "" {
		cur = strings.ToUpper(cur)
		if !isCurrencyCode(cur) {
			return fmt.Sprintf("currency %q is not an ISO 4217 code", cur)
		}
		r.currency = cur
	}

	if ph := p.field(rec, colPhone); ph != "" {
		phone, reason := p.phone(ph)
		if reason != "" {
			return reason
		}
		r.phone = phone
	}
	if r.email = p.field(rec, colEmail); r.email != "" && !plausibleEmail(r.email) {
		return "customer_email is not an email address"
	}
	r.memberID = p.field(rec, colMemberID)
	r.name = p.field(rec, colName)
	r.storeID = p.field(rec, colStoreID)
	r.originalID = p.field(rec, colOriginalID)

	switch {
	case typ == TypeSale && r.phone == "" && r.email == "" && r.memberID == "":
		return "no customer: customer_phone, customer_email and member_id are all empty"
	case typ == TypeRefund && r.originalID == "":
		return "a refund needs original_transaction_id"
	}
	return ""
}

// rowType reads the type column; empty is a sale.
func rowType(v string) (string, bool) {
	switch strings.ToLower(v) {
	case "", "sale", "sales", "sell", "purchase", "paid", "order", "penjualan":
		return TypeSale, true
	case "refund", "refunded", "return", "returned", "retur", "pengembalian":
		return TypeRefund, true
	case "void", "voided", "cancel", "cancelled", "canceled", "batal":
		return TypeVoid, true
	}
	return "", false
}

// date parses v with the date formats, in the parser's location unless v
// has an offset.
func (p *rowParser) date(v string) (time.Time, bool) {
	if v == p.dateCache.in {
		return p.dateCache.out, true
	}
	for i := range p.dateFmts {
		j := (p.lastDate + i) % len(p.dateFmts)
		t, err := time.ParseInLocation(p.dateFmts[j], v, p.loc)
		if err != nil {
			continue
		}
		p.lastDate = j
		p.dateCache.in, p.dateCache.out = v, t
		return t, true
	}
	return time.Time{}, false
}

// phone checks a phone as written: Excel's scientific notation
// ("6.28123E+12") lost digits for good, and a value without digits is no
// number. With a default region it is normalized to E.164.
func (p *rowParser) phone(v string) (string, string) {
	v = strings.TrimPrefix(v, "'") // Excel's text marker
	if scientific(v) {
		return "", "customer_phone was turned into scientific notation by a spreadsheet and lost digits (format the column as Text)"
	}
	if strings.IndexFunc(v, func(r rune) bool { return r >= '0' && r <= '9' }) < 0 {
		return "", "customer_phone has no digits"
	}
	if p.region == "" {
		return v, ""
	}
	e164, err := member.NormalizePhone(v, p.region)
	if err != nil {
		return "", fmt.Sprintf("customer_phone is not a valid phone number for region %s", p.region)
	}
	return e164, ""
}

// scientific reports whether v looks like a number in scientific notation:
// digits, an optional fraction, then E and an exponent.
func scientific(v string) bool {
	e := strings.IndexAny(v, "eE")
	if e <= 0 || e == len(v)-1 {
		return false
	}
	mant, exp := v[:e], v[e+1:]
	if exp[0] == '+' || exp[0] == '-' {
		exp = exp[1:]
	}
	if exp == "" || !allDigits(exp) {
		return false
	}
	mant = strings.TrimLeft(mant, "+")
	if i := strings.IndexAny(mant, ".,"); i >= 0 {
		if i == 0 || !allDigits(mant[i+1:]) {
			return false
		}
		mant = mant[:i]
	}
	return mant != "" && allDigits(mant)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isCurrencyCode reports whether v is three letters A to Z.
func isCurrencyCode(v string) bool {
	return len(v) == 3 && v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z' && v[2] >= 'A' && v[2] <= 'Z'
}

func plausibleEmail(v string) bool {
	at := strings.LastIndexByte(v, '@')
	return at > 0 && at < len(v)-1 && !strings.ContainsFunc(v, unicode.IsSpace)
}

// Amount errors.
var (
	errAmountChars    = errors.New("holds characters other than digits, separators, a sign and a currency")
	errAmountDecimal  = errors.New("has more than one decimal separator")
	errAmountGrouping = errors.New("thousands separators are misplaced (check decimal_separator and thousands_separator)")
	errAmountDigits   = errors.New("has no digits")
	errAmountLong     = errors.New("has too many digits")
)

// parseAmount reads an amount as exported: currency symbols, codes and
// spaces around it are dropped, the thousands separator (thou, 0 for none)
// must group digits by three (or two, Indian style, before the last
// three), dec is the decimal separator. The result is an exact unsigned
// decimal string ("150000.00"); neg tells a minus sign or parentheses.
func parseAmount(s string, dec, thou byte) (amount string, neg bool, err error) {
	first := strings.IndexFunc(s, isDigit)
	if first < 0 {
		return "", false, errAmountDigits
	}
	last := strings.LastIndexFunc(s, isDigit)
	prefix, body, suffix := s[:first], s[first:last+1], s[last+1:]

	// A decimal separator right before the first digit (".5") belongs to
	// the number.
	if p, ok := strings.CutSuffix(prefix, string(dec)); ok && (p == "" || !unicode.IsLetter(lastRune(p))) {
		prefix, body = p, "0"+string(dec)+body
	}
	var signs, opens, closes int
	for _, part := range []struct {
		s     string
		isPre bool
	}{{prefix, true}, {suffix, false}} {
		for i, r := range part.s {
			switch {
			case r == '-':
				signs++
			case r == '+' && part.isPre:
			case r == '(' && part.isPre:
				opens++
			case r == ')' && !part.isPre:
				closes++
			case r == '.' && i > 0 && unicode.IsLetter(prevRune(part.s, i)): // "Rp.", "Rs."
			case unicode.IsLetter(r), unicode.Is(unicode.Sc, r), unicode.IsSpace(r):
			default:
				return "", false, errAmountChars
			}
		}
	}
	if signs > 1 || opens != closes || opens > 1 || (signs == 1 && opens == 1) {
		return "", false, errAmountChars
	}
	neg = signs == 1 || opens == 1

	intPart, frac := body, ""
	if i := strings.IndexByte(body, dec); i >= 0 {
		intPart, frac = body[:i], body[i+1:]
		if strings.IndexByte(frac, dec) >= 0 {
			return "", false, errAmountDecimal
		}
		if frac == "" || !allDigits(frac) {
			if thou != 0 && strings.IndexByte(frac, thou) >= 0 {
				return "", false, errAmountGrouping
			}
			return "", false, errAmountChars
		}
	}
	digits, err := ungroup(intPart, thou)
	if err != nil {
		return "", false, err
	}
	trimmed := strings.TrimLeft(digits, "0")
	if trimmed == "" {
		trimmed = "0"
	}
	if len(trimmed)+len(frac) > maxAmountDigits {
		return "", false, errAmountLong
	}
	switch {
	case frac == "":
		return trimmed, neg, nil
	case dec == '.' && trimmed == intPart:
		return body, neg, nil // already in shape: no copy
	}
	return trimmed + "." + frac, neg, nil
}

// ungroup removes the thousands separators of an amount's integer part and
// checks that they group the digits.
func ungroup(s string, thou byte) (string, error) {
	if allDigits(s) {
		return s, nil
	}
	if thou == 0 {
		if strings.ContainsAny(s, ".,") {
			return "", errAmountGrouping
		}
		return "", errAmountChars
	}
	var groups []string
	if thou == ' ' {
		groups = strings.FieldsFunc(s, unicode.IsSpace)
	} else {
		groups = strings.Split(s, string(thou))
	}
	for i, g := range groups {
		ok := allDigits(g) && g != ""
		switch {
		case !ok:
			if strings.ContainsAny(g, ".,") || strings.ContainsFunc(g, unicode.IsSpace) {
				return "", errAmountGrouping
			}
			return "", errAmountChars
		case i == 0:
			ok = len(g) <= 3
		case i == len(groups)-1:
			ok = len(g) == 3
		default:
			ok = len(g) == 3 || len(g) == 2
		}
		if !ok {
			return "", errAmountGrouping
		}
	}
	return strings.Join(groups, ""), nil
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func prevRune(s string, i int) rune {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return r
}

// appendRow appends r as a JSON object of the delivery body, leaving out
// empty fields.
func appendRow(b []byte, r *row) []byte {
	b = append(b, `{"line":`...)
	b = strconv.AppendInt(b, int64(r.line), 10)
	b = append(b, `,"transaction_id":`...)
	b = appendJSONString(b, r.id)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, r.typ)
	b = append(b, `,"occurred_at":"`...)
	b = r.occurredAt.AppendFormat(b, time.RFC3339)
	b = append(b, '"')
	for _, f := range [...]struct{ k, v string }{
		{`,"amount":`, r.amount},
		{`,"currency":`, r.currency},
		{`,"customer_phone":`, r.phone},
		{`,"customer_email":`, r.email},
		{`,"member_id":`, r.memberID},
		{`,"customer_name":`, r.name},
		{`,"store_id":`, r.storeID},
		{`,"original_transaction_id":`, r.originalID},
	} {
		if f.v != "" {
			b = append(b, f.k...)
			b = appendJSONString(b, f.v)
		}
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
