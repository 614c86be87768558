package send

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"

	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// NewPause is the pause of a tenant's sender, paused for d
// (pipeline.send.auth_pause) at a time: its gauge in paused
// (loyalhub_sender_paused, by tenant and sender) is 1 while it is open or
// half-open.
func NewPause(d time.Duration, paused *prometheus.GaugeVec, logger *slog.Logger, tenant, sender string) *runtime.Pause {
	gauge := paused.WithLabelValues(tenant, sender)
	return runtime.NewPause(d, func(from, to gobreaker.State) {
		switch {
		case to == gobreaker.StateOpen:
			gauge.Set(1)
		case to == gobreaker.StateClosed:
			gauge.Set(0)
			if from == gobreaker.StateHalfOpen {
				logger.Info("sender resumed after a successful trial send", "tenant", tenant, "sender", sender)
			}
		}
	})
}
