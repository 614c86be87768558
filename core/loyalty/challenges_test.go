package loyalty

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
)

func TestChallenges(t *testing.T) {
	p := compileProgram(t, config.Loyalty{
		Rules: []config.EarnRule{perSpend("spend", 1, "1000")},
		Challenges: []config.Challenge{
			{Name: "three-a-week", On: "order.paid", When: "float(event.total) >= 20000", Count: 3, Period: config.PeriodWeek, Points: 100},
			{Name: "tenth-coffee", On: "order.paid", Count: 10, Badge: "Regular"},
		},
	})
	counters := counterStore{}
	a := newAccount()
	a.Counters = counters.read
	var completed []map[string]any
	monday := local(2026, 11, 23, 8, 0)
	for i := range 10 {
		at := monday.Add(time.Duration(i) * 24 * time.Hour)
		total := "25000"
		if i == 1 {
			total = "15000" // does not count for three-a-week
		}
		b := next(a, counters)
		b.Order = nil
		require.NoError(t, p.Apply(b, paidEvent(t, "ev_"+string(rune('a'+i)), at, order("o"+string(rune('a'+i)), total))))
		for _, o := range b.Outcomes() {
			if o.Type == OutcomeChallengeCompleted {
				o.Data["day"] = i
				completed = append(completed, o.Data)
			}
		}
		a = b
	}
	require.Len(t, completed, 3, "three-a-week twice, the tenth coffee once")
	assert.Equal(t, "three-a-week", completed[0]["challenge"])
	assert.Equal(t, 3, completed[0]["day"], "Mon, Wed, Thu: the Tuesday order was too small")
	assert.EqualValues(t, 100, completed[0]["points"])
	assert.Equal(t, "three-a-week", completed[1]["challenge"])
	assert.Equal(t, 9, completed[1]["day"], "the next week counts again from Monday: Mon 7, Tue 8, Wed 9")
	assert.Equal(t, "tenth-coffee", completed[2]["challenge"])
	assert.Equal(t, 9, completed[2]["day"])
	assert.Equal(t, "Regular", completed[2]["badge"])
	assert.Equal(t, []string{"Regular"}, a.Badges)
	require.NoError(t, a.Check(false))
	// 250 points for nine orders of 25,000 and 15 for the 15,000 one, plus
	// 2 × 100 for the weekly challenge.
	assert.Equal(t, int64(9*25+15+200), a.Member.Balance)
}

func TestChallengeKeys(t *testing.T) {
	at := local(2026, 11, 25, 23, 30) // a Wednesday
	assert.Equal(t, "ch:c:d:2026-11-25", ChallengeKey("c", config.PeriodDay, at, jakarta))
	assert.Equal(t, "ch:c:w:2026-11-23", ChallengeKey("c", config.PeriodWeek, at, jakarta))
	assert.Equal(t, "ch:c:m:2026-11", ChallengeKey("c", config.PeriodMonth, at, jakarta))
	assert.Equal(t, "ch:c:all", ChallengeKey("c", config.PeriodEver, at, jakarta))
	assert.Equal(t, "ch:c:d:2026-11-26", ChallengeKey("c", config.PeriodDay, at.UTC().Add(time.Hour), jakarta), "days are local")
}
