package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/all"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/mappings"
	"github.com/loyalhub/loyalhub/pipelines"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
)

// fakePOSConfig has the keys of the pos_webhook connector.
type fakePOSConfig struct {
	Secret           string `koanf:"secret"`
	SignatureHeader  string `koanf:"signature_header"`
	DeliveryIDHeader string `koanf:"delivery_id_header"`
}

func (c *fakePOSConfig) Validate() error {
	if c.Secret == "" {
		return &config.FieldError{Path: "secret", Msg: "required"}
	}
	return nil
}

// fakeCloudConfig has the keys of the whatsapp_cloud connector.
type fakeCloudConfig struct {
	BaseURL       string        `koanf:"base_url"`
	GraphVersion  string        `koanf:"graph_version"`
	PhoneNumberID string        `koanf:"phone_number_id"`
	AccessToken   string        `koanf:"access_token"`
	AppSecret     string        `koanf:"app_secret"`
	VerifyToken   string        `koanf:"verify_token"`
	Timeout       time.Duration `koanf:"timeout"`
	Breaker       struct {
		MaxFailures int           `koanf:"max_failures"`
		OpenFor     time.Duration `koanf:"open_for"`
	} `koanf:"breaker"`
}

func (c *fakeCloudConfig) Validate() error {
	var errs config.Errors
	if c.PhoneNumberID == "" {
		errs = append(errs, &config.FieldError{Path: "phone_number_id", Msg: "required"})
	}
	if c.AccessToken == "" {
		errs = append(errs, &config.FieldError{Path: "access_token", Msg: "required"})
	}
	if c.Breaker.MaxFailures <= 0 {
		errs = append(errs, &config.FieldError{Path: "breaker.max_failures", Msg: "must be positive"})
	}
	return errs.Err()
}

// fakeSMSConfig is a sender-only type without settings.
type fakeSMSConfig struct{}

func (*fakeSMSConfig) Validate() error { return nil }

// unbuilt is the constructor of a connector type that these tests only
// configure: T names the capabilities its spec declares.
func unbuilt[C connectors.Config, T any](C, connectors.Deps) (T, error) {
	var none T
	return none, errors.New("not built by the config tests")
}

// fakeBSP is what a BSP connector does: take webhooks and send.
type fakeBSP interface {
	connectors.Source
	connectors.Sender
}

func fakeRegistry(t testing.TB) *connectors.Registry {
	t.Helper()
	reg := connectors.NewRegistry()
	require.NoError(t, reg.Register(connectors.Spec{
		Name:         "pos_webhook",
		Capabilities: []connectors.Capability{connectors.CapSource},
		Mapping:      "pos_webhook",
		NewConfig: func() connectors.Config {
			return &fakePOSConfig{SignatureHeader: "X-Loyalhub-Signature", DeliveryIDHeader: "X-Loyalhub-Delivery"}
		},
		New: connectors.Construct(unbuilt[*fakePOSConfig, connectors.Source]),
	}))
	require.NoError(t, reg.Register(connectors.Spec{
		Name:         "whatsapp_cloud",
		Capabilities: []connectors.Capability{connectors.CapSource, connectors.CapSender},
		Mapping:      "whatsapp_cloud",
		NewConfig: func() connectors.Config {
			c := &fakeCloudConfig{BaseURL: "https://graph.facebook.com", GraphVersion: "v24.0", Timeout: 10 * time.Second}
			c.Breaker.MaxFailures = 5
			c.Breaker.OpenFor = 30 * time.Second
			return c
		},
		New: connectors.Construct(unbuilt[*fakeCloudConfig, fakeBSP]),
	}))
	require.NoError(t, reg.Register(connectors.Spec{
		Name:         "fake_sms",
		Capabilities: []connectors.Capability{connectors.CapSender},
		NewConfig:    func() connectors.Config { return &fakeSMSConfig{} },
		New:          connectors.Construct(unbuilt[*fakeSMSConfig, connectors.Sender]),
	}))
	return reg
}

// minimal is a small valid tenant configuration.
const minimal = `
tenants:
  demo:
    default_region: ID
    connectors:
      pos:
        type: pos_webhook
        secret: s3cret
      wa:
        type: whatsapp_cloud
        phone_number_id: "1001"
        access_token: token
    notifications:
      - name: points_earned
        on: points.earned
        sender: wa
        template:
          name: points_earned
          language: id
          body:
            - member.name
            - string(data.points)
`

// parse loads yamlText with environ, failing the test on error.
func parse(t *testing.T, yamlText string, environ ...string) *hubconfig.Settings {
	t.Helper()
	s, err := hubconfig.Parse([]byte(yamlText), environ, fakeRegistry(t))
	require.NoError(t, err)
	return s
}

// parseErrors loads yamlText and returns its errors as path → message.
func parseErrors(t *testing.T, yamlText string, environ ...string) map[string]string {
	t.Helper()
	s, err := hubconfig.Parse([]byte(yamlText), environ, fakeRegistry(t))
	require.Error(t, err)
	require.Nil(t, s)
	var errs config.Errors
	require.ErrorAs(t, err, &errs)
	out := map[string]string{}
	for _, e := range errs {
		if prev, dup := out[e.Path]; dup {
			out[e.Path] = prev + "; " + e.Msg
			continue
		}
		out[e.Path] = e.Msg
	}
	return out
}

func TestParseDefaults(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want func() config.Config
	}{
		{name: "nothing at all", yaml: "", want: config.Default},
		{name: "empty document", yaml: "# nothing\n", want: config.Default},
		{
			name: "sqlite path follows data_dir",
			yaml: "data_dir: /srv/hub\n",
			want: func() config.Config {
				c := config.Config{DataDir: "/srv/hub"}
				c.ApplyDefaults()
				return c
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := parse(t, tt.yaml)
			assert.Equal(t, tt.want(), s.Config)
			assert.Empty(t, s.Connectors)
		})
	}
}

func TestParseTenantDefaults(t *testing.T) {
	s := parse(t, minimal)
	demo := s.Config.Tenants["demo"]
	assert.Equal(t, "demo", demo.Name)
	assert.Equal(t, "UTC", demo.Timezone)
	assert.Equal(t, config.CombineStack, demo.Loyalty.Combine)
	assert.Equal(t, config.ExpiryNever, demo.Loyalty.Expiry.Policy)
	assert.Empty(t, demo.Loyalty.Rules)
	require.NotNil(t, s.Programs["demo"], "the program is compiled at load")
	assert.Equal(t, "utility", demo.Notifications[0].Category)

	pos := s.Connectors["demo"]["pos"]
	assert.Equal(t, "pos", pos.Name)
	assert.Equal(t, "pos_webhook", pos.Spec.Name)
	assert.Equal(t, &fakePOSConfig{Secret: "s3cret", SignatureHeader: "X-Loyalhub-Signature", DeliveryIDHeader: "X-Loyalhub-Delivery"}, pos.Config)
	bundled, ok := mappings.Bundled("pos_webhook")
	require.True(t, ok)
	assert.Equal(t, bundled, pos.Mapping)

	wa := s.Connectors["demo"]["wa"].Config.(*fakeCloudConfig)
	assert.Equal(t, "https://graph.facebook.com", wa.BaseURL, "spec defaults are kept")
	assert.Equal(t, 10*time.Second, wa.Timeout)
	assert.Equal(t, 5, wa.Breaker.MaxFailures)
}

func TestParseEnvironment(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		environ []string
		check   func(t *testing.T, s *hubconfig.Settings)
	}{
		{
			name: "overrides with nesting and lower-cased keys",
			yaml: minimal,
			environ: []string{
				"LOYALHUB_SERVER__ADMIN_TOKEN=adm",
				"LOYALHUB_DATA_DIR=/tmp/hub",
				"LOYALHUB_QUEUE__SUBSCRIBERS=9",
				"LOYALHUB_QUEUE__ACK_WAIT=5s",
				"LOYALHUB_QUEUE__EMBEDDED__SYNC_ALWAYS=true",
				"LOYALHUB_TENANTS__DEMO__CONNECTORS__POS__SECRET=from-env",
				"LOYALHUB_TENANTS__DEMO__CONNECTORS__WA__BREAKER__MAX_FAILURES=7",
				"LOYALHUB_TENANTS__DEMO__LOYALTY__CURRENCY=idr",
			},
			check: func(t *testing.T, s *hubconfig.Settings) {
				assert.Equal(t, "adm", s.Config.Server.AdminToken)
				assert.Equal(t, "/tmp/hub", s.Config.DataDir)
				assert.Equal(t, "/tmp/hub/loyalhub.db", s.Config.Store.SQLite.Path)
				assert.Equal(t, 9, s.Config.Queue.Subscribers)
				assert.Equal(t, 5*time.Second, s.Config.Queue.AckWait)
				assert.True(t, s.Config.Queue.Embedded.SyncAlways)
				assert.Equal(t, "IDR", s.Config.Tenants["demo"].Loyalty.Currency)
				assert.Equal(t, "from-env", s.Connectors["demo"]["pos"].Config.(*fakePOSConfig).Secret)
				assert.Equal(t, 7, s.Connectors["demo"]["wa"].Config.(*fakeCloudConfig).Breaker.MaxFailures)
			},
		},
		{
			name: "the last of repeated variables wins",
			environ: []string{
				"LOYALHUB_SERVER__LISTEN=:1",
				"LOYALHUB_SERVER__LISTEN=:2",
			},
			check: func(t *testing.T, s *hubconfig.Settings) {
				assert.Equal(t, ":2", s.Config.Server.Listen)
			},
		},
		{
			name: "variables that name no top-level key are left alone",
			environ: []string{
				"LOYALHUB_CONFIG=/etc/loyalhub.yaml",
				"LOYALHUB_REQUIRE_SERVICES=1",
				"LOYALHUB_TEST_POSTGRES_DSN=postgres://x",
				"OTHER__SERVER__LISTEN=:1",
			},
			check: func(t *testing.T, s *hubconfig.Settings) {
				assert.Equal(t, config.Default(), s.Config)
			},
		},
		{
			name: "variable references",
			yaml: `
server:
  admin_token: ${ADMIN}
  listen: ${LISTEN:-:7000}
queue:
  nats:
    url: nats://${NATS_HOST:-localhost}:${NATS_PORT}
    stream_prefix: ${EMPTY:-fallback}
store:
  postgres:
    dsn: "$${NOT_EXPANDED} and $HOME"
` + minimal[len("\n"):],
			environ: []string{"ADMIN=t0k3n", "NATS_PORT=4333", "EMPTY=", "NAME_EXPR=member.name"},
			check: func(t *testing.T, s *hubconfig.Settings) {
				assert.Equal(t, "t0k3n", s.Config.Server.AdminToken)
				assert.Equal(t, ":7000", s.Config.Server.Listen)
				assert.Equal(t, "nats://localhost:4333", s.Config.Queue.NATS.URL)
				assert.Equal(t, "fallback", s.Config.Queue.NATS.StreamPrefix)
				assert.Equal(t, "${NOT_EXPANDED} and $HOME", s.Config.Store.Postgres.DSN)
			},
		},
		{
			name:    "references in overrides and lists",
			yaml:    strings.Replace(minimal, "string(data.points)", "${POINTS_EXPR}", 1),
			environ: []string{"LOYALHUB_TENANTS__DEMO__CONNECTORS__POS__SECRET=${POS_SECRET}", "POS_SECRET=deep", "POINTS_EXPR=string(data.points * 2)"},
			check: func(t *testing.T, s *hubconfig.Settings) {
				assert.Equal(t, "deep", s.Connectors["demo"]["pos"].Config.(*fakePOSConfig).Secret)
				assert.Equal(t, "string(data.points * 2)", s.Config.Tenants["demo"].Notifications[0].Template.Body[1])
			},
		},
		{
			name: "explicit zeros are kept",
			yaml: "pipeline:\n  retry:\n    max_retries: 0\n" + strings.Replace(minimal, "    default_region: ID\n", "    default_region: ID\n    loyalty:\n      allow_negative: true\n      rules:\n        - name: bonus\n          on: member.joined\n          points: 0\n", 1)[1:],
			check: func(t *testing.T, s *hubconfig.Settings) {
				assert.Equal(t, 0, s.Config.Pipeline.Retry.MaxRetries)
				assert.Equal(t, "0", s.Config.Tenants["demo"].Loyalty.Rules[0].Points)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, parse(t, tt.yaml, tt.environ...))
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		environ []string
		want    map[string]string // every expected error: path → part of the message
	}{
		{
			name: "missing variable names the key",
			yaml: strings.Replace(minimal, "secret: s3cret", "secret: ${POS_SECRET}", 1),
			want: map[string]string{
				"tenants.demo.connectors.pos.secret": "environment variable POS_SECRET is not set",
			},
		},
		{
			name: "malformed references",
			yaml: "server:\n  listen: ${1BAD}\n  admin_token: x${OPEN\n",
			want: map[string]string{
				"server.listen":      "is not a variable name",
				"server.admin_token": "unterminated",
			},
		},
		{
			name: "missing variable inside a list",
			yaml: strings.Replace(minimal, "string(data.points)", "${EXPR}", 1),
			want: map[string]string{
				"tenants.demo.notifications[0].template.body[1]": "EXPR is not set",
			},
		},
		{
			name: "unknown keys at every level",
			yaml: `
servr:
  listen: ":1"
server:
  listn: ":1"
  Listen: ":2"
queue:
  embedded:
    sync_allways: true
pipeline:
  retry:
    max_retry: 3
` + strings.Replace(strings.Replace(minimal, "          name: points_earned\n", "          name: points_earned\n          nme: x\n", 1),
				"    default_region: ID\n", "    default_region: ID\n    loyality: {}\n", 1)[1:],
			want: map[string]string{
				"servr":                       "unknown key",
				"server.listn":                "unknown key",
				"server.Listen":               "unknown key",
				"queue.embedded.sync_allways": "unknown key",
				"pipeline.retry.max_retry":    "unknown key",
				"tenants.demo.loyality":       "unknown key",
				"tenants.demo.notifications[0].template.nme": "unknown key",
			},
		},
		{
			name: "unknown connector keys",
			yaml: strings.Replace(strings.Replace(minimal, "secret: s3cret", "secrett: s3cret", 1),
				"access_token: token", "access_token: token\n        breaker:\n          max_failurs: 3", 1),
			want: map[string]string{
				"tenants.demo.connectors.pos.secrett":            "unknown key",
				"tenants.demo.connectors.wa.breaker.max_failurs": "unknown key",
			},
		},
		{
			name: "connector validation is re-rooted",
			yaml: strings.Replace(strings.Replace(minimal, "        secret: s3cret\n", "", 1),
				"access_token: token", "access_token: token\n        breaker:\n          max_failures: -1", 1),
			want: map[string]string{
				"tenants.demo.connectors.pos.secret":              "required",
				"tenants.demo.connectors.wa.breaker.max_failures": "must be positive",
			},
		},
		{
			name: "unknown connector type",
			yaml: strings.Replace(minimal, "type: pos_webhook", "type: pos_webhok", 1),
			want: map[string]string{
				"tenants.demo.connectors.pos.type": `unknown connector type "pos_webhok" (known: fake_sms, pos_webhook, whatsapp_cloud)`,
			},
		},
		{
			name: "bad enums",
			yaml: "queue:\n  backend: kafka\nstore:\n  driver: mysql\nlog:\n  level: loud\n  format: xml\npipeline:\n  send:\n    unknown_policy: drop\n",
			want: map[string]string{
				"queue.backend":                "kafka",
				"store.driver":                 "mysql",
				"log.level":                    "loud",
				"log.format":                   "xml",
				"pipeline.send.unknown_policy": "drop",
			},
		},
		{
			name: "required DSNs",
			yaml: "queue:\n  backend: postgres\nstore:\n  driver: postgres\n",
			want: map[string]string{
				"queue.postgres.dsn": "required",
				"store.postgres.dsn": "required",
			},
		},
		{
			name: "wrong types",
			yaml: "server:\n  max_body_bytes: lots\nqueue:\n  subscribers: [1]\n  ack_wait: 60\n  max_age: forever\n",
			want: map[string]string{
				"server.max_body_bytes": "lots",
				"queue.subscribers":     "",
				"queue.ack_wait":        "add a unit",
				"queue.max_age":         `"forever" is not a duration`,
			},
		},
		{
			name: "negative values",
			yaml: "server:\n  shutdown_timeout: -1s\nqueue:\n  subscribers: -2\n",
			want: map[string]string{
				"server.shutdown_timeout": "positive duration",
				"queue.subscribers":       "must be positive",
			},
		},
		{
			name: "tenant fields",
			yaml: strings.Replace(minimal, "default_region: ID", "default_region: XX\n    timezone: Nowhere/City\n    loyalty:\n      rules:\n        - name: spend\n          on: order.paid\n          spend:\n            unit: \"-1\"\n            points: -3", 1),
			want: map[string]string{
				"tenants.demo.default_region":                "XX",
				"tenants.demo.timezone":                      "Nowhere/City",
				"tenants.demo.loyalty.rules[0].spend.unit":   "-1",
				"tenants.demo.loyalty.rules[0].spend.points": "must be positive",
			},
		},
		{
			name: "numeric tenant id and bad connector name",
			yaml: "tenants:\n  \"123\":\n    default_region: ID\n    extra: 1\n    connectors:\n      Bad:\n        type: fake_sms\n        speed: 3\n",
			want: map[string]string{
				"tenants.123.extra":                "unknown key",
				"tenants.123.connectors.Bad":       "connector name",
				"tenants.123.connectors.Bad.speed": "unknown key",
			},
		},
		{
			name: "mappings",
			yaml: strings.Replace(minimal, "secret: s3cret", "secret: s3cret\n        mapping: '[{type: '\n"+
				"      sms:\n        type: fake_sms\n        mapping: '.'", 1),
			want: map[string]string{
				"tenants.demo.connectors.pos.mapping": "compiling mapping",
				"tenants.demo.connectors.sms.mapping": "receives no events",
			},
		},
		{
			name: "notifications",
			yaml: strings.Replace(strings.Replace(minimal, "string(data.points)", "string(data.points", 1),
				"        sender: wa\n", "        sender: wa\n        when: data.points +\n        category: promo\n", 1) + `      - name: points_earned
        on: ""
        sender: pos
        template: {name: x, language: en, body: [memberr.name]}
      - name: third
        on: points.earned
        sender: nobody
        template: {name: x}
`,
			want: map[string]string{
				"tenants.demo.notifications[0].when":              "",
				"tenants.demo.notifications[0].template.body[1]":  "",
				"tenants.demo.notifications[0].category":          "promo",
				"tenants.demo.notifications[1].name":              "already the name of notifications[0]",
				"tenants.demo.notifications[1].on":                "required",
				"tenants.demo.notifications[1].sender":            `connector "pos" (type pos_webhook) cannot send messages`,
				"tenants.demo.notifications[1].template.body[0]":  "memberr",
				"tenants.demo.notifications[2].sender":            `"nobody" is not a connector of tenant "demo"`,
				"tenants.demo.notifications[2].template.language": "required",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseErrors(t, tt.yaml, tt.environ...)
			for path, msg := range tt.want {
				if assert.Contains(t, got, path) {
					assert.Contains(t, got[path], msg, path)
				}
			}
			assert.Len(t, got, len(tt.want), "all errors: %v", got)
		})
	}
}

// TestParseDeprecatedSchedulerConcurrency loads configurations written for
// sweeps that updated members concurrently: the old key is ignored with a
// warning, whether the file or the environment sets it, and the batch is
// what the configuration says or the default.
func TestParseDeprecatedSchedulerConcurrency(t *testing.T) {
	warning := "pipeline.scheduler.concurrency: deprecated and ignored"
	tests := []struct {
		name      string
		yaml      string
		environ   []string
		wantBatch int
	}{
		{name: "in the file", yaml: "pipeline:\n  scheduler:\n    concurrency: 16\n", wantBatch: config.DefaultSchedulerBatch},
		{
			name: "beside the batch", yaml: "pipeline:\n  scheduler:\n    concurrency: 4\n    batch: 200\n    lease: 2m\n",
			wantBatch: 200,
		},
		{name: "from the environment", environ: []string{"LOYALHUB_PIPELINE__SCHEDULER__CONCURRENCY=8"}, wantBatch: config.DefaultSchedulerBatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := parse(t, tt.yaml, tt.environ...)
			require.Len(t, s.Warnings, 1)
			assert.True(t, strings.HasPrefix(s.Warnings[0], warning), s.Warnings[0])
			assert.Equal(t, tt.wantBatch, s.Config.Pipeline.Scheduler.Batch)
		})
	}

	t.Run("a current config has no warning", func(t *testing.T) {
		assert.Empty(t, parse(t, "pipeline:\n  scheduler:\n    batch: 100\n").Warnings)
	})
	t.Run("other unknown scheduler keys still fail", func(t *testing.T) {
		errs := parseErrors(t, "pipeline:\n  scheduler:\n    concurrency: 16\n    workers: 4\n")
		assert.Contains(t, errs, "pipeline.scheduler.workers")
		assert.NotContains(t, errs, "pipeline.scheduler.concurrency")
	})
}

func TestParseErrorsAreSortedAndJoined(t *testing.T) {
	_, err := hubconfig.Parse([]byte("zzz: 1\naaa: 2\n"), nil, fakeRegistry(t))
	require.Error(t, err)
	assert.Equal(t, "aaa: unknown key\nzzz: unknown key", err.Error())
}

func TestParseInvalidYAML(t *testing.T) {
	_, err := hubconfig.Parse([]byte("server: [\n"), nil, fakeRegistry(t))
	require.Error(t, err)
	var errs config.Errors
	assert.NotErrorAs(t, err, &errs, "a syntax error is not a key error")
}

func TestLoadFull(t *testing.T) {
	environ := []string{"ADMIN_TOKEN=adm", "METRICS_TOKEN=met", "DATABASE_URL=postgres://store@db/store", "POS_SECRET=pos", "WA_TOKEN=tok",
		"CRM_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	s, err := hubconfig.Load(filepath.Join("testdata", "config", "full.yaml"), environ, fakeRegistry(t))
	require.NoError(t, err)

	c := s.Config
	assert.Equal(t, "/srv/loyalhub", c.DataDir)
	assert.Equal(t, config.Server{Listen: "127.0.0.1:9000", AdminToken: "adm", MetricsToken: "met", MaxBodyBytes: 2 << 20,
		ShutdownTimeout: 45 * time.Second, Pprof: true, APIRateLimit: config.RateLimit{PerSecond: 2.5, Burst: 7}}, c.Server)
	assert.Equal(t, config.Log{Level: "debug", Format: "json"}, c.Log)
	assert.Equal(t, config.Queue{
		Backend: "nats", Subscribers: 8, AckWait: 2 * time.Minute, DuplicateWindow: 5 * time.Minute, MaxAge: 72 * time.Hour,
		Embedded: config.Embedded{SyncInterval: 2 * time.Second, SyncAlways: true, Listen: "127.0.0.1:4223", MaxStoreBytes: 1 << 30},
		NATS:     config.NATS{URL: "nats://10.0.0.1:4222,nats://10.0.0.2:4222", Replicas: 3, StreamPrefix: "hub_a"},
		Postgres: config.QueuePostgres{DSN: "postgres://queue@db:5432/queue", SubscribeBatchSize: 500, PollInterval: 250 * time.Millisecond},
	}, c.Queue)
	assert.Equal(t, config.Store{
		Driver:   "postgres",
		SQLite:   config.SQLite{Path: "/srv/loyalhub/members.db"},
		Postgres: config.StorePostgres{DSN: "postgres://store@db/store", MaxConns: 32},
	}, c.Store)
	assert.Equal(t, config.Pipeline{
		IngestOnly:     true,
		HandlerTimeout: 15 * time.Second,
		Retry:          config.Retry{MaxRetries: 0, InitialInterval: time.Second, MaxInterval: time.Minute, Multiplier: 1.5},
		Send:           config.Send{UnknownPolicy: "hold", UnknownGrace: 2 * time.Minute, AuthPause: 10 * time.Minute, Concurrency: 32, Relay: 2 * time.Second},
		Scheduler: config.Scheduler{Disabled: true, Interval: 30 * time.Second, Lease: 2 * time.Minute, Batch: 200,
			CampaignPoll: 10 * time.Second, CampaignBatch: 1000, JourneyPoll: 5 * time.Second},
		Sync: config.Sync{Interval: 5 * time.Second},
	}, c.Pipeline)
	assert.Equal(t, config.Telemetry{ServiceName: "loyalhub-eu", SampleRatio: 0, OTLP: config.OTLP{
		Endpoint: "https://otlp.example.test:4317", Protocol: "grpc", Headers: map[string]string{"x-api-key": "otlp-key"},
	}}, c.Telemetry, "a sample ratio written as 0 stays 0")

	require.Len(t, c.Tenants, 2)
	acme := c.Tenants["acme"]
	assert.Equal(t, "ACME Coffee", acme.Name)
	assert.Equal(t, "ID", acme.DefaultRegion)
	assert.Equal(t, "Asia/Jakarta", acme.Timezone)
	require.Len(t, acme.Loyalty.Rules, 1)
	assert.Equal(t, &config.Spend{Unit: "1000.50", Points: 1, Rounding: config.RoundFloor, MinOrder: "0"}, acme.Loyalty.Rules[0].Spend)
	assert.Equal(t, []config.Notification{{
		Name: "points_earned", On: "points.earned", When: "data.points >= 10", Sender: "whatsapp", Category: "marketing",
		Template: config.NotificationTmpl{Name: "points_earned", Language: "id", Body: []string{"member.name", "string(data.points)", "string(member.balance)"}},
	}, {
		Name: "tier_up", On: "tier.changed", Sender: "whatsapp", Category: "utility", Text: `"You are now " + data.tier`,
		Fallback: &config.NotificationTmpl{
			Name: "tier_changed", Language: "id",
			Header:  &config.NotificationHeader{Type: "image", Link: `"https://cdn.example.test/" + data.tier + ".png"`},
			Params:  map[string]string{"first_name": "member.name", "tier": "data.tier"},
			Buttons: []config.NotificationButton{{Index: 0, SubType: "url", Value: "member.id"}},
		},
	}}, acme.Notifications)
	assert.Equal(t, config.Messaging{
		MarketingConsent: "not_opted_out", QuietHours: config.QuietHours{Start: "21:00", End: "08:00"}, MarketingDailyCap: 1,
	}, acme.Messaging)
	assert.Equal(t, config.Links{BaseURL: "https://go.acme.example"}, acme.Links)
	off := false
	assert.Equal(t, []config.Webhook{{Name: "crm", URL: "https://crm.acme.example/hooks/loyalty",
		Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Events: []string{"points.earned", "tier.*"}, Enabled: &off}}, acme.Webhooks)
	assert.Equal(t, config.Tenant{Name: "042", DefaultRegion: "sg", Timezone: "UTC", Loyalty: config.Loyalty{
		Combine: config.CombineStack, Expiry: config.Expiry{Policy: config.ExpiryNever},
		Refunds: config.Refunds{WaitForOrder: config.DefaultRefundWait},
	}, Messaging: config.Messaging{MarketingConsent: "opt_in", MarketingDailyCap: 2}, Checkouts: config.Checkouts{AbandonAfter: time.Hour},
		Conversation: config.Conversation{Brand: "042", JoinKeyword: "JOIN", Languages: config.ConversationLanguages, DefaultLanguage: "en",
			Handoff: config.Handoff{Timeout: 24 * time.Hour, AfterMisunderstood: 3}}}, c.Tenants["042"])

	pos := s.Connectors["acme"]["pos"]
	assert.Equal(t, &fakePOSConfig{Secret: "pos", SignatureHeader: "X-Signature", DeliveryIDHeader: "X-Delivery"}, pos.Config)
	assert.Equal(t, `[{type: "order.paid", id: .sale_id, data: {order_id: .sale_id}}]`, pos.Mapping, "the override replaces the bundled mapping")
	wa := s.Connectors["acme"]["whatsapp"]
	want := &fakeCloudConfig{
		BaseURL: "https://graph.example.test", GraphVersion: "v25.0", PhoneNumberID: "100000000000001",
		AccessToken: "tok", AppSecret: "app-secret", VerifyToken: "verify", Timeout: 5 * time.Second,
	}
	want.Breaker.MaxFailures = 3
	want.Breaker.OpenFor = time.Minute
	assert.Equal(t, want, wa.Config)
	bundled, _ := mappings.Bundled("whatsapp_cloud")
	assert.Equal(t, bundled, wa.Mapping)
	assert.Empty(t, s.Connectors["042"])
}

func TestLoadMissingFile(t *testing.T) {
	_, err := hubconfig.Load(filepath.Join(t.TempDir(), "nope.yaml"), nil, fakeRegistry(t))
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestLoadNoFile(t *testing.T) {
	s, err := hubconfig.Load("", []string{"LOYALHUB_LOG__LEVEL=debug"}, fakeRegistry(t))
	require.NoError(t, err)
	assert.Equal(t, "debug", s.Config.Log.Level)
}

// TestShippedConfigs loads the configuration files the project ships with
// the real connector specs, so a key a connector drops or renames fails
// here and not on a user's machine.
func TestShippedConfigs(t *testing.T) {
	tests := []struct {
		name    string
		load    func(environ []string) (*hubconfig.Settings, error)
		environ []string
		tenant  string
	}{
		{
			name: "deploy example",
			load: func(environ []string) (*hubconfig.Settings, error) {
				return hubconfig.Load(filepath.Join("..", "..", "deploy", "examples", "loyalhub.yaml"), environ, shippedRegistry())
			},
			environ: []string{
				"ADMIN_TOKEN=adm", "ACME_POS_SECRET=pos", "ACME_WA_PHONE_NUMBER_ID=1001",
				"ACME_WA_ACCESS_TOKEN=tok", "ACME_WA_APP_SECRET=app", "ACME_WA_VERIFY_TOKEN=verify",
			},
			tenant: "acme",
		},
		{
			name: "demo",
			load: func(environ []string) (*hubconfig.Settings, error) {
				return hubconfig.Parse(pipelines.DemoConfig, environ, shippedRegistry())
			},
			tenant: "demo",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.load(tt.environ)
			require.NoError(t, err)
			tenant := s.Config.Tenants[tt.tenant]
			require.NotEmpty(t, tenant.Notifications)
			require.Contains(t, s.Connectors[tt.tenant], tenant.Notifications[0].Sender)
		})
	}
	t.Run("deploy example names its secrets", func(t *testing.T) {
		_, err := hubconfig.Load(filepath.Join("..", "..", "deploy", "examples", "loyalhub.yaml"), nil, shippedRegistry())
		require.Error(t, err)
		for _, v := range []string{"ADMIN_TOKEN", "ACME_POS_SECRET", "ACME_WA_ACCESS_TOKEN"} {
			assert.Contains(t, err.Error(), v)
		}
	})
}

func shippedRegistry() *connectors.Registry {
	reg := connectors.NewRegistry()
	all.Register(reg)
	return reg
}

func TestTelemetryEnv(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		environ []string
		want    config.Telemetry
		errPath string
	}{
		{
			name: "off without an endpoint",
			want: config.Telemetry{ServiceName: "loyalhub", SampleRatio: 1, OTLP: config.OTLP{Protocol: "http/protobuf"}},
		},
		{
			name: "the standard variables",
			environ: []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318/", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
				"OTEL_EXPORTER_OTLP_HEADERS=x-api-key=a%3Db,tenant = eu", "OTEL_SERVICE_NAME=hub-eu"},
			want: config.Telemetry{ServiceName: "hub-eu", SampleRatio: 1, OTLP: config.OTLP{
				Endpoint: "http://collector:4318", Protocol: "grpc", Headers: map[string]string{"x-api-key": "a=b", "tenant": "eu"},
			}},
		},
		{
			name:    "the traces' variables win",
			environ: []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://all:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://traces:4318/v1/traces"},
			want: config.Telemetry{ServiceName: "loyalhub", SampleRatio: 1, OTLP: config.OTLP{
				Endpoint: "http://traces:4318/v1/traces", Protocol: "http/protobuf",
			}},
		},
		{
			name:    "the file wins",
			yaml:    "telemetry:\n  sample_ratio: 0.5\n  otlp:\n    endpoint: https://file:4318\n",
			environ: []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://env:4318"},
			want: config.Telemetry{ServiceName: "loyalhub", SampleRatio: 0.5, OTLP: config.OTLP{
				Endpoint: "https://file:4318", Protocol: "http/protobuf",
			}},
		},
		{
			name:    "LOYALHUB_ overrides",
			environ: []string{"LOYALHUB_TELEMETRY__OTLP__ENDPOINT=http://override:4318"},
			want: config.Telemetry{ServiceName: "loyalhub", SampleRatio: 1, OTLP: config.OTLP{
				Endpoint: "http://override:4318", Protocol: "http/protobuf",
			}},
		},
		{
			name:    "a bad variable names the key",
			environ: []string{"OTEL_EXPORTER_OTLP_PROTOCOL=http/json"},
			errPath: "telemetry.otlp.protocol",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := hubconfig.Parse([]byte(tt.yaml), tt.environ, fakeRegistry(t))
			if tt.errPath != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.errPath)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.Config.Telemetry)
		})
	}
}
