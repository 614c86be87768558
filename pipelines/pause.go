package pipelines

import (
	"github.com/sony/gobreaker/v2"

	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// newSenderPause is the pause of a tenant's sender, paused for
// pipeline.send.auth_pause at a time: loyalhub_sender_paused is 1 while it
// is open or half-open.
func (h *Hub) newSenderPause(tenant, sender string) *runtime.Pause {
	gauge := h.metrics.SenderPaused.WithLabelValues(tenant, sender)
	return runtime.NewPause(h.cfg.Pipeline.Send.AuthPause, func(from, to gobreaker.State) {
		switch {
		case to == gobreaker.StateOpen:
			gauge.Set(1)
		case to == gobreaker.StateClosed:
			gauge.Set(0)
			if from == gobreaker.StateHalfOpen {
				h.logger.Info("sender resumed after a successful trial send", "tenant", tenant, "sender", sender)
			}
		}
	})
}
