package admin

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// costLine is one line of GET /costs: the messages WhatsApp charged of a
// pricing category to a country, and their cost in the rate card's
// currency.
type costLine struct {
	Category string `json:"category"`
	Country  string `json:"country"`
	Messages int    `json:"messages"`
	Cost     string `json:"cost"`
}

// getCosts sums what the tenant's messages cost by pricing category and
// recipient country: ?from= and ?to= (RFC 3339, or a date in the tenant's
// time zone; from defaults to the start of this month, to to now), and
// format=csv for a CSV file instead of JSON.
func (a *API) getCosts(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	q := r.URL.Query()
	now := a.Now()
	from, ok := timeParam(w, q.Get("from"), "from", t.Policy.MonthStart(now), t.Location)
	if !ok {
		return
	}
	to, ok := timeParam(w, q.Get("to"), "to", now, t.Location)
	if !ok {
		return
	}
	if !to.After(from) {
		respond.Error(w, http.StatusBadRequest, "to must be after from")
		return
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		respond.Error(w, http.StatusBadRequest, "format must be json or csv")
		return
	}
	ls, err := a.Store.Costs(r.Context(), t.ID, from, to)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	lines, total, messages := costLines(ls)
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="costs.csv"`)
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"category", "country", "messages", "cost", "currency"})
		for _, l := range lines {
			_ = cw.Write([]string{l.Category, l.Country, strconv.Itoa(l.Messages), l.Cost, t.Rates.Currency})
		}
		cw.Flush()
		return
	}
	a.respond(w, map[string]any{
		"currency": t.Rates.Currency, "from": from.UTC(), "to": to.UTC(),
		"lines": lines, "messages": messages, "total": messaging.FormatMicros(total),
	}, nil, "")
}

// costLines formats the store's cost lines, and sums their cost and
// messages.
func costLines(ls []store.CostLine) (lines []costLine, total int64, messages int) {
	lines = make([]costLine, 0, len(ls))
	for _, l := range ls {
		lines = append(lines, costLine{Category: l.Category, Country: l.Country, Messages: l.Messages, Cost: messaging.FormatMicros(l.Cost)})
		total += l.Cost
		messages += l.Messages
	}
	return lines, total, messages
}

// timeParam reads a query parameter as RFC 3339 or as a date (its midnight
// in loc); def when empty.
func timeParam(w http.ResponseWriter, s, name string, def time.Time, loc *time.Location) (time.Time, bool) {
	if s == "" {
		return def, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if loc == nil {
		loc = time.UTC
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, true
	}
	respond.Error(w, http.StatusBadRequest, name+" must be an RFC 3339 time or a date such as 2026-03-01")
	return time.Time{}, false
}
