// Package sendertest is the conformance suite every BSP sender passes: it
// drives a connectors.Sender against a fake BSP and checks what arrives,
// how failures are classified, the circuit breaker and cancellation.
//
// A sender package runs it from its tests with a Harness that builds the
// sender pointed at a fake BSP speaking the provider's protocol:
//
//	func TestConformance(t *testing.T) {
//		sendertest.Run(t, sendertest.Harness{NewSender: newSandboxSender})
//	}
package sendertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// Options tune the sender a Harness builds.
type Options struct {
	// BadCredentials builds the sender with credentials the fake rejects.
	BadCredentials bool
	// BreakerMaxFailures is how many consecutive retryable failures open
	// the breaker.
	BreakerMaxFailures int
	// BreakerOpenFor is how long the breaker stays open.
	BreakerOpenFor time.Duration
}

// Fault makes the fake's next Count matching sends fail; see Fake.
type Fault struct {
	Count      int
	HTTPStatus int    // answer with this HTTP status and no vendor error body
	Code       int    // answer with the vendor error of this code (Meta's codes)
	To         string // only sends to this recipient (E.164); empty: any
	Hang       bool   // hold the request unanswered until the client gives up
}

// Received is a message the fake accepted, decoded by the harness from the
// provider's wire format.
type Received struct {
	ProviderMessageID string
	To                string // recipient exactly as the sender wrote it
	Kind              string // messaging.KindTemplate or messaging.KindText
	TemplateName      string
	Language          string
	BodyParams        []string
	Text              string
	CallbackData      string // our message key, as the provider echoes it back
}

// Fake is the fake BSP behind a sender under test.
type Fake interface {
	// InjectFault makes the next f.Count matching sends fail before they
	// are accepted.
	InjectFault(f Fault)
	// ClearFaults drops pending faults.
	ClearFaults()
	// Received returns the accepted messages in order.
	Received() []Received
	// Attempts counts send requests that reached the fake, accepted or not.
	Attempts() int
}

// Harness builds senders for the suite.
type Harness struct {
	// NewSender returns a sender pointed at a new, empty fake, which it
	// also returns. Both are cleaned up with t.Cleanup.
	NewSender func(t *testing.T, opts Options) (connectors.Sender, Fake)
	// WireTo is how the provider writes a recipient given in E.164 form,
	// such as "6281234567890" for Meta. Default: unchanged.
	WireTo func(e164 string) string
}

func (h Harness) wireTo(e164 string) string {
	if h.WireTo == nil {
		return e164
	}
	return h.WireTo(e164)
}

const recipient = "+6281234567890"

func templateCommand(key string, params ...string) messaging.Command {
	return messaging.Command{
		Key:      key,
		Tenant:   "acme",
		Sender:   "wa",
		To:       recipient,
		Kind:     messaging.KindTemplate,
		Category: messaging.CategoryUtility,
		Template: &messaging.Template{Name: "points_earned", Language: "id", BodyParams: params},
	}
}

func textCommand(key, text string) messaging.Command {
	return messaging.Command{
		Key: key, Tenant: "acme", Sender: "wa", To: recipient,
		Kind: messaging.KindText, Category: messaging.CategoryService, Text: text,
	}
}

func defaultOptions() Options {
	return Options{BreakerMaxFailures: 5, BreakerOpenFor: 30 * time.Second}
}

// Run runs the sender conformance suite.
func Run(t *testing.T, h Harness) {
	t.Helper()
	require.NotNil(t, h.NewSender, "Harness.NewSender is required")

	t.Run("template with params", func(t *testing.T) {
		s, fake := h.NewSender(t, defaultOptions())
		cmd := templateCommand("msg_tpl_1", "Sari", "120 points")
		res, err := s.Send(context.Background(), cmd)
		require.NoError(t, err)
		require.NotEmpty(t, res.ProviderMessageID)
		got := fake.Received()
		require.Len(t, got, 1)
		assert.Equal(t, Received{
			ProviderMessageID: res.ProviderMessageID,
			To:                h.wireTo(recipient),
			Kind:              messaging.KindTemplate,
			TemplateName:      "points_earned",
			Language:          "id",
			BodyParams:        []string{"Sari", "120 points"},
			CallbackData:      "msg_tpl_1",
		}, got[0])
	})

	t.Run("template without params", func(t *testing.T) {
		s, fake := h.NewSender(t, defaultOptions())
		res, err := s.Send(context.Background(), templateCommand("msg_tpl_2"))
		require.NoError(t, err)
		got := fake.Received()
		require.Len(t, got, 1)
		assert.Equal(t, res.ProviderMessageID, got[0].ProviderMessageID)
		assert.Equal(t, "points_earned", got[0].TemplateName)
		assert.Empty(t, got[0].BodyParams)
		assert.Equal(t, "msg_tpl_2", got[0].CallbackData)
	})

	t.Run("text message", func(t *testing.T) {
		s, fake := h.NewSender(t, defaultOptions())
		res, err := s.Send(context.Background(), textCommand("msg_txt_1", "Halo Sari, poin kamu 120 ✨"))
		require.NoError(t, err)
		got := fake.Received()
		require.Len(t, got, 1)
		assert.Equal(t, Received{
			ProviderMessageID: res.ProviderMessageID,
			To:                h.wireTo(recipient),
			Kind:              messaging.KindText,
			Text:              "Halo Sari, poin kamu 120 ✨",
			CallbackData:      "msg_txt_1",
		}, got[0])
	})

	t.Run("invalid command is permanent and not sent", func(t *testing.T) {
		s, fake := h.NewSender(t, defaultOptions())
		cmd := templateCommand("msg_bad")
		cmd.Template = nil
		_, err := s.Send(context.Background(), cmd)
		require.Error(t, err)
		assert.True(t, fault.IsPermanent(err), "error: %v", err)
		assert.Equal(t, fault.ClassRequest, fault.ClassOf(err))
		assert.Zero(t, fake.Attempts())
	})

	t.Run("server error then success", func(t *testing.T) {
		s, fake := h.NewSender(t, defaultOptions())
		fake.InjectFault(Fault{Count: 1, HTTPStatus: 500})
		cmd := templateCommand("msg_5xx", "Sari")
		_, err := s.Send(context.Background(), cmd)
		if err != nil {
			assert.False(t, fault.IsPermanent(err), "a 5xx must be retryable: %v", err)
			assert.Equal(t, fault.ClassTransient, fault.ClassOf(err))
			_, err = s.Send(context.Background(), cmd)
		}
		require.NoError(t, err)
		require.Len(t, fake.Received(), 1, "exactly one accepted message")
	})

	classified := []struct {
		name      string
		code      int
		permanent bool
		class     fault.Class
	}{
		{"undeliverable recipient 131026", 131026, true, fault.ClassRecipient},
		{"throughput limit 130429", 130429, false, fault.ClassThrottle},
		{"outside the window 131047", 131047, true, fault.ClassWindow},
		{"template missing 132001", 132001, true, fault.ClassTemplate},
	}
	for _, tt := range classified {
		t.Run(tt.name, func(t *testing.T) {
			s, fake := h.NewSender(t, defaultOptions())
			fake.InjectFault(Fault{Count: 1, Code: tt.code})
			_, err := s.Send(context.Background(), textCommand("msg_"+fmt.Sprint(tt.code), "hi"))
			require.Error(t, err)
			assert.Equal(t, tt.permanent, fault.IsPermanent(err), "error: %v", err)
			assert.Equal(t, tt.class, fault.ClassOf(err))
			assert.Equal(t, fmt.Sprint(tt.code), fault.CodeOf(err))
			assert.Empty(t, fake.Received())
		})
	}

	t.Run("bad credentials", func(t *testing.T) {
		opts := defaultOptions()
		opts.BadCredentials = true
		s, fake := h.NewSender(t, opts)
		_, err := s.Send(context.Background(), templateCommand("msg_auth"))
		require.Error(t, err)
		assert.True(t, fault.IsPermanent(err), "error: %v", err)
		assert.Equal(t, fault.ClassAuth, fault.ClassOf(err))
		assert.Empty(t, fake.Received())
	})

	t.Run("permanent errors do not open the breaker", func(t *testing.T) {
		opts := Options{BreakerMaxFailures: 2, BreakerOpenFor: time.Minute}
		s, fake := h.NewSender(t, opts)
		fake.InjectFault(Fault{Count: 5, Code: 131026})
		for range 5 {
			_, err := s.Send(context.Background(), textCommand("msg_perm", "hi"))
			require.True(t, fault.IsPermanent(err), "error: %v", err)
		}
		_, err := s.Send(context.Background(), textCommand("msg_after", "hi"))
		require.NoError(t, err)
	})

	t.Run("sustained server errors open the breaker", func(t *testing.T) {
		opts := Options{BreakerMaxFailures: 3, BreakerOpenFor: 300 * time.Millisecond}
		s, fake := h.NewSender(t, opts)
		fake.InjectFault(Fault{Count: 1000, HTTPStatus: 500})
		for i := range opts.BreakerMaxFailures {
			_, err := s.Send(context.Background(), textCommand(fmt.Sprintf("msg_down_%d", i), "hi"))
			require.Error(t, err)
			require.False(t, fault.IsPermanent(err), "error: %v", err)
		}
		before := fake.Attempts()
		_, err := s.Send(context.Background(), textCommand("msg_fast", "hi"))
		require.Error(t, err)
		assert.False(t, fault.IsPermanent(err), "an open breaker means retry later: %v", err)
		assert.Equal(t, fault.ClassThrottle, fault.ClassOf(err))
		assert.Equal(t, connectors.BreakerOpenCode, fault.CodeOf(err))
		assert.Positive(t, fault.RetryAfter(err))
		assert.LessOrEqual(t, fault.RetryAfter(err), opts.BreakerOpenFor)
		assert.Equal(t, before, fake.Attempts(), "an open breaker does not reach the BSP")

		fake.ClearFaults()
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err = s.Send(context.Background(), textCommand("msg_back", "hi"))
			if err == nil || fault.CodeOf(err) != connectors.BreakerOpenCode || time.Now().After(deadline) {
				break
			}
			time.Sleep(min(fault.RetryAfter(err), 50*time.Millisecond) + time.Millisecond)
		}
		require.NoError(t, err, "sending resumes once the breaker lets a trial through")
		require.Len(t, fake.Received(), 1)
	})

	t.Run("cancelled context", func(t *testing.T) {
		s, fake := h.NewSender(t, defaultOptions())
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.Send(ctx, templateCommand("msg_cancelled"))
		require.ErrorIs(t, err, context.Canceled)
		assert.False(t, fault.IsPermanent(err))
		assert.Empty(t, fake.Received())
	})

	t.Run("cancellation in flight", func(t *testing.T) {
		s, fake := h.NewSender(t, defaultOptions())
		fake.InjectFault(Fault{Count: 1, Hang: true})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			deadline := time.Now().Add(10 * time.Second)
			for fake.Attempts() == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		_, err := s.Send(ctx, templateCommand("msg_inflight"))
		require.Error(t, err)
		assert.True(t, errors.Is(err, context.Canceled), "error: %v", err)
		assert.False(t, fault.IsPermanent(err))
		assert.Empty(t, fake.Received())
	})

	t.Run("concurrent sends", func(t *testing.T) {
		s, fake := h.NewSender(t, defaultOptions())
		const n = 32
		var wg sync.WaitGroup
		ids := make([]string, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := s.Send(context.Background(), templateCommand(fmt.Sprintf("msg_conc_%d", i), fmt.Sprint(i)))
				ids[i], errs[i] = res.ProviderMessageID, err
			}()
		}
		wg.Wait()
		seen := map[string]bool{}
		for i := range n {
			require.NoError(t, errs[i])
			seen[ids[i]] = true
		}
		assert.Len(t, seen, n, "every message has its own provider id")
		assert.Len(t, fake.Received(), n)
	})
}
