package pipelines

import (
	"context"
	"time"

	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// SetInlineWait changes how long a delivery waits in its handler for an
// earlier attempt's deadline before leaving it to the relay, so that tests
// reach the relay without waiting 30 s. Call it before Start.
func SetInlineWait(h *Hub, d time.Duration) { h.inlineWait = d }

// SendCommand sends a message command as the sender does with one it took
// from the outbox or the relay of interrupted attempts.
func SendCommand(h *Hub, payload []byte) error {
	return h.sender.Send(context.Background(), payload)
}

// TenantOf returns tenant id as the hub runs it now.
func TenantOf(h *Hub, id string) (*runtime.Tenant, bool) { return h.tenants.Tenant(id) }
