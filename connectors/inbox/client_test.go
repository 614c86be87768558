package inbox_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/inbox"
	"github.com/loyalhub/loyalhub/core/fault"
)

const secret = "inbox-secret"

// answer is one scripted answer of the fake inbox.
type answer struct {
	status     int
	retryAfter string
}

// fakeInbox checks each event's signature as an inbox would, answers from a
// script, then 200, and records when each attempt came.
type fakeInbox struct {
	t      *testing.T
	mu     sync.Mutex
	script []answer
	at     []time.Time
	bodies []string
}

func newFakeInbox(t *testing.T, script ...answer) (*fakeInbox, string) {
	f := &fakeInbox{t: t, script: script}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL + "/hooks/handoff"
}

func (f *fakeInbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	require.NoError(f.t, err)
	assert.Equal(f.t, http.MethodPost, r.Method)
	assert.Equal(f.t, "/hooks/handoff", r.URL.Path)
	assert.Equal(f.t, "application/json", r.Header.Get("Content-Type"))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if r.Header.Get(inbox.SignatureHeader) != hex.EncodeToString(mac.Sum(nil)) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.at = append(f.at, time.Now())
	f.bodies = append(f.bodies, string(body))
	if len(f.script) > 0 {
		a := f.script[0]
		f.script = f.script[1:]
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		w.WriteHeader(a.status)
	}
}

func (f *fakeInbox) attempts() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.at...)
}

const event = `{"event":"handoff.started","tenant":"acme"}`

func TestPost(t *testing.T) {
	tests := []struct {
		name      string
		script    []answer
		secret    string
		wantCalls int
		ok        bool
		permanent bool
		class     fault.Class
		after     time.Duration
		// minGap is the least time between the first two attempts.
		minGap time.Duration
	}{
		{name: "received", wantCalls: 1, ok: true},
		{name: "accepted", script: []answer{{http.StatusAccepted, ""}}, wantCalls: 1, ok: true},
		{name: "503 once, then received", script: []answer{{503, ""}}, wantCalls: 2, ok: true},
		{name: "502 asking for a second, then received", script: []answer{{502, "1"}}, wantCalls: 2, ok: true,
			minGap: 900 * time.Millisecond},
		{name: "503 three times", script: []answer{{503, ""}, {503, ""}, {503, ""}}, wantCalls: 3,
			class: fault.ClassTransient},
		{name: "503 asking for a minute", script: []answer{{503, "60"}}, wantCalls: 1,
			class: fault.ClassTransient, after: time.Minute},
		{name: "500: it may have been received", script: []answer{{500, ""}}, wantCalls: 1, class: fault.ClassTransient},
		{name: "429", script: []answer{{429, "3"}}, wantCalls: 1, class: fault.ClassThrottle, after: 3 * time.Second},
		{name: "404", script: []answer{{404, ""}}, wantCalls: 1, permanent: true, class: fault.ClassRequest},
		{name: "400", script: []answer{{400, ""}}, wantCalls: 1, permanent: true, class: fault.ClassRequest},
		{name: "a signature the inbox refuses", secret: "another-secret", wantCalls: 0, permanent: true, class: fault.ClassAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, url := newFakeInbox(t, tt.script...)
			s := secret
			if tt.secret != "" {
				s = tt.secret
			}
			err := inbox.New(0, slog.New(slog.DiscardHandler)).Post(context.Background(), url, s, []byte(event))
			at := f.attempts()
			assert.Len(t, at, tt.wantCalls, "attempts")
			if tt.minGap > 0 && len(at) > 1 {
				assert.GreaterOrEqual(t, at[1].Sub(at[0]), tt.minGap)
			}
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, event, f.bodies[len(f.bodies)-1])
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.permanent, fault.IsPermanent(err), "%v", err)
			assert.Equal(t, tt.class, fault.ClassOf(err))
			assert.Equal(t, tt.after, fault.RetryAfter(err))
		})
	}
}

func TestPostUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := inbox.New(0, nil).Post(context.Background(), url, secret, []byte(event))
	require.Error(t, err)
	assert.False(t, fault.IsPermanent(err))
	assert.Equal(t, fault.ClassTransient, fault.ClassOf(err))
}

func TestPostTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	start := time.Now()
	err := inbox.New(100*time.Millisecond, nil).Post(context.Background(), srv.URL, secret, []byte(event))
	require.Error(t, err)
	assert.False(t, fault.IsPermanent(err), "the inbox may have it: the pipeline asks again")
	assert.Less(t, time.Since(start), 2*time.Second, "one attempt, not retried at the HTTP layer")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = inbox.New(0, nil).Post(ctx, srv.URL, secret, []byte(event))
	require.ErrorIs(t, err, context.Canceled)
}
