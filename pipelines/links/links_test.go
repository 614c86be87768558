package links_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/pipelines/links"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

const (
	iPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
	windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
)

func value(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, c.Write(&m))
	return m.GetCounter().GetValue()
}

func TestAgent(t *testing.T) {
	tests := []struct{ method, ua, want string }{
		{http.MethodGet, "WhatsApp/2.24.23.78 A", links.AgentPreview},
		{http.MethodGet, "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", links.AgentPreview},
		{http.MethodGet, "Facebot", links.AgentPreview},
		{http.MethodHead, iPhone, links.AgentPreview},
		{http.MethodGet, iPhone, links.AgentMobile},
		{http.MethodGet, "Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/131.0 Mobile Safari/537.36", links.AgentMobile},
		{http.MethodGet, windows, links.AgentDesktop},
		{http.MethodGet, "curl/8.5.0", links.AgentOther},
		{http.MethodGet, "", links.AgentOther},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.ua, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/r/x", nil)
			r.Header.Set("User-Agent", tt.ua)
			assert.Equal(t, tt.want, links.Agent(r))
		})
	}
}

func TestRedirect(t *testing.T) {
	ctx := context.Background()
	st := sqlite.New(filepath.Join(t.TempDir(), "loyalhub.db"))
	require.NoError(t, st.Migrate(ctx))
	t.Cleanup(func() { _ = st.Close() })
	const key, url = "msg_cart", "https://shop.example/cart?c=1&utm_source=wa"
	_, ok, err := st.ClaimMessage(ctx, store.Message{Key: key, Tenant: "acme", Recipient: "+6281200000001", Kind: "text",
		Origin: "rule:cart", CreatedAt: t0})
	require.NoError(t, err)
	require.True(t, ok)
	code := messaging.LinkCode("acme", key, url)
	require.NoError(t, st.SaveLinks(ctx, []store.Link{{Code: code, Tenant: "acme", MessageKey: key, URL: url, CreatedAt: t0}}))

	m := links.Metrics{
		Clicks:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "clicks"}, []string{"tenant", "agent"}),
		Previews: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "previews"}, []string{"tenant"}),
	}
	mux := http.NewServeMux()
	(&links.Redirect{Store: st, Now: func() time.Time { return t0.Add(time.Minute) },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: m}).Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(method, path, ua string) (*http.Response, string) {
		req, err := http.NewRequest(method, srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("User-Agent", ua)
		res, err := client.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res, string(body)
	}
	clicked := func() int64 {
		f, err := st.Funnel(ctx, store.FunnelQuery{Tenant: "acme", From: t0.Add(-time.Hour), To: t0.Add(time.Hour), Window: time.Hour})
		require.NoError(t, err)
		require.Len(t, f, 1)
		return f[0].Clicked
	}

	for name, path := range map[string]string{
		"unknown code": "/r/" + messaging.LinkCode("acme", key, "https://elsewhere.example/"),
		"not a code":   "/r/abc",
		"too long":     "/r/" + code + "0",
	} {
		t.Run(name, func(t *testing.T) {
			res, body := get(http.MethodGet, path, iPhone)
			assert.Equal(t, http.StatusNotFound, res.StatusCode)
			assert.Equal(t, "text/plain; charset=utf-8", res.Header.Get("Content-Type"))
			assert.Equal(t, "This link does not exist.\n", body)
		})
	}

	for _, p := range []struct{ method, ua string }{
		{http.MethodGet, "WhatsApp/2.24.23.78 A"},
		{http.MethodGet, "facebookexternalhit/1.1"},
		{http.MethodGet, "Mozilla/5.0 (compatible; Facebot)"},
		{http.MethodHead, iPhone},
	} {
		t.Run("preview "+p.method+" "+p.ua, func(t *testing.T) {
			res, _ := get(p.method, "/r/"+code, p.ua)
			assert.Equal(t, http.StatusFound, res.StatusCode)
			assert.Equal(t, url, res.Header.Get("Location"))
		})
	}
	assert.Zero(t, clicked(), "previews are not clicks")
	assert.InDelta(t, 4, value(t, m.Previews.WithLabelValues("acme")), 0)
	assert.Zero(t, value(t, m.Clicks.WithLabelValues("acme", links.AgentMobile)))

	res, _ := get(http.MethodGet, "/r/"+code, iPhone)
	assert.Equal(t, http.StatusFound, res.StatusCode)
	assert.Equal(t, url, res.Header.Get("Location"))
	assert.Equal(t, "private, no-store", res.Header.Get("Cache-Control"))
	res, _ = get(http.MethodGet, "/r/"+code, windows)
	assert.Equal(t, http.StatusFound, res.StatusCode)
	assert.EqualValues(t, 1, clicked(), "two clicks, one clicked message")
	assert.InDelta(t, 1, value(t, m.Clicks.WithLabelValues("acme", links.AgentMobile)), 0)
	assert.InDelta(t, 1, value(t, m.Clicks.WithLabelValues("acme", links.AgentDesktop)), 0)
}
