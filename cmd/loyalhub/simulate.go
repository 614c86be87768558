package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/pipelines/simulate"
)

// simulateGCPercent is the garbage collector's target for a simulation
// without GOGC: the sandbox's record of a month at a million members
// (about a gigabyte) kept the collector scanning two fifths of the time
// at the default 100.
const simulateGCPercent = 400

func simulateCmd() *cobra.Command {
	o := simulate.Options{}
	var report string
	var paceOnly bool
	var campaignRate int
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Play a simulated month through the hub and the sandbox BSP, and audit what WhatsApp received",
		Long: `Runs the hub in this process with the sandbox BSP, on SQLite in --data-dir
(or PostgreSQL with --postgres), imports --members members (six in ten opted
in to marketing, from Indonesia, Turkey, Italy, the Emirates and the US),
then plays --days days on a simulated clock: POS sales and Shopify orders
through the signed webhooks, customers asking for their balance, joining
and writing STOP in the sandbox's chat, two campaigns to segments, the
shipped journeys, a quality drop and a messaging-limit change.

At the end an auditor reads the sandbox's own record and counts the
messages that broke WhatsApp's rules: free-form outside the customer's
24-hour window, marketing without opt-in or after STOP, more in a second
than the number's throughput, more new customers in 24 hours than the
messaging limit. The report (violations, messages by category, the funnel
by origin, the cost) is printed and written to --report.json and .md. It
exits 1 when the auditor found a violation.

--pace-only instead sends one campaign to --members opted-in members with
the number at --per-second and reports the rate the sandbox accepted them
at over the steady part of the run, and the status webhooks that followed.

The sandbox keeps every message it accepted in memory for the auditor (a
million members' month is about a gigabyte), which made the garbage
collector most of the run's work: unless GOGC is set, the simulation runs
with GOGC=400.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(simulateGCPercent)
			}
			if o.DataDir == "" {
				dir, err := os.MkdirTemp("", "loyalhub-simulate-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(dir)
				o.DataDir = dir
			}
			o.Logger = newLogger(config.Log{Level: "error"}, cmd.ErrOrStderr())
			o.Progress = cmd.ErrOrStderr()
			out := cmd.OutOrStdout()
			if paceOnly {
				rep, err := simulate.Pace(cmd.Context(), simulate.PaceOptions{Members: o.Members, PerSecond: o.PerSecond,
					CampaignRate: campaignRate, DataDir: o.DataDir, PostgresDSN: o.PostgresDSN, Logger: o.Logger, Progress: o.Progress})
				if err != nil {
					return err
				}
				fmt.Fprint(out, rep.String())
				if report != "" {
					raw, _ := json.MarshalIndent(rep, "", "  ")
					return os.WriteFile(report+".json", append(raw, '\n'), 0o644)
				}
				return nil
			}
			rep, err := simulate.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprint(out, rep.Markdown())
			if report != "" {
				if err := os.MkdirAll(filepath.Dir(report), 0o755); err != nil {
					return err
				}
				if err := rep.WriteFiles(report); err != nil {
					return err
				}
			}
			if n := rep.Audit.Total(); n > 0 {
				return fmt.Errorf("%d policy violation(s)", n)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Members, "members", 10_000, "members of the simulated tenant")
	f.IntVar(&o.Days, "days", 30, "days to play")
	f.IntVar(&o.PerSecond, "per-second", 1000, "the number's throughput, messages per second")
	f.Uint64Var(&o.Seed, "seed", 1, "random seed: the same seed plays the same month")
	f.StringVar(&o.DataDir, "data-dir", "", "directory for the queue and the SQLite database (default: a temporary one, removed after)")
	f.StringVar(&o.PostgresDSN, "postgres", "", "store in this PostgreSQL database (a fresh one) instead of SQLite")
	f.StringVar(&report, "report", "simulation", "write the report to this path plus .json and .md (empty: print only)")
	f.BoolVar(&paceOnly, "pace-only", false, "measure a campaign's sending rate against --per-second instead of playing a month")
	f.IntVar(&campaignRate, "campaign-rate", 0, "with --pace-only, the campaign's own pace (default twice --per-second)")
	return cmd
}
