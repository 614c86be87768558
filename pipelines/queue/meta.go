package queue

// Metadata keys of the hub's queue messages: what ingest records of a
// delivery beside its payload, for the lanes that handle it.
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
