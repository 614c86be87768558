package pipelines

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/fault"
)

// recordingPublisher keeps what the poison queue publishes.
type recordingPublisher struct {
	mu   sync.Mutex
	msgs []*message.Message
}

func (p *recordingPublisher) Publish(_ string, msgs ...*message.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, msgs...)
	return nil
}

func (p *recordingPublisher) Close() error { return nil }

func (p *recordingPublisher) published() []*message.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*message.Message(nil), p.msgs...)
}

// attempt is what one handler attempt saw.
type attempt struct {
	ctxErr        error
	start, finish time.Time
}

// stageUnderTest runs fn under the middleware stack of every stage, as the
// router would, and records each attempt.
func stageUnderTest(t *testing.T, fn func(n int) error) (run func() error, attempts func() []attempt, pub *recordingPublisher) {
	t.Helper()
	pub = &recordingPublisher{}
	cfg := config.Pipeline{
		HandlerTimeout: 5 * time.Second,
		Retry:          config.Retry{MaxRetries: 3, InitialInterval: 10 * time.Millisecond, MaxInterval: 20 * time.Millisecond, Multiplier: 2},
	}
	mws, err := middlewares(pub, cfg, NewMetrics(), watermill.NopLogger{})
	require.NoError(t, err)
	var (
		mu  sync.Mutex
		got []attempt
	)
	var h message.HandlerFunc = func(msg *message.Message) ([]*message.Message, error) {
		a := attempt{start: time.Now()}
		// What a store call does first: give up on a done context.
		select {
		case <-msg.Context().Done():
			a.ctxErr = msg.Context().Err()
		default:
		}
		mu.Lock()
		n := len(got)
		mu.Unlock()
		err := a.ctxErr
		if err == nil {
			err = fn(n)
		}
		a.finish = time.Now()
		mu.Lock()
		got = append(got, a)
		mu.Unlock()
		return nil, err
	}
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	run = func() error {
		msg := message.NewMessage(watermill.NewUUID(), []byte(`{}`))
		msg.SetContext(context.Background())
		_, err := h(msg)
		return err
	}
	attempts = func() []attempt {
		mu.Lock()
		defer mu.Unlock()
		return append([]attempt(nil), got...)
	}
	return run, attempts, pub
}

func TestRetryMiddleware(t *testing.T) {
	transient := errors.New("connection reset")

	t.Run("every attempt gets a live context", func(t *testing.T) {
		run, attempts, _ := stageUnderTest(t, func(n int) error {
			if n < 2 {
				return fault.Retryable(fault.ClassTransient, transient, 0)
			}
			return nil
		})
		require.NoError(t, run(), "the third attempt succeeds")
		got := attempts()
		require.Len(t, got, 3)
		for i, a := range got {
			assert.NoError(t, a.ctxErr, "attempt %d saw a cancelled context", i+1)
		}
	})

	t.Run("retries stop after max_retries", func(t *testing.T) {
		run, attempts, pub := stageUnderTest(t, func(int) error {
			return fault.Retryable(fault.ClassTransient, transient, 0)
		})
		err := run()
		require.ErrorIs(t, err, transient)
		got := attempts()
		require.Len(t, got, 4, "the first attempt and three retries")
		for i, a := range got {
			assert.NoError(t, a.ctxErr, "attempt %d saw a cancelled context", i+1)
		}
		assert.Empty(t, pub.published(), "a retryable error goes back to the queue, not to the dead letters")
	})

	t.Run("a retry waits for the Retry-After", func(t *testing.T) {
		const after = 300 * time.Millisecond
		run, attempts, _ := stageUnderTest(t, func(n int) error {
			if n == 0 {
				return fault.Retryable(fault.ClassThrottle, transient, after)
			}
			return nil
		})
		require.NoError(t, run())
		got := attempts()
		require.Len(t, got, 2)
		// A lower bound only: a loaded machine makes the gap longer, never
		// shorter.
		assert.GreaterOrEqual(t, got[1].start.Sub(got[0].finish), after)
	})

	t.Run("permanent errors are dead-lettered without a retry", func(t *testing.T) {
		run, attempts, pub := stageUnderTest(t, func(int) error {
			return fault.Permanent(fault.ClassRequest, errors.New("bad payload"))
		})
		require.NoError(t, run(), "the poison queue takes the message")
		assert.Len(t, attempts(), 1)
		require.Len(t, pub.published(), 1)
		assert.Contains(t, pub.published()[0].Metadata.Get("reason_poisoned"), "bad payload")
	})

	t.Run("requeue errors go back to the queue at once", func(t *testing.T) {
		run, attempts, _ := stageUnderTest(t, func(int) error {
			return fault.Requeue(fault.ClassRequest, transient)
		})
		require.ErrorIs(t, run(), transient)
		assert.Len(t, attempts(), 1)
	})
}
