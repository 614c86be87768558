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
	// SenderRateWait times each send's wait for its turn of the number's
	// throughput shared by the replicas (PostgreSQL store);
	// SenderRateReservations counts the round trips reserving turns, by
	// result (ok, failed); SenderRateMissed the turns given up because the
	// replica came to them late.
	SenderRateWait         *prometheus.HistogramVec // tenant, sender
	SenderRateReservations *prometheus.CounterVec   // tenant, sender, result
	SenderRateMissed       *prometheus.CounterVec   // tenant, sender
	// ConfigErrors counts sends refused for the configuration: credentials
	// or templates. Alert on any increase.
	ConfigErrors     *prometheus.CounterVec // tenant, sender, code
	MessagesSkipped  *prometheus.CounterVec // tenant, reason
	MessagesDeferred *prometheus.CounterVec // tenant
	// MessagesHeldBack counts messages deferred for their sender: its
	// messaging limit used up, its marketing paused for its number's
	// quality, or marketing waiting for the recipient's words.
	MessagesHeldBack *prometheus.CounterVec // tenant, sender, reason
	// SenderQualityPaused is 1 while a sender's marketing messages are
	// paused for its number's quality; SenderMessagingLimit is the
	// sender's messaging limit as WhatsApp last reported it (-1
	// unlimited).
	SenderQualityPaused  *prometheus.GaugeVec // tenant, sender
	SenderMessagingLimit *prometheus.GaugeVec // tenant, sender
	// MessagesFallback counts free-form messages sent as their fallback
	// template: the window was closed by the contact's record
	// (window_closed) or as WhatsApp answered (131047).
	MessagesFallback *prometheus.CounterVec // tenant, reason
	InboundMessages  *prometheus.CounterVec // tenant, result (new, duplicate)
	Templates        *prometheus.GaugeVec   // tenant, sender: templates listed

	// MessagesResent counts messages sent again under their key after no
	// status webhook came for an interrupted attempt; MessagesRelayed the
	// stale attempts the relay handed back to the send stage.
	MessagesResent  *prometheus.CounterVec // tenant
	MessagesRelayed *prometheus.CounterVec // tenant

	PointsAwarded    *prometheus.CounterVec // tenant
	StatusUnmatched  *prometheus.CounterVec // tenant
	StatusesApplied  prometheus.Counter
	DeliveryFailures *prometheus.CounterVec // tenant, code

	ConsentChanges     *prometheus.CounterVec // tenant, value (stop, resume, ignored)
	PrivacyRequests    *prometheus.CounterVec // tenant, type, result
	EventsWithoutPhone *prometheus.CounterVec // tenant, type
	EventsProcessed    prometheus.Counter
	MembersMerged      *prometheus.CounterVec // tenant
	MembersImported    *prometheus.CounterVec // tenant, result (imported, updated, skipped)
	AdminRequests      *prometheus.CounterVec // result (allowed, unauthorized, forbidden, rate_limited)
	AuditFailures      prometheus.Counter
	CheckoutsAbandoned *prometheus.CounterVec // tenant
	JourneySteps       *prometheus.CounterVec // tenant, journey, result (waiting, completed, exited, failed)
	JourneyWakes       prometheus.Counter     // members woken at a wait_for step by their reply or order
	// WebhookDeliveries counts outbound webhook attempts by result
	// (delivered, retry, failed, gone, held); WebhookSeconds times them.
	WebhookDeliveries *prometheus.CounterVec   // tenant, endpoint, result
	WebhookSeconds    *prometheus.HistogramVec // tenant
	MembersSynced     *prometheus.CounterVec   // tenant, connector, result (ok, failed)
	CodesIssued       *prometheus.CounterVec   // tenant, issuer, result (ok or the error class)
	HandoffEvents     *prometheus.CounterVec   // tenant, event
	BotReplies        *prometheus.CounterVec   // tenant, intent
	// SegmentEvaluations counts segment evaluations (previews, exports,
	// audiences) by result; SegmentMembers the members they read and
	// matched; SegmentSeconds how long each took.
	SegmentEvaluations *prometheus.CounterVec // tenant, result (ok, failed)
	SegmentMembers     *prometheus.CounterVec // tenant, what (scanned, matched, failed)
	SegmentSeconds     prometheus.Histogram
	SurveyResponses    *prometheus.CounterVec // tenant, survey, kind
	// CampaignMessages shows running campaigns' messages by stage, as
	// the campaign runner's watch last counted them (once a minute).
	CampaignMessages *prometheus.GaugeVec // tenant, campaign, stage

	// PartsIgnored counts the parts of deliveries a mapping left aside on
	// purpose: webhook fields the hub does not handle, bodies that are not
	// the provider's envelope.
	PartsIgnored *prometheus.CounterVec // tenant, connector, field
	// StatusesIgnored counts delivery reports of a status the message log
	// does not track (deleted, or one WhatsApp adds later).
	StatusesIgnored *prometheus.CounterVec // tenant, status
	// WebhookErrors counts the errors a BSP put on a webhook rather than
	// on a message or status.
	WebhookErrors *prometheus.CounterVec // tenant, code
	// ParamsFitted counts notification texts cut or cleaned to fit
	// WhatsApp's limits (messaging.Command.Fit).
	ParamsFitted *prometheus.CounterVec // tenant, rule
	// LinksShortened counts the URLs the send stage replaced by short
	// links; LinkClicks the clicks on them, by user agent class, and
	// LinkPreviews the redirects given to link previews.
	LinksShortened *prometheus.CounterVec // tenant
	LinkClicks     *prometheus.CounterVec // tenant, agent
	LinkPreviews   *prometheus.CounterVec // tenant
	// LimitRefusals counts events refused for a total or points beyond
	// loyalty.limits (each is also a dead letter).
	LimitRefusals *prometheus.CounterVec // tenant, type
	// IdentityChanges counts WhatsApp users' changes of number or user id,
	// by result (applied, conflict, unknown, unchanged, duplicate).
	IdentityChanges *prometheus.CounterVec // tenant, result
	// InboundNumbers counts customers' new messages by the form of the
	// number they came from (listed, joined, unlisted).
	InboundNumbers *prometheus.CounterVec // tenant, form
	// ConfigReloads counts reloads of the configuration, by result (ok,
	// refused); ConfigLastReload is when the running configuration was
	// applied, at start or by the last reload that succeeded.
	ConfigReloads    *prometheus.CounterVec // result
	ConfigLastReload prometheus.Gauge
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
		SenderRateWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "loyalhub_sender_rate_wait_seconds",
			Help:    "How long each send waited for its turn of the number's throughput, shared by the replicas.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"tenant", "sender"}),
		SenderRateReservations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_sender_rate_reservations_total",
			Help: "Round trips to the store taking turns shared by the replicas: a number's throughput (a few at a time) and its recipients' pair limits (one a message), by result (ok, failed).",
		}, []string{"tenant", "sender", "result"}),
		SenderRateMissed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_sender_rate_turns_missed_total",
			Help: "Turns of a number's shared throughput given up because the replica came to them more than 10 ms late (a stall); the send takes a later turn.",
		}, []string{"tenant", "sender"}),
		ConfigErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_sender_config_errors_total",
			Help: "Sends refused for the configuration (credentials, templates), by code.",
		}, []string{"tenant", "sender", "code"}),
		MessagesSkipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_messages_skipped_total",
			Help: "Messages the messaging policy refused, by reason; no_phone: a notification for a member without a phone.",
		}, []string{"tenant", "reason"}),
		MessagesFallback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_messages_fallback_total",
			Help: "Free-form messages sent as their fallback template, by why the window was closed.",
		}, []string{"tenant", "reason"}),
		MessagesDeferred: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_messages_deferred_total",
			Help: "Messages held back by the messaging policy: quiet hours, the messaging limit, a quality pause.",
		}, []string{"tenant"}),
		MessagesHeldBack: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_messages_held_back_total",
			Help: "Messages deferred for their sender: messaging_limit (WhatsApp's messaging limit used up), quality_paused, or unread_inbound (marketing waiting for the recipient's words to be applied).",
		}, []string{"tenant", "sender", "reason"}),
		SenderQualityPaused: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "loyalhub_sender_quality_paused",
			Help: "1 while a sender's marketing messages are paused for its number's quality.",
		}, []string{"tenant", "sender"}),
		SenderMessagingLimit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "loyalhub_sender_messaging_limit",
			Help: "The sender's messaging limit as WhatsApp last reported it: unique users per moving 24h outside a service window, -1 unlimited.",
		}, []string{"tenant", "sender"}),
		MessagesResent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_messages_resent_total",
			Help: "Messages sent again under their key after no status webhook came for an interrupted attempt within pipeline.send.unknown_grace.",
		}, []string{"tenant"}),
		MessagesRelayed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_messages_relayed_total",
			Help: "Interrupted send attempts whose command the relay handed back to the send stage.",
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
			Help: "Privacy requests of shops and the operator (type admin.redact), by type and what was done (erased, logged, no_member, replayed).",
		}, []string{"tenant", "type", "result"}),
		AdminRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_admin_requests_total",
			Help: "Admin API requests by what the guard decided: allowed, unauthorized (401), forbidden (403), rate_limited (429).",
		}, []string{"result"}),
		AuditFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "loyalhub_admin_audit_failures_total",
			Help: "Admin writes whose audit entry could not be stored (each also logged at error level).",
		}),
		MembersImported: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_members_imported_total",
			Help: "Rows of member imports, by result: imported (a member created), updated (a member found) or skipped (a bad row).",
		}, []string{"tenant", "result"}),
		EventsProcessed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "loyalhub_process_events_total",
			Help: "Events of shops, CRMs and POS systems the process stage finished (applied, replayed or left aside), one per event of a delivery.",
		}),
		EventsWithoutPhone: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_events_without_phone_total",
			Help: "Events left aside because they name no member: no phone number, customer id or email (a guest's sale).",
		}, []string{"tenant", "type"}),
		MembersMerged: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_members_merged_total",
			Help: "Members merged into another because one event named both (a phone and a shop's customer id or email, say).",
		}, []string{"tenant"}),
		CheckoutsAbandoned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_checkouts_abandoned_total",
			Help: "Checkouts announced as abandoned.",
		}, []string{"tenant"}),
		JourneySteps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_journey_steps_total",
			Help: "Members' journey states advanced: now waiting, completed, exited, or failed on the member's data.",
		}, []string{"tenant", "journey", "result"}),
		JourneyWakes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "loyalhub_journey_wakes_total",
			Help: "Members waiting at a journey's wait_for step made due before its end, because their reply or order came.",
		}),
		WebhookDeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_webhook_deliveries_total",
			Help: "Attempts of outbound webhooks by result: delivered (2xx), retry (failed, attempted again later), failed (the schedule's last attempt failed), gone (410: the endpoint is disabled), held (the endpoint is no longer configured).",
		}, []string{"tenant", "endpoint", "result"}),
		WebhookSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "loyalhub_webhook_attempt_seconds",
			Help:    "Duration of outbound webhook attempts, until the endpoint's answer or the timeout.",
			Buckets: prometheus.DefBuckets,
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
		SegmentEvaluations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_segment_evaluations_total",
			Help: "Segment evaluations (previews, exports, campaigns' audiences), by result: ok or failed.",
		}, []string{"tenant", "result"}),
		SegmentMembers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_segment_members_total",
			Help: "Members segment evaluations read (scanned), selected (matched), or could not evaluate the condition for (failed).",
		}, []string{"tenant", "what"}),
		SegmentSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "loyalhub_segment_evaluation_duration_seconds",
			Help:    "Time one segment evaluation took: a scan of a tenant's members.",
			Buckets: []float64{.01, .05, .1, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}),
		BotReplies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_bot_messages_total",
			Help: "Customers' messages the chatbot handled, by what it understood (join, points, rewards, unknown…), welcome for a first opening, ignore and stale for messages it does not answer.",
		}, []string{"tenant", "intent"}),
		CampaignMessages: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "loyalhub_campaign_messages",
			Help: "Running campaigns' messages by stage (targeted, waiting, sent, delivered, read, failed, skipped), counted once a minute.",
		}, []string{"tenant", "campaign", "stage"}),
		SurveyResponses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_survey_responses_total",
			Help: "Members' first answers to survey invitations, by survey and kind (nps, csat).",
		}, []string{"tenant", "survey", "kind"}),
		StatusUnmatched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_status_unmatched_total",
			Help: "Delivery reports for messages the message log does not know.",
		}, []string{"tenant"}),
		ParamsFitted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_notify_params_fitted_total",
			Help: "Notification texts (template parameters, text bodies) cut or cleaned to fit WhatsApp's limits, by rule.",
		}, []string{"tenant", "rule"}),
		LinksShortened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_links_shortened_total",
			Help: "URLs of sent messages replaced by the tenant's short links (links.base_url).",
		}, []string{"tenant"}),
		LinkClicks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_link_clicks_total",
			Help: "Clicks recorded on short links (GET /r/{code}), by user agent class: mobile, desktop, other. Link previews are not clicks.",
		}, []string{"tenant", "agent"}),
		LinkPreviews: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_link_previews_total",
			Help: "Short link redirects given to link previews (WhatsApp, facebookexternalhit, Facebot user agents, HEAD requests), not counted as clicks.",
		}, []string{"tenant"}),
		LimitRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_loyalty_limit_refusals_total",
			Help: "Events refused for an order total or points beyond the program's loyalty.limits, by event type.",
		}, []string{"tenant", "type"}),
		PartsIgnored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_mapping_parts_ignored_total",
			Help: "Parts of deliveries a mapping left aside on purpose, by label: a webhook field the hub does not handle, not_an_envelope.",
		}, []string{"tenant", "connector", "field"}),
		StatusesIgnored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_statuses_ignored_total",
			Help: "Delivery reports of a status the message log does not track (deleted, or a new one), recorded by this count only.",
		}, []string{"tenant", "status"}),
		WebhookErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_bsp_webhook_errors_total",
			Help: "Errors a BSP reported on a webhook rather than on one message or status, by Meta's error code.",
		}, []string{"tenant", "code"}),
		IdentityChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_whatsapp_identity_changes_total",
			Help: "WhatsApp users' changes of number or user id (system messages), by result: applied, conflict (the new number is another member's), unknown, unchanged, duplicate.",
		}, []string{"tenant", "result"}),
		InboundNumbers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_whatsapp_inbound_numbers_total",
			Help: "Customers' new messages by the form of the sender's number: listed (known to phonenumbers' metadata), joined (another form of one: Brazil's mobile without its ninth digit, Mexico's 521), unlisted (fictional or newly allocated ranges).",
		}, []string{"tenant", "form"}),
		ConfigReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loyalhub_config_reloads_total",
			Help: "Reloads of the configuration, by result: ok (applied), refused (errors in the new configuration, or a change that needs a restart; the running one goes on).",
		}, []string{"result"}),
		ConfigLastReload: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "loyalhub_config_last_reload_timestamp_seconds",
			Help: "When the running configuration was applied: at start, or by the last reload that succeeded (Unix seconds).",
		}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.StageProcessed, m.StageFailed, m.StageDuration, m.DeadLetters,
		m.ConnectorRequests, m.ConnectorSigFailures, m.ConnectorAcceptSeconds,
		m.SenderSends, m.SenderErrors, m.SenderPaused, m.SenderRateWait, m.SenderRateReservations, m.SenderRateMissed, m.ConfigErrors, m.MessagesSkipped, m.MessagesDeferred, m.MessagesHeldBack,
		m.SenderQualityPaused, m.SenderMessagingLimit, m.MessagesFallback,
		m.MessagesResent, m.MessagesRelayed,
		m.InboundMessages, m.Templates, m.PointsAwarded, m.StatusUnmatched, m.StatusesApplied, m.DeliveryFailures,
		m.ConsentChanges, m.PrivacyRequests, m.EventsWithoutPhone, m.EventsProcessed, m.MembersMerged, m.MembersImported, m.AdminRequests, m.AuditFailures, m.CheckoutsAbandoned, m.JourneySteps, m.JourneyWakes, m.MembersSynced,
		m.WebhookDeliveries, m.WebhookSeconds,
		m.CodesIssued, m.HandoffEvents, m.BotReplies, m.SegmentEvaluations, m.SegmentMembers, m.SegmentSeconds, m.SurveyResponses, m.CampaignMessages,
		m.PartsIgnored, m.StatusesIgnored, m.WebhookErrors, m.ParamsFitted, m.LimitRefusals, m.IdentityChanges, m.InboundNumbers,
		m.LinksShortened, m.LinkClicks, m.LinkPreviews, m.ConfigReloads, m.ConfigLastReload,
	)
	for _, result := range []string{ReloadOK, ReloadRefused} {
		m.ConfigReloads.WithLabelValues(result)
	}
	return m
}
