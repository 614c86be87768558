package queue

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/loyalhub/loyalhub/core/config"
)

const (
	// embeddedMaxPayload lets a 1 MiB webhook body plus its metadata
	// headers fit in one message (the NATS default is 1 MB).
	embeddedMaxPayload = 8 << 20
	// embeddedMaxMemory bounds the memory store, which the queue does not use.
	embeddedMaxMemory = 64 << 20
	// readyTimeout bounds the embedded server's start.
	readyTimeout = 10 * time.Second
	// closeTimeout bounds how long closing a subscriber waits for in-flight
	// messages and for its connection to drain.
	closeTimeout = 30 * time.Second
	// nakInitialDelay and nakMaxDelay shape the redelivery backoff of
	// nacked messages.
	nakInitialDelay = time.Second
	nakMaxDelay     = time.Minute
)

// jsBackend is the JetStream side shared by the embedded and nats backends.
type jsBackend struct {
	q        *Queue
	prefix   string
	replicas int
	url      string
	connOpts []nats.Option
	admin    *nats.Conn
	js       jetstream.JetStream
}

func (q *Queue) openEmbedded(ctx context.Context, dataDir string, topics []string) error {
	if dataDir == "" {
		return errors.New("data_dir: required by the embedded queue")
	}
	cfg := q.cfg.Embedded
	opts := &server.Options{
		ServerName:         "loyalhub",
		JetStream:          true,
		StoreDir:           filepath.Join(dataDir, "queue"),
		JetStreamMaxStore:  cfg.MaxStoreBytes,
		JetStreamMaxMemory: embeddedMaxMemory,
		SyncInterval:       cfg.SyncInterval,
		SyncAlways:         cfg.SyncAlways,
		MaxPayload:         embeddedMaxPayload,
		NoSigs:             true,
		NoLog:              true,
		DontListen:         cfg.Listen == "",
	}
	if cfg.Listen != "" {
		host, portText, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return fmt.Errorf("queue.embedded.listen: %w", err)
		}
		port, err := strconv.Atoi(portText)
		if err != nil || port < 0 || port > 65535 {
			return fmt.Errorf("queue.embedded.listen: bad port %q", portText)
		}
		if port == 0 {
			port = server.RANDOM_PORT
		}
		opts.Host, opts.Port = host, port
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("creating embedded NATS server: %w", err)
	}
	ns.Start()
	q.onClose(func(ctx context.Context) error {
		ns.Shutdown()
		done := make(chan struct{})
		go func() {
			ns.WaitForShutdown()
			close(done)
		}()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("shutting down embedded NATS server: %w", ctx.Err())
		}
	})
	if !ns.ReadyForConnections(readyTimeout) {
		return fmt.Errorf("starting embedded NATS server: not ready within %s", readyTimeout)
	}
	b := &jsBackend{
		q:        q,
		prefix:   q.cfg.NATS.StreamPrefix,
		replicas: 1,
		connOpts: []nats.Option{nats.InProcessServer(ns)},
	}
	var streamBytes int64 = -1
	if len(topics) > 0 {
		streamBytes = cfg.MaxStoreBytes / int64(len(topics))
	}
	return b.open(ctx, topics, streamBytes)
}

func (q *Queue) openNATS(ctx context.Context, topics []string) error {
	b := &jsBackend{
		q:        q,
		prefix:   q.cfg.NATS.StreamPrefix,
		replicas: q.cfg.NATS.Replicas,
		url:      q.cfg.NATS.URL,
		connOpts: []nats.Option{nats.MaxReconnects(-1)},
	}
	return b.open(ctx, topics, -1)
}

// open connects the admin connection, creates or updates the streams and
// starts the publisher.
func (b *jsBackend) open(ctx context.Context, topics []string, streamBytes int64) error {
	admin, adminDone, err := b.connect("loyalhub-admin")
	if err != nil {
		return err
	}
	b.admin = admin
	b.q.onClose(func(ctx context.Context) error {
		admin.Close()
		return waitClosed(ctx, "admin", adminDone)
	})
	b.js, err = jetstream.New(admin)
	if err != nil {
		return fmt.Errorf("creating JetStream context: %w", err)
	}
	for _, topic := range topics {
		_, err := b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:        streamName(b.prefix, topic),
			Description: "loyalhub topic " + topic,
			Subjects:    []string{subjectName(b.prefix, topic)},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    b.replicas,
			Duplicates:  b.q.cfg.DuplicateWindow,
			MaxAge:      b.q.cfg.MaxAge,
			MaxBytes:    streamBytes,
			MaxMsgs:     -1,
			Discard:     jetstream.DiscardOld,
		})
		if err != nil {
			return fmt.Errorf("creating stream for topic %s: %w", topic, err)
		}
	}

	pubConn, pubDone, err := b.connect("loyalhub-publisher")
	if err != nil {
		return err
	}
	pub, err := newJSPublisher(pubConn, b.prefix)
	if err != nil {
		pubConn.Close()
		return err
	}
	b.q.publisher = pub
	b.q.onClose(func(ctx context.Context) error {
		if err := pub.Close(); err != nil {
			return fmt.Errorf("closing publisher: %w", err)
		}
		return waitClosed(ctx, "publisher", pubDone)
	})
	b.q.newSub = func(group string, concurrency int) (message.Subscriber, error) {
		return &jsSubscriber{b: b, group: group, concurrency: concurrency}, nil
	}
	b.q.ping = b.ping
	b.q.js = b.js
	return nil
}

// connect opens a connection and returns a channel closed once the
// connection is closed (after a drain completes, for example).
func (b *jsBackend) connect(name string) (*nats.Conn, <-chan struct{}, error) {
	done := make(chan struct{})
	var once sync.Once
	logger := b.q.logger.With(watermill.LogFields{"nats_connection": name})
	opts := append([]nats.Option{
		nats.Name(name),
		nats.ClosedHandler(func(*nats.Conn) { once.Do(func() { close(done) }) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			fields := watermill.LogFields{}
			if sub != nil {
				fields["subject"] = sub.Subject
			}
			logger.Error("NATS asynchronous error", err, fields)
		}),
	}, b.connOpts...)
	nc, err := nats.Connect(b.url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting %s to NATS: %w", name, err)
	}
	return nc, done, nil
}

func (b *jsBackend) ping(ctx context.Context) error {
	if status := b.admin.Status(); status != nats.CONNECTED {
		return fmt.Errorf("connection %s", status)
	}
	if _, err := b.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("reading JetStream account info: %w", err)
	}
	return nil
}

func waitClosed(ctx context.Context, name string, done <-chan struct{}) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the %s connection to close: %w", name, ctx.Err())
	}
}

func streamName(prefix, topic string) string  { return prefix + "_" + topic }
func subjectName(prefix, topic string) string { return prefix + "." + topic }

func consumerName(prefix, topic, group string) string {
	return prefix + "_" + topic + "_" + group
}

func deliverSubject(prefix, topic, group string) string {
	return prefix + "_deliver." + topic + "." + group
}

// subjectMarshaler is the NATS marshaler (payload as the body, metadata as
// headers) that publishes topic to the prefixed subject of its stream.
type subjectMarshaler struct {
	prefix string
}

func (m subjectMarshaler) Marshal(topic string, msg *message.Message) (*nats.Msg, error) {
	nm, err := (&wmnats.NATSMarshaler{}).Marshal(topic, msg)
	if err != nil {
		return nil, fmt.Errorf("marshaling message: %w", err)
	}
	nm.Subject = subjectName(m.prefix, topic)
	return nm, nil
}

// backoffDelay is the redelivery delay of a nacked message: initial after
// the first delivery, doubling with each delivery up to max.
type backoffDelay struct {
	initial, max time.Duration
}

func (d backoffDelay) WaitTime(delivered uint64) time.Duration {
	wait := d.initial
	for i := uint64(1); i < delivered && wait < d.max; i++ {
		wait *= 2
	}
	return min(wait, d.max)
}

// jsSubscriber subscribes one consumer group. Each Subscribe call binds to
// the group's durable consumer on the topic's stream with its own
// connection and concurrency queue-group members.
type jsSubscriber struct {
	b           *jsBackend
	group       string
	concurrency int

	mu     sync.Mutex
	closed bool
	subs   []*wmnats.Subscriber
	done   []<-chan struct{}
}

func (s *jsSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if !validName.MatchString(topic) {
		return nil, fmt.Errorf("topic %q may hold only letters, digits, '_' and '-'", topic)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	b, cfg := s.b, s.b.q.cfg
	stream := streamName(b.prefix, topic)
	subject := subjectName(b.prefix, topic)
	name := consumerName(b.prefix, topic, s.group)
	_, err := b.js.CreateOrUpdatePushConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable:        name,
		Description:    "loyalhub group " + s.group + " on topic " + topic,
		DeliverSubject: deliverSubject(b.prefix, topic, s.group),
		DeliverGroup:   name,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        cfg.AckWait,
		MaxAckPending:  maxAckPending(cfg, s.concurrency),
		MaxDeliver:     -1,
		FilterSubject:  subject,
		ReplayPolicy:   jetstream.ReplayInstantPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("creating consumer %s on stream %s: %w", name, stream, err)
	}
	conn, done, err := b.connect("loyalhub-" + name)
	if err != nil {
		return nil, err
	}
	sub, err := wmnats.NewSubscriberWithNatsConn(conn, wmnats.SubscriberSubscriptionConfig{
		Unmarshaler:      &wmnats.NATSMarshaler{},
		SubscribersCount: s.concurrency,
		AckWaitTimeout:   cfg.AckWait,
		CloseTimeout:     closeTimeout,
		QueueGroupPrefix: name,
		SubjectCalculator: func(queueGroup, _ string) *wmnats.SubjectDetail {
			return &wmnats.SubjectDetail{Primary: subject, QueueGroup: queueGroup}
		},
		NakDelay: backoffDelay{initial: nakInitialDelay, max: nakMaxDelay},
		JetStream: wmnats.JetStreamConfig{
			// Bind: the consumer above is ours, so ending a subscription
			// never deletes it. ManualAck: without it the client acks
			// every message whose handler returned, even unacked ones.
			SubscribeOptions: []nats.SubOpt{nats.Bind(stream, name), nats.ManualAck()},
			AckAsync:         true,
			DurablePrefix:    name,
		},
	}, b.q.logger.With(watermill.LogFields{"consumer_group": s.group}))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("creating subscriber %s: %w", name, err)
	}
	out, err := sub.Subscribe(ctx, topic)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("subscribing %s: %w", name, err), sub.Close())
	}
	s.subs = append(s.subs, sub)
	s.done = append(s.done, done)
	return out, nil
}

// Close ends every subscription; messages not acked yet are redelivered
// after the ack wait.
func (s *jsSubscriber) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	var errs []error
	for i := len(s.subs) - 1; i >= 0; i-- {
		if err := s.subs[i].Close(); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := waitClosed(ctx, "subscriber", s.done[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// maxAckPending is how many messages of a consumer the server hands out
// before their acknowledgements (queue.max_ack_pending): by default twice
// the subscription's subscribers, so that a backlog stays on the server
// instead of waiting in the client while its ack_wait runs out.
func maxAckPending(cfg config.Queue, subscribers int) int {
	if cfg.MaxAckPending > 0 {
		return cfg.MaxAckPending
	}
	return 2 * max(1, subscribers)
}
