package send

import (
	"context"
	"time"

	"github.com/loyalhub/loyalhub/core/messaging"
)

// turnPage is how many reach times a turn queue reads from the store at
// once.
const turnPage = 1000

// A sender at its messaging limit can open a conversation with a new
// recipient only when one of the recipients it reached leaves the 24
// hours. Deferring every waiting message until the oldest reach leaves
// made them all due at that moment: one took the freed place and the rest
// were claimed and deferred again, reach after reach (the simulated month
// counted 10.6 attempts per message sent, up to 34). So each waiting
// message is given its own turn instead: the k-th message deferred for
// the limit is due when the k-th reach in the window leaves it. Once the
// reaches in the window are all given out, the turns go round again a
// window later: the message that goes at a turn is reached then, and
// leaves the window 24 hours after.
//
// A turn queue lives in one process: another replica, or this one after a
// restart, gives its own turns, and a turn given twice sends one message
// and defers the other to the end of the queue. A message that finds its
// turn taken by another send (a notification to a new customer, say) is
// deferred to the end of the queue too.
type limitQueue struct {
	limit int       // the limit the queue was built for
	base  time.Time // the queue's reaches are those of the window at base
	// cursor is the latest reach read from the store, skip how many
	// reaches are still to pass over (the count was over the limit).
	cursor time.Time
	skip   int
	// read is set once the store's reaches up to base are all read.
	read bool
	// ahead are the reach times read and not given out yet, earliest
	// first; given the turns given in this round, in order.
	ahead []time.Time
	given []time.Time
	last  time.Time // the latest turn given
}

// readReaches reads up to n of a sender's reach times in (after, until],
// earliest first, passing over the first skip.
type readReaches func(ctx context.Context, after, until time.Time, skip, n int) ([]time.Time, error)

// turn gives the next turn of the sender's messages deferred for its
// messaging limit, at reach (the count that deferred it) and now, reading
// the sender's reaches with read when its queue needs more. The caller
// holds the sender's gate.
//
// The queue starts over when the limit changed or every turn it gave has
// come: no message of this process is still waiting then.
func (rm *reachMemos) turn(ctx context.Context, tenant, sender string, reach messaging.Reach, now time.Time, read readReaches) (time.Time, error) {
	rm.mu.Lock()
	k := senderKey{tenant, sender}
	q := rm.queues[k]
	if q == nil || q.limit != reach.Limit || !q.last.After(now) {
		q = &limitQueue{limit: reach.Limit, base: now, cursor: now.Add(-messaging.ReachWindow),
			skip: max(0, reach.Reached-reach.Limit)}
		if rm.queues == nil {
			rm.queues = map[senderKey]*limitQueue{}
		}
		rm.queues[k] = q
	}
	rm.mu.Unlock()
	for {
		for len(q.ahead) > 0 {
			t := q.ahead[0].Add(messaging.ReachWindow)
			q.ahead = q.ahead[1:]
			if !t.After(now) {
				continue // that place is free already, and was taken
			}
			q.given = append(q.given, t)
			q.last = t
			return t, nil
		}
		if !q.read {
			times, err := read(ctx, q.cursor, q.base, q.skip, turnPage)
			if err != nil {
				return time.Time{}, err
			}
			q.skip = 0
			if len(times) > 0 {
				q.ahead, q.cursor = times, times[len(times)-1]
				continue
			}
			q.read = true
		}
		if len(q.given) == 0 {
			// No reach to wait for: the count is behind; look again soon.
			return now.Add(time.Minute), nil
		}
		q.ahead, q.given = q.given, nil
	}
}
