package pipelines

import (
	"bytes"
	_ "embed"
	"fmt"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// DemoConfig is the configuration `loyalhub demo` runs on with its default
// flags; DemoConfigWith gives it for others.
//
//go:embed demo.yaml
var DemoConfig []byte

// Demo identities, matching DemoConfig; the demo's sandbox BSP is set up
// with the same values.
const (
	DemoTenant        = "demo"
	DemoPOSSecret     = "demo-pos-secret"
	DemoShopifySecret = "demo-shopify-secret"
	DemoShopDomain    = "demo-coffee.myshopify.com"
	DemoAdminToken    = "demo-admin-token"
	DemoAccessToken   = "demo-access-token"
	DemoAppSecret     = "demo-app-secret"
	DemoPhoneNumberID = "100000000000001"
)

// DemoFlags are what `loyalhub demo` lets its user choose.
type DemoFlags struct {
	Listen     string // the hub's address (server.listen)
	SandboxURL string // the sandbox BSP's base URL (the WhatsApp connector's base_url)
	DataDir    string // data_dir; the CSV drop folder is <data_dir>/drops
}

// DemoConfigWith returns DemoConfig with the flags' values in place, its
// comments kept: the configuration the demo runs on.
func DemoConfigWith(f DemoFlags) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(DemoConfig, &doc); err != nil {
		return nil, fmt.Errorf("reading the demo config: %w", err)
	}
	drops := ""
	if f.DataDir != "" {
		drops = filepath.Join(f.DataDir, "drops")
	}
	for _, set := range []struct {
		path  []string
		value string
	}{
		{[]string{"data_dir"}, f.DataDir},
		{[]string{"server", "listen"}, f.Listen},
		{[]string{"tenants", DemoTenant, "connectors", "whatsapp", "base_url"}, f.SandboxURL},
		{[]string{"tenants", DemoTenant, "connectors", "drops", "dir"}, drops},
	} {
		if set.value == "" {
			continue // the demo's own value
		}
		if err := setScalar(&doc, set.path, set.value); err != nil {
			return nil, fmt.Errorf("setting the demo config's %v: %w", set.path, err)
		}
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("writing the demo config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing the demo config: %w", err)
	}
	return out.Bytes(), nil
}

// setScalar sets the string value at path of a YAML document whose keys
// along the path exist.
func setScalar(doc *yaml.Node, path []string, value string) error {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: not a mapping", key)
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
				break
			}
		}
		if next == nil {
			return fmt.Errorf("%s: no such key", key)
		}
		n = next
	}
	n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, "!!str", value, 0
	return nil
}
