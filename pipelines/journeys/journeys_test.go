package journeys

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/journey"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

var t0 = time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)

// fixture is a runner on a SQLite store with one member and one journey
// (send, award, wait 1h, send), recording what it queues and awards.
type fixture struct {
	r        *Runner
	st       *sqlite.Store
	path     string
	t        *runtime.Tenant
	now      time.Time
	memberID string
	queued   []messaging.Command
	awarded  []string
	invited  []journey.Survey
	// failQueue fails the next enqueue; onQueue runs at each; awardErr
	// fails every award.
	failQueue bool
	onQueue   func()
	awardErr  error
}

func setup(t testing.TB, steps ...config.JourneyStep) *fixture {
	t.Helper()
	f := &fixture{now: t0, path: filepath.Join(t.TempDir(), "loyalhub.db")}
	f.st = sqlite.New(f.path).WithClock(func() time.Time { return f.now })
	ctx := context.Background()
	require.NoError(t, f.st.Migrate(ctx))
	t.Cleanup(func() { _ = f.st.Close() })
	res, err := f.st.Transact(ctx, "acme", "ev_join", store.AccountRef{Phone: "+6281200000001", Name: "Sari", Create: true},
		t0, func(*loyalty.Account) error { return nil })
	require.NoError(t, err)
	f.memberID = res.Member.ID
	if len(steps) == 0 {
		steps = []config.JourneyStep{{Send: send("hi")}, {Award: 10}, {Wait: time.Hour}, {Send: send("hi")}}
	}
	j, err := journey.Compile("acme", config.Journey{Name: "welcome", Sender: "wa", Trigger: config.JourneyTrigger{On: "member.joined"},
		Steps: steps})
	require.NoError(t, err)
	f.t = &runtime.Tenant{ID: "acme", Location: time.UTC, Journeys: []*journey.Journey{j}}
	f.r = &Runner{Store: f.st, Tenants: runtime.NewTenants(runtime.Snapshot{"acme": f.t}), Now: func() time.Time { return f.now },
		Enqueue: func(_ context.Context, cmds []messaging.Command) error {
			if f.onQueue != nil {
				f.onQueue()
			}
			if f.failQueue {
				f.failQueue = false
				return errors.New("store unavailable")
			}
			f.queued = append(f.queued, cmds...)
			return nil
		},
		Transact: func(_ context.Context, _ *runtime.Tenant, _, eventID string, ref store.AccountRef, _ time.Time,
			_ func(*loyalty.Account) error) (store.AccountResult, error) {
			if f.awardErr != nil {
				return store.AccountResult{}, f.awardErr
			}
			f.awarded = append(f.awarded, eventID)
			return store.AccountResult{}, nil
		},
		Invite: func(_ context.Context, _ *runtime.Tenant, s journey.Survey, _ time.Time) error {
			f.invited = append(f.invited, s)
			return nil
		}}
	return f
}

// send is a send step of a template filled with the member's first name.
func send(name string) *config.JourneySend {
	return &config.JourneySend{Category: "utility", Template: config.NotificationTmpl{Name: name, Language: "en", Body: []string{"data.first_name"}}}
}

func (f *fixture) enter(t *testing.T, entryID string) {
	t.Helper()
	require.NoError(t, f.st.EnterJourneys(context.Background(), "acme",
		[]store.JourneyGoal{{Journey: "welcome", MemberID: f.memberID, At: f.now}},
		[]store.JourneyEntry{{Journey: "welcome", MemberID: f.memberID, EntryID: entryID, ReEntry: config.ReEntryAlways, At: f.now}}))
}

func (f *fixture) state(t *testing.T) store.JourneyState {
	t.Helper()
	s, err := f.st.JourneyState(context.Background(), "acme", "welcome", f.memberID)
	require.NoError(t, err)
	return s
}

func TestRunDueRetriesAFailedStepUnderTheSameKeys(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.enter(t, "jen_1")
	f.failQueue = true
	n, err := f.r.RunDue(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Equal(t, 0, f.state(t).Step, "the state stays as it was")
	n, err = f.r.RunDue(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "leased: not run again before the lease ends")

	f.now = f.now.Add(DefaultLease)
	n, err = f.r.RunDue(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	require.Len(t, f.queued, 1)
	assert.Equal(t, journey.MessageKey("acme", "welcome", f.memberID, "jen_1", 0), f.queued[0].Key)
	assert.Equal(t, "Sari", f.queued[0].Template.Body[0].Text)
	assert.Equal(t, []string{journey.AwardEventID("acme", "welcome", f.memberID, "jen_1", 1)}, f.awarded)
	s := f.state(t)
	assert.Equal(t, 3, s.Step)
	assert.Equal(t, f.now.Add(time.Hour), s.DueAt)

	f.now = f.now.Add(time.Hour)
	n, err = f.r.RunDue(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	require.Len(t, f.queued, 2)
	assert.Equal(t, "journey:welcome/3", f.queued[1].Origin)
	assert.Equal(t, store.JourneyCompleted, f.state(t).Status)
}

func TestRunDueLeavesANewerEntryAlone(t *testing.T) {
	f := setup(t)
	f.enter(t, "jen_1")
	// While the runner works on the first entry, the member's order
	// exits and enters them again.
	f.onQueue = func() {
		f.onQueue = nil
		f.enter(t, "jen_2")
	}
	_, err := f.r.RunDue(context.Background())
	require.NoError(t, err)
	s := f.state(t)
	assert.Equal(t, "jen_2", s.EntryID)
	assert.Equal(t, 0, s.Step, "the newer entry starts from its first step")
	assert.Equal(t, store.JourneyActive, s.Status)
}

func TestRunDueExitsWhatCannotRun(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.enter(t, "jen_1")
	f.t.Journeys = nil // removed from the configuration
	_, err := f.r.RunDue(ctx)
	require.NoError(t, err)
	s := f.state(t)
	assert.Equal(t, store.JourneyExited, s.Status)
	assert.Equal(t, ReasonRemoved, s.Reason)
	assert.Empty(t, f.queued)

	require.NoError(t, f.st.EnterJourneys(ctx, "acme", nil, []store.JourneyEntry{
		{Journey: "welcome", MemberID: "mem_gone", EntryID: "jen_x", At: f.now}}))
	f.t.Journeys = setup(t).t.Journeys
	_, err = f.r.RunDue(ctx)
	require.NoError(t, err)
	gone, err := f.st.JourneyState(ctx, "acme", "welcome", "mem_gone")
	require.NoError(t, err)
	assert.Equal(t, store.JourneyExited, gone.Status, "a member who no longer exists")
	assert.Equal(t, store.JourneyReasonError, gone.Reason)
}

func TestRunDueExitsOnAPermanentFailure(t *testing.T) {
	f := setup(t)
	f.enter(t, "jen_1")
	f.awardErr = fmt.Errorf("award: %w", loyalty.ErrBadEvent)
	_, err := f.r.RunDue(context.Background())
	require.NoError(t, err)
	s := f.state(t)
	assert.Equal(t, store.JourneyExited, s.Status)
	assert.Equal(t, store.JourneyReasonError, s.Reason)
	assert.Equal(t, 0, s.Step, "left where the run started")
	assert.Len(t, f.queued, 1, "the send before the award stands")
}
