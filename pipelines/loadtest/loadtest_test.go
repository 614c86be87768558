package loadtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunSpreadsConnectionsOverReplicas(t *testing.T) {
	var got [2]atomic.Int64
	var urls []string
	for i := range got {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/hooks/demo/pos" {
				got[i].Add(1)
			}
		}))
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
	}
	rep, err := Run(context.Background(), Config{
		HubURL: urls[0] + ", " + urls[1] + "/", Tenant: "demo", Connector: "pos", Secret: "s",
		Connections: 4, MaxSales: 40, Duration: time.Minute,
	})
	require.NoError(t, err)
	assert.Equal(t, 40, rep.Accepted)
	assert.EqualValues(t, 40, got[0].Load()+got[1].Load())
	assert.Positive(t, got[0].Load(), "the first replica got some")
	assert.Positive(t, got[1].Load(), "the second replica got some")
}
