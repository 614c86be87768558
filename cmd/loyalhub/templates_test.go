package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// graphTemplates serves a WABA's message_templates in two pages, as the
// Graph API does.
func graphTemplates(t *testing.T) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v24.0/200000000000001/message_templates" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, `{"error":{"message":"bad request","type":"OAuthException","code":100}}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("after") == "" {
			fmt.Fprintf(w, `{"data":[{"name":"points_earned","language":"en","status":"APPROVED","category":"UTILITY","parameter_format":"POSITIONAL","components":[{"type":"BODY","text":"Hi {{1}}, you earned {{2}} points. Balance: {{3}}."}],"id":"1"}],"paging":{"cursors":{"after":"QVFI"},"next":"%s/v24.0/200000000000001/message_templates?after=QVFI"}}`, srv.URL)
			return
		}
		fmt.Fprint(w, `{"data":[{"name":"spring_sale","language":"en","status":"PAUSED","category":"MARKETING","parameter_format":"NAMED","components":[{"type":"HEADER","format":"IMAGE"},{"type":"BODY","text":"{{first_name}}, 20% off"},{"type":"BUTTONS","buttons":[{"type":"URL","text":"Shop","url":"https://shop.example/{{1}}"}]}],"id":"2"}],"paging":{"cursors":{"before":"QVFI"}}}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func templatesConfig(t *testing.T, baseURL string, bodyParams string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "loyalhub.yaml")
	cfg := fmt.Sprintf(`
data_dir: %s
tenants:
  acme:
    default_region: ID
    connectors:
      whatsapp:
        type: whatsapp_cloud
        base_url: %s
        phone_number_id: "100000000000001"
        waba_id: "200000000000001"
        access_token: tok
        app_secret: secret
    notifications:
      - name: points_earned
        on: points.earned
        sender: whatsapp
        template:
          name: points_earned
          language: en
          body: %s
`, t.TempDir(), baseURL, bodyParams)
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

func TestTemplatesListsAndChecks(t *testing.T) {
	srv := graphTemplates(t)
	path := templatesConfig(t, srv.URL, `["member.name", "string(data.points)", "string(member.balance)"]`)
	out, _, err := runCLI(t, nil, "templates", "-c", path)
	require.NoError(t, err, out)
	assert.Contains(t, out, "tenant acme, sender whatsapp:")
	assert.Regexp(t, `points_earned\s+en\s+APPROVED\s+utility\s+-\s+1,2,3`, out)
	assert.Regexp(t, `spring_sale\s+en\s+PAUSED\s+marketing\s+image\s+first_name\s+url\*`, out)
	assert.Contains(t, out, "every notification's template fits")

	path = templatesConfig(t, srv.URL, `["member.name"]`)
	out, _, err = runCLI(t, nil, "templates", "-c", path)
	require.Error(t, err, "a notification that does not fit fails the command")
	assert.Contains(t, out, "problem: tenants.acme.notifications[0].template: template \"points_earned\" (en) takes 3 body parameters, the message gives 1 (132000)")

	out, _, err = runCLI(t, nil, "templates", "-c", path, "--format", "json")
	require.Error(t, err)
	assert.Contains(t, out, `"name": "spring_sale"`)
}
