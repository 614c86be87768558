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
	tag    *config.JourneyTag
	// waitFor waits up to within for its event, then goes on at then if
	// it came, at otherwise if not.
	waitFor         string
	within          time.Duration
	then, otherwise int
	// jump goes on at step to (len(steps): the end).
	jump   bool
	to     int
	survey string
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
	names := map[string]int{}
	for i, s := range c.Steps {
		if _, dup := names[s.Name]; s.Name != "" && !dup {
			names[s.Name] = i
		}
	}
	// target resolves a goto's or a branch's step name: a later step, or
	// the end; "" is the next step.
	target := func(i int, path, name string) int {
		k, ok := names[name]
		switch {
		case name == "":
			return i + 1
		case name == config.JourneyEnd:
			return len(c.Steps)
		case !ok:
			add(path, "%q is not the name of a step of the journey, nor %s", name, config.JourneyEnd)
		case k <= i:
			add(path, "%q is steps[%d]: a step may only go on to a later one", name, k)
		}
		return k
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
		case s.Tag != nil:
			st.tag = s.Tag
		case s.WaitFor != nil:
			w := s.WaitFor
			st.waitFor, st.within = w.Event, w.Within
			if w.Event != store.JourneyWaitReply && w.Event != store.JourneyWaitOrder {
				add(at+".wait_for.event", "%q is not %s or %s", w.Event, store.JourneyWaitReply, store.JourneyWaitOrder)
			}
			if w.Within <= 0 {
				add(at+".wait_for.within", "required: a positive duration such as 48h")
			}
			st.then = target(i, at+".wait_for.then", w.Then)
			st.otherwise = target(i, at+".wait_for.else", w.Else)
		case s.Goto != "":
			st.jump, st.to = true, target(i, at+".goto", s.Goto)
		case s.Survey != "":
			st.survey = s.Survey
		default:
			add(at, "%s", config.JourneyStepKinds)
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

// Env is what Advance reads of the world: the member as they are now,
// the tenant's time zone, and for a state waiting for an event (WaitFor)
// whether it came at or after WaitSince, by now or its WaitDeadline,
// whichever is first (store.Journeys.JourneyEventCame).
type Env struct {
	Member   member.Member
	Location *time.Location
	Came     bool
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

// Tag is tags to add to the member's profile and to remove from it.
type Tag struct {
	Step        int
	Add, Remove []string
}

// Survey invites the member to the tenant's survey Name, as event
// EventID: the invitation derives from it, so it is made once. OrderID
// is the order of the outcome that entered the member, if it had one.
type Survey struct {
	Step     int
	Name     string
	EventID  string
	MemberID string
	Phone    string
	OrderID  string
}

func (s Send) step() int   { return s.Step }
func (a Award) step() int  { return a.Step }
func (t Tag) step() int    { return t.Step }
func (s Survey) step() int { return s.Step }

// SurveyEventID is the event id a survey step of a member's entry into a
// journey invites with.
func SurveyEventID(tenant, journey, memberID, entryID string, step int) string {
	return event.DerivedID("ev_", "journey", "survey", tenant, journey, memberID, entryID, strconv.Itoa(step))
}

// Advance runs a member's due state from its step until a wait (the state
// stays active, due when the wait ends, at the step after it), the end
// (completed) or a false condition (exited, JourneyReasonCondition), and
// returns what the steps it ran do. A wait_for step keeps the state at it,
// waiting for its event (WaitFor, WaitSince, WaitDeadline) and due at the
// deadline; once the event came (env.Came) or the deadline passed, the
// state goes to the branch's step, due now, and Advance returns before
// running it, so that the branch taken is written before any of its
// steps run. A step that fails on the member's data exits the state with
// JourneyReasonError and returns the error with the actions of the steps
// before it. A send or a survey to a member without a phone is skipped.
func (j *Journey) Advance(s store.JourneyState, now time.Time, env Env) ([]Action, store.JourneyState, error) {
	loc := env.Location
	if loc == nil {
		loc = time.UTC
	}
	m := env.Member
	o := j.outcome(s, m)
	var out []Action
	if s.WaitFor != "" && (s.Step >= len(j.steps) || j.steps[s.Step].waitFor == "") {
		s = stopWaiting(s) // the journey changed under the wait
	}
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
		case st.waitFor != "":
			if s.WaitFor == "" {
				// From the second it began: WhatsApp stamps a message in
				// whole seconds, and a reply that quick must count.
				s.WaitFor, s.WaitSince, s.WaitDeadline = st.waitFor, now.Truncate(time.Second), now.Add(st.within)
				s.DueAt = s.WaitDeadline
				return out, s, nil
			}
			next := st.then
			if !env.Came {
				if now.Before(s.WaitDeadline) {
					s.DueAt = s.WaitDeadline // woken early for nothing: wait on
					return out, s, nil
				}
				next = st.otherwise
			}
			s = stopWaiting(s)
			s.Step, s.DueAt = next, now
			if next >= len(j.steps) {
				s.Status = store.JourneyCompleted
			}
			return out, s, nil
		case st.jump:
			s.Step = st.to
			continue
		case st.cond != nil:
			ok, err := st.cond.Eval(j.Tenant, o)
			if err != nil {
				return out, exit(s, store.JourneyReasonError), fmt.Errorf("journey %q, steps[%d].if: %w", j.Name(), i, err)
			}
			if !ok {
				return out, exit(s, store.JourneyReasonCondition), nil
			}
		case st.send != nil:
			if !reachable(o.Member.Phone) {
				break
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
		case st.tag != nil:
			out = append(out, Tag{Step: i, Add: st.tag.Add, Remove: st.tag.Remove})
			// The steps after it see the member as tagged.
			m.Profile.Tags = member.Retag(m.Profile.Tags, st.tag.Add, st.tag.Remove)
			o = j.outcome(s, m)
		case st.survey != "":
			if !reachable(o.Member.Phone) {
				break
			}
			trigger, _ := o.Data["trigger"].(map[string]any)
			order, _ := trigger["order_id"].(string)
			out = append(out, Survey{Step: i, Name: st.survey, MemberID: m.ID, Phone: m.Phone, OrderID: order,
				EventID: SurveyEventID(j.Tenant, j.Name(), s.MemberID, s.EntryID, i)})
		}
		s.Step = i + 1
	}
	s.Status, s.DueAt = store.JourneyCompleted, now
	return out, s, nil
}

// reachable reports whether a member's phone can be written to.
func reachable(phone string) bool {
	return phone != "" && !strings.HasPrefix(phone, store.RedactedPrefix)
}

// stopWaiting clears what a state waited for.
func stopWaiting(s store.JourneyState) store.JourneyState {
	s.WaitFor, s.WaitSince, s.WaitDeadline = "", time.Time{}, time.Time{}
	return s
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
