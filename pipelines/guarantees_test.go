package pipelines_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/pos"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines"
)

type deadLetters struct {
	DeadLetters []struct {
		ID         string            `json:"id"`
		Handler    string            `json:"handler"`
		Topic      string            `json:"topic"`
		Reason     string            `json:"reason"`
		Payload    string            `json:"payload"`
		Metadata   map[string]string `json:"metadata"`
		ReplayedAt *string           `json:"replayed_at"`
	} `json:"deadletters"`
}

func (h *harness) deadLetters() deadLetters {
	var d deadLetters
	require.Equal(h.t, http.StatusOK, h.admin(http.MethodGet, "/deadletters", &d))
	return d
}

func processed(h *harness, stage string) float64 {
	return counterValue(h.t, h.hub.Metrics().StageProcessed.WithLabelValues(stage))
}

func TestBadSignatureIsRejectedAndNothingIsEnqueued(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	body := sale("S-2", "081234567891", "Budi", "100000")

	tests := []struct {
		name string
		sig  string
	}{
		{"missing", ""},
		{"wrong secret", pos.Sign("not-the-secret", body)},
		{"garbage", "zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _ := h.post("/hooks/acme/pos", body, tt.sig)
			require.Equal(t, http.StatusUnauthorized, code)
		})
	}
	require.EqualValues(t, 3, counterValue(t, h.hub.Metrics().ConnectorSigFailures.WithLabelValues("acme", "pos")))

	// A valid delivery afterwards is the only one the mapping stage sees.
	other := sale("S-3", "081234567892", "Citra", "100000")
	require.Equal(t, http.StatusOK, h.postSale(other))
	eventually(t, "the valid sale", func() bool { return h.sentTo("+6281234567892") == 1 })
	// The mapping stage saw exactly the accepted deliveries: the sale and
	// the sandbox's status webhooks, none of the rejected ones.
	requests := func(connector, code string) float64 {
		return counterValue(t, h.hub.Metrics().ConnectorRequests.WithLabelValues("acme", connector, code))
	}
	require.EqualValues(t, 1, requests("pos", "200"))
	require.EqualValues(t, 3, requests("pos", "401"))
	eventually(t, "the status webhooks", func() bool {
		return processed(h, pipelines.StageProcess) == requests("pos", "200") &&
			processed(h, pipelines.StageBSP) == requests("whatsapp", "200")
	})
	_, found := h.member("+6281234567891")
	require.False(t, found, "a rejected delivery must not create a member")
}

func TestSignedMalformedPayloadIsDeadLettered(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	body := []byte(`{"sale_id": "S-4", "customer": {`)
	require.Equal(t, http.StatusOK, h.postSale(body))

	eventually(t, "the dead letter", func() bool { return len(h.deadLetters().DeadLetters) == 1 })
	d := h.deadLetters().DeadLetters[0]
	require.Equal(t, pipelines.StageProcess, d.Handler)
	require.Equal(t, pipelines.TopicInbound, d.Topic)
	require.Contains(t, d.Reason, "not valid JSON")
	require.Equal(t, string(body), d.Payload, "the raw payload is kept for inspection")
}

func TestUnknownTenantOrConnectorIs404(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	body := sale("S-5", "081234567893", "Dewi", "100000")
	for _, path := range []string{"/hooks/nobody/pos", "/hooks/acme/nothing", "/hooks/acme"} {
		t.Run(path, func(t *testing.T) {
			code, resp := h.post(path, body, pos.Sign(testPOSSecret, body))
			require.Equal(t, http.StatusNotFound, code)
			require.Contains(t, resp, `"error"`)
		})
	}
}

func TestSameSaleThreeTimesEarnsOnceAndMessagesOnce(t *testing.T) {
	for _, backend := range backends(t) {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, harnessOpts{backend: backend})
			body := sale("S-6", "081234567894", "Eka", "120000")
			for range 3 {
				require.Equal(t, http.StatusOK, h.postSale(body))
			}
			// A re-signed copy with a different delivery (same sale id but a
			// different body byte) is the same sale too.
			again := []byte(strings.Replace(string(body), `"currency"`, ` "currency"`, 1))
			require.Equal(t, http.StatusOK, h.postSale(again))

			// The queue may drop the repeats as duplicates (JetStream) or
			// deliver them (memory); either way, once the process stage has
			// handled them and the sender has sent what the first queued,
			// all is settled: a repeat replays its transaction and queues
			// nothing.
			eventually(t, "all deliveries processed", func() bool {
				return processed(h, pipelines.StageProcess) >= 2 && h.sentTo("+6281234567894") >= 1
			})
			m, ok := h.member("+6281234567894")
			require.True(t, ok)
			require.EqualValues(t, 12, m.Balance)
			var ledger struct{ Entries []store.LedgerEntry }
			h.admin(http.MethodGet, "/members/"+m.ID+"/ledger", &ledger)
			require.Len(t, ledger.Entries, 1)
			require.Equal(t, 1, h.sentTo("+6281234567894"))
		})
	}
}

func TestSandbox500ThenSuccessDeliversOnce(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.sb.InjectFault(sandbox.Fault{Count: 1, HTTPStatus: http.StatusInternalServerError})
	require.Equal(t, http.StatusOK, h.postSale(sale("S-7", "081234567895", "Fajar", "50000")))
	eventually(t, "the message", func() bool { return h.sentTo("+6281234567895") == 1 })
	var list struct{ Messages []store.Message }
	eventually(t, "the message log", func() bool {
		h.admin(http.MethodGet, "/messages", &list)
		return len(list.Messages) == 1 && list.Messages[0].Status != store.MessageSending &&
			list.Messages[0].Status != store.MessageQueued
	})
	require.Equal(t, 1, h.sentTo("+6281234567895"))
	require.Empty(t, h.deadLetters().DeadLetters)
}

func TestUndeliverableRecipientIsDeadLetteredNotRetried(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.sb.InjectFault(sandbox.Fault{Count: 1, Code: 131026})
	require.Equal(t, http.StatusOK, h.postSale(sale("S-8", "081234567896", "Gita", "50000")))

	eventually(t, "the dead letter", func() bool { return len(h.deadLetters().DeadLetters) == 1 })
	d := h.deadLetters().DeadLetters[0]
	require.Equal(t, pipelines.StageSend, d.Handler)
	require.Contains(t, d.Reason, "131026")

	var list struct{ Messages []store.Message }
	h.admin(http.MethodGet, "/messages", &list)
	require.Len(t, list.Messages, 1)
	require.Equal(t, store.MessageFailed, list.Messages[0].Status)
	require.Equal(t, "131026", list.Messages[0].ErrorCode)
	require.Equal(t, 1, list.Messages[0].Attempts, "a permanent failure is not retried")
	require.Equal(t, 0, h.sentTo("+6281234567896"))
}

func TestBreakerOpensUnderSustained5xxAndSendingResumes(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.sb.InjectFault(sandbox.Fault{Count: 40, HTTPStatus: http.StatusServiceUnavailable})
	require.Equal(t, http.StatusOK, h.postSale(sale("S-9", "081234567897", "Hadi", "50000")))

	eventually(t, "the message after the outage", func() bool { return h.sentTo("+6281234567897") == 1 })
	opened := counterValue(t, h.hub.Metrics().SenderErrors.WithLabelValues("acme", "whatsapp", "throttle"))
	require.Positive(t, opened, "the open breaker fails sends fast as throttled")
	require.Equal(t, 1, h.sentTo("+6281234567897"))
	require.Empty(t, h.deadLetters().DeadLetters)
}

func TestDeadLetterReplay(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	// Signed and parseable, but the phone number is not one: the loyalty
	// stage dead-letters it.
	require.Equal(t, http.StatusOK, h.postSale(sale("S-10", "12", "Ira", "50000")))
	eventually(t, "the dead letter", func() bool { return len(h.deadLetters().DeadLetters) == 1 })
	d := h.deadLetters().DeadLetters[0]
	require.Equal(t, pipelines.StageProcess, d.Handler)
	require.Contains(t, d.Reason, "invalid phone number")

	var resp map[string]string
	require.Equal(t, http.StatusAccepted, h.admin(http.MethodPost, "/deadletters/"+d.ID+"/replay", &resp))
	require.Equal(t, pipelines.TopicInbound, resp["topic"])

	// The replayed event fails the same way and is dead-lettered again,
	// linked to the original.
	eventually(t, "the replayed dead letter", func() bool { return len(h.deadLetters().DeadLetters) == 2 })
	all := h.deadLetters().DeadLetters
	require.Equal(t, d.ID, all[0].Metadata[pipelines.MetaReplayOf])
	require.NotNil(t, all[1].ReplayedAt)
}

func TestAdminAPIErrors(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	tests := []struct {
		name, path, token string
		want              int
	}{
		{"no token", "/api/v1/tenants/acme/messages", "", http.StatusUnauthorized},
		{"wrong token", "/api/v1/tenants/acme/messages", "nope", http.StatusUnauthorized},
		{"unknown tenant", "/api/v1/tenants/nobody/messages", testAdmin, http.StatusNotFound},
		{"member list limit out of range", "/api/v1/tenants/acme/members?limit=0", testAdmin, http.StatusBadRequest},
		{"phone invalid", "/api/v1/tenants/acme/members?phone=12", testAdmin, http.StatusBadRequest},
		{"no such member", "/api/v1/tenants/acme/members?phone=081299999999", testAdmin, http.StatusNotFound},
		{"no such ledger", "/api/v1/tenants/acme/members/mem_x/ledger", testAdmin, http.StatusNotFound},
		{"bad limit", "/api/v1/tenants/acme/messages?limit=0", testAdmin, http.StatusBadRequest},
		{"no such dead letter", "/api/v1/tenants/acme/deadletters/x/replay", testAdmin, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := http.MethodGet
			if strings.HasSuffix(tt.path, "/replay") {
				method = http.MethodPost
			}
			req, _ := http.NewRequest(method, h.url+tt.path, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := h.client.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tt.want, resp.StatusCode)
			require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		})
	}
}

func TestHealthReadyAndMetrics(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	for path, want := range map[string]string{
		"/healthz": `"ok"`,
		"/readyz":  `"queue":"ok"`,
		"/metrics": "loyalhub_connector_accept_duration_seconds",
	} {
		resp, err := h.client.Get(h.url + path)
		require.NoError(t, err)
		b := new(strings.Builder)
		_, _ = io.Copy(b, resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		require.Contains(t, b.String(), want, path)
	}
}

func TestIngestOnlyQueuesForLaterProcessing(t *testing.T) {
	dir := t.TempDir()
	receiver := newHarness(t, harnessOpts{backend: "embedded", dataDir: dir, env: []string{"LOYALHUB_PIPELINE__INGEST_ONLY=true"}})
	require.Equal(t, http.StatusOK, receiver.postSale(sale("S-11", "081234567898", "Joko", "90000")))
	require.Zero(t, processed(receiver, pipelines.StageProcess))
	require.NoError(t, receiver.hub.Close(context.Background()))

	// A processing hub on the same queue files picks the sale up.
	worker := newHarness(t, harnessOpts{backend: "embedded", dataDir: dir})
	eventually(t, "the queued sale's message", func() bool { return worker.sentTo("+6281234567898") == 1 })
	m, ok := worker.member("081234567898")
	require.True(t, ok)
	require.EqualValues(t, 9, m.Balance)
}

// A send whose outcome is unknown (the BSP never answered) is not resent at
// once: the hub waits for a status webhook, then applies the policy.
func TestUnknownOutcomePolicy(t *testing.T) {
	tests := []struct {
		policy     string
		wantSent   int
		wantStatus string
	}{
		{"resend", 1, store.MessageRead},
		{"hold", 0, store.MessageUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			h := newHarness(t, harnessOpts{env: []string{
				"LOYALHUB_PIPELINE__SEND__UNKNOWN_POLICY=" + tt.policy,
				"LOYALHUB_PIPELINE__SEND__UNKNOWN_GRACE=500ms",
				"LOYALHUB_TENANTS__ACME__CONNECTORS__WHATSAPP__TIMEOUT=300ms",
			}})
			h.sb.InjectFault(sandbox.Fault{Count: 1, Hang: true})
			require.Equal(t, http.StatusOK, h.postSale(sale("S-12", "081234567899", "Kiki", "50000")))

			var list struct{ Messages []store.Message }
			eventually(t, "the final status", func() bool {
				h.admin(http.MethodGet, "/messages", &list)
				return len(list.Messages) == 1 && list.Messages[0].Status == tt.wantStatus
			})
			require.Equal(t, tt.wantSent, h.sentTo("+6281234567899"))
			var msg store.Message
			h.admin(http.MethodGet, "/messages/"+list.Messages[0].Key, &msg)
			require.Equal(t, store.MessageUnknown, msg.Timeline[1].Status, "the timed-out attempt is recorded as unknown")
		})
	}
}

func TestFailedStatusWebhookIsRecorded(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.sb.InjectFault(sandbox.Fault{Count: 1, Code: 131049, Async: true})
	require.Equal(t, http.StatusOK, h.postSale(sale("S-13", "081234567880", "Lina", "50000")))
	var list struct{ Messages []store.Message }
	eventually(t, "the failed status", func() bool {
		h.admin(http.MethodGet, "/messages?status=failed", &list)
		return len(list.Messages) == 1
	})
	require.Equal(t, "131049", list.Messages[0].ErrorCode)
	failed := list.Messages[0].Key
	eventually(t, "the message queued again for after the hold", func() bool {
		h.admin(http.MethodGet, "/messages?status=queued", &list)
		return len(list.Messages) == 1
	})
	require.Equal(t, failed+"~retry", list.Messages[0].Key, "131049 is retried after 24 h, not dropped")
}

func TestBSPWebhookSignatureAndUnknownMessage(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"200000000000009","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"` + testNumberID + `"},"statuses":[{"id":"wamid.UNKNOWN","status":"delivered","timestamp":"1763900000","recipient_id":"6281234567000"}]}}]}]}`)

	req, _ := http.NewRequest(http.MethodPost, h.url+"/hooks/acme/whatsapp", strings.NewReader(string(body)))
	req.Header.Set("X-Hub-Signature-256", sandbox.Sign("not-the-app-secret", body))
	resp, err := h.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	req, _ = http.NewRequest(http.MethodPost, h.url+"/hooks/acme/whatsapp", strings.NewReader(string(body)))
	req.Header.Set("X-Hub-Signature-256", sandbox.Sign(testAppSecret, body))
	resp, err = h.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// A report for a message this hub never sent is counted, not dead-lettered.
	eventually(t, "the unmatched report", func() bool {
		return counterValue(t, h.hub.Metrics().StatusUnmatched.WithLabelValues("acme")) == 1
	})
	require.Empty(t, h.deadLetters().DeadLetters)
	require.EqualValues(t, 1, counterValue(t, h.hub.Metrics().ConnectorSigFailures.WithLabelValues("acme", "whatsapp")))
}
