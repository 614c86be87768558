package config

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ParseMessagingLimit reads a messaging limit (MessagingLimits): the number
// of unique users, -1 for unlimited, 0 for none given.
func ParseMessagingLimit(s string) (int, error) {
	switch s {
	case "":
		return 0, nil
	case LimitUnlimited, "-1":
		return -1, nil
	}
	for _, l := range MessagingLimits {
		if s == l {
			return strconv.Atoi(s)
		}
	}
	return 0, fmt.Errorf("%q is not one of WhatsApp's messaging limits (%s)", s, strings.Join(MessagingLimits, ", "))
}

// MicrosPerUnit is how many micros (the unit costs are counted in) make one
// unit of a currency.
const MicrosPerUnit = 1_000_000

var moneyPattern = regexp.MustCompile(`^([0-9]{1,12})(?:\.([0-9]{1,6}))?$`)

// ParseMicros reads a non-negative decimal amount of money, at most six
// decimals, as micros of its currency: "0.0107" is 10700.
func ParseMicros(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	m := moneyPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not an amount of money, such as \"0.0107\" (at most 6 decimals)", s)
	}
	whole, _ := strconv.ParseInt(m[1], 10, 64)
	frac := int64(0)
	if m[2] != "" {
		frac, _ = strconv.ParseInt((m[2] + "000000")[:6], 10, 64)
	}
	return whole*MicrosPerUnit + frac, nil
}

// callingCodePattern is a country calling code key of the rates, "+62".
var callingCodePattern = regexp.MustCompile(`^\+[1-9][0-9]{0,2}$`)

// pricing checks the rate card and the budget that needs it.
func (v *validator) pricing(base string, t Tenant) {
	p := base + ".pricing"
	pr := t.Pricing
	if len(pr.Rates) > 0 || pr.Currency != "" {
		if !currencyPattern.MatchString(pr.Currency) {
			v.add(p+".currency", "required with rates: an ISO 4217 code such as \"USD\", got %q", pr.Currency)
		}
		if len(pr.Rates) == 0 {
			v.add(p+".rates", "required with a currency: at least \"default\"")
		}
	}
	keys := make([]string, 0, len(pr.Rates))
	for k := range pr.Rates {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kp := p + ".rates." + k
		switch {
		case k == RatesDefault:
		case callingCodePattern.MatchString(k):
			code, _ := strconv.Atoi(k[1:])
			if phonenumbers.GetRegionCodeForCountryCode(code) == phonenumbers.UNKNOWN_REGION {
				v.add(kp, "%q is not a country calling code", k)
			}
		case phonenumbers.GetSupportedRegions()[k]:
		default:
			v.add(kp, "%q is neither \"default\", an upper-case ISO 3166 region such as \"ID\", nor a calling code such as \"+62\"", k)
		}
		r := pr.Rates[k]
		for cat, val := range map[string]string{"marketing": r.Marketing, "utility": r.Utility,
			"authentication": r.Authentication, "service": r.Service} {
			if _, err := ParseMicros(val); err != nil {
				v.add(kp+"."+cat, "%v", err)
			}
		}
	}
	m := t.Messaging
	if _, err := ParseMessagingLimit(m.MessagingLimit); err != nil {
		v.add(base+".messaging.messaging_limit", "%v", err)
	}
	if m.MonthlyBudget != "" {
		if n, err := ParseMicros(m.MonthlyBudget); err != nil {
			v.add(base+".messaging.monthly_budget", "%v", err)
		} else if n <= 0 {
			v.add(base+".messaging.monthly_budget", "must be positive, got %q", m.MonthlyBudget)
		} else if len(pr.Rates) == 0 {
			v.add(base+".messaging.monthly_budget", "needs %s.pricing: the rates that cost messages", base)
		}
	}
}
