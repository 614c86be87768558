package send

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTurnsKeepARecipientToOneWorkerInOrder(t *testing.T) {
	var tr turns
	ctx := context.Background()
	first, ok := tr.take(ctx, "acme\x00+62811")
	require.True(t, ok)
	other, ok := tr.take(ctx, "acme\x00+62812")
	require.True(t, ok, "another recipient does not wait")
	other()

	var mu sync.Mutex
	var got []int
	var wg sync.WaitGroup
	for i := 1; i <= 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, ok := tr.take(ctx, "acme\x00+62811")
			assert.True(t, ok)
			mu.Lock()
			got = append(got, i)
			mu.Unlock()
			release()
		}()
		// Each waiter joins the queue before the next one starts.
		require.Eventually(t, func() bool {
			tr.mu.Lock()
			defer tr.mu.Unlock()
			return len(tr.queue["acme\x00+62811"]) == i+1
		}, time.Second, time.Millisecond)
	}
	mu.Lock()
	assert.Empty(t, got, "nobody sends to the recipient while the first worker holds the turn")
	mu.Unlock()
	first()
	wg.Wait()
	assert.Equal(t, []int{1, 2, 3}, got, "turns are taken in the order asked")
	assert.Empty(t, tr.queue, "an ended turn leaves nothing behind")
}

func TestTurnsGiveUpWhenTheContextEnds(t *testing.T) {
	var tr turns
	held, ok := tr.take(context.Background(), "k")
	require.True(t, ok)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bool)
	go func() {
		_, ok := tr.take(ctx, "k")
		done <- ok
	}()
	require.Eventually(t, func() bool {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		return len(tr.queue["k"]) == 2
	}, time.Second, time.Millisecond)
	cancel()
	assert.False(t, <-done)
	held()
	next, ok := tr.take(context.Background(), "k")
	require.True(t, ok, "a waiter that gave up does not keep the turn")
	next()
	assert.Empty(t, tr.queue)
}
