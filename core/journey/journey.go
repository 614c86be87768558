package journey

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/campaign"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
)

// Journey is a tenant's compiled journey. Make it with Compile; it is safe
// for concurrent use.
type Journey struct {
	Tenant string
	Config config.Journey
	// ReEntry is the journey's re_entry (config.ParseReEntry).
	ReEntry time.Duration
	when    *messaging.Condition
	steps   []step
}

// step is one compiled step: exactly one of its parts is set.
type step struct {
	wait   time.Duration
	until  time.Duration // since local midnight, with clock
	clock  bool
	cond   *messaging.Condition
	send   *messaging.Renderer
	award  int64
	reason string
}

// Compile compiles a journey of tenant: its trigger's condition and its
// steps' expressions. Errors name keys relative to the journey, such as
// "steps[2].send.template.body[0]", as a config.Errors.
func Compile(tenant string, c config.Journey) (*Journey, error) {
	j := &Journey{Tenant: tenant, Config: c}
	var errs config.Errors
	add := func(path, format string, args ...any) {
		errs = append(errs, &config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	re, err := config.ParseReEntry(c.ReEntry)
	if err != nil {
		add("re_entry", "%v", err)
	}
	j.ReEntry = re
	if c.Trigger.When != "" {
		cond, err := messaging.CompileCondition(c.Trigger.When)
		if err != nil {
			add("trigger.when", "%v", err)
		}
		j.when = &cond
	}
	for i, s := range c.Steps {
		at := fmt.Sprintf("steps[%d]", i)
		var st step
		switch {
		case s.Wait > 0:
			st.wait = s.Wait
		case s.WaitUntil != "":
			d, err := config.ParseClock(s.WaitUntil)
			if err != nil {
				add(at+".wait_until", "%v", err)
			}
			st.until, st.clock = d, true
		case s.If != "":
			cond, err := messaging.CompileCondition(s.If)
			if err != nil {
				add(at+".if", "%v", err)
			}
			st.cond = &cond
		case s.Send != nil:
			r, err := messaging.NewRenderer(tenant, notification(c.Name, i, *s.Send, c.Sender))
			var ferrs config.Errors
			switch {
			case errors.As(err, &ferrs):
				for _, e := range ferrs {
					add(at+".send."+e.Path, "%s", e.Msg)
				}
			case err != nil:
				add(at+".send", "%v", err)
			}
			st.send = r
		case s.Award > 0:
			st.award, st.reason = s.Award, s.Reason
		default:
			add(at, "a step is exactly one of wait, wait_until, if, send and award")
		}
		j.steps = append(j.steps, st)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return j, nil
}

// notification is a send step as the notification renderer knows it.
func notification(journey string, i int, s config.JourneySend, sender string) config.Notification {
	cat := s.Category
	if cat == "" {
		cat = messaging.CategoryMarketing
	}
	return config.Notification{Name: journey + "/" + strconv.Itoa(i), Sender: sender, Category: cat, Template: s.Template}
}

// Templates are the templates the journey's send steps fill, by their key
// in the journey ("steps[2].send.template"), to check them against the
// account's.
func (j *Journey) Templates() map[string]*messaging.Template {
	out := map[string]*messaging.Template{}
	for i, st := range j.steps {
		if st.send == nil {
			continue
		}
		for key, t := range st.send.Templates() {
			out[fmt.Sprintf("steps[%d].send.%s", i, key)] = t
		}
	}
	return out
}

// Name is the journey's name.
func (j *Journey) Name() string { return j.Config.Name }

// Steps is how many steps the journey has.
func (j *Journey) Steps() int { return len(j.steps) }

// Origin is the message log's origin of the messages of a journey's step.
func Origin(journey string, step int) string { return "journey:" + journey + "/" + strconv.Itoa(step) }

// OriginPrefix is what every origin of a journey's messages starts with.
func OriginPrefix(journey string) string { return "journey:" + journey + "/" }

// MessageKey is the idempotency key of the message of step of a member's
// entry into a journey.
func MessageKey(tenant, journey, memberID, entryID string, step int) string {
	return event.DerivedID("msg_", "journey", tenant, journey, memberID, entryID, strconv.Itoa(step))
}

// AwardEventID is the event id of the award of step of a member's entry
// into a journey: the ledger keeps it once.
func AwardEventID(tenant, journey, memberID, entryID string, step int) string {
	return event.DerivedID("ev_", "journey", tenant, journey, memberID, entryID, strconv.Itoa(step))
}

// EntryID is the id of the entry an outcome makes into a journey.
func EntryID(outcomeID, journey string) string { return event.DerivedID("jen_", outcomeID, journey) }

// Effects are the journey goals and entries an outcome makes for the
// outcome's member, at now: a goal for each journey whose goal is the
// outcome's type, an entry into each enabled journey whose trigger the
// outcome matches. An outcome without a member makes none. A trigger
// whose when fails on the outcome enters nobody: its error is returned,
// joined with any other, beside the goals and entries of the rest, so that
// a journey's condition never fails the outcome's transaction.
func Effects(js []*Journey, o event.Outcome, now time.Time) ([]store.JourneyGoal, []store.JourneyEntry, error) {
	if o.Member.ID == "" {
		return nil, nil, nil
	}
	var goals []store.JourneyGoal
	var entries []store.JourneyEntry
	var errs []error
	for _, j := range js {
		if j.Config.Goal == o.Type {
			goals = append(goals, store.JourneyGoal{Journey: j.Name(), MemberID: o.Member.ID, At: now})
		}
		if j.Config.Trigger.On != o.Type || !j.Config.On() {
			continue
		}
		if j.when != nil {
			ok, err := j.when.Eval(j.Tenant, o)
			if err != nil {
				errs = append(errs, fmt.Errorf("journey %q, trigger.when: %w", j.Name(), err))
				continue
			}
			if !ok {
				continue
			}
		}
		var data []byte
		if len(o.Data) > 0 {
			var err error
			if data, err = json.Marshal(o.Data); err != nil {
				errs = append(errs, fmt.Errorf("journey %q: keeping the trigger's data: %w", j.Name(), err))
				continue
			}
		}
		entries = append(entries, store.JourneyEntry{Journey: j.Name(), MemberID: o.Member.ID,
			EntryID: EntryID(o.ID, j.Name()), ReEntry: j.ReEntry, At: now, Data: data})
	}
	return goals, entries, errors.Join(errs...)
}

// Env is what Advance reads of the world: the member as they are now and
// the tenant's time zone.
type Env struct {
	Member   member.Member
	Location *time.Location
}

// Action is what a step does: a Send or an Award.
type Action interface{ step() int }

// Send is a message to queue.
type Send struct {
	Step    int
	Command messaging.Command
}

// Award is points to give the member, as event EventID.
type Award struct {
	Step    int
	Points  int64
	Reason  string
	EventID string
}

func (s Send) step() int  { return s.Step }
func (a Award) step() int { return a.Step }

// Advance runs a member's due state from its step until a wait (the state
// stays active, due when the wait ends, at the step after it), the end
// (completed) or a false condition (exited, JourneyReasonCondition), and
// returns what the steps it ran do. A step that fails on the member's data
// exits the state with JourneyReasonError and returns the error with the
// actions of the steps before it. A send to a member without a phone is
// skipped.
func (j *Journey) Advance(s store.JourneyState, now time.Time, env Env) ([]Action, store.JourneyState, error) {
	loc := env.Location
	if loc == nil {
		loc = time.UTC
	}
	o := j.outcome(s, env.Member)
	var out []Action
	for s.Step < len(j.steps) {
		i := s.Step
		st := j.steps[i]
		switch {
		case st.wait > 0:
			s.Step, s.DueAt = i+1, now.Add(st.wait)
			return out, s, nil
		case st.clock:
			s.Step, s.DueAt = i+1, NextClock(now, loc, st.until)
			return out, s, nil
		case st.cond != nil:
			ok, err := st.cond.Eval(j.Tenant, o)
			if err != nil {
				return out, exit(s, store.JourneyReasonError), fmt.Errorf("journey %q, steps[%d].if: %w", j.Name(), i, err)
			}
			if !ok {
				return out, exit(s, store.JourneyReasonCondition), nil
			}
		case st.send != nil:
			if o.Member.Phone == "" || strings.HasPrefix(o.Member.Phone, store.RedactedPrefix) {
				break // nobody to write to
			}
			cmd, ok, err := st.send.Render(o)
			if err != nil {
				return out, exit(s, store.JourneyReasonError), fmt.Errorf("journey %q, steps[%d].send: %w", j.Name(), i, err)
			}
			if ok {
				cmd.Key = MessageKey(j.Tenant, j.Name(), s.MemberID, s.EntryID, i)
				cmd.OutcomeID, cmd.Rule = "", ""
				cmd.Origin = Origin(j.Name(), i)
				out = append(out, Send{Step: i, Command: cmd})
			}
		case st.award > 0:
			out = append(out, Award{Step: i, Points: st.award, Reason: st.reason,
				EventID: AwardEventID(j.Tenant, j.Name(), s.MemberID, s.EntryID, i)})
		}
		s.Step = i + 1
	}
	s.Status, s.DueAt = store.JourneyCompleted, now
	return out, s, nil
}

func exit(s store.JourneyState, reason string) store.JourneyState {
	s.Status, s.Reason = store.JourneyExited, reason
	return s
}

// outcome is the member as the steps' expressions see them: member and
// data as a campaign's (campaign.Data), and data.trigger, the data of the
// outcome that entered them (an abandoned checkout's url and total).
func (j *Journey) outcome(s store.JourneyState, m member.Member) event.Outcome {
	data := campaign.Data(m)
	trigger := map[string]any{}
	if len(s.Data) > 0 {
		// Written by Effects from a map: a state whose data does not
		// read back leaves the steps an empty trigger.
		_ = json.Unmarshal(s.Data, &trigger)
	}
	data["trigger"] = trigger
	return event.Outcome{ID: s.EntryID, Tenant: j.Tenant, Type: "journey",
		Member: event.MemberRef{ID: m.ID, Phone: m.Phone, Name: m.Name, Balance: m.Balance},
		Data:   data}
}

// NextClock is the first time after now at the local time of day since
// midnight in loc ("10:00" is 10h): today's when it is still ahead,
// tomorrow's otherwise.
func NextClock(now time.Time, loc *time.Location, since time.Duration) time.Time {
	l := now.In(loc)
	h, m := int(since/time.Hour), int(since%time.Hour/time.Minute)
	t := time.Date(l.Year(), l.Month(), l.Day(), h, m, 0, 0, loc)
	if !t.After(now) {
		t = time.Date(l.Year(), l.Month(), l.Day()+1, h, m, 0, 0, loc)
	}
	return t
}
