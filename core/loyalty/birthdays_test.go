package loyalty

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
)

func TestCelebrateBirthday(t *testing.T) {
	p := compileProgram(t, config.Loyalty{Rules: []config.EarnRule{fixedRule("birthday", TypeMemberBirthday, "50")}})
	a := newAccount()
	a.Member.Birthday = "11-23"
	// 23 November, 00:30 in Jakarta, still the 22nd in UTC.
	now := local(2026, 11, 23, 0, 30)
	ok, err := p.CelebrateBirthday(a, "ev_bday", now)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, int64(50), a.Member.Balance)
	assert.Equal(t, 2026, a.Member.BirthdayYear)
	assert.Equal(t, []string{OutcomeMemberBirthday, OutcomePointsEarned}, outcomeTypes(a.Outcomes()))
	require.NoError(t, a.Check(false))

	ok, err = p.CelebrateBirthday(a, "ev_bday2", now.Add(3600e9))
	require.NoError(t, err)
	assert.False(t, ok, "once a year")

	b := newAccount()
	b.Member.Birthday = "11-24"
	ok, err = p.CelebrateBirthday(b, "ev_other", now)
	require.NoError(t, err)
	assert.False(t, ok, "not today")

	leap := newAccount()
	leap.Member.Birthday = "02-29"
	ok, err = p.CelebrateBirthday(leap, "ev_leap", local(2027, 2, 28, 9, 0))
	require.NoError(t, err)
	assert.True(t, ok, "29 February is celebrated on the 28th in a year without it")
}
