package admin

import (
	"encoding/csv"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// Defaults of the funnel's period and attribution window.
const (
	defaultFunnelPeriod = 30 * 24 * time.Hour
	defaultFunnelWindow = 7 * 24 * time.Hour
	maxFunnelWindow     = 90 * 24 * time.Hour
)

func (a *API) analyticsRoutes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}"
	mux.Handle("GET "+p+"/analytics/funnel", a.tenant(a.getFunnel))
	mux.Handle("GET "+p+"/analytics/program", a.tenant(a.getProgram))
	mux.Handle("GET "+p+"/analytics/links", a.tenant(a.getLinks))
	mux.Handle("GET "+p+"/report", a.tenant(a.getReport))
}

// funnelView is a funnel with its rates: each stage over the one before
// it (delivered over sent, read over delivered), replies, clicks and
// conversions and redemptions over sent; and its cost in the tenant's pricing currency.
type funnelView struct {
	store.FunnelRow
	DeliveryRate   float64 `json:"delivery_rate"`
	ReadRate       float64 `json:"read_rate"`
	ReplyRate      float64 `json:"reply_rate"`
	ClickRate      float64 `json:"click_rate"`
	ConversionRate float64 `json:"conversion_rate"`
	RedeemRate     float64 `json:"redeem_rate"`
	// CostText is Cost as a decimal ("12.345"), as /costs writes it.
	CostText string `json:"cost"`
}

func viewFunnel(f store.FunnelRow) funnelView {
	return funnelView{FunnelRow: f,
		DeliveryRate: store.Ratio(f.Delivered, f.Sent), ReadRate: store.Ratio(f.Read, f.Delivered),
		ReplyRate: store.Ratio(f.Replied, f.Sent), ClickRate: store.Ratio(f.Clicked, f.Sent),
		ConversionRate: store.Ratio(f.Converted, f.Sent), RedeemRate: store.Ratio(f.Redeemed, f.Sent), CostText: messaging.FormatMicros(f.Cost),
	}
}

// getFunnel answers the funnel of the messages written from ?from to ?to
// (dates in the tenant's time zone, or RFC 3339 times; the last 30 days
// by default), an order counting as a conversion within ?window of a
// message (7d by default), as JSON or, with ?format=csv, CSV.
func (a *API) getFunnel(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	q := r.URL.Query()
	from, to, ok := a.period(w, r, t)
	if !ok {
		return
	}
	var err error
	window := defaultFunnelWindow
	if s := q.Get("window"); s != "" {
		if window, err = parseWindow(s); err != nil {
			respond.Error(w, http.StatusBadRequest, "window: "+err.Error())
			return
		}
	}
	format, ok := formatParam(w, r)
	if !ok {
		return
	}
	rows, err := a.Store.Funnel(r.Context(), store.FunnelQuery{Tenant: t.ID, From: from, To: to, Window: window})
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	views := make([]funnelView, len(rows))
	for i, f := range rows {
		views[i] = viewFunnel(f)
	}
	if format == "csv" {
		writeFunnelCSV(w, views)
		return
	}
	respond.JSON(w, http.StatusOK, map[string]any{
		"from": from, "to": to, "window": window.String(), "funnel": views,
	})
}

// getLinks answers the short links of the messages written from ?from to
// ?to (as the funnel's), by URL and origin, with ?origin keeping the
// origins that start with it ("campaign:spring" for a campaign's
// variants), as JSON or, with ?format=csv, CSV.
func (a *API) getLinks(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	from, to, ok := a.period(w, r, t)
	if !ok {
		return
	}
	format, ok := formatParam(w, r)
	if !ok {
		return
	}
	rows, err := a.Store.LinkClicks(r.Context(), store.FunnelQuery{Tenant: t.ID, From: from, To: to,
		OriginPrefix: r.URL.Query().Get("origin")})
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	type linkView struct {
		store.LinkRow
		ClickRate float64 `json:"click_rate"` // messages clicked over messages
	}
	views := make([]linkView, len(rows))
	for i, l := range rows {
		views[i] = linkView{LinkRow: l, ClickRate: store.Ratio(l.Clicked, l.Messages)}
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="links.csv"`)
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"url", "origin", "messages", "clicks", "mobile_clicks", "clicked", "click_rate"})
		n := func(i int64) string { return strconv.FormatInt(i, 10) }
		for _, v := range views {
			_ = cw.Write([]string{v.URL, v.Origin, n(v.Messages), n(v.Clicks), n(v.Mobile), n(v.Clicked),
				strconv.FormatFloat(v.ClickRate, 'f', -1, 64)})
		}
		cw.Flush()
		return
	}
	respond.JSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "links": views})
}

var funnelHeader = []string{"origin", "targeted", "skipped", "skipped_by_reason", "failed", "waiting", "sent",
	"delivered", "read", "replied", "clicked", "converted", "revenue", "cost", "delivery_rate", "read_rate", "reply_rate",
	"click_rate", "conversion_rate", "redeemed", "redeem_rate"}

// writeFunnelCSV writes funnels as CSV, the skips by reason as
// "reason:count" pairs separated by ";".
func writeFunnelCSV(w http.ResponseWriter, views []funnelView) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="funnel.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write(funnelHeader)
	for _, v := range views {
		var skipped int64
		var reasons []string
		for _, code := range slices.Sorted(maps.Keys(v.Skipped)) {
			skipped += v.Skipped[code]
			reasons = append(reasons, fmt.Sprintf("%s:%d", code, v.Skipped[code]))
		}
		n := func(i int64) string { return strconv.FormatInt(i, 10) }
		f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
		_ = cw.Write([]string{v.Origin, n(v.Targeted), n(skipped), strings.Join(reasons, ";"), n(v.Failed), n(v.Waiting),
			n(v.Sent), n(v.Delivered), n(v.Read), n(v.Replied), n(v.Clicked), n(v.Converted),
			strconv.FormatFloat(v.Revenue, 'f', 2, 64), v.CostText,
			f(v.DeliveryRate), f(v.ReadRate), f(v.ReplyRate), f(v.ClickRate), f(v.ConversionRate),
			n(v.Redeemed), f(v.RedeemRate)})
	}
	cw.Flush()
}

// period reads the period of an analytics request: ?from to ?to, dates
// in the tenant's time zone or RFC 3339 times, the last 30 days by
// default. It answers 400 and reports false when they are wrong.
func (a *API) period(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) (from, to time.Time, ok bool) {
	q := r.URL.Query()
	to = a.Now()
	var err error
	if s := q.Get("to"); s != "" {
		if to, err = periodBound(s, t.Location, true); err != nil {
			respond.Error(w, http.StatusBadRequest, "to: "+err.Error())
			return from, to, false
		}
	}
	from = to.Add(-defaultFunnelPeriod)
	if s := q.Get("from"); s != "" {
		if from, err = periodBound(s, t.Location, false); err != nil {
			respond.Error(w, http.StatusBadRequest, "from: "+err.Error())
			return from, to, false
		}
	}
	if !from.Before(to) {
		respond.Error(w, http.StatusBadRequest, "from must be before to")
		return from, to, false
	}
	return from, to, true
}

// formatParam reads ?format: json (the default) or csv. It answers 400
// and reports false for anything else.
func formatParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		respond.Error(w, http.StatusBadRequest, "format must be json or csv")
		return "", false
	}
	return format, true
}

// periodBound reads a period's bound: an RFC 3339 time, or a date in the
// tenant's time zone, which as the end of a period includes the whole
// day.
func periodBound(s string, loc *time.Location, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	d, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (2026-12-01) nor an RFC 3339 time", s)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

// parseWindow reads an attribution window: days ("7d") or a Go duration
// ("36h"), from an hour to 90 days.
func parseWindow(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number of days such as 7d", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is neither days (7d) nor a duration (36h)", s)
		}
	}
	if d < time.Hour || d > maxFunnelWindow {
		return 0, fmt.Errorf("%s is not between 1h and 90d", s)
	}
	return d, nil
}
