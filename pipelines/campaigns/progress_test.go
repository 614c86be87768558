package campaigns

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/store"
)

// The campaign's totals are its variants' funnels added stage by stage.
func TestAddSumsEveryStage(t *testing.T) {
	a := store.FunnelRow{Origin: "campaign:c/a", Targeted: 10, Skipped: map[string]int64{"no_consent": 2}, Failed: 1,
		Waiting: 1, Sent: 6, Delivered: 5, Read: 4, Replied: 2, Clicked: 3, Converted: 1, Revenue: 100.5, Cost: 205_500}
	b := store.FunnelRow{Origin: "campaign:c/b", Targeted: 8, Skipped: map[string]int64{"no_consent": 1, "daily_cap": 1},
		Sent: 6, Delivered: 6, Read: 5, Replied: 1, Clicked: 4, Converted: 2, Revenue: 50, Cost: 246_600}
	total := store.FunnelRow{Origin: "campaign:c/"}
	add(&total, a)
	add(&total, b)
	assert.Equal(t, store.FunnelRow{Origin: "campaign:c/", Targeted: 18, Skipped: map[string]int64{"no_consent": 3, "daily_cap": 1},
		Failed: 1, Waiting: 1, Sent: 12, Delivered: 11, Read: 9, Replied: 3, Clicked: 7, Converted: 3, Revenue: 150.5,
		Cost: 452_100}, total)
}
