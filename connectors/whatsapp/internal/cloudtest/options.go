package cloudtest

import (
	"github.com/loyalhub/loyalhub/connectors/sendertest"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloud"
)

// Limits applies the sender suite's breaker and throughput options to a
// sender's settings; a zero throughput option keeps the setting.
func Limits(opts sendertest.Options, b *cloud.Breaker, t *cloud.Throughput) {
	*b = cloud.Breaker{MaxFailures: opts.BreakerMaxFailures, OpenFor: opts.BreakerOpenFor}
	if opts.PerSecond > 0 {
		t.PerSecond = opts.PerSecond
	}
	if opts.PairInterval > 0 {
		t.PairInterval = opts.PairInterval
	}
	if opts.PairBurst > 0 {
		t.PairBurst = opts.PairBurst
	}
}
