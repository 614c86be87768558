package loyalty

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/member"
)

// Birthday event and outcome types.
const (
	TypeMemberBirthday    = "member.birthday"
	OutcomeMemberBirthday = "member.birthday"
)

// CelebrateBirthday celebrates the member's birthday if it falls on now's
// local date and was not celebrated this year: the member.birthday rules
// run (as the event eventID) and member.birthday is emitted, for a
// greeting. It reports whether it celebrated.
func (p *Program) CelebrateBirthday(a *Account, eventID string, now time.Time) (bool, error) {
	local := now.In(p.Location)
	if a.Member.Birthday == "" || a.Member.BirthdayYear >= local.Year() ||
		!slices.Contains(member.BirthdaysOn(local), a.Member.Birthday) {
		return false, nil
	}
	a.Member.BirthdayYear = local.Year()
	a.emit(OutcomeMemberBirthday, map[string]any{"birthday": a.Member.Birthday, "year": local.Year()})
	if held(a.Member) >= p.limits.maxPoints {
		// Celebrated, without points: the member holds the most a member
		// may (loyalty.limits.max_points). A scheduled greeting is never
		// refused like an event from outside.
		return true, nil
	}
	ev := event.Event{ID: eventID, Tenant: p.Tenant, Type: TypeMemberBirthday, OccurredAt: now, Data: json.RawMessage(`{}`)}
	if err := p.earn(a, ev, nil); err != nil {
		return false, err
	}
	a.mergeEarned()
	return true, nil
}
