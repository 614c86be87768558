package member

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Identity kinds: the ways the hub finds a member. Each identity belongs
// to one member of a tenant at most.
const (
	// IdentityPhone is the member's phone number as its canonical key
	// (NormalizePhone, PhoneKey), the one WhatsApp messages go to (the
	// member's Phone).
	IdentityPhone = "phone"
	// IdentityCustomer is a shop's, CRM's or POS's id of the customer; its
	// Connector names the connector it came from, as ids of two systems
	// may collide.
	IdentityCustomer = "customer"
	// IdentityEmail is an email address, lower-cased and trimmed.
	IdentityEmail = "email"
	// IdentityMerged is the id of a member merged into this one: the old
	// id still finds the member.
	IdentityMerged = "merged"
)

// Identity is one way to find a member.
type Identity struct {
	Kind      string `json:"kind"`
	Connector string `json:"connector,omitempty"` // customer ids only
	Value     string `json:"value"`
}

// NormalizeEmail returns an email address in the form identities keep it:
// trimmed and lower-cased. Anything that is not one address (no "@", or
// spaces inside) gives "".
func NormalizeEmail(raw string) string {
	e := strings.ToLower(strings.TrimSpace(raw))
	at := strings.LastIndexByte(e, '@')
	if at <= 0 || at == len(e)-1 || strings.ContainsAny(e, " \t\r\n,;<>") {
		return ""
	}
	return e
}

// Person is what names one person in payloads from outside: the hub looks
// for it in the dead letters it keeps when that person's data is erased.
type Person struct {
	Phones      []string // international form ("+" and digits), such as a canonical key
	Emails      []string // any case
	CustomerIDs []string // a shop's ids of the customer
}

// Empty reports whether p names nothing to look for.
func (p Person) Empty() bool {
	return len(p.Phones) == 0 && len(p.Emails) == 0 && len(p.CustomerIDs) == 0
}

// minPhoneDigits is the fewest digits a run of text must have to be
// compared with a phone number: shorter runs are amounts and quantities.
const minPhoneDigits = 6

// In reports whether payload mentions the person: one of the emails
// anywhere (any case); a run of phone-number characters (digits, spaces,
// "+", "-", ".", parentheses) whose digits are one of the phones in
// international form, national form or national form with a trunk 0; or, in
// JSON, a customer id as the value of a "customer_id" key or as the "id" of
// a "customer" object. Payloads that are not JSON (a CSV row) are searched
// for emails and phones alone.
func (p Person) In(payload []byte) bool { return p.Matcher()(payload) }

// Matcher returns In with what it looks for read once (the phones' forms,
// the emails, the customer ids): the test a search through many payloads
// runs on each.
func (p Person) Matcher() func(payload []byte) bool {
	var emails [][]byte
	for _, e := range p.Emails {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			emails = append(emails, []byte(e))
		}
	}
	forms := phoneForms(p.Phones)
	ids := make(map[string]bool, len(p.CustomerIDs))
	for _, id := range p.CustomerIDs {
		if id = strings.TrimSpace(id); id != "" {
			ids[id] = true
		}
	}
	return func(payload []byte) bool {
		if len(emails) > 0 {
			lower := bytes.ToLower(payload)
			for _, e := range emails {
				if bytes.Contains(lower, e) {
					return true
				}
			}
		}
		if len(forms) > 0 && mentionsPhone(payload, forms) {
			return true
		}
		if len(ids) == 0 {
			return false
		}
		d := json.NewDecoder(bytes.NewReader(payload))
		d.UseNumber()
		var v any
		if d.Decode(&v) != nil {
			return false
		}
		return mentionsCustomer(v, ids)
	}
}

// phoneForms lists the digit strings a phone may be written as.
func phoneForms(phones []string) map[string]bool {
	forms := map[string]bool{}
	for _, ph := range phones {
		num, err := phonenumbers.Parse(ph, "")
		if err != nil {
			continue
		}
		national := phonenumbers.GetNationalSignificantNumber(num)
		if len(national) < minPhoneDigits {
			continue
		}
		forms[national] = true
		forms["0"+national] = true
		forms[phonenumbers.Format(num, phonenumbers.E164)[1:]] = true
	}
	return forms
}

// mentionsPhone scans payload for runs of phone-number characters.
func mentionsPhone(payload []byte, forms map[string]bool) bool {
	var digits []byte
	check := func() bool {
		found := len(digits) >= minPhoneDigits && forms[string(digits)]
		digits = digits[:0]
		return found
	}
	for _, c := range payload {
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == ' ' || c == '+' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			if check() {
				return true
			}
		}
	}
	return check()
}

// mentionsCustomer walks decoded JSON for a customer id.
func mentionsCustomer(v any, ids map[string]bool) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch strings.ToLower(k) {
			case "customer_id":
				if ids[scalar(x)] {
					return true
				}
			case "customer":
				if c, ok := x.(map[string]any); ok && ids[scalar(c["id"])] {
					return true
				}
			}
			if mentionsCustomer(x, ids) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if mentionsCustomer(x, ids) {
				return true
			}
		}
	}
	return false
}

// scalar is a JSON string or number as text, else "".
func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	}
	return ""
}
