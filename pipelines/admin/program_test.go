package admin_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/admin"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// programStore answers a program's KPIs, a funnel and campaigns, and
// keeps the last KPI query.
type programStore struct {
	admin.Store
	kpis  store.ProgramKPIs
	query store.ProgramQuery
}

func (s *programStore) Program(_ context.Context, q store.ProgramQuery) (store.ProgramKPIs, error) {
	s.query = q
	return s.kpis, nil
}

func (s *programStore) Funnel(context.Context, store.FunnelQuery) ([]store.FunnelRow, error) {
	return []store.FunnelRow{
		{Origin: "chat", Targeted: 3, Sent: 3, Delivered: 2},
		{Origin: "rule:points_earned", Targeted: 40, Sent: 38, Delivered: 36, Read: 20, Replied: 4, Clicked: 9, Converted: 6, Redeemed: 3, Revenue: 1234567.5,
			Cost: 1_569_400},
	}, nil
}

func (s *programStore) Costs(_ context.Context, tenant string, from, to time.Time) ([]store.CostLine, error) {
	return []store.CostLine{{Category: "marketing", Country: "ID", Messages: 1200, Cost: 49_560_000},
		{Category: "utility", Country: "ID", Messages: 300, Cost: 3_000_000}}, nil
}

// SurveyResponses answers an NPS survey's responses: two in November
// (a promoter and a detractor), one in October outside the report.
func (s *programStore) SurveyResponses(_ context.Context, _, name string, f store.SurveyFilter) ([]store.SurveyResponse, error) {
	var out []store.SurveyResponse
	for _, r := range []store.SurveyResponse{
		{Score: 10, AnsweredAt: time.Date(2026, 11, 3, 5, 0, 0, 0, time.UTC)},
		{Score: 3, AnsweredAt: time.Date(2026, 11, 20, 5, 0, 0, 0, time.UTC)},
		{Score: 9, AnsweredAt: time.Date(2026, 10, 20, 5, 0, 0, 0, time.UTC)},
	} {
		if !r.AnsweredAt.Before(f.From) && r.AnsweredAt.Before(f.To) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *programStore) ListCampaigns(context.Context, string) ([]store.Campaign, error) {
	return []store.Campaign{{Tenant: "acme", Name: "black-friday", State: "done", Audience: 1500, HeldOut: 75}}, nil
}

func programAPI(t *testing.T, rates ...messaging.RateCard) (*programStore, http.Handler) {
	t.Helper()
	months := store.CohortMonths(store.ProgramQuery{To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Months: 2})
	st := &programStore{kpis: store.ProgramKPIs{
		Members: 12345, NewMembers: 300, NewBySource: map[string]int64{"shop": 200, "<script>x</script>": 100},
		ActiveMembers: 800, Buyers: 1000, RepeatBuyers: 250, PeriodBuyers: 600, ReturningBuyers: 450, Redeemers: 80,
		PointsIssued: 50000, PointsRedeemed: 20000, PointsExpired: 5000, PointsReversed: 700, PointsAdjusted: -30,
		Liability: 987654,
		Cohorts: store.FoldCohorts(months, []store.CohortCount{{Joined: 0, Ordered: -1, Members: 10},
			{Joined: 0, Ordered: 0, Members: 6}, {Joined: 0, Ordered: 1, Members: 3}, {Joined: 1, Ordered: -1, Members: 4}}),
	}}
	jakarta := time.FixedZone("WIB", 7*60*60)
	tenant := &runtime.Tenant{ID: "acme", Location: jakarta,
		Config: config.Tenant{Surveys: []config.Survey{{Name: "after-purchase", Kind: "nps"}}}}
	if len(rates) > 0 {
		tenant.Rates = rates[0]
	}
	api := &admin.API{Store: st, Tenants: runtime.NewTenants(runtime.Snapshot{"acme": tenant}), Token: "s3cret",
		Now: func() time.Time { return time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) }}
	mux := http.NewServeMux()
	api.Routes(mux)
	return st, mux
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestProgramKPIs(t *testing.T) {
	st, h := programAPI(t)
	rec := get(t, h, "/api/v1/tenants/acme/analytics/program?from=2026-11-01&to=2026-11-30")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	jakarta := time.FixedZone("WIB", 7*60*60)
	assert.True(t, time.Date(2026, 11, 1, 0, 0, 0, 0, jakarta).Equal(st.query.From), "%v", st.query.From)
	assert.True(t, time.Date(2026, 12, 1, 0, 0, 0, 0, jakarta).Equal(st.query.To), "the last day is whole: %v", st.query.To)
	assert.Equal(t, "acme", st.query.Tenant)
	assert.Equal(t, jakarta, st.query.Location, "cohorts follow the tenant's months")

	var body map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	assert.EqualValues(t, 12345, body["members"])
	assert.EqualValues(t, 0.25, body["repeat_rate"])
	assert.EqualValues(t, 0.75, body["returning_rate"])
	assert.EqualValues(t, 0.1, body["redemption_rate"])
	assert.EqualValues(t, 0.2, body["breakage"], "5,000 expired of 25,000 that left balances")
	assert.EqualValues(t, 0.4, body["redeemed_share"])
	assert.Len(t, body["cohorts"], 2)

	rec = get(t, h, "/api/v1/tenants/acme/analytics/program?format=csv")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "text/csv; charset=utf-8", rec.Header().Get("Content-Type"))
	rows, err := csv.NewReader(rec.Body).ReadAll()
	require.NoError(t, err)
	metrics := map[string]string{}
	for _, r := range rows[1:] {
		metrics[r[0]] = r[1]
	}
	assert.Equal(t, []string{"metric", "value"}, rows[0])
	assert.Equal(t, "12345", metrics["members"])
	assert.Equal(t, "0.25", metrics["repeat_rate"])
	assert.Equal(t, "200", metrics["new_members.shop"])
	assert.Equal(t, "0.6", metrics["cohort.2026-10.retention.0"])
	assert.Equal(t, "0.3", metrics["cohort.2026-10.retention.1"])
	assert.Equal(t, "4", metrics["cohort.2026-11.members"])
	assert.True(t, st.query.To.Equal(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)), "to is now by default")
	assert.True(t, st.query.From.Equal(st.query.To.AddDate(0, 0, -30)), "the last 30 days by default")

	for query, want := range map[string]string{
		"format=xml":                    "format must be json or csv",
		"from=2026-12-08&to=2026-12-01": "from must be before to",
		"to=soon":                       `to: \"soon\" is neither a date`,
	} {
		for _, path := range []string{"/analytics/program?", "/report?"} {
			rec := get(t, h, "/api/v1/tenants/acme"+path+query)
			if path == "/report?" && strings.HasPrefix(query, "format") {
				continue
			}
			assert.Equal(t, http.StatusBadRequest, rec.Code, path+query)
			assert.Contains(t, rec.Body.String(), want, path+query)
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/tenants/acme/report", nil)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusUnauthorized, rec.Code, "the report takes the admin token too")
}

func TestProgramReport(t *testing.T) {
	_, h := programAPI(t)
	rec := get(t, h, "/api/v1/tenants/acme/report?from=2026-11-01&to=2026-11-30")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	page := rec.Body.String()
	for _, want := range []string{
		"<h1>Loyalty program report</h1>", "from <strong>1 Nov 2026</strong> to <strong>30 Nov 2026</strong>",
		`<h2 id="kpis">Key figures</h2>`, `<h2 id="sources">New members by source</h2>`, `<h2 id="points">Points</h2>`,
		`<h2 id="cohorts">Retention by join month</h2>`, `<h2 id="funnel">Messages by origin</h2>`,
		`<h2 id="campaigns">Campaigns</h2>`,
		`id="kpi-members">12,345<`, `id="kpi-repeat-rate">25.0%<`, `id="kpi-liability">987,654<`,
		"1,234,567.50", "black-friday", "1,500",
		"&lt;script&gt;x&lt;/script&gt;",
	} {
		assert.Contains(t, page, want)
	}
	assert.Contains(t, page, `<h2 id="surveys">Surveys</h2>`)
	assert.Contains(t, page, "<h3>after-purchase (NPS)</h3>")
	assert.Regexp(t, `<tr><td>2026-11</td><td class="n">2</td><td class="n">1</td><td class="n">0</td><td class="n">1</td><td class="n">0</td></tr>`, page,
		"November: one promoter, one detractor, an NPS of 0; October's answer is outside the period")
	assert.NotContains(t, page, "<td>2026-10</td>")
	assert.NotContains(t, page, "<script>", "profile sources are text, never markup")
	assert.NotContains(t, page, "Message costs", "no rate card, no costs")
	assert.NotRegexp(t, `(src|href)=|<link|@import|url\(`, page, "no external assets")
	// Sources, points, two origins' funnels and the cohorts.
	assert.Equal(t, 5, strings.Count(page, "<svg "))
	assert.Equal(t, 2+4+8*2, strings.Count(page, `<rect class="bar"`))
	assert.Contains(t, page, `<th class="n">Replied</th><th class="n">Clicked</th><th class="n">Ordered</th><th class="n">Redeemed</th>`)
	assert.Contains(t, page, `<td class="n">4</td><td class="n">9</td><td class="n">6</td><td class="n">3</td>`, "replied, clicked, ordered, redeemed")
	assert.NotContains(t, page, "Cost (", "no rate card, no cost column")
	assert.Equal(t, 2+1, strings.Count(page, `<rect class="cell"`))
	assert.Less(t, strings.Index(page, "<h3>rule:points_earned</h3>"), strings.Index(page, "<h3>chat</h3>"),
		"the origin that wrote the most comes first")

	_, h = programAPI(t, messaging.NewRateCard(config.Pricing{Currency: "USD",
		Rates: map[string]config.Rates{config.RatesDefault: {Marketing: "0.0413", Utility: "0.01"}}}))
	rec = get(t, h, "/api/v1/tenants/acme/report?from=2026-11-01&to=2026-11-30")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	page = rec.Body.String()
	assert.Contains(t, page, `<h2 id="costs">Message costs</h2>`, "a rate card shows the costs")
	assert.Contains(t, page, "1,500 messages charged, <strong>52.56 USD</strong> in all")
	assert.Contains(t, page, "<th class=\"n\">Estimated cost</th>", "and the campaigns' estimated cost")
	assert.Contains(t, page, `<th class="n">Cost (USD)</th>`)
	assert.Contains(t, page, `<td class="n">1.5694</td></tr>`, "the funnel's charged cost")
}
