package httpclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/loyalhub/loyalhub/core/fault"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		in    string
		limit time.Duration
		want  time.Duration
	}{
		{"absent", "", MaxRetryAfter, 0},
		{"seconds", "5", MaxRetryAfter, 5 * time.Second},
		{"seconds with spaces", " 12 ", MaxRetryAfter, 12 * time.Second},
		{"http date", now.Add(90 * time.Second).Format(http.TimeFormat), MaxRetryAfter, 90 * time.Second},
		{"garbage", "soon", MaxRetryAfter, 0},
		{"fraction", "2.0", MaxRetryAfter, 0},
		{"zero", "0", MaxRetryAfter, 0},
		{"negative", "-3", MaxRetryAfter, 0},
		{"date in the past", now.Add(-time.Minute).Format(http.TimeFormat), MaxRetryAfter, 0},
		{"date now", now.Format(http.TimeFormat), MaxRetryAfter, 0},
		{"huge capped to a day", "99999999", MaxRetryAfter, 24 * time.Hour},
		{"beyond int64", "99999999999999999999", MaxRetryAfter, 0},
		{"a day exactly", "86400", MaxRetryAfter, 24 * time.Hour},
		{"capped to the limit", "3601", time.Hour, time.Hour},
		{"at the limit", "3600", time.Hour, time.Hour},
		{"below the limit", "3599", time.Hour, 3599 * time.Second},
		{"far date capped to the limit", now.Add(48 * time.Hour).Format(http.TimeFormat), time.Hour, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, RetryAfter(tt.in, now, tt.limit))
		})
	}
}

func TestStatusClass(t *testing.T) {
	tests := []struct {
		status    int
		class     fault.Class
		retryable bool
	}{
		{429, fault.ClassThrottle, true},
		{408, fault.ClassTransient, true},
		{500, fault.ClassTransient, true},
		{502, fault.ClassTransient, true},
		{503, fault.ClassTransient, true},
		{599, fault.ClassTransient, true},
		{401, fault.ClassAuth, false},
		{403, fault.ClassAuth, false},
		{400, fault.ClassRequest, false},
		{404, fault.ClassRequest, false},
		{409, fault.ClassRequest, false},
		{422, fault.ClassRequest, false},
		{423, fault.ClassRequest, false},
		{300, fault.ClassRequest, false},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			class, retryable := StatusClass(tt.status)
			assert.Equal(t, tt.class, class)
			assert.Equal(t, tt.retryable, retryable)
		})
	}
}

func TestIsDialError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"dial", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true},
		{"wrapped dial", fmt.Errorf("posting: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}), true},
		{"dns", &net.DNSError{Err: "no such host", Name: "graph.example"}, true},
		{"read", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, false},
		{"timeout", errors.New("Client.Timeout exceeded"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, IsDialError(tt.err))
		})
	}
}

// answer is an HTTP answer with status and, unless empty, a Retry-After.
func answer(status int, retryAfter string) *http.Response {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return &http.Response{StatusCode: status, Header: h}
}

func TestCheckRetry(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	tests := []struct {
		name string
		ctx  context.Context
		resp *http.Response
		err  error
		want bool
	}{
		{"dial error", context.Background(), nil, dial, true},
		{"dial error after cancel", cancelled, nil, dial, false},
		{"reset: it may have been processed", context.Background(), nil, &net.OpError{Op: "read", Err: errors.New("reset")}, false},
		{"502", context.Background(), answer(502, ""), nil, true},
		{"503", context.Background(), answer(503, "1"), nil, true},
		{"504", context.Background(), answer(504, ""), nil, true},
		{"503 with a long Retry-After", context.Background(), answer(503, "2"), nil, false},
		{"500: it may have been processed", context.Background(), answer(500, ""), nil, false},
		{"429", context.Background(), answer(429, ""), nil, false},
		{"200", context.Background(), answer(200, ""), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			retry, err := CheckRetry(tt.ctx, tt.resp, tt.err)
			require.NoError(t, err)
			assert.Equal(t, tt.want, retry)
		})
	}
}

func TestNew(t *testing.T) {
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
		if attempts.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	c := New(Options{Timeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)})

	resp, err := c.R().SetBody(`{}`).Post(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode())
	assert.Equal(t, int32(3), attempts.Load(), "two retries of what was certainly not processed")

	attempts.Store(-10)
	resp, err = c.R().SetBody(`{}`).Post(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode(), "the last answer goes back to the caller")
	assert.Equal(t, int32(-7), attempts.Load(), "no more than two retries")
}

func TestBackoff(t *testing.T) {
	shortest, longest := 100*time.Millisecond, time.Second
	tests := []struct {
		name    string
		resp    *http.Response
		attempt int
		want    time.Duration
	}{
		{"failed connection, first retry", nil, 0, 100 * time.Millisecond},
		{"failed connection, second retry", nil, 1, 200 * time.Millisecond},
		{"exponential, capped", nil, 6, time.Second},
		{"503 without Retry-After", answer(503, ""), 0, 100 * time.Millisecond},
		{"503 asking for a second", answer(503, "1"), 0, time.Second},
		{"502 asking for a second", answer(502, "1"), 1, time.Second},
		{"504 asking for longer than the HTTP layer waits", answer(504, "30"), 0, time.Second},
		{"unreadable Retry-After", answer(503, "soon"), 1, 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Backoff(shortest, longest, tt.attempt, tt.resp))
		})
	}
}

// A short Retry-After is waited before the HTTP layer's retry.
func TestNewHonoursRetryAfter(t *testing.T) {
	var attempts atomic.Int32
	var first, second atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if attempts.Add(1) == 1 {
			first.Store(time.Now().UnixNano())
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		second.Store(time.Now().UnixNano())
	}))
	t.Cleanup(srv.Close)
	resp, err := New(Options{}).R().Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode())
	assert.Equal(t, int32(2), attempts.Load())
	assert.GreaterOrEqual(t, time.Duration(second.Load()-first.Load()), 900*time.Millisecond, "the retry waited the second asked for")
}

func TestNewPacesEveryAttempt(t *testing.T) {
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if attempts.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	t.Cleanup(srv.Close)

	t.Run("retries wait for their turn", func(t *testing.T) {
		c := New(Options{Limiter: rate.NewLimiter(rate.Every(300*time.Millisecond), 1)})
		start := time.Now()
		resp, err := c.R().Get(srv.URL)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode())
		assert.Equal(t, int32(2), attempts.Load())
		assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond, "the retry waited for the limiter")
	})

	t.Run("no turn before the deadline", func(t *testing.T) {
		c := New(Options{Limiter: rate.NewLimiter(rate.Every(time.Hour), 1)})
		_, err := c.R().Get(srv.URL)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		_, err = c.R().SetContext(ctx).Get(srv.URL)
		require.ErrorIs(t, err, ErrRateLimited)
		assert.Less(t, time.Since(start), 500*time.Millisecond, "it fails at once")
	})

	t.Run("the timeout bounds the attempt, not the wait for its turn", func(t *testing.T) {
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				time.Sleep(300 * time.Millisecond)
			}
		}))
		t.Cleanup(slow.Close)
		c := New(Options{Timeout: 150 * time.Millisecond, Limiter: rate.NewLimiter(rate.Every(200*time.Millisecond), 1)})
		for range 2 {
			resp, err := c.R().Get(slow.URL)
			require.NoError(t, err, "the second request waits 200 ms for its turn within a 150 ms timeout")
			assert.Equal(t, http.StatusOK, resp.StatusCode())
		}
		_, err := c.R().Get(slow.URL + "/slow")
		require.Error(t, err)
		var te interface{ Timeout() bool }
		require.ErrorAs(t, err, &te)
		assert.True(t, te.Timeout())
	})
}
