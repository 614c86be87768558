package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	// publishAckTimeout bounds the wait for the stream's acknowledgement of
	// one message.
	publishAckTimeout = 5 * time.Second
	// publishMaxPending bounds the messages published and not yet
	// acknowledged on the publisher's connection.
	publishMaxPending = 4096
	// stallPause is the wait before retrying a publish refused because the
	// pending window is full.
	stallPause = 2 * time.Millisecond
)

// jsPublisher publishes to JetStream without a request/reply round trip per
// message: every message of a Publish call is sent at once and Publish
// returns when the stream has acknowledged each of them, so a message is
// stored when Publish returns nil, exactly as with a synchronous publish.
// The watermill UUID is the message's Nats-Msg-Id, so the stream drops a
// message republished within its duplicate window.
type jsPublisher struct {
	conn      *nats.Conn
	js        jetstream.JetStream
	marshaler subjectMarshaler

	mu     sync.RWMutex
	closed bool
}

func newJSPublisher(conn *nats.Conn, prefix string) (*jsPublisher, error) {
	js, err := jetstream.New(conn,
		jetstream.WithPublishAsyncMaxPending(publishMaxPending),
		jetstream.WithPublishAsyncTimeout(publishAckTimeout))
	if err != nil {
		return nil, fmt.Errorf("creating JetStream publish context: %w", err)
	}
	return &jsPublisher{conn: conn, js: js, marshaler: subjectMarshaler{prefix: prefix}}, nil
}

// Publish stores msgs on topic's stream; it returns the first error after
// every message has been acknowledged or has failed.
func (p *jsPublisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	var errs []error
	for _, msg := range msgs {
		nm, err := p.marshaler.Marshal(topic, msg)
		if err != nil {
			errs = append(errs, err)
			break
		}
		f, err := p.publishAsync(msg.Context(), nm, msg.UUID)
		if err != nil {
			errs = append(errs, fmt.Errorf("publishing message %s to %s: %w", msg.UUID, topic, err))
			break
		}
		futures = append(futures, f)
	}
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			errs = append(errs, fmt.Errorf("publishing message %s to %s: %w", msgs[i].UUID, topic, err))
		}
	}
	return errors.Join(errs...)
}

// publishAsync sends one message, waiting while the pending window is full
// (the stream is slower than the publishers) until ctx ends or the ack
// timeout passes.
func (p *jsPublisher) publishAsync(ctx context.Context, nm *nats.Msg, id string) (jetstream.PubAckFuture, error) {
	deadline := time.Now().Add(publishAckTimeout)
	for {
		f, err := p.js.PublishMsgAsync(nm, jetstream.WithMsgID(id))
		if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
			return f, err
		}
		if time.Now().After(deadline) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(stallPause):
		}
	}
}

// Close waits for publishes in progress, then closes the connection.
func (p *jsPublisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	p.conn.Close()
	return nil
}
