// Package config loads the hub's configuration: a YAML file and LOYALHUB_*
// environment overrides read with koanf, decoded strictly, given their
// defaults and validated (core/config holds the types and their rules; this
// package adds the connector blocks, mappings, notification rules and bot
// catalogs, which need the connector registry). It also lints tenants'
// mappings against recorded payloads.
package config

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"

	"github.com/loyalhub/loyalhub/connectors"
	core "github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/journey"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/mappings"
)

// EnvPrefix starts the names of environment variables that override
// configuration keys: LOYALHUB_SERVER__ADMIN_TOKEN sets server.admin_token.
const EnvPrefix = "LOYALHUB_"

// envNesting separates nested keys in an override variable's name.
const envNesting = "__"

// ConnectorSettings is one connector instance, decoded and validated.
type ConnectorSettings struct {
	// Name is the instance name, the key in the tenant's connectors map.
	Name string
	Spec connectors.Spec
	// Config is the spec's config type, decoded from the block and
	// validated.
	Config connectors.Config
	// Mapping is the effective jq source: the block's mapping override, or
	// the spec's bundled mapping; empty for senders.
	Mapping string
	// Program is Mapping compiled; nil for senders.
	Program *mappings.Program
}

// Settings is a loaded, validated configuration.
type Settings struct {
	Config core.Config
	// Connectors holds every tenant's connector instances: tenant id →
	// instance name → settings.
	Connectors map[string]map[string]ConnectorSettings
	// Renderers holds every tenant's compiled notification rules, in the
	// order of its notifications list.
	Renderers map[string][]*messaging.Renderer
	// Journeys holds every tenant's compiled journeys, in the order of its
	// journeys list.
	Journeys map[string][]*journey.Journey
	// Programs holds every tenant's compiled loyalty program.
	Programs map[string]*loyalty.Program
	// Bots holds each tenant's chatbot language: its message catalog and
	// keywords with the tenant's overrides.
	Bots map[string]BotLanguage
	// Warnings are what the configuration should change but that does not
	// stop it from loading, such as a deprecated key, each starting with
	// its key path; the hub logs them when it starts.
	Warnings []string
}

// deprecatedKeys are keys of earlier releases that a configuration may
// still hold: each is ignored, with a warning saying why.
var deprecatedKeys = map[string]string{
	"pipeline.scheduler.concurrency": "deprecated and ignored: a sweep no longer updates members concurrently" +
		" but pipeline.scheduler.batch members per store transaction; remove the key",
}

// BotLanguage is a tenant's chatbot catalog and keywords.
type BotLanguage struct {
	Catalog  *conversation.Catalog
	Keywords conversation.Keywords
}

// Load loads the YAML file at path (empty: defaults and environment
// only), applies LOYALHUB_* environment overrides, expands ${VAR} and
// ${VAR:-default} references from environ, decodes strictly, applies
// defaults and validates everything, including each connector block against
// its registered spec, mappings and notification expressions. Problems with
// the configuration are returned together as core.Errors.
func Load(path string, environ []string, reg *connectors.Registry) (*Settings, error) {
	if path == "" {
		return parseFrom(nil, environ, reg)
	}
	return parseFrom(file.Provider(path), environ, reg)
}

// Parse is Load reading the YAML from yamlBytes.
func Parse(yamlBytes []byte, environ []string, reg *connectors.Registry) (*Settings, error) {
	if len(yamlBytes) == 0 {
		return parseFrom(nil, environ, reg)
	}
	return parseFrom(bytesProvider(yamlBytes), environ, reg)
}

// bytesProvider is a koanf.Provider of in-memory bytes.
type bytesProvider []byte

func (b bytesProvider) ReadBytes() ([]byte, error) { return b, nil }

func (b bytesProvider) Read() (map[string]any, error) {
	return nil, errors.New("bytes provider does not support Read")
}

func parseFrom(src koanf.Provider, environ []string, reg *connectors.Registry) (*Settings, error) {
	ko := koanf.New(".")
	if src != nil {
		if err := ko.Load(src, yaml.Parser()); err != nil {
			return nil, fmt.Errorf("reading config: %w", err)
		}
	}
	if err := ko.Load(env.Provider(".", env.Opt{
		Prefix:        EnvPrefix,
		TransformFunc: envKey,
		EnvironFunc:   func() []string { return environ },
	}), nil); err != nil {
		return nil, fmt.Errorf("reading environment overrides: %w", err)
	}

	var errs core.Errors
	raw, _ := expandVars(ko.Raw(), "", envMap(environ), &errs).(map[string]any)
	expanded := koanf.New(".")
	if err := expanded.Load(confmap.Provider(raw, ""), nil); err != nil {
		return nil, fmt.Errorf("loading expanded config: %w", err)
	}

	warnings := dropDeprecated(expanded)

	cfg := core.Default()
	// The SQLite path defaults to one under data_dir, known only once
	// data_dir is decoded.
	cfg.Store.SQLite.Path = ""
	// The OpenTelemetry variables fill what the file leaves unset, known
	// only once it is decoded.
	cfg.Telemetry = core.Telemetry{}
	errs = append(errs, decodeStrict(expanded, "", &cfg)...)
	cfg.Telemetry.ApplyEnv(envMap(environ))
	applyDefaults(&cfg, expanded)
	errs = append(errs, cfg.Validate()...)

	s := &Settings{
		Config: cfg, Connectors: map[string]map[string]ConnectorSettings{},
		Renderers: map[string][]*messaging.Renderer{}, Programs: map[string]*loyalty.Program{},
		Journeys: map[string][]*journey.Journey{},
		Bots:     map[string]BotLanguage{}, Warnings: warnings,
	}
	for _, id := range sortedKeys(cfg.Tenants) {
		t := cfg.Tenants[id]
		s.Connectors[id] = map[string]ConnectorSettings{}
		for _, name := range sortedKeys(t.Connectors) {
			cs, cerrs := connectorSettings(reg, id, name, t.Connectors[name])
			errs = append(errs, cerrs...)
			if len(cerrs) == 0 && cs.Spec.Name != "" {
				s.Connectors[id][name] = cs
			}
		}
		renderers, nerrs := compileNotifications(reg, id, t)
		s.Renderers[id] = renderers
		errs = append(errs, nerrs...)
		journeys, jerrs := compileJourneys(reg, id, t)
		s.Journeys[id] = journeys
		errs = append(errs, jerrs...)
		bot, berrs := botLanguage(id, t.Conversation)
		s.Bots[id] = bot
		errs = append(errs, berrs...)
		loc, err := time.LoadLocation(t.Timezone)
		if err != nil {
			continue // reported by Validate
		}
		prog, err := loyalty.Compile(id, t.Loyalty, loc)
		if err != nil {
			errs = append(errs, core.Prefix("tenants."+id+".loyalty", err)...)
			continue
		}
		s.Programs[id] = prog
	}
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	return s, nil
}

// dropDeprecated removes the deprecated keys ko holds, before the strict
// decoding would refuse them, and returns a warning for each.
func dropDeprecated(ko *koanf.Koanf) []string {
	var warnings []string
	for _, key := range sortedKeys(deprecatedKeys) {
		if ko.Exists(key) {
			ko.Delete(key)
			warnings = append(warnings, key+": "+deprecatedKeys[key])
		}
	}
	return warnings
}

// applyDefaults fills unset values, keeping the settings where zero is a
// meaningful value written on purpose.
func applyDefaults(cfg *core.Config, ko *koanf.Koanf) {
	noRetries := cfg.Pipeline.Retry.MaxRetries == 0 && ko.Exists("pipeline.retry.max_retries")
	noSamples := cfg.Telemetry.SampleRatio == 0 && ko.Exists("telemetry.sample_ratio")
	cfg.ApplyDefaults()
	if noRetries {
		cfg.Pipeline.Retry.MaxRetries = 0
	}
	if noSamples {
		cfg.Telemetry.SampleRatio = 0
	}
}

// connectorSettings resolves one connector block against its spec.
func connectorSettings(reg *connectors.Registry, tenant, name string, c core.Connector) (ConnectorSettings, core.Errors) {
	path := "tenants." + tenant + ".connectors." + name
	if c.Type == "" {
		return ConnectorSettings{}, nil // reported by Validate
	}
	spec, ok := reg.Lookup(c.Type)
	if !ok {
		known := make([]string, 0)
		for _, s := range reg.Specs() {
			known = append(known, s.Name)
		}
		return ConnectorSettings{}, core.Errors{{
			Path: path + ".type",
			Msg:  fmt.Sprintf("unknown connector type %q (known: %s)", c.Type, strings.Join(known, ", ")),
		}}
	}

	cs := ConnectorSettings{Name: name, Spec: spec, Config: spec.NewConfig()}
	var errs core.Errors
	if reflect.ValueOf(cs.Config).Kind() != reflect.Pointer {
		return ConnectorSettings{}, core.Errors{{
			Path: path,
			Msg:  fmt.Sprintf("connector type %q: NewConfig returns %T, not a pointer", c.Type, cs.Config),
		}}
	}
	settings := koanf.New(".")
	if err := settings.Load(confmap.Provider(c.Settings, ""), nil); err != nil {
		return ConnectorSettings{}, core.Errors{{Path: path, Msg: err.Error()}}
	}
	if derrs := decodeStrict(settings, path, cs.Config); len(derrs) > 0 {
		errs = append(errs, derrs...)
	} else {
		errs = append(errs, core.Prefix(path, cs.Config.Validate())...)
	}

	switch {
	case c.Mapping != "" && !spec.Has(connectors.KindSource):
		errs = append(errs, &core.FieldError{
			Path: path + ".mapping",
			Msg:  fmt.Sprintf("connector type %q receives no events to map", c.Type),
		})
	case c.Mapping != "":
		cs.Mapping = c.Mapping
	case spec.Has(connectors.KindSource):
		bundled := spec.Mapping
		if spec.MappingOf != nil && len(errs) == 0 {
			bundled = spec.MappingOf(cs.Config)
		}
		src, ok := mappings.Bundled(bundled)
		if !ok {
			errs = append(errs, &core.FieldError{
				Path: path + ".mapping",
				Msg:  fmt.Sprintf("required: connector type %q has no bundled mapping %q", c.Type, bundled),
			})
		}
		cs.Mapping = src
	}
	if cs.Mapping != "" {
		prog, err := mappings.Compile(tenant+"/"+name, cs.Mapping)
		if err != nil {
			errs = append(errs, &core.FieldError{Path: path + ".mapping", Msg: err.Error()})
		}
		cs.Program = prog
	}
	return cs, errs
}

// compileNotifications compiles a tenant's notification rules and checks that
// each one's sender can send.
func compileNotifications(reg *connectors.Registry, tenant string, t core.Tenant) ([]*messaging.Renderer, core.Errors) {
	var errs core.Errors
	var renderers []*messaging.Renderer
	for i, n := range t.Notifications {
		path := fmt.Sprintf("tenants.%s.notifications[%d]", tenant, i)
		r, err := messaging.NewRenderer(tenant, n)
		if err != nil {
			errs = append(errs, core.Prefix(path, err)...)
		}
		renderers = append(renderers, r)
		errs = append(errs, senderErrors(reg, t, path, n.Sender)...)
	}
	return renderers, errs
}

// compileJourneys compiles a tenant's journeys and checks that each one's
// sender can send.
func compileJourneys(reg *connectors.Registry, tenant string, t core.Tenant) ([]*journey.Journey, core.Errors) {
	var errs core.Errors
	var out []*journey.Journey
	for i, c := range t.Journeys {
		path := fmt.Sprintf("tenants.%s.journeys[%d]", tenant, i)
		j, err := journey.Compile(tenant, c)
		if err != nil {
			errs = append(errs, core.Prefix(path, err)...)
		}
		out = append(out, j)
		errs = append(errs, senderErrors(reg, t, path, c.Sender)...)
	}
	return out, errs
}

// senderErrors reports a connector that cannot send named at path.sender.
func senderErrors(reg *connectors.Registry, t core.Tenant, path, sender string) core.Errors {
	c, ok := t.Connectors[sender]
	if !ok {
		return nil // reported by Validate
	}
	if spec, ok := reg.Lookup(c.Type); ok && !spec.Has(connectors.KindSender) {
		return core.Errors{{Path: path + ".sender", Msg: fmt.Sprintf("connector %q (type %s) cannot send messages", sender, c.Type)}}
	}
	return nil
}

// decodeStrict decodes the whole of ko into out (a pointer), reporting type
// mismatches and unknown keys with their full paths under prefix.
func decodeStrict(ko *koanf.Koanf, prefix string, out any) core.Errors {
	var md mapstructure.Metadata
	dc := &mapstructure.DecoderConfig{
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			durationHook,
			mapstructure.StringToTimeDurationHookFunc(),
		),
		WeaklyTypedInput: true,
		Metadata:         &md,
		MatchName:        func(key, field string) bool { return key == field },
	}
	err := ko.UnmarshalWithConf("", out, koanf.UnmarshalConf{Tag: "koanf", DecoderConfig: dc})

	t := reflect.TypeOf(out)
	var errs core.Errors
	for _, de := range decodeErrors(err) {
		errs = append(errs, &core.FieldError{Path: core.Join(prefix, keyPath(t, de.Name())), Msg: decodeMsg(de)})
	}
	if err != nil && len(errs) == 0 {
		errs = append(errs, &core.FieldError{Path: prefix, Msg: err.Error()})
	}
	for _, name := range md.Unused {
		errs = append(errs, &core.FieldError{Path: core.Join(prefix, keyPath(t, name)), Msg: "unknown key"})
	}
	return errs
}

// decodeErrors returns the innermost *mapstructure.DecodeError values of
// err, which mapstructure joins per struct and map.
func decodeErrors(err error) []*mapstructure.DecodeError {
	switch x := err.(type) {
	case nil:
		return nil
	case interface{ Unwrap() []error }:
		var out []*mapstructure.DecodeError
		for _, e := range x.Unwrap() {
			out = append(out, decodeErrors(e)...)
		}
		return out
	case *mapstructure.DecodeError:
		if inner := decodeErrors(x.Unwrap()); len(inner) > 0 {
			return inner
		}
		return []*mapstructure.DecodeError{x}
	default:
		return decodeErrors(errors.Unwrap(err))
	}
}

// decodeMsg is a decode error's message without mapstructure's quoting of
// the field name.
func decodeMsg(de *mapstructure.DecodeError) string {
	var pe *mapstructure.ParseError
	if errors.As(de, &pe) {
		v := fmt.Sprint(pe.Value)
		if str, ok := pe.Value.(string); ok {
			v = strconv.Quote(str)
		}
		return fmt.Sprintf("%s is not a valid %s", v, pe.Expected.Type())
	}
	var ue *mapstructure.UnconvertibleTypeError
	if errors.As(de, &ue) {
		return fmt.Sprintf("expected %s, got %s", ue.Expected.Type(), kindName(ue.Value))
	}
	if de.Unwrap() != nil {
		return de.Unwrap().Error()
	}
	return strings.TrimPrefix(de.Error(), "'"+de.Name()+"' ")
}

// kindName describes a YAML value's kind for error messages.
func kindName(v any) string {
	switch reflect.ValueOf(v).Kind() {
	case reflect.Map:
		return "a map"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Invalid:
		return "nothing"
	default:
		return fmt.Sprintf("%v", v)
	}
}

// durationHook rejects a bare non-zero number for a duration, which
// would otherwise be read as nanoseconds.
func durationHook(from, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeFor[time.Duration]() {
		return data, nil
	}
	switch from.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		if reflect.ValueOf(data).IsZero() {
			return time.Duration(0), nil
		}
		return nil, fmt.Errorf("%v is not a duration: add a unit, such as 30s or 5m", data)
	case reflect.String:
		if _, err := time.ParseDuration(data.(string)); err != nil {
			return nil, fmt.Errorf("%q is not a duration, such as 30s or 5m", data)
		}
	}
	return data, nil
}

// keyPath turns a mapstructure field name ("tenants[demo].notifications[0].x")
// into the YAML key path ("tenants.demo.notifications[0].x"), using the
// decoded type to tell map keys from list indexes.
func keyPath(t reflect.Type, name string) string {
	var b strings.Builder
	write := func(seg string, index bool) {
		switch {
		case index:
			b.WriteString("[" + seg + "]")
		case b.Len() == 0:
			b.WriteString(seg)
		default:
			b.WriteString("." + seg)
		}
	}
	for name != "" {
		t = deref(t)
		if name[0] == '.' {
			name = name[1:]
			continue
		}
		if name[0] == '[' {
			end := strings.IndexByte(name, ']')
			if end < 0 {
				end = len(name)
			}
			seg := name[1:end]
			name = name[min(end+1, len(name)):]
			switch {
			case t != nil && t.Kind() == reflect.Map:
				write(seg, false)
				t = t.Elem()
			case t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
				write(seg, true)
				t = t.Elem()
			default:
				_, err := strconv.Atoi(seg)
				write(seg, err == nil)
				t = nil
			}
			continue
		}
		end := strings.IndexAny(name, ".[")
		if end < 0 {
			end = len(name)
		}
		seg := name[:end]
		name = name[end:]
		write(seg, false)
		t = fieldType(t, seg)
	}
	return b.String()
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// fieldType returns the type of the struct field tagged key, or nil.
func fieldType(t reflect.Type, key string) reflect.Type {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
		if tag == key || (tag == "" && f.Name == key) {
			return f.Type
		}
	}
	return nil
}

// topLevelKeys are the keys an environment override may start with; other
// LOYALHUB_ variables (such as LOYALHUB_CONFIG) are left alone.
var topLevelKeys = func() map[string]bool {
	keys := map[string]bool{}
	t := reflect.TypeFor[core.Config]()
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("koanf"), ","); tag != "" {
			keys[tag] = true
		}
	}
	return keys
}()

// envKey maps LOYALHUB_TENANTS__DEMO__CONNECTORS__POS__SECRET to
// tenants.demo.connectors.pos.secret.
func envKey(k, v string) (string, any) {
	k = strings.ToLower(strings.TrimPrefix(k, EnvPrefix))
	first, _, _ := strings.Cut(k, envNesting)
	if !topLevelKeys[first] {
		return "", nil
	}
	return strings.ReplaceAll(k, envNesting, "."), v
}

// envMap indexes environ ("K=V" entries; the last one of a name wins).
func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// expandVars returns a copy of v with ${VAR} references in its strings
// expanded, adding an error for each string that cannot be.
func expandVars(v any, path string, vars map[string]string, errs *core.Errors) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = expandVars(e, core.Join(path, k), vars, errs)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = expandVars(e, fmt.Sprintf("%s[%d]", path, i), vars, errs)
		}
		return out
	case string:
		s, err := expandString(x, vars)
		if err != nil {
			*errs = append(*errs, &core.FieldError{Path: path, Msg: err.Error()})
			return x
		}
		return s
	default:
		return v
	}
}

// expandString replaces ${VAR} with the variable's value and ${VAR:-def}
// with its value, or def when it is unset or empty. $${ stands for a
// literal ${.
func expandString(s string, vars map[string]string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1] + "${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", s[i:])
		}
		ref := s[i+2 : i+end]
		s = s[i+end+1:]
		name, def, hasDef := strings.Cut(ref, ":-")
		if !varName(name) {
			return "", fmt.Errorf("${%s}: %q is not a variable name", ref, name)
		}
		val, set := vars[name]
		switch {
		case hasDef && val == "":
			b.WriteString(def)
		case set:
			b.WriteString(val)
		default:
			return "", fmt.Errorf("environment variable %s is not set (write ${%s:-default} to give a default)", name, name)
		}
	}
}

// RequiredVars lists the environment variables a config text references as
// ${NAME} without a default, with the syntax the loader expands:
// ${NAME:-default} needs no value, and $${ is a literal ${.
func RequiredVars(configText []byte) []string {
	var names []string
	s := string(configText)
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return names
		}
		if i > 0 && s[i-1] == '$' {
			s = s[i+2:]
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return names
		}
		name, _, hasDefault := strings.Cut(s[i+2:i+end], ":-")
		if !hasDefault && varName(name) {
			names = append(names, name)
		}
		s = s[i+end+1:]
	}
}

func varName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// botLanguage compiles a tenant's chatbot language: the default catalog and
// keywords with the tenant's overrides, each wrong one reported at its key.
func botLanguage(tenant string, c core.Conversation) (BotLanguage, core.Errors) {
	base := "tenants." + tenant + ".conversation"
	var errs core.Errors
	overrideErrs := func(section string, err error) {
		var joined interface{ Unwrap() []error }
		list := []error{err}
		if errors.As(err, &joined) {
			list = joined.Unwrap()
		}
		for _, e := range list {
			var oe *conversation.OverrideError
			if errors.As(e, &oe) {
				errs = append(errs, &core.FieldError{Path: base + "." + section + "." + oe.Path, Msg: oe.Msg})
				continue
			}
			errs = append(errs, &core.FieldError{Path: base + "." + section, Msg: e.Error()})
		}
	}
	bot := BotLanguage{Catalog: conversation.DefaultCatalog(), Keywords: conversation.DefaultKeywords()}
	if cat, err := bot.Catalog.With(c.Messages); err != nil {
		overrideErrs("messages", err)
	} else {
		bot.Catalog = cat
	}
	if kw, err := bot.Keywords.With(c.Keywords); err != nil {
		overrideErrs("keywords", err)
	} else {
		bot.Keywords = kw
	}
	if c.JoinKeyword != "" {
		if kw, err := bot.Keywords.WithJoinKeyword(c.JoinKeyword); err != nil {
			errs = append(errs, &core.FieldError{Path: base + ".join_keyword", Msg: err.Error()})
		} else {
			bot.Keywords = kw
		}
	}
	return bot, errs
}
