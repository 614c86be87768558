package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/loyalhub/loyalhub/pipelines"
	"github.com/loyalhub/loyalhub/pipelines/loadtest"
)

func benchCmd() *cobra.Command {
	cfg := loadtest.Config{}
	var asJSON bool
	var wrkDir string
	var wrkSales, wrkThreads int
	csv := loadtest.CSVConfig{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Drive unique signed sales at a running hub and check every one was delivered once",
		Long: `Sends unique signed sales (each with its own phone number) to a running hub
over HTTP: POS sales, or with --source shopify paid Shopify orders signed and
headed as Shopify sends them; --rate paces them. Then waits until the sandbox
BSP has received a WhatsApp message for every accepted sale. Reports accepted
sales per second, ingest latency percentiles, end-to-end deliveries per
second, the hub's peak RSS (from its /metrics), and how many sales were lost
or messaged twice.

Start the target with 'loyalhub demo' first; the defaults match it.

With --wrk-dir it writes pre-signed unique sales and a Lua script for the
wrk load generator instead, whose C client leaves more CPU to the hub.

With --csv-dir and --csv-rows it drops one CSV export of that many rows into
a csv_drop connector's folder and times it until the hub's process stage has
processed every row.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if csv.Dir != "" {
				csv.HubURL = cfg.HubURL
				rep, err := loadtest.RunCSV(cmd.Context(), csv)
				if asJSON {
					enc := json.NewEncoder(cmd.OutOrStdout())
					enc.SetIndent("", "  ")
					_ = enc.Encode(rep)
				} else {
					fmt.Fprint(cmd.OutOrStdout(), rep.String())
				}
				return err
			}
			if cfg.Source == loadtest.SourceShopify {
				if !cmd.Flags().Changed("connector") {
					cfg.Connector = "shop"
				}
				if !cmd.Flags().Changed("secret") {
					cfg.Secret = pipelines.DemoShopifySecret
				}
			}
			if wrkDir != "" {
				script, err := loadtest.WriteWrk(wrkDir, cfg.Secret, wrkSales, wrkThreads)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %d signed sales for %d wrk threads; run:\n  wrk -t%d -c%d -d30s --latency -s %s %s/hooks/%s/%s\n",
					wrkSales, wrkThreads, wrkThreads, cfg.Connections, script, cfg.HubURL, cfg.Tenant, cfg.Connector)
				return nil
			}
			rep, err := loadtest.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				fmt.Fprint(cmd.OutOrStdout(), rep.String())
			}
			if rep.Lost > 0 || rep.Duplicated > 0 {
				return fmt.Errorf("%d sale(s) lost, %d message(s) duplicated", rep.Lost, rep.Duplicated)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.HubURL, "url", "http://127.0.0.1:8080", "hub base URL; several, comma-separated, spread the connections over replicas")
	f.StringVar(&cfg.Tenant, "tenant", pipelines.DemoTenant, "tenant id")
	f.StringVar(&cfg.Source, "source", loadtest.SourcePOS, "what to send: pos (plain JSON sales) or shopify (orders/paid webhooks)")
	f.StringVar(&cfg.Connector, "connector", "pos", "the tenant's connector of that source (default shop for --source shopify)")
	f.StringVar(&cfg.ShopDomain, "shop-domain", pipelines.DemoShopDomain, "X-Shopify-Shop-Domain of --source shopify")
	f.Float64Var(&cfg.Rate, "rate", 0, "requests per second in all (0: as fast as the connections allow)")
	f.StringVar(&cfg.Secret, "secret", pipelines.DemoPOSSecret, "the connector's signing secret (default the demo's, of the source)")
	f.StringVar(&csv.Dir, "csv-dir", "", "drop a CSV export into this csv_drop folder instead, and time it")
	f.IntVar(&csv.Rows, "csv-rows", 1_000_000, "rows of the CSV export with --csv-dir")
	f.DurationVar(&csv.Timeout, "csv-timeout", 30*time.Minute, "how long to wait for the CSV export's rows")
	f.StringVar(&cfg.SandboxURL, "sandbox", "http://127.0.0.1:9090", "sandbox BSP base URL (empty: skip delivery checks)")
	f.IntVar(&cfg.Connections, "connections", 64, "concurrent connections")
	f.DurationVar(&cfg.Duration, "duration", 60*time.Second, "how long to send")
	f.IntVar(&cfg.MaxSales, "sales", 0, "stop after this many sales (0: send for --duration)")
	f.DurationVar(&cfg.Drain, "drain", 5*time.Minute, "how long to wait for deliveries after sending stops")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	f.StringVar(&wrkDir, "wrk-dir", "", "instead of sending, write pre-signed unique sales and a script for the wrk load generator into this directory")
	f.IntVar(&wrkSales, "wrk-sales", 1_000_000, "sales to write with --wrk-dir")
	f.IntVar(&wrkThreads, "wrk-threads", 2, "wrk threads (one sales file each) with --wrk-dir")
	return cmd
}
