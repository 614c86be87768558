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
}
