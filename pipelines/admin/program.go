package admin

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// programView is a program's KPIs for a period, with their rates.
type programView struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	store.ProgramKPIs
	store.ProgramRates
}

// program reads the KPIs of tenant t for a period, with twelve months of
// cohorts in the tenant's time zone.
func (a *API) program(r *http.Request, t *runtime.Tenant, from, to time.Time) (programView, error) {
	k, err := a.Store.Program(r.Context(), store.ProgramQuery{Tenant: t.ID, From: from, To: to, Location: t.Location})
	if k.NewBySource == nil {
		k.NewBySource = map[string]int64{}
	}
	return programView{From: from, To: to, ProgramKPIs: k, ProgramRates: k.Rates()}, err
}

// getProgram answers a program's KPIs for the period from ?from to ?to
// (dates in the tenant's time zone, or RFC 3339 times; the last 30 days
// by default), as JSON or, with ?format=csv, as "metric,value" lines.
func (a *API) getProgram(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	from, to, ok := a.period(w, r, t)
	if !ok {
		return
	}
	format, ok := formatParam(w, r)
	if !ok {
		return
	}
	v, err := a.program(r, t, from, to)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	if format == "csv" {
		writeProgramCSV(w, v)
		return
	}
	respond.JSON(w, http.StatusOK, v)
}

// programMetrics lists a program's KPIs as metric names and values: the
// period, the counts, the rates, the new members by source
// ("new_members.<source>"), then each cohort's members and retention by
// month since joining ("cohort.<month>.members",
// "cohort.<month>.retention.<n>").
func programMetrics(v programView) [][2]string {
	n := func(i int64) string { return strconv.FormatInt(i, 10) }
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	out := [][2]string{
		{"from", v.From.UTC().Format(time.RFC3339)}, {"to", v.To.UTC().Format(time.RFC3339)},
		{"members", n(v.Members)}, {"new_members", n(v.NewMembers)}, {"active_members", n(v.ActiveMembers)},
		{"buyers", n(v.Buyers)}, {"repeat_buyers", n(v.RepeatBuyers)},
		{"period_buyers", n(v.PeriodBuyers)}, {"returning_buyers", n(v.ReturningBuyers)}, {"redeemers", n(v.Redeemers)},
		{"points_issued", n(v.PointsIssued)}, {"points_redeemed", n(v.PointsRedeemed)},
		{"points_expired", n(v.PointsExpired)}, {"points_reversed", n(v.PointsReversed)},
		{"points_adjusted", n(v.PointsAdjusted)}, {"liability", n(v.Liability)},
		{"repeat_rate", f(v.RepeatRate)}, {"returning_rate", f(v.ReturningRate)},
		{"redemption_rate", f(v.RedemptionRate)}, {"redeemed_share", f(v.RedeemedShare)}, {"breakage", f(v.Breakage)},
	}
	for _, src := range sortedKeys(v.NewBySource) {
		out = append(out, [2]string{"new_members." + src, n(v.NewBySource[src])})
	}
	for _, c := range v.Cohorts {
		out = append(out, [2]string{"cohort." + c.Month + ".members", n(c.Members)})
		for i, r := range c.Retention {
			out = append(out, [2]string{fmt.Sprintf("cohort.%s.retention.%d", c.Month, i), f(r)})
		}
	}
	return out
}

// writeProgramCSV writes a program's KPIs as "metric,value" lines.
func writeProgramCSV(w http.ResponseWriter, v programView) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="program.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"metric", "value"})
	for _, m := range programMetrics(v) {
		_ = cw.Write(m[:])
	}
	cw.Flush()
}
