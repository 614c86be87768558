package pipelines

// Topics between the stages, in flow order.
const (
	TopicInbound     = "inbound"     // raw deliveries from shops, CRMs and POS systems
	TopicInboundBSP  = "inbound_bsp" // raw deliveries from BSPs: statuses and customers' messages
	TopicEvents      = "events"      // normalized events from shops, CRMs and POS systems
	TopicOutcomes    = "outcomes"    // loyalty outcomes
	TopicOutbound    = "outbound"    // message commands for the send stage
	TopicDeadLetters = "deadletters" // messages a stage gave up on, with the reason
)

// Topics lists every topic, for creating streams at start.
var Topics = []string{TopicInbound, TopicInboundBSP, TopicEvents, TopicOutcomes, TopicOutbound, TopicDeadLetters}

// Metadata keys set on queue messages.
const (
	MetaTenant     = "tenant"
	MetaConnector  = "connector"
	MetaKind       = "kind"
	MetaDeliveryID = "delivery_id"
	MetaTopic      = "provider_topic"
	MetaReceivedAt = "received_at"
	// MetaSourcePrefix prefixes the keys of a source's connectors.Delivery
	// Meta.
	MetaSourcePrefix = "src_"
	MetaType         = "type"
	MetaReplayOf     = "replay_of"
)
