package sqlite

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The lookups a new member or a referral makes use their indexes: a scan of
// the members table would make every new member slower than the last.
func TestReferralLookupsUseIndexes(t *testing.T) {
	ctx := context.Background()
	s := New(":memory:")
	require.NoError(t, s.Migrate(ctx))
	t.Cleanup(func() { _ = s.Close() })
	for query, index := range map[string]string{
		queryCodeTaken:      "members_referral_code",
		queryReferrer:       "members_referral_code",
		queryReferralsSince: "members_referred_by",
	} {
		rows, err := s.write.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, "t", "x", 0)
		require.NoError(t, err)
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
			plan = append(plan, detail)
		}
		require.NoError(t, rows.Close())
		got := strings.Join(plan, "; ")
		assert.Contains(t, got, "INDEX "+index, query)
		assert.NotContains(t, got, "SCAN members", query)
	}
}
