package loyalty

import (
	"fmt"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
)

// OutcomeChallengeCompleted is emitted when a member completes a challenge.
const OutcomeChallengeCompleted = "challenge.completed"

// ChallengeRulePrefix starts the rule name of the points a challenge
// gives: "challenge:<name>".
const ChallengeRulePrefix = "challenge:"

type challenge struct {
	config.Challenge
	when *vm.Program
}

func compileChallenges(cs []config.Challenge) ([]*challenge, config.Errors) {
	var out []*challenge
	var errs config.Errors
	for i, c := range cs {
		ch := &challenge{Challenge: c}
		if c.When != "" {
			prog, err := expr.Compile(c.When, expr.Env(exprEnv), expr.AsBool())
			if err != nil {
				errs = append(errs, &config.FieldError{Path: fmt.Sprintf("challenges[%d].when", i), Msg: exprMessage(err)})
			}
			ch.when = prog
		}
		out = append(out, ch)
	}
	return out, errs
}

// ChallengeKey is the counter of challenge name's qualifying events in the
// period containing t, in loc.
func ChallengeKey(name, period string, t time.Time, loc *time.Location) string {
	local := t.In(loc)
	switch period {
	case config.PeriodDay:
		return "ch:" + name + ":d:" + local.Format("2006-01-02")
	case config.PeriodWeek:
		monday := local.AddDate(0, 0, -((int(local.Weekday()) + 6) % 7))
		return "ch:" + name + ":w:" + monday.Format("2006-01-02")
	case config.PeriodMonth:
		return "ch:" + name + ":m:" + local.Format("2006-01")
	default:
		return "ch:" + name + ":all"
	}
}

// challenges counts ev for the challenges written for its type and
// completes those whose count it reaches: points on a lot of their own, a
// badge, and challenge.completed. A challenge completes once per period
// (once ever for a milestone).
func (p *Program) challenges(a *Account, ev event.Event, env map[string]any) error {
	for _, c := range p.challengeList {
		if c.On != ev.Type {
			continue
		}
		if c.when != nil {
			ok, err := expr.Run(c.when, env)
			if err != nil {
				return fmt.Errorf("%w: challenge %s: when: %v", ErrBadEvent, c.Name, err)
			}
			if ok != true {
				continue
			}
		}
		key := ChallengeKey(c.Name, c.Period, ev.OccurredAt, p.Location)
		done := int64(0)
		if a.Counters != nil {
			stored, err := a.Counters([]string{key})
			if err != nil {
				return fmt.Errorf("reading challenge progress: %w", err)
			}
			done = stored[key]
		}
		done += a.counters[key] + 1
		a.count(key, 1)
		if done != int64(c.Count) {
			continue
		}
		data := map[string]any{"challenge": c.Name, "count": c.Count, "period": c.Period, "points": c.Points}
		if c.Points > 0 {
			rule := ChallengeRulePrefix + c.Name
			lot := &Lot{
				ID: LotID(p.Tenant, ev.ID, rule), MemberID: a.Member.ID, Rule: rule, EventID: ev.ID,
				Points: c.Points, Remaining: c.Points, Status: LotActive, EarnedAt: ev.OccurredAt,
				ExpiresAt: p.Expiry(ev.OccurredAt),
			}
			a.addLot(lot, Entry{
				Kind: EntryEarn, Points: c.Points, LotID: lot.ID, EventID: ev.ID, Rule: rule, At: ev.OccurredAt,
				Reason: fmt.Sprintf("challenge %s completed: %d × %s (%s)", c.Name, c.Count, c.On, c.Period),
			})
		}
		if c.Badge != "" {
			a.Badges = append(a.Badges, c.Badge)
			data["badge"] = c.Badge
		}
		a.emit(OutcomeChallengeCompleted, data)
	}
	return nil
}

// Challenges lists the program's challenges, for progress reports.
func (p *Program) Challenges() []config.Challenge {
	out := make([]config.Challenge, len(p.challengeList))
	for i, c := range p.challengeList {
		out[i] = c.Challenge
	}
	return out
}
