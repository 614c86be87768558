// Command loyalhub runs the loyalhub integration hub: webhooks from shops,
// CRMs and POS systems in, loyalty points in the middle, WhatsApp messages
// out.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/all"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/pipelines"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

// defaultMemoryLimit is the soft limit on the Go heap applied when GOMEMLIMIT
// is not set: the embedded queue's block caches otherwise grow with the
// ingest rate. It leaves about 100 MiB under 512 MiB for what the Go heap
// does not hold (SQLite's page caches, stacks, the runtime).
const defaultMemoryLimit = 400 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		var exit exitError
		if !errors.As(err, &exit) {
			fmt.Fprintln(os.Stderr, "loyalhub:", err)
		}
		os.Exit(1)
	}
}

// exitError ends the process with status 1 after the command has already
// printed what went wrong.
type exitError struct{}

func (exitError) Error() string { return "exit 1" }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "loyalhub",
		Short:         "WhatsApp loyalty integration hub",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), validateCmd(), templatesCmd(), demoCmd(), sandboxCmd(), benchCmd(), programCmd(), mappingCmd(), conversationCmd(), versionCmd())
	root.AddCommand(healthCmd(), keysCmd(), simulateCmd())
	return root
}

func registry() *connectors.Registry {
	reg := connectors.NewRegistry()
	all.Register(reg)
	return reg
}

func configPathFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVarP(path, "config", "c", os.Getenv("LOYALHUB_CONFIG"),
		"YAML config file (default $LOYALHUB_CONFIG; empty: defaults and LOYALHUB_* environment only)")
}

func serveCmd() *cobra.Command {
	var path string
	var watch bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the hub with a config file",
		Long: `Runs the hub with a config file (the file, then LOYALHUB_* environment
variables).

The tenants' settings reload without a restart on SIGHUP, on
POST /api/v1/config/reload, and when the config file changes (--watch). A
reloaded config with errors is refused, each error logged with its key path,
and the running one goes on; so is one that changes a key outside tenants,
which needs a restart.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg := registry()
			load := func() (*hubconfig.Settings, error) { return hubconfig.Load(path, os.Environ(), reg) }
			s, err := load()
			if err != nil {
				printConfigErrors(cmd.ErrOrStderr(), err)
				return exitError{}
			}
			watched := path
			if !watch {
				watched = ""
			}
			return runHub(cmd.Context(), s, load, watched, cmd.ErrOrStderr())
		},
	}
	configPathFlag(cmd, &path)
	cmd.Flags().BoolVar(&watch, "watch", true, "reload the tenants' settings when the config file changes")
	return cmd
}

// runHub runs the hub of s until ctx ends, reloading its configuration with
// load on SIGHUP and, when watch names the config file, when it changes.
func runHub(ctx context.Context, s *hubconfig.Settings, load func() (*hubconfig.Settings, error), watch string, logOut io.Writer) error {
	logger := newLogger(s.Config.Log, logOut)
	hub, err := pipelines.New(s, pipelines.Options{Logger: logger, Load: load, Version: buildVersion()})
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stop()
	hups := make(chan os.Signal, 1)
	signal.Notify(hups, syscall.SIGHUP)
	defer signal.Stop(hups)
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hups:
				_ = hub.Reloader().Reload() // logged and counted
			}
		}
	})
	if watch != "" {
		wg.Go(func() {
			if err := hub.Reloader().Watch(ctx, watch, pipelines.DefaultReloadDebounce); err != nil {
				logger.Warn("the config file is not watched: reload with SIGHUP", "error", err)
			}
		})
	}
	return hub.Run(ctx)
}

func validateCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check a config file and print every error with its key path",
		Long: `Loads the config as serve does (the file, then LOYALHUB_* environment
variables) and prints every error with its key path: unknown keys, missing
values, connectors' settings, mappings that do not compile, and on: types
of rules and notifications the hub does not know (with the known ones).

Exits with status 1 when the config has errors, and when there was nothing
to validate: no config file (-c or $LOYALHUB_CONFIG) and no tenant in the
environment.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := hubconfig.Load(path, os.Environ(), registry())
			if err != nil {
				printConfigErrors(cmd.ErrOrStderr(), err)
				return exitError{}
			}
			if path == "" && len(s.Config.Tenants) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "validated nothing: no config file was given (-c FILE or $LOYALHUB_CONFIG)"+
					" and the LOYALHUB_* environment defines no tenant")
				return exitError{}
			}
			for _, w := range s.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning: "+w)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "config is valid: %d tenant(s)\n", len(s.Config.Tenants))
			return nil
		},
	}
	configPathFlag(cmd, &path)
	return cmd
}

func printConfigErrors(w io.Writer, err error) {
	var errs config.Errors
	if errors.As(err, &errs) {
		fmt.Fprintf(w, "config has %d error(s):\n", len(errs))
		for _, e := range errs {
			fmt.Fprintln(w, "  "+e.Error())
		}
		return
	}
	fmt.Fprintln(w, "config:", err)
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "loyalhub", buildVersion())
		},
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		return v
	}
	return "unknown"
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
