package pipelines_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox/chromiumtest"
)

// TestReportInChromium opens a tenant's report, with some sales and the
// messages they caused, in a browser with the admin token: it shows its
// sections, the API's numbers and the charts drawn on the server.
// LOYALHUB_SCREENSHOT_DIR, when set, receives a screenshot (report.png).
func TestReportInChromium(t *testing.T) {
	ctx := chromiumtest.Start(t)
	h := newHarness(t, harnessOpts{})
	require.Equal(t, http.StatusOK, h.postSale(sale("R-1", "081234560071", "Rina", "50000")))
	require.Equal(t, http.StatusOK, h.postSale(sale("R-2", "081234560072", "Budi", "120000")))
	h.settled(t, 2)
	require.Equal(t, http.StatusOK, h.postSale(sale("R-3", "081234560071", "Rina", "75000")))
	h.settled(t, 3)

	var kpis struct {
		Members      int64   `json:"members"`
		PointsIssued int64   `json:"points_issued"`
		RepeatRate   float64 `json:"repeat_rate"`
	}
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/analytics/program", &kpis))
	require.EqualValues(t, 2, kpis.Members)
	require.EqualValues(t, 0.5, kpis.RepeatRate, "Rina bought twice, Budi once")

	_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
	require.NoError(t, err)
	_, err = chromedp.Call(ctx, network.SetExtraHTTPHeaders,
		network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": "Bearer " + testAdmin}})
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(h.url+"/api/v1/tenants/acme/report"),
		chromedp.WaitVisible(`#kpi-table`),
	))
	type shown struct {
		Headings string `json:"headings"`
		Members  string `json:"members"`
		Repeat   string `json:"repeat"`
		Issued   string `json:"issued"`
		SVGs     int    `json:"svgs"`
		Bars     int    `json:"bars"`
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[shown](`({
		headings: [...document.querySelectorAll("h2")].map(e => e.textContent).join("|"),
		members: document.querySelector("#kpi-members").textContent,
		repeat: document.querySelector("#kpi-repeat-rate").textContent,
		issued: [...document.querySelectorAll("#kpi-table tr")].find(r => r.cells[0].textContent == "Points issued").cells[1].textContent,
		svgs: document.querySelectorAll("svg").length,
		bars: [...document.querySelectorAll("svg rect.bar")].filter(r => r.getBoundingClientRect().width > 0).length,
	})`))
	require.NoError(t, err)
	assert.Equal(t, "Key figures|New members by source|Points|Retention by join month|Messages by origin|Campaigns", got.Headings)
	assert.Equal(t, strconv.FormatInt(kpis.Members, 10), got.Members, "the API's number")
	assert.Equal(t, "50.0%", got.Repeat)
	assert.Equal(t, formatThousands(kpis.PointsIssued), got.Issued)
	assert.GreaterOrEqual(t, got.SVGs, 4, "sources, points, cohorts and a funnel")
	assert.Greater(t, got.Bars, 4, "bars drawn with a width")

	if dir := os.Getenv("LOYALHUB_SCREENSHOT_DIR"); dir != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "report.png"), png, 0o644))
	}
}

// formatThousands writes n as the report does: 12,345.
func formatThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
