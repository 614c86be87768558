package pipelines_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
)

// TestShortLinksCountClicksAndCostInTheFunnel sends a rule's messages
// with a URL through the sandbox with the tenant's short links on: each
// message carries its own link, a customer's click on one is counted and
// redirected, link previews are redirected uncounted, and the funnel
// shows the clicked message and what WhatsApp charged for both.
func TestShortLinksCountClicksAndCostInTheFunnel(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: func(cfg string) string {
		cfg = strings.Replace(cfg, `body: ["member.name", "string(data.points)", "string(member.balance)"]`,
			`body: ["member.name", "string(data.points)", "'Rewards: https://shop.example/rewards?m=' + member.id + '.'"]`, 1)
		return cfg + `    links:
      base_url: https://go.acme.example
    pricing:
      currency: USD
      rates:
        ID: {utility: "0.025", marketing: "0.0411"}
`
	}})
	ctx := context.Background()
	phones := []string{"+6281234563001", "+6281234563002"}
	for i, p := range phones {
		require.Equal(t, http.StatusOK, h.postSale(sale(fmt.Sprintf("L-%d", i), p, "Member", "50000")))
	}
	h.settled(t, 2)

	// Each message went out with a link of its own, stored with the URL.
	links := map[string]store.Link{} // by recipient
	for _, r := range h.sb.Messages() {
		_, params := templateOf(t, r)
		require.Len(t, params, 3)
		short, ok := strings.CutPrefix(params[2], "Rewards: https://go.acme.example/r/")
		require.True(t, ok, params[2])
		code, ok := strings.CutSuffix(short, ".")
		require.True(t, ok, "the full stop after the URL stays after the link: %q", params[2])
		l, err := h.hub.Store().Link(ctx, code)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(l.URL, "https://shop.example/rewards?m=mem_"), l.URL)
		assert.Equal(t, code, messaging.LinkCode("acme", l.MessageKey, l.URL))
		links[r.To] = l
	}
	require.Len(t, links, 2)
	a, b := links[strings.TrimPrefix(phones[0], "+")], links[strings.TrimPrefix(phones[1], "+")]
	assert.NotEqual(t, a.Code, b.Code)

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	open := func(method, code, ua string) *http.Response {
		req, err := http.NewRequest(method, h.url+"/r/"+code, nil)
		require.NoError(t, err)
		req.Header.Set("User-Agent", ua)
		res, err := noFollow.Do(req)
		require.NoError(t, err)
		require.NoError(t, res.Body.Close())
		return res
	}
	for _, visit := range []struct {
		method string
		link   store.Link
		ua     string
	}{
		{http.MethodGet, a, "WhatsApp/2.24.23.78 A"},
		{http.MethodGet, b, "facebookexternalhit/1.1"},
		{http.MethodHead, b, "Mozilla/5.0 (Linux; Android 14) Mobile"},
		{http.MethodGet, a, "Mozilla/5.0 (Linux; Android 14) Mobile"},
	} {
		res := open(visit.method, visit.link.Code, visit.ua)
		assert.Equal(t, http.StatusFound, res.StatusCode, visit.ua)
		assert.Equal(t, visit.link.URL, res.Header.Get("Location"), visit.ua)
	}
	res := open(http.MethodGet, messaging.LinkCode("acme", "nope", "https://x.example/"), "Mozilla/5.0")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)

	var body funnelBody
	eventually(t, "both messages charged", func() bool {
		require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/analytics/funnel", &body))
		return len(body.Funnel) == 1 && body.Funnel[0].Cost == 2*25_000
	})
	f := body.Funnel[0]
	assert.Equal(t, "rule:points_earned", f.Origin)
	assert.EqualValues(t, 2, f.Sent)
	assert.EqualValues(t, 1, f.Clicked, "one customer opened their link; the other's was only previewed")
	assert.EqualValues(t, 1, counterValue(t, h.hub.Metrics().LinkClicks.WithLabelValues("acme", "mobile")))
	assert.EqualValues(t, 3, counterValue(t, h.hub.Metrics().LinkPreviews.WithLabelValues("acme")))
	assert.EqualValues(t, 2, counterValue(t, h.hub.Metrics().LinksShortened.WithLabelValues("acme")))

	rows := h.funnelCSV(t)
	require.Len(t, rows, 2)
	col := map[string]string{}
	for i, name := range rows[0] {
		col[name] = rows[1][i]
	}
	assert.Equal(t, "1", col["clicked"])
	assert.Equal(t, "0.05", col["cost"])
	assert.Equal(t, "0.5", col["click_rate"])

	// The links report: a row per URL, the opened one first.
	var report struct {
		Links []struct {
			store.LinkRow
			ClickRate float64 `json:"click_rate"`
		}
	}
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/analytics/links?origin=rule:", &report))
	require.Len(t, report.Links, 2)
	assert.Equal(t, store.LinkRow{URL: a.URL, Origin: "rule:points_earned", Messages: 1, Clicks: 1, Mobile: 1, Clicked: 1}, report.Links[0].LinkRow)
	assert.Equal(t, 1.0, report.Links[0].ClickRate)
	assert.Equal(t, store.LinkRow{URL: b.URL, Origin: "rule:points_earned", Messages: 1}, report.Links[1].LinkRow, "previews are not clicks")
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/analytics/links?origin=campaign:", &report))
	assert.Empty(t, report.Links)
	rows, err := csv.NewReader(bytes.NewReader(h.adminRaw(t, "/analytics/links?format=csv", "text/csv; charset=utf-8"))).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, [][]string{
		{"url", "origin", "messages", "clicks", "mobile_clicks", "clicked", "click_rate"},
		{a.URL, "rule:points_earned", "1", "1", "1", "1", "1"},
		{b.URL, "rule:points_earned", "1", "0", "0", "0", "0"},
	}, rows)
}
