// Package sendertest is the conformance suite every BSP sender passes: it
// drives a Sender (a connectors.Sender that also marks messages read)
// against a fake BSP and checks what arrives, how failures are classified,
// the circuit breaker and cancellation.
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
	"slices"
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
	// PerSecond, PairInterval and PairBurst set the throughput limits;
	// zero keeps the connector's defaults.
	PerSecond    float64
	PairInterval time.Duration
	PairBurst    int
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
	CallbackData      string // our message key, as the provider echoes it back
	// Message is the content as the fake read it: Kind, UserID, ReplyTo,
	// Template, Text, Interactive and Media are filled in.
	Message messaging.Command
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
	// ReadMarks returns the provider message ids marked as read, in order.
	ReadMarks() []string
}

// Sender is what the suite drives: a WhatsApp sender also marks a
// customer's messages read.
type Sender interface {
	connectors.Sender
	connectors.ReadMarker
}

// Harness builds senders for the suite.
type Harness struct {
	// NewSender returns a sender pointed at a new, empty fake, which it
	// also returns. Both are cleaned up with t.Cleanup.
	NewSender func(t *testing.T, opts Options) (Sender, Fake)
	// WireTo is how the provider writes a recipient given in E.164 form,
	// such as "6281234567890" for Meta. Default: unchanged.
	WireTo func(e164 string) string
	// Unsupported names the cases of every kind of message (the subtests
	// under "kind", such as "list") that the BSP cannot carry: the sender
	// must refuse each at once, permanently, as a request error, without
	// reaching the BSP.
	Unsupported []string
	// Code is the fault code a sender gives the refusal that the fake
	// answers for Meta's code (Fault.Code), for a BSP that reports it by a
	// code of its own. Default: Meta's code.
	Code func(metaCode int) string
	// NoCallbackData is set for a BSP that echoes no reference of ours
	// back (its statuses find their message by the provider message id
	// the sender recorded): the fake's Received.CallbackData is then
	// expected empty.
	NoCallbackData bool
}

// callbackData is the CallbackData a fake reports for a message sent with
// key.
func (h Harness) callbackData(key string) string {
	if h.NoCallbackData {
		return ""
	}
	return key
}

func (h Harness) code(metaCode int) string {
	if h.Code == nil {
		return fmt.Sprint(metaCode)
	}
	return h.Code(metaCode)
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
		Template: &messaging.Template{Name: "points_earned", Language: "id", Body: messaging.Positional(params...)},
	}
}

func textCommand(key, text string) messaging.Command {
	return messaging.Command{
		Key: key, Tenant: "acme", Sender: "wa", To: recipient,
		Kind: messaging.KindText, Category: messaging.CategoryService, Text: text,
	}
}

func defaultOptions() Options {
	return Options{BreakerMaxFailures: 5, BreakerOpenFor: 30 * time.Second, PerSecond: 1000, PairBurst: 1000}
}

// content keeps the parts of a command a fake decodes.
func content(c messaging.Command) messaging.Command {
	return messaging.Command{
		Kind: c.Kind, UserID: c.UserID, ReplyTo: c.ReplyTo, Template: c.Template,
		Text: c.Text, Interactive: c.Interactive, Media: c.Media,
	}
}

// kinds holds one command of every kind, with every optional part used.
func kinds() map[string]messaging.Command {
	cmd := func(key, kind string) messaging.Command {
		return messaging.Command{Key: key, Tenant: "acme", Sender: "wa", To: recipient, Kind: kind, Category: messaging.CategoryService}
	}
	out := map[string]messaging.Command{}

	c := templateCommand("msg_k_named")
	c.Template = &messaging.Template{Name: "tier_changed", Language: "en_US",
		Header: &messaging.Header{Type: messaging.HeaderText, Name: "tier", Text: "Gold"},
		Body:   []messaging.Param{{Name: "first_name", Text: "Sari"}, {Name: "points", Text: "1,250"}},
	}
	out["named template with text header"] = c

	c = templateCommand("msg_k_buttons")
	c.Template = &messaging.Template{Name: "reward_ready", Language: "id",
		Header:  &messaging.Header{Type: messaging.HeaderImage, Link: "https://cdn.example.com/reward.png"},
		Body:    messaging.Positional("Sari", "KOPI-7QX2"),
		Buttons: []messaging.Button{{Index: 0, SubType: messaging.ButtonQuickReply, Value: "REDEEM:r1"}, {Index: 1, SubType: messaging.ButtonURL, Value: "r/7QX2"}, {Index: 2, SubType: messaging.ButtonCopyCode, Value: "KOPI-7QX2"}},
	}
	out["template with media header and buttons"] = c

	c = templateCommand("msg_k_doc")
	c.Template = &messaging.Template{Name: "statement", Language: "id",
		Header: &messaging.Header{Type: messaging.HeaderDocument, Link: "https://cdn.example.com/s.pdf", Filename: "statement.pdf"}}
	out["template with document header"] = c

	c = cmd("msg_k_reply", messaging.KindButtons)
	c.ReplyTo = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
	c.Interactive = &messaging.Interactive{
		Header: &messaging.Header{Type: messaging.HeaderText, Text: "Welcome"},
		Body:   "Join the Kopi Club and get 50 points?", Footer: "Reply STOP any time",
		Buttons: []messaging.ReplyButton{{ID: "join_yes", Title: "Yes, join"}, {ID: "join_no", Title: "Not now"}},
	}
	out["reply buttons quoting a message"] = c

	c = cmd("msg_k_list", messaging.KindList)
	c.Interactive = &messaging.Interactive{
		Body: "Rewards you can take now", ListButton: "See rewards",
		Sections: []messaging.Section{
			{Title: "Drinks", Rows: []messaging.Row{{ID: "r_latte", Title: "Free latte", Description: "300 points"}, {ID: "r_tea", Title: "Iced tea"}}},
			{Title: "Food", Rows: []messaging.Row{{ID: "r_cake", Title: "Cake slice", Description: "450 points"}}},
		},
	}
	out["list"] = c

	c = cmd("msg_k_cta", messaging.KindCTAURL)
	c.Interactive = &messaging.Interactive{
		Header: &messaging.Header{Type: messaging.HeaderImage, Link: "https://cdn.example.com/card.png"},
		Body:   "Your member card", URL: "https://example.com/card/7QX2", URLText: "Open card",
	}
	out["cta url"] = c

	c = cmd("msg_k_img", messaging.KindImage)
	c.Media = &messaging.Media{Link: "https://cdn.example.com/promo.jpg", Caption: "Double points this weekend"}
	out["image by link"] = c

	c = cmd("msg_k_pdf", messaging.KindDocument)
	c.Media = &messaging.Media{Link: "https://cdn.example.com/terms.pdf", Caption: "Program terms", Filename: "terms.pdf"}
	out["document by link"] = c

	c = textCommand("msg_k_bsuid", "Halo")
	c.To, c.UserID = "", "ID.13491208655302741918"
	out["text to a business-scoped user id"] = c
	return out
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
			CallbackData:      h.callbackData("msg_tpl_1"),
			Message:           content(cmd),
		}, got[0])
	})

	t.Run("template without params", func(t *testing.T) {
		s, fake := h.NewSender(t, defaultOptions())
		res, err := s.Send(context.Background(), templateCommand("msg_tpl_2"))
		require.NoError(t, err)
		got := fake.Received()
		require.Len(t, got, 1)
		assert.Equal(t, res.ProviderMessageID, got[0].ProviderMessageID)
		assert.Equal(t, content(templateCommand("msg_tpl_2")), got[0].Message)
		assert.Equal(t, h.callbackData("msg_tpl_2"), got[0].CallbackData)
	})

	t.Run("text message", func(t *testing.T) {
		s, fake := h.NewSender(t, defaultOptions())
		cmd := textCommand("msg_txt_1", "Halo Sari, poin kamu 120 ✨")
		res, err := s.Send(context.Background(), cmd)
		require.NoError(t, err)
		got := fake.Received()
		require.Len(t, got, 1)
		assert.Equal(t, Received{
			ProviderMessageID: res.ProviderMessageID,
			To:                h.wireTo(recipient),
			CallbackData:      h.callbackData("msg_txt_1"),
			Message:           content(cmd),
		}, got[0])
	})

	all := kinds()
	for _, name := range h.Unsupported {
		require.Contains(t, all, name, "Harness.Unsupported names no case")
	}
	for name, cmd := range all {
		t.Run(name, func(t *testing.T) {
			s, fake := h.NewSender(t, defaultOptions())
			if slices.Contains(h.Unsupported, name) {
				_, err := s.Send(context.Background(), cmd)
				require.Error(t, err, "the BSP cannot carry it")
				assert.True(t, fault.IsPermanent(err), "error: %v", err)
				assert.Equal(t, fault.ClassRequest, fault.ClassOf(err))
				assert.Zero(t, fake.Attempts())
				return
			}
			res, err := s.Send(context.Background(), cmd)
			require.NoError(t, err)
			got := fake.Received()
			require.Len(t, got, 1)
			assert.Equal(t, res.ProviderMessageID, got[0].ProviderMessageID)
			assert.Equal(t, h.callbackData(cmd.Key), got[0].CallbackData)
			if cmd.To != "" {
				assert.Equal(t, h.wireTo(cmd.To), got[0].To)
			}
			assert.Equal(t, content(cmd), got[0].Message)
		})
	}

	t.Run("mark as read", func(t *testing.T) {
		s, fake := h.NewSender(t, defaultOptions())
		require.NoError(t, s.MarkRead(context.Background(), "wamid.inbound1"))
		assert.Equal(t, []string{"wamid.inbound1"}, fake.ReadMarks())
		assert.Empty(t, fake.Received(), "a read mark is not a message")
		err := s.MarkRead(context.Background(), "")
		require.Error(t, err)
		assert.True(t, fault.IsPermanent(err))
	})

	t.Run("number throughput limit paces sends", func(t *testing.T) {
		opts := defaultOptions()
		opts.PerSecond = 20
		s, fake := h.NewSender(t, opts)
		start := time.Now()
		const n = 11
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := templateCommand(fmt.Sprintf("msg_rate_%d", i))
				cmd.To = fmt.Sprintf("+62812345678%02d", i)
				_, err := s.Send(context.Background(), cmd)
				assert.NoError(t, err)
			}()
		}
		wg.Wait()
		// One token at start, then one per 50 ms: the eleventh leaves
		// after 500 ms, never sooner.
		assert.GreaterOrEqual(t, time.Since(start), 450*time.Millisecond)
		assert.Len(t, fake.Received(), n, "throttled messages wait, none fails")
	})

	t.Run("pair limit holds back a busy recipient only", func(t *testing.T) {
		opts := defaultOptions()
		opts.PairBurst, opts.PairInterval = 2, time.Minute
		s, fake := h.NewSender(t, opts)
		for i := range 2 {
			_, err := s.Send(context.Background(), textCommand(fmt.Sprintf("msg_pair_%d", i), "hi"))
			require.NoError(t, err)
		}
		before := fake.Attempts()
		_, err := s.Send(context.Background(), textCommand("msg_pair_2", "hi"))
		require.Error(t, err)
		assert.False(t, fault.IsPermanent(err), "our own limit means wait: %v", err)
		assert.Equal(t, fault.ClassThrottle, fault.ClassOf(err))
		assert.Greater(t, fault.RetryAfter(err), 50*time.Second)
		assert.Equal(t, before, fake.Attempts(), "held back before reaching the BSP")

		other := textCommand("msg_pair_other", "hi")
		other.To = "+6281200000001"
		_, err = s.Send(context.Background(), other)
		require.NoError(t, err, "another recipient is not held back")
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
		{"marketing opt-out 131050", 131050, true, fault.ClassPolicy},
		{"ecosystem hold 131049", 131049, true, fault.ClassPolicy},
		{"pair rate limit 131056", 131056, false, fault.ClassThrottle},
		{"expired token 190", 190, true, fault.ClassAuth},
	}
	for _, tt := range classified {
		t.Run(tt.name, func(t *testing.T) {
			s, fake := h.NewSender(t, defaultOptions())
			fake.InjectFault(Fault{Count: 1, Code: tt.code})
			_, err := s.Send(context.Background(), textCommand("msg_"+fmt.Sprint(tt.code), "hi"))
			require.Error(t, err)
			assert.Equal(t, tt.permanent, fault.IsPermanent(err), "error: %v", err)
			assert.Equal(t, tt.class, fault.ClassOf(err))
			assert.Equal(t, h.code(tt.code), fault.CodeOf(err))
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
		opts := defaultOptions()
		opts.BreakerMaxFailures, opts.BreakerOpenFor = 2, time.Minute
		s, fake := h.NewSender(t, opts)
		fake.InjectFault(Fault{Count: 5, Code: 131026})
		for range 5 {
			_, err := s.Send(context.Background(), textCommand("msg_perm", "hi"))
			require.True(t, fault.IsPermanent(err), "error: %v", err)
		}
		_, err := s.Send(context.Background(), textCommand("msg_after", "hi"))
		require.NoError(t, err)
	})

	t.Run("the number's throughput reached does not open the breaker", func(t *testing.T) {
		opts := defaultOptions()
		opts.BreakerMaxFailures, opts.BreakerOpenFor = 2, time.Minute
		s, fake := h.NewSender(t, opts)
		fake.InjectFault(Fault{Count: 6, Code: 130429})
		var err error
		for i := 0; i < 7; i++ {
			_, err = s.Send(context.Background(), textCommand(fmt.Sprintf("msg_busy_%d", i), "hi"))
			if err == nil {
				break
			}
			require.False(t, fault.IsPermanent(err), "error: %v", err)
			require.NotEqual(t, connectors.BreakerOpenCode, fault.CodeOf(err), "130429 says slow down, not that the number is failing")
		}
		require.NoError(t, err)
	})

	t.Run("sustained server errors open the breaker", func(t *testing.T) {
		opts := defaultOptions()
		opts.BreakerMaxFailures, opts.BreakerOpenFor = 3, 300*time.Millisecond
		s, fake := h.NewSender(t, opts)
		// A sender that reports its breaker reports what it does.
		breaker := func(want string, opened bool) {
			t.Helper()
			if b, ok := s.(connectors.BreakerReporter); ok {
				state, at := b.Breaker()
				assert.Equal(t, want, state)
				assert.Equal(t, opened, !at.IsZero(), "when it last opened")
			}
		}
		breaker("closed", false)
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
		breaker("open", true)

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
		breaker("closed", true)
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
