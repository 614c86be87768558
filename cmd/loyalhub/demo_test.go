package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/pipelines"
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
			s, err := pipelines.LoadConfig(path, nil, registry())
			require.NoError(t, err)
			assert.Equal(t, tt.wantListen, s.Config.Server.Listen)
			assert.Equal(t, tt.wantDataDir, s.Config.DataDir)
			conns := s.Config.Tenants[pipelines.DemoTenant].Connectors
			assert.Equal(t, tt.wantBaseURL, conns["whatsapp"].Settings["base_url"])
			assert.Equal(t, filepath.Join(tt.wantDataDir, "drops"), conns["drops"].Settings["dir"])
		})
	}
}
