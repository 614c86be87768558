package pipelines

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/config"
)

func TestRestartOnlyKeys(t *testing.T) {
	base := config.Default()
	base.Tenants = map[string]config.Tenant{"acme": {Timezone: "UTC"}}
	tests := []struct {
		name string
		edit func(*config.Config)
		want []string
	}{
		{"nothing", func(*config.Config) {}, nil},
		{"a tenant", func(c *config.Config) {
			c.Tenants = map[string]config.Tenant{"acme": {Timezone: "Asia/Jakarta"}, "beta": {}}
		}, nil},
		{"the listen address", func(c *config.Config) { c.Server.Listen = ":9090" }, []string{"server.listen"}},
		{"the store and data dir", func(c *config.Config) {
			c.Store.Driver = config.DriverPostgres
			c.Store.Postgres.DSN = "postgres://db/loyalhub"
			c.DataDir = "/var/lib/loyalhub"
		}, []string{"data_dir", "store.driver", "store.postgres.dsn"}},
		{"a Meta app", func(c *config.Config) {
			c.WhatsAppApps = map[string]config.WhatsAppApp{"agency": {AppSecret: "s"}}
		}, []string{"whatsapp_apps.agency"}},
		{"a pipeline setting", func(c *config.Config) { c.Pipeline.Batch.Size++ }, []string{"pipeline.batch.size"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := base
			next.Tenants = map[string]config.Tenant{"acme": {Timezone: "UTC"}}
			tt.edit(&next)
			var got []string
			for _, e := range restartOnly(base, next) {
				got = append(got, e.Path)
				assert.Contains(t, e.Msg, "cannot change without a restart")
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
