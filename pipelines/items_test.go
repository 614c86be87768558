package pipelines_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/pipelines"
)

// One bad sale of a POS batch is dead-lettered alone: the good sales earn
// and are messaged, each bad sale is its own dead letter with the reason,
// the sale and the delivery's metadata, the same sale delivered again is no
// second dead letter, and a replayed dead letter is mapped as the one sale
// it holds.
func TestBatchWithBadSalesEarnsTheGoodOnes(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	batch := []byte(`{"sales": [` +
		string(sale("B-1", "081234568001", "Ayu", "100000")) + `,` +
		`{"customer": {"phone": "081234568002"}, "total": "50000", "currency": "IDR"},` +
		string(sale("B-3", "081234568003", "Citra", "120000")) + `,` +
		`{"sale_id": "B-4", "customer": {"phone": "081234568004"}, "total": "12O000", "currency": "IDR"}]}`)
	require.Equal(t, http.StatusOK, h.postSale(batch))

	eventually(t, "the good sales' messages", func() bool {
		return h.sentTo("+6281234568001") == 1 && h.sentTo("+6281234568003") == 1
	})
	eventually(t, "two dead letters", func() bool { return len(h.deadLetters().DeadLetters) == 2 })
	for _, phone := range []string{"+6281234568001", "+6281234568003"} {
		m, ok := h.member(phone)
		require.True(t, ok, phone)
		assert.Positive(t, m.Balance, phone)
	}
	for _, phone := range []string{"+6281234568002", "+6281234568004"} {
		_, ok := h.member(phone)
		assert.False(t, ok, "a bad sale must not earn: %s", phone)
	}
	reasons := map[string]string{}
	for _, d := range h.deadLetters().DeadLetters {
		assert.Equal(t, pipelines.StageProcess, d.Handler)
		assert.Equal(t, pipelines.TopicInbound, d.Topic)
		assert.Equal(t, "acme", d.Metadata[pipelines.MetaTenant])
		assert.NotEmpty(t, d.Metadata[pipelines.MetaDeliveryID])
		var item map[string]any
		require.NoError(t, json.Unmarshal([]byte(d.Payload), &item), "the payload is the sale: %s", d.Payload)
		assert.NotContains(t, d.Payload, "B-1", "a dead letter holds its own sale only")
		reasons[fmt.Sprint(item["total"])] = d.Reason
	}
	assert.Contains(t, reasons["50000"], "sale_id is required")
	assert.Contains(t, reasons["12O000"], "total must be a decimal")
	assert.EqualValues(t, 2, counterValue(t, h.hub.Metrics().DeadLetters.WithLabelValues(pipelines.StageProcess)))

	// The same batch again, as another delivery (a POS retrying), earns
	// nothing more and stores no second copy of its bad sales.
	mapped := processed(h, pipelines.StageProcess)
	again := []byte(strings.Replace(string(batch), `{"sales": [`, `{"sales":[`, 1))
	require.Equal(t, http.StatusOK, h.postSale(again))
	eventually(t, "the second batch mapped", func() bool { return processed(h, pipelines.StageProcess) > mapped })
	assert.Len(t, h.deadLetters().DeadLetters, 2, "the same bad sale is one dead letter")
	assert.Equal(t, 1, h.sentTo("+6281234568001"))

	// A replayed dead letter is mapped as the single sale it holds: it
	// fails for the same reason, not for its shape.
	var d struct{ ID, Reason string }
	for _, x := range h.deadLetters().DeadLetters {
		if strings.Contains(x.Reason, "total must be a decimal") {
			d.ID, d.Reason = x.ID, x.Reason
			break
		}
	}
	require.NotEmpty(t, d.ID)
	var resp map[string]string
	require.Equal(t, http.StatusAccepted, h.admin(http.MethodPost, "/deadletters/"+d.ID+"/replay", &resp))
	eventually(t, "the replay's dead letter", func() bool { return len(h.deadLetters().DeadLetters) == 3 })
	newest := h.deadLetters().DeadLetters[0]
	assert.Contains(t, newest.Reason, "total must be a decimal")
	assert.Equal(t, d.ID, newest.Metadata[pipelines.MetaReplayOf])
}

// One WhatsApp webhook batching good and bad items: each item is handled
// alone. The unreadable message is the only dead letter; the customer's
// message is recorded; a deleted status, a status that is the message
// log's own (skipped), a change of a field the hub does not handle, a
// value-level error and a body that is not Meta's envelope are counted,
// never dead-lettered.
func TestWebhookItemsAreHandledAlone(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	at := time.Now().Add(-time.Minute).Unix()
	body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"200000000000009","time":%[2]d,"changes":[
	  {"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"%[1]s"},
	    "contacts":[{"profile":{"name":"Sari"},"wa_id":"6281234569001"}],
	    "messages":[
	      {"from":"6281234569001","id":"wamid.GOOD1","timestamp":"%[2]d","type":"text","text":{"body":"POIN"}},
	      {"from":"6281234569001","timestamp":"%[2]d","type":"text","text":{"body":"no id"}}],
	    "statuses":[
	      {"id":"wamid.GOOD0","status":"deleted","timestamp":"%[2]d","recipient_id":"6281234569001"},
	      {"id":"wamid.OTHER","status":"played","timestamp":"%[2]d","recipient_id":"6281234569001"},
	      {"id":"wamid.OTHER","status":"skipped","timestamp":"%[2]d","recipient_id":"6281234569001"}]}},
	  {"field":"account_update","value":{"phone_number":"15550000009","event":"VERIFIED_ACCOUNT"}},
	  {"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000009","phone_number_id":"%[1]s"},
	    "errors":[{"code":131000,"title":"Something went wrong","message":"Something went wrong","error_data":{"details":"Unsupported webhook payload"}}]}}]}]}`,
		testNumberID, at)
	h.postWebhook(t, body)
	h.postWebhook(t, `{"object":"page","entry":[{"id":"1","messaging":[]}]}`)

	m := h.hub.Metrics()
	eventually(t, "the counts", func() bool {
		return counterValue(t, m.PartsIgnored.WithLabelValues("acme", "whatsapp", "account_update")) == 1 &&
			counterValue(t, m.PartsIgnored.WithLabelValues("acme", "whatsapp", "not_an_envelope")) == 1 &&
			counterValue(t, m.StatusesIgnored.WithLabelValues("acme", "deleted")) == 1 &&
			counterValue(t, m.StatusesIgnored.WithLabelValues("acme", "played")) == 1 &&
			counterValue(t, m.StatusesIgnored.WithLabelValues("acme", "skipped")) == 1 &&
			counterValue(t, m.WebhookErrors.WithLabelValues("acme", "131000")) == 1
	})
	eventually(t, "the message recorded", func() bool {
		return counterValue(t, m.InboundMessages.WithLabelValues("acme", "new")) >= 1
	})
	dls := h.deadLetters().DeadLetters
	require.Len(t, dls, 1, "only the unreadable message is dead-lettered")
	assert.Equal(t, pipelines.StageBSP, dls[0].Handler)
	assert.Equal(t, pipelines.TopicInboundBSP, dls[0].Topic)
	assert.Contains(t, dls[0].Reason, "message without an id")
	assert.Contains(t, dls[0].Payload, `"no id"`)
	assert.NotContains(t, dls[0].Payload, "wamid.GOOD1", "the dead letter holds the bad message only")
	assert.NotContains(t, dls[0].Payload, "deleted", "nor the statuses")
	assert.Contains(t, dls[0].Payload, testNumberID, "it keeps the envelope that routes it")
}

// A field the hub does not handle is counted every time and logged once.
func TestIgnoredFieldIsLoggedOnce(t *testing.T) {
	var logs syncBuffer
	h := newHarness(t, harnessOpts{logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for i := range 3 {
		h.postWebhook(t, fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"200000000000009","time":%d,"changes":[
		  {"field":"account_update","value":{"phone_number":"15550000009","event":"VERIFIED_ACCOUNT"}}]}]}`, 1795404000+i))
	}
	eventually(t, "three counted", func() bool {
		return counterValue(t, h.hub.Metrics().PartsIgnored.WithLabelValues("acme", "whatsapp", "account_update")) == 3
	})
	assert.Equal(t, 1, strings.Count(logs.String(), "field=account_update"), logs.String())
	assert.Empty(t, h.deadLetters().DeadLetters)
}

// The sales of one POS batch run together, and a customer's events keep
// the batch's order: a refund after its sale in the same batch applies at
// once (no retry waiting for the order), a customer's second sale adds to
// the first, and every sale of the batch earns.
func TestBatchRunsTogetherInItsCustomersOrder(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	const n = 300
	phone := func(i int) string { return fmt.Sprintf("0812345%05d", 60000+i) }
	sales := make([]string, 0, n+2)
	for i := range n {
		sales = append(sales, string(sale(fmt.Sprintf("W-%d", i), phone(i), "Wave", "100000")))
		if i == 1 {
			// Close behind the sales they follow, within one wave's reach.
			sales = append(sales,
				`{"sale_id": "W-0", "status": "refunded", "refund_id": "R-1", "refund_amount": "100000", "total": "100000", "currency": "IDR"}`,
				string(sale("W-SECOND", phone(1), "Wave", "100000")))
		}
	}
	require.Equal(t, http.StatusOK, h.postSale([]byte(`{"sales": [`+strings.Join(sales, ",")+`]}`)))

	eventually(t, "the batch processed", func() bool { return processed(h, pipelines.StageProcess) >= 1 })
	for i := range n {
		m, ok := h.member(fmt.Sprintf("+62812345%05d", 60000+i))
		require.True(t, ok, "sale %d earned", i)
		switch i {
		case 0:
			assert.Zero(t, m.Balance, "the refund after its sale in the same batch took the points back")
		case 1:
			assert.EqualValues(t, 20, m.Balance, "the customer's second sale adds to the first")
		default:
			assert.EqualValues(t, 10, m.Balance, "sale %d", i)
		}
	}
	assert.Zero(t, counterValue(t, h.hub.Metrics().StageFailed.WithLabelValues(pipelines.StageProcess, "retryable")),
		"no event of the batch waited for another")
	assert.Empty(t, h.deadLetters().DeadLetters)
}
