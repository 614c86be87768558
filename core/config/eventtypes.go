package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/loyalhub/loyalhub/core/event"
)

// knownEventType checks that a rule's or challenge's on:, when it is shaped
// as an event type, names one the hub gives its loyalty program or one the
// tenant declared (loyalty.event_types): a misspelt type, or one the hub
// acts on itself (a customer's WhatsApp message, a consent change), would
// otherwise never match, silently.
func (v *validator) knownEventType(path, typ string, custom []string) {
	if !eventTypePattern.MatchString(typ) || event.ProgramType(typ) {
		return
	}
	known := strings.Join(event.ProgramTypes(), ", ")
	switch {
	case event.KnownType(typ):
		v.add(path, "%s is acted on by the hub itself and never reaches the loyalty program, so nothing would count it; "+
			"rules and challenges count %s (and the types of the tenant's own mappings, declared in loyalty.event_types)", typ, known)
	case !slices.Contains(custom, typ):
		v.add(path, "unknown event type %q; known types: %s (a type of the tenant's own mapping is declared in loyalty.event_types)",
			typ, known)
	}
}

// outcomeType checks that a notification's on: names an outcome the hub
// decides.
func (v *validator) outcomeType(path, typ string) {
	switch {
	case strings.TrimSpace(typ) == "":
		v.add(path, "required: an outcome type, one of %s", strings.Join(event.OutcomeTypes(), ", "))
	case event.KnownOutcome(typ):
	default:
		v.add(path, "unknown outcome type %q; known types: %s", typ, strings.Join(event.OutcomeTypes(), ", "))
	}
}

// eventTypes checks the tenant's declared event types.
func (v *validator) eventTypes(path string, types []string) {
	for i, typ := range types {
		switch {
		case !eventTypePattern.MatchString(typ):
			v.add(fmt.Sprintf("%s[%d]", path, i), "%q is not an event type, such as store.visited", typ)
		case event.KnownType(typ):
			// Declaring one of the hub's types would let a rule on a type
			// the hub acts on itself pass, never to count.
			v.add(fmt.Sprintf("%s[%d]", path, i), "%s is one of the hub's own types; declare only the types of the tenant's own mappings", typ)
		}
	}
}
