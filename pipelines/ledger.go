package pipelines

import "github.com/loyalhub/loyalhub/pipelines/ledger"

// newLedger is the tenants' loyalty transactions (package ledger) on the
// hub's store and clock, waking the hub's sender and webhook runner.
func (h *Hub) newLedger() *ledger.Ledger {
	m := h.metrics
	return ledger.New(ledger.Deps{
		Store: h.store, Now: h.now, Logger: h.logger, Tracing: h.tracing,
		Metrics: ledger.Metrics{Skipped: m.MessagesSkipped, ParamsFitted: m.ParamsFitted},
		Wake: func() {
			h.sender.Wake()
			h.webhooks.Wake()
		},
	})
}
