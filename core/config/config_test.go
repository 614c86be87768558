package config_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
)

func TestDefault(t *testing.T) {
	c := config.Default()
	assert.Equal(t, "./data", c.DataDir)
	assert.Equal(t, ":8080", c.Server.Listen)
	assert.Equal(t, int64(1<<20), c.Server.MaxBodyBytes)
	assert.Equal(t, 20*time.Second, c.Server.ShutdownTimeout)
	assert.Empty(t, c.Server.AdminToken)
	assert.Empty(t, c.Server.MetricsToken, "/metrics is open by default")
	assert.Equal(t, config.RateLimit{PerSecond: 10, Burst: 20}, c.Server.APIRateLimit)
	assert.Equal(t, config.Log{Level: "info", Format: "text"}, c.Log)
	assert.Equal(t, config.Queue{
		Backend:         "embedded",
		Subscribers:     16,
		AckWait:         60 * time.Second,
		DuplicateWindow: 2 * time.Minute,
		MaxAge:          168 * time.Hour,
		Embedded:        config.Embedded{SyncInterval: time.Second, MaxStoreBytes: 10 << 30},
		NATS:            config.NATS{URL: "nats://127.0.0.1:4222", Replicas: 1, StreamPrefix: "loyalhub"},
		Postgres:        config.QueuePostgres{SubscribeBatchSize: 1000, PollInterval: 100 * time.Millisecond},
	}, c.Queue)
	assert.Equal(t, config.Store{
		Driver:   "sqlite",
		SQLite:   config.SQLite{Path: "data/loyalhub.db"},
		Postgres: config.StorePostgres{MaxConns: 16},
	}, c.Store)
	assert.Equal(t, config.Pipeline{
		HandlerTimeout: 30 * time.Second,
		Retry:          config.Retry{MaxRetries: 5, InitialInterval: 200 * time.Millisecond, MaxInterval: 10 * time.Second, Multiplier: 2},
		Send:           config.Send{UnknownPolicy: "resend", UnknownGrace: 30 * time.Second, AuthPause: 5 * time.Minute, Concurrency: 64, Relay: time.Second},
		Scheduler: config.Scheduler{Interval: time.Minute, Lease: 5 * time.Minute, Batch: 500,
			CampaignPoll: 5 * time.Second, CampaignBatch: 500, JourneyPoll: 5 * time.Second},
		Sync: config.Sync{Interval: 5 * time.Second},
	}, c.Pipeline)
	assert.Equal(t, config.Telemetry{ServiceName: "loyalhub", SampleRatio: 1, OTLP: config.OTLP{Protocol: "http/protobuf"}}, c.Telemetry)
	assert.False(t, c.Telemetry.Enabled(), "no endpoint, no export")
	assert.Nil(t, c.Tenants)
	assert.Nil(t, c.Validate(), "the defaults are valid")
}

func TestApplyDefaults(t *testing.T) {
	tests := []struct {
		name  string
		in    config.Config
		check func(t *testing.T, c config.Config)
	}{
		{
			name: "sqlite path follows data_dir",
			in:   config.Config{DataDir: "/var/lib/loyalhub"},
			check: func(t *testing.T, c config.Config) {
				assert.Equal(t, "/var/lib/loyalhub/loyalhub.db", c.Store.SQLite.Path)
			},
		},
		{
			name: "set values are kept",
			in: config.Config{
				Server: config.Server{Listen: ":9000"},
				Queue:  config.Queue{Backend: "nats", Subscribers: 9},
				Store:  config.Store{SQLite: config.SQLite{Path: "x.db"}},
			},
			check: func(t *testing.T, c config.Config) {
				assert.Equal(t, ":9000", c.Server.Listen)
				assert.Equal(t, "nats", c.Queue.Backend)
				assert.Equal(t, 9, c.Queue.Subscribers)
				assert.Equal(t, "x.db", c.Store.SQLite.Path)
			},
		},
		{
			name: "tenant defaults",
			in: config.Config{Tenants: map[string]config.Tenant{
				"demo": {DefaultRegion: "ID", Notifications: []config.Notification{{Name: "a"}, {Name: "b", Category: "marketing"}}},
				"shop": {Name: "The Shop", Timezone: "Asia/Jakarta", Loyalty: config.Loyalty{
					Currency: "IDR",
					Combine:  config.CombineBestOf,
					Rules: []config.EarnRule{{
						Name: "spend", On: "order.paid",
						Spend: &config.Spend{Unit: "1000", Points: 3, Rounding: config.RoundCeil, MinOrder: "50000"},
					}},
				}},
			}},
			check: func(t *testing.T, c config.Config) {
				demo := c.Tenants["demo"]
				assert.Equal(t, "demo", demo.Name)
				assert.Equal(t, "UTC", demo.Timezone)
				assert.Equal(t, config.Loyalty{
					Combine: "stack",
					Expiry:  config.Expiry{Policy: "never"},
					Refunds: config.Refunds{WaitForOrder: 10 * time.Minute},
				}, demo.Loyalty)
				assert.Equal(t, "utility", demo.Notifications[0].Category)
				assert.Equal(t, "marketing", demo.Notifications[1].Category)
				shop := c.Tenants["shop"]
				assert.Equal(t, "The Shop", shop.Name)
				assert.Equal(t, "Asia/Jakarta", shop.Timezone)
				assert.Equal(t, "best_of", shop.Loyalty.Combine)
				require.Len(t, shop.Loyalty.Rules, 1)
				assert.Equal(t, &config.Spend{Unit: "1000", Points: 3, Rounding: "ceil", MinOrder: "50000"}, shop.Loyalty.Rules[0].Spend)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.in
			c.ApplyDefaults()
			tt.check(t, c)
		})
	}
}

// valid returns a complete valid configuration with one tenant.
func valid() config.Config {
	c := config.Default()
	c.Tenants = map[string]config.Tenant{
		"demo": {
			DefaultRegion: "ID",
			Timezone:      "Asia/Jakarta",
			Connectors: map[string]config.Connector{
				"pos": {Type: "pos_webhook"},
				"wa":  {Type: "whatsapp_cloud"},
			},
			Loyalty: config.Loyalty{
				Currency: "IDR",
				Rules: []config.EarnRule{{
					Name: "spend", On: "order.paid",
					Spend: &config.Spend{Unit: "10000"},
				}},
			},
			Notifications: []config.Notification{{
				Name:     "points-earned",
				On:       "points.earned",
				Sender:   "wa",
				Template: config.NotificationTmpl{Name: "points_earned", Language: "id", Body: []string{"member.name"}},
			}},
		},
	}
	c.ApplyDefaults()
	return c
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *config.Config)
		want   map[string]string // path → part of the message
	}{
		{name: "valid", mutate: func(*config.Config) {}},
		{
			name: "notification on an unknown outcome",
			mutate: func(c *config.Config) {
				c.Tenants["demo"].Notifications[0].On = "points.earn"
			},
			want: map[string]string{
				"tenants.demo.notifications[0].on": `unknown outcome type "points.earn"; known types: challenge.completed, checkout.abandoned,` +
					` member.anniversary, member.birthday, member.joined, points.activated, points.adjusted, points.earned, points.expired, points.expiring,` +
					` points.pending, points.reversed, referral.completed, referral.linked, referral.refused, reward.redeemed,` +
					` reward.released, tier.changed`,
			},
		},
		{
			name: "pricing and messaging limit",
			mutate: func(c *config.Config) {
				d := c.Tenants["demo"]
				d.Messaging.MessagingLimit = "1000"
				d.Messaging.MonthlyBudget = "12.5"
				d.Pricing = config.Pricing{Currency: "usd", Rates: map[string]config.Rates{
					"default": {Marketing: "0.0250"},
					"ID":      {Marketing: "0.0411", Utility: "0.0250", Authentication: "1.2345678"},
					"+62":     {Service: "-1"},
					"+999":    {},
					"id":      {},
				}}
				c.Tenants["demo"] = d
			},
			want: map[string]string{
				"tenants.demo.messaging.messaging_limit":       `"1000" is not one of WhatsApp's messaging limits (250, 2000, 10000, 100000, unlimited)`,
				"tenants.demo.pricing.currency":                `required with rates: an ISO 4217 code such as "USD", got "usd"`,
				"tenants.demo.pricing.rates.ID.authentication": `"1.2345678" is not an amount of money`,
				"tenants.demo.pricing.rates.+62.service":       `"-1" is not an amount of money`,
				"tenants.demo.pricing.rates.+999":              `"+999" is not a country calling code`,
				"tenants.demo.pricing.rates.id":                `"id" is neither "default", an upper-case ISO 3166 region`,
			},
		},
		{
			name: "telemetry valid",
			mutate: func(c *config.Config) {
				c.Telemetry.OTLP = config.OTLP{Endpoint: "http://collector:4318", Protocol: "http/protobuf", Headers: map[string]string{"x-api-key": "k"}}
				c.Telemetry.SampleRatio = 0.25
			},
		},
		{
			name: "telemetry invalid",
			mutate: func(c *config.Config) {
				c.Telemetry = config.Telemetry{ServiceName: " ", SampleRatio: 1.5, OTLP: config.OTLP{
					Endpoint: "collector:4318", Protocol: "thrift", Headers: map[string]string{"bad name": "v"},
				}}
			},
			want: map[string]string{
				"telemetry.service_name":  "required",
				"telemetry.sample_ratio":  "must be between 0 and 1, got 1.5",
				"telemetry.otlp.protocol": `"thrift" is not one of http/protobuf, grpc`,
				"telemetry.otlp.endpoint": `"collector:4318" must start with http:// or https://`,
				"telemetry.otlp.headers":  `"bad name" is not a header name`,
			},
		},
		{
			name: "telemetry endpoint without host",
			mutate: func(c *config.Config) {
				c.Telemetry.OTLP.Endpoint = "http:///v1/traces"
			},
			want: map[string]string{"telemetry.otlp.endpoint": `"http:///v1/traces" names no host`},
		},
		{
			name: "webhooks valid",
			mutate: webhooksAt(config.Webhook{Name: "crm", URL: "https://crm.example/hooks",
				Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Events: []string{"points.earned", "tier.*", "*"}}),
		},
		{
			name: "webhooks invalid",
			mutate: webhooksAt(
				config.Webhook{Name: "CRM", URL: "crm.example/hooks", Secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
					Events: []string{"points.earn", "tiers.*"}},
				config.Webhook{Name: "zap", URL: "https://hooks.zap.example", Secret: "whsec_c2hvcnQ="},
				config.Webhook{Name: "zap", URL: "ftp://files.example", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
					Events: []string{"*"}},
			),
			want: map[string]string{
				"tenants.demo.webhooks[0].name":      `"CRM" is not a name of lower case letters`,
				"tenants.demo.webhooks[0].url":       `"crm.example/hooks" is not an http or https URL`,
				"tenants.demo.webhooks[0].secret":    "must start with whsec_",
				"tenants.demo.webhooks[0].events[0]": `"points.earn" matches no outcome type`,
				"tenants.demo.webhooks[0].events[1]": `"tiers.*" matches no outcome type`,
				"tenants.demo.webhooks[1].secret":    "the key is 5 bytes, want 24 to 64",
				"tenants.demo.webhooks[1].events":    "at least one outcome type",
				"tenants.demo.webhooks[2].name":      `"zap" is already the name of webhooks[1]`,
				"tenants.demo.webhooks[2].url":       `"ftp://files.example" is not an http or https URL`,
			},
		},
		{
			name:   "links under a path",
			mutate: linksAt("https://hub.example/acme/"),
		},
		{
			name:   "links not a web address",
			mutate: linksAt("go.brand.example"),
			want: map[string]string{
				"tenants.demo.links.base_url": `"go.brand.example" is not an http or https URL`,
			},
		},
		{
			name:   "links with a query",
			mutate: linksAt("https://go.brand.example?src=wa"),
			want: map[string]string{
				"tenants.demo.links.base_url": "must have no query or fragment",
			},
		},
		{
			name: "budget needs rates",
			mutate: func(c *config.Config) {
				d := c.Tenants["demo"]
				d.Messaging.MessagingLimit = config.LimitUnlimited
				d.Messaging.MonthlyBudget = "0"
				c.Tenants["demo"] = d
			},
			want: map[string]string{
				"tenants.demo.messaging.monthly_budget": `must be positive, got "0"`,
			},
		},
		{
			name: "notification on an event, not an outcome",
			mutate: func(c *config.Config) {
				c.Tenants["demo"].Notifications[0].On = "order.paid"
			},
			want: map[string]string{"tenants.demo.notifications[0].on": `unknown outcome type "order.paid"`},
		},
		{
			name: "enums",
			mutate: func(c *config.Config) {
				c.Queue.Backend = "kafka"
				c.Store.Driver = "mysql"
				c.Log.Level = "trace"
				c.Log.Format = "xml"
				c.Pipeline.Send.UnknownPolicy = "drop"
			},
			want: map[string]string{
				"queue.backend":                `"kafka" is not one of embedded, nats, postgres, memory`,
				"store.driver":                 `"mysql" is not one of sqlite, postgres`,
				"log.level":                    `"trace"`,
				"log.format":                   `"xml"`,
				"pipeline.send.unknown_policy": `"drop" is not one of resend, hold`,
			},
		},
		{
			name: "postgres and nats need their DSNs",
			mutate: func(c *config.Config) {
				c.Queue.Backend = config.BackendPostgres
				c.Store.Driver = config.DriverPostgres
			},
			want: map[string]string{"queue.postgres.dsn": "required", "store.postgres.dsn": "required"},
		},
		{
			name: "nats url",
			mutate: func(c *config.Config) {
				c.Queue.Backend = config.BackendNATS
				c.Queue.NATS.URL = ""
				c.Queue.NATS.Replicas = 7
				c.Queue.NATS.StreamPrefix = "a.b"
			},
			want: map[string]string{
				"queue.nats.url":           "required",
				"queue.nats.replicas":      "between 1 and 5",
				"queue.nats.stream_prefix": `"a.b"`,
			},
		},
		{
			name: "sqlite path",
			mutate: func(c *config.Config) {
				c.Store.SQLite.Path = ""
			},
			want: map[string]string{"store.sqlite.path": "required"},
		},
		{
			name: "positive numbers and durations",
			mutate: func(c *config.Config) {
				c.DataDir = ""
				c.Server.Listen = ""
				c.Server.MaxBodyBytes = -1
				c.Server.ShutdownTimeout = -time.Second
				c.Server.APIRateLimit = config.RateLimit{PerSecond: -0.5, Burst: -1}
				c.Queue.Subscribers = 0
				c.Queue.AckWait = 0
				c.Queue.DuplicateWindow = -1
				c.Queue.MaxAge = 0
				c.Queue.Embedded.SyncInterval = 0
				c.Queue.Embedded.MaxStoreBytes = 0
				c.Queue.Postgres.SubscribeBatchSize = -5
				c.Queue.Postgres.PollInterval = 0
				c.Store.Postgres.MaxConns = 0
				c.Pipeline.HandlerTimeout = 0
				c.Pipeline.Retry.MaxRetries = -1
				c.Pipeline.Retry.InitialInterval = 0
				c.Pipeline.Retry.MaxInterval = 0
				c.Pipeline.Retry.Multiplier = 0.5
				c.Pipeline.Send.UnknownGrace = 0
			},
			want: map[string]string{
				"data_dir":                            "required",
				"server.listen":                       "required",
				"server.max_body_bytes":               "must be positive, got -1",
				"server.shutdown_timeout":             "positive duration",
				"server.api_rate_limit.per_second":    "must be positive, got -0.5",
				"server.api_rate_limit.burst":         "must be positive, got -1",
				"queue.subscribers":                   "must be positive",
				"queue.ack_wait":                      "positive duration",
				"queue.duplicate_window":              "positive duration",
				"queue.max_age":                       "positive duration",
				"queue.embedded.sync_interval":        "positive duration",
				"queue.embedded.max_store_bytes":      "must be positive",
				"queue.postgres.subscribe_batch_size": "must be positive",
				"queue.postgres.poll_interval":        "positive duration",
				"store.postgres.max_conns":            "must be positive",
				"pipeline.handler_timeout":            "positive duration",
				"pipeline.retry.max_retries":          "must not be negative",
				"pipeline.retry.initial_interval":     "positive duration",
				"pipeline.retry.max_interval":         "positive duration",
				"pipeline.retry.multiplier":           "at least 1",
				"pipeline.send.unknown_grace":         "positive duration",
			},
		},
		{
			name: "ordering between durations",
			mutate: func(c *config.Config) {
				c.Queue.DuplicateWindow = 2 * time.Hour
				c.Queue.MaxAge = time.Hour
				c.Pipeline.Retry.InitialInterval = time.Minute
				c.Pipeline.Retry.MaxInterval = time.Second
			},
			want: map[string]string{
				"queue.duplicate_window":      "must not exceed queue.max_age",
				"pipeline.retry.max_interval": "must not be below",
			},
		},
		{
			name: "scheduler",
			mutate: func(c *config.Config) {
				c.Pipeline.Scheduler.Interval = 10 * time.Minute
				c.Pipeline.Scheduler.Lease = time.Minute
				c.Pipeline.Scheduler.Batch = -1
			},
			want: map[string]string{
				"pipeline.scheduler.lease": "must be at least pipeline.scheduler.interval (10m0s)",
				"pipeline.scheduler.batch": "positive",
			},
		},
		{
			name: "batch",
			mutate: func(c *config.Config) {
				c.Queue.MaxAckPending = -1
				c.Pipeline.Batch.Size = -3
				c.Pipeline.Batch.Wait = 2 * time.Second
			},
			want: map[string]string{
				"queue.max_ack_pending": "must not be negative (0: twice queue.subscribers), got -1",
				"pipeline.batch.size":   "must be between 0 (the store's default) and 4096, got -3",
				"pipeline.batch.wait":   "must be between 0 and 1s, got 2s",
			},
		},
		{
			name: "tenant fields",
			mutate: func(c *config.Config) {
				d := c.Tenants["demo"]
				d.Name = ""
				d.DefaultRegion = "XX"
				d.Timezone = "Mars/Olympus"
				d.Loyalty.Rules = []config.EarnRule{{
					Name: "spend", On: "order.paid",
					Spend: &config.Spend{Unit: "0", Points: -1, Rounding: "floor", MinOrder: "0"},
				}}
				c.Tenants["demo"] = d
			},
			want: map[string]string{
				"tenants.demo.name":                          "required",
				"tenants.demo.default_region":                `"XX" is not a known ISO 3166 region`,
				"tenants.demo.timezone":                      `"Mars/Olympus"`,
				"tenants.demo.loyalty.rules[0].spend.unit":   "positive",
				"tenants.demo.loyalty.rules[0].spend.points": "must be positive, got -1",
			},
		},
		{
			name: "missing region",
			mutate: func(c *config.Config) {
				d := c.Tenants["demo"]
				d.DefaultRegion = ""
				c.Tenants["demo"] = d
			},
			want: map[string]string{"tenants.demo.default_region": "required"},
		},
		{
			name: "lower-case region is accepted",
			mutate: func(c *config.Config) {
				d := c.Tenants["demo"]
				d.DefaultRegion = "id"
				c.Tenants["demo"] = d
			},
		},
		{
			name: "bad tenant and connector ids",
			mutate: func(c *config.Config) {
				d := c.Tenants["demo"]
				d.Connectors = map[string]config.Connector{"Bad Name": {Type: "x"}, "wa": {}}
				c.Tenants["Demo/1"] = d
				delete(c.Tenants, "demo")
			},
			want: map[string]string{
				"tenants.Demo/1":                     "tenant id",
				"tenants.Demo/1.connectors.Bad Name": "connector name",
				"tenants.Demo/1.connectors.wa.type":  "required",
			},
		},
		{
			name: "spend unit forms",
			mutate: func(c *config.Config) {
				for i, unit := range []string{"1/3", "-5", "1e3", "abc", "0.00", "", " 10"} {
					id := fmt.Sprintf("t%d", i)
					d := c.Tenants["demo"]
					d.Loyalty.Rules = []config.EarnRule{{
						Name: "spend", On: "order.paid",
						Spend: &config.Spend{Unit: unit, Points: 1, Rounding: "floor", MinOrder: "0"},
					}}
					c.Tenants[id] = d
				}
				d := c.Tenants["demo"]
				d.Loyalty.Rules = []config.EarnRule{{
					Name: "spend", On: "order.paid",
					Spend: &config.Spend{Unit: "1000.50", Points: 1, Rounding: "floor", MinOrder: "0"},
				}}
				c.Tenants["demo"] = d
			},
			want: map[string]string{
				"tenants.t0.loyalty.rules[0].spend.unit": `"1/3"`,
				"tenants.t1.loyalty.rules[0].spend.unit": `"-5"`,
				"tenants.t2.loyalty.rules[0].spend.unit": `"1e3"`,
				"tenants.t3.loyalty.rules[0].spend.unit": `"abc"`,
				"tenants.t4.loyalty.rules[0].spend.unit": `"0.00" must be a positive`,
				"tenants.t5.loyalty.rules[0].spend.unit": `"" is not a decimal number`,
				"tenants.t6.loyalty.rules[0].spend.unit": `" 10" is not a decimal number`,
			},
		},
		{
			name: "notifications",
			mutate: func(c *config.Config) {
				d := c.Tenants["demo"]
				good := d.Notifications[0]
				dup := good
				empty := config.Notification{Category: "promo"}
				badSender := good
				badSender.Name = "other"
				badSender.Sender = "sms"
				d.Notifications = append(d.Notifications, dup, empty, badSender)
				c.Tenants["demo"] = d
			},
			want: map[string]string{
				"tenants.demo.notifications[1].name":              `"points-earned" is already the name of notifications[0]`,
				"tenants.demo.notifications[2].name":              "required",
				"tenants.demo.notifications[2].on":                "required",
				"tenants.demo.notifications[2].sender":            "required",
				"tenants.demo.notifications[2].category":          `"promo" is not one of utility, marketing`,
				"tenants.demo.notifications[2].template.name":     "required",
				"tenants.demo.notifications[2].template.language": "required",
				"tenants.demo.notifications[3].sender":            `"sms" is not a connector of tenant "demo"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.mutate(&c)
			requireErrors(t, c.Validate(), tt.want)
		})
	}
}

// webhooksAt sets the demo tenant's webhooks.
func webhooksAt(ws ...config.Webhook) func(c *config.Config) {
	return func(c *config.Config) {
		d := c.Tenants["demo"]
		d.Webhooks = ws
		c.Tenants["demo"] = d
	}
}

// linksAt sets the demo tenant's links.base_url.
func linksAt(base string) func(c *config.Config) {
	return func(c *config.Config) {
		d := c.Tenants["demo"]
		d.Links.BaseURL = base
		c.Tenants["demo"] = d
	}
}

// requireErrors checks that errs holds exactly one error on each path of
// want, whose message contains the wanted text; an empty want means errs is
// nil.
func requireErrors(t *testing.T, errs config.Errors, want map[string]string) {
	t.Helper()
	if len(want) == 0 {
		require.Nil(t, errs)
		return
	}
	got := map[string]string{}
	for _, e := range errs {
		require.NotContains(t, got, e.Path, "one error per path in this table; errors: %v", errs)
		got[e.Path] = e.Msg
	}
	require.Len(t, got, len(want), "errors: %v", errs)
	for path, msg := range want {
		require.Contains(t, got, path, "errors: %v", errs)
		assert.Contains(t, got[path], msg, path)
	}
}

func TestErrors(t *testing.T) {
	t.Run("field error text", func(t *testing.T) {
		assert.Equal(t, "a.b: bad", (&config.FieldError{Path: "a.b", Msg: "bad"}).Error())
		assert.Equal(t, "bad", (&config.FieldError{Msg: "bad"}).Error())
	})
	t.Run("errors text joins", func(t *testing.T) {
		es := config.Errors{{Path: "a", Msg: "x"}, {Path: "b", Msg: "y"}}
		assert.Equal(t, "a: x\nb: y", es.Error())
	})
	t.Run("empty is a nil error", func(t *testing.T) {
		var es config.Errors
		require.NoError(t, es.Err())
		require.NoError(t, config.Errors{}.Err())
		require.Error(t, config.Errors{{Path: "a", Msg: "x"}}.Err())
	})
	t.Run("validate returns nil when valid", func(t *testing.T) {
		c := valid()
		errs := c.Validate()
		assert.Nil(t, errs)
		assert.NoError(t, errs.Err())
	})
}

func TestPrefix(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want config.Errors
	}{
		{name: "nil", err: nil, want: nil},
		{name: "empty errors", err: config.Errors{}, want: nil},
		{
			name: "field error",
			err:  &config.FieldError{Path: "secret", Msg: "required"},
			want: config.Errors{{Path: "tenants.demo.connectors.pos.secret", Msg: "required"}},
		},
		{
			name: "field error without path",
			err:  &config.FieldError{Msg: "bad"},
			want: config.Errors{{Path: "tenants.demo.connectors.pos", Msg: "bad"}},
		},
		{
			name: "index path",
			err:  &config.FieldError{Path: "[2].name", Msg: "required"},
			want: config.Errors{{Path: "tenants.demo.connectors.pos[2].name", Msg: "required"}},
		},
		{
			name: "errors",
			err:  config.Errors{{Path: "a", Msg: "x"}, {Path: "breaker.max_failures", Msg: "y"}},
			want: config.Errors{
				{Path: "tenants.demo.connectors.pos.a", Msg: "x"},
				{Path: "tenants.demo.connectors.pos.breaker.max_failures", Msg: "y"},
			},
		},
		{
			name: "wrapped errors",
			err:  fmt.Errorf("validating: %w", config.Errors{{Path: "a", Msg: "x"}}),
			want: config.Errors{{Path: "tenants.demo.connectors.pos.a", Msg: "x"}},
		},
		{
			name: "joined field errors",
			err:  errors.Join(&config.FieldError{Path: "a", Msg: "x"}, errors.New("plain")),
			want: config.Errors{
				{Path: "tenants.demo.connectors.pos.a", Msg: "x"},
				{Path: "tenants.demo.connectors.pos", Msg: "plain"},
			},
		},
		{
			name: "plain errors starting with a key",
			err:  errors.Join(errors.New("secret: required"), errors.New("breaker.open_for: must be positive, got 0s"), errors.New("dial tcp: refused")),
			want: config.Errors{
				{Path: "tenants.demo.connectors.pos.secret", Msg: "required"},
				{Path: "tenants.demo.connectors.pos.breaker.open_for", Msg: "must be positive, got 0s"},
				{Path: "tenants.demo.connectors.pos", Msg: "dial tcp: refused"},
			},
		},
		{
			name: "plain error",
			err:  errors.New("token too short"),
			want: config.Errors{{Path: "tenants.demo.connectors.pos", Msg: "token too short"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, config.Prefix("tenants.demo.connectors.pos", tt.err))
		})
	}
}

func TestJoin(t *testing.T) {
	tests := []struct{ prefix, path, want string }{
		{"a", "b", "a.b"},
		{"a", "[0]", "a[0]"},
		{"", "b", "b"},
		{"a", "", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, config.Join(tt.prefix, tt.path))
		})
	}
}

func TestParseMicros(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "0": 0, "0.0107": 10700, "1": 1_000_000, "12.5": 12_500_000, "0.000001": 1} {
		got, err := config.ParseMicros(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"-1", "1.2345678", "1e3", ".5", "1,5", " 1"} {
		_, err := config.ParseMicros(in)
		assert.Error(t, err, in)
	}
}

func TestParseMessagingLimit(t *testing.T) {
	for in, want := range map[string]int{"": 0, "250": 250, "2000": 2000, "10000": 10000, "100000": 100000, "unlimited": -1, "-1": -1} {
		got, err := config.ParseMessagingLimit(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := config.ParseMessagingLimit("1000")
	assert.Error(t, err)
}
