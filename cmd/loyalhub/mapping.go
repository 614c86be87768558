package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/mappings"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
)

func mappingCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mapping",
		Short: "Try and check the jq mappings that turn payloads into events",
	}
	cmd.AddCommand(mappingTestCmd(), mappingLintCmd())
	return cmd
}

func mappingTestCmd() *cobra.Command {
	var (
		connector, topic, mappingFile, path, tenant string
		meta                                        []string
	)
	cmd := &cobra.Command{
		Use:   "test --connector TYPE [--topic TOPIC] PAYLOAD",
		Short: "Map one payload and print the normalized events",
		Long: `Runs a mapping over one payload (a file, or - for standard input) and prints
the events it yields as JSON, or the error with its place in the jq program.

The mapping is the bundled one of the connector type named by --connector
(shopify, hubspot, pos_webhook, csv_drop, whatsapp_cloud…); with -c and
--tenant, --connector names one of the tenant's connectors and its
effective mapping (the tenant's override, or the bundled one) is used; with
--mapping, the jq program in that file. --topic is the provider's topic
(Shopify's X-Shopify-Topic), --meta key=value what the source reads from
the request besides the body ($meta.source), such as
include_test_orders=true. HubSpot's and the POS presets' mappings read the
body as their source enriches it (see docs/connectors).

Exits with status 1 when the mapping fails.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := readPayload(cmd.InOrStdin(), args[0])
			if err != nil {
				return err
			}
			d := event.Delivery{
				Tenant: "test", Connector: connector, Kind: connector, DeliveryID: "test",
				Topic: topic, ReceivedAt: time.Now().UTC().Truncate(time.Second),
			}
			for _, kv := range meta {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return fmt.Errorf("--meta %q: want key=value", kv)
				}
				if d.Meta == nil {
					d.Meta = map[string]string{}
				}
				d.Meta[k] = v
			}
			m, err := mappingFor(cmd, path, tenant, connector, mappingFile, &d)
			if err != nil {
				return err
			}
			events, err := m.prog.Run(cmd.Context(), d, body)
			if err != nil {
				loc, found := m.prog.LocateRun(cmd.Context(), d, body, err)
				printMappingError(cmd.ErrOrStderr(), loc, found, m.file, err)
				return exitError{}
			}
			if len(events) == 0 {
				explainNoEvents(cmd.ErrOrStderr(), m, topic)
				events = []event.Event{}
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(events)
		},
	}
	cmd.Flags().StringVar(&connector, "connector", "", "connector type (or, with -c, the tenant's connector name)")
	cmd.Flags().StringVar(&topic, "topic", "", "the provider's topic of the payload, such as orders/paid")
	cmd.Flags().StringArrayVar(&meta, "meta", nil, "source meta key=value ($meta.source), repeatable")
	cmd.Flags().StringVar(&mappingFile, "mapping", "", "a jq mapping file to run instead")
	cmd.Flags().StringVar(&tenant, "tenant", "", "with -c: the tenant whose connector's mapping runs")
	configPathFlag(cmd, &path)
	return cmd
}

// testedMapping is the mapping mapping test runs: the compiled program,
// its file for messages, and the bundled mapping it is or overrides ("" for
// a file of the user's).
type testedMapping struct {
	prog    *mappings.Program
	file    string
	bundled string
}

// mappingFor compiles the mapping mapping test runs. It fills the
// delivery's tenant and kind from the config.
func mappingFor(cmd *cobra.Command, path, tenant, connector, mappingFile string, d *event.Delivery) (testedMapping, error) {
	switch {
	case mappingFile != "":
		src, err := os.ReadFile(mappingFile)
		if err != nil {
			return testedMapping{}, err
		}
		prog, err := mappings.Compile(mappingFile, string(src))
		if err != nil {
			return testedMapping{}, err
		}
		return testedMapping{prog: prog, file: mappingFile}, nil
	case connector == "":
		return testedMapping{}, errors.New("--connector or --mapping is required")
	case tenant != "":
		if path == "" {
			return testedMapping{}, errors.New("--tenant needs the config (-c)")
		}
		s, err := hubconfig.Load(path, os.Environ(), registry())
		if err != nil {
			printConfigErrors(cmd.ErrOrStderr(), err)
			return testedMapping{}, exitError{}
		}
		cs, ok := s.Connectors[tenant][connector]
		if !ok || cs.Program == nil {
			return testedMapping{}, fmt.Errorf("tenant %q has no source connector %q", tenant, connector)
		}
		d.Tenant, d.Kind = tenant, cs.Spec.Name
		return testedMapping{
			prog: cs.Program, file: fmt.Sprintf("tenants.%s.connectors.%s.mapping", tenant, connector),
			bundled: cs.BundledMapping(),
		}, nil
	}
	// A connector type, or the name of a bundled mapping (a POS preset's).
	name := connector
	if spec, ok := registry().Lookup(connector); ok {
		name = spec.Mapping
	}
	src, ok := mappings.Bundled(name)
	if !ok {
		return testedMapping{}, fmt.Errorf("unknown connector type or mapping %q (known: %s)", connector, strings.Join(mappings.Names(), ", "))
	}
	prog, err := mappings.Compile(name, src)
	if err != nil {
		return testedMapping{}, err
	}
	return testedMapping{prog: prog, file: "mappings/" + name + ".jq", bundled: name}, nil
}

// explainNoEvents says why a mapping that ran without error yielded no
// event: most often a mapping that chooses by the provider's topic run
// without one.
func explainNoEvents(w io.Writer, m testedMapping, topic string) {
	readsTopic := strings.Contains(m.prog.Source(), "$meta.topic")
	var topics []string
	if samples, err := mappings.Samples(m.bundled); err == nil {
		seen := map[string]bool{}
		for _, s := range samples {
			if s.Topic != "" && !seen[s.Topic] {
				seen[s.Topic] = true
				topics = append(topics, s.Topic)
			}
		}
		slices.Sort(topics)
	}
	switch {
	case topic == "" && readsTopic:
		fmt.Fprintf(w, "no events: no --topic was given, and %s chooses what to map by the provider's topic ($meta.topic,"+
			" such as Shopify's X-Shopify-Topic header): without one it maps nothing.\n", m.file)
		if len(topics) > 0 {
			fmt.Fprintf(w, "Give the payload's topic with --topic, one of: %s\n", strings.Join(topics, ", "))
		} else {
			fmt.Fprintln(w, "Give the payload's topic with --topic.")
		}
	case readsTopic:
		fmt.Fprintf(w, "no events: %s maps nothing for topic %q on this payload (a topic it ignores, or a payload it skips).\n", m.file, topic)
		if len(topics) > 0 {
			fmt.Fprintf(w, "Topics of its recorded samples: %s\n", strings.Join(topics, ", "))
		}
	default:
		fmt.Fprintf(w, "no events: %s yields nothing for this payload (it skips it: a payload of another kind, or one without what it maps).\n", m.file)
	}
}

func readPayload(stdin io.Reader, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

// printMappingError prints a failed run's error and, when it was found
// (mappings.Program.LocateRun), the line of the jq program that raised it.
func printMappingError(w io.Writer, loc mappings.Location, found bool, file string, err error) {
	fmt.Fprintln(w, "error:", err)
	if found {
		fmt.Fprintf(w, "  at %s:%d:%d\n", file, loc.Line, loc.Column)
		fmt.Fprintf(w, "  %s\n", strings.TrimRight(loc.Text, " \t"))
		fmt.Fprintf(w, "  %s^\n", strings.Repeat(" ", max(0, loc.Column-1)))
	}
}

func mappingLintCmd() *cobra.Command {
	var path, samples string
	cmd := &cobra.Command{
		Use:   "lint -c FILE [--samples DIR]",
		Short: "Check every tenant's mappings against recorded payloads",
		Long: `Loads the config as serve does (so every mapping compiles, or its error is
printed with its key path and line), then runs each source connector's
mapping over recorded payloads.

With --samples DIR, a connector with a folder of its own payloads in DIR is
linted against those alone. The folder is looked up in this order:

  DIR/<tenant>/<connector name>/   payloads of one tenant's connector
  DIR/<connector name>/            payloads of every tenant's connector of that name
  DIR/<connector type>/            payloads of every connector of that type

Each <case>.json in it is a request body as the source received it (save
what your shop or POS really sends); <case>.delivery.json beside it, when
there is one, gives the delivery's topic and what the source reads from the
request besides the body:

  {"topic": "orders/paid", "meta": {"shop_domain": "acme.myshopify.com"}}

Every payload of its own must map without error (an error, with the
mapping's line), and one that maps to no event is a warning.

A connector without a folder of its own is linted against the bundled
mapping's recorded payloads of its type: a tenant's mapping that fails a
payload the bundled mapping maps is an error. A custom mapping for another
payload shape needs its own samples.

Either way, an event type that no stage of the hub and no rule of the
tenant's program uses is a warning (a misspelt type is otherwise ignored).
Exits with status 1 on any error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := hubconfig.Load(path, os.Environ(), registry())
			if err != nil {
				printConfigErrors(cmd.ErrOrStderr(), err)
				return exitError{}
			}
			var opts hubconfig.LintOptions
			if samples != "" {
				if st, err := os.Stat(samples); err != nil || !st.IsDir() {
					return fmt.Errorf("--samples %s: not a folder", samples)
				}
				opts.Samples = os.DirFS(samples)
			}
			findings := hubconfig.LintMappings(cmd.Context(), s, opts)
			errs := 0
			for _, f := range findings {
				fmt.Fprintln(cmd.OutOrStdout(), f.String())
				if f.Severity == hubconfig.LintError {
					errs++
				}
			}
			n := 0
			for _, cs := range s.Connectors {
				for _, c := range cs {
					if c.Program != nil {
						n++
					}
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d mapping(s) checked, %d error(s), %d warning(s)\n", n, errs, len(findings)-errs)
			if errs > 0 {
				return exitError{}
			}
			return nil
		},
	}
	configPathFlag(cmd, &path)
	cmd.Flags().StringVar(&samples, "samples", "", "folder of your own recorded payloads, one subfolder per connector (see above)")
	return cmd
}
