package send

import (
	"context"
	"sync"

	"github.com/loyalhub/loyalhub/core/store"
)

// turns lets one worker at a time send to a recipient, in the order the
// workers asked. A recipient's messages taken in one batch go to one
// worker already; turns keeps two batches apart too, so that what one
// message's send decision reads of the recipient (marketing messages sent
// today, the conversation window) is never read while another message to
// them is in flight.
type turns struct {
	mu    sync.Mutex
	queue map[string][]chan struct{} // a recipient's workers: the first holds the turn
}

// recipientKey names the recipient whose turn a message takes.
func recipientKey(d store.DeferredMessage) string {
	return d.Tenant + "\x00" + d.Recipient
}

// take waits for key's turn and returns the function that ends it, or
// ok=false if ctx ended first.
func (t *turns) take(ctx context.Context, key string) (release func(), ok bool) {
	mine := make(chan struct{})
	t.mu.Lock()
	if t.queue == nil {
		t.queue = map[string][]chan struct{}{}
	}
	q := append(t.queue[key], mine)
	t.queue[key] = q
	t.mu.Unlock()
	release = func() { t.leave(key, mine) }
	if len(q) == 1 {
		return release, true
	}
	select {
	case <-mine:
		return release, true
	case <-ctx.Done():
		release()
		return nil, false
	}
}

// leave takes mine out of key's queue; if it held the turn, the next in
// the queue takes it.
func (t *turns) leave(key string, mine chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	q := t.queue[key]
	for i, c := range q {
		if c != mine {
			continue
		}
		q = append(q[:i:i], q[i+1:]...)
		if i == 0 && len(q) > 0 {
			close(q[0])
		}
		break
	}
	if len(q) == 0 {
		delete(t.queue, key)
		return
	}
	t.queue[key] = q
}
