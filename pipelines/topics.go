package pipelines

// Topics between the stages, in flow order.
const (
	TopicInbound     = "inbound"     // raw deliveries accepted by the HTTP listener
	TopicEvents      = "events"      // normalized events from the mapping stage
	TopicOutcomes    = "outcomes"    // loyalty outcomes
	TopicOutbound    = "outbound"    // message commands for the send stage
	TopicDeadLetters = "deadletters" // messages a stage gave up on, with the reason
)

// Topics lists every topic, for creating streams at start.
var Topics = []string{TopicInbound, TopicEvents, TopicOutcomes, TopicOutbound, TopicDeadLetters}

// Metadata keys set on queue messages.
const (
	MetaTenant     = "tenant"
	MetaConnector  = "connector"
	MetaKind       = "kind"
	MetaDeliveryID = "delivery_id"
	MetaTopic      = "provider_topic"
	MetaReceivedAt = "received_at"
	MetaType       = "type"
	MetaReplayOf   = "replay_of"
)
