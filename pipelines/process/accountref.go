package process

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// errNamesNobody is an event that names its member by nothing: no member id,
// no usable phone number, no customer id and no email.
var errNamesNobody = errors.New("no phone number, customer id, email or member id")

// AccountRef names the member a loyalty event is about. A refund or a
// cancellation finds the member of its order by data.order_id. Any other
// event names its member by data.member_id, else by its identities: the
// phone (data.phone, read with the country of the address it came from,
// data.phone_country, then with region, the tenant's default_region), the
// source's customer id (data.customer_id, of the event's connector) and the
// email (data.email). The store finds the member by the first of them that
// it knows, merges the members they find into one, and creates the member
// when none does; the event's name (cleaned by member.CleanName), email and birthday fill
// the member's empty fields.
//
// A phone that is not a number fails the event when it names nothing else;
// beside a customer id or an email it is left out, and the customer still
// earns.
func AccountRef(region string, ev event.Event) (store.AccountRef, error) {
	var d struct {
		OrderID      string          `json:"order_id"`
		MemberID     string          `json:"member_id"`
		Phone        string          `json:"phone"`
		PhoneCountry string          `json:"phone_country"`
		CustomerID   json.RawMessage `json:"customer_id"`
		Name         string          `json:"name"`
		Email        string          `json:"email"`
		Birthday     string          `json:"birthday"`
		Profile      json.RawMessage `json:"profile"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return store.AccountRef{}, fmt.Errorf("decoding %s data: %w", ev.Type, err)
	}
	if ev.Type == event.TypeOrderRefunded || ev.Type == event.TypeOrderCancelled {
		if d.OrderID == "" {
			return store.AccountRef{}, fmt.Errorf("%s %s has no order_id", ev.Type, ev.ID)
		}
		return store.AccountRef{OrderID: d.OrderID}, nil
	}
	ref := store.AccountRef{MemberID: d.MemberID, OrderID: d.OrderID, Name: member.CleanName(d.Name), Email: strings.TrimSpace(d.Email),
		Connector: ev.Connector, CustomerID: customerID(d.CustomerID), Create: true}
	if d.Birthday != "" {
		// A birthday that is not a date is left out; the event itself is
		// fine.
		ref.Birthday, _ = member.ParseBirthday(d.Birthday)
	}
	ref.Profile = profileOf(d.Profile)
	if d.MemberID != "" {
		return ref, nil
	}
	if strings.TrimSpace(d.Phone) != "" {
		phone, err := normalizePhone(d.Phone, d.PhoneCountry, region)
		switch {
		case err == nil:
			ref.Phone = phone
		case !ref.HasIdentities():
			return store.AccountRef{}, fmt.Errorf("%s %s: %w", ev.Type, ev.ID, err)
		}
	}
	if ref.Phone == "" && !ref.HasIdentities() {
		return store.AccountRef{}, fmt.Errorf("%s %s: %w", ev.Type, ev.ID, errNamesNobody)
	}
	return ref, nil
}

// profileOf reads an event's data.profile (see member.Profile). A profile
// that is not one is left out, as a bad birthday is: the event itself is
// fine. Its source (the mapping names it: "shopify") counts only for a
// member who has none yet.
func profileOf(raw json.RawMessage) member.Profile {
	var p member.Profile
	if len(raw) == 0 || json.Unmarshal(raw, &p) != nil {
		return member.Profile{}
	}
	return member.MergeProfile(member.Profile{}, p) // trims and drops what cannot be kept
}

// normalizePhone reads a phone number with the country of the address it
// came from, then with the tenant's region.
func normalizePhone(raw, country, region string) (string, error) {
	if country = strings.TrimSpace(country); country != "" {
		if p, err := member.NormalizePhone(raw, country); err == nil {
			return p, nil
		}
	}
	return member.NormalizePhone(raw, region)
}

// customerID reads a customer id written as a string or a number.
func customerID(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
