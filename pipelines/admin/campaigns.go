package admin

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/loyalhub/loyalhub/core/campaign"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/campaigns"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

func (a *API) campaignRoutes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}/campaigns"
	mux.Handle("POST "+p, a.tenant(a.createCampaign))
	mux.Handle("GET "+p, a.tenant(a.listCampaigns))
	mux.Handle("POST "+p+"/dry-run", a.tenant(a.dryRunCampaign))
	mux.Handle("GET "+p+"/{name}", a.tenant(a.getCampaign))
	for _, action := range []string{"start", "pause", "resume", "cancel"} {
		mux.Handle("POST "+p+"/{name}/"+action, a.tenant(a.campaignAction(action)))
	}
}

// campaignError answers a campaign request's error: 400 for an invalid
// spec, 404 for an unknown campaign or segment, 409 for a name taken or
// an action its state does not allow.
func (a *API) campaignError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, campaigns.ErrInvalid):
		respond.Error(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, store.ErrNotFound):
		respond.Error(w, http.StatusNotFound, err.Error())
	case errors.Is(err, campaigns.ErrExists), errors.Is(err, campaigns.ErrState):
		respond.Error(w, http.StatusConflict, err.Error())
	default:
		a.respond(w, nil, err, "")
	}
}

func (a *API) createCampaign(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	var spec campaign.Spec
	if !decodeBody(w, r, &spec) {
		return
	}
	c, err := a.Campaigns.Create(r.Context(), t, spec)
	if err != nil {
		a.campaignError(w, err)
		return
	}
	respond.JSON(w, http.StatusCreated, c)
}

func (a *API) listCampaigns(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	cs, err := a.Store.ListCampaigns(r.Context(), t.ID)
	a.respond(w, map[string]any{"campaigns": nonNil(cs)}, err, "")
}

// getCampaign answers a campaign's progress: its state and counts, each
// variant's funnel, the holdout and the comparisons.
func (a *API) getCampaign(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	format, ok := formatParam(w, r)
	if !ok {
		return
	}
	p, err := a.Campaigns.Progress(r.Context(), t, r.PathValue("name"))
	if err != nil {
		a.campaignError(w, err)
		return
	}
	if format == "csv" {
		writeFunnelCSV(w, campaignFunnels(p))
		return
	}
	respond.JSON(w, http.StatusOK, p)
}

// campaignFunnels are a campaign's progress as funnel rows: each
// variant's, the holdout's (its members as targeted, with their
// conversions; origin campaign:<name>/holdout) and the totals (origin
// campaign:<name>/).
func campaignFunnels(p campaigns.Progress) []funnelView {
	views := make([]funnelView, 0, len(p.Variants)+2)
	for _, v := range p.Variants {
		views = append(views, viewFunnel(v.FunnelRow))
	}
	views = append(views, viewFunnel(store.FunnelRow{Origin: campaign.Origin(p.Name, campaign.HoldoutVariant),
		Targeted: p.Holdout.Members, Converted: p.Holdout.Converted, Revenue: p.Holdout.Revenue}))
	return append(views, viewFunnel(p.Totals))
}

// dryRunCampaign answers what a campaign would do now: its audience's
// counts by outcome and variant, its estimated cost, and ?samples=
// (default 5, at most 100) messages as they would be sent.
func (a *API) dryRunCampaign(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	samples := 5
	if s := r.URL.Query().Get("samples"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 100 {
			respond.Error(w, http.StatusBadRequest, "samples must be an integer from 0 to 100")
			return
		}
		samples = n
	}
	var spec campaign.Spec
	if !decodeBody(w, r, &spec) {
		return
	}
	p, ms, err := a.Campaigns.DryRun(r.Context(), t, spec, samples)
	if err != nil {
		a.campaignError(w, err)
		return
	}
	respond.JSON(w, http.StatusOK, map[string]any{
		"preparation": p, "cost": messaging.FormatMicros(p.Cost), "currency": t.Config.Pricing.Currency,
		"samples": nonNil(ms),
	})
}

// campaignAction starts, pauses, resumes or cancels a campaign; pause and
// cancel take {"reason": "..."}.
func (a *API) campaignAction(action string) func(http.ResponseWriter, *http.Request, *runtime.Tenant) {
	return func(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
		var body struct {
			Reason string `json:"reason"`
		}
		if r.ContentLength != 0 && !decodeBody(w, r, &body) {
			return
		}
		name := r.PathValue("name")
		noteBefore(r, func() (store.Campaign, error) { return a.Store.Campaign(r.Context(), t.ID, name) })
		var c store.Campaign
		var err error
		switch action {
		case "start":
			c, err = a.Campaigns.Start(r.Context(), t, name)
		case "pause":
			c, err = a.Campaigns.Pause(r.Context(), t, name, reasonOr(body.Reason, "paused by an operator"))
		case "resume":
			c, err = a.Campaigns.Resume(r.Context(), t, name)
		case "cancel":
			c, err = a.Campaigns.Cancel(r.Context(), t, name, reasonOr(body.Reason, "cancelled by an operator"))
		}
		if err != nil {
			a.campaignError(w, err)
			return
		}
		respond.JSON(w, http.StatusOK, c)
	}
}

func reasonOr(reason, otherwise string) string {
	if reason == "" {
		return otherwise
	}
	return reason
}
