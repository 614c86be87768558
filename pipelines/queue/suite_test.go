package queue

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waitTimeout bounds every wait for a delivery; it is a deadline for a
// stuck test, not a latency assertion.
const waitTimeout = 30 * time.Second

// opener opens a queue on one isolated storage: every queue opened by the
// same opener sees the same streams, tables or data directory.
type opener func(tb testing.TB, topics []string) *Queue

// harness describes one backend for the shared pipeline suite.
type harness struct {
	name string
	// durable: a message left unacked when its subscriber closes is
	// redelivered to the next subscriber of the group.
	durable bool
	// groups: consumer groups are real (memory fans out to everyone).
	groups bool
	// parallelGroup: members of one group consume at the same time.
	parallelGroup bool
	// dedup: a UUID published twice within the window is stored once.
	dedup bool
	// reopen: messages survive Close and a new Open on the same storage.
	reopen bool
	// newEnv prepares isolated storage and removes it after the test.
	newEnv func(tb testing.TB) opener
}

// runSuite is the pipeline suite every queue backend passes.
func runSuite(t *testing.T, h harness) {
	t.Run("roundtrip preserves payload bytes and metadata", func(t *testing.T) { testRoundtrip(t, h) })
	t.Run("nacked message is redelivered", func(t *testing.T) { testNackRedelivered(t, h) })
	t.Run("unacked message goes to the next subscriber of the group", func(t *testing.T) {
		if !h.durable {
			t.Skipf("%s is not durable", h.name)
		}
		testUnackedRedelivered(t, h)
	})
	t.Run("message never acked is redelivered after the ack wait", func(t *testing.T) {
		if !h.durable {
			t.Skipf("%s waits for the ack forever", h.name)
		}
		testAckTimeoutRedelivered(t, h)
	})
	t.Run("group resumes after its last ack", func(t *testing.T) {
		if !h.durable {
			t.Skipf("%s is not durable", h.name)
		}
		testResume(t, h)
	})
	t.Run("messages survive close and reopen", func(t *testing.T) {
		if !h.reopen {
			t.Skipf("%s keeps nothing across Open", h.name)
		}
		testReopen(t, h)
	})
	t.Run("same UUID within the window is delivered once", func(t *testing.T) {
		if !h.dedup {
			t.Skipf("%s does not deduplicate", h.name)
		}
		testDedup(t, h)
	})
	t.Run("consumer groups share and each group gets all", func(t *testing.T) {
		if !h.groups {
			t.Skipf("%s has no consumer groups", h.name)
		}
		testGroups(t, h)
	})
	t.Run("memory fans out to every subscriber", func(t *testing.T) {
		if h.groups {
			t.Skipf("%s has consumer groups", h.name)
		}
		testFanOut(t, h)
	})
	t.Run("ping works and close is idempotent", func(t *testing.T) { testPingClose(t, h) })
}

func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	return ctx
}

func subscribe(tb testing.TB, q *Queue, group, topic string) (message.Subscriber, <-chan *message.Message) {
	tb.Helper()
	sub, err := q.Subscriber(group)
	require.NoError(tb, err)
	ch, err := sub.Subscribe(testCtx(tb), topic)
	require.NoError(tb, err)
	return sub, ch
}

func receive(tb testing.TB, ch <-chan *message.Message) *message.Message {
	tb.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	select {
	case m, ok := <-ch:
		require.True(tb, ok, "subscription closed before a message arrived")
		return m
	case <-timer.C:
		tb.Fatalf("no message within %s", waitTimeout)
		return nil
	}
}

// receiveAll acks n messages and returns them by UUID.
func receiveAll(tb testing.TB, ch <-chan *message.Message, n int) map[string]*message.Message {
	tb.Helper()
	got := make(map[string]*message.Message, n)
	for len(got) < n {
		m := receive(tb, ch)
		got[m.UUID] = m
		m.Ack()
	}
	return got
}

// publishSync publishes and requires success before returning.
func publishSync(tb testing.TB, q *Queue, topic string, msgs ...*message.Message) {
	tb.Helper()
	require.NoError(tb, q.Publisher().Publish(topic, msgs...))
}

// publish publishes from another goroutine, because the memory backend's
// Publish blocks until a subscriber acks; the result is checked when the
// test ends, before the queue closes.
func publish(tb testing.TB, q *Queue, topic string, msgs ...*message.Message) {
	tb.Helper()
	errc := make(chan error, 1)
	go func() { errc <- q.Publisher().Publish(topic, msgs...) }()
	tb.Cleanup(func() {
		timer := time.NewTimer(waitTimeout)
		defer timer.Stop()
		select {
		case err := <-errc:
			assert.NoError(tb, err, "publishing to %s", topic)
		case <-timer.C:
			tb.Errorf("publishing to %s did not return within %s", topic, waitTimeout)
		}
	})
}

func testRoundtrip(t *testing.T, h harness) {
	q := h.newEnv(t)(t, []string{"inbound"})
	_, ch := subscribe(t, q, "mapping", "inbound")

	large := bytes.Repeat([]byte("0123456789abcdef"), 16<<10) // 256 KiB
	cases := []struct {
		name     string
		payload  []byte
		metadata message.Metadata
	}{
		{"json", []byte(`{"id":"ord_1","total":"12.50","phone":"+6281234567890"}`),
			message.Metadata{"tenant": "acme", "connector": "shop", "kind": "order", "delivery_id": "d-1"}},
		{"binary, not JSON or UTF-8", []byte{0x00, 0xff, 0xfe, '\n', 0x80, '{', 0x00},
			message.Metadata{"tenant": "acme", "received_at": "2026-11-23T10:00:00Z"}},
		{"csv line", []byte("phone,points\n+6281234567890,10\n"), message.Metadata{"Mixed-Case_key": "v a l"}},
		{"empty payload", nil, message.Metadata{"tenant": "acme"}},
		{"large payload", large, message.Metadata{}},
	}
	var msgs []*message.Message
	for _, tc := range cases {
		m := message.NewMessage(watermill.NewUUID(), tc.payload)
		for k, v := range tc.metadata {
			m.Metadata.Set(k, v)
		}
		msgs = append(msgs, m)
	}
	publish(t, q, "inbound", msgs[:2]...) // several messages in one call
	for _, m := range msgs[2:] {
		publish(t, q, "inbound", m)
	}

	got := receiveAll(t, ch, len(cases))
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := got[msgs[i].UUID]
			require.True(t, ok, "message not received")
			assert.True(t, bytes.Equal(tc.payload, m.Payload), "payload differs: got %d bytes", len(m.Payload))
			for k, v := range tc.metadata {
				assert.Equal(t, v, m.Metadata.Get(k), "metadata %s", k)
			}
		})
	}
}

func testNackRedelivered(t *testing.T, h harness) {
	q := h.newEnv(t)(t, []string{"events"})
	_, ch := subscribe(t, q, "loyalty", "events")
	sent := message.NewMessage(watermill.NewUUID(), []byte("order.paid"))
	publish(t, q, "events", sent)

	first := receive(t, ch)
	require.Equal(t, sent.UUID, first.UUID)
	first.Nack()

	again := receive(t, ch)
	assert.Equal(t, sent.UUID, again.UUID)
	assert.Equal(t, "order.paid", string(again.Payload))
	again.Ack()
}

func testUnackedRedelivered(t *testing.T, h harness) {
	q := h.newEnv(t)(t, []string{"outbound"})
	sub1, ch1 := subscribe(t, q, "send", "outbound")
	sent := message.NewMessage(watermill.NewUUID(), []byte("template"))
	publish(t, q, "outbound", sent)

	got := receive(t, ch1)
	require.Equal(t, sent.UUID, got.UUID)
	require.NoError(t, sub1.Close()) // the handler never acked: a crash or shutdown

	_, ch2 := subscribe(t, q, "send", "outbound")
	again := receive(t, ch2)
	assert.Equal(t, sent.UUID, again.UUID)
	again.Ack()
}

// testAckTimeoutRedelivered: the handler neither acks nor nacks (it hangs
// past the ack wait). The message must come back; a client that acked on
// the handler's return would lose it.
func testAckTimeoutRedelivered(t *testing.T, h harness) {
	q := h.newEnv(t)(t, []string{"outbound"})
	_, ch := subscribe(t, q, "send", "outbound")
	sent := messageWith("slow handler")
	publish(t, q, "outbound", sent)

	first := receive(t, ch)
	require.Equal(t, sent.UUID, first.UUID)
	again := receive(t, ch)
	assert.Equal(t, sent.UUID, again.UUID)
	again.Ack()
	first.Nack() // too late: the delivery it belonged to has expired
}

// testResume: a group's position outlives its subscribers, so a new
// subscriber starts after the last acked message.
func testResume(t *testing.T, h harness) {
	q := h.newEnv(t)(t, []string{"events"})
	sub1, ch1 := subscribe(t, q, "loyalty", "events")
	a := messageWith("a")
	publish(t, q, "events", a)
	got := receive(t, ch1)
	require.Equal(t, a.UUID, got.UUID)
	got.Ack()
	require.NoError(t, sub1.Close())

	b := messageWith("b")
	publishSync(t, q, "events", b)
	_, ch2 := subscribe(t, q, "loyalty", "events")
	next := receive(t, ch2)
	assert.Equal(t, b.UUID, next.UUID, "the acked message is not delivered again")
	next.Ack()
}

func testReopen(t *testing.T, h harness) {
	open := h.newEnv(t)
	topics := []string{"inbound", "events"}
	q1 := open(t, topics)
	want := map[string]string{}
	for i := range 3 {
		m := message.NewMessage(watermill.NewUUID(), fmt.Appendf(nil, "webhook %d", i))
		want[m.UUID] = string(m.Payload)
		publishSync(t, q1, "inbound", m)
	}
	require.NoError(t, q1.Close(testCtx(t)))

	q2 := open(t, topics)
	_, ch := subscribe(t, q2, "mapping", "inbound")
	got := receiveAll(t, ch, len(want))
	for id, payload := range want {
		require.Contains(t, got, id)
		assert.Equal(t, payload, string(got[id].Payload))
	}

	after := message.NewMessage(watermill.NewUUID(), []byte("after reopen"))
	publishSync(t, q2, "inbound", after)
	m := receive(t, ch)
	assert.Equal(t, after.UUID, m.UUID)
	m.Ack()
}

func testDedup(t *testing.T, h harness) {
	q := h.newEnv(t)(t, []string{"inbound"})
	id := watermill.NewUUID()
	publishSync(t, q, "inbound", message.NewMessage(id, []byte("first")))
	publishSync(t, q, "inbound", message.NewMessage(id, []byte("retry of the same delivery")))
	sentinel := message.NewMessage(watermill.NewUUID(), []byte("next"))
	publishSync(t, q, "inbound", sentinel)

	info, err := q.js.Stream(testCtx(t), streamName(q.cfg.NATS.StreamPrefix, "inbound"))
	require.NoError(t, err)
	assert.Equal(t, uint64(2), info.CachedInfo().State.Msgs, "stored messages")

	_, ch := subscribe(t, q, "mapping", "inbound")
	got := receiveAll(t, ch, 2)
	require.Contains(t, got, id)
	require.Contains(t, got, sentinel.UUID)
	assert.Equal(t, "first", string(got[id].Payload))
}

// collector reads subscriptions, acks everything and counts deliveries.
type collector struct {
	mu     sync.Mutex
	counts map[string]int
	total  int
}

func collect(tb testing.TB, sub message.Subscriber, ch <-chan *message.Message) *collector {
	c := &collector{counts: map[string]int{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m := range ch {
			c.mu.Lock()
			c.counts[m.UUID]++
			c.total++
			c.mu.Unlock()
			m.Ack()
		}
	}()
	tb.Cleanup(func() {
		assert.NoError(tb, sub.Close())
		<-done
	})
	return c
}

func (c *collector) snapshot() (map[string]int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out, c.total
}

func testGroups(t *testing.T, h harness) {
	q := h.newEnv(t)(t, []string{"outcomes"})
	// Two subscribers of one group, as two replicas would hold.
	sub1, ch1 := subscribe(t, q, "notify", "outcomes")
	sub2, ch2 := subscribe(t, q, "notify", "outcomes")
	sub3, ch3 := subscribe(t, q, "audit", "outcomes")
	w1, w2, audit := collect(t, sub1, ch1), collect(t, sub2, ch2), collect(t, sub3, ch3)

	const n = 60
	ids := make([]string, 0, n)
	for i := range n {
		m := message.NewMessage(watermill.NewUUID(), fmt.Appendf(nil, "points.earned %d", i))
		ids = append(ids, m.UUID)
		publish(t, q, "outcomes", m)
	}

	union := func() map[string]int {
		a, _ := w1.snapshot()
		b, _ := w2.snapshot()
		for k, v := range b {
			a[k] += v
		}
		return a
	}
	require.Eventually(t, func() bool {
		a, _ := audit.snapshot()
		return len(union()) == n && len(a) == n
	}, waitTimeout, 10*time.Millisecond, "both groups receive every message")

	u := union()
	a, _ := audit.snapshot()
	for _, id := range ids {
		assert.Equal(t, 1, u[id], "group notify processed %s once", id)
		assert.Equal(t, 1, a[id], "group audit processed %s once", id)
	}
	if h.parallelGroup {
		_, n1 := w1.snapshot()
		_, n2 := w2.snapshot()
		assert.Positive(t, n1, "first member got a share")
		assert.Positive(t, n2, "second member got a share")
	}
}

func testFanOut(t *testing.T, h harness) {
	q := h.newEnv(t)(t, []string{"outcomes"})
	sub1, ch1 := subscribe(t, q, "notify", "outcomes")
	sub2, ch2 := subscribe(t, q, "notify", "outcomes")
	c1, c2 := collect(t, sub1, ch1), collect(t, sub2, ch2)
	const n = 10
	for i := range n {
		publish(t, q, "outcomes", message.NewMessage(watermill.NewUUID(), fmt.Appendf(nil, "%d", i)))
	}
	require.Eventually(t, func() bool {
		a, _ := c1.snapshot()
		b, _ := c2.snapshot()
		return len(a) == n && len(b) == n
	}, waitTimeout, 10*time.Millisecond)
}

func testPingClose(t *testing.T, h harness) {
	q := h.newEnv(t)(t, []string{"inbound"})
	ctx := testCtx(t)
	assert.Equal(t, h.name, q.Backend())
	require.NoError(t, q.Ping(ctx))
	_, ch := subscribe(t, q, "mapping", "inbound")

	require.NoError(t, q.Close(ctx))
	require.NoError(t, q.Close(ctx), "second close")

	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	select {
	case _, open := <-ch:
		assert.False(t, open, "subscriptions end on close")
	case <-timer.C:
		t.Fatalf("subscription still open %s after close", waitTimeout)
	}
	assert.ErrorIs(t, q.Ping(ctx), ErrClosed)
	_, err := q.Subscriber("late")
	assert.ErrorIs(t, err, ErrClosed)
}

func messageWith(payload string) *message.Message {
	return message.NewMessage(watermill.NewUUID(), []byte(payload))
}
