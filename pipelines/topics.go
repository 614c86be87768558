package pipelines

// Topics between the stages, in flow order. Past the process stage,
// messages wait in the outbox (the message log), not in a topic.
const (
	TopicInbound     = "inbound"     // raw deliveries from shops, CRMs and POS systems
	TopicInboundBSP  = "inbound_bsp" // raw deliveries from BSPs: statuses and customers' messages
	TopicDeadLetters = "deadletters" // messages a stage gave up on, with the reason
)

// Topics lists every topic, for creating streams at start.
var Topics = []string{TopicInbound, TopicInboundBSP, TopicDeadLetters}

// Topics of earlier versions, which dead letters stored then still name;
// a replay of one takes the path that replaced it.
const (
	oldTopicEvents    = "events"     // one normalized event: now a mapped event on inbound
	oldTopicEventsBSP = "events_bsp" // one BSP event: now a mapped event on inbound_bsp
	oldTopicOutcomes  = "outcomes"   // one loyalty outcome: now rendered into the outbox
	oldTopicOutbound  = "outbound"   // one message command: now queued in the outbox
)

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
	// MetaMappedEvent marks a message of inbound or inbound_bsp whose
	// payload is one event its stage mapped already (the replay of a dead
	// letter of one event): the stage handles it as it is, without
	// mapping it again.
	MetaMappedEvent = "mapped_event"
)
