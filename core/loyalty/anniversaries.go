package loyalty

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/member"
)

// Membership anniversary event and outcome types.
const (
	TypeMemberAnniversary    = "member.anniversary"
	OutcomeMemberAnniversary = "member.anniversary"
)

// Anniversary says which anniversary of a membership that began at joined
// falls on now's local date in loc: 1 for the first year, 0 when none
// does. A member who joined on 29 February has it on the 28th in other
// years.
func Anniversary(joined, now time.Time, loc *time.Location) int {
	j, local := joined.In(loc), now.In(loc)
	years := local.Year() - j.Year()
	if years < 1 || !slices.Contains(member.BirthdaysOn(local), j.Format("01-02")) {
		return 0
	}
	return years
}

// CelebrateAnniversary celebrates the anniversary of the member's joining
// if it falls on now's local date and was not celebrated this year: the
// member.anniversary rules run (as the event eventID) and
// member.anniversary is emitted with the years, for a greeting or a
// journey. It reports whether it celebrated.
func (p *Program) CelebrateAnniversary(a *Account, eventID string, now time.Time) (bool, error) {
	local := now.In(p.Location)
	years := Anniversary(a.Member.CreatedAt, now, p.Location)
	if years == 0 || a.Member.AnniversaryYear >= local.Year() {
		return false, nil
	}
	a.Member.AnniversaryYear = local.Year()
	a.emit(OutcomeMemberAnniversary, map[string]any{"years": years,
		"joined_at": a.Member.CreatedAt.UTC().Format(time.RFC3339)})
	if held(a.Member) >= p.limits.maxPoints {
		// Celebrated, without points: see CelebrateBirthday.
		return true, nil
	}
	data, _ := json.Marshal(map[string]int{"years": years})
	ev := event.Event{ID: eventID, Tenant: p.Tenant, Type: TypeMemberAnniversary, OccurredAt: now, Data: data}
	if err := p.earn(a, ev, nil); err != nil {
		return false, err
	}
	a.mergeEarned()
	return true, nil
}
