// Package config holds loyalhub's configuration types, their defaults and
// their validation. Loading (YAML, environment, ${VAR} expansion) lives in
// package pipelines; connector-specific blocks are validated by each
// connector's own config type.
package config

import (
	"time"
)

// Config is the whole configuration of one loyalhub process.
type Config struct {
	// DataDir holds the embedded queue's files and the SQLite database.
	// Default "./data".
	DataDir  string   `koanf:"data_dir"`
	Server   Server   `koanf:"server"`
	Log      Log      `koanf:"log"`
	Queue    Queue    `koanf:"queue"`
	Store    Store    `koanf:"store"`
	Pipeline Pipeline `koanf:"pipeline"`
	Startup  Startup  `koanf:"startup"`
	// Telemetry exports OpenTelemetry traces (telemetry.go).
	Telemetry Telemetry         `koanf:"telemetry"`
	Tenants   map[string]Tenant `koanf:"tenants"`
	// WhatsAppApps are Meta apps whose one webhook URL serves the numbers
	// of many tenants: POST /apps/<name>/whatsapp routes each change to
	// the tenant's whatsapp_cloud connector by its phone_number_id (or,
	// for template and account updates, its waba_id).
	WhatsAppApps map[string]WhatsAppApp `koanf:"whatsapp_apps"`
}

// WhatsAppApp is one Meta app's shared webhook.
type WhatsAppApp struct {
	// AppSecret verifies X-Hub-Signature-256. Required.
	AppSecret string `koanf:"app_secret"`
	// VerifyToken answers Meta's GET verification. Empty refuses it.
	VerifyToken string `koanf:"verify_token"`
}

// Server is the HTTP listener: webhooks, health, metrics and the admin API.
type Server struct {
	// Listen is the address to listen on. Default ":8080".
	Listen string `koanf:"listen"`
	// AdminToken is the bootstrap bearer token of the admin API: full
	// access to every route. Empty, only API keys open the admin API.
	AdminToken string `koanf:"admin_token"`
	// MetricsToken, when set, is the bearer token /metrics requires.
	// Default empty: /metrics is open.
	MetricsToken string `koanf:"metrics_token"`
	// APIRateLimit limits the admin API's requests per API key.
	APIRateLimit RateLimit `koanf:"api_rate_limit"`
	// MaxBodyBytes caps a webhook body. Default 1 MiB.
	MaxBodyBytes int64 `koanf:"max_body_bytes"`
	// ShutdownTimeout bounds the graceful drain on SIGTERM. Default 20s.
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout"`
	// Pprof serves Go's profiler at /debug/pprof/, behind the admin token
	// or an integrator key of admin scope. Default false.
	Pprof bool `koanf:"pprof"`
}

// RateLimit is a token bucket: PerSecond requests a second on average,
// up to Burst at once.
type RateLimit struct {
	// PerSecond is the sustained rate. Default 10.
	PerSecond float64 `koanf:"per_second"`
	// Burst is the most requests let through at once. Default 20.
	Burst int `koanf:"burst"`
}

// Startup is how `loyalhub serve` waits for what it depends on.
type Startup struct {
	// ConnectTimeout is how long serve keeps trying to reach its store and
	// its queue at start (a database or NATS server that starts after the
	// hub, or restarts), retrying with a backoff from 500ms doubling up to
	// 10s and logging each failed attempt, before it exits with the last
	// error. Default 2m.
	ConnectTimeout time.Duration `koanf:"connect_timeout"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error. Default info.
	Level string `koanf:"level"`
	// Format is text or json. Default text.
	Format string `koanf:"format"`
}

// Queue backends.
const (
	BackendEmbedded = "embedded"
	BackendNATS     = "nats"
	BackendPostgres = "postgres"
	BackendMemory   = "memory"
)

// Queue selects and tunes the message queue between stages.
type Queue struct {
	// Backend is embedded, nats, postgres or memory (tests only).
	// Default embedded.
	Backend string `koanf:"backend"`
	// Subscribers is the number of concurrent consumers per stage.
	// Default 16.
	Subscribers int `koanf:"subscribers"`
	// AckWait is how long a delivered message may stay unacknowledged before
	// the queue redelivers it. Default 60s.
	AckWait time.Duration `koanf:"ack_wait"`
	// MaxAckPending caps the messages of one stage the queue has handed
	// out and not yet seen acknowledged, across every replica (embedded
	// and nats). A message handed out waits in the client until a
	// subscriber takes it, and its ack_wait runs meanwhile: without a cap
	// a backlog is handed out at once and redelivered while it waits.
	// Zero: twice queue.subscribers, right for one replica; with several
	// replicas set it to twice their subscribers together.
	MaxAckPending int `koanf:"max_ack_pending"`
	// DuplicateWindow is how long the queue remembers delivery ids to drop
	// duplicates (embedded and nats). Default 2m.
	DuplicateWindow time.Duration `koanf:"duplicate_window"`
	// MaxAge drops queued messages older than this (embedded and nats).
	// Default 168h.
	MaxAge   time.Duration `koanf:"max_age"`
	Embedded Embedded      `koanf:"embedded"`
	NATS     NATS          `koanf:"nats"`
	Postgres QueuePostgres `koanf:"postgres"`
}

// Embedded tunes the in-process NATS JetStream server.
type Embedded struct {
	// SyncInterval is how often the stream files are fsynced. Default 1s.
	SyncInterval time.Duration `koanf:"sync_interval"`
	// SyncAlways fsyncs every write: power-loss safe, about 16x slower.
	SyncAlways bool `koanf:"sync_always"`
	// Listen opens a NATS client port (such as "127.0.0.1:4222") for
	// inspection with the nats CLI. Default "": no listener.
	Listen string `koanf:"listen"`
	// MaxStoreBytes caps the stream files. Default 10 GiB.
	MaxStoreBytes int64 `koanf:"max_store_bytes"`
}

// NATS is an external JetStream server or cluster.
type NATS struct {
	// URL of the servers, comma-separated. Default nats://127.0.0.1:4222.
	URL string `koanf:"url"`
	// Replicas of each stream. Default 1.
	Replicas int `koanf:"replicas"`
	// StreamPrefix prefixes stream and consumer names, so several hubs can
	// share one server. Default "loyalhub".
	StreamPrefix string `koanf:"stream_prefix"`
}

// QueuePostgres is the watermill-sql queue.
type QueuePostgres struct {
	// DSN of the database, such as postgres://user@host:5432/db.
	DSN string `koanf:"dsn"`
	// SubscribeBatchSize is how many rows one consumer poll reads.
	// Default 1000 (smaller values fall behind under load).
	SubscribeBatchSize int `koanf:"subscribe_batch_size"`
	// PollInterval is how often an idle consumer polls. Default 100ms.
	PollInterval time.Duration `koanf:"poll_interval"`
}

// Store drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Store selects the database.
type Store struct {
	// Driver is sqlite or postgres. Default sqlite.
	Driver   string        `koanf:"driver"`
	SQLite   SQLite        `koanf:"sqlite"`
	Postgres StorePostgres `koanf:"postgres"`
}

// SQLite is the embedded database.
type SQLite struct {
	// Path of the database file. Default <data_dir>/loyalhub.db.
	Path string `koanf:"path"`
}

// StorePostgres is a PostgreSQL database.
type StorePostgres struct {
	// DSN of the database.
	DSN string `koanf:"dsn"`
	// MaxConns caps the connection pool. Default 16.
	MaxConns int `koanf:"max_conns"`
}

// Pipeline tunes the stages.
type Pipeline struct {
	// IngestOnly makes this process a webhook receiver: it authenticates
	// and queues deliveries but runs no stages, which other replicas
	// sharing the queue run. Default false.
	IngestOnly bool `koanf:"ingest_only"`
	// HandlerTimeout bounds one handler attempt. Default 30s.
	HandlerTimeout time.Duration `koanf:"handler_timeout"`
	Retry          Retry         `koanf:"retry"`
	Batch          Batch         `koanf:"batch"`
	Send           Send          `koanf:"send"`
	Scheduler      Scheduler     `koanf:"scheduler"`
	Sync           Sync          `koanf:"sync"`
}

// Batch is how the events of concurrent deliveries, and on SQLite every
// write, commit together: the process stage's events waiting at the same
// moment run in one store transaction, each in a savepoint of its own, so
// that a failing one is dead-lettered alone and the rest commit. On
// PostgreSQL the send stage's claims and marks of messages commit together
// the same way.
type Batch struct {
	// Size caps the events (on SQLite, writes) of one store transaction.
	// Zero is the store's default: 256 writes on SQLite, 64 events on
	// PostgreSQL.
	Size int `koanf:"size"`
	// Wait is how long a transaction with fewer than Size events waits for
	// more before it commits. Zero, the default, waits only for the
	// goroutines already about to join, which adds no latency when idle.
	Wait time.Duration `koanf:"wait"`
}

// MaxBatchSize and MaxBatchWait bound pipeline.batch: a longer transaction
// holds every event of its batch back.
const (
	MaxBatchSize = 4096
	MaxBatchWait = time.Second
)

// Sync writes members' points and tier back to the systems whose
// connectors can (HubSpot contact properties).
type Sync struct {
	// Interval between two write-backs of the members that changed; the
	// changes of an interval go together in batches. Default 5s.
	Interval time.Duration `koanf:"interval"`
}

// Scheduler runs the loyalty program's timed work: pending points that
// become available, points that expire, and reminders before they do.
type Scheduler struct {
	// Disabled turns scheduled work off in this process. It also does not
	// run with ingest_only. Default false.
	Disabled bool `koanf:"disabled"`
	// Interval between two sweeps. Default 1m.
	Interval time.Duration `koanf:"interval"`
	// Lease is how long one replica holds a tenant's sweep before another
	// may take it over. Default 5m.
	Lease time.Duration `koanf:"lease"`
	// Batch is how many members (lots due, reminders, birthdays) one
	// transaction of a sweep updates, and how often the sweep renews its
	// lease. Default 500.
	Batch int `koanf:"batch"`
	// CampaignPoll is how often started campaigns are looked for (one
	// starts at once when an operator starts it now). Default 5s.
	CampaignPoll time.Duration `koanf:"campaign_poll"`
	// CampaignBatch is how many members of a campaign's audience one
	// transaction writes to the outbox. Default 500.
	CampaignBatch int `koanf:"campaign_batch"`
	// JourneyPoll is how often members' journey steps that are due are
	// looked for. Default 5s.
	JourneyPoll time.Duration `koanf:"journey_poll"`
}

// Retry is the in-process retry of retryable errors, before the message is
// returned to the queue for a later redelivery.
type Retry struct {
	// MaxRetries per delivery. Default 5.
	MaxRetries int `koanf:"max_retries"`
	// InitialInterval of the exponential backoff. Default 200ms.
	InitialInterval time.Duration `koanf:"initial_interval"`
	// MaxInterval of the exponential backoff. Default 10s.
	MaxInterval time.Duration `koanf:"max_interval"`
	// Multiplier of the exponential backoff. Default 2.
	Multiplier float64 `koanf:"multiplier"`
}

// Unknown-outcome policies of the send stage.
const (
	UnknownResend = "resend"
	UnknownHold   = "hold"
)

// Send tunes the send stage.
type Send struct {
	// UnknownPolicy decides what happens to a message whose send attempt was
	// interrupted (a crash or a timeout between the BSP call and recording
	// its answer) and for which no status webhook arrived within
	// UnknownGrace: "resend" sends it again under the same key (its
	// biz_opaque_callback_data), "hold" leaves it as unknown in the message
	// log for an operator. Default resend: a message is never left unsent;
	// it goes out twice only when WhatsApp accepted the interrupted attempt
	// and none of that attempt's status webhooks reached the hub within
	// UnknownGrace.
	UnknownPolicy string `koanf:"unknown_policy"`
	// UnknownGrace is how long to wait for a status webhook before applying
	// UnknownPolicy. It runs from the attempt; for an attempt whose process
	// died (made before a restart, or left sending by another replica),
	// twice queue.ack_wait comes first, from the restart or the attempt (a
	// status webhook the dead process held is redelivered after the ack wait
	// at each of the BSP lane's two queue hops). Default 30s.
	UnknownGrace time.Duration `koanf:"unknown_grace"`
	// AuthPause is how long a sender stays paused after its BSP refused
	// its credentials (Meta's 190): messages for it are dead-lettered
	// without a call, for replay once fixed; then one trial message goes
	// through. Default 5m.
	AuthPause time.Duration `koanf:"auth_pause"`
	// Concurrency is how many messages the send stage has in flight per
	// process: a BSP call takes tens to hundreds of milliseconds, so it
	// needs far more than the CPU-bound stages. Default 64.
	Concurrency int `koanf:"concurrency"`
	// Relay is how often the sender looks in the outbox for messages it was
	// not woken for: queued by another replica, left by a crash, or
	// deferred and now due. Default 1s.
	Relay time.Duration `koanf:"relay"`
}

// Tenant is one client's configuration.
type Tenant struct {
	// Name is a display name. Default: the tenant id.
	Name string `koanf:"name"`
	// DefaultRegion is the ISO 3166 country used for phone numbers written
	// without a country code, such as "ID". Required.
	DefaultRegion string `koanf:"default_region"`
	// Timezone is an IANA zone for date rules. Default UTC.
	Timezone      string               `koanf:"timezone"`
	Connectors    map[string]Connector `koanf:"connectors"`
	Loyalty       Loyalty              `koanf:"loyalty"`
	Notifications []Notification       `koanf:"notifications"`
	// Journeys are automated flows members enter on an outcome.
	Journeys     []Journey    `koanf:"journeys"`
	Messaging    Messaging    `koanf:"messaging"`
	Pricing      Pricing      `koanf:"pricing"`
	Checkouts    Checkouts    `koanf:"checkouts"`
	Conversation Conversation `koanf:"conversation"`
	// Surveys are NPS and CSAT surveys sent after events (docs/surveys.md).
	Surveys []Survey `koanf:"surveys"`
	// Links turns the URLs of the tenant's messages into short links the
	// hub serves, to count their clicks. Default: off.
	Links Links `koanf:"links"`
	// Webhooks are other systems' endpoints the tenant's outcomes are
	// posted to, signed (docs/webhooks.md). Default: none.
	Webhooks []Webhook `koanf:"webhooks"`
}

// Links are a tenant's short links: every http or https URL in the text
// of a message it sends is replaced, before the message goes out, by
// BaseURL + "/r/" + a code, which the hub's public HTTP server redirects
// to the URL, counting the click.
type Links struct {
	// BaseURL is the public address of the hub's HTTP server for the
	// tenant's links, such as "https://go.brand.example" (a domain of the
	// brand's that reaches the hub), with no query or fragment. Empty
	// (the default): URLs go out as written.
	BaseURL string `koanf:"base_url"`
}

// Enabled reports whether the tenant's URLs are shortened.
func (l Links) Enabled() bool { return l.BaseURL != "" }

// Checkouts is what the hub does with a shop's checkouts
// (checkout.updated events).
type Checkouts struct {
	// AbandonAfter is how long a checkout that was neither completed nor
	// deleted waits after its last change before it is announced as
	// checkout.abandoned, once. Default 1h.
	AbandonAfter time.Duration `koanf:"abandon_after"`
}

// Messaging is a tenant's sending policy, checked before every send.
type Messaging struct {
	// MarketingConsent is what a marketing message needs from its
	// recipient: "opt_in" (default), a recorded opt-in; or
	// "not_opted_out", anyone who has not said stop (for consent gathered
	// outside the hub).
	MarketingConsent string `koanf:"marketing_consent"`
	// QuietHours hold marketing messages back between Start and End, in
	// the tenant's time zone; they go out when the quiet hours end.
	QuietHours QuietHours `koanf:"quiet_hours"`
	// MarketingDailyCap is the most marketing messages one recipient gets
	// in one local day; further ones are skipped. Default 2.
	MarketingDailyCap int `koanf:"marketing_daily_cap"`
	// SMSConsent counts a shop's or CRM's SMS marketing consent
	// (sms_marketing, such as Shopify's customers_marketing_consent) as
	// consent to WhatsApp marketing messages to the same number. Default
	// false: only WhatsApp's own stop and resume, consents recorded through
	// the admin API and sources' marketing_messages consents count.
	SMSConsent bool `koanf:"sms_consent"`
	// MessagingLimit is WhatsApp's messaging limit of the tenant's
	// business portfolio: how many unique users its senders may reach
	// outside a customer service window in a moving 24 hours, "250",
	// "2000", "10000", "100000" or "unlimited". A business-initiated
	// conversation beyond it is deferred, each waiting message until the
	// reach whose place it takes leaves the 24 hours. WhatsApp's
	// business_capability_update and phone_number_quality_update webhooks
	// replace it per sender, and the value they gave is kept across
	// restarts. Empty (the default): no
	// limit until a webhook reports one.
	MessagingLimit string `koanf:"messaging_limit"`
	// MonthlyBudget is the most the tenant spends on WhatsApp messages in
	// one local calendar month, a decimal in pricing.currency: a marketing
	// message that would pass it is skipped (budget). Empty: no budget.
	// Needs pricing.
	MonthlyBudget string `koanf:"monthly_budget"`
}

// Messaging limits WhatsApp gives a business portfolio.
var MessagingLimits = []string{"250", "2000", "10000", "100000", LimitUnlimited}

// LimitUnlimited is the messaging limit of a portfolio without one.
const LimitUnlimited = "unlimited"

// Pricing is the tenant's rate card: what WhatsApp charges per delivered
// message by category and recipient country, to record the cost of what is
// sent and to estimate it before. Meta publishes its rates per market; the
// BSP's may differ.
type Pricing struct {
	// Currency is the ISO 4217 code the rates are in, such as "USD".
	// Required with rates.
	Currency string `koanf:"currency"`
	// Rates are the rates by recipient: an ISO 3166 region ("ID"), a
	// country calling code ("+62") or "default" for every other one. A
	// region is looked up before its calling code, then "default".
	Rates map[string]Rates `koanf:"rates"`
}

// Rates are the prices of one delivered message by category, decimals in
// the pricing's currency; an empty rate is 0.
type Rates struct {
	Marketing      string `koanf:"marketing"`
	Utility        string `koanf:"utility"`
	Authentication string `koanf:"authentication"`
	Service        string `koanf:"service"`
}

// RatesDefault is the key of the rates for recipients no other key names.
const RatesDefault = "default"

// QuietHours is a daily span of local time, "21:00" to "08:00"; empty
// Start and End mean none.
type QuietHours struct {
	Start string `koanf:"start"`
	End   string `koanf:"end"`
}

// Connector is one connector instance; its name is the key in the tenant's
// connectors map and the {connector} of its webhook URL.
type Connector struct {
	// Type is a registered connector type, such as pos_webhook.
	Type string `koanf:"type"`
	// Mapping, when set, replaces the type's bundled jq mapping.
	Mapping string `koanf:"mapping"`
	// Settings are the type-specific keys, decoded by the connector.
	Settings map[string]any `koanf:",remain"`
}

// Notification turns an outcome into a WhatsApp message: an approved
// template, or a session text message (sent only inside the customer's
// 24-hour window) with an optional fallback template for outside it.
type Notification struct {
	// Name identifies the rule; it is part of each message's idempotency key.
	Name string `koanf:"name"`
	// On is the outcome type, such as points.earned.
	On string `koanf:"on"`
	// When is an optional expr condition over the outcome.
	When string `koanf:"when"`
	// Sender is the tenant's connector instance that sends it.
	Sender string `koanf:"sender"`
	// Category is utility, marketing or authentication. Default utility.
	// Marketing messages need the member's opt-in and obey quiet hours
	// and the daily cap.
	Category string           `koanf:"category"`
	Template NotificationTmpl `koanf:"template"`
	// Text is an expr expression for the body of a session text message,
	// instead of a template.
	Text string `koanf:"text"`
	// Fallback is the template sent instead of Text when the customer's
	// window is closed.
	Fallback *NotificationTmpl `koanf:"fallback"`
}

// NotificationTmpl names an approved template and how to fill it. Every
// value is an expr expression evaluated over {outcome, member, data,
// tenant}.
type NotificationTmpl struct {
	Name     string `koanf:"name" json:"name"`
	Language string `koanf:"language" json:"language"`
	// Header fills the header of templates whose header takes a
	// parameter: a text, or an image, video or document by link.
	Header *NotificationHeader `koanf:"header" json:"header,omitempty"`
	// Body holds one expression per positional body parameter ({{1}}…).
	Body []string `koanf:"body" json:"body,omitempty"`
	// Params fills a named template's body: parameter name → expression.
	Params map[string]string `koanf:"params" json:"params,omitempty"`
	// Buttons fill the template's dynamic buttons.
	Buttons []NotificationButton `koanf:"buttons" json:"buttons,omitempty"`
}

// NotificationHeader fills a template's header parameter.
type NotificationHeader struct {
	// Type is text, image, video or document.
	Type string `koanf:"type" json:"type"`
	// Text is the expression of a text header's parameter.
	Text string `koanf:"text" json:"text,omitempty"`
	// Name is a named template's header parameter name.
	Name string `koanf:"name" json:"name,omitempty"`
	// Link is the expression of a media header's public https URL.
	Link string `koanf:"link" json:"link,omitempty"`
	// Filename names a document header's file.
	Filename string `koanf:"filename" json:"filename,omitempty"`
}

// NotificationButton fills one of a template's buttons.
type NotificationButton struct {
	// Index is the button's position in the template, from 0.
	Index int `koanf:"index" json:"index"`
	// SubType is url (Value is the URL's suffix), copy_code (Value is the
	// code) or quick_reply (Value is the payload returned when tapped).
	SubType string `koanf:"sub_type" json:"sub_type"`
	// Value is the expression of the button's parameter.
	Value string `koanf:"value" json:"value"`
}
