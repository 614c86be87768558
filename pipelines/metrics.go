package pipelines

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the hub's Prometheus instruments, registered on their own
// registry (served at /metrics).
type Metrics struct {
	Registry *prometheus.Registry

	StageProcessed *prometheus.CounterVec   // stage
	StageFailed    *prometheus.CounterVec   // stage, class
	StageDuration  *prometheus.HistogramVec // stage
	DeadLetters    *prometheus.CounterVec   // stage

	ConnectorRequests      *prometheus.CounterVec // tenant, connector, code
	ConnectorSigFailures   *prometheus.CounterVec // tenant, connector
	ConnectorAcceptSeconds prometheus.Histogram

	SenderSends  *prometheus.CounterVec // tenant, sender
	SenderErrors *prometheus.CounterVec // tenant, sender, class
	// SenderPaused is 1 while a sender is paused after its credentials
	// were refused: alert on it.
	SenderPaused *prometheus.GaugeVec // tenant, sender
	// ConfigErrors counts sends refused for the configuration: credentials
	// or templates. Alert on any increase.
	ConfigErrors     *prometheus.CounterVec // tenant, sender, code
	MessagesSkipped  *prometheus.CounterVec // tenant, reason
	MessagesDeferred *prometheus.CounterVec // tenant
	// MessagesFallback counts free-form messages sent as their fallback
	// template: the window was closed by the contact's record
	// (window_closed) or as WhatsApp answered (131047).
	MessagesFallback *prometheus.CounterVec // tenant, reason
	InboundMessages  *prometheus.CounterVec // tenant, result (new, duplicate)
	Templates        *prometheus.GaugeVec   // tenant, sender: templates listed

	PointsAwarded    *prometheus.CounterVec // tenant
	StatusUnmatched  *prometheus.CounterVec // tenant
	StatusesApplied  prometheus.Counter
	DeliveryFailures *prometheus.CounterVec // tenant, code

	ConsentChanges     *prometheus.CounterVec // tenant, value (stop, resume, ignored)
	PrivacyRequests    *prometheus.CounterVec // tenant, type, result
	EventsWithoutPhone *prometheus.CounterVec // tenant, type
	CheckoutsAbandoned *prometheus.CounterVec // tenant
	MembersSynced      *prometheus.CounterVec // tenant, connector, result (ok, failed)
	CodesIssued        *prometheus.CounterVec // tenant, issuer, result (ok or the error class)
	HandoffEvents      *prometheus.CounterVec // tenant, event
	BotReplies         *prometheus.CounterVec // tenant, intent
}

// NewMetrics creates and registers every instrument, plus the Go and
// process collectors.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		StageProcessed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_stage_messages_processed_total",
			Help: "Messages a pipeline stage handled successfully.",
		}, []string{"stage"}),
		StageFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_stage_messages_failed_total",
			Help: "Failed handler attempts per stage, by permanent or retryable.",
		}, []string{"stage", "class"}),
		StageDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "loyalhub_stage_handle_duration_seconds",
			Help:    "Time a stage's handler took per message attempt.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"stage"}),
		DeadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_deadletters_stored_total",
			Help: "Dead letters stored, by the stage that gave up.",
		}, []string{"stage"}),
		ConnectorRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_connector_requests_total",
			Help: "Webhook requests per connector and HTTP status.",
		}, []string{"tenant", "connector", "code"}),
		ConnectorSigFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_connector_signature_failures_total",
			Help: "Webhook requests rejected for a missing or wrong signature.",
		}, []string{"tenant", "connector"}),
		ConnectorAcceptSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "loyalhub_connector_accept_duration_seconds",
			Help:    "Time from a webhook request to its durable enqueue.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		SenderSends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_sender_sends_total",
			Help: "Messages a BSP accepted.",
		}, []string{"tenant", "sender"}),
		SenderErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_sender_errors_total",
			Help: "Failed send attempts by error class.",
		}, []string{"tenant", "sender", "class"}),
		SenderPaused: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "loyalhub_sender_paused",
			Help: "1 while a sender is paused because its BSP refused its credentials.",
		}, []string{"tenant", "sender"}),
		ConfigErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_sender_config_errors_total",
			Help: "Sends refused for the configuration (credentials, templates), by code.",
		}, []string{"tenant", "sender", "code"}),
		MessagesSkipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_messages_skipped_total",
			Help: "Messages the messaging policy refused, by reason.",
		}, []string{"tenant", "reason"}),
		MessagesFallback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_messages_fallback_total",
			Help: "Free-form messages sent as their fallback template, by why the window was closed.",
		}, []string{"tenant", "reason"}),
		MessagesDeferred: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_messages_deferred_total",
			Help: "Messages held back until the end of quiet hours.",
		}, []string{"tenant"}),
		InboundMessages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_inbound_messages_total",
			Help: "Customers' messages received, new or duplicate deliveries.",
		}, []string{"tenant", "result"}),
		Templates: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "loyalhub_templates_listed",
			Help: "Templates the sender's account lists, at the last refresh.",
		}, []string{"tenant", "sender"}),
		PointsAwarded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_loyalty_points_awarded_total",
			Help: "Points credited to members.",
		}, []string{"tenant"}),
		StatusesApplied: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "loyalhub_statuses_applied_total",
			Help: "Delivery reports applied to the message log (including those that changed nothing).",
		}),
		DeliveryFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_delivery_failures_total",
			Help: "Messages the BSP accepted and then reported failed, by Meta's error code.",
		}, []string{"tenant", "code"}),
		ConsentChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_consent_changes_total",
			Help: "Marketing consent changes applied (stop, resume), or ignored (a category the tenant does not count).",
		}, []string{"tenant", "value"}),
		PrivacyRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_privacy_requests_total",
			Help: "Privacy requests of shops, by type and what was done (erased, logged, no_member).",
		}, []string{"tenant", "type", "result"}),
		EventsWithoutPhone: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_events_without_phone_total",
			Help: "Events left aside because they name no member: no phone number (a guest's order, a customer known by email only).",
		}, []string{"tenant", "type"}),
		CheckoutsAbandoned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_checkouts_abandoned_total",
			Help: "Checkouts announced as abandoned.",
		}, []string{"tenant"}),
		MembersSynced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_members_synced_total",
			Help: "Members whose points and tier were written back to a source system, or failed to be.",
		}, []string{"tenant", "connector", "result"}),
		CodesIssued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_reward_codes_issued_total",
			Help: "Reward codes asked of a shop connector, by result: ok, or the class of the final error.",
		}, []string{"tenant", "issuer", "result"}),
		HandoffEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_handoff_events_total",
			Help: "Events of conversations handed to a person, delivered to the tenant's inbox webhook.",
		}, []string{"tenant", "event"}),
		BotReplies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_bot_messages_total",
			Help: "Customers' messages the chatbot answered, by what it understood (join, points, rewards, unknown…).",
		}, []string{"tenant", "intent"}),
		StatusUnmatched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_status_unmatched_total",
			Help: "Delivery reports for messages the message log does not know.",
		}, []string{"tenant"}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.StageProcessed, m.StageFailed, m.StageDuration, m.DeadLetters,
		m.ConnectorRequests, m.ConnectorSigFailures, m.ConnectorAcceptSeconds,
		m.SenderSends, m.SenderErrors, m.SenderPaused, m.ConfigErrors, m.MessagesSkipped, m.MessagesDeferred, m.MessagesFallback,
		m.InboundMessages, m.Templates, m.PointsAwarded, m.StatusUnmatched, m.StatusesApplied, m.DeliveryFailures,
		m.ConsentChanges, m.PrivacyRequests, m.EventsWithoutPhone, m.CheckoutsAbandoned, m.MembersSynced, m.CodesIssued, m.HandoffEvents, m.BotReplies,
	)
	return m
}
