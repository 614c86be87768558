package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/fault"
)

// SyncResult counts what one write-back did with its members.
type SyncResult struct {
	Updated int // contacts updated
	// Skipped members have no value for write_back.id_property (no email,
	// or no phone for a phone property), or share it with a member
	// earlier in the same call.
	Skipped int
	// NotFound members have no HubSpot contact with their email or phone.
	NotFound int
	// Rejected members were refused by HubSpot one by one (a tier that is
	// not an option of the tier property, say); the rest were written.
	Rejected int
}

// SyncMembers writes members' spendable points and tier to their HubSpot
// contacts (write_back.points_property and write_back.tier_property),
// matched on write_back.id_property. It logs what it skipped; see
// WriteBack. With write-back disabled it does nothing.
func (s *Source) SyncMembers(ctx context.Context, members []connectors.MemberState) error {
	res, err := s.WriteBack(ctx, members)
	if err != nil {
		return err
	}
	if res.Skipped+res.NotFound+res.Rejected > 0 {
		s.logger.Info("hubspot write-back skipped members",
			"updated", res.Updated, "skipped", res.Skipped, "not_found", res.NotFound, "rejected", res.Rejected)
	} else if res.Updated > 0 {
		s.logger.Debug("hubspot write-back done", "updated", res.Updated)
	}
	return nil
}

// WriteBack is SyncMembers returning what it did. It updates contacts in
// batches of at most 100 (POST /crm/v3/objects/contacts/batch/update, each
// input naming its contact by id_property). Members whose contact does not
// exist are counted as not found, not failed. Errors are classified like
// Enrich's: 429 and 5xx are retryable, 401 and 403 permanent auth errors;
// a retryable error means the same members should be written again later
// (writing them twice is harmless).
func (s *Source) WriteBack(ctx context.Context, members []connectors.MemberState) (SyncResult, error) {
	var res SyncResult
	if !s.cfg.WriteBack.Enabled || len(members) == 0 {
		return res, nil
	}
	if s.api == nil {
		return res, fault.Permanent(fault.ClassAuth, errors.New("writing members to hubspot: no access_token configured"))
	}
	w := s.cfg.WriteBack
	inputs := make([]updateInput, 0, len(members))
	seen := map[string]bool{}
	for _, m := range members {
		id := s.memberKey(m)
		if id == "" || seen[id] {
			res.Skipped++
			continue
		}
		seen[id] = true
		props := map[string]string{w.PointsProperty: strconv.FormatInt(m.Balance, 10)}
		if w.TierProperty != "" {
			props[w.TierProperty] = m.Tier
		}
		inputs = append(inputs, updateInput{ID: id, IDProperty: w.IDProperty, Properties: props})
	}
	for chunk := range slices.Chunk(inputs, maxBatch) {
		if err := s.updateChunk(ctx, chunk, &res); err != nil {
			return res, fmt.Errorf("writing %d members to hubspot: %w", len(chunk), err)
		}
	}
	return res, nil
}

// memberKey is the value of id_property that names m's contact: the
// lower-cased email, or the E.164 phone for any other property.
func (s *Source) memberKey(m connectors.MemberState) string {
	if s.cfg.WriteBack.IDProperty == "email" {
		return strings.ToLower(strings.TrimSpace(m.Email))
	}
	return strings.TrimSpace(m.Phone)
}

// updateChunk sends one batch update and counts its outcome.
func (s *Source) updateChunk(ctx context.Context, inputs []updateInput, res *SyncResult) error {
	var resp batchObjectsResponse
	op := fmt.Sprintf("updating %d contacts", len(inputs))
	status, err := s.api.post(ctx, op, pathContactsUpdate, batchUpdateRequest{Inputs: inputs}, &resp)
	if err != nil {
		// A batch whose every contact is missing may be refused whole.
		if (status == http.StatusNotFound || status == http.StatusBadRequest) && notFoundCategory(err) {
			res.NotFound += len(inputs)
			return nil
		}
		return err
	}
	failed := 0
	for _, e := range resp.Errors {
		n := len(e.contextIDs())
		if n == 0 {
			n = 1
		}
		failed += n
		if e.Category == categoryObjectNotFound {
			res.NotFound += n
			continue
		}
		res.Rejected += n
		s.logger.Warn("hubspot refused a write-back", "category", e.Category, "message", trimMessage(e.Message))
	}
	updated := max(0, len(inputs)-failed)
	if resp.Results != nil && len(resp.Results) < updated {
		// HubSpot leaves out, without an error, a contact merged into
		// another meanwhile.
		res.NotFound += updated - len(resp.Results)
		updated = len(resp.Results)
	}
	res.Updated += updated
	return nil
}

// notFoundCategory reports whether err is an API answer of category
// OBJECT_NOT_FOUND.
func notFoundCategory(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Category == categoryObjectNotFound
}
