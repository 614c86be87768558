package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/loyalhub/loyalhub/pipelines"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
	"github.com/loyalhub/loyalhub/pipelines/send"
)

func templatesCmd() *cobra.Command {
	var path, tenant, format string
	cmd := &cobra.Command{
		Use:   "templates",
		Short: "List each tenant's approved WhatsApp templates and check the notifications against them",
		Long: `templates fetches, from the BSP, the message templates of every sender that
can list them (whatsapp_cloud with waba_id, whatsapp_360dialog), prints them
per tenant with their status, category and parameters, and reports every
notification whose template is missing, unapproved or given the wrong
parameters. It exits 1 when a listing fails or a notification does not fit.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := hubconfig.Load(path, os.Environ(), registry())
			if err != nil {
				printConfigErrors(cmd.ErrOrStderr(), err)
				return exitError{}
			}
			hub, err := pipelines.New(s, pipelines.Options{})
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var lists []send.TenantTemplates
			for _, l := range hub.ListTemplates(ctx) {
				if tenant == "" || l.Tenant == tenant {
					lists = append(lists, l)
				}
			}
			bad := false
			for _, l := range lists {
				bad = bad || l.Err != nil || len(l.Problems) > 0
			}
			switch format {
			case "json":
				err = printTemplatesJSON(cmd.OutOrStdout(), lists)
			case "table":
				err = printTemplatesTable(cmd.OutOrStdout(), lists)
			default:
				return fmt.Errorf("--format must be table or json, got %q", format)
			}
			if err != nil {
				return err
			}
			if bad {
				return exitError{}
			}
			return nil
		},
	}
	configPathFlag(cmd, &path)
	cmd.Flags().StringVar(&tenant, "tenant", "", "only this tenant")
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	return cmd
}

func printTemplatesTable(w io.Writer, lists []send.TenantTemplates) error {
	if len(lists) == 0 {
		_, err := fmt.Fprintln(w, "no sender can list templates (set waba_id on whatsapp_cloud connectors)")
		return err
	}
	for _, l := range lists {
		fmt.Fprintf(w, "tenant %s, sender %s:\n", l.Tenant, l.Sender)
		if l.Err != nil {
			fmt.Fprintf(w, "  listing failed: %v\n\n", l.Err)
			continue
		}
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  NAME\tLANGUAGE\tSTATUS\tCATEGORY\tHEADER\tBODY PARAMS\tBUTTONS")
		for _, t := range l.Templates {
			var buttons []string
			for _, b := range t.Buttons {
				s := strings.ToLower(b.Type)
				if b.Dynamic {
					s += "*"
				}
				buttons = append(buttons, s)
			}
			header := strings.ToLower(t.HeaderFormat)
			if len(t.HeaderParams) > 0 {
				header += "(" + strings.Join(t.HeaderParams, ",") + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Language, t.Status, t.Category,
				dash(header), dash(strings.Join(t.BodyParams, ",")), dash(strings.Join(buttons, ",")))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(l.Problems) == 0 {
			fmt.Fprintln(w, "  every notification's template fits")
		}
		for _, p := range l.Problems {
			fmt.Fprintln(w, "  problem: "+p)
		}
		fmt.Fprintln(w)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func printTemplatesJSON(w io.Writer, lists []send.TenantTemplates) error {
	type out struct {
		Tenant    string    `json:"tenant"`
		Sender    string    `json:"sender"`
		Error     string    `json:"error,omitempty"`
		Problems  []string  `json:"problems,omitempty"`
		Templates any       `json:"templates"`
		Listed    time.Time `json:"listed_at"`
	}
	res := make([]out, 0, len(lists))
	for _, l := range lists {
		o := out{Tenant: l.Tenant, Sender: l.Sender, Problems: l.Problems, Templates: l.Templates, Listed: time.Now().UTC()}
		if l.Err != nil {
			o.Error = l.Err.Error()
		}
		res = append(res, o)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
