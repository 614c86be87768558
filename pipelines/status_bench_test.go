package pipelines_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/storetest"
)

// BenchmarkStatusIngest measures delivery reports end to end: a signed
// Cloud API status webhook is accepted over the hub's handler (in process),
// queued durably, mapped, and its reports applied to the message log in
// one transaction, for messages the hub sent. One
// op is one status update; per_webhook is how many statuses one webhook
// carries (Meta mostly sends one). The number to compare with is
// updates/s: one number at 1,000 msg/s produces about 3,000 a second.
//
// store=sqlite runs on the embedded defaults; store=postgres on the same
// queue with PostgreSQL as the store.
func BenchmarkStatusIngest(b *testing.B) {
	for _, driver := range []string{"sqlite", "postgres"} {
		for _, perWebhook := range []int{1, 3} {
			b.Run(fmt.Sprintf("store=%s/per_webhook=%d", driver, perWebhook), func(b *testing.B) {
				benchmarkStatusIngest(b, driver, perWebhook)
			})
		}
	}
}

func benchmarkStatusIngest(b *testing.B, driver string, perWebhook int) {
	env := []string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true", "LOYALHUB_QUEUE__SUBSCRIBERS=16"}
	if driver == "postgres" {
		env = append(env, "LOYALHUB_STORE__DRIVER=postgres", "LOYALHUB_STORE__POSTGRES__DSN="+storetest.FreshPostgres(b))
	}
	h := newHarness(b, harnessOpts{backend: "embedded", env: env})
	st := h.hub.Store()
	ctx := context.Background()
	msgs := (b.N + 2) / 3
	prefix := fmt.Sprintf("bench%d_", time.Now().UnixNano())
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range msgs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			key := fmt.Sprintf("%s%d", prefix, i)
			if _, _, err := st.ClaimMessage(ctx, store.Message{Key: key, Tenant: "acme", Recipient: "+6281234567890", Kind: "template"}); err != nil {
				b.Error(err)
				return
			}
			if err := st.MarkSent(ctx, key, "wamid."+key, time.Now()); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	statusOf := func(n int) (key, status string) {
		return fmt.Sprintf("%s%d", prefix, n/3), []string{"sent", "delivered", "read"}[n%3]
	}
	processed := func() float64 {
		var m dto.Metric
		_ = h.hub.Metrics().StatusesApplied.Write(&m)
		return m.GetCounter().GetValue()
	}
	base := processed()
	handler := h.hub.Handler()
	var next atomic.Int64
	cpu0 := storetest.CPUTime(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			// Each op is one status; a webhook is posted every
			// perWebhook ops with that many statuses.
			n := int(next.Add(1)) - 1
			if (n+1)%perWebhook != 0 && n != b.N-1 {
				continue
			}
			var parts []string
			for j := n - n%perWebhook; j <= n && j < b.N; j++ {
				key, status := statusOf(j)
				parts = append(parts, fmt.Sprintf(`{"id":"wamid.%s","status":"%s","timestamp":"%d","recipient_id":"6281234567890","biz_opaque_callback_data":"%s"}`,
					key, status, time.Now().Unix(), key))
			}
			body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"200000000000009","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"` +
				testNumberID + `"},"statuses":[` + strings.Join(parts, ",") + `]}}]}]}`)
			mac := hmac.New(sha256.New, []byte(testAppSecret))
			mac.Write(body)
			req := httptest.NewRequest(http.MethodPost, "/hooks/acme/whatsapp", bytes.NewReader(body))
			req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("status %d: %s", rec.Code, rec.Body)
				return
			}
		}
	})
	for processed()-base < float64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
	// The CPU the process spent per update (hub and load generator, user
	// and system): on a machine shared with other work, the figure that
	// compares two builds where the rate depends on what else runs.
	b.ReportMetric(float64((storetest.CPUTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/update")
	last, status := statusOf(b.N - 1)
	m, err := st.Message(ctx, "acme", last)
	if err != nil || m.Status != status {
		b.Fatalf("last message %s is %q (%v), want %s", last, m.Status, err, status)
	}
}
