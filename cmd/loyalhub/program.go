package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/loyalhub/loyalhub/pipelines/programtest"
)

func programCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "program",
		Short: "Work with tenants' loyalty programs",
	}
	cmd.AddCommand(programTestCmd())
	return cmd
}

func programTestCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "test FILE...",
		Short: "Run loyalty program test files against their config",
		Long: `Runs the cases of each test file against the loyalty program of the tenant
it names: every case applies its events, sweeps and adjustments to a fresh
in-memory store through the same engine and store calls as the hub, then
checks the member's balance, pending points, outcomes and ledger.

Nothing external is needed: the config's ${VARIABLE} references get
placeholders, and the process environment is not read.

Prints PASS or FAIL for each case with every mismatch, then a summary. Exits
with status 1 when a case fails or a file cannot be loaded. The file format
is described in docs/program-tests.md.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			out := cmd.OutOrStdout()
			var passed, failed, broken int
			for _, file := range files {
				suite, err := programtest.Load(file)
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "ERROR %s\n%s\n", file, indent(err.Error()))
					broken++
					continue
				}
				rep := suite.Run(cmd.Context())
				printReport(out, rep)
				failed += rep.Failed()
				passed += len(rep.Cases) - rep.Failed()
			}
			fmt.Fprintf(out, "\n%d passed, %d failed", passed, failed)
			if broken > 0 {
				fmt.Fprintf(out, ", %d file(s) could not be loaded", broken)
			}
			fmt.Fprintln(out)
			if failed > 0 || broken > 0 {
				return exitError{}
			}
			return nil
		},
	}
}

func printReport(w io.Writer, rep programtest.Report) {
	fmt.Fprintln(w, rep.File)
	for _, c := range rep.Cases {
		if c.Passed() {
			fmt.Fprintf(w, "PASS  %s\n", c.Name)
			continue
		}
		fmt.Fprintf(w, "FAIL  %s\n", c.Name)
		for _, f := range c.Failures {
			fmt.Fprintf(w, "      %s\n", f)
		}
		for _, n := range c.Notes {
			fmt.Fprintf(w, "      note: %s\n", n)
		}
	}
}

// indent indents every line of s for printing under a heading.
func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
