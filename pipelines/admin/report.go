package admin

import (
	"cmp"
	_ "embed"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/survey"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

//go:embed report.html
var reportHTML string

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"num": formatCount, "pct": formatShare, "money": formatMoney, "micros": messaging.FormatMicros,
}).Parse(reportHTML))

// maxReportOrigins is how many origins the report's funnel shows, those
// that wrote the most messages.
const maxReportOrigins = 8

// Sizes of the report's charts, in pixels.
const (
	chartLabel  = 150 // the labels' column
	chartBars   = 330 // the longest bar
	chartRow    = 26
	heatWidth   = 46
	heatLabel   = 130
	heatHeading = 22
)

// barChart is a horizontal bar chart drawn on the server as SVG.
type barChart struct {
	Width, Height int
	LabelX, BarX  int
	Bars          []chartBar
}

// chartBar is one bar: its rectangle's top and width, where its texts
// stand.
type chartBar struct {
	Label, Value        string
	Y, TextY, W, ValueX int
	Color               string
}

// bars draws one bar per label, as long as its value over the largest;
// values are shown as text.
func bars(labels []string, values []int64, colors []string) barChart {
	var top int64
	for _, v := range values {
		top = max(top, v)
	}
	c := barChart{Width: chartLabel + chartBars + 90, Height: len(values)*chartRow + 4, LabelX: chartLabel - 8, BarX: chartLabel}
	for i, v := range values {
		w := 0
		if top > 0 && v > 0 {
			w = max(2, int(float64(v)/float64(top)*chartBars))
		}
		y := i*chartRow + 2
		c.Bars = append(c.Bars, chartBar{Label: labels[i], Value: formatCount(v), Y: y + 3, TextY: y + 17, W: w,
			ValueX: chartLabel + w + 6, Color: colors[i%len(colors)]})
	}
	return c
}

// heatTable is the retention cohorts drawn as SVG: a row per join month,
// a column per month since joining, each cell as dark as its share.
type heatTable struct {
	Width, Height int
	Columns       []heatColumn
	Rows          []heatRow
}

type heatColumn struct {
	X     int
	Label string
}

type heatRow struct {
	Y, TextY int
	Label    string
	Cells    []heatCell
}

type heatCell struct {
	X, TextX int
	Opacity  string
	Text     string
	Dark     bool
}

func heat(cohorts []store.Cohort) heatTable {
	h := heatTable{Width: heatLabel + len(cohorts)*heatWidth + 2, Height: heatHeading + len(cohorts)*chartRow + 2}
	for i := range cohorts {
		h.Columns = append(h.Columns, heatColumn{X: heatLabel + i*heatWidth + heatWidth/2, Label: "+" + strconv.Itoa(i)})
	}
	for i, c := range cohorts {
		y := heatHeading + i*chartRow
		row := heatRow{Y: y, TextY: y + 17, Label: c.Month + " (" + formatCount(c.Members) + ")"}
		for j, r := range c.Retention {
			x := heatLabel + j*heatWidth
			cell := heatCell{X: x, TextX: x + heatWidth/2, Opacity: "0.03"}
			if c.Members > 0 { // nobody joined: an empty cell, not 0%
				cell.Opacity, cell.Text, cell.Dark = strconv.FormatFloat(0.08+0.92*r, 'f', 3, 64), formatShare(r), r > 0.5
			}
			row.Cells = append(row.Cells, cell)
		}
		h.Rows = append(h.Rows, row)
	}
	return h
}

// reportFunnel is one origin's funnel in the report.
type reportFunnel struct {
	funnelView
	Chart barChart
}

// reportCosts is what the period's messages cost, when the tenant has a
// rate card.
type reportCosts struct {
	Currency, Total string
	Messages        int64
	Lines           []costLine
}

// reportPage is what the report's template shows.
type reportPage struct {
	Tenant, From, To, Generated string
	Program                     programView
	Sources, Points             barChart
	Cohorts                     heatTable
	Funnels                     []reportFunnel
	Window                      string
	Campaigns                   []store.Campaign
	Priced                      bool
	Currency                    string // of the tenant's rate card, when Priced
	Costs                       *reportCosts
	Surveys                     []reportSurvey
}

// reportSurvey is one of the tenant's surveys over the period: overall
// and by month.
type reportSurvey struct {
	Name, Kind string
	NPS        bool
	Summary    survey.Summary
}

var (
	stageColors  = []string{"#94a3b8", "#60a5fa", "#3b82f6", "#1d4ed8", "#16a34a", "#0d9488", "#ca8a04", "#c2410c"}
	sourceColors = []string{"#0f766e", "#14b8a6", "#5eead4", "#0e7490", "#22d3ee"}
	pointColors  = []string{"#16a34a", "#2563eb", "#dc2626", "#f97316", "#6b7280"}
)

// getReport answers an HTML report of the program and its messages for
// the period from ?from to ?to (as /analytics/program reads them): the
// KPIs, new members by source, points, retention cohorts, the funnel by
// origin, the campaigns and, with a rate card, the messages' cost.
func (a *API) getReport(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	from, to, ok := a.period(w, r, t)
	if !ok {
		return
	}
	prog, err := a.program(r, t, from, to)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	funnel, err := a.Store.Funnel(r.Context(), store.FunnelQuery{Tenant: t.ID, From: from, To: to, Window: defaultFunnelWindow})
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	cs, err := a.Store.ListCampaigns(r.Context(), t.ID)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	loc := t.Location
	if loc == nil {
		loc = time.UTC
	}
	page := reportPage{
		Tenant: t.ID, From: from.In(loc).Format("2 Jan 2006"), To: to.Add(-time.Nanosecond).In(loc).Format("2 Jan 2006"),
		Generated: a.Now().In(loc).Format("2 Jan 2006 15:04 MST"), Program: prog,
		Window: "7 days", Campaigns: cs, Priced: t.Rates.Priced(), Currency: t.Rates.Currency,
		Points: bars([]string{"Issued", "Redeemed", "Expired", "Reversed"},
			[]int64{prog.PointsIssued, prog.PointsRedeemed, prog.PointsExpired, prog.PointsReversed}, pointColors),
		Cohorts: heat(prog.Cohorts),
	}
	sources := sortedKeys(prog.NewBySource)
	counts := make([]int64, len(sources))
	for i, s := range sources {
		counts[i] = prog.NewBySource[s]
	}
	page.Sources = bars(sources, counts, sourceColors)
	page.Funnels = reportFunnels(funnel)
	if page.Surveys, err = a.reportSurveys(r, t, from, to); err != nil {
		a.respond(w, nil, err, "")
		return
	}
	if page.Priced {
		ls, err := a.Store.Costs(r.Context(), t.ID, from, to)
		if err != nil {
			a.respond(w, nil, err, "")
			return
		}
		lines, total, messages := costLines(ls)
		page.Costs = &reportCosts{Currency: t.Rates.Currency, Total: messaging.FormatMicros(total),
			Messages: int64(messages), Lines: lines}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := reportTemplate.Execute(w, page); err != nil {
		a.Logger.Error("rendering the report", "tenant", t.ID, "err", err)
	}
}

// reportSurveys summarises each of the tenant's surveys over the period,
// by month: NPS or CSAT over time.
func (a *API) reportSurveys(r *http.Request, t *runtime.Tenant, from, to time.Time) ([]reportSurvey, error) {
	var out []reportSurvey
	for _, s := range t.Config.Surveys {
		rs, err := a.Store.SurveyResponses(r.Context(), t.ID, s.Name, store.SurveyFilter{From: from, To: to})
		if err != nil {
			return nil, err
		}
		scores := make([]survey.Score, len(rs))
		for i, x := range rs {
			scores[i] = survey.Score{Score: x.Score, Store: x.StoreID, At: x.AnsweredAt}
		}
		out = append(out, reportSurvey{Name: s.Name, Kind: s.Kind, NPS: s.Kind == survey.KindNPS,
			Summary: survey.Summarize(s.Kind, scores, t.Location)})
	}
	return out, nil
}

// reportFunnels draws the funnels of the origins that wrote the most
// messages, most first.
func reportFunnels(rows []store.FunnelRow) []reportFunnel {
	out := make([]reportFunnel, 0, len(rows))
	for _, f := range rows {
		out = append(out, reportFunnel{funnelView: viewFunnel(f),
			Chart: bars([]string{"Written", "Sent", "Delivered", "Read", "Replied", "Clicked", "Ordered", "Redeemed"},
				[]int64{f.Targeted, f.Sent, f.Delivered, f.Read, f.Replied, f.Clicked, f.Converted, f.Redeemed}, stageColors)})
	}
	slices.SortStableFunc(out, func(a, b reportFunnel) int { return cmp.Compare(b.Targeted, a.Targeted) })
	return out[:min(len(out), maxReportOrigins)]
}

// formatCount writes n with thousands separators: 1,234,567.
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatShare writes a share as a percentage to one decimal: 12.5%.
func formatShare(x float64) string {
	return strconv.FormatFloat(x*100, 'f', 1, 64) + "%"
}

// formatMoney writes an amount with thousands separators and two
// decimals: 1,234.50.
func formatMoney(x float64) string {
	sign := ""
	if x < 0 {
		sign, x = "-", -x
	}
	whole, frac, _ := strings.Cut(strconv.FormatFloat(x, 'f', 2, 64), ".")
	n, _ := strconv.ParseInt(whole, 10, 64)
	return sign + formatCount(n) + "." + frac
}
