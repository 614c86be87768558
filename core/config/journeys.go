package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
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
// If, Send, Award, Tag, WaitFor, Goto and Survey, with an optional Name.
type JourneyStep struct {
	// Name labels the step, so that a goto or a wait_for's then and else
	// can go to it: lower case letters, digits, "-" and "_", unique within
	// the journey, not "end".
	Name string `koanf:"name"`
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
	// Tag adds tags to the member's profile and removes others.
	Tag *JourneyTag `koanf:"tag"`
	// WaitFor waits up to a duration for the member to reply or to order,
	// then goes on as they did or not.
	WaitFor *JourneyWaitFor `koanf:"wait_for"`
	// Goto goes on at the step of this name, after this one; "end"
	// completes the journey.
	Goto string `koanf:"goto"`
	// Survey invites the member to the tenant's survey of this name.
	Survey string `koanf:"survey"`
}

// JourneyTag is a tag step: tags to add to the member's profile and tags
// to remove from it.
type JourneyTag struct {
	Add    []string `koanf:"add"`
	Remove []string `koanf:"remove"`
}

// Events a wait_for step waits for.
const (
	JourneyEventReply = "reply" // a message from the member in the chat
	JourneyEventOrder = "order" // an order of the member
)

// JourneyEnd is the goto target that completes a journey.
const JourneyEnd = "end"

// JourneyWaitFor waits up to Within for Event after the step starts: then
// the journey goes on at Then if it came, at Else if not (empty: at the
// next step).
type JourneyWaitFor struct {
	// Event is reply or order.
	Event string `koanf:"event"`
	// Within is the longest wait.
	Within time.Duration `koanf:"within"`
	// Then and Else are step names after this one, or "end".
	Then string `koanf:"then"`
	Else string `koanf:"else"`
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
		names := map[string]int{}
		for k, s := range j.Steps {
			sp := fmt.Sprintf("%s.steps[%d]", p, k)
			v.journeyStep(sp, s, t)
			if s.Name == "" {
				continue
			}
			switch prev, dup := names[s.Name]; {
			case !journeyName.MatchString(s.Name) || s.Name == JourneyEnd:
				v.add(sp+".name", "%q is not a name of lower case letters, digits, - and _ (up to 63), other than %s", s.Name, JourneyEnd)
			case dup:
				v.add(sp+".name", "%q is already the name of steps[%d]", s.Name, prev)
			default:
				names[s.Name] = k
			}
		}
	}
}

// journeyStep checks that a step is exactly one thing; the targets of
// goto and wait_for are resolved when the journey is compiled.
func (v *validator) journeyStep(p string, s JourneyStep, t Tenant) {
	kinds := 0
	for _, set := range []bool{s.Wait != 0, s.WaitUntil != "", s.If != "", s.Send != nil, s.Award != 0,
		s.Tag != nil, s.WaitFor != nil, s.Goto != "", s.Survey != ""} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		v.add(p, "%s", JourneyStepKinds)
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
	case s.Tag != nil:
		v.journeyTag(p+".tag", *s.Tag)
	case s.WaitFor != nil:
		v.oneOf(p+".wait_for.event", s.WaitFor.Event, JourneyEventReply, JourneyEventOrder)
		if s.WaitFor.Within <= 0 {
			v.add(p+".wait_for.within", "required: a positive duration such as 48h")
		}
	case s.Survey != "":
		if !slices.ContainsFunc(t.Surveys, func(sv Survey) bool { return sv.Name == s.Survey }) {
			v.add(p+".survey", "%q is not a survey of the tenant", s.Survey)
		}
	}
	if s.Reason != "" && s.Award == 0 {
		v.add(p+".reason", "only an award step has a reason")
	}
}

// JourneyStepKinds says what a step may be.
const JourneyStepKinds = "a step is exactly one of wait, wait_until, if, send, award, tag, wait_for, goto and survey"

// journeyTag checks a tag step's lists: at least one tag, none empty, none
// both added and removed.
func (v *validator) journeyTag(p string, t JourneyTag) {
	if len(t.Add) == 0 && len(t.Remove) == 0 {
		v.add(p, "add or remove at least one tag")
	}
	for i, tag := range t.Add {
		if strings.TrimSpace(tag) == "" {
			v.add(fmt.Sprintf("%s.add[%d]", p, i), "must not be empty")
		}
	}
	for i, tag := range t.Remove {
		switch {
		case strings.TrimSpace(tag) == "":
			v.add(fmt.Sprintf("%s.remove[%d]", p, i), "must not be empty")
		case slices.Contains(t.Add, tag):
			v.add(fmt.Sprintf("%s.remove[%d]", p, i), "%q is also added", tag)
		}
	}
}
