package programtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/all"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
)

// DefaultStart is when the first step of a case occurs when it gives no
// time; each further step without a time occurs one minute later per step
// before it. It is a Sunday, at midday in UTC.
var DefaultStart = time.Date(2026, time.January, 4, 12, 0, 0, 0, time.UTC)

// Suite is a loaded test file: its cases and the compiled program of the
// tenant they test.
type Suite struct {
	// Path is the test file.
	Path string
	// ConfigPath is the loyalhub config the file names, resolved against
	// the file's directory.
	ConfigPath string
	// Tenant is the tenant whose program is tested.
	Tenant string
	Cases  []Case

	program *loyalty.Program
	region  string
}

// Case is one test case: steps applied in order, then checks.
type Case struct {
	Name   string
	Steps  []Step
	Expect Expect
}

// Step is one thing that happens to the program: exactly one of Event,
// Sweep and Adjust is set.
type Step struct {
	Event  *event.Event
	Sweep  *time.Time
	Adjust *Adjust
	// Error, when set, is text the step's error must contain: the step is
	// expected to fail.
	Error string
}

// Kind names the step for reports: the event type, "sweep" or "adjust".
func (s Step) Kind() string {
	switch {
	case s.Event != nil:
		return s.Event.Type
	case s.Sweep != nil:
		return "sweep"
	default:
		return "adjust"
	}
}

// Adjust is a manual correction of a member's points.
type Adjust struct {
	ID       string
	Phone    string // as written; normalized with the tenant's region
	MemberID string
	Points   int64
	Reason   string
	At       time.Time
}

// Expect is what a case checks of one member once its steps ran. Nil
// fields are not checked.
type Expect struct {
	// Phone names the member checked, as written; else Email does (a
	// shop's customer without a phone).
	Phone    string
	Email    string
	Balance  *int64
	Pending  *int64
	Outcomes []string // checked when CheckOutcomes is set
	Entries  *int
	// Tier is the member's expected level, when set.
	Tier string

	CheckOutcomes bool
}

// Load reads and checks the test file at path, and loads and compiles the
// program it tests. Errors name the file, the line and the key.
func Load(path string) (*Suite, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &parser{file: path}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: the file is empty", path)
	}
	root := resolve(doc.Content[0])
	top, err := p.fields(root, "", "config", "tenant", "env", "cases")
	if err != nil {
		return nil, err
	}
	s := &Suite{Path: path}

	cfgNode, ok := top["config"]
	if !ok {
		return nil, p.fail(root, "config", "required: the loyalhub config to test, relative to this file")
	}
	cfgFile, err := p.str(cfgNode, "config")
	if err != nil {
		return nil, err
	}
	s.ConfigPath = cfgFile
	if !filepath.IsAbs(cfgFile) {
		s.ConfigPath = filepath.Join(filepath.Dir(path), cfgFile)
	}
	overrides := map[string]string{}
	if n, ok := top["env"]; ok {
		if overrides, err = p.env(n); err != nil {
			return nil, err
		}
	}
	if n, ok := top["tenant"]; ok {
		if s.Tenant, err = p.str(n, "tenant"); err != nil {
			return nil, err
		}
	}
	if err := s.loadProgram(p, cfgNode, overrides); err != nil {
		return nil, err
	}

	casesNode, ok := top["cases"]
	if !ok {
		return nil, p.fail(root, "cases", "required: a list of test cases")
	}
	casesNode = resolve(casesNode)
	if casesNode.Kind != yaml.SequenceNode || len(casesNode.Content) == 0 {
		return nil, p.fail(casesNode, "cases", "must be a non-empty list of test cases")
	}
	names := map[string]int{}
	for i, n := range casesNode.Content {
		c, err := p.testCase(n, fmt.Sprintf("cases[%d]", i), s.program.Location)
		if err != nil {
			return nil, err
		}
		if j, dup := names[c.Name]; dup {
			return nil, p.fail(n, fmt.Sprintf("cases[%d].name", i), "%q is already the name of cases[%d]", c.Name, j)
		}
		names[c.Name] = i
		s.Cases = append(s.Cases, c)
	}
	return s, nil
}

// loadProgram loads the config as loyalhub validate does, with placeholders
// for the variables it references, and picks the tenant's program.
func (s *Suite) loadProgram(p *parser, at *yaml.Node, overrides map[string]string) error {
	raw, err := os.ReadFile(s.ConfigPath)
	if err != nil {
		return p.fail(at, "config", "%v", err)
	}
	reg := connectors.NewRegistry()
	all.Register(reg)
	settings, err := hubconfig.Load(s.ConfigPath, Environ(raw, overrides), reg)
	if err != nil {
		var errs config.Errors
		if errors.As(err, &errs) {
			lines := make([]string, 0, len(errs))
			for _, e := range errs {
				lines = append(lines, "  "+e.Error())
			}
			return fmt.Errorf("%s: config %s has %d error(s):\n%s", p.file, s.ConfigPath, len(errs), strings.Join(lines, "\n"))
		}
		return fmt.Errorf("%s: config %s: %w", p.file, s.ConfigPath, err)
	}
	tenants := make([]string, 0, len(settings.Config.Tenants))
	for id := range settings.Config.Tenants {
		tenants = append(tenants, id)
	}
	sort.Strings(tenants)
	switch {
	case s.Tenant == "" && len(tenants) == 1:
		s.Tenant = tenants[0]
	case s.Tenant == "":
		return fmt.Errorf("%s: tenant: required: config %s has %d tenants (%s)", p.file, s.ConfigPath, len(tenants), strings.Join(tenants, ", "))
	}
	t, ok := settings.Config.Tenants[s.Tenant]
	if !ok {
		return fmt.Errorf("%s: tenant: %q is not a tenant of config %s (tenants: %s)", p.file, s.Tenant, s.ConfigPath, strings.Join(tenants, ", "))
	}
	s.program, s.region = settings.Programs[s.Tenant], t.DefaultRegion
	if s.program == nil {
		return fmt.Errorf("%s: tenant %s: the loyalty program was not compiled", p.file, s.Tenant)
	}
	return nil
}

func (p *parser) env(n *yaml.Node) (map[string]string, error) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return nil, p.fail(n, "env", "must be a map of variable names to values")
	}
	pairs, err := p.pairs(n, "env")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, kv := range pairs {
		v, err := p.str(kv.value, "env."+kv.key.Value)
		if err != nil {
			return nil, err
		}
		out[kv.key.Value] = v
	}
	return out, nil
}

func (p *parser) testCase(n *yaml.Node, path string, loc *time.Location) (Case, error) {
	f, err := p.fields(n, path, "name", "steps", "expect")
	if err != nil {
		return Case{}, err
	}
	var c Case
	nameNode, ok := f["name"]
	if !ok {
		return Case{}, p.fail(n, path+".name", "required")
	}
	if c.Name, err = p.str(nameNode, path+".name"); err != nil {
		return Case{}, err
	}
	if strings.TrimSpace(c.Name) == "" {
		return Case{}, p.fail(nameNode, path+".name", "must not be empty")
	}
	path = fmt.Sprintf("%s (%s)", path, c.Name)
	steps, ok := f["steps"]
	if !ok {
		return Case{}, p.fail(n, path+".steps", "required: a list of steps")
	}
	steps = resolve(steps)
	if steps.Kind != yaml.SequenceNode || len(steps.Content) == 0 {
		return Case{}, p.fail(steps, path+".steps", "must be a non-empty list of steps")
	}
	for i, sn := range steps.Content {
		st, err := p.step(sn, fmt.Sprintf("%s.steps[%d]", path, i), c.Name, i, loc)
		if err != nil {
			return Case{}, err
		}
		c.Steps = append(c.Steps, st)
	}
	exp, ok := f["expect"]
	if !ok {
		return Case{}, p.fail(n, path+".expect", "required: what the member should have after the steps")
	}
	if c.Expect, err = p.expect(exp, path+".expect"); err != nil {
		return Case{}, err
	}
	if c.Expect.Phone == "" && c.Expect.Email == "" {
		c.Expect.Phone = firstPhone(c.Steps)
		if c.Expect.Phone == "" {
			return Case{}, p.fail(exp, path+".expect.phone", "required: no step names a member by phone (a member without one is checked by expect.email)")
		}
	}
	return c, nil
}

// firstPhone returns the phone of the first step that names one.
func firstPhone(steps []Step) string {
	for _, st := range steps {
		switch {
		case st.Event != nil:
			var d struct {
				Phone string `json:"phone"`
			}
			if json.Unmarshal(st.Event.Data, &d) == nil && d.Phone != "" {
				return d.Phone
			}
		case st.Adjust != nil && st.Adjust.Phone != "":
			return st.Adjust.Phone
		}
	}
	return ""
}

func (p *parser) step(n *yaml.Node, path, caseName string, index int, loc *time.Location) (Step, error) {
	n = resolve(n)
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "id" || n.Content[i].Value == "at" {
				return Step{}, p.fail(n.Content[i], path+"."+n.Content[i].Value,
					"belongs inside the step's event or adjust, such as event: {%s: ...}", n.Content[i].Value)
			}
		}
	}
	f, err := p.fields(n, path, "event", "sweep", "adjust", "error")
	if err != nil {
		return Step{}, err
	}
	var kinds []string
	for _, k := range []string{"event", "sweep", "adjust"} {
		if _, ok := f[k]; ok {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 {
		return Step{}, p.fail(n, path, "a step is exactly one of event, sweep or adjust; got %s", orNone(kinds))
	}
	var st Step
	if e, ok := f["error"]; ok {
		if st.Error, err = p.str(e, path+".error"); err != nil {
			return Step{}, err
		}
		if st.Error == "" {
			return Step{}, p.fail(e, path+".error", "must not be empty: the text the step's error must contain")
		}
	}
	defaultAt := DefaultStart.Add(time.Duration(index) * time.Minute)
	defaultID := event.DerivedID("ev_", "programtest", caseName, strconv.Itoa(index))
	switch kinds[0] {
	case "event":
		st.Event, err = p.event(f["event"], path+".event", defaultID, defaultAt, loc)
	case "sweep":
		var t time.Time
		t, err = p.time(f["sweep"], path+".sweep", loc)
		st.Sweep = &t
	case "adjust":
		st.Adjust, err = p.adjust(f["adjust"], path+".adjust", defaultID, defaultAt, loc)
	}
	return st, err
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, " and ")
}

func (p *parser) event(n *yaml.Node, path, id string, at time.Time, loc *time.Location) (*event.Event, error) {
	f, err := p.fields(n, path, "id", "type", "at", "data")
	if err != nil {
		return nil, err
	}
	ev := &event.Event{ID: id, OccurredAt: at, Data: json.RawMessage(`{}`)}
	if v, ok := f["id"]; ok {
		if ev.ID, err = p.nonEmpty(v, path+".id"); err != nil {
			return nil, err
		}
	}
	tn, ok := f["type"]
	if !ok {
		return nil, p.fail(resolve(n), path+".type", "required, such as order.paid")
	}
	if ev.Type, err = p.nonEmpty(tn, path+".type"); err != nil {
		return nil, err
	}
	if v, ok := f["at"]; ok {
		if ev.OccurredAt, err = p.time(v, path+".at", loc); err != nil {
			return nil, err
		}
	}
	if v, ok := f["data"]; ok {
		if resolve(v).Kind != yaml.MappingNode {
			return nil, p.fail(v, path+".data", "must be a map: the event's data")
		}
		data, err := p.value(v, path+".data")
		if err != nil {
			return nil, err
		}
		if ev.Data, err = json.Marshal(data); err != nil {
			return nil, p.fail(v, path+".data", "%v", err)
		}
	}
	return ev, nil
}

func (p *parser) adjust(n *yaml.Node, path, id string, at time.Time, loc *time.Location) (*Adjust, error) {
	f, err := p.fields(n, path, "id", "phone", "member_id", "points", "reason", "at")
	if err != nil {
		return nil, err
	}
	a := &Adjust{ID: id, At: at}
	if v, ok := f["id"]; ok {
		if a.ID, err = p.nonEmpty(v, path+".id"); err != nil {
			return nil, err
		}
	}
	if v, ok := f["phone"]; ok {
		if a.Phone, err = p.nonEmpty(v, path+".phone"); err != nil {
			return nil, err
		}
	}
	if v, ok := f["member_id"]; ok {
		if a.MemberID, err = p.nonEmpty(v, path+".member_id"); err != nil {
			return nil, err
		}
	}
	if (a.Phone == "") == (a.MemberID == "") {
		return nil, p.fail(resolve(n), path, "give exactly one of phone and member_id")
	}
	v, ok := f["points"]
	if !ok {
		return nil, p.fail(resolve(n), path+".points", "required: the points to add (or, negative, to deduct)")
	}
	if a.Points, err = p.int(v, path+".points"); err != nil {
		return nil, err
	}
	if v, ok := f["reason"]; ok {
		if a.Reason, err = p.str(v, path+".reason"); err != nil {
			return nil, err
		}
	}
	if v, ok := f["at"]; ok {
		if a.At, err = p.time(v, path+".at", loc); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (p *parser) expect(n *yaml.Node, path string) (Expect, error) {
	f, err := p.fields(n, path, "phone", "email", "balance", "pending", "outcomes", "entries", "tier")
	if err != nil {
		return Expect{}, err
	}
	var e Expect
	if v, ok := f["phone"]; ok {
		if e.Phone, err = p.nonEmpty(v, path+".phone"); err != nil {
			return Expect{}, err
		}
	}
	if v, ok := f["email"]; ok {
		if e.Email, err = p.nonEmpty(v, path+".email"); err != nil {
			return Expect{}, err
		}
		if member.NormalizeEmail(e.Email) == "" {
			return Expect{}, p.fail(v, path+".email", "%q is not an email address", e.Email)
		}
		if e.Phone != "" {
			return Expect{}, p.fail(v, path+".email", "give phone or email, not both: they name the member checked")
		}
	}
	if v, ok := f["tier"]; ok {
		if e.Tier, err = p.nonEmpty(v, path+".tier"); err != nil {
			return Expect{}, err
		}
	}
	for _, k := range []struct {
		key string
		dst **int64
	}{{"balance", &e.Balance}, {"pending", &e.Pending}} {
		if v, ok := f[k.key]; ok {
			x, err := p.int(v, path+"."+k.key)
			if err != nil {
				return Expect{}, err
			}
			*k.dst = &x
		}
	}
	if v, ok := f["entries"]; ok {
		x, err := p.int(v, path+".entries")
		if err != nil {
			return Expect{}, err
		}
		if x < 0 {
			return Expect{}, p.fail(v, path+".entries", "must not be negative, got %d", x)
		}
		k := int(x)
		e.Entries = &k
	}
	if v, ok := f["outcomes"]; ok {
		v = resolve(v)
		if v.Kind != yaml.SequenceNode {
			return Expect{}, p.fail(v, path+".outcomes", "must be a list of outcome types, such as [member.joined, points.earned]")
		}
		e.CheckOutcomes, e.Outcomes = true, []string{}
		for i, o := range v.Content {
			s, err := p.nonEmpty(o, fmt.Sprintf("%s.outcomes[%d]", path, i))
			if err != nil {
				return Expect{}, err
			}
			e.Outcomes = append(e.Outcomes, s)
		}
	}
	if e.Balance == nil && e.Pending == nil && e.Entries == nil && !e.CheckOutcomes && e.Tier == "" {
		return Expect{}, p.fail(n, path, "nothing to check: give balance, pending, tier, outcomes or entries")
	}
	return e, nil
}

// parser reads a test file's YAML nodes, reporting errors with the file,
// the line and the key path.
type parser struct {
	file string
}

func (p *parser) fail(n *yaml.Node, path, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	return fmt.Errorf("%s:%d: %s", p.file, n.Line, msg)
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

type pair struct{ key, value *yaml.Node }

// pairs returns a mapping's entries with merge keys (<<: *anchor) expanded;
// an entry written in the mapping wins over a merged one.
func (p *parser) pairs(n *yaml.Node, path string) ([]pair, error) {
	var own, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag == "!!merge" {
			sources := []*yaml.Node{resolve(v)}
			if sources[0].Kind == yaml.SequenceNode {
				sources = sources[0].Content
			}
			for _, src := range sources {
				src = resolve(src)
				if src.Kind != yaml.MappingNode {
					return nil, p.fail(k, path, "<< must merge a map")
				}
				ps, err := p.pairs(src, path)
				if err != nil {
					return nil, err
				}
				merged = append(merged, ps...)
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, p.fail(k, path, "keys must be plain strings")
		}
		own = append(own, pair{k, v})
	}
	seen := map[string]bool{}
	var out []pair
	for _, kv := range own {
		if seen[kv.key.Value] {
			return nil, p.fail(kv.key, joinPath(path, kv.key.Value), "duplicate key")
		}
		seen[kv.key.Value] = true
		out = append(out, kv)
	}
	for _, kv := range merged {
		if !seen[kv.key.Value] {
			seen[kv.key.Value] = true
			out = append(out, kv)
		}
	}
	return out, nil
}

// fields returns a mapping's values by key, rejecting keys not in allowed.
func (p *parser) fields(n *yaml.Node, path string, allowed ...string) (map[string]*yaml.Node, error) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		what := "the file"
		if path != "" {
			what = path
		}
		return nil, p.fail(n, "", "%s must be a map with keys %s", what, strings.Join(allowed, ", "))
	}
	pairs, err := p.pairs(n, path)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*yaml.Node, len(pairs))
	for _, kv := range pairs {
		ok := false
		for _, a := range allowed {
			ok = ok || a == kv.key.Value
		}
		if !ok {
			return nil, p.fail(kv.key, joinPath(path, kv.key.Value), "unknown key (known: %s)", strings.Join(allowed, ", "))
		}
		out[kv.key.Value] = kv.value
	}
	return out, nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// str reads any scalar but null as its text, so an unquoted 0812345 stays
// as written.
func (p *parser) str(n *yaml.Node, path string) (string, error) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return "", p.fail(n, path, "must be a string")
	}
	return n.Value, nil
}

func (p *parser) nonEmpty(n *yaml.Node, path string) (string, error) {
	s, err := p.str(n, path)
	if err == nil && strings.TrimSpace(s) == "" {
		err = p.fail(resolve(n), path, "must not be empty")
	}
	return s, err
}

func (p *parser) int(n *yaml.Node, path string) (int64, error) {
	n = resolve(n)
	var x int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&x) != nil {
		return 0, p.fail(n, path, "must be an integer, got %q", n.Value)
	}
	return x, nil
}

// time reads an RFC 3339 time, or a local date or date-time in loc.
func (p *parser) time(n *yaml.Node, path string, loc *time.Location) (time.Time, error) {
	s, err := p.str(n, path)
	if err != nil {
		return time.Time{}, err
	}
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	t, err := config.ParseLocal(s, loc)
	if err != nil {
		return time.Time{}, p.fail(resolve(n), path, "%q is not a time: write 2026-11-23T08:00:00+07:00, or 2026-11-23 or 2026-11-23T08:00 in the tenant's time zone", s)
	}
	return t, nil
}

// value converts a node to what encoding/json writes: maps, lists,
// strings, numbers, booleans and null. Timestamps stay strings as written.
func (p *parser) value(n *yaml.Node, path string) (any, error) {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		pairs, err := p.pairs(n, path)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(pairs))
		for _, kv := range pairs {
			v, err := p.value(kv.value, joinPath(path, kv.key.Value))
			if err != nil {
				return nil, err
			}
			out[kv.key.Value] = v
		}
		return out, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			v, err := p.value(c, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, p.fail(n, path, "%v", err)
			}
			return b, nil
		case "!!int":
			var x int64
			if err := n.Decode(&x); err != nil {
				return nil, p.fail(n, path, "%v", err)
			}
			return x, nil
		case "!!float":
			var x float64
			if err := n.Decode(&x); err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
				return nil, p.fail(n, path, "%q is not a number JSON can carry", n.Value)
			}
			return x, nil
		default:
			return n.Value, nil
		}
	}
	return nil, p.fail(n, path, "unsupported YAML value")
}
