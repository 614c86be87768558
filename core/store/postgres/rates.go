package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

var _ store.RateTurns = (*Store)(nil)

// reserveTurns moves a rate's next free turn past n turns in one statement,
// its row lock ordering concurrent reservations. The first turn is the
// later of the next free one and the earliest an idle rate's burst allows;
// times are the database's, so that the replicas' clocks do not matter.
const reserveTurns = `
WITH now AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS us)
INSERT INTO rate_turns AS r (name, next_us)
SELECT $1, now.us - ($4::bigint - 1) * $3::bigint + $2::bigint * $3::bigint FROM now
ON CONFLICT (name) DO UPDATE SET next_us =
    GREATEST(r.next_us, (SELECT us FROM now) - ($4::bigint - 1) * $3::bigint) + $2::bigint * $3::bigint
RETURNING next_us - $2::bigint * $3::bigint - (SELECT us FROM now)`

// ReserveTurns reserves n turns of a shared rate; see store.RateTurns.
func (s *Store) ReserveTurns(ctx context.Context, key string, n int, interval time.Duration, burst int) (time.Duration, error) {
	if n < 1 || interval <= 0 || burst < 1 {
		return 0, fmt.Errorf("reserving turns of %s: need n, interval and burst above zero", key)
	}
	p, err := s.db()
	if err != nil {
		return 0, err
	}
	var firstUS int64
	if err := p.QueryRow(ctx, reserveTurns, key, n, interval.Microseconds(), burst).Scan(&firstUS); err != nil {
		return 0, fmt.Errorf("reserving turns of %s: %w", key, err)
	}
	return time.Duration(firstUS) * time.Microsecond, nil
}

// sweepPairsEvery is how many TakeTurn calls of one process go between two
// sweeps of idle schedules: each call adds a row at most, so the sweep
// deletes about that many.
const sweepPairsEvery = 1024

// takeTurn takes a schedule's next turn in one statement if it comes due
// by now plus the longest wait ($4), and leaves the schedule as it was
// otherwise: only taken changes, telling the two apart. A schedule's first turn after an
// idle spell is burst-1 intervals early, as in reserveTurns.
const takeTurn = `
WITH now AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS us)
INSERT INTO pair_turns AS p (name, next_us, idle_us, taken)
SELECT $1, us - ($3::bigint - 1) * $2::bigint + $2::bigint, us + $2::bigint, true FROM now
ON CONFLICT (name) DO UPDATE SET
    taken = p.next_us <= (SELECT us FROM now) + $4::bigint,
    next_us = CASE WHEN p.next_us <= (SELECT us FROM now) + $4::bigint
        THEN GREATEST(p.next_us, (SELECT us FROM now) - ($3::bigint - 1) * $2::bigint) + $2::bigint
        ELSE p.next_us END,
    idle_us = CASE WHEN p.next_us <= (SELECT us FROM now) + $4::bigint
        THEN GREATEST(p.next_us, (SELECT us FROM now) - ($3::bigint - 1) * $2::bigint) + $3::bigint * $2::bigint
        ELSE p.idle_us END
RETURNING taken, CASE WHEN taken THEN next_us - $2::bigint ELSE next_us END - (SELECT us FROM now)`

// giveTurnBack moves a schedule back by one turn.
const giveTurnBack = `UPDATE pair_turns SET next_us = next_us - $2, idle_us = idle_us - $2 WHERE name = $1`

// sweepPairs deletes idle schedules. One process sweeps at a time (the
// advisory lock), so that two sweeps never wait on each other's rows; a
// reservation waiting on a row being deleted inserts it afresh.
const sweepPairs = `
WITH sweeper AS (SELECT pg_try_advisory_xact_lock(hashtext('pair_turns sweep')) AS ok)
DELETE FROM pair_turns USING sweeper
WHERE sweeper.ok AND idle_us < (extract(epoch FROM clock_timestamp()) * 1000000)::bigint`

// TakeTurn takes one turn of a schedule if it comes due within maxWait;
// see store.RateTurns. Every sweepPairsEvery calls it also deletes the
// idle schedules.
func (s *Store) TakeTurn(ctx context.Context, key string, interval time.Duration, burst int, maxWait time.Duration) (time.Duration, bool, error) {
	if interval <= 0 || burst < 1 || maxWait < 0 {
		return 0, false, fmt.Errorf("taking a turn of %s: need interval and burst above zero and a wait not below", key)
	}
	p, err := s.db()
	if err != nil {
		return 0, false, err
	}
	var taken bool
	var waitUS int64
	if err := p.QueryRow(ctx, takeTurn, key, interval.Microseconds(), burst, maxWait.Microseconds()).Scan(&taken, &waitUS); err != nil {
		return 0, false, fmt.Errorf("taking a turn of %s: %w", key, err)
	}
	if s.pairTakes.Add(1)%sweepPairsEvery == 0 {
		// The turn is taken whatever the sweep does; a failed sweep
		// leaves its rows to the next one.
		_, _ = s.sweepTurns(ctx)
	}
	return time.Duration(waitUS) * time.Microsecond, taken, nil
}

// GiveTurnBack returns one turn of a schedule; see store.RateTurns.
func (s *Store) GiveTurnBack(ctx context.Context, key string, interval time.Duration) error {
	p, err := s.db()
	if err != nil {
		return err
	}
	if _, err := p.Exec(ctx, giveTurnBack, key, interval.Microseconds()); err != nil {
		return fmt.Errorf("giving back a turn of %s: %w", key, err)
	}
	return nil
}

// sweepTurns deletes the schedules of TakeTurn that are idle, and returns
// how many; TakeTurn calls it every sweepPairsEvery turns. It deletes
// nothing while another process sweeps.
func (s *Store) sweepTurns(ctx context.Context) (int64, error) {
	p, err := s.db()
	if err != nil {
		return 0, err
	}
	tag, err := p.Exec(ctx, sweepPairs)
	if err != nil {
		return 0, fmt.Errorf("sweeping idle turns: %w", err)
	}
	return tag.RowsAffected(), nil
}
