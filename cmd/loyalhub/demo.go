package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/loyalhub/loyalhub/connectors/pos"
	"github.com/loyalhub/loyalhub/connectors/shopify"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/pipelines"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
)

// demoSale is the sample sale the demo prints a ready-signed curl for.
const demoSale = `{"sale_id":"S-1001","store_id":"JKT-01","customer":{"phone":"0812-3456-7890","name":"Sari"},"total":"257500.00","currency":"IDR"}`

func demoCmd() *cobra.Command {
	var listen, sandboxListen, dataDir string
	var printConfig bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the hub on embedded defaults with a demo tenant and the sandbox BSP",
		Long: `Runs the hub with the embedded queue and SQLite store, a tenant "demo" with a
POS webhook, a Shopify store, a CSV drop folder (<data-dir>/drops) and a
WhatsApp Cloud API connector, and the sandbox BSP in the same process.
Nothing external is needed.

--print-config prints the configuration the demo runs with the flags
given (addresses, data directory, the sandbox's URL) and exits; LOYALHUB_*
environment variables override it as they do any config.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			yamlConfig, err := pipelines.DemoConfigWith(pipelines.DemoFlags{
				Listen: listen, SandboxURL: "http://" + sandboxListen, DataDir: dataDir,
			})
			if err != nil {
				return err
			}
			if printConfig {
				_, err := cmd.OutOrStdout().Write(yamlConfig)
				return err
			}
			s, err := hubconfig.Parse(yamlConfig, os.Environ(), registry())
			if err != nil {
				printConfigErrors(cmd.ErrOrStderr(), err)
				return exitError{}
			}
			logger := newLogger(s.Config.Log, cmd.ErrOrStderr())
			sb, stopSandbox, err := startSandbox(cmd.Context(), sandboxListen, sandbox.Config{
				AccessToken: pipelines.DemoAccessToken,
				AppSecret:   pipelines.DemoAppSecret,
				WebhookURL:  "http://" + listen + "/hooks/" + pipelines.DemoTenant + "/whatsapp",
				Numbers: map[string]sandbox.Number{
					pipelines.DemoPhoneNumberID: {DisplayPhoneNumber: "15550000001", WABAID: "200000000000001"},
				},
				// As Meta does: only approved templates, free-form messages
				// only inside the customer's 24-hour window, and refusals
				// of accepted messages reported by status webhook.
				Templates: []messaging.TemplateInfo{
					{Name: "points_earned", Language: "en", Category: messaging.CategoryUtility, BodyParams: []string{"1", "2", "3"}},
				},
				EnforceWindow:   true,
				RefuseByWebhook: true,
			}, logger.With("component", "sandbox"))
			if err != nil {
				return err
			}
			defer stopSandbox()
			_ = sb
			hub, err := pipelines.New(s, pipelines.Options{Logger: logger})
			if err != nil {
				return err
			}
			if err := hub.Start(cmd.Context()); err != nil {
				return err
			}
			printDemoHelp(cmd.OutOrStdout(), listen, sandboxListen, filepath.Join(dataDir, "drops"))
			<-cmd.Context().Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			return hub.Close(ctx)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "hub address")
	cmd.Flags().StringVar(&sandboxListen, "sandbox-listen", "127.0.0.1:9090", "sandbox BSP address")
	cmd.Flags().StringVar(&dataDir, "data-dir", "./data/demo", "directory for the queue files and the database")
	cmd.Flags().BoolVar(&printConfig, "print-config", false, "print the configuration the demo runs with these flags, and exit")
	return cmd
}

// startSandbox serves the sandbox BSP on addr until the returned stop
// function is called.
func startSandbox(ctx context.Context, addr string, cfg sandbox.Config, logger *slog.Logger) (*sandbox.Server, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listening for the sandbox on %s: %w", addr, err)
	}
	sb := sandbox.New(cfg, logger)
	sb.Start(ctx)
	srv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("sandbox server stopped", "err", err)
		}
	}()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = sb.Close(ctx)
	}
	return sb, stop, nil
}

// demoOrder is the sample Shopify order the demo prints a ready-signed curl
// for (the fields the bundled mapping reads; Shopify sends many more).
const demoOrder = `{"id":5527838716048765432,"name":"#1001","email":"budi@example.com","phone":"+62 813-1111-2222","currency":"IDR","total_price":"150000.00","current_total_price":"150000.00","financial_status":"paid","test":false,"customer":{"id":7650019836099,"first_name":"Budi","last_name":"Santoso","phone":"+62 813-1111-2222"},"line_items":[{"sku":"BEANS-250","title":"Arabica Gayo 250 g","quantity":1,"price":"150000.00"}],"processed_at":"2026-12-06T10:00:00+07:00"}`

func printDemoHelp(w io.Writer, hub, sb, drops string) {
	sig := pos.Sign(pipelines.DemoPOSSecret, []byte(demoSale))
	shopSig := shopify.Sign(pipelines.DemoShopifySecret, []byte(demoOrder))
	fmt.Fprintf(w, `
loyalhub demo is running (Ctrl-C to stop)
  hub      http://%[1]s   (tenant "demo", admin token %[3]s)
  sandbox  http://%[2]s   (fake WhatsApp Cloud API)

Post a signed sale from the POS:
  curl -s -X POST http://%[1]s/hooks/demo/pos \
    -H 'X-Loyalhub-Signature: %[4]s' \
    -d '%[5]s'

The WhatsApp message the customer received:
  curl -s http://%[2]s/sandbox/messages

The member's balance and ledger:
  curl -s -H 'Authorization: Bearer %[3]s' 'http://%[1]s/api/v1/tenants/demo/members?phone=081234567890'
  curl -s -H 'Authorization: Bearer %[3]s' http://%[1]s/api/v1/tenants/demo/messages

Chat as the customer in a browser (every conversation, buttons to tap):
  http://%[2]s/sandbox/chat
or write from the command line (opens the 24-hour window):
  curl -s -X POST http://%[2]s/sandbox/inbound -d '{"from":"6281234567890","name":"Sari","text":"hi"}'
  curl -s -H 'Authorization: Bearer %[3]s' 'http://%[1]s/api/v1/tenants/demo/contacts?phone=081234567890'

A paid Shopify order, as Shopify signs it:
  curl -s -X POST http://%[1]s/hooks/demo/shop \
    -H 'X-Shopify-Topic: orders/paid' -H 'X-Shopify-Shop-Domain: %[8]s' \
    -H 'X-Shopify-Event-Id: demo-1' -H 'X-Shopify-Hmac-Sha256: %[6]s' \
    -d '%[7]s'

A CSV export: drop it into %[9]s (done/ and rejects/ appear beside it):
  printf 'transaction_id,occurred_at,amount,customer_phone\nCSV-1,2026-12-06 10:00:00,75000,081355556666\n' > %[9]s/sales.csv

Try a mapping on a payload, or check the tenant's mappings:
  loyalhub mapping test --connector shopify --topic orders/paid order.json

`, hub, sb, pipelines.DemoAdminToken, sig, demoSale, shopSig, demoOrder, pipelines.DemoShopDomain, drops)
}

func sandboxCmd() *cobra.Command {
	var (
		listen, phoneNumberID, templatesFile string
		numbers, accountTemplates            []string
	)
	cfg := sandbox.Config{}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run the sandbox BSP, a fake of the WhatsApp Cloud API",
		Long: `Runs the sandbox BSP alone: Meta's send endpoint, template listings,
status and customer-message webhooks, the chat page (/sandbox/chat).

By default it serves one number (--phone-number-id) whose webhooks go to
--webhook-url signed with --app-secret. --number serves several instead,
each with its own webhook and app secret, so a multi-tenant setup can be
rehearsed (repeat it, one per number):

  --number phone_number_id=111,webhook=http://127.0.0.1:8080/hooks/acme/whatsapp,secret=acme-secret
  --number phone_number_id=222,webhook=http://127.0.0.1:8080/hooks/kopi/whatsapp,secret=kopi-secret

Keys: phone_number_id (required), webhook, secret (default --webhook-url
and --app-secret), display (the display number, default the id), waba_id
(default 0), dialog_api_key (serve it on 360dialog's endpoint too).

--templates FILE loads the accounts' templates in Meta's message_templates
shape (YAML or JSON): the Graph API's listing {"data": [...]} as
GET /{waba_id}/message_templates answers it, or a list of its objects
(name, language, status, category, parameter_format, components). With
templates, a template send must fit one (Meta's 132000, 132001, 132012,
132015 otherwise); without, any template is accepted. --account-templates
WABA_ID=FILE (repeatable) gives one account its own templates, as each
WhatsApp Business Account has: its numbers are checked against those alone
and its listing shows them; other accounts use --templates.
POST /sandbox/templates[?waba_id=ID] with the same body adds or replaces
templates while it runs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Numbers = map[string]sandbox.Number{phoneNumberID: {DisplayPhoneNumber: "15550000001", WABAID: "200000000000001"}}
			if len(numbers) > 0 {
				cfg.Numbers = map[string]sandbox.Number{}
				for _, spec := range numbers {
					id, n, err := parseSandboxNumber(spec)
					if err != nil {
						return err
					}
					if _, dup := cfg.Numbers[id]; dup {
						return fmt.Errorf("--number %s: phone_number_id %s is given twice", spec, id)
					}
					cfg.Numbers[id] = n
				}
			}
			if templatesFile != "" {
				ts, err := readSandboxTemplates(templatesFile)
				if err != nil {
					return err
				}
				cfg.Templates = ts
			}
			for _, spec := range accountTemplates {
				waba, file, ok := strings.Cut(spec, "=")
				if !ok || waba == "" || file == "" {
					return fmt.Errorf("--account-templates %s: want WABA_ID=FILE", spec)
				}
				ts, err := readSandboxTemplates(file)
				if err != nil {
					return err
				}
				if cfg.AccountTemplates == nil {
					cfg.AccountTemplates = map[string][]messaging.TemplateInfo{}
				}
				cfg.AccountTemplates[waba] = append(cfg.AccountTemplates[waba], ts...)
			}
			logger := newLogger(config.Default().Log, cmd.ErrOrStderr())
			_, stop, err := startSandbox(cmd.Context(), listen, cfg, logger)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "sandbox BSP listening on http://%s (messages: GET /sandbox/messages, chats: /sandbox/chat)\n", listen)
			ids := make([]string, 0, len(cfg.Numbers))
			for id := range cfg.Numbers {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			for _, id := range ids {
				hook := cmp.Or(cfg.Numbers[id].WebhookURL, cfg.WebhookURL, "no webhooks")
				fmt.Fprintf(cmd.OutOrStdout(), "  number %s → %s\n", id, hook)
			}
			if len(cfg.Templates) > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "  %d template(s) from %s\n", len(cfg.Templates), templatesFile)
			}
			for _, waba := range slices.Sorted(maps.Keys(cfg.AccountTemplates)) {
				fmt.Fprintf(cmd.OutOrStdout(), "  account %s: %d template(s) of its own\n", waba, len(cfg.AccountTemplates[waba]))
			}
			<-cmd.Context().Done()
			stop()
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:9090", "address to listen on")
	cmd.Flags().StringVar(&cfg.AccessToken, "access-token", pipelines.DemoAccessToken, "bearer token the API expects")
	cmd.Flags().StringVar(&cfg.AppSecret, "app-secret", pipelines.DemoAppSecret, "app secret that signs webhooks (of numbers without their own)")
	cmd.Flags().StringVar(&cfg.WebhookURL, "webhook-url", "", "where webhooks are posted (of numbers without their own; empty: none)")
	cmd.Flags().StringVar(&phoneNumberID, "phone-number-id", pipelines.DemoPhoneNumberID, "business phone number id served (without --number)")
	cmd.Flags().StringArrayVar(&numbers, "number", nil, "a number to serve: phone_number_id=ID[,webhook=URL][,secret=S][,display=D][,waba_id=W][,dialog_api_key=K] (repeatable)")
	cmd.Flags().StringVar(&templatesFile, "templates", "", "the accounts' templates, in Meta's message_templates shape (YAML or JSON)")
	cmd.Flags().StringArrayVar(&accountTemplates, "account-templates", nil, "WABA_ID=FILE: one account's own templates, same shape (repeatable)")
	cmd.Flags().BoolVar(&cfg.EnforceWindow, "enforce-window", false, "refuse free-form messages outside the customer's 24-hour window (131047)")
	cmd.Flags().BoolVar(&cfg.RefuseByWebhook, "refuse-by-webhook", false, "report refusals of accepted messages (131047, 131050) on failed status webhooks, as Meta does")
	return cmd
}

// parseSandboxNumber reads a --number value.
func parseSandboxNumber(spec string) (string, sandbox.Number, error) {
	var id string
	var n sandbox.Number
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || v == "" {
			return "", n, fmt.Errorf("--number %s: %q is not key=value", spec, kv)
		}
		switch k {
		case "phone_number_id":
			id = v
		case "webhook":
			if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return "", n, fmt.Errorf("--number %s: webhook %q is not an http(s) URL", spec, v)
			}
			n.WebhookURL = v
		case "secret":
			n.AppSecret = v
		case "display":
			n.DisplayPhoneNumber = v
		case "waba_id":
			n.WABAID = v
		case "dialog_api_key":
			n.DialogAPIKey = v
		default:
			return "", n, fmt.Errorf("--number %s: unknown key %q (phone_number_id, webhook, secret, display, waba_id, dialog_api_key)", spec, k)
		}
	}
	if id == "" {
		return "", n, fmt.Errorf("--number %s: phone_number_id is required", spec)
	}
	return id, n, nil
}

// readSandboxTemplates reads a --templates file, YAML or JSON.
func readSandboxTemplates(path string) ([]messaging.TemplateInfo, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--templates: %w", err)
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("--templates %s: %w", path, err)
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("--templates %s: %w", path, err)
	}
	ts, err := sandbox.ParseTemplates(body)
	if err != nil {
		return nil, fmt.Errorf("--templates %s: %w", path, err)
	}
	return ts, nil
}
