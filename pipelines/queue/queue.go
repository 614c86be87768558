package queue

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/loyalhub/loyalhub/core/config"
)

// ErrClosed is returned by Subscriber and Ping once the queue is closed.
var ErrClosed = errors.New("queue closed")

// validName matches topics, groups and stream prefixes: they become NATS
// subjects, stream and consumer names, and PostgreSQL table names.
var validName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Queue is an open Pub/Sub backend. Its methods are safe for concurrent use.
type Queue struct {
	backend string
	cfg     config.Queue
	logger  watermill.LoggerAdapter

	publisher message.Publisher
	newSub    func(group string, concurrency int) (message.Subscriber, error)
	ping      func(ctx context.Context) error
	js        jetstream.JetStream // embedded and nats only

	mu      sync.Mutex
	closed  bool
	subs    []message.Subscriber
	closers []func(ctx context.Context) error // run in reverse order
}

// Open starts the backend selected by cfg.Backend and prepares every topic
// in topics (streams or tables), so that publishing to them never has to
// provision anything. dataDir holds the embedded backend's files. A nil
// logger logs nothing. On error everything already started is closed.
func Open(ctx context.Context, cfg config.Queue, dataDir string, topics []string, logger watermill.LoggerAdapter) (*Queue, error) {
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	cfg = withDefaults(cfg)
	if err := validate(cfg, topics); err != nil {
		return nil, err
	}
	q := &Queue{backend: cfg.Backend, cfg: cfg, logger: logger}
	var err error
	switch cfg.Backend {
	case config.BackendEmbedded:
		err = q.openEmbedded(ctx, dataDir, topics)
	case config.BackendNATS:
		err = q.openNATS(ctx, topics)
	case config.BackendPostgres:
		err = q.openPostgres(ctx, topics)
	case config.BackendMemory:
		err = q.openMemory()
	}
	if err != nil {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		return nil, errors.Join(fmt.Errorf("opening %s queue: %w", cfg.Backend, err), q.Close(closeCtx))
	}
	return q, nil
}

// withDefaults fills the zero fields of cfg with the config defaults.
func withDefaults(cfg config.Queue) config.Queue {
	cfg.ApplyDefaults()
	return cfg
}

func validate(cfg config.Queue, topics []string) error {
	switch cfg.Backend {
	case config.BackendEmbedded, config.BackendNATS, config.BackendMemory:
	case config.BackendPostgres:
		if cfg.Postgres.DSN == "" {
			return errors.New("queue.postgres.dsn: required by the postgres backend")
		}
	default:
		return fmt.Errorf("queue.backend: unknown backend %q (want embedded, nats, postgres or memory)", cfg.Backend)
	}
	if !validName.MatchString(cfg.NATS.StreamPrefix) {
		return fmt.Errorf("queue.nats.stream_prefix: %q may hold only letters, digits, '_' and '-'", cfg.NATS.StreamPrefix)
	}
	seen := make(map[string]bool, len(topics))
	for _, t := range topics {
		if !validName.MatchString(t) {
			return fmt.Errorf("topic %q may hold only letters, digits, '_' and '-'", t)
		}
		if seen[t] {
			return fmt.Errorf("topic %q listed twice", t)
		}
		seen[t] = true
	}
	return nil
}

// Backend names the open backend: embedded, nats, postgres or memory.
func (q *Queue) Backend() string { return q.backend }

// Publisher returns the queue's publisher. Publish returns only after every
// message is stored (for every backend but memory, durably), so a caller
// may acknowledge its own sender afterwards. The publisher is owned by the
// queue: Close the queue, not the publisher.
func (q *Queue) Publisher() message.Publisher { return q.publisher }

// Subscriber returns a new subscriber of the durable consumer group group.
// Within one group, across goroutines and across replicas, each message is
// processed by one subscriber (memory: every subscriber, see the package
// documentation); each group receives every message of the topics it
// subscribes to. Messages must be acked or nacked; a nacked message is
// redelivered. The queue closes the subscriber on Close; closing it earlier
// is allowed. Each subscription handles queue.subscribers messages at a
// time; SubscriberN sets another number.
func (q *Queue) Subscriber(group string) (message.Subscriber, error) {
	return q.SubscriberN(group, q.cfg.Subscribers)
}

// SubscriberN is Subscriber with n messages in flight per subscription (on
// the NATS backends; the PostgreSQL backend handles a group's messages one
// at a time, the memory backend one per subscription). An I/O-bound stage,
// such as one calling a BSP, needs more than a CPU-bound one.
func (q *Queue) SubscriberN(group string, n int) (message.Subscriber, error) {
	if n <= 0 {
		n = q.cfg.Subscribers
	}
	if !validName.MatchString(group) {
		return nil, fmt.Errorf("consumer group %q may hold only letters, digits, '_' and '-'", group)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil, ErrClosed
	}
	sub, err := q.newSub(group, n)
	if err != nil {
		return nil, fmt.Errorf("creating subscriber for group %s: %w", group, err)
	}
	q.subs = append(q.subs, sub)
	return sub, nil
}

// Ping checks that the backend answers; it backs the readiness probe.
func (q *Queue) Ping(ctx context.Context) error {
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if err := q.ping(ctx); err != nil {
		return fmt.Errorf("pinging %s queue: %w", q.backend, err)
	}
	return nil
}

// Close closes every subscriber handed out, then the publisher, then the
// connections and (embedded) the server, in the reverse order of Open.
// In-flight messages that are not acked yet are redelivered later. Close
// is safe to call twice and on a nil Queue.
func (q *Queue) Close(ctx context.Context) error {
	if q == nil {
		return nil
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	subs, closers := q.subs, q.closers
	q.subs, q.closers = nil, nil
	q.mu.Unlock()

	var errs []error
	for i := len(subs) - 1; i >= 0; i-- {
		if err := subs[i].Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing subscriber: %w", err))
		}
	}
	for i := len(closers) - 1; i >= 0; i-- {
		if err := closers[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// onClose registers fn to run on Close, before everything registered earlier.
func (q *Queue) onClose(fn func(ctx context.Context) error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closers = append(q.closers, fn)
}
