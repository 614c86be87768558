package pipelines

import "github.com/loyalhub/loyalhub/pipelines/queue"

// Topics between the stages, in flow order. Past the process stage,
// messages wait in the outbox (the message log), not in a topic.
const (
	TopicInbound     = "inbound"     // raw deliveries from shops, CRMs and POS systems
	TopicInboundBSP  = "inbound_bsp" // raw deliveries from BSPs: statuses and customers' messages
	TopicDeadLetters = "deadletters" // messages a stage gave up on, with the reason
)

// TopicOutbox names the outbox (the message log, package ledger) in dead
// letters: a send the sender gave up on is replayed by queueing its command
// again.
const TopicOutbox = "outbox"

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

// bspLaneHops is the number of queue hops a BSP status webhook takes before
// it reaches the message log.
const bspLaneHops = 1

// Metadata keys set on queue messages (see package process, which reads
// them).
const (
	MetaTenant       = queue.MetaTenant
	MetaConnector    = queue.MetaConnector
	MetaKind         = queue.MetaKind
	MetaDeliveryID   = queue.MetaDeliveryID
	MetaTopic        = queue.MetaTopic
	MetaReceivedAt   = queue.MetaReceivedAt
	MetaSourcePrefix = queue.MetaSourcePrefix
	MetaType         = queue.MetaType
	MetaReplayOf     = queue.MetaReplayOf
	MetaMappedEvent  = queue.MetaMappedEvent
)
