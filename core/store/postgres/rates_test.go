package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store/postgres"
)

// The turns are an hour apart, so that the milliseconds a round trip
// takes cannot blur which turn a reservation got.
const turn = time.Hour

// turnOf places a reservation's first delay, measured now, on the hour
// grid of turns counted from origin.
func turnOf(origin time.Time, delay time.Duration) int {
	return int(time.Now().Add(delay).Sub(origin).Round(turn) / turn)
}

func openRates(t testing.TB) *postgres.Store {
	t.Helper()
	requireDB(t)
	s := postgres.New(testDSN, 4)
	require.NoError(t, s.Open(context.Background()))
	require.NoError(t, s.Migrate(context.Background()))
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestReserveTurns(t *testing.T) {
	ctx := context.Background()
	t.Run("an idle rate lets its burst go at once", func(t *testing.T) {
		s := openRates(t)
		key := fmt.Sprintf("burst-%d", rand.Uint64())
		origin := time.Now()
		d, err := s.ReserveTurns(ctx, key, 1, turn, 3)
		require.NoError(t, err)
		assert.Equal(t, -2, turnOf(origin, d), "the first of a burst of three is two turns early")
		d, err = s.ReserveTurns(ctx, key, 2, turn, 3)
		require.NoError(t, err)
		assert.Equal(t, -1, turnOf(origin, d), "the next two follow it: the burst is spent")
		d, err = s.ReserveTurns(ctx, key, 1, turn, 3)
		require.NoError(t, err)
		assert.Equal(t, 1, turnOf(origin, d), "then the rate paces")
		d, err = s.ReserveTurns(ctx, "other-"+key, 1, turn, 1)
		require.NoError(t, err)
		assert.Equal(t, 0, turnOf(origin, d), "another key has a rate of its own")
	})
	t.Run("bad arguments", func(t *testing.T) {
		s := openRates(t)
		for _, c := range []struct {
			n, burst int
			interval time.Duration
		}{{0, 1, turn}, {1, 0, turn}, {1, 1, 0}} {
			_, err := s.ReserveTurns(ctx, "bad", c.n, c.interval, c.burst)
			assert.Error(t, err, "%+v", c)
		}
	})
	t.Run("replicas never get one turn twice", func(t *testing.T) {
		// Two stores are two replicas: each has its own pool.
		replicas := []*postgres.Store{openRates(t), openRates(t)}
		key := fmt.Sprintf("shared-%d", rand.Uint64())
		origin := time.Now()
		var mu sync.Mutex
		var turns []int
		var wg sync.WaitGroup
		for g := range 8 {
			s := replicas[g%2]
			wg.Go(func() {
				for i := range 10 {
					n := 1 + (g+i)%3
					d, err := s.ReserveTurns(ctx, key, n, turn, 1)
					if !assert.NoError(t, err) {
						return
					}
					first := turnOf(origin, d)
					mu.Lock()
					for k := range n {
						turns = append(turns, first+k)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		sort.Ints(turns)
		for i, tn := range turns {
			require.Equal(t, i, tn, "turns are handed out once each, with no gap: %v", turns)
		}
	})
}

func TestTakeTurn(t *testing.T) {
	ctx := context.Background()
	t.Run("a turn beyond the longest wait is not taken", func(t *testing.T) {
		s := openRates(t)
		key := fmt.Sprintf("pair-%d", rand.Uint64())
		origin := time.Now()
		for i, want := range []int{-1, 0} {
			d, ok, err := s.TakeTurn(ctx, key, turn, 2, 0)
			require.NoError(t, err)
			require.True(t, ok, "turn %d of the burst", i)
			assert.Equal(t, want, turnOf(origin, d))
		}
		for range 2 {
			d, ok, err := s.TakeTurn(ctx, key, turn, 2, turn/2)
			require.NoError(t, err)
			assert.False(t, ok, "the next turn is an hour off")
			assert.Equal(t, 1, turnOf(origin, d), "the refusal says when it comes, and took nothing")
		}
		d, ok, err := s.TakeTurn(ctx, key, turn, 2, 2*turn)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, 1, turnOf(origin, d))
	})
	t.Run("a turn given back is handed out again", func(t *testing.T) {
		s := openRates(t)
		key := fmt.Sprintf("pair-%d", rand.Uint64())
		origin := time.Now()
		_, ok, err := s.TakeTurn(ctx, key, turn, 1, 0)
		require.NoError(t, err)
		require.True(t, ok)
		_, ok, err = s.TakeTurn(ctx, key, turn, 1, 0)
		require.NoError(t, err)
		require.False(t, ok, "the burst of one is spent")
		require.NoError(t, s.GiveTurnBack(ctx, key, turn))
		d, ok, err := s.TakeTurn(ctx, key, turn, 1, 0)
		require.NoError(t, err)
		require.True(t, ok, "the message that never left gave its turn back")
		assert.Equal(t, 0, turnOf(origin, d))
		require.NoError(t, s.GiveTurnBack(ctx, "never-taken", turn), "an unknown key has nothing to give back")
	})
	t.Run("bad arguments", func(t *testing.T) {
		s := openRates(t)
		for _, c := range []struct {
			burst             int
			interval, maxWait time.Duration
		}{{0, turn, 0}, {1, 0, 0}, {1, turn, -time.Second}} {
			_, _, err := s.TakeTurn(ctx, "bad", c.interval, c.burst, c.maxWait)
			assert.Error(t, err, "%+v", c)
		}
	})
	t.Run("replicas never get one turn twice", func(t *testing.T) {
		replicas := []*postgres.Store{openRates(t), openRates(t)}
		key := fmt.Sprintf("pair-shared-%d", rand.Uint64())
		origin := time.Now()
		var mu sync.Mutex
		var taken []int
		var wg sync.WaitGroup
		for g := range 8 {
			s := replicas[g%2]
			wg.Go(func() {
				for range 5 {
					d, ok, err := s.TakeTurn(ctx, key, turn, 2, 3*turn+turn/2)
					if !assert.NoError(t, err) {
						return
					}
					if !ok {
						assert.Greater(t, d, 3*turn, "a refusal's turn is beyond the longest wait")
						continue
					}
					mu.Lock()
					taken = append(taken, turnOf(origin, d))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		sort.Ints(taken)
		assert.Equal(t, []int{-1, 0, 1, 2, 3}, taken, "the burst of two, then one an interval up to the longest wait")
	})
	t.Run("concurrent takers keep burst plus one an interval", func(t *testing.T) {
		replicas := []*postgres.Store{openRates(t), openRates(t)}
		key := fmt.Sprintf("pair-paced-%d", rand.Uint64())
		const interval, burst = 50 * time.Millisecond, 3
		began := time.Now()
		var sent atomic.Int64
		var wg sync.WaitGroup
		for g := range 6 {
			s := replicas[g%2]
			wg.Go(func() {
				for time.Since(began) < 500*time.Millisecond {
					// Only the turns due now: each is sent at once.
					_, ok, err := s.TakeTurn(ctx, key, interval, burst, 0)
					if !assert.NoError(t, err) {
						return
					}
					if ok {
						sent.Add(1)
					}
				}
			})
		}
		wg.Wait()
		most := burst + int64(time.Since(began)/interval)
		assert.LessOrEqual(t, sent.Load(), most)
		assert.GreaterOrEqual(t, sent.Load(), most-2, "the takers kept up with the schedule")
	})
	t.Run("idle schedules are swept", func(t *testing.T) {
		s := openRates(t) // a fresh store: its count of takes starts at zero
		idle := fmt.Sprintf("pair-idle-%d", rand.Uint64())
		busy := fmt.Sprintf("pair-busy-%d", rand.Uint64())
		for i := range 3 {
			_, _, err := s.TakeTurn(ctx, fmt.Sprint(idle, i), time.Millisecond, 2, 0)
			require.NoError(t, err)
		}
		_, _, err := s.TakeTurn(ctx, busy, turn, 1, 0)
		require.NoError(t, err)
		time.Sleep(10 * time.Millisecond) // the idle keys' two turns are due again
		require.Equal(t, 4, pairRows(t, idle, busy), "rows stay until a sweep")
		for range postgres.SweepPairsEvery - 4 - 1 {
			_, ok, err := s.TakeTurn(ctx, busy, turn, 1, 0)
			require.NoError(t, err)
			require.False(t, ok)
		}
		require.Equal(t, 4, pairRows(t, idle, busy), "the sweep waits for its count of takes")
		_, _, err = s.TakeTurn(ctx, busy, turn, 1, 0)
		require.NoError(t, err)
		assert.Equal(t, 1, pairRows(t, idle, busy), "idle schedules are deleted, the busy one stays")
	})
}

// pairRows counts the schedules named busy or starting with idle.
func pairRows(t *testing.T, idle, busy string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), testDSN)
	require.NoError(t, err)
	defer func() { _ = conn.Close(context.Background()) }()
	var n int
	require.NoError(t, conn.QueryRow(context.Background(),
		`SELECT count(*) FROM pair_turns WHERE name = $1 OR name LIKE $2 || '%'`, busy, idle).Scan(&n))
	return n
}
