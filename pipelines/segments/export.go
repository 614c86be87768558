package segments

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/segment"
)

// ExportHeader is the header row of a CSV export; a JSON export's
// objects have the same keys.
var ExportHeader = []string{"id", "phone", "name", "email", "tier", "balance", "store", "city", "language", "tags"}

// TagSeparator joins a member's tags in a CSV export.
const TagSeparator = "|"

// exportRow is a member as an export writes it.
type exportRow struct {
	ID       string   `json:"id"`
	Phone    string   `json:"phone"`
	Name     string   `json:"name"`
	Email    string   `json:"email"`
	Tier     string   `json:"tier"`
	Balance  int64    `json:"balance"`
	Store    string   `json:"store"`
	City     string   `json:"city"`
	Language string   `json:"language"`
	Tags     []string `json:"tags"`
}

func newExportRow(m member.Member) exportRow {
	p := m.Profile
	tags := p.Tags
	if tags == nil {
		tags = []string{}
	}
	return exportRow{ID: m.ID, Phone: m.Phone, Name: m.Name, Email: m.Email, Tier: m.Tier.Name, Balance: m.Balance,
		Store: p.Store, City: p.City, Language: p.Language, Tags: tags}
}

// Export writes the members of tenant that c selects to w as they are
// found: CSV (ExportHeader, tags joined by TagSeparator) or a JSON array,
// by format. A failure once writing began leaves the output cut short.
func (s *Segments) Export(ctx context.Context, w io.Writer, tenant string, c *segment.Condition, format string) (Result, error) {
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(ExportHeader); err != nil {
			return Result{}, err
		}
		res, err := s.Match(ctx, tenant, c, func(m member.Member) error {
			r := newExportRow(m)
			return cw.Write([]string{r.ID, r.Phone, r.Name, r.Email, r.Tier, strconv.FormatInt(r.Balance, 10),
				r.Store, r.City, r.Language, strings.Join(r.Tags, TagSeparator)})
		})
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
		return res, err
	case "json":
		bw := bufio.NewWriter(w)
		enc := json.NewEncoder(bw)
		sep := "["
		res, err := s.Match(ctx, tenant, c, func(m member.Member) error {
			if _, err := bw.WriteString(sep); err != nil {
				return err
			}
			sep = ","
			return enc.Encode(newExportRow(m))
		})
		if err != nil {
			_ = bw.Flush()
			return res, err
		}
		if sep == "[" {
			_, _ = bw.WriteString(sep)
		}
		_, _ = bw.WriteString("]\n")
		return res, bw.Flush()
	default:
		return Result{}, ErrBadFormat
	}
}
