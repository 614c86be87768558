package sandbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkSend measures the send endpoint with status webhooks flowing to
// a receiver over loopback.
func BenchmarkSend(b *testing.B) {
	var statuses atomic.Int64
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		statuses.Add(int64(strings.Count(readAll(r), `"status":`)))
	}))
	defer hub.Close()
	cfg := testConfig()
	cfg.WebhookURL = hub.URL
	s := New(cfg, nil)
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	s.Start(context.Background())
	defer s.Close(context.Background())

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	url := hs.URL + "/v24.0/" + testPhoneID + "/messages"
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(templateBody))
			req.Header.Set("Authorization", "Bearer "+testToken)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_ = readAll(&http.Request{Body: resp.Body})
			resp.Body.Close()
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
}

func readAll(r *http.Request) string {
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := r.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			return sb.String()
		}
	}
}
