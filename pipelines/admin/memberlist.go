package admin

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// identityParams are the query parameters that look one member up rather
// than list members.
var identityParams = []string{"phone", "email", "customer_id"}

// getMembers looks a member up by an identity parameter (phone, email,
// customer_id), or else lists the members the filter parameters select, a
// page at a time: {"members": [...], "next": "<cursor>"}, next empty on
// the last page.
func (a *API) getMembers(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	q := r.URL.Query()
	for _, p := range identityParams {
		if q.Has(p) {
			a.getMemberByIdentity(w, r, t)
			return
		}
	}
	f, ok := memberFilter(w, r, t)
	if !ok {
		return
	}
	f.Limit = store.DefaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.MaxMemberPage {
			respond.Error(w, http.StatusBadRequest, "limit must be an integer from 1 to "+strconv.Itoa(store.MaxMemberPage))
			return
		}
		f.Limit = n
	}
	ms, err := a.Store.ListMembers(r.Context(), t.ID, f)
	next := ""
	if len(ms) == f.Limit {
		next = ms[len(ms)-1].ID
	}
	a.respond(w, map[string]any{"members": nonNil(ms), "next": next}, err, "")
}

// memberFilter reads the filter parameters of a member list or export:
// q, tier, tag, store, city, source, joined_after, joined_before (RFC
// 3339 or a date in the tenant's time zone) and after (the cursor).
func memberFilter(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) (store.MemberFilter, bool) {
	q := r.URL.Query()
	f := store.MemberFilter{
		Query: strings.TrimSpace(q.Get("q")), Tier: q.Get("tier"), Tag: q.Get("tag"), Store: q.Get("store"),
		City: q.Get("city"), Source: q.Get("source"), After: q.Get("after"),
	}
	var ok bool
	if f.JoinedAfter, ok = timeParam(w, q.Get("joined_after"), "joined_after", time.Time{}, t.Location); !ok {
		return f, false
	}
	if f.JoinedBefore, ok = timeParam(w, q.Get("joined_before"), "joined_before", time.Time{}, t.Location); !ok {
		return f, false
	}
	return f, true
}

// exportColumns are the columns of a member export.
var exportColumns = []string{"id", "phone", "email", "name", "tier", "balance", "pending", "birthday",
	"source", "store", "city", "language", "tags", "joined_at", "consent"}

// exportMembers streams the members the filter parameters select as CSV
// (format=csv, the default and only format), page after page, so that a
// large export never sits in memory. Tags are joined with "|", as an
// import reads them.
func (a *API) exportMembers(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	if format := r.URL.Query().Get("format"); format != "" && format != "csv" {
		respond.Error(w, http.StatusBadRequest, "format must be csv")
		return
	}
	f, ok := memberFilter(w, r, t)
	if !ok {
		return
	}
	f.Limit = store.MaxMemberPage
	ms, err := a.Store.ListMembers(r.Context(), t.ID, f)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	longTransfer(w)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="members-`+t.ID+`.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write(exportColumns)
	for {
		for _, m := range ms {
			p := m.Profile
			_ = cw.Write([]string{m.ID, m.Phone, m.Email, m.Name, m.Tier.Name,
				strconv.FormatInt(m.Balance, 10), strconv.FormatInt(m.Pending, 10), m.Birthday,
				p.Source, p.Store, p.City, p.Language, strings.Join(p.Tags, "|"),
				m.CreatedAt.UTC().Format(time.RFC3339), m.Consent})
		}
		cw.Flush()
		if len(ms) < f.Limit {
			break
		}
		f.After = ms[len(ms)-1].ID
		if ms, err = a.Store.ListMembers(r.Context(), t.ID, f); err != nil {
			// The status is sent: the export ends short, and the log
			// says why.
			a.Logger.Error("admin API: exporting members", "tenant", t.ID, "err", err)
			return
		}
	}
	if err := cw.Error(); err != nil {
		a.Logger.Warn("admin API: writing a member export", "tenant", t.ID, "err", err)
	}
}
