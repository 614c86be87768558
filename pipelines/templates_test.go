package pipelines_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/all"
	"github.com/loyalhub/loyalhub/pipelines"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
)

// startWithTemplates starts a hub whose WhatsApp account lists the
// templates of listing (Meta's JSON), on the test config edited by edit,
// and returns the start's error.
func startWithTemplates(t *testing.T, listing string, edit func(string) string) error {
	t.Helper()
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, listing)
	}))
	defer graph.Close()
	cfg := edit(testConfig(t.TempDir(), graph.URL))
	cfg = replaceOnce(t, cfg, "        phone_number_id:", "        waba_id: \"200000000000009\"\n        phone_number_id:")
	reg := connectors.NewRegistry()
	all.Register(reg)
	s, err := hubconfig.Parse([]byte(cfg), []string{"LOYALHUB_QUEUE__BACKEND=memory"}, reg)
	require.NoError(t, err)
	hub, err := pipelines.New(s, pipelines.Options{})
	require.NoError(t, err)
	defer func() { _ = hub.Close(context.Background()) }()
	return hub.Start(context.Background())
}

func TestStartRefusesANotificationWhoseTemplateDoesNotFit(t *testing.T) {
	err := startWithTemplates(t, `{"data":[{"name":"points_earned","language":"en","status":"APPROVED","category":"UTILITY","components":[{"type":"BODY","text":"Hi {{1}}, +{{2}}"}]}],"paging":{}}`,
		func(cfg string) string { return cfg })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tenants.acme.notifications[0].template")
	assert.Contains(t, err.Error(), "takes 2 body parameters, the message gives 3")
}

func TestStartRefusesAJourneyWhoseTemplateDoesNotFit(t *testing.T) {
	err := startWithTemplates(t, `{"data":[{"name":"points_earned","language":"en","status":"APPROVED","category":"UTILITY","components":[{"type":"BODY","text":"Hi {{1}}, +{{2}}, {{3}}"}]},`+
		`{"name":"thanks","language":"en","status":"APPROVED","category":"UTILITY","components":[{"type":"BODY","text":"Thanks {{1}}"}]}],"paging":{}}`,
		withJourney)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "notifications[0]")
	assert.Contains(t, err.Error(), "tenants.acme.journeys[0].steps[0].send.template: ")
	assert.Contains(t, err.Error(), "takes 1 body parameters, the message gives 2")
	assert.Contains(t, err.Error(), "tenants.acme.journeys[0].steps[3].send.template: ")
}

func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	require.Contains(t, s, old)
	return strings.Replace(s, old, new, 1)
}
