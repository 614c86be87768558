package simulate

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSmallMonth plays 300 members for 3 days and proves the hub broke no
// rule the auditor knows while doing real work: messages sent, some
// skipped for want of consent, some after a STOP.
func TestSmallMonth(t *testing.T) {
	if testing.Short() {
		t.Skip("a simulation of three days")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o := Options{Members: 300, Days: 3, DataDir: t.TempDir(), Settle: 1500 * time.Millisecond, PerSecond: 200}
	if testing.Verbose() {
		o.Progress = os.Stderr
	}
	rep, err := Run(ctx, o)
	require.NoError(t, err)
	t.Log("\n" + rep.Markdown())
	assert.Zero(t, rep.Audit.Total(), "%+v", rep.Audit.Violations)
	var sent, noConsent, optedOut int64
	for _, f := range rep.Funnel {
		sent += f.Sent
		noConsent += f.Skipped["no_consent"]
		optedOut += f.Skipped["opted_out"]
	}
	assert.Positive(t, sent)
	assert.Positive(t, noConsent, "members who never opted in get no campaign")
	assert.Positive(t, optedOut, "members who said STOP get no campaign")
	assert.Positive(t, rep.Audit.ByCategory["marketing"])
	assert.Positive(t, rep.Audit.ByCategory["utility"])
	assert.Positive(t, rep.Audit.ByCategory["service"])
	assert.Positive(t, rep.Cost.Actual)
}

// TestPace sends a campaign to 600 opted-in members at 100 messages a
// second: the sandbox accepts them at that rate, within 5 %, never more in
// a second, and every status webhook reaches the hub.
func TestPace(t *testing.T) {
	if testing.Short() {
		t.Skip("a paced campaign of several seconds")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Pace(ctx, PaceOptions{Members: 600, PerSecond: 100, DataDir: t.TempDir()})
	require.NoError(t, err)
	t.Log("\n" + rep.String())
	assert.InDelta(t, 570, rep.Accepted, 30, "everyone but the 5 % holdout, placed by a hash")
	assert.InDelta(t, 1, rep.Ratio, 0.05)
	assert.LessOrEqual(t, rep.MaxSecond, 100)
	assert.Equal(t, 3*rep.Accepted, rep.Statuses)
}
