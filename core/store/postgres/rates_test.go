package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

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

func openRates(t *testing.T) *postgres.Store {
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
