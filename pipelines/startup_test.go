package pipelines_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/all"
	"github.com/loyalhub/loyalhub/core/store/storetest"
	"github.com/loyalhub/loyalhub/pipelines"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
	"github.com/loyalhub/loyalhub/pipelines/queue/queuetest"
)

// lateService is a TCP port that refuses connections until open is called,
// then forwards them to target: a database or NATS server that starts after
// the hub.
type lateService struct {
	t      *testing.T
	addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func newLateService(t *testing.T, target string) *lateService {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens until open
	s := &lateService{t: t, addr: addr, target: target}
	t.Cleanup(s.close)
	return s
}

func (s *lateService) open() {
	ln, err := net.Listen("tcp", s.addr)
	require.NoError(s.t, err)
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", s.target)
			if err != nil {
				_ = c.Close()
				continue
			}
			s.mu.Lock()
			s.conns = append(s.conns, c, u)
			s.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); _ = u.Close() }()
			go func() { _, _ = io.Copy(c, u); _ = c.Close() }()
		}
	}()
}

func (s *lateService) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		_ = s.ln.Close()
	}
	for _, c := range s.conns {
		_ = c.Close()
	}
}

// startupHub builds a hub on PostgreSQL and NATS reached through the given
// addresses, logging into logs.
func startupHub(t *testing.T, dsn, natsURL, connectTimeout string, logs io.Writer) *pipelines.Hub {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	reg := connectors.NewRegistry()
	all.Register(reg)
	s, err := hubconfig.Parse(fmt.Appendf(nil, `
data_dir: %s
startup:
  connect_timeout: %s
queue:
  backend: nats
  nats:
    url: %s
    stream_prefix: %s
store:
  driver: postgres
  postgres:
    dsn: %s
pipeline:
  scheduler:
    disabled: true
`, t.TempDir(), connectTimeout, natsURL, queuetest.StreamPrefix(t), dsn), nil, reg)
	require.NoError(t, err)
	hub, err := pipelines.New(s, pipelines.Options{Listener: ln, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	require.NoError(t, err)
	return hub
}

// withHost returns the DSN with its host and port replaced.
func withHost(t *testing.T, dsn, hostPort string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Host = hostPort
	return u.String()
}

// The hub starts before its database and its NATS server: it retries both
// until they answer, logging each attempt, then runs.
func TestStartRetriesStoreAndQueue(t *testing.T) {
	queuetest.RequireNATS(t)
	dsn := storetest.FreshPostgres(t)
	pgURL, err := url.Parse(dsn)
	require.NoError(t, err)
	natsURL, err := url.Parse(queuetest.NATSURL())
	require.NoError(t, err)
	pg := newLateService(t, pgURL.Host)
	nats := newLateService(t, natsURL.Host)

	logs := &syncBuffer{}
	hub := startupHub(t, withHost(t, dsn, pg.addr), "nats://"+nats.addr, "1m", logs)
	started := make(chan error, 1)
	go func() { started <- hub.Start(context.Background()) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = hub.Close(ctx)
	})

	waitForLog := func(what string) {
		t.Helper()
		eventually(t, what, func() bool { return strings.Contains(logs.String(), what) })
	}
	waitForLog("cannot reach the store yet; retrying")
	select {
	case err := <-started:
		t.Fatalf("start returned before the database came up: %v", err)
	default:
	}
	pg.open()
	waitForLog("cannot reach the queue yet; retrying")
	nats.open()
	select {
	case err := <-started:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("the hub did not start within a minute of its services")
	}
	assert.Contains(t, logs.String(), "reached the store")
	assert.Contains(t, logs.String(), "reached the queue")
	require.NoError(t, hub.Store().Ping(context.Background()))
}

// A service that never comes ends the start after startup.connect_timeout,
// with the last error.
func TestStartGivesUpAfterConnectTimeout(t *testing.T) {
	dsn := "postgres://postgres@" + newLateService(t, "127.0.0.1:1").addr + "/loyalhub?connect_timeout=1"
	logs := &syncBuffer{}
	hub := startupHub(t, dsn, queuetest.NATSURL(), "1500ms", logs)
	start := time.Now()
	err := hub.Start(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "startup.connect_timeout 1.5s")
	assert.GreaterOrEqual(t, time.Since(start), 1500*time.Millisecond, "tried for the whole timeout")
	assert.GreaterOrEqual(t, strings.Count(logs.String(), "cannot reach the store yet"), 2)
}
