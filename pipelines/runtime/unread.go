package runtime

import (
	"strings"
	"sync"
	"time"
)

// UnreadMaxWait bounds how long a customer counts as having unread
// messages: a delivery the lanes never read (a redelivery the queue
// deduplicated, a webhook dead-lettered) holds their marketing back this
// long at most.
const UnreadMaxWait = 5 * time.Minute

// unreadSweepAt is how many customers Unread holds before a Note drops
// the expired ones; after a sweep, the next comes at twice the customers
// left, so that a burst of live writers is not swept at every Note.
const unreadSweepAt = 1 << 16

// Unread knows the customers who wrote in a webhook the hub accepted and
// its BSP lane has not read yet, so that a marketing message to one of them
// waits until a STOP among their words is applied instead of crossing it.
// Customers are keyed by each form of their name: their WhatsApp number in
// digits (a wa_id, or a phone with or without its +) and their
// business-scoped user id. It covers the webhooks this process
// accepted. The zero value is ready; a nil *Unread knows no one. It is safe
// for concurrent use.
type Unread struct {
	mu      sync.Mutex
	since   map[string]time.Time // tenant/number -> the latest delivery with their words, by its received_at
	sweepAt int                  // the size of since that makes Note sweep it; 0: unreadSweepAt
}

func unreadKey(tenant, number string) string {
	return tenant + "/" + strings.TrimPrefix(number, "+")
}

// Note records that a delivery received at at carries messages of the
// customers numbers of tenant.
func (u *Unread) Note(tenant string, numbers []string, at time.Time) {
	if u == nil || len(numbers) == 0 {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.since == nil {
		u.since = map[string]time.Time{}
	}
	if len(u.since) >= max(u.sweepAt, unreadSweepAt) {
		// Deliveries the lane never read leave their writers behind.
		for k, since := range u.since {
			if at.Sub(since) > UnreadMaxWait {
				delete(u.since, k)
			}
		}
		u.sweepAt = 2 * len(u.since)
	}
	for _, n := range numbers {
		if n == "" {
			continue
		}
		k := unreadKey(tenant, n)
		if at.After(u.since[k]) {
			u.since[k] = at
		}
	}
}

// Read records that the lane applied a delivery received at at with
// messages of number: they have nothing unread unless a later delivery
// carries more.
func (u *Unread) Read(tenant, number string, at time.Time) {
	if u == nil || number == "" {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	k := unreadKey(tenant, number)
	if since, ok := u.since[k]; ok && !since.After(at) {
		delete(u.since, k)
	}
}

// Waiting reports whether any of numbers (forms of one customer's number)
// has messages the lane has not read at now, received at most
// UnreadMaxWait before.
func (u *Unread) Waiting(tenant string, now time.Time, numbers ...string) bool {
	if u == nil {
		return false
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	waiting := false
	for _, n := range numbers {
		if n == "" {
			continue
		}
		k := unreadKey(tenant, n)
		since, ok := u.since[k]
		switch {
		case !ok:
		case now.Sub(since) > UnreadMaxWait:
			delete(u.since, k)
		default:
			waiting = true
		}
	}
	return waiting
}

// Len is how many customers have unread messages, expired ones included.
func (u *Unread) Len() int {
	if u == nil {
		return 0
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.since)
}
