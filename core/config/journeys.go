package config

import (
	"fmt"
	"regexp"
	"time"
)

// Journey is an automated flow of steps a member enters when an outcome
// of the program happens to them: messages spaced by waits, conditions on
// the member, bonus points. A member is in a journey at most once at a
// time; the state survives restarts.
type Journey struct {
	// Name identifies the journey in its tenant: lower case letters,
	// digits, "-" and "_". It is part of every message's key.
	Name string `koanf:"name"`
	// Enabled, when false, stops new entries; members already in the
	// journey finish it. Default true.
	Enabled *bool `koanf:"enabled"`
	// Sender is the tenant's WhatsApp connector that sends its messages.
	Sender  string         `koanf:"sender"`
	Trigger JourneyTrigger `koanf:"trigger"`
	// Goal is an outcome type that ends the journey for the member (they
	// ordered: points.earned). Empty: none.
	Goal string `koanf:"goal"`
	// ReEntry says whether a member who left the journey may enter it
	// again: "never" (the default), "always", or a duration ("720h") since
	// their last entry.
	ReEntry string `koanf:"re_entry"`
	// Steps run in order; a wait stops until its time.
	Steps []JourneyStep `koanf:"steps"`
}

// JourneyTrigger is the outcome that enters a member into a journey.
type JourneyTrigger struct {
	// On is the outcome type, such as member.birthday.
	On string `koanf:"on"`
	// When is an optional expr condition over the outcome, as a
	// notification's.
	When string `koanf:"when"`
}

// JourneyStep is one step of a journey: exactly one of Wait, WaitUntil,
// If, Send and Award.
type JourneyStep struct {
	// Wait waits this long.
	Wait time.Duration `koanf:"wait"`
	// WaitUntil waits until the next such local time ("10:00") in the
	// tenant's time zone.
	WaitUntil string `koanf:"wait_until"`
	// If is an expr condition over the member; false exits the journey.
	If string `koanf:"if"`
	// Send sends a template.
	Send *JourneySend `koanf:"send"`
	// Award gives the member points, with Reason in their ledger.
	Award  int64  `koanf:"award"`
	Reason string `koanf:"reason"`
}

// JourneySend is a journey's message: an approved template filled per
// member.
type JourneySend struct {
	// Category is marketing (the default) or utility.
	Category string           `koanf:"category"`
	Template NotificationTmpl `koanf:"template"`
}

// On reports whether the journey takes new entries.
func (j Journey) On() bool { return j.Enabled == nil || *j.Enabled }

// Re-entry policies as ParseReEntry returns them; a positive duration is
// the time since the last entry after which a member may enter again.
const (
	ReEntryNever  time.Duration = 0
	ReEntryAlways time.Duration = -1
)

// ParseReEntry reads a journey's re_entry.
func ParseReEntry(s string) (time.Duration, error) {
	switch s {
	case "", "never":
		return ReEntryNever, nil
	case "always":
		return ReEntryAlways, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not never, always or a positive duration such as 720h", s)
	}
	return d, nil
}

var journeyName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// journeys checks the shape of a tenant's journeys; their expressions are
// compiled with them (core/journey).
func (v *validator) journeys(base string, t Tenant) {
	seen := map[string]int{}
	for i, j := range t.Journeys {
		p := fmt.Sprintf("%s.journeys[%d]", base, i)
		switch {
		case !journeyName.MatchString(j.Name):
			v.add(p+".name", "%q is not a name of lower case letters, digits, - and _ (up to 63)", j.Name)
		default:
			if k, dup := seen[j.Name]; dup {
				v.add(p+".name", "%q is already the name of journeys[%d]", j.Name, k)
			}
			seen[j.Name] = i
		}
		if j.Sender == "" {
			v.add(p+".sender", "required")
		} else if _, ok := t.Connectors[j.Sender]; !ok {
			v.add(p+".sender", "%q is not a connector of the tenant", j.Sender)
		}
		v.outcomeType(p+".trigger.on", j.Trigger.On)
		if j.Goal != "" {
			v.outcomeType(p+".goal", j.Goal)
		}
		if _, err := ParseReEntry(j.ReEntry); err != nil {
			v.add(p+".re_entry", "%v", err)
		}
		if len(j.Steps) == 0 {
			v.add(p+".steps", "at least one step is needed")
		}
		for k, s := range j.Steps {
			v.journeyStep(fmt.Sprintf("%s.steps[%d]", p, k), s)
		}
	}
}

// journeyStep checks that a step is exactly one thing.
func (v *validator) journeyStep(p string, s JourneyStep) {
	kinds := 0
	for _, set := range []bool{s.Wait != 0, s.WaitUntil != "", s.If != "", s.Send != nil, s.Award != 0} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		v.add(p, "a step is exactly one of wait, wait_until, if, send and award")
		return
	}
	switch {
	case s.Wait < 0:
		v.add(p+".wait", "must be positive, got %s", s.Wait)
	case s.WaitUntil != "":
		if _, err := ParseClock(s.WaitUntil); err != nil {
			v.add(p+".wait_until", "%v", err)
		}
	case s.Send != nil:
		if s.Send.Category != "" {
			v.oneOf(p+".send.category", s.Send.Category, "marketing", "utility")
		}
		v.template(p+".send.template", s.Send.Template)
	case s.Award < 0:
		v.add(p+".award", "must be positive, got %d", s.Award)
	}
	if s.Reason != "" && s.Award == 0 {
		v.add(p+".reason", "only an award step has a reason")
	}
}
