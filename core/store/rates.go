package store

import (
	"context"
	"time"
)

// RateTurns is the optional ability of a store that several processes of
// the hub share (PostgreSQL): a rate, such as a WhatsApp number's
// messages per second, paced for all of them. Each rate is a schedule of
// turns one interval apart; a process reserves a few turns at a time and
// spends them itself, so that the rate costs a round trip per handful of
// events, not per event. The embedded store, used by one process, does not
// have it.
type RateTurns interface {
	// ReserveTurns reserves n consecutive turns of the rate named key,
	// one every interval, and returns how long from now the first comes
	// due; the others follow it one interval apart. After an idle spell,
	// up to burst turns may already be due: the first's delay is then
	// negative, by (burst-1) intervals at most. Concurrent calls, from
	// any process, never get the same turn.
	ReserveTurns(ctx context.Context, key string, n int, interval time.Duration, burst int) (time.Duration, error)

	// TakeTurn reserves one turn of the schedule named key, such as a
	// recipient's pair limit, only if it comes due within maxWait, and
	// returns how long from now it does; a turn further off is not taken
	// (ok false) and wait says when the next one comes. Unlike
	// ReserveTurns it costs a round trip per turn, and its keys are many:
	// the store forgets a key once its schedule is idle (all burst turns
	// due again), which is the same as never having seen it. Keys are
	// stored: they must not carry personal data in clear.
	TakeTurn(ctx context.Context, key string, interval time.Duration, burst int, maxWait time.Duration) (wait time.Duration, ok bool, err error)
	// GiveTurnBack moves key's schedule back by one interval, for a turn
	// TakeTurn handed out and nobody used. A forgotten key has nothing to
	// give back.
	GiveTurnBack(ctx context.Context, key string, interval time.Duration) error
}
