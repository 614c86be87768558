package webhook

import "strings"

// Matches reports whether an outcome of type typ is one an endpoint
// subscribed to with patterns: an exact type (points.earned), a family
// (points.*, every type starting points.), or * for every type.
func Matches(patterns []string, typ string) bool {
	for _, p := range patterns {
		switch {
		case p == "*" || p == typ:
			return true
		case strings.HasSuffix(p, ".*") && strings.HasPrefix(typ, p[:len(p)-1]):
			return true
		}
	}
	return false
}

// PatternMatchesAny reports whether pattern matches at least one of types:
// a pattern that matches none subscribes to nothing.
func PatternMatchesAny(pattern string, types []string) bool {
	for _, t := range types {
		if Matches([]string{pattern}, t) {
			return true
		}
	}
	return false
}
