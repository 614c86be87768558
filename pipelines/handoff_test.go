package pipelines_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/conversation"
)

// flakyInbox stands in front of an inbox: it answers the scripted statuses
// (with their Retry-After) first, then lets the inbox take the events, and
// records when each attempt came.
type flakyInbox struct {
	*inbox
	front *httptest.Server
	mu    sync.Mutex
	fails []inboxAnswer
	at    []time.Time
}

type inboxAnswer struct {
	status     int
	retryAfter string
}

func newFlakyInbox(t *testing.T) *flakyInbox {
	f := &flakyInbox{inbox: newInbox(t)}
	f.front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.at = append(f.at, time.Now())
		var a *inboxAnswer
		if len(f.fails) > 0 {
			a, f.fails = &f.fails[0], f.fails[1:]
		}
		f.mu.Unlock()
		if a == nil {
			f.srv.Config.Handler.ServeHTTP(w, r)
			return
		}
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		w.WriteHeader(a.status)
	}))
	t.Cleanup(f.front.Close)
	return f
}

// failNext has the next attempts answered with answers.
func (f *flakyInbox) failNext(answers ...inboxAnswer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fails, f.at = answers, nil
}

func (f *flakyInbox) attempts() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.at...)
}

// The handoff webhook goes through the shared HTTP client: a 503 is asked
// again at once by the HTTP layer, a longer Retry-After is waited by the
// pipeline's retry of the customer's message, and a 4xx is not retried at
// all: the message is dead-lettered with the reason, to replay once the
// inbox is fixed.
func TestHandoffWebhookRetries(t *testing.T) {
	in := newFlakyInbox(t)
	h := newHarness(t, harnessOpts{
		yaml: botConfig(in.front.URL),
		env: []string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true",
			"LOYALHUB_TENANTS__ACME__CONNECTORS__WHATSAPP__THROUGHPUT__PAIR_BURST=45"},
		sandbox: func(c *sandbox.Config) { c.EnforceWindow = true },
	})
	c := newChat(t, h, "en", chatPhones["en"])

	// A 503: the HTTP layer asks again.
	in.failNext(inboxAnswer{status: http.StatusServiceUnavailable})
	c.sayWord(conversation.WordsAgent)
	c.expect(conversation.MsgHandoffStarted)
	require.Len(t, in.all(), 1)
	assert.Len(t, in.attempts(), 2, "the 503 and the retry")

	// A 503 asking for two seconds, longer than the HTTP layer waits: the
	// customer's message is processed again after them.
	// It is sent in the second the handoff started (WhatsApp stamps
	// messages in whole seconds): processed again, it is still forwarded.
	in.failNext(inboxAnswer{status: http.StatusServiceUnavailable, retryAfter: "2"})
	c.say("my order never came")
	eventually(t, "the forwarded message", func() bool { return len(in.all()) == 2 })
	at := in.attempts()
	require.Len(t, at, 2)
	assert.GreaterOrEqual(t, at[1].Sub(at[0]), 1900*time.Millisecond, "the Retry-After was waited")
	assert.Equal(t, "my order never came", in.all()[1].Message.Text)

	// A 404: the URL is wrong; asking again cannot help.
	in.failNext(inboxAnswer{status: http.StatusNotFound})
	c.say("hello?")
	eventually(t, "the dead letter", func() bool { return len(h.deadLetters().DeadLetters) == 1 })
	assert.Contains(t, h.deadLetters().DeadLetters[0].Reason, "HTTP 404")
	time.Sleep(300 * time.Millisecond)
	assert.Len(t, in.attempts(), 1, "not retried")
	assert.Len(t, in.all(), 2)
	c.quiet()
}
