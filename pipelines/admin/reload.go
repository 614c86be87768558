package admin

import (
	"errors"
	"net/http"

	"github.com/loyalhub/loyalhub/core/access"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
)

// reloadError is one reason a reload was refused: the key path, empty when
// the file could not be read at all, and what is wrong there.
type reloadError struct {
	Key   string `json:"key,omitempty"`
	Error string `json:"error"`
}

// reloadRoutes mounts the reload of the configuration: it spans tenants and
// changes them all, so it needs the admin token or an integrator key of
// admin scope.
func (a *API) reloadRoutes(mux *http.ServeMux) {
	mux.Handle("POST /api/v1/config/reload", a.guard(access.Admin, http.HandlerFunc(a.reload)))
}

// reload loads the configuration file again and applies it: 200 when
// applied, 422 with every error, each with its key path, when refused (the
// running configuration goes on).
func (a *API) reload(w http.ResponseWriter, _ *http.Request) {
	if a.Reload == nil {
		respond.Error(w, http.StatusNotImplemented, "this hub was not started from a config file it can reload")
		return
	}
	err := a.Reload()
	if err == nil {
		respond.JSON(w, http.StatusOK, map[string]string{"result": "ok"})
		return
	}
	var errs config.Errors
	if !errors.As(err, &errs) {
		errs = config.Errors{{Msg: err.Error()}}
	}
	out := make([]reloadError, len(errs))
	for i, e := range errs {
		out[i] = reloadError{Key: e.Path, Error: e.Msg}
	}
	respond.JSON(w, http.StatusUnprocessableEntity, map[string]any{"result": "refused", "errors": out})
}
