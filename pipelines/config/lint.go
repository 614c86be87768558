package config

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"time"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/mappings"
)

// BundledMapping names the bundled mapping of the connector's type for its
// config ("" for senders).
func (cs ConnectorSettings) BundledMapping() string {
	if cs.Spec.MappingOf != nil {
		return cs.Spec.MappingOf(cs.Config)
	}
	return cs.Spec.Mapping
}

// Lint severities.
const (
	LintError   = "error"
	LintWarning = "warning"
)

// LintFinding is a problem a tenant's mapping shows on a recorded payload
// of its source.
type LintFinding struct {
	Tenant    string `json:"tenant"`
	Connector string `json:"connector"`
	Sample    string `json:"sample,omitempty"`
	Severity  string `json:"severity"`
	Message   string `json:"message"`
	// Line is where in the mapping an error was raised, when known.
	Line int `json:"line,omitempty"`
}

func (f LintFinding) String() string {
	where := "tenants." + f.Tenant + ".connectors." + f.Connector + ".mapping"
	if f.Line > 0 {
		where += fmt.Sprintf(" (line %d)", f.Line)
	}
	if f.Sample != "" {
		where += " on sample " + f.Sample
	}
	return fmt.Sprintf("%s: %s: %s", f.Severity, where, f.Message)
}

// LintOptions says what LintMappings runs the mappings over.
type LintOptions struct {
	// Samples holds the integrator's recorded payloads, one folder per
	// connector, looked up in this order: <tenant>/<connector name>,
	// <connector name>, then <connector type>. Each folder is laid out as
	// mappings.SamplesIn reads it. Nil: only the bundled samples.
	Samples fs.FS
}

// LintMappings runs every source connector's effective mapping over
// recorded payloads and reports what it finds. A connector with a folder of
// its own in opts.Samples is linted against those payloads alone: each must
// map without error, and one that maps to nothing is a warning. Any other is
// linted against the recorded payloads of its type (mappings.Samples): a
// failure on a payload the bundled mapping maps is an error. Event types
// that neither a stage of the hub nor a rule of the tenant's program uses
// are warnings (a misspelt type is otherwise silently ignored). Compile
// errors are reported earlier, when the config loads.
func LintMappings(ctx context.Context, s *Settings, opts LintOptions) []LintFinding {
	var out []LintFinding
	tenants := make([]string, 0, len(s.Connectors))
	for id := range s.Connectors {
		tenants = append(tenants, id)
	}
	sort.Strings(tenants)
	for _, tenant := range tenants {
		names := make([]string, 0, len(s.Connectors[tenant]))
		for name := range s.Connectors[tenant] {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			out = append(out, lintConnector(ctx, s, tenant, s.Connectors[tenant][name], opts)...)
		}
	}
	return out
}

// ownSamples finds the integrator's recorded payloads of a connector: the
// folder they were read from ("" when it has none) and the payloads.
func ownSamples(opts LintOptions, tenant string, cs ConnectorSettings) (string, []mappings.Sample, error) {
	if opts.Samples == nil {
		return "", nil, nil
	}
	for _, dir := range []string{tenant + "/" + cs.Name, cs.Name, cs.Spec.Name} {
		samples, err := mappings.SamplesIn(opts.Samples, dir)
		if err != nil {
			return dir, nil, err
		}
		if len(samples) > 0 {
			return dir, samples, nil
		}
	}
	return "", nil, nil
}

func lintConnector(ctx context.Context, s *Settings, tenant string, cs ConnectorSettings, opts LintOptions) []LintFinding {
	if cs.Program == nil {
		return nil
	}
	finding := func(sample, severity, msg string, line int) LintFinding {
		return LintFinding{Tenant: tenant, Connector: cs.Name, Sample: sample, Severity: severity, Message: msg, Line: line}
	}
	dir, samples, err := ownSamples(opts, tenant, cs)
	if err != nil {
		return []LintFinding{finding("", LintError, "reading the recorded payloads of "+dir+": "+err.Error(), 0)}
	}
	own := dir != ""
	var bundled *mappings.Program
	if !own {
		bundledName := cs.BundledMapping()
		if samples, err = mappings.Samples(bundledName); err != nil {
			return []LintFinding{finding("", LintError, "reading the recorded payloads: "+err.Error(), 0)}
		}
		if src, ok := mappings.Bundled(bundledName); ok && src != cs.Mapping {
			bundled, _ = mappings.Compile(bundledName, src)
		}
	}
	prog := s.Programs[tenant]
	var out []LintFinding
	unknown := map[string]string{} // event type → first sample
	for _, sm := range samples {
		name := sm.Name
		if own {
			name = dir + "/" + sm.Name + ".json"
		}
		d := event.Delivery{
			Tenant: tenant, Connector: cs.Name, Kind: cs.Spec.Name, DeliveryID: "lint-" + sm.Name,
			Topic: sm.Topic, Meta: sm.Meta, ReceivedAt: time.Now(),
		}
		events, err := cs.Program.Run(ctx, d, sm.Body)
		if err != nil {
			var msg string
			switch {
			case own:
				msg = "fails a recorded payload of its own: " + err.Error()
			case bundled == nil:
				continue // the bundled mapping refuses it too: a malformed payload
			default:
				if _, berr := bundled.Run(ctx, d, sm.Body); berr != nil {
					continue
				}
				msg = "fails a payload the bundled mapping maps: " + err.Error() +
					" (a connector that receives another payload shape is linted against recorded payloads of its own: --samples)"
			}
			// Locating runs the mapping again, traced: only for a
			// failure that is reported.
			line := 0
			if loc, ok := cs.Program.LocateRun(ctx, d, sm.Body, err); ok {
				line = loc.Line
			}
			out = append(out, finding(name, LintError, msg, line))
			continue
		}
		if own && len(events) == 0 {
			msg := "maps the recorded payload to no event"
			if sm.Topic == "" {
				msg += " (it has no topic: give one in " + sm.Name + ".delivery.json)"
			}
			out = append(out, finding(name, LintWarning, msg, 0))
		}
		for _, ev := range events {
			if event.KnownType(ev.Type) || (prog != nil && prog.Handles(ev.Type)) {
				continue
			}
			if _, seen := unknown[ev.Type]; !seen {
				unknown[ev.Type] = name
			}
		}
	}
	types := make([]string, 0, len(unknown))
	for typ := range unknown {
		types = append(types, typ)
	}
	sort.Strings(types)
	for _, typ := range types {
		out = append(out, finding(unknown[typ], LintWarning,
			fmt.Sprintf("event type %q: no stage of the hub and no rule of the tenant's program uses it", typ), 0))
	}
	return out
}
