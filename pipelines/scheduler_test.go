package pipelines_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/all"
	"github.com/loyalhub/loyalhub/pipelines"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
	"github.com/loyalhub/loyalhub/pipelines/schedule"
)

// scheduledProgram holds points for one day, expires them five days after
// they are earned and announces that two days before, with a notification
// for each step.
func scheduledProgram(cfg string) string {
	cfg = strings.Replace(cfg, `          spend:
            unit: "10000"
            points: 1
`, `          pending_days: 1
          spend:
            unit: "10000"
            points: 1
      expiry:
        policy: after_days
        days: 5
        remind_days_before: 2
`, 1)
	for _, on := range []string{"points.activated", "points.expiring", "points.expired"} {
		name := strings.ReplaceAll(on, ".", "_")
		cfg += `      - name: ` + name + `
        on: ` + on + `
        sender: whatsapp
        template:
          name: ` + name + `
          language: en
          body: ["string(data.points)"]
`
	}
	return cfg
}

func TestSchedulerActivatesRemindsAndExpires(t *testing.T) {
	h := newHarness(t, harnessOpts{
		env:  []string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true"},
		yaml: scheduledProgram,
	})
	ctx := context.Background()
	require.Equal(t, http.StatusOK, h.postSale(sale("S-SCHED", "081234567001", "Rina", "257500")))
	eventually(t, "the pending points", func() bool {
		m, ok := h.member("+6281234567001")
		return ok && m.Pending == 25 && m.Balance == 0
	})

	now := time.Now()
	sweep := func(holder string, at time.Time) schedule.SweepReport {
		reports := h.hub.Sweep(ctx, holder, at)
		require.Len(t, reports, 1)
		return reports[0]
	}
	assert.Equal(t, schedule.SweepReport{Tenant: "acme"}, sweep("a", now), "nothing is due inside the returns window")

	r := sweep("a", now.Add(3*24*time.Hour))
	assert.Equal(t, 1, r.Swept, "the returns window ended")
	m, _ := h.member("+6281234567001")
	assert.EqualValues(t, 25, m.Balance)
	assert.Zero(t, m.Pending)

	assert.True(t, sweep("b", now.Add(3*24*time.Hour)).Skipped, "another replica waits while the lease runs")

	r = sweep("a", now.Add(4*24*time.Hour))
	assert.Equal(t, 1, r.Reminded, "the points expire within two days")
	assert.Zero(t, sweep("a", now.Add(4*24*time.Hour+time.Hour)).Reminded, "an expiry date is announced once")

	r = sweep("a", now.Add(7*24*time.Hour))
	assert.Equal(t, 1, r.Swept, "the points expired")
	m, _ = h.member("+6281234567001")
	assert.Zero(t, m.Balance)

	eventually(t, "three notifications", func() bool { return h.sentTo("+6281234567001") == 3 })
	var names []string
	for _, msg := range h.sb.Messages() {
		name, params := templateOf(t, msg)
		names = append(names, name)
		assert.Equal(t, []string{"25"}, params, name)
	}
	assert.ElementsMatch(t, []string{"points_activated", "points_expiring", "points_expired"}, names)
}

// A configuration written when sweeps updated members concurrently still
// starts the hub, which says in its log that the old key is ignored.
func TestHubLogsTheDeprecatedSchedulerConcurrency(t *testing.T) {
	reg := connectors.NewRegistry()
	all.Register(reg)
	s, err := hubconfig.Parse([]byte("pipeline:\n  scheduler:\n    concurrency: 16\n"), []string{"LOYALHUB_DATA_DIR=" + t.TempDir()}, reg)
	require.NoError(t, err)
	var logs bytes.Buffer
	hub, err := pipelines.New(s, pipelines.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	require.NoError(t, hub.Close(context.Background()))
	assert.Contains(t, logs.String(), "level=WARN")
	assert.Contains(t, logs.String(), "pipeline.scheduler.concurrency: deprecated and ignored")
}
