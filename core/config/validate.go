package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// FieldError is a problem with one configuration key. Path is the full
// dotted key path as written in YAML, such as
// "tenants.demo.notifications[0].template.name".
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Errors is every problem found in a configuration. A nil or empty Errors
// means the configuration is valid; use Err to turn it into an error that is
// nil when there are none.
type Errors []*FieldError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns es as an error, or nil when es holds no entries.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// Sort orders the errors by path, keeping the order of errors on one path.
func (es Errors) Sort() {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Path < es[j].Path })
}

// Join appends the path to a child key: Join("a", "b") is "a.b",
// Join("a", "[0]") is "a[0]", and an empty side leaves the other.
func Join(prefix, path string) string {
	switch {
	case prefix == "":
		return path
	case path == "":
		return prefix
	case strings.HasPrefix(path, "["):
		return prefix + path
	default:
		return prefix + "." + path
	}
}

// Prefix re-roots err under prefix. err may be a *FieldError (its path is
// relative to prefix), an Errors, an errors.Join of those, or any other
// error. Another error whose text starts with a relative key path and ": "
// ("breaker.open_for: must be positive") is placed at that key; any other
// becomes one FieldError at prefix. A nil err yields nil.
func Prefix(prefix string, err error) Errors {
	if err == nil {
		return nil
	}
	var out Errors
	var es Errors
	var fe *FieldError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, Prefix(prefix, e)...)
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	switch {
	case errors.As(err, &es):
		for _, e := range es {
			if e != nil {
				out = append(out, &FieldError{Path: Join(prefix, e.Path), Msg: e.Msg})
			}
		}
	case errors.As(err, &fe):
		out = append(out, &FieldError{Path: Join(prefix, fe.Path), Msg: fe.Msg})
	default:
		msg := err.Error()
		if key, rest, ok := strings.Cut(msg, ": "); ok && keyPathPattern.MatchString(key) {
			out = append(out, &FieldError{Path: Join(prefix, key), Msg: rest})
		} else {
			out = append(out, &FieldError{Path: prefix, Msg: msg})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// keyPathPattern is a relative key path as connectors write it at the start
// of an error: "secret", "breaker.max_failures", "items[0].name".
var keyPathPattern = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+|\[[0-9]+\])*$`)

// validator collects errors.
type validator struct{ errs Errors }

func (v *validator) add(path, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) oneOf(path, val string, allowed ...string) {
	for _, a := range allowed {
		if val == a {
			return
		}
	}
	v.add(path, "%q is not one of %s", val, strings.Join(allowed, ", "))
}

func (v *validator) required(path, val string) {
	if strings.TrimSpace(val) == "" {
		v.add(path, "required")
	}
}

func (v *validator) positive(path string, n int64) {
	if n <= 0 {
		v.add(path, "must be positive, got %d", n)
	}
}

func (v *validator) positiveDuration(path string, d time.Duration) {
	if d <= 0 {
		v.add(path, "must be a positive duration, got %s", d)
	}
}

// idPattern is what a tenant or connector id may hold: it appears in URLs.
var idPattern = regexp.MustCompile(`^[a-z0-9_-]+$`)

// decimalPattern is an unsigned decimal number.
var decimalPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// streamPrefixPattern keeps NATS stream and consumer names valid.
var streamPrefixPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Validate checks everything that needs no connector registry and returns
// every problem found, or nil. Call ApplyDefaults first: Validate treats
// unset values as missing.
func (c *Config) Validate() Errors {
	v := &validator{}
	v.required("data_dir", c.DataDir)

	v.required("server.listen", c.Server.Listen)
	v.positive("server.max_body_bytes", c.Server.MaxBodyBytes)
	v.positiveDuration("server.shutdown_timeout", c.Server.ShutdownTimeout)
	if r := c.Server.APIRateLimit.PerSecond; r <= 0 {
		v.add("server.api_rate_limit.per_second", "must be positive, got %g", r)
	}
	v.positive("server.api_rate_limit.burst", int64(c.Server.APIRateLimit.Burst))
	v.positiveDuration("startup.connect_timeout", c.Startup.ConnectTimeout)

	v.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	v.oneOf("log.format", c.Log.Format, "text", "json")

	c.validateQueue(v)
	c.validateStore(v)
	c.validatePipeline(v)
	c.Telemetry.validate(v)

	ids := make([]string, 0, len(c.Tenants))
	for id := range c.Tenants {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t := c.Tenants[id]
		t.validate(v, id)
	}
	apps := make([]string, 0, len(c.WhatsAppApps))
	for name := range c.WhatsAppApps {
		apps = append(apps, name)
	}
	sort.Strings(apps)
	for _, name := range apps {
		p := "whatsapp_apps." + name
		if !idPattern.MatchString(name) {
			v.add(p, "app name %q must be lower-case letters, digits, _ or - (it is part of its URL)", name)
		}
		v.required(p+".app_secret", c.WhatsAppApps[name].AppSecret)
	}
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs
}

func (c *Config) validateQueue(v *validator) {
	q := c.Queue
	v.oneOf("queue.backend", q.Backend, BackendEmbedded, BackendNATS, BackendPostgres, BackendMemory)
	v.positive("queue.subscribers", int64(q.Subscribers))
	if q.MaxAckPending < 0 {
		v.add("queue.max_ack_pending", "must not be negative (0: twice queue.subscribers), got %d", q.MaxAckPending)
	}
	v.positiveDuration("queue.ack_wait", q.AckWait)
	v.positiveDuration("queue.duplicate_window", q.DuplicateWindow)
	v.positiveDuration("queue.max_age", q.MaxAge)
	if q.DuplicateWindow > 0 && q.MaxAge > 0 && q.DuplicateWindow > q.MaxAge {
		v.add("queue.duplicate_window", "must not exceed queue.max_age (%s)", q.MaxAge)
	}

	v.positiveDuration("queue.embedded.sync_interval", q.Embedded.SyncInterval)
	v.positive("queue.embedded.max_store_bytes", q.Embedded.MaxStoreBytes)

	if q.Backend == BackendNATS {
		v.required("queue.nats.url", q.NATS.URL)
	}
	if q.NATS.Replicas < 1 || q.NATS.Replicas > 5 {
		v.add("queue.nats.replicas", "must be between 1 and 5, got %d", q.NATS.Replicas)
	}
	if !streamPrefixPattern.MatchString(q.NATS.StreamPrefix) {
		v.add("queue.nats.stream_prefix", "%q must be letters, digits, _ or -", q.NATS.StreamPrefix)
	}

	if q.Backend == BackendPostgres {
		v.required("queue.postgres.dsn", q.Postgres.DSN)
	}
	v.positive("queue.postgres.subscribe_batch_size", int64(q.Postgres.SubscribeBatchSize))
	v.positiveDuration("queue.postgres.poll_interval", q.Postgres.PollInterval)
}

func (c *Config) validateStore(v *validator) {
	s := c.Store
	v.oneOf("store.driver", s.Driver, DriverSQLite, DriverPostgres)
	switch s.Driver {
	case DriverSQLite:
		v.required("store.sqlite.path", s.SQLite.Path)
	case DriverPostgres:
		v.required("store.postgres.dsn", s.Postgres.DSN)
	}
	v.positive("store.postgres.max_conns", int64(s.Postgres.MaxConns))
}

func (c *Config) validatePipeline(v *validator) {
	p := c.Pipeline
	v.positiveDuration("pipeline.handler_timeout", p.HandlerTimeout)
	if p.Retry.MaxRetries < 0 {
		v.add("pipeline.retry.max_retries", "must not be negative, got %d", p.Retry.MaxRetries)
	}
	v.positiveDuration("pipeline.retry.initial_interval", p.Retry.InitialInterval)
	v.positiveDuration("pipeline.retry.max_interval", p.Retry.MaxInterval)
	if p.Retry.InitialInterval > 0 && p.Retry.MaxInterval > 0 && p.Retry.MaxInterval < p.Retry.InitialInterval {
		v.add("pipeline.retry.max_interval", "must not be below pipeline.retry.initial_interval (%s)", p.Retry.InitialInterval)
	}
	if p.Retry.Multiplier < 1 {
		v.add("pipeline.retry.multiplier", "must be at least 1, got %g", p.Retry.Multiplier)
	}
	if p.Batch.Size < 0 || p.Batch.Size > MaxBatchSize {
		v.add("pipeline.batch.size", "must be between 0 (the store's default) and %d, got %d", MaxBatchSize, p.Batch.Size)
	}
	if p.Batch.Wait < 0 || p.Batch.Wait > MaxBatchWait {
		v.add("pipeline.batch.wait", "must be between 0 and %s, got %s", MaxBatchWait, p.Batch.Wait)
	}
	v.oneOf("pipeline.send.unknown_policy", p.Send.UnknownPolicy, UnknownResend, UnknownHold)
	v.positiveDuration("pipeline.send.unknown_grace", p.Send.UnknownGrace)
	v.positive("pipeline.send.concurrency", int64(p.Send.Concurrency))
	v.positiveDuration("pipeline.send.relay", p.Send.Relay)
	v.positiveDuration("pipeline.send.auth_pause", p.Send.AuthPause)
	v.positiveDuration("pipeline.scheduler.interval", p.Scheduler.Interval)
	v.positiveDuration("pipeline.sync.interval", p.Sync.Interval)
	v.positiveDuration("pipeline.scheduler.lease", p.Scheduler.Lease)
	v.positive("pipeline.scheduler.batch", int64(p.Scheduler.Batch))
	v.positiveDuration("pipeline.scheduler.campaign_poll", p.Scheduler.CampaignPoll)
	v.positive("pipeline.scheduler.campaign_batch", int64(p.Scheduler.CampaignBatch))
	v.positiveDuration("pipeline.scheduler.journey_poll", p.Scheduler.JourneyPoll)
	if p.Scheduler.Lease > 0 && p.Scheduler.Lease < p.Scheduler.Interval {
		v.add("pipeline.scheduler.lease", "must be at least pipeline.scheduler.interval (%s), or another replica takes over between sweeps", p.Scheduler.Interval)
	}
}

func (t *Tenant) validate(v *validator, id string) {
	base := "tenants." + id
	if !idPattern.MatchString(id) {
		v.add(base, "tenant id %q must be lower-case letters, digits, _ or - (it is part of URLs)", id)
	}
	v.required(base+".name", t.Name)

	region := base + ".default_region"
	switch {
	case t.DefaultRegion == "":
		v.add(region, "required: the ISO 3166 country of numbers written without a country code, such as \"ID\"")
	case !phonenumbers.GetSupportedRegions()[strings.ToUpper(t.DefaultRegion)]:
		v.add(region, "%q is not a known ISO 3166 region", t.DefaultRegion)
	}

	if t.Timezone == "" {
		v.add(base+".timezone", "required")
	} else if _, err := time.LoadLocation(t.Timezone); err != nil {
		v.add(base+".timezone", "%q is not a known IANA time zone", t.Timezone)
	}

	names := make([]string, 0, len(t.Connectors))
	for name := range t.Connectors {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := base + ".connectors." + name
		if !idPattern.MatchString(name) {
			v.add(p, "connector name %q must be lower-case letters, digits, _ or - (it is part of URLs)", name)
		}
		v.required(p+".type", t.Connectors[name].Type)
	}

	loc, err := time.LoadLocation(t.Timezone)
	if err != nil {
		loc = time.UTC // reported above
	}
	v.oneOf(base+".messaging.marketing_consent", t.Messaging.MarketingConsent, ConsentOptIn, ConsentNotOptedOut)
	v.positive(base+".messaging.marketing_daily_cap", int64(t.Messaging.MarketingDailyCap))
	v.pricing(base, *t)
	v.conversation(base, *t)
	v.surveys(base, *t)
	v.links(base+".links.base_url", t.Links.BaseURL)
	if t.Checkouts.AbandonAfter < time.Minute {
		v.add(base+".checkouts.abandon_after", "must be at least 1m, got %s", t.Checkouts.AbandonAfter)
	}
	q := t.Messaging.QuietHours
	if (q.Start == "") != (q.End == "") {
		v.add(base+".messaging.quiet_hours", "needs both start and end, such as 21:00 and 08:00")
	} else if q.Start != "" {
		for key, val := range map[string]string{"start": q.Start, "end": q.End} {
			if _, err := ParseClock(val); err != nil {
				v.add(base+".messaging.quiet_hours."+key, "%v", err)
			}
		}
	}
	v.loyalty(base+".loyalty", t.Loyalty, loc)
	v.journeys(base, *t)
	v.webhooks(base, *t)

	seen := map[string]int{}
	for i, n := range t.Notifications {
		p := fmt.Sprintf("%s.notifications[%d]", base, i)
		if strings.TrimSpace(n.Name) == "" {
			v.add(p+".name", "required")
		} else if j, dup := seen[n.Name]; dup {
			v.add(p+".name", "%q is already the name of notifications[%d]", n.Name, j)
		} else {
			seen[n.Name] = i
		}
		v.outcomeType(p+".on", n.On)
		switch {
		case n.Sender == "":
			v.add(p+".sender", "required")
		default:
			if _, ok := t.Connectors[n.Sender]; !ok {
				v.add(p+".sender", "%q is not a connector of tenant %q", n.Sender, id)
			}
		}
		v.oneOf(p+".category", n.Category, "utility", "marketing", "authentication")
		switch {
		case n.Text != "" && n.Template.Name != "":
			v.add(p+".text", "a notification is either a template or a text, not both")
		case n.Text == "":
			v.template(p+".template", n.Template)
			if n.Fallback != nil {
				v.add(p+".fallback", "only a text notification has a fallback template: a template may be sent outside the window")
			}
		case n.Fallback != nil:
			v.template(p+".fallback", *n.Fallback)
		}
	}
}

// template checks a notification template's shape; its expressions are
// compiled with the notification.
func (v *validator) template(p string, t NotificationTmpl) {
	v.required(p+".name", t.Name)
	v.required(p+".language", t.Language)
	if len(t.Body) > 0 && len(t.Params) > 0 {
		v.add(p+".params", "a template has positional (body) or named (params) parameters, not both")
	}
	for name := range t.Params {
		if !templateParamName.MatchString(name) {
			v.add(p+".params."+name, "a parameter name is lower case letters, digits and _")
		}
	}
	if h := t.Header; h != nil {
		v.oneOf(p+".header.type", h.Type, "text", "image", "video", "document")
		switch h.Type {
		case "text":
			v.required(p+".header.text", h.Text)
		case "image", "video", "document":
			v.required(p+".header.link", h.Link)
		}
	}
	seen := map[int]bool{}
	for i, b := range t.Buttons {
		bp := fmt.Sprintf("%s.buttons[%d]", p, i)
		if b.Index < 0 || b.Index > 9 {
			v.add(bp+".index", "must be 0 to 9, got %d", b.Index)
		} else if seen[b.Index] {
			v.add(bp+".index", "button %d is filled twice", b.Index)
		}
		seen[b.Index] = true
		v.oneOf(bp+".sub_type", b.SubType, "url", "copy_code", "quick_reply")
		v.required(bp+".value", b.Value)
	}
}

var templateParamName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// ParseClock reads a local time of day, "21:00", as the time since
// midnight.
func ParseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day such as 21:00", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// links checks a tenant's short links' base URL: empty, or an absolute
// http or https URL without a query or fragment, to which "/r/<code>" is
// added.
func (v *validator) links(path, base string) {
	if base == "" {
		return
	}
	u, err := url.Parse(base)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		v.add(path, "%q is not an http or https URL such as https://go.brand.example", base)
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(base, "?") || strings.HasSuffix(base, "#"):
		v.add(path, "%q must have no query or fragment: /r/<code> is added to it", base)
	case u.User != nil:
		v.add(path, "%q must not carry a user or password", base)
	}
}
