package messaging

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/member"
)

// Pricing is what WhatsApp reports it charges for a message, on its status
// webhooks: {billable, pricing_model, type, category}.
type Pricing struct {
	Billable *bool  `json:"billable,omitempty"`
	Model    string `json:"pricing_model,omitempty"`
	Type     string `json:"type,omitempty"`
	Category string `json:"category,omitempty"`
}

// Pricing types WhatsApp reports; every type but PricingRegular is free.
const (
	PricingRegular                  = "regular"
	PricingFreeCustomerService      = "free_customer_service"
	PricingFreeEntryPoint           = "free_entry_point"
	PricingFreeGroupCustomerService = "free_group_customer_service"
)

// Free reports whether WhatsApp does not charge a message priced so: a free
// type, or billable false where the deprecated flag is still sent. An empty
// type (older payloads) is charged unless billable says otherwise.
func (p Pricing) Free() bool {
	if p.Type != "" && p.Type != PricingRegular {
		return true
	}
	return p.Billable != nil && !*p.Billable
}

// RateCard is a tenant's prices of a delivered message by category and
// recipient country, in micros of Currency (config.Pricing). The zero
// RateCard prices everything at 0.
type RateCard struct {
	Currency string
	rates    map[string]rates // by region, calling code "+62" or config.RatesDefault
}

type rates map[string]int64 // by category

// NewRateCard returns the rate card of a validated pricing config.
func NewRateCard(p config.Pricing) RateCard {
	rc := RateCard{Currency: p.Currency, rates: make(map[string]rates, len(p.Rates))}
	for k, r := range p.Rates {
		m := rates{}
		for cat, val := range map[string]string{CategoryMarketing: r.Marketing, CategoryUtility: r.Utility,
			CategoryAuthentication: r.Authentication, CategoryService: r.Service} {
			m[cat], _ = config.ParseMicros(val)
		}
		rc.rates[k] = m
	}
	return rc
}

// Priced reports whether the card has any rates.
func (rc RateCard) Priced() bool { return len(rc.rates) > 0 }

// Region returns the ISO 3166 region and calling code of a recipient: an
// E.164 number, "+" and digits; "" and 0 when it is not one (a
// business-scoped user id).
func Region(recipient string) (region string, callingCode int) {
	if !strings.HasPrefix(recipient, "+") {
		if recipient == "" || strings.Trim(recipient, "0123456789") != "" {
			return "", 0
		}
		recipient = "+" + recipient // a wa_id
	}
	num, err := phonenumbers.Parse(recipient, "")
	if err != nil {
		return "", 0
	}
	region = phonenumbers.GetRegionCodeForNumber(num)
	if region == phonenumbers.UNKNOWN_REGION {
		region = ""
	}
	return region, int(num.GetCountryCode())
}

// BillingCategory is the rate card's category of a category WhatsApp
// reports on a status: marketing_lite and group_marketing are marketing,
// authentication-international is authentication, group_utility utility,
// group_service service. "" for one it does not price (referral_conversion).
func BillingCategory(category string) string {
	switch c := strings.ToLower(category); c {
	case CategoryMarketing, "marketing_lite", "group_marketing":
		return CategoryMarketing
	case CategoryUtility, "group_utility":
		return CategoryUtility
	case CategoryAuthentication, "authentication-international", "authentication_international":
		return CategoryAuthentication
	case CategoryService, "group_service":
		return CategoryService
	}
	return ""
}

// Rate is the price of one delivered message of a category (the rate
// card's: BillingCategory) to recipient, in micros: the rate of the
// recipient's region, else of its calling code, else the default.
func (rc RateCard) Rate(category, recipient string) int64 {
	region, code := Region(recipient)
	for _, k := range []string{region, "+" + strconv.Itoa(code), config.RatesDefault} {
		if r, ok := rc.rates[k]; ok && k != "" && k != "+0" {
			return r[category]
		}
	}
	return 0
}

// Charge is the cost of a message to recipient that WhatsApp priced p, in
// micros: 0 when p is free or of a category the card does not price.
func (rc RateCard) Charge(p Pricing, recipient string) int64 {
	if p.Free() {
		return 0
	}
	cat := BillingCategory(p.Category)
	if cat == "" {
		return 0
	}
	return rc.Rate(cat, recipient)
}

// Estimate is what a message costs if sent to contact c at now, in micros,
// as WhatsApp prices it per delivered message (since July 2025): a
// template at its category's rate, except a utility template inside the
// customer's open service window, which is free, as are free-form
// (service) messages at the service rate (0 unless the card sets one). A
// free entry point window, which the hub does not know of, makes it free
// too: the estimate is the most it costs.
func (rc RateCard) Estimate(cmd Command, c member.Contact, now time.Time) int64 {
	if FreeForm(cmd.Kind) {
		if !c.WindowOpen(now) && cmd.Fallback != nil {
			return rc.Rate(BillingCategory(cmd.Category), cmd.To)
		}
		return rc.Rate(CategoryService, cmd.To)
	}
	cat := BillingCategory(cmd.Category)
	if cat == "" {
		cat = CategoryUtility
	}
	if cat == CategoryUtility && c.WindowOpen(now) {
		return 0
	}
	return rc.Rate(cat, cmd.To)
}

// FormatMicros writes an amount in micros as a decimal: 10700 is "0.0107".
func FormatMicros(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	s := fmt.Sprintf("%s%d.%06d", sign, n/config.MicrosPerUnit, n%config.MicrosPerUnit)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
