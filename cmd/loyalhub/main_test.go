package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestValidateShippedConfigs(t *testing.T) {
	examples := []struct {
		file string
		env  map[string]string
	}{
		{
			file: "loyalhub.yaml",
			env: map[string]string{
				"ADMIN_TOKEN":             "admin",
				"ACME_POS_SECRET":         "pos-secret",
				"ACME_WA_PHONE_NUMBER_ID": "106540352242922",
				"ACME_WA_ACCESS_TOKEN":    "token",
				"ACME_WA_APP_SECRET":      "app-secret",
				"ACME_WA_VERIFY_TOKEN":    "verify",
			},
		},
		{
			file: "coffee-chain.yaml",
			env: map[string]string{
				"ADMIN_TOKEN":             "admin",
				"KOPI_POS_SECRET":         "pos-secret",
				"KOPI_WA_PHONE_NUMBER_ID": "106540352242922",
				"KOPI_WA_ACCESS_TOKEN":    "token",
				"KOPI_WA_APP_SECRET":      "app-secret",
				"KOPI_WA_VERIFY_TOKEN":    "verify",
			},
		},
		{
			file: "fashion-retailer.yaml",
			env: map[string]string{
				"ADMIN_TOKEN":                 "admin",
				"NATS_URL":                    "nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222",
				"DATABASE_URL":                "postgres://loyalhub@db:5432/loyalhub",
				"SARTORIA_POS_SECRET":         "pos-secret",
				"SARTORIA_WA_PHONE_NUMBER_ID": "106540352242923",
				"SARTORIA_WA_ACCESS_TOKEN":    "token",
				"SARTORIA_WA_APP_SECRET":      "app-secret",
				"SARTORIA_WA_VERIFY_TOKEN":    "verify",
			},
		},
	}
	for _, ex := range examples {
		t.Run(ex.file, func(t *testing.T) {
			out, stderr, err := runCLI(t, ex.env, "validate", "-c", filepath.Join("..", "..", "deploy", "examples", ex.file))
			require.NoError(t, err, stderr)
			require.Contains(t, out, "config is valid: 1 tenant(s)")
		})
	}

	demo, _, err := runCLI(t, nil, "demo", "--print-config")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "demo.yaml")
	require.NoError(t, os.WriteFile(path, []byte(demo), 0o600))
	out, _, err := runCLI(t, nil, "validate", "-c", path)
	require.NoError(t, err)
	require.Contains(t, out, "config is valid")
}

func TestValidatePrintsEveryErrorWithItsPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
queue:
  backend: kafka
tenants:
  acme:
    default_region: ID
    connectors:
      pos:
        type: pos_webhook
        secrett: x
    notifications:
      - name: hello
        on: points.earned
        sender: nowhere
        template: {name: hello, language: en}
`), 0o600))
	_, stderr, err := runCLI(t, nil, "validate", "-c", path)
	require.Error(t, err)
	for _, want := range []string{
		"queue.backend:",
		"tenants.acme.connectors.pos.secrett: unknown key",
		"tenants.acme.notifications[0].sender:",
	} {
		require.Contains(t, stderr, want)
	}
}

func TestValidateEventTypes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "types.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
tenants:
  acme:
    default_region: ID
    connectors:
      pos: {type: pos_webhook, secret: s3cret}
      wa: {type: whatsapp_cloud, phone_number_id: "1065", access_token: t, app_secret: a, verify_token: v}
    loyalty:
      event_types: [store.visited]
      rules:
        - {name: spend, on: order.payed, points: "10"}
        - {name: visit, on: store.visited, points: "5"}
    notifications:
      - name: earned
        on: point.earned
        sender: wa
        template: {name: points_earned, language: en}
`), 0o600))
	_, stderr, err := runCLI(t, nil, "validate", "-c", path)
	require.Error(t, err)
	assert.Contains(t, stderr, "config has 2 error(s)")
	assert.Contains(t, stderr, `tenants.acme.loyalty.rules[0].on: unknown event type "order.payed"; known types: customer.upserted,`)
	assert.Contains(t, stderr, "order.paid, order.refunded")
	assert.Contains(t, stderr, `tenants.acme.notifications[0].on: unknown outcome type "point.earned"; known types: challenge.completed,`)
	assert.Contains(t, stderr, "points.earned, points.expired")
	assert.NotContains(t, stderr, "rules[1]", "a declared type of the tenant's own mapping is known")
}

func TestValidateWithoutConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		wantOut string
	}{
		{
			name:    "no file and no tenant",
			env:     map[string]string{"LOYALHUB_CONFIG": ""},
			wantErr: "validated nothing: no config file was given (-c FILE or $LOYALHUB_CONFIG) and the LOYALHUB_* environment defines no tenant",
		},
		{
			name: "a tenant from the environment",
			env: map[string]string{
				"LOYALHUB_CONFIG":                                 "",
				"LOYALHUB_TENANTS__ACME__DEFAULT_REGION":          "ID",
				"LOYALHUB_TENANTS__ACME__CONNECTORS__POS__TYPE":   "pos_webhook",
				"LOYALHUB_TENANTS__ACME__CONNECTORS__POS__SECRET": "s3cret",
			},
			wantOut: "config is valid: 1 tenant(s)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, err := runCLI(t, tt.env, "validate")
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, stderr, tt.wantErr)
				assert.Empty(t, out)
				return
			}
			require.NoError(t, err, stderr)
			assert.Contains(t, out, tt.wantOut)
		})
	}
}

func TestVersion(t *testing.T) {
	out, _, err := runCLI(t, nil, "version")
	require.NoError(t, err)
	require.Contains(t, out, "loyalhub ")
}
