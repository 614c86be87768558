package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/loyalhub/loyalhub/core/event"
)

// knownEventType checks that a rule's or challenge's on:, when it is shaped
// as an event type, names one the hub knows or one the tenant declared
// (loyalty.event_types): a misspelt type would otherwise never match,
// silently.
func (v *validator) knownEventType(path, typ string, custom []string) {
	if !eventTypePattern.MatchString(typ) || event.KnownType(typ) || slices.Contains(custom, typ) {
		return
	}
	v.add(path, "unknown event type %q; known types: %s (a type of the tenant's own mapping is declared in loyalty.event_types)",
		typ, strings.Join(event.Types(), ", "))
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
		if !eventTypePattern.MatchString(typ) {
			v.add(fmt.Sprintf("%s[%d]", path, i), "%q is not an event type, such as store.visited", typ)
		}
	}
}
