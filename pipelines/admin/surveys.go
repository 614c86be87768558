package admin

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/survey"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

func (a *API) surveyRoutes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}/surveys/{name}"
	mux.Handle("GET "+p+"/responses", a.tenant(a.getSurveyResponses))
	mux.Handle("GET "+p+"/summary", a.tenant(a.getSurveySummary))
}

// surveyQuery reads a survey request: the survey the path names and the
// filters ?from, ?to (dates in the tenant's time zone, or RFC 3339 times;
// to is exclusive, a date's end) and ?store. It answers the error itself
// and returns ok=false.
func surveyQuery(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) (config.Survey, store.SurveyFilter, bool) {
	name := r.PathValue("name")
	var s config.Survey
	found := false
	for _, c := range t.Config.Surveys {
		if c.Name == name {
			s, found = c, true
		}
	}
	if !found {
		respond.Error(w, http.StatusNotFound, "no survey "+strconv.Quote(name))
		return s, store.SurveyFilter{}, false
	}
	q := r.URL.Query()
	f := store.SurveyFilter{Store: q.Get("store")}
	for _, b := range []struct {
		key string
		end bool
		to  *time.Time
	}{{"from", false, &f.From}, {"to", true, &f.To}} {
		if v := q.Get(b.key); v != "" {
			at, err := periodBound(v, t.Location, b.end)
			if err != nil {
				respond.Error(w, http.StatusBadRequest, b.key+": "+err.Error())
				return s, f, false
			}
			*b.to = at
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		respond.Error(w, http.StatusBadRequest, "from must be before to")
		return s, f, false
	}
	return s, f, true
}

// getSurveyResponses lists a survey's responses, oldest first, as JSON
// or, with ?format=csv, CSV; ?limit caps the JSON list (100 by default).
func (a *API) getSurveyResponses(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	s, f, ok := surveyQuery(w, r, t)
	if !ok {
		return
	}
	format := r.URL.Query().Get("format")
	switch format {
	case "", "json":
		if f.Limit, ok = limitParam(w, r); !ok {
			return
		}
	case "csv":
	default:
		respond.Error(w, http.StatusBadRequest, "format must be json or csv")
		return
	}
	rs, err := a.Store.SurveyResponses(r.Context(), t.ID, s.Name, f)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	if format == "csv" {
		writeSurveyCSV(w, s.Name, rs)
		return
	}
	if rs == nil {
		rs = []store.SurveyResponse{}
	}
	respond.JSON(w, http.StatusOK, map[string]any{"survey": s.Name, "kind": s.Kind, "responses": rs})
}

var surveyHeader = []string{"invitation", "survey", "kind", "member_id", "phone", "order_id", "store_id", "score",
	"comment", "answered_at", "commented_at"}

// writeSurveyCSV writes responses as CSV, times in RFC 3339.
func writeSurveyCSV(w http.ResponseWriter, name string, rs []store.SurveyResponse) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`-responses.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write(surveyHeader)
	for _, x := range rs {
		commented := ""
		if !x.CommentedAt.IsZero() {
			commented = x.CommentedAt.Format(time.RFC3339)
		}
		_ = cw.Write([]string{x.Invitation, x.Survey, x.Kind, x.MemberID, x.Phone, x.OrderID, x.StoreID,
			strconv.Itoa(x.Score), x.Comment, x.AnsweredAt.Format(time.RFC3339), commented})
	}
	cw.Flush()
}

// getSurveySummary answers a survey's scores summarised (survey.Summary):
// NPS with its promoters, passives and detractors, or CSAT's average and
// percent satisfied; overall, by month in the tenant's time zone and by
// store.
func (a *API) getSurveySummary(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	s, f, ok := surveyQuery(w, r, t)
	if !ok {
		return
	}
	rs, err := a.Store.SurveyResponses(r.Context(), t.ID, s.Name, f)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	scores := make([]survey.Score, len(rs))
	for i, x := range rs {
		scores[i] = survey.Score{Score: x.Score, Store: x.StoreID, At: x.AnsweredAt}
	}
	respond.JSON(w, http.StatusOK, map[string]any{"survey": s.Name, "summary": survey.Summarize(s.Kind, scores, t.Location)})
}
