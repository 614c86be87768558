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

// reachMemos are the senders' last counts, and the recipients of the
// business-initiated conversations this process has decided on and not
// recorded yet; safe for concurrent use.
//
// A count read from the store misses the sends in flight: decided, not yet
// accepted and recorded. With pipeline.send.concurrency sends at once, a
// sender near its limit passed it by as many (the simulated month found a
// 10,000 limit passed by 107). So a decision that counts the reach holds
// its sender's gate from the count to the decision, adds the recipients
// in flight to the count, and a decision to open a conversation with a
// new recipient puts them in flight until the send ends.
//
// A send that ends while a decision reads the store may be in neither the
// count nor in flight: recorded after the read, landed before the count
// of those in flight. So each sender numbers the reaches this process
// recorded, and a count read from the store adds those recorded since just
// before the read (some may be counted twice: the count errs toward the
// limit).
type reachMemos struct {
	mu       sync.Mutex
	m        map[senderKey]reachMemo
	gates    map[senderKey]*sync.Mutex
	inFlight map[senderKey]map[string]int
	recorded map[senderKey]uint64
	queues   map[senderKey]*limitQueue
}

// mark returns the number of the sender's reaches recorded so far, to be
// taken just before the store is read.
func (rm *reachMemos) mark(tenant, sender string) uint64 {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	return rm.recorded[senderKey{tenant, sender}]
}

// counted keeps a count read from the store after mark returned since,
// with the reaches recorded since, as the sender's memo, and returns it
// with the conversations in flight other than recipient's.
func (rm *reachMemos) counted(tenant, sender, recipient string, reached int, oldest time.Time, since uint64, now time.Time) int {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	k := senderKey{tenant, sender}
	reached += int(rm.recorded[k] - since)
	if rm.m == nil {
		rm.m = map[senderKey]reachMemo{}
	}
	rm.m[k] = reachMemo{at: now, reached: reached, oldest: oldest}
	return reached + rm.flyingLocked(k, recipient)
}

// gate locks the sender's reach decisions and returns the unlock.
func (rm *reachMemos) gate(tenant, sender string) func() {
	rm.mu.Lock()
	if rm.gates == nil {
		rm.gates = map[senderKey]*sync.Mutex{}
	}
	k := senderKey{tenant, sender}
	g := rm.gates[k]
	if g == nil {
		g = &sync.Mutex{}
		rm.gates[k] = g
	}
	rm.mu.Unlock()
	g.Lock()
	return g.Unlock
}

// flyingLocked counts the recipients of the sender's conversations in
// flight, other than recipient; the caller holds rm.mu.
func (rm *reachMemos) flyingLocked(k senderKey, recipient string) int {
	f := rm.inFlight[k]
	n := len(f)
	if f[recipient] > 0 {
		n--
	}
	return n
}

// fly puts a new conversation with recipient in flight; the returned
// function lands it, once the send has ended and, when it was accepted,
// its reach is recorded.
func (rm *reachMemos) fly(tenant, sender, recipient string) func() {
	k := senderKey{tenant, sender}
	rm.mu.Lock()
	if rm.inFlight == nil {
		rm.inFlight = map[senderKey]map[string]int{}
	}
	if rm.inFlight[k] == nil {
		rm.inFlight[k] = map[string]int{}
	}
	rm.inFlight[k][recipient]++
	rm.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			rm.mu.Lock()
			defer rm.mu.Unlock()
			if rm.inFlight[k][recipient]--; rm.inFlight[k][recipient] <= 0 {
				delete(rm.inFlight[k], recipient)
			}
		})
	}
}

// get returns a sender's reach from its memo, with the conversations in
// flight other than recipient's, when the memo is fresh and far enough
// from limit to decide nothing.
func (rm *reachMemos) get(tenant, sender, recipient string, limit int, now time.Time) (messaging.Reach, bool) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	k := senderKey{tenant, sender}
	m, ok := rm.m[k]
	reached := m.reached + rm.flyingLocked(k, recipient)
	if !ok || now.Sub(m.at) >= reachMemoAge || now.Before(m.at) || reached+reachMargin(limit) > limit {
		return messaging.Reach{}, false
	}
	return messaging.Reach{Limit: limit, Reached: reached, Oldest: m.oldest}, true
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
	if rm.recorded == nil {
		rm.recorded = map[senderKey]uint64{}
	}
	rm.recorded[k]++
	if m, ok := rm.m[k]; ok {
		m.reached++
		rm.m[k] = m
	}
}
