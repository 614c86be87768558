package config

import (
	"fmt"
	"strings"
)

// Challenge gives bonus points, a badge or both for a number of qualifying
// events within a period: "3 visits this week", or a milestone such as "the
// 10th coffee".
type Challenge struct {
	// Name identifies the challenge; it names its ledger entries.
	Name string `koanf:"name"`
	// Names are what members see of the challenge in the chat's points
	// answer, per language ("id": "3 kali seminggu"). None by default: the
	// language's "challenge completed".
	Names map[string]string `koanf:"names"`
	// On is the event type that counts, such as order.paid.
	On string `koanf:"on"`
	// When is an optional expr condition an event must meet to count, over
	// the same environment as earning rules.
	When string `koanf:"when"`
	// Count of qualifying events that completes the challenge.
	Count int `koanf:"count"`
	// Period in which they must happen, in the tenant's time zone: "day",
	// "week" (from Monday), "month" or "ever" (default: a milestone, once).
	Period string `koanf:"period"`
	// Points given on completion. Default 0.
	Points int64 `koanf:"points"`
	// Badge given on completion, shown on the member. Optional.
	Badge string `koanf:"badge"`
}

// Challenge periods.
const (
	PeriodDay   = "day"
	PeriodWeek  = "week"
	PeriodMonth = "month"
	PeriodEver  = "ever"
)

func applyChallengeDefaults(cs []Challenge) {
	for i := range cs {
		setString(&cs[i].Period, PeriodEver)
	}
}

func (v *validator) challenges(base string, cs []Challenge, custom []string) {
	seen := map[string]int{}
	for i, c := range cs {
		p := fmt.Sprintf("%s[%d]", base, i)
		switch {
		case !idPattern.MatchString(c.Name):
			v.add(p+".name", "%q must be lower-case letters, digits, _ or - (it names ledger entries)", c.Name)
		default:
			if j, dup := seen[c.Name]; dup {
				v.add(p+".name", "%q is already the name of challenges[%d]", c.Name, j)
			}
			seen[c.Name] = i
		}
		v.names(p+".names", c.Names)
		if !eventTypePattern.MatchString(c.On) {
			v.add(p+".on", "%q is not an event type, such as order.paid", c.On)
		}
		v.knownEventType(p+".on", c.On, custom)
		if c.On == "order.refunded" || c.On == "order.cancelled" {
			v.add(p+".on", "%s takes back the points of its order; challenges cannot count it", c.On)
		}
		if c.Count <= 0 {
			v.add(p+".count", "must be positive, got %d", c.Count)
		}
		v.oneOf(p+".period", c.Period, PeriodDay, PeriodWeek, PeriodMonth, PeriodEver)
		if c.Points < 0 {
			v.add(p+".points", "must not be negative, got %d", c.Points)
		}
		if c.Points == 0 && strings.TrimSpace(c.Badge) == "" {
			v.add(p, "give points, a badge or both on completion")
		}
	}
}
