package schedule_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/pipelines/schedule"
)

// TestSweepCelebratesAnniversaries sweeps a tenant in Jakarta on 11 June
// 2026: the members who joined on 11 June local time in earlier years get
// their anniversary's points and outcome once, whichever UTC date they
// joined on; one who joined this year, or on the 10th or the 12th, does
// not; a second sweep the same day celebrates nobody again.
func TestSweepCelebratesAnniversaries(t *testing.T) {
	ctx := context.Background()
	jkt, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	s := sqlite.New(filepath.Join(t.TempDir(), "loyalhub.db"))
	require.NoError(t, s.Migrate(ctx))
	t.Cleanup(func() { _ = s.Close() })
	prog, err := loyalty.Compile("acme", config.Loyalty{
		Combine: config.CombineStack, Expiry: config.Expiry{Policy: config.ExpiryNever},
		Refunds: config.Refunds{WaitForOrder: time.Minute},
		Rules:   []config.EarnRule{{Name: "anniversary", On: loyalty.TypeMemberAnniversary, Points: "100"}},
	}, jkt)
	require.NoError(t, err)

	joined := map[string]time.Time{
		"late evening, the 10th in UTC": time.Date(2024, 6, 10, 18, 30, 0, 0, time.UTC), // 01:30 on the 11th in Jakarta
		"three years":                   time.Date(2023, 6, 11, 9, 0, 0, 0, jkt),
		"the day before":                time.Date(2025, 6, 10, 9, 0, 0, 0, jkt),
		"the day after":                 time.Date(2025, 6, 12, 9, 0, 0, 0, jkt),
		"late evening of the 11th":      time.Date(2025, 6, 11, 23, 30, 0, 0, jkt), // the 11th in UTC too
		"this year":                     time.Date(2026, 6, 11, 8, 0, 0, 0, jkt),
	}
	ids := map[string]string{}
	i := 0
	for name, at := range joined {
		i++
		res, err := s.Transact(ctx, "acme", fmt.Sprintf("join-%d", i),
			store.AccountRef{Phone: fmt.Sprintf("+6281300000%03d", i), Create: true}, at,
			func(*loyalty.Account) error { return nil })
		require.NoError(t, err, name)
		ids[name] = res.Member.ID
	}

	now := time.Date(2026, 6, 11, 10, 0, 0, 0, jkt)
	var outcomes []string
	o := schedule.SweepOptions{Store: s, Tenant: "acme", Program: prog, Batch: 2,
		Effects: func(string, time.Time) func(store.AccountResult) (store.Effects, error) {
			return func(r store.AccountResult) (store.Effects, error) {
				for _, oc := range r.Outcomes {
					if oc.Type == loyalty.OutcomeMemberAnniversary {
						outcomes = append(outcomes, fmt.Sprintf("%s %v", r.Member.ID, oc.Data["years"]))
					}
				}
				return store.Effects{}, nil
			}
		}}
	r := schedule.SweepTenant(ctx, o, now)
	assert.Equal(t, 3, r.Anniversaries, "%+v", r)
	assert.ElementsMatch(t, []string{
		ids["late evening, the 10th in UTC"] + " 2", ids["three years"] + " 3", ids["late evening of the 11th"] + " 1",
	}, outcomes)
	for name, id := range ids {
		m, err := s.Member(ctx, "acme", id)
		require.NoError(t, err)
		switch name {
		case "late evening, the 10th in UTC", "three years", "late evening of the 11th":
			assert.EqualValues(t, 100, m.Balance, name)
			assert.Equal(t, 2026, m.AnniversaryYear, name)
		default:
			assert.Zero(t, m.Balance, name)
		}
	}

	outcomes = nil
	r = schedule.SweepTenant(ctx, o, now.Add(6*time.Hour))
	assert.Zero(t, r.Anniversaries, "once a year")
	assert.Empty(t, outcomes)
}
