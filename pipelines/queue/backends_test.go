package queue

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
)

// testAckWait keeps redelivery of unacked messages quick in tests.
const testAckWait = 2 * time.Second

func postgresDSN() string {
	if dsn := os.Getenv("LOYALHUB_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

func natsURL() string {
	if u := os.Getenv("LOYALHUB_TEST_NATS_URL"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

// requireService skips the test when a service is unreachable, or fails it
// when LOYALHUB_REQUIRE_SERVICES=1.
func requireService(tb testing.TB, name string, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	if os.Getenv("LOYALHUB_REQUIRE_SERVICES") == "1" {
		tb.Fatalf("%s is unreachable and LOYALHUB_REQUIRE_SERVICES=1: %v", name, err)
	}
	tb.Skipf("skipping: %s is unreachable (set LOYALHUB_REQUIRE_SERVICES=1 to fail instead): %v", name, err)
}

func uniqueName(prefix string) string {
	return prefix + strings.ToLower(rand.Text()[:12])
}

// openWith opens a queue and closes it when the test ends.
func openWith(tb testing.TB, cfg config.Queue, dataDir string, topics []string) *Queue {
	tb.Helper()
	q, err := Open(testCtx(tb), cfg, dataDir, topics, watermill.NopLogger{})
	require.NoError(tb, err)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		assert.NoError(tb, q.Close(ctx))
	})
	return q
}

func memoryHarness() harness {
	return harness{
		name: config.BackendMemory,
		newEnv: func(testing.TB) opener {
			return func(tb testing.TB, topics []string) *Queue {
				return openWith(tb, config.Queue{Backend: config.BackendMemory}, "", topics)
			}
		},
	}
}

func embeddedConfig() config.Queue {
	return config.Queue{
		Backend:     config.BackendEmbedded,
		AckWait:     testAckWait,
		Subscribers: 2,
		Embedded:    config.Embedded{MaxStoreBytes: 256 << 20},
	}
}

func embeddedHarness() harness {
	return harness{
		name: config.BackendEmbedded, durable: true, groups: true, parallelGroup: true, dedup: true, reopen: true,
		newEnv: func(tb testing.TB) opener {
			dir := tb.TempDir()
			return func(tb testing.TB, topics []string) *Queue {
				return openWith(tb, embeddedConfig(), dir, topics)
			}
		},
	}
}

// natsHarness runs against the external server; every environment uses
// its own stream prefix and deletes its streams afterwards.
func natsHarness(tb testing.TB) harness {
	nc, err := nats.Connect(natsURL(), nats.Timeout(2*time.Second))
	if err == nil {
		defer nc.Close()
		var js jetstream.JetStream
		if js, err = jetstream.New(nc); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err = js.AccountInfo(ctx)
		}
	}
	requireService(tb, "NATS JetStream at "+natsURL(), err)
	return harness{
		name: config.BackendNATS, durable: true, groups: true, parallelGroup: true, dedup: true, reopen: true,
		newEnv: func(tb testing.TB) opener {
			prefix := uniqueName("lhtest_")
			tb.Cleanup(func() { deleteStreams(tb, prefix) })
			return func(tb testing.TB, topics []string) *Queue {
				return openWith(tb, config.Queue{
					Backend:     config.BackendNATS,
					AckWait:     testAckWait,
					Subscribers: 2,
					NATS:        config.NATS{URL: natsURL(), StreamPrefix: prefix},
				}, "", topics)
			}
		},
	}
}

func deleteStreams(tb testing.TB, prefix string) {
	nc, err := nats.Connect(natsURL())
	require.NoError(tb, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(tb, err)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	names := js.StreamNames(ctx)
	var doomed []string
	for name := range names.Name() {
		if strings.HasPrefix(name, prefix+"_") {
			doomed = append(doomed, name)
		}
	}
	require.NoError(tb, names.Err())
	for _, name := range doomed {
		assert.NoError(tb, js.DeleteStream(ctx, name))
	}
}

// postgresHarness gives every environment its own database, dropped after
// the test.
func postgresHarness(tb testing.TB) harness {
	admin, err := sql.Open("pgx", postgresDSN())
	require.NoError(tb, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err = admin.PingContext(ctx); err != nil {
		_ = admin.Close()
	}
	requireService(tb, "PostgreSQL at "+postgresDSN(), err)
	tb.Cleanup(func() { _ = admin.Close() })
	return harness{
		name: config.BackendPostgres, durable: true, groups: true, reopen: true,
		newEnv: func(tb testing.TB) opener {
			dsn := createDatabase(tb, admin)
			return func(tb testing.TB, topics []string) *Queue {
				return openWith(tb, config.Queue{
					Backend:  config.BackendPostgres,
					AckWait:  testAckWait,
					Postgres: config.QueuePostgres{DSN: dsn, PollInterval: 20 * time.Millisecond},
				}, "", topics)
			}
		},
	}
}

func createDatabase(tb testing.TB, admin *sql.DB) string {
	name := uniqueName("lhqueue_")
	_, err := admin.Exec(`CREATE DATABASE "` + name + `"`)
	require.NoError(tb, err)
	tb.Cleanup(func() {
		_, err := admin.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`)
		assert.NoError(tb, err)
	})
	u, err := url.Parse(postgresDSN())
	require.NoError(tb, err, "LOYALHUB_TEST_POSTGRES_DSN must be a postgres:// URL")
	u.Path = "/" + name
	return u.String()
}

func TestSuiteMemory(t *testing.T) { runSuite(t, memoryHarness()) }

func TestSuiteEmbedded(t *testing.T) { runSuite(t, embeddedHarness()) }

func TestSuiteNATSIntegration(t *testing.T) { runSuite(t, natsHarness(t)) }

func TestSuitePostgresIntegration(t *testing.T) { runSuite(t, postgresHarness(t)) }

func TestOpenRejectsBadConfig(t *testing.T) {
	cases := []struct {
		name    string
		cfg     config.Queue
		dataDir string
		topics  []string
		want    string
	}{
		{"unknown backend", config.Queue{Backend: "kafka"}, "", nil, "queue.backend"},
		{"postgres without DSN", config.Queue{Backend: config.BackendPostgres}, "", nil, "queue.postgres.dsn"},
		{"topic with a dot", config.Queue{Backend: config.BackendMemory}, "", []string{"in.bound"}, `topic "in.bound"`},
		{"topic listed twice", config.Queue{Backend: config.BackendMemory}, "", []string{"a", "a"}, "listed twice"},
		{"bad stream prefix", config.Queue{Backend: config.BackendNATS, NATS: config.NATS{StreamPrefix: "a b"}}, "", nil,
			"queue.nats.stream_prefix"},
		{"embedded without data dir", config.Queue{}, "", nil, "data_dir"},
		{"embedded with a bad listen address", config.Queue{Embedded: config.Embedded{Listen: "nowhere"}}, "x", nil,
			"queue.embedded.listen"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dataDir
			if dir != "" {
				dir = t.TempDir()
			}
			q, err := Open(testCtx(t), tc.cfg, dir, tc.topics, nil)
			require.Error(t, err)
			assert.Nil(t, q)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestOpenFailsCleanly checks that a backend that cannot be reached fails
// Open with an error after closing whatever it had started.
func TestOpenFailsCleanly(t *testing.T) {
	cases := []struct {
		name string
		cfg  config.Queue
	}{
		{"nats server down", config.Queue{Backend: config.BackendNATS, NATS: config.NATS{URL: "nats://127.0.0.1:1"}}},
		{"postgres down", config.Queue{Backend: config.BackendPostgres,
			Postgres: config.QueuePostgres{DSN: "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := Open(testCtx(t), tc.cfg, "", []string{"inbound"}, nil)
			require.Error(t, err)
			assert.Nil(t, q)
			assert.NoError(t, q.Close(testCtx(t)), "closing a nil queue")
		})
	}
}

func TestEmbeddedListen(t *testing.T) {
	cfg := embeddedConfig()
	cfg.Embedded.Listen = "127.0.0.1:0"
	q := openWith(t, cfg, t.TempDir(), []string{"inbound"})
	require.NoError(t, q.Ping(testCtx(t)))
	_, ch := subscribe(t, q, "mapping", "inbound")
	publish(t, q, "inbound", messageWith("over a listening server"))
	m := receive(t, ch)
	assert.Equal(t, "over a listening server", string(m.Payload))
	m.Ack()
}

func TestPublishToUnknownTopicFails(t *testing.T) {
	q := openWith(t, embeddedConfig(), t.TempDir(), []string{"inbound"})
	err := q.Publisher().Publish("nowhere", messageWith("lost?"))
	require.Error(t, err, "a topic without a stream must not swallow messages")
	assert.ErrorIs(t, err, jetstream.ErrNoStreamResponse)
}

func TestBackoffDelay(t *testing.T) {
	d := backoffDelay{initial: time.Second, max: time.Minute}
	cases := []struct {
		delivered uint64
		want      time.Duration
	}{
		{0, time.Second},
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{7, time.Minute},
		{1000, time.Minute},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("delivery %d", tc.delivered), func(t *testing.T) {
			assert.Equal(t, tc.want, d.WaitTime(tc.delivered))
		})
	}
}

func TestDefaults(t *testing.T) {
	got := withDefaults(config.Queue{})
	assert.Equal(t, config.BackendEmbedded, got.Backend)
	assert.Equal(t, 16, got.Subscribers)
	assert.Equal(t, 60*time.Second, got.AckWait)
	assert.Equal(t, 2*time.Minute, got.DuplicateWindow)
	assert.Equal(t, 168*time.Hour, got.MaxAge)
	assert.Equal(t, time.Second, got.Embedded.SyncInterval)
	assert.Equal(t, int64(10<<30), got.Embedded.MaxStoreBytes)
	assert.Equal(t, "nats://127.0.0.1:4222", got.NATS.URL)
	assert.Equal(t, "loyalhub", got.NATS.StreamPrefix)
	assert.Equal(t, 1, got.NATS.Replicas)
	assert.Equal(t, 1000, got.Postgres.SubscribeBatchSize)
	assert.Equal(t, 100*time.Millisecond, got.Postgres.PollInterval)

	kept := withDefaults(config.Queue{Backend: config.BackendNATS, Subscribers: 9, AckWait: time.Second})
	assert.Equal(t, config.BackendNATS, kept.Backend)
	assert.Equal(t, 9, kept.Subscribers)
	assert.Equal(t, time.Second, kept.AckWait)
}

// One Publish call with more messages than the publisher's pending window
// stores every one of them before it returns.
func TestEmbeddedPublishesALargeBatch(t *testing.T) {
	q := openWith(t, embeddedConfig(), t.TempDir(), []string{"inbound"})
	n := publishMaxPending + 500
	msgs := make([]*message.Message, n)
	for i := range msgs {
		msgs[i] = messageWith(fmt.Sprintf("sale %d", i))
	}
	publishSync(t, q, "inbound", msgs...)
	info, err := q.js.Stream(testCtx(t), streamName(q.cfg.NATS.StreamPrefix, "inbound"))
	require.NoError(t, err)
	assert.Equal(t, uint64(n), info.CachedInfo().State.Msgs)
}

func TestPublishAfterCloseFails(t *testing.T) {
	q := openWith(t, embeddedConfig(), t.TempDir(), []string{"inbound"})
	require.NoError(t, q.Close(testCtx(t)))
	err := q.Publisher().Publish("inbound", messageWith("too late"))
	assert.ErrorIs(t, err, ErrClosed)
}

// A backlog stays on the server: a group's consumer hands out at most
// twice its subscribers before they acknowledge, or queue.max_ack_pending.
func TestConsumerCapsWhatItHandsOut(t *testing.T) {
	for _, tt := range []struct {
		name string
		cap  int
		want int
	}{
		{"twice the subscribers by default", 0, 6},
		{"as configured", 40, 40},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := embeddedConfig()
			cfg.MaxAckPending = tt.cap
			q := openWith(t, cfg, t.TempDir(), []string{"inbound"})
			ctx := testCtx(t)
			sub, err := q.SubscriberN("process", 3)
			require.NoError(t, err)
			_, err = sub.Subscribe(ctx, "inbound")
			require.NoError(t, err)
			c, err := q.js.PushConsumer(ctx, streamName(q.cfg.NATS.StreamPrefix, "inbound"),
				consumerName(q.cfg.NATS.StreamPrefix, "inbound", "process"))
			require.NoError(t, err)
			info, err := c.Info(ctx)
			require.NoError(t, err)
			assert.Equal(t, tt.want, info.Config.MaxAckPending)
		})
	}
}
