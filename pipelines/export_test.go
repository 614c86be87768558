package pipelines

import (
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
)

// SetInlineWait changes how long a delivery waits in its handler for an
// earlier attempt's deadline before leaving it to the relay, so that tests
// reach the relay without waiting 30 s. Call it before Start.
func SetInlineWait(h *Hub, d time.Duration) { h.inlineWait = d }

// PublishCommand delivers a message command to the send stage, as the
// queue delivers one again.
func PublishCommand(h *Hub, tenant string, payload []byte) error {
	m := message.NewMessage(watermill.NewUUID(), payload)
	m.Metadata.Set(MetaTenant, tenant)
	return h.queue.Publisher().Publish(TopicOutbound, m)
}

// InboundContent is what the inbound message log keeps of a
// message.received event's data besides its own fields.
var InboundContent = inboundContent
