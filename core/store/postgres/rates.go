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
