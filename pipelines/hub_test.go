package pipelines_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/all"
	"github.com/loyalhub/loyalhub/connectors/pos"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/storetest"
	"github.com/loyalhub/loyalhub/pipelines"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
	"github.com/loyalhub/loyalhub/pipelines/queue/queuetest"
)

const (
	testPOSSecret = "pos-secret"
	testToken     = "wa-token"
	testAppSecret = "wa-app-secret"
	testAdmin     = "admin-token"
	testNumberID  = "100000000000009"
)

// harness runs a hub on the given queue backend with a sandbox BSP, both on
// loopback ports.
type harness struct {
	t      testing.TB
	hub    *pipelines.Hub
	url    string
	sb     *sandbox.Server
	client *http.Client
	// configPath is the config file the hub reloads from, with
	// harnessOpts.configFile.
	configPath string
}

type harnessOpts struct {
	backend string              // queue backend, default memory
	env     []string            // extra LOYALHUB_* overrides
	dataDir string              // default: a new temporary directory
	yaml    func(string) string // edits the test config
	now     func() time.Time    // the policy's clock
	sandbox func(*sandbox.Config)
	// register adds connector types beside the shipped ones.
	register func(*connectors.Registry)
	// logger receives the hub's log (default: none, or stderr with
	// LOYALHUB_TEST_LOG set).
	logger *slog.Logger
	// beforeStart adjusts the hub before it starts.
	beforeStart func(*pipelines.Hub)
	// configFile writes the config to a file the hub reloads from
	// (harness.configPath).
	configFile bool
	// sandboxHandler wraps the sandbox BSP's HTTP handler.
	sandboxHandler func(http.Handler) http.Handler
	// tracer makes the hub's spans (default: the config's telemetry).
	tracer trace.TracerProvider
}

func testConfig(dataDir, sandboxURL string) string {
	return fmt.Sprintf(`
data_dir: %s
server:
  admin_token: %s
queue:
  subscribers: 2
pipeline:
  retry:
    max_retries: 3
    initial_interval: 10ms
    max_interval: 50ms
  send:
    unknown_grace: 2s
tenants:
  acme:
    default_region: ID
    timezone: Asia/Jakarta
    connectors:
      pos:
        type: pos_webhook
        secret: %s
      whatsapp:
        type: whatsapp_cloud
        base_url: %s
        phone_number_id: "%s"
        access_token: %s
        app_secret: %s
        breaker:
          max_failures: 3
          open_for: 300ms
    loyalty:
      rules:
        - name: spend
          on: order.paid
          spend:
            unit: "10000"
            points: 1
    notifications:
      - name: points_earned
        on: points.earned
        sender: whatsapp
        template:
          name: points_earned
          language: en
          body: ["member.name", "string(data.points)", "string(member.balance)"]
`, dataDir, testAdmin, testPOSSecret, sandboxURL, testNumberID, testToken, testAppSecret)
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	if o.backend == "" {
		o.backend = "memory"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hubURL := "http://" + ln.Addr().String()

	sbCfg := sandbox.Config{
		AccessToken: testToken,
		AppSecret:   testAppSecret,
		WebhookURL:  hubURL + "/hooks/acme/whatsapp",
		Numbers:     map[string]sandbox.Number{testNumberID: {DisplayPhoneNumber: "15550000009", WABAID: "200000000000009"}},
	}
	if o.sandbox != nil {
		o.sandbox(&sbCfg)
	}
	sb := sandbox.New(sbCfg, nil)
	ctx, cancel := context.WithCancel(context.Background())
	sb.Start(ctx)
	var sbHandler http.Handler = sb.Handler()
	if o.sandboxHandler != nil {
		sbHandler = o.sandboxHandler(sbHandler)
	}
	sbSrv := httptest.NewServer(sbHandler)

	reg := connectors.NewRegistry()
	all.Register(reg)
	if o.register != nil {
		o.register(reg)
	}
	env := append([]string{"LOYALHUB_QUEUE__BACKEND=" + o.backend}, o.env...)
	if o.backend == "nats" {
		env = append(env, "LOYALHUB_QUEUE__NATS__STREAM_PREFIX="+queuetest.StreamPrefix(t),
			"LOYALHUB_QUEUE__NATS__URL="+queuetest.NATSURL())
	}
	if o.dataDir == "" {
		o.dataDir = t.TempDir()
	}
	cfg := testConfig(o.dataDir, sbSrv.URL)
	if o.yaml != nil {
		cfg = o.yaml(cfg)
	}
	s, err := hubconfig.Parse([]byte(cfg), env, reg)
	require.NoError(t, err)
	var load func() (*hubconfig.Settings, error)
	var configPath string
	if o.configFile {
		configPath = filepath.Join(t.TempDir(), "loyalhub.yaml")
		require.NoError(t, os.WriteFile(configPath, []byte(cfg), 0o600))
		load = func() (*hubconfig.Settings, error) { return hubconfig.Load(configPath, env, reg) }
	}
	var logger *slog.Logger
	if os.Getenv("LOYALHUB_TEST_LOG") != "" {
		// The hub's log on stderr, to debug a test.
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if o.logger != nil {
		logger = o.logger
	}
	hub, err := pipelines.New(s, pipelines.Options{Listener: ln, Now: o.now, Logger: logger, Load: load, TracerProvider: o.tracer})
	require.NoError(t, err)
	if o.beforeStart != nil {
		o.beforeStart(hub)
	}
	require.NoError(t, hub.Start(ctx))
	t.Cleanup(func() {
		closeCtx, c := context.WithTimeout(context.Background(), 20*time.Second)
		defer c()
		require.NoError(t, hub.Close(closeCtx))
		sbSrv.Close()
		_ = sb.Close(closeCtx)
		cancel()
	})
	return &harness{t: t, hub: hub, url: hubURL, sb: sb, client: &http.Client{Timeout: 10 * time.Second}, configPath: configPath}
}

func sale(id, phone, name, total string) []byte {
	return fmt.Appendf(nil, `{"sale_id":%q,"customer":{"phone":%q,"name":%q},"total":%q,"currency":"IDR"}`, id, phone, name, total)
}

// post sends body to a hook with the given signature and returns the status.
func (h *harness) post(path string, body []byte, sig string) (int, string) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url+path, strings.NewReader(string(body)))
	require.NoError(h.t, err)
	if sig != "" {
		req.Header.Set("X-Loyalhub-Signature", sig)
	}
	resp, err := h.client.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (h *harness) postSale(body []byte) int {
	code, _ := h.post("/hooks/acme/pos", body, pos.Sign(testPOSSecret, body))
	return code
}

// admin calls the admin API and decodes the JSON answer into v.
func (h *harness) admin(method, path string, v any) int {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+"/api/v1/tenants/acme"+path, nil)
	require.NoError(h.t, err)
	req.Header.Set("Authorization", "Bearer "+testAdmin)
	resp, err := h.client.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	if v != nil {
		require.NoError(h.t, json.NewDecoder(resp.Body).Decode(v))
	}
	return resp.StatusCode
}

func (h *harness) sentTo(phone string) int {
	n := 0
	for _, m := range h.sb.Messages() {
		if m.To == strings.TrimPrefix(phone, "+") {
			n++
		}
	}
	return n
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) member(phone string) (member.Member, bool) {
	return h.memberBy("phone=" + phone)
}

func TestSaleEarnsPointsAndSendsTemplate(t *testing.T) {
	for _, backend := range backends(t) {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, harnessOpts{backend: backend})
			require.Equal(t, http.StatusOK, h.postSale(sale("S-1", "0812-3456-7890", "Sari", "257500.00")))

			eventually(t, "the member's points", func() bool {
				m, ok := h.member("+6281234567890")
				return ok && m.Balance == 25
			})
			eventually(t, "the WhatsApp message", func() bool { return h.sentTo("+6281234567890") == 1 })
			name, params := templateOf(t, h.sb.Messages()[0])
			require.Equal(t, "points_earned", name)
			require.Equal(t, []string{"Sari", "25", "25"}, params)

			// The sandbox's signed status webhooks move the message to read.
			var list struct{ Messages []store.Message }
			eventually(t, "the read status", func() bool {
				h.admin(http.MethodGet, "/messages", &list)
				return len(list.Messages) == 1 && list.Messages[0].Status == store.MessageRead
			})
			var msg store.Message
			require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/messages/"+list.Messages[0].Key, &msg))
			var steps []string
			for _, s := range msg.Timeline {
				steps = append(steps, s.Status)
			}
			// Reports are applied concurrently: when read overtakes
			// delivered, the late delivered is dropped, never a regression.
			if len(steps) == 3 {
				require.Equal(t, []string{"sending", "sent", "read"}, steps)
			} else {
				require.Equal(t, []string{"sending", "sent", "delivered", "read"}, steps)
			}

			m, _ := h.member("+6281234567890")
			var ledger struct{ Entries []store.LedgerEntry }
			require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+m.ID+"/ledger", &ledger))
			require.Len(t, ledger.Entries, 1)
			require.EqualValues(t, 25, ledger.Entries[0].Points)
		})
	}
}

// TestScaleOutBackends runs the whole flow with the PostgreSQL store and,
// in turn, the PostgreSQL and the NATS queue.
func TestScaleOutBackends(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	for _, backend := range []string{"postgres", "nats"} {
		t.Run(backend, func(t *testing.T) {
			dsn := storetest.FreshPostgres(t)
			env := []string{
				"LOYALHUB_STORE__DRIVER=postgres",
				"LOYALHUB_STORE__POSTGRES__DSN=" + dsn,
				"LOYALHUB_QUEUE__POSTGRES__DSN=" + dsn,
			}
			if backend == "nats" {
				queuetest.RequireNATS(t)
			}
			h := newHarness(t, harnessOpts{backend: backend, env: env})
			for i := range 20 {
				phone := fmt.Sprintf("08123400%04d", i)
				require.Equal(t, http.StatusOK, h.postSale(sale(fmt.Sprintf("PG-%d", i), phone, "Pat", "30000")))
			}
			eventually(t, "20 messages", func() bool { return len(h.sb.Messages()) == 20 })
			m, ok := h.member("081234000007")
			require.True(t, ok)
			require.EqualValues(t, 3, m.Balance)
		})
	}
}

// templateOf reads the template name and body parameters of a message the
// sandbox received.
func templateOf(t *testing.T, r sandbox.Received) (string, []string) {
	t.Helper()
	var body struct {
		Template struct {
			Name       string `json:"name"`
			Components []struct {
				Type       string `json:"type"`
				Parameters []struct {
					Text string `json:"text"`
				} `json:"parameters"`
			} `json:"components"`
		} `json:"template"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &body))
	var params []string
	for _, c := range body.Template.Components {
		if c.Type == "body" {
			for _, p := range c.Parameters {
				params = append(params, p.Text)
			}
		}
	}
	return body.Template.Name, params
}
