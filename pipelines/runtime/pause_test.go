package runtime

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/fault"
)

// pauseLog records a pause's changes of state.
type pauseLog struct {
	mu      sync.Mutex
	changes []string
}

func (l *pauseLog) changed(from, to gobreaker.State) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.changes = append(l.changes, from.String()+"→"+to.String())
}

func (l *pauseLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.changes...)
}

func TestSenderPause(t *testing.T) {
	const d = 80 * time.Millisecond
	refused := fault.Permanent(fault.ClassAuth, errors.New("(#190) Error validating access token"))
	transient := fault.Retryable(fault.ClassTransient, errors.New("HTTP 503"), 0)
	undeliverable := fault.Permanent(fault.ClassRequest, errors.New("(#131026) Message undeliverable"))

	// send admits one send and reports err; it fails the test when paused.
	send := func(t *testing.T, p *Pause, err error) {
		t.Helper()
		done, _, _, paused := p.Admit()
		require.False(t, paused, "the send is let through")
		done(err)
		done(nil) // a second report changes nothing
	}
	// pauseOf opens a new pause with a refusal.
	pauseOf := func(t *testing.T) (*Pause, *pauseLog) {
		log := &pauseLog{}
		p := NewPause(d, log.changed)
		send(t, p, nil)
		send(t, p, transient)
		send(t, p, undeliverable)
		send(t, p, ErrNotSent)
		paused, _, _ := p.State()
		require.False(t, paused, "only a refusal of the credentials pauses")
		start := time.Now()
		send(t, p, refused)
		paused, until, reason := p.State()
		require.True(t, paused)
		assert.WithinDuration(t, start.Add(d), until, 50*time.Millisecond)
		assert.Contains(t, reason, "#190")
		assert.Equal(t, []string{"closed→open"}, log.all())
		return p, log
	}

	t.Run("sends are held while open", func(t *testing.T) {
		p, _ := pauseOf(t)
		_, until, reason, paused := p.Admit()
		assert.True(t, paused)
		assert.Contains(t, reason, "#190")
		assert.False(t, until.IsZero())
	})

	t.Run("a trial's success resumes", func(t *testing.T) {
		p, log := pauseOf(t)
		time.Sleep(d + 20*time.Millisecond)
		done, _, _, paused := p.Admit()
		require.False(t, paused, "one trial goes through")
		_, _, _, paused = p.Admit()
		assert.True(t, paused, "only one")
		done(nil)
		paused, _, _ = p.State()
		assert.False(t, paused)
		assert.Equal(t, []string{"closed→open", "open→half-open", "half-open→closed"}, log.all())
		send(t, p, nil)
	})

	t.Run("a trial's refusal pauses again", func(t *testing.T) {
		p, log := pauseOf(t)
		time.Sleep(d + 20*time.Millisecond)
		start := time.Now()
		send(t, p, refused)
		paused, until, _ := p.State()
		assert.True(t, paused)
		assert.WithinDuration(t, start.Add(d), until, 50*time.Millisecond)
		assert.Equal(t, []string{"closed→open", "open→half-open", "half-open→open"}, log.all())
	})

	t.Run("a trial that says nothing of the credentials lets the next one try", func(t *testing.T) {
		for _, outcome := range []error{transient, undeliverable, ErrNotSent} {
			p, _ := pauseOf(t)
			time.Sleep(d + 20*time.Millisecond)
			send(t, p, outcome)
			paused, _, _ := p.State()
			assert.True(t, paused, "still paused after %v", outcome)
			send(t, p, nil)
			paused, _, _ = p.State()
			assert.False(t, paused)
		}
	})

	t.Run("an operator resumes at once; a refusal from before does not count", func(t *testing.T) {
		p, log := pauseOf(t)
		time.Sleep(d + 20*time.Millisecond)
		late, _, _, paused := p.Admit() // a trial in flight
		require.False(t, paused)
		p.Resume()
		paused, until, reason := p.State()
		assert.False(t, paused)
		assert.True(t, until.IsZero())
		assert.Empty(t, reason)
		late(refused)
		paused, _, _ = p.State()
		assert.False(t, paused, "the refusal came from before the fix")
		assert.Equal(t, []string{"closed→open", "open→half-open", "half-open→closed"}, log.all())
		send(t, p, refused)
		paused, _, _ = p.State()
		assert.True(t, paused, "a new refusal pauses again")
	})
}
