package config

import (
	"path/filepath"
	"time"
)

// Defaults stated in the field comments of the config types.
const (
	DefaultDataDir         = "./data"
	DefaultListen          = ":8080"
	DefaultMaxBodyBytes    = 1 << 20
	DefaultShutdownTimeout = 20 * time.Second
	DefaultConnectTimeout  = 2 * time.Minute
	DefaultAPIRatePerSec   = 10
	DefaultAPIRateBurst    = 20

	DefaultLogLevel  = "info"
	DefaultLogFormat = "text"

	DefaultSubscribers     = 16
	DefaultAckWait         = 60 * time.Second
	DefaultDuplicateWindow = 2 * time.Minute
	DefaultMaxAge          = 168 * time.Hour
	DefaultSyncInterval    = time.Second
	DefaultMaxStoreBytes   = 10 << 30
	DefaultNATSURL         = "nats://127.0.0.1:4222"
	DefaultNATSReplicas    = 1
	DefaultStreamPrefix    = "loyalhub"
	DefaultBatchSize       = 1000
	DefaultPollInterval    = 100 * time.Millisecond

	DefaultSQLiteFile = "loyalhub.db"
	DefaultMaxConns   = 16

	DefaultHandlerTimeout  = 30 * time.Second
	DefaultMaxRetries      = 5
	DefaultInitialInterval = 200 * time.Millisecond
	DefaultMaxInterval     = 10 * time.Second
	DefaultMultiplier      = 2
	DefaultUnknownGrace    = 30 * time.Second
	DefaultSendConcurrency = 64
	DefaultSendRelay       = time.Second
	DefaultAuthPause       = 5 * time.Minute
	DefaultMarketingCap    = 2
	DefaultAbandonAfter    = time.Hour
	ConsentOptIn           = "opt_in"
	ConsentNotOptedOut     = "not_opted_out"

	DefaultSchedulerInterval = time.Minute
	DefaultSchedulerLease    = 5 * time.Minute
	DefaultSchedulerBatch    = 500
	DefaultCampaignPoll      = 5 * time.Second
	DefaultCampaignBatch     = 500
	DefaultJourneyPoll       = 5 * time.Second
	DefaultSyncEvery         = 5 * time.Second

	DefaultTimezone      = "UTC"
	DefaultCategory      = "utility"
	DefaultQueueBackend  = BackendEmbedded
	DefaultStoreDriver   = DriverSQLite
	DefaultUnknownPolicy = UnknownResend
)

// Default returns a configuration holding every default and no tenants.
func Default() Config {
	var c Config
	c.ApplyDefaults()
	return c
}

// ApplyDefaults fills every zero-valued field that has a default, including
// the per-tenant ones: Name (the tenant id), Timezone, the loyalty
// program's (see Loyalty) and each notification's Category. The SQLite path
// is derived from DataDir when empty.
//
// A zero value counts as unset. Where zero is a meaningful setting
// (pipeline.retry.max_retries), loaders that know the key was written
// explicitly restore it after calling ApplyDefaults.
func (c *Config) ApplyDefaults() {
	setString(&c.DataDir, DefaultDataDir)

	setString(&c.Server.Listen, DefaultListen)
	setInt64(&c.Server.MaxBodyBytes, DefaultMaxBodyBytes)
	setDuration(&c.Server.ShutdownTimeout, DefaultShutdownTimeout)
	if c.Server.APIRateLimit.PerSecond == 0 {
		c.Server.APIRateLimit.PerSecond = DefaultAPIRatePerSec
	}
	setInt(&c.Server.APIRateLimit.Burst, DefaultAPIRateBurst)
	setDuration(&c.Startup.ConnectTimeout, DefaultConnectTimeout)

	setString(&c.Log.Level, DefaultLogLevel)
	setString(&c.Log.Format, DefaultLogFormat)

	c.Queue.ApplyDefaults()
	c.Telemetry.ApplyDefaults()

	setString(&c.Store.Driver, DefaultStoreDriver)
	setString(&c.Store.SQLite.Path, filepath.Join(c.DataDir, DefaultSQLiteFile))
	setInt(&c.Store.Postgres.MaxConns, DefaultMaxConns)

	p := &c.Pipeline
	setDuration(&p.HandlerTimeout, DefaultHandlerTimeout)
	setInt(&p.Retry.MaxRetries, DefaultMaxRetries)
	setDuration(&p.Retry.InitialInterval, DefaultInitialInterval)
	setDuration(&p.Retry.MaxInterval, DefaultMaxInterval)
	if p.Retry.Multiplier == 0 {
		p.Retry.Multiplier = DefaultMultiplier
	}
	setString(&p.Send.UnknownPolicy, DefaultUnknownPolicy)
	setDuration(&p.Send.UnknownGrace, DefaultUnknownGrace)
	setInt(&p.Send.Concurrency, DefaultSendConcurrency)
	setDuration(&p.Send.Relay, DefaultSendRelay)
	setDuration(&p.Send.AuthPause, DefaultAuthPause)
	setDuration(&p.Scheduler.Interval, DefaultSchedulerInterval)
	setDuration(&p.Scheduler.Lease, DefaultSchedulerLease)
	setInt(&p.Scheduler.Batch, DefaultSchedulerBatch)
	setDuration(&p.Scheduler.CampaignPoll, DefaultCampaignPoll)
	setInt(&p.Scheduler.CampaignBatch, DefaultCampaignBatch)
	setDuration(&p.Scheduler.JourneyPoll, DefaultJourneyPoll)
	setDuration(&p.Sync.Interval, DefaultSyncEvery)

	for id, t := range c.Tenants {
		t.applyDefaults(id)
		c.Tenants[id] = t
	}
}

func (t *Tenant) applyDefaults(id string) {
	setString(&t.Name, id)
	setString(&t.Timezone, DefaultTimezone)
	t.Loyalty.applyDefaults()
	setString(&t.Messaging.MarketingConsent, ConsentOptIn)
	setInt(&t.Messaging.MarketingDailyCap, DefaultMarketingCap)
	setDuration(&t.Checkouts.AbandonAfter, DefaultAbandonAfter)
	t.Conversation.applyDefaults(t.Name)
	for i := range t.Surveys {
		t.Surveys[i].applyDefaults(t.Conversation)
	}
	for i := range t.Notifications {
		setString(&t.Notifications[i].Category, DefaultCategory)
	}
}

// ApplyDefaults fills the queue's zero values with the defaults stated in
// config.go.
func (q *Queue) ApplyDefaults() {
	setString(&q.Backend, DefaultQueueBackend)
	setInt(&q.Subscribers, DefaultSubscribers)
	setDuration(&q.AckWait, DefaultAckWait)
	setDuration(&q.DuplicateWindow, DefaultDuplicateWindow)
	setDuration(&q.MaxAge, DefaultMaxAge)
	setDuration(&q.Embedded.SyncInterval, DefaultSyncInterval)
	setInt64(&q.Embedded.MaxStoreBytes, DefaultMaxStoreBytes)
	setString(&q.NATS.URL, DefaultNATSURL)
	setInt(&q.NATS.Replicas, DefaultNATSReplicas)
	setString(&q.NATS.StreamPrefix, DefaultStreamPrefix)
	setInt(&q.Postgres.SubscribeBatchSize, DefaultBatchSize)
	setDuration(&q.Postgres.PollInterval, DefaultPollInterval)
}

func setString(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func setInt(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}

func setInt64(p *int64, v int64) {
	if *p == 0 {
		*p = v
	}
}

func setDuration(p *time.Duration, v time.Duration) {
	if *p == 0 {
		*p = v
	}
}
