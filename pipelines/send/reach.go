package send

import (
	"sync"
	"time"

	"github.com/loyalhub/loyalhub/core/messaging"
)

// Counting a sender's reach reads one index entry per recipient it reached
// outside a window in the last 24 hours: up to the messaging limit's,
// 100,000 at the highest tier. Far from the limit the exact count decides
// nothing, so the sender keeps the last count of each sender for
// reachMemoAge and adds its own sends to it; within reachMargin of the
// limit every decision counts afresh. Another replica's sends in that time
// are not in the memo: a number takes at most 1,000 messages a second, so
// the margin of at least reachMinMargin recipients holds them.
const (
	reachMemoAge   = time.Second
	reachMinMargin = 100
)

// reachMargin is how far below the limit a memo is still trusted: a tenth
// of the limit, at least reachMinMargin.
func reachMargin(limit int) int { return max(limit/10, reachMinMargin) }

type senderKey struct{ tenant, sender string }

type reachMemo struct {
	at      time.Time
	reached int // the count read at at, plus this process's sends since
	oldest  time.Time
}

// reachMemos are the senders' last counts; safe for concurrent use.
type reachMemos struct {
	mu sync.Mutex
	m  map[senderKey]reachMemo
}

// get returns a sender's reach from its memo when the memo is fresh and
// far enough from limit to decide nothing.
func (rm *reachMemos) get(tenant, sender string, limit int, now time.Time) (messaging.Reach, bool) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	m, ok := rm.m[senderKey{tenant, sender}]
	if !ok || now.Sub(m.at) >= reachMemoAge || now.Before(m.at) || m.reached+reachMargin(limit) > limit {
		return messaging.Reach{}, false
	}
	return messaging.Reach{Limit: limit, Reached: m.reached, Oldest: m.oldest}, true
}

// put keeps a sender's count as read at now.
func (rm *reachMemos) put(tenant, sender string, reached int, oldest, now time.Time) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.m == nil {
		rm.m = map[senderKey]reachMemo{}
	}
	rm.m[senderKey{tenant, sender}] = reachMemo{at: now, reached: reached, oldest: oldest}
}

// sent adds a new business-initiated conversation of this process to the
// sender's memo (a recipient reached again counts again here: the memo
// errs toward the limit).
func (rm *reachMemos) sent(tenant, sender string) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	k := senderKey{tenant, sender}
	if m, ok := rm.m[k]; ok {
		m.reached++
		rm.m[k] = m
	}
}
