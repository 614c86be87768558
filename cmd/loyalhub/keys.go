package main

import (
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/loyalhub/loyalhub/core/access"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines"
	"github.com/loyalhub/loyalhub/pipelines/admin"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
)

// keysCmd manages the admin API's keys in the configured store.
func keysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke the admin API's keys",
		Long: `Manages the admin API's keys in the store the config names (the hub may
be running). A key opens one tenant (--tenant) or every tenant
(--all-tenants, an integrator key) with a scope: read (GET), write (read and
changes to the tenant's data) or admin (write, keys, the audit log, erasure).

Rotate a key without downtime: create a new one, switch the client to it,
then revoke the old one.`,
	}
	cmd.AddCommand(keysCreateCmd(), keysListCmd(), keysRevokeCmd())
	return cmd
}

// withStore loads the config at path and runs fn on its store.
func withStore(cmd *cobra.Command, path string, fn func(s store.Store, tenants map[string]bool) error) error {
	settings, err := hubconfig.Load(path, os.Environ(), registry())
	if err != nil {
		printConfigErrors(cmd.ErrOrStderr(), err)
		return exitError{}
	}
	s, err := pipelines.OpenStore(cmd.Context(), settings.Config)
	if err != nil {
		return err
	}
	defer s.Close()
	tenants := map[string]bool{}
	for id := range settings.Config.Tenants {
		tenants[id] = true
	}
	return fn(s, tenants)
}

func keysCreateCmd() *cobra.Command {
	var (
		path, tenant, scope, name, expires string
		allTenants                         bool
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a key and print its token, shown this once",
		Example: `  loyalhub keys create --tenant acme --scope write --name "ops laptop" --expires 90d
  loyalhub keys create --all-tenants --scope read --name integrator`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case allTenants && tenant != "":
				return errors.New("give --tenant or --all-tenants, not both")
			case allTenants:
				tenant = access.AllTenants
			case tenant == "":
				return errors.New("give --tenant ID or --all-tenants")
			}
			return withStore(cmd, path, func(s store.Store, tenants map[string]bool) error {
				if tenant != access.AllTenants && !tenants[tenant] {
					return fmt.Errorf("unknown tenant %q: not in the config", tenant)
				}
				k, token, err := admin.NewAPIKey(admin.KeyRequest{Tenant: tenant, Name: name, Scope: scope, Expires: expires}, time.Now())
				if err != nil {
					return err
				}
				if err := s.CreateAPIKey(cmd.Context(), k); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "created key %s %q: tenant %s, scope %s, expires %s\n"+
					"the token below is shown this once: store it now\n", k.ID, k.Name, k.Tenant, k.Scope, orNever(k.ExpiresAt))
				fmt.Fprintln(cmd.OutOrStdout(), token)
				return nil
			})
		},
	}
	configPathFlag(cmd, &path)
	cmd.Flags().StringVar(&tenant, "tenant", "", "the tenant the key opens")
	cmd.Flags().BoolVar(&allTenants, "all-tenants", false, "an integrator key: opens every tenant, and the routes across tenants")
	cmd.Flags().StringVar(&scope, "scope", "", "read, write or admin")
	cmd.Flags().StringVar(&name, "name", "", "who or what uses the key (shown in lists and the audit log)")
	cmd.Flags().StringVar(&expires, "expires", "", "lifetime: days such as 90d or a duration such as 720h (default: never)")
	_ = cmd.MarkFlagRequired("scope")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func keysListCmd() *cobra.Command {
	var path, tenant string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the keys (never their secrets), revoked ones too",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, path, func(s store.Store, _ map[string]bool) error {
				ks, err := s.ListAPIKeys(cmd.Context(), tenant)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tTENANT\tSCOPE\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
				for _, k := range ks {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Tenant, k.Scope,
						k.CreatedAt.Format(time.RFC3339), orNever(k.ExpiresAt), orDash(k.LastUsedAt), orDash(k.RevokedAt))
				}
				return tw.Flush()
			})
		},
	}
	configPathFlag(cmd, &path)
	cmd.Flags().StringVar(&tenant, "tenant", "", `only this tenant's keys ("*" for the integrator keys)`)
	return cmd
}

func keysRevokeCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a key: the next request with it gets 401",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd, path, func(s store.Store, _ map[string]bool) error {
				k, err := s.RevokeAPIKey(cmd.Context(), args[0], time.Now())
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no key %s", args[0])
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "revoked key %s %q (tenant %s) at %s\n", k.ID, k.Name, k.Tenant, k.RevokedAt.Format(time.RFC3339))
				return nil
			})
		},
	}
	configPathFlag(cmd, &path)
	return cmd
}

func orNever(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Format(time.RFC3339)
}

func orDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}
