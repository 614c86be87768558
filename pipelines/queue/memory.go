package queue

import (
	"context"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
)

// memoryOutputBuffer is each memory subscription's channel buffer.
const memoryOutputBuffer = 1024

// memoryNackDelay is how long a memory subscription waits after a nacked
// message before taking the next one (the GoChannel sends the nacked one
// again at once), as the JetStream backends delay a redelivery.
const memoryNackDelay = 20 * time.Millisecond

func (q *Queue) openMemory() error {
	gc := gochannel.NewGoChannel(gochannel.Config{
		OutputChannelBuffer:            memoryOutputBuffer,
		Persistent:                     true,
		BlockPublishUntilSubscriberAck: true,
	}, q.logger)
	q.onClose(func(context.Context) error { return gc.Close() })
	q.publisher = gc
	q.newSub = func(string, int) (message.Subscriber, error) {
		return &memorySubscriber{gc: gc}, nil
	}
	q.ping = func(context.Context) error { return nil }
	return nil
}

// memorySubscriber shares the queue's GoChannel; closing it ends only its
// own subscriptions.
type memorySubscriber struct {
	gc *gochannel.GoChannel

	mu      sync.Mutex
	closed  bool
	cancels []context.CancelFunc
}

func (s *memorySubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	ctx, cancel := context.WithCancel(ctx)
	in, err := s.gc.Subscribe(ctx, topic)
	if err != nil {
		cancel()
		return nil, err
	}
	s.cancels = append(s.cancels, cancel)
	out := make(chan *message.Message)
	go func() {
		defer close(out)
		for msg := range in {
			select {
			case out <- msg:
			case <-ctx.Done():
				return
			}
			select {
			case <-msg.Acked():
			case <-msg.Nacked():
				select {
				case <-time.After(memoryNackDelay):
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (s *memorySubscriber) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	for _, cancel := range s.cancels {
		cancel()
	}
	return nil
}
