package pos

import (
	"encoding/json"
	"strings"
)

// The shapes read from the POS: the few fields of a webhook body that
// decide which customers to look up, and the customer objects of their
// APIs. Fields are json.RawMessage so that a field of an unexpected type
// skips one lookup instead of failing the whole body.

// squareNotification is a Square webhook notification:
// {"merchant_id", "type", "event_id", "created_at", "data": {"type", "id",
// "object": {"payment": {...}}}}.
type squareNotification struct {
	Type json.RawMessage `json:"type"`
	Data struct {
		Object struct {
			Payment struct {
				Status     json.RawMessage `json:"status"`
				CustomerID json.RawMessage `json:"customer_id"`
			} `json:"payment"`
		} `json:"object"`
	} `json:"data"`
}

// loyverseNotification is a Loyverse webhook:
// {"merchant_id", "type": "receipts.update", "created_at", "receipts": [...]}.
type loyverseNotification struct {
	Type     json.RawMessage `json:"type"`
	Receipts []struct {
		ReceiptType json.RawMessage `json:"receipt_type"`
		CustomerID  json.RawMessage `json:"customer_id"`
		CancelledAt json.RawMessage `json:"cancelled_at"`
	} `json:"receipts"`
}

// maxLookups bounds the customers looked up for one delivery; the sales of
// any further customers go on without a phone.
const maxLookups = 100

// customerIDs returns the distinct customer ids of the sales in body that
// the mapping turns into order.paid events: a completed Square payment, the
// uncancelled SALE receipts of a Loyverse receipts.update. ok is false when
// body is not JSON of the expected shape (the mapping reports it).
func customerIDs(preset string, body []byte) (ids []string, ok bool) {
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] && len(ids) < maxLookups {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	switch preset {
	case PresetSquare:
		var n squareNotification
		if json.Unmarshal(body, &n) != nil {
			return nil, false
		}
		switch jsonString(n.Type) {
		case "payment.created", "payment.updated":
			p := n.Data.Object.Payment
			if jsonString(p.Status) == "COMPLETED" {
				add(jsonString(p.CustomerID))
			}
		}
	case PresetLoyverse:
		var n loyverseNotification
		if json.Unmarshal(body, &n) != nil {
			return nil, false
		}
		if jsonString(n.Type) != "receipts.update" {
			return nil, true
		}
		for _, r := range n.Receipts {
			if jsonString(r.ReceiptType) == "SALE" && isNull(r.CancelledAt) {
				add(jsonString(r.CustomerID))
			}
		}
	default:
		return nil, false
	}
	return ids, true
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// customer is what a lookup tells the mapping about one customer; empty
// fields are left out. Country is the ISO 3166 alpha-2 country of the
// customer's address, which the mapping passes on as the phone's country.
type customer struct {
	Phone   string `json:"phone,omitempty"`
	Email   string `json:"email,omitempty"`
	Name    string `json:"name,omitempty"`
	Country string `json:"country,omitempty"`
}

// countryCode returns an ISO 3166 alpha-2 code upper-cased, or "" for
// anything else and for ZZ, which Square sends for an unknown country.
func countryCode(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' || s == "ZZ" {
		return ""
	}
	return s
}

// squareCustomerResponse is Square's RetrieveCustomer response.
type squareCustomerResponse struct {
	Customer *struct {
		GivenName    string `json:"given_name"`
		FamilyName   string `json:"family_name"`
		CompanyName  string `json:"company_name"`
		Nickname     string `json:"nickname"`
		EmailAddress string `json:"email_address"`
		PhoneNumber  string `json:"phone_number"`
		Address      *struct {
			Country string `json:"country"`
		} `json:"address"`
	} `json:"customer"`
}

func (r squareCustomerResponse) customer() *customer {
	c := r.Customer
	if c == nil {
		return nil
	}
	name := strings.TrimSpace(strings.TrimSpace(c.GivenName) + " " + strings.TrimSpace(c.FamilyName))
	for _, alt := range []string{c.CompanyName, c.Nickname} {
		if name == "" {
			name = strings.TrimSpace(alt)
		}
	}
	out := &customer{
		Phone: strings.TrimSpace(c.PhoneNumber),
		Email: strings.TrimSpace(c.EmailAddress),
		Name:  name,
	}
	if c.Address != nil {
		out.Country = countryCode(c.Address.Country)
	}
	return out
}

// loyverseCustomer is Loyverse's customer object (GET /v1.0/customers/{id}).
type loyverseCustomer struct {
	Name        string `json:"name"`
	Email       string `json:"email"`
	PhoneNumber string `json:"phone_number"`
	CountryCode string `json:"country_code"`
}

func (c loyverseCustomer) customer() *customer {
	return &customer{
		Phone:   strings.TrimSpace(c.PhoneNumber),
		Email:   strings.TrimSpace(c.Email),
		Name:    strings.TrimSpace(c.Name),
		Country: countryCode(c.CountryCode),
	}
}

// apiErrors reads the first error of a Square ({"errors": [{"category",
// "code", "detail"}]}) or Loyverse ({"errors": [{"code", "details"}]})
// error body, for messages.
func apiErrors(body []byte) string {
	var e struct {
		Errors []struct {
			Code    string `json:"code"`
			Detail  string `json:"detail"`
			Details string `json:"details"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	msg := strings.TrimSpace(e.Errors[0].Code + ": " + e.Errors[0].Detail + e.Errors[0].Details)
	msg = strings.TrimSuffix(strings.TrimPrefix(msg, ": "), ":")
	if len(msg) > 200 {
		msg = strings.ToValidUTF8(msg[:200], "")
	}
	return msg
}
