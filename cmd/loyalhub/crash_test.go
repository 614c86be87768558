package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/pos"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/store/storetest"
	"github.com/loyalhub/loyalhub/pipelines/loadtest"
	"github.com/loyalhub/loyalhub/pipelines/queue/queuetest"
)

// The crash test runs `loyalhub serve` as a child process, streams signed
// sales at it, kills it with SIGKILL midway and restarts it. The POS side
// retries every sale until it gets a 2xx, as real senders do. In the end
// every sale must have exactly one ledger entry and exactly one WhatsApp
// message at the sandbox.

const (
	crashSales    = 5000
	crashKillAt   = 2000
	crashSecret   = "crash-pos-secret"
	crashToken    = "crash-wa-token"
	crashApp      = "crash-app-secret"
	crashAdmin    = "crash-admin"
	crashNumberID = "100000000000077"
	crashAckWait  = 5 * time.Second
	crashGrace    = 5 * time.Second
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "loyalhub-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "loyalhub")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building loyalhub: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

type child struct {
	t      *testing.T
	bin    string
	cfg    string
	log    *os.File
	cmd    *exec.Cmd
	done   chan error
	exited chan struct{} // closed when the child has ended
}

func (c *child) start(addr string) {
	c.t.Helper()
	c.cmd = exec.Command(c.bin, "serve", "--config", c.cfg)
	c.cmd.Stdout, c.cmd.Stderr = c.log, c.log
	c.cmd.Env = append(os.Environ(), "GOMAXPROCS=2")
	require.NoError(c.t, c.cmd.Start())
	c.done = make(chan error, 1)
	c.exited = make(chan struct{})
	go func() {
		err := c.cmd.Wait()
		close(c.exited)
		c.done <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-c.done:
			c.t.Fatalf("loyalhub exited during start: %v (log: %s)", err, c.log.Name())
		default:
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("loyalhub not ready after 30s (log: %s)", c.log.Name())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the running child with SIGKILL; it does nothing when the child
// has already ended.
func (c *child) kill() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.exited
}

func (c *child) stop() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		return err
	case <-time.After(60 * time.Second):
		c.kill()
		return fmt.Errorf("loyalhub did not stop within 60s of SIGTERM")
	}
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test builds and runs the binary")
	}
	t.Run("embedded", func(t *testing.T) {
		runCrashTest(t, "queue:\n  backend: embedded\n  ack_wait: "+crashAckWait.String()+"\n")
	})
	t.Run("nats+postgres", func(t *testing.T) {
		queuetest.RequireNATS(t)
		dsn := storetest.FreshPostgres(t)
		runCrashTest(t, fmt.Sprintf(`queue:
  backend: nats
  ack_wait: `+crashAckWait.String()+`
  nats:
    url: %s
    stream_prefix: %s
store:
  driver: postgres
  postgres:
    dsn: %s
`, queuetest.NATSURL(), queuetest.StreamPrefix(t), dsn))
	})
}

func runCrashTest(t *testing.T, backendYAML string) {
	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freePort(t)
	hubURL := "http://" + addr

	sb := sandbox.New(sandbox.Config{
		// While the hub is down, status webhooks are retried often, as
		// Meta retries them.
		WebhookRetryMax: time.Second,
		AccessToken:     crashToken,
		AppSecret:       crashApp,
		WebhookURL:      hubURL + "/hooks/shop/whatsapp",
		Numbers:         map[string]sandbox.Number{crashNumberID: {DisplayPhoneNumber: "15550000077", WABAID: "200000000000077"}},
	}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sb.Start(ctx)
	sbSrv := httptest.NewServer(sb.Handler())
	defer sbSrv.Close()
	defer sb.Close(context.Background())

	cfgPath := filepath.Join(dir, "loyalhub.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `data_dir: %s
server:
  listen: %s
  admin_token: %s
log:
  level: warn
%spipeline:
  retry:
    initial_interval: 20ms
    max_interval: 500ms
  send:
    unknown_policy: resend
    unknown_grace: %s
tenants:
  shop:
    default_region: ID
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
          body: ["string(data.points)", "string(member.balance)"]
`, filepath.Join(dir, "data"), addr, crashAdmin, backendYAML, crashGrace, crashSecret, sbSrv.URL, crashNumberID, crashToken, crashApp), 0o600))

	logFile, err := os.Create(filepath.Join(dir, "loyalhub.log"))
	require.NoError(t, err)
	defer logFile.Close()
	c := &child{t: t, bin: bin, cfg: cfgPath, log: logFile}
	c.start(addr)
	t.Cleanup(c.kill) // a failed test must not leave the hub running

	// Senders: each sale is retried until the hub answers 2xx.
	run := fmt.Sprintf("C%d", rand.Uint64()%1e9)
	base := rand.IntN(50_000_000)
	client := &http.Client{Timeout: 5 * time.Second}
	var accepted atomic.Int64
	var next atomic.Int64
	killed := make(chan struct{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= crashSales {
					return
				}
				body, _ := loadtest.Sale(run, base+i)
				for {
					req, _ := http.NewRequest(http.MethodPost, hubURL+"/hooks/shop/pos", bytes.NewReader(body))
					req.Header.Set("X-Loyalhub-Signature", pos.Sign(crashSecret, body))
					resp, err := client.Do(req)
					if err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode/100 == 2 {
							break
						}
					}
					time.Sleep(20 * time.Millisecond)
				}
				if accepted.Add(1) == crashKillAt {
					close(killed)
				}
			}
		})
	}
	<-killed
	t.Logf("killing at %s", time.Now().Format(time.RFC3339Nano))
	c.kill()
	t.Logf("killed with SIGKILL after %d accepted sales", accepted.Load())
	c.start(addr)
	restarted := time.Now()
	t.Logf("restarted at %s", restarted.Format(time.RFC3339Nano))
	wg.Wait()
	require.EqualValues(t, crashSales, accepted.Load())

	// Every sale is delivered once; then, after the unknown grace has passed
	// twice over, still once.
	deadline := time.Now().Add(4 * time.Minute)
	for distinctRecipients(sb) < crashSales {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d sales reached the sandbox (log: %s)", distinctRecipients(sb), crashSales, logFile.Name())
		}
		time.Sleep(200 * time.Millisecond)
	}
	// A message whose first attempt's outcome the crash hid is resent, if
	// ever, when the grace after the restart ends: count after that.
	time.Sleep(time.Until(restarted.Add(2*crashAckWait + crashGrace + 3*time.Second)))

	counts := map[string]int{}
	for _, m := range sb.Messages() {
		counts[m.To]++
	}
	dup := 0
	for i := range crashSales {
		_, phone := loadtest.Sale(run, base+i)
		n := counts[strings.TrimPrefix(phone, "+")]
		require.NotZero(t, n, "sale %d got no message", i)
		if n > 1 {
			dup++
			var msgs struct {
				Messages []struct {
					Key string `json:"key"`
				} `json:"messages"`
			}
			m := memberOf(t, hubURL, phone)
			adminGet(t, hubURL+"/api/v1/tenants/shop/messages?member_id="+m, &msgs)
			for _, mm := range msgs.Messages {
				var full json.RawMessage
				adminGet(t, hubURL+"/api/v1/tenants/shop/messages/"+mm.Key, &full)
				t.Logf("sale %d messaged %d times: %s", i, n, full)
				for _, r := range sb.Messages() {
					if r.To == strings.TrimPrefix(phone, "+") {
						t.Logf("  sandbox got %s at %s", r.ID, r.ReceivedAt.Format(time.RFC3339Nano))
					}
				}
			}
		}
	}
	require.Zero(t, dup, "sales messaged more than once")
	require.Len(t, sb.Messages(), crashSales)

	// Exactly one ledger entry per sale.
	for i := range crashSales {
		_, phone := loadtest.Sale(run, base+i)
		entries := ledgerOf(t, hubURL, phone)
		require.Len(t, entries, 1, "sale %d", i)
	}
	require.NoError(t, c.stop(), "graceful shutdown on SIGTERM")
}

func distinctRecipients(sb *sandbox.Server) int {
	seen := map[string]bool{}
	for _, m := range sb.Messages() {
		seen[m.To] = true
	}
	return len(seen)
}

func memberOf(t *testing.T, hubURL, phone string) string {
	t.Helper()
	var m struct {
		ID string `json:"id"`
	}
	adminGet(t, hubURL+"/api/v1/tenants/shop/members?phone="+strings.ReplaceAll(phone, "+", "%2B"), &m)
	return m.ID
}

func ledgerOf(t *testing.T, hubURL, phone string) []json.RawMessage {
	t.Helper()
	var l struct {
		Entries []json.RawMessage `json:"entries"`
	}
	adminGet(t, hubURL+"/api/v1/tenants/shop/members/"+memberOf(t, hubURL, phone)+"/ledger", &l)
	return l.Entries
}

func adminGet(t *testing.T, url string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+crashAdmin)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}
