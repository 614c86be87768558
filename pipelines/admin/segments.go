package admin

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/loyalhub/loyalhub/core/segment"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
	"github.com/loyalhub/loyalhub/pipelines/segments"
)

func (a *API) segmentRoutes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}/segments"
	mux.Handle("GET "+p, a.tenant(a.listSegments))
	mux.Handle("POST "+p+"/preview", a.tenant(a.previewSegment))
	mux.Handle("PUT "+p+"/{name}", a.tenant(a.putSegment))
	mux.Handle("GET "+p+"/{name}", a.tenant(a.getSegment))
	mux.Handle("DELETE "+p+"/{name}", a.tenant(a.deleteSegment))
	mux.Handle("GET "+p+"/{name}/members", a.tenant(a.exportSegment))
}

// segmentView is a saved segment with the facts its condition reads.
type segmentView struct {
	store.SavedSegment
	Needs *segment.Needs `json:"needs,omitempty"`
}

func viewSegment(s store.SavedSegment) segmentView {
	v := segmentView{SavedSegment: s}
	if c, err := segment.Compile(s.Condition); err == nil {
		n := c.Needs()
		v.Needs = &n
	}
	return v
}

func (a *API) listSegments(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	list, err := a.Store.Segments(r.Context(), t.ID)
	views := make([]segmentView, len(list))
	for i, s := range list {
		views[i] = viewSegment(s)
	}
	a.respond(w, map[string]any{"segments": views}, err, "")
}

func (a *API) getSegment(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	s, err := a.Store.Segment(r.Context(), t.ID, r.PathValue("name"))
	a.respond(w, viewSegment(s), err, "unknown segment "+r.PathValue("name"))
}

// putSegment saves the segment named by the path from a body
// {"description", "condition"}: 400 with the reason when the name or the
// condition is not valid.
func (a *API) putSegment(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	var body struct {
		Description string `json:"description"`
		Condition   string `json:"condition"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	noteBefore(r, func() (segmentView, error) {
		s, err := a.Store.Segment(r.Context(), t.ID, r.PathValue("name"))
		return viewSegment(s), err
	})
	s, err := a.Segments.Save(r.Context(), t.ID,
		segment.Segment{Name: r.PathValue("name"), Description: body.Description, Condition: body.Condition})
	if errors.Is(err, segment.ErrInvalid) {
		respond.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	a.respond(w, viewSegment(s), err, "")
}

func (a *API) deleteSegment(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	noteBefore(r, func() (segmentView, error) {
		s, err := a.Store.Segment(r.Context(), t.ID, r.PathValue("name"))
		return viewSegment(s), err
	})
	err := a.Store.DeleteSegment(r.Context(), t.ID, r.PathValue("name"))
	if err == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	a.respond(w, nil, err, "unknown segment "+r.PathValue("name"))
}

// previewSegment counts the members of a condition, from a body
// {"condition"} or the saved segment ?name, with a sample of the first
// ?sample (10 by default, at most 100).
func (a *API) previewSegment(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	sample := segments.DefaultSample
	if s := r.URL.Query().Get("sample"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > segments.MaxSample {
			respond.Error(w, http.StatusBadRequest, "sample must be an integer from 1 to "+strconv.Itoa(segments.MaxSample))
			return
		}
		sample = n
	}
	var c *segment.Condition
	if name := r.URL.Query().Get("name"); name != "" {
		var ok bool
		if c, ok = a.savedCondition(w, r, t, name); !ok {
			return
		}
	} else {
		var body struct {
			Condition string `json:"condition"`
		}
		if !decodeBody(w, r, &body) {
			return
		}
		var err error
		if c, err = segment.Compile(body.Condition); err != nil {
			respond.Error(w, http.StatusBadRequest, "condition: "+err.Error())
			return
		}
	}
	p, err := a.Segments.Preview(r.Context(), t.ID, c, sample)
	a.respond(w, p, err, "")
}

// exportSegment streams the members of a saved segment as CSV (the
// default) or, with ?format=json, a JSON array.
func (a *API) exportSegment(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "json" {
		respond.Error(w, http.StatusBadRequest, segments.ErrBadFormat.Error())
		return
	}
	name := r.PathValue("name")
	c, ok := a.savedCondition(w, r, t, name)
	if !ok {
		return
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.`+format+`"`)
	if _, err := a.Segments.Export(r.Context(), w, t.ID, c, format); err != nil {
		// The answer has begun: it ends cut short.
		a.Logger.Error("exporting segment", "tenant", t.ID, "segment", name, "err", err)
	}
}

// savedCondition compiles tenant's saved segment name, answering 404 when
// there is none.
func (a *API) savedCondition(w http.ResponseWriter, r *http.Request, t *runtime.Tenant, name string) (*segment.Condition, bool) {
	c, err := a.Segments.Condition(r.Context(), t.ID, name)
	if err != nil {
		a.respond(w, nil, err, "unknown segment "+name)
		return nil, false
	}
	return c, true
}
