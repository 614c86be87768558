package send

import (
	"sync"
	"time"

	"github.com/loyalhub/loyalhub/core/messaging"
)

// Counting a sender's reach reads one index entry per recipient it reached
// outside a window in the last 24 hours: up to the messaging limit's,
// 100,000 at the highest tier (tens of milliseconds on SQLite). Far from
// the limit the exact count decides nothing, so the sender keeps the last
// count of each sender for reachMemoAge and adds its own sends to it;
// within reachMargin of the limit every decision counts afresh. Another
// replica's sends in that time are not in the memo: a number takes at most
// 1,000 messages a second, which the margin of reachMaxMargin holds.
//
// A count at the limit stays true, whatever its age, until its oldest
// reach leaves the 24 hours: until then no recipient leaves the count and
// sends only add to it. So a sender at its limit defers new recipients on
// its memo, reading only whether the recipient is one it reached: a
// broadcast that meets the limit with half a million messages to go
// counted the reach for each of them, one at a time behind the sender's
// gate.
const (
	reachMemoAge   = time.Second
	reachMinMargin = 100
	reachMaxMargin = 1000
)

// reachMargin is how far below the limit a memo is still trusted: a tenth
// of the limit, from reachMinMargin to reachMaxMargin.
func reachMargin(limit int) int { return min(max(limit/10, reachMinMargin), reachMaxMargin) }

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
// The count is exact, which a memo kept for hours at the limit needs (a
// count one too high would leave a place unused until its oldest reach
// leaves): a send that opened a conversation records its reach in the
// store and lands, in memo and flight at once, holding the sender's gate.
// So a decision, which holds the gate from its count to its own flight,
// sees each of this process's conversations once: in flight or in the
// store, never in both and never in neither.
type reachMemos struct {
	mu       sync.Mutex
	m        map[senderKey]reachMemo
	gates    map[senderKey]*sync.Mutex
	inFlight map[senderKey]map[string]int
	queues   map[senderKey]*limitQueue
}

// counted keeps a count read from the store, the caller holding the
// sender's gate, as the sender's memo, and returns it with the
// conversations in flight other than recipient's.
func (rm *reachMemos) counted(tenant, sender, recipient string, reached int, oldest, now time.Time) int {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	k := senderKey{tenant, sender}
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

// fly puts a new conversation with recipient in flight and returns its
// landing, called once the send has ended: with record when WhatsApp
// accepted it, to store its reach. Landing takes the sender's gate, runs
// record and moves the conversation from flight into the memo's count, so
// that no count sees it twice or not at all; a send that failed only
// leaves the flight. Landing twice lands once.
func (rm *reachMemos) fly(tenant, sender, recipient string) func(record func()) {
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
	return func(record func()) {
		once.Do(func() {
			if record != nil {
				unlock := rm.gate(tenant, sender)
				defer unlock()
				record()
			}
			rm.mu.Lock()
			defer rm.mu.Unlock()
			if rm.inFlight[k][recipient]--; rm.inFlight[k][recipient] <= 0 {
				delete(rm.inFlight[k], recipient)
			}
			if m, ok := rm.m[k]; ok && record != nil {
				m.reached++
				rm.m[k] = m
			}
		})
	}
}

// get returns a sender's reach from its memo, with the conversations in
// flight other than recipient's, when the memo is fresh and far enough
// from limit to decide nothing, or when it is at the limit and none of its
// reaches has left the 24 hours since (full: the caller learns whether
// the recipient is one of them, which the memo does not know).
func (rm *reachMemos) get(tenant, sender, recipient string, limit int, now time.Time) (r messaging.Reach, full, ok bool) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	k := senderKey{tenant, sender}
	m, ok := rm.m[k]
	if !ok || now.Before(m.at) {
		return messaging.Reach{}, false, false
	}
	reached := m.reached + rm.flyingLocked(k, recipient)
	r = messaging.Reach{Limit: limit, Reached: reached, Oldest: m.oldest}
	switch {
	case reached >= limit && now.Before(m.oldest.Add(messaging.ReachWindow)):
		return r, true, true
	case now.Sub(m.at) < reachMemoAge && reached+reachMargin(limit) <= limit:
		return r, false, true
	}
	return messaging.Reach{}, false, false
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
