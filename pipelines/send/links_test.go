package send

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// bsp is a BSP that takes messages, or refuses the next ones for now. On
// each send it reads every short link the message carries from the
// store, as a customer opening it at once would.
type bsp struct {
	t       *testing.T
	st      store.Links
	refuse  int
	sent    []messaging.Command
	unknown []string // codes the store did not know when the message went out
}

func (b *bsp) Send(ctx context.Context, cmd messaging.Command) (messaging.Result, error) {
	for _, p := range cmd.Template.Body {
		for _, sp := range messaging.FindURLs(p.Text) {
			u := p.Text[sp[0]:sp[1]]
			code, ok := strings.CutPrefix(u, "https://go.acme.example/r/")
			if !ok {
				continue
			}
			if _, err := b.st.Link(ctx, code); err != nil {
				b.unknown = append(b.unknown, code)
			}
		}
	}
	if b.refuse > 0 {
		b.refuse--
		return messaging.Result{}, fault.Retryable(fault.ClassTransient, errors.New("503 from the BSP"), 0)
	}
	b.sent = append(b.sent, cmd)
	return messaging.Result{ProviderMessageID: "wamid." + cmd.Key}, nil
}

func counters(labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c"}, labels)
}

// linksSender is a sender of tenant acme, with short links at base
// (none when empty), through a bsp, on a SQLite store.
func linksSender(t *testing.T, base string) (*Sender, *bsp, *sqlite.Store) {
	t.Helper()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	st := sqlite.New(filepath.Join(t.TempDir(), "loyalhub.db")).WithClock(func() time.Time { return now })
	require.NoError(t, st.Migrate(context.Background()))
	t.Cleanup(func() { _ = st.Close() })
	b := &bsp{t: t, st: st}
	tenant := &runtime.Tenant{ID: "acme", Config: config.Tenant{Links: config.Links{BaseURL: base}},
		Policy: messaging.NewPolicy(config.Messaging{MarketingConsent: config.ConsentOptIn, MarketingDailyCap: 2}, time.UTC),
		Connectors: map[string]*runtime.Connector{"wa": {Name: "wa", Sender: b, Pause: runtime.NewPause(time.Minute, nil),
			Templates: &runtime.Templates{}}}}
	s := New(Deps{Store: st, Tenants: runtime.NewTenants(runtime.Snapshot{"acme": tenant}), Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: Metrics{Sends: counters("tenant", "sender"), Errors: counters("tenant", "sender", "class"),
			ConfigErrors: counters("tenant", "sender", "code"), Skipped: counters("tenant", "reason"),
			Deferred: counters("tenant"), HeldBack: counters("tenant", "sender", "reason"), Fallback: counters("tenant", "reason"),
			ParamsFitted: counters("tenant", "rule"), LinksShortened: counters("tenant")},
	}, Config{Retry: config.Retry{MaxRetries: 1, InitialInterval: time.Second, MaxInterval: time.Minute, Multiplier: 2}})
	return s, b, st
}

const cartURL = "https://shop.example/cart/c1?key=abc&utm_source=wa"

func cartReminder(t *testing.T) []byte {
	t.Helper()
	cmd := messaging.Command{Key: "msg_cart_1", Tenant: "acme", Sender: "wa", To: "+6281200000001",
		Kind: messaging.KindTemplate, Category: messaging.CategoryUtility, Origin: "journey:cart/0",
		Template: &messaging.Template{Name: "cart", Language: "en",
			Body:    messaging.Positional("Sari", "Your cart: "+cartURL+". See you!"),
			Buttons: []messaging.Button{{Index: 0, SubType: messaging.ButtonURL, Value: "c1?key=abc"}}}}
	b, err := json.Marshal(cmd)
	require.NoError(t, err)
	return b
}

func TestShortLinksAreOffByDefault(t *testing.T) {
	s, b, st := linksSender(t, "")
	require.NoError(t, s.Send(context.Background(), cartReminder(t)))
	require.Len(t, b.sent, 1)
	assert.Equal(t, "Your cart: "+cartURL+". See you!", b.sent[0].Template.Body[1].Text)
	_, err := st.Link(context.Background(), messaging.LinkCode("acme", "msg_cart_1", cartURL))
	assert.ErrorIs(t, err, store.ErrNotFound, "no link is stored")
}

func TestShortLinksReplaceURLsBeforeTheSend(t *testing.T) {
	ctx := context.Background()
	s, b, st := linksSender(t, "https://go.acme.example/")
	b.refuse = 1 // the first attempt is refused for now: the message is sent again

	err := s.Send(ctx, cartReminder(t))
	require.Error(t, err)
	require.False(t, fault.IsPermanent(err))
	require.NoError(t, s.Send(ctx, cartReminder(t)), "the second attempt")

	code := messaging.LinkCode("acme", "msg_cart_1", cartURL)
	require.Len(t, b.sent, 1)
	got := b.sent[0].Template
	assert.Equal(t, "Sari", got.Body[0].Text)
	assert.Equal(t, "Your cart: https://go.acme.example/r/"+code+". See you!", got.Body[1].Text)
	assert.Equal(t, "c1?key=abc", got.Buttons[0].Value, "a URL button's suffix is left alone")
	assert.Empty(t, b.unknown, "the link was stored before each attempt went out")

	l, err := st.Link(ctx, code)
	require.NoError(t, err)
	assert.Equal(t, store.Link{Code: code, Tenant: "acme", MessageKey: "msg_cart_1", URL: cartURL, CreatedAt: l.CreatedAt}, l)
	m, err := st.Message(ctx, "acme", "msg_cart_1")
	require.NoError(t, err)
	assert.Equal(t, store.MessageSent, m.Status)
	assert.Equal(t, 2, m.Attempts, "two attempts, one link")

	var kept messaging.Command
	require.NoError(t, json.Unmarshal(m.Command, &kept))
	assert.Contains(t, kept.Template.Body[1].Text, cartURL, "the message log keeps the command as written")
}
