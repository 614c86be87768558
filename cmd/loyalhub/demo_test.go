package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/pipelines"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
)

func TestDemoPrintConfig(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		wantListen  string
		wantDataDir string
		wantBaseURL string
	}{
		{
			name:       "defaults",
			wantListen: "127.0.0.1:8080", wantDataDir: "./data/demo", wantBaseURL: "http://127.0.0.1:9090",
		},
		{
			name:       "every flag",
			args:       []string{"--listen", "0.0.0.0:8181", "--sandbox-listen", "127.0.0.1:9191", "--data-dir", "/srv/demo"},
			wantListen: "0.0.0.0:8181", wantDataDir: "/srv/demo", wantBaseURL: "http://127.0.0.1:9191",
		},
		{
			name:       "one flag",
			args:       []string{"--data-dir", "demo-data"},
			wantListen: "127.0.0.1:8080", wantDataDir: "demo-data", wantBaseURL: "http://127.0.0.1:9090",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := runCLI(t, nil, append([]string{"demo", "--print-config"}, tt.args...)...)
			require.NoError(t, err)
			assert.Contains(t, out, "# The configuration `loyalhub demo` runs", "comments are kept")
			path := filepath.Join(t.TempDir(), "demo.yaml")
			require.NoError(t, os.WriteFile(path, []byte(out), 0o600))
			s, err := hubconfig.Load(path, nil, registry())
			require.NoError(t, err)
			assert.Equal(t, tt.wantListen, s.Config.Server.Listen)
			assert.Equal(t, tt.wantDataDir, s.Config.DataDir)
			conns := s.Config.Tenants[pipelines.DemoTenant].Connectors
			assert.Equal(t, tt.wantBaseURL, conns["whatsapp"].Settings["base_url"])
			assert.Equal(t, filepath.Join(tt.wantDataDir, "drops"), conns["drops"].Settings["dir"])
		})
	}
}

func TestSandboxNumbersAndTemplates(t *testing.T) {
	// Two tenants' hooks, each checking its own app's signature.
	type hook struct {
		srv    *httptest.Server
		bodies chan string
	}
	newHook := func(secret string) hook {
		h := hook{bodies: make(chan string, 10)}
		h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if r.Header.Get("X-Hub-Signature-256") != sandbox.Sign(secret, body) {
				w.WriteHeader(http.StatusUnauthorized)
				t.Errorf("a webhook signed with another secret reached the hook of %s", secret)
				return
			}
			h.bodies <- string(body)
		}))
		t.Cleanup(h.srv.Close)
		return h
	}
	acme, kopi := newHook("acme-secret"), newHook("kopi-secret")
	dir := t.TempDir()
	templates := filepath.Join(dir, "templates.yaml")
	require.NoError(t, os.WriteFile(templates, []byte(`
data:
  - name: points_earned
    language: id
    status: APPROVED
    category: UTILITY
    components:
      - {type: BODY, text: "Hai {{1}}, kamu dapat {{2}} poin"}
`), 0o600))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	cmd := newRootCmd()
	kopiTemplates := filepath.Join(dir, "kopi.json")
	require.NoError(t, os.WriteFile(kopiTemplates, []byte(`[{"name": "kopi_points", "language": "id", "category": "UTILITY",
	  "components": [{"type": "BODY", "text": "Poin {{1}}: {{2}}"}]}]`), 0o600))
	cmd.SetArgs([]string{"sandbox", "--listen", addr, "--access-token", "tok", "--templates", templates,
		"--account-templates", "9002=" + kopiTemplates,
		"--number", "phone_number_id=111,webhook=" + acme.srv.URL + ",secret=acme-secret,waba_id=9001",
		"--number", "phone_number_id=222,webhook=" + kopi.srv.URL + ",secret=kopi-secret,waba_id=9002"})
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	defer cancel()

	send := func(phoneID, template string) int {
		body := `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"` + template +
			`","language":{"code":"id"},"components":[{"type":"body","parameters":[{"type":"text","text":"Sari"},{"type":"text","text":"5"}]}]}}`
		var status int
		require.Eventually(t, func() bool {
			req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v24.0/"+phoneID+"/messages", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer tok")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return false // not listening yet
			}
			resp.Body.Close()
			status = resp.StatusCode
			return true
		}, 10*time.Second, 20*time.Millisecond)
		return status
	}
	receive := func(h hook) string {
		select {
		case b := <-h.bodies:
			return b
		case <-time.After(10 * time.Second):
			t.Fatal("no webhook arrived")
			return ""
		}
	}
	require.Equal(t, http.StatusOK, send("111", "points_earned"))
	assert.Contains(t, receive(acme), `"phone_number_id":"111"`)
	require.Equal(t, http.StatusOK, send("222", "kopi_points"))
	assert.Contains(t, receive(kopi), `"phone_number_id":"222"`)
	assert.Equal(t, http.StatusBadRequest, send("222", "points_earned"), "account 9002 has templates of its own")
	assert.Equal(t, http.StatusBadRequest, send("111", "not_in_the_file"), "the templates file is the registry")
	cancel()
	require.NoError(t, <-done)
	assert.Contains(t, out.String(), "number 111 → "+acme.srv.URL)
	assert.Contains(t, out.String(), "1 template(s) from "+templates)
	assert.Contains(t, out.String(), "account 9002: 1 template(s) of its own")
}

func TestSandboxFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no id", []string{"--number", "webhook=http://x.test/h"}, "phone_number_id is required"},
		{"unknown key", []string{"--number", "phone_number_id=1,hook=http://x.test/h"}, `unknown key "hook"`},
		{"not key=value", []string{"--number", "phone_number_id=1,secret"}, `"secret" is not key=value`},
		{"bad webhook", []string{"--number", "phone_number_id=1,webhook=x.test/h"}, `webhook "x.test/h" is not an http(s) URL`},
		{"twice", []string{"--number", "phone_number_id=1", "--number", "phone_number_id=1"}, "phone_number_id 1 is given twice"},
		{"templates of another shape", []string{"--templates", writeTemp(t, "t.json", `{"templates": []}`)}, `want Meta's listing {"data": [...]}`},
		{"account templates without a file", []string{"--account-templates", "9001"}, "--account-templates 9001: want WABA_ID=FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCLI(t, nil, append([]string{"sandbox", "--listen", "127.0.0.1:0"}, tt.args...)...)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}
