package admin

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sync"
	"time"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// Import batching: rows are read ImportBatch at a time and written by
// importWorkers concurrent transactions, which the stores commit together
// (group commit); a file is never held in memory whole.
const (
	ImportBatch   = 500
	importWorkers = 16
	// maxImportErrors caps the errors an import reports one by one; the
	// skipped count counts them all.
	maxImportErrors = 1000
)

// ImportResult is the answer of a member import.
type ImportResult struct {
	Imported int                   `json:"imported"` // members created
	Updated  int                   `json:"updated"`  // members found and updated
	Skipped  int                   `json:"skipped"`  // rows with an error
	Errors   []*member.ImportError `json:"errors"`
	// ErrorsTruncated is set when there were more errors than listed.
	ErrorsTruncated bool `json:"errors_truncated,omitempty"`
}

func (res *ImportResult) skip(e *member.ImportError) {
	res.Skipped++
	if len(res.Errors) < maxImportErrors {
		res.Errors = append(res.Errors, e)
	} else {
		res.ErrorsTruncated = true
	}
}

// importMembers imports members from a CSV body (see docs/members.md):
// each row creates the member its phone, email or customer id (of the
// connector the query parameter connector names) finds nobody has, or
// updates the one they find: empty name, email and birthday are filled,
// the profile merged, and a consent recorded with its evidence. A bad row
// is skipped and reported; the others are imported. No points are given
// and no message is sent.
func (a *API) importMembers(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "text/csv" && mt != "text/plain") {
			respond.Error(w, http.StatusUnsupportedMediaType, "the body must be text/csv")
			return
		}
	}
	longTransfer(w)
	connector := r.URL.Query().Get("connector")
	cr := csv.NewReader(r.Body)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		respond.Error(w, http.StatusBadRequest, "the file is empty: a header row is required")
		return
	}
	if err != nil {
		respond.Error(w, http.StatusBadRequest, "reading the header row: "+err.Error())
		return
	}
	h, err := member.ReadImportHeader(header)
	if err != nil {
		respond.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	now := a.Now()
	res := ImportResult{Errors: []*member.ImportError{}}
	var batch []importRow
	n := 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		n++
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			res.skip(&member.ImportError{Row: n, Reason: "not CSV: " + pe.Err.Error()})
			continue
		case err != nil:
			respond.Error(w, http.StatusBadRequest, fmt.Sprintf("reading row %d: %v", n, err))
			return
		}
		row, err := h.Row(n, rec, t.Config.DefaultRegion, now)
		var ie *member.ImportError
		switch {
		case errors.As(err, &ie):
			res.skip(ie)
			continue
		case err != nil:
			res.skip(&member.ImportError{Row: n, Reason: err.Error()})
			continue
		case row.CustomerID != "" && connector == "":
			res.skip(&member.ImportError{Row: n, Column: member.ColCustomerID,
				Reason: "a customer id needs the query parameter connector: the connector the ids come from"})
			continue
		}
		batch = append(batch, importRow{n: n, ImportRow: row})
		if len(batch) == ImportBatch {
			if err := a.importBatch(r.Context(), t, connector, batch, &res); err != nil {
				a.respond(w, nil, err, "")
				return
			}
			batch = batch[:0]
		}
	}
	if err := a.importBatch(r.Context(), t, connector, batch, &res); err != nil {
		a.respond(w, nil, err, "")
		return
	}
	if c := a.MembersImported; c != nil {
		c.WithLabelValues(t.ID, "imported").Add(float64(res.Imported))
		c.WithLabelValues(t.ID, "updated").Add(float64(res.Updated))
		c.WithLabelValues(t.ID, "skipped").Add(float64(res.Skipped))
	}
	respond.JSON(w, http.StatusOK, res)
}

// longTransfer lifts the server's read and write timeouts from a request
// whose body or answer is a file of any length (an import, an export),
// which takes longer than any fixed timeout at some size. The client's
// cancellation still ends it.
func longTransfer(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{}) // a writer without deadlines has none to lift
	_ = rc.SetWriteDeadline(time.Time{})
}

// importRow is a checked row and its row number.
type importRow struct {
	member.ImportRow
	n int
}

// importBatch writes a batch of rows, importWorkers at a time. A store
// failure ends the import (rows before it are imported).
func (a *API) importBatch(ctx context.Context, t *runtime.Tenant, connector string, rows []importRow, res *ImportResult) error {
	created := make([]bool, len(rows))
	errs := make([]error, len(rows))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(importWorkers, len(rows)) {
		wg.Go(func() {
			for i := range next {
				created[i], errs[i] = a.importOne(ctx, t, connector, rows[i])
			}
		})
	}
	for i := range rows {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		switch {
		case errors.Is(err, store.ErrNoMember) || errors.Is(err, loyalty.ErrBadEvent):
			res.skip(&member.ImportError{Row: rows[i].n, Reason: err.Error()})
		case err != nil:
			return fmt.Errorf("importing row %d: %w", rows[i].n, err)
		case created[i]:
			res.Imported++
		default:
			res.Updated++
		}
	}
	return nil
}

// importOne writes one row: the member, in a transaction of its own that
// the store may commit with others, then the consent.
func (a *API) importOne(ctx context.Context, t *runtime.Tenant, connector string, r importRow) (created bool, err error) {
	ref := store.AccountRef{Phone: r.Phone, Name: r.Name, Email: r.Email, Birthday: r.Birthday,
		Profile: r.Profile, Create: true, Unrecorded: true}
	if r.CustomerID != "" {
		ref.Connector, ref.CustomerID = connector, r.CustomerID
	}
	// Unrecorded: the row's every effect is idempotent by the state it
	// changes (fills, a merge, a consent no older than the one kept), so
	// the same file imported again updates what it finds.
	id := event.DerivedID("ev_", "import", t.ID, r.Phone, r.Email, connector, r.CustomerID)
	if _, err := a.Store.Transact(ctx, t.ID, id, ref, a.Now(), func(acc *loyalty.Account) error {
		created = acc.New
		return nil
	}); err != nil {
		return false, err
	}
	if r.Consent != member.ConsentUnknown {
		if _, err := a.Store.UpdateContact(ctx, t.ID, store.ContactRef{Phone: r.Phone},
			member.SetConsent(r.Consent, ImportConsentSource(r.ConsentSource), r.ConsentAt)); err != nil {
			return created, fmt.Errorf("recording the consent: %w", err)
		}
	}
	return created, nil
}

// ImportConsentSource is the marketing consent source an import records:
// "import", and the row's evidence ("import: store signup form 2024-05").
func ImportConsentSource(evidence string) string {
	if evidence == "" {
		return member.ImportSource
	}
	return member.ImportSource + ": " + evidence
}
