package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/fault"
)

func TestWriteBack(t *testing.T) {
	fake := newFake(t, loadCRM(t))
	s := newTestSource(t, testConfig(fake.server.URL))
	res, err := s.WriteBack(context.Background(), []connectors.MemberState{
		{ID: "m1", Phone: "+6281234567890", Email: "Sari@Example.com", Name: "Sari", Balance: 1250, Pending: 300, Tier: "gold"},
		{ID: "m2", Phone: "+6281211112222", Email: "rina@example.com", Balance: 0, Tier: ""},
		{ID: "m3", Phone: "+6281300000000", Balance: 10, Tier: "silver"},                             // no email
		{ID: "m4", Phone: "+6281300000001", Email: "nobody@example.com", Balance: 5, Tier: "bronze"}, // no contact
		{ID: "m5", Phone: "+6281300000002", Email: "sari@example.com", Balance: 1, Tier: "bronze"},   // same contact as m1
	})
	require.NoError(t, err)
	assert.Equal(t, SyncResult{Updated: 2, Skipped: 2, NotFound: 1}, res)

	calls := fake.calls()
	require.Len(t, calls, 1)
	assert.Equal(t, pathContactsUpdate, calls[0].Path)
	assert.JSONEq(t, `{"inputs": [
		{"id": "sari@example.com", "idProperty": "email", "properties": {"loyalty_points": "1250", "loyalty_tier": "gold"}},
		{"id": "rina@example.com", "idProperty": "email", "properties": {"loyalty_points": "0", "loyalty_tier": ""}},
		{"id": "nobody@example.com", "idProperty": "email", "properties": {"loyalty_points": "5", "loyalty_tier": "bronze"}}
	]}`, string(calls[0].Body))
	assert.Equal(t, "1250", fake.contact("847297356")["loyalty_points"])
	assert.Equal(t, "gold", fake.contact("847297356")["loyalty_tier"])
}

func TestWriteBackByPhoneProperty(t *testing.T) {
	data := loadCRM(t)
	data.Contacts["847297356"]["whatsapp_e164"] = "+6281234567890"
	fake := newFake(t, data)
	cfg := testConfig(fake.server.URL)
	cfg.WriteBack.IDProperty = "whatsapp_e164"
	cfg.WriteBack.TierProperty = ""
	s := newTestSource(t, cfg)
	res, err := s.WriteBack(context.Background(), []connectors.MemberState{
		{ID: "m1", Phone: "+6281234567890", Email: "sari@example.com", Balance: 42, Tier: "gold"},
		{ID: "m2", Email: "rina@example.com", Balance: 7},
	})
	require.NoError(t, err)
	assert.Equal(t, SyncResult{Updated: 1, Skipped: 1}, res)
	calls := fake.calls()
	require.Len(t, calls, 1)
	assert.JSONEq(t, `{"inputs": [{"id": "+6281234567890", "idProperty": "whatsapp_e164", "properties": {"loyalty_points": "42"}}]}`, string(calls[0].Body))
}

func TestWriteBackBatches(t *testing.T) {
	data := crm{Contacts: map[string]map[string]string{}}
	var members []connectors.MemberState
	for i := range 230 {
		email := fmt.Sprintf("member%03d@example.com", i)
		data.Contacts[fmt.Sprint(800000000+i)] = map[string]string{"email": email}
		members = append(members, connectors.MemberState{ID: fmt.Sprint(i), Email: email, Balance: int64(i)})
	}
	fake := newFake(t, data)
	s := newTestSource(t, testConfig(fake.server.URL))
	res, err := s.WriteBack(context.Background(), members)
	require.NoError(t, err)
	assert.Equal(t, SyncResult{Updated: 230}, res)
	var sizes []int
	for _, c := range fake.calls() {
		var in batchUpdateRequest
		require.NoError(t, json.Unmarshal(c.Body, &in))
		sizes = append(sizes, len(in.Inputs))
	}
	assert.Equal(t, []int{100, 100, 30}, sizes)
}

func TestWriteBackAnswers(t *testing.T) {
	members := []connectors.MemberState{
		{ID: "m1", Email: "sari@example.com", Balance: 1250, Tier: "gold"},
		{ID: "m2", Email: "ghost@example.com", Balance: 3, Tier: "silver"},
	}
	tests := []struct {
		name      string
		answer    fakeAnswer
		token     string
		want      SyncResult
		permanent bool
		class     fault.Class
		after     time.Duration
	}{
		{
			name: "every contact missing, answered 207",
			answer: fakeAnswer{status: http.StatusMultiStatus, body: `{"status":"COMPLETE","results":[],"numErrors":1,"errors":[{"status":"error","category":"OBJECT_NOT_FOUND",
				"message":"Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.","context":{"ids":["sari@example.com","ghost@example.com"]}}]}`},
			want: SyncResult{NotFound: 2},
		},
		{
			name:   "a merged contact left out of the results",
			answer: fakeAnswer{status: http.StatusOK, body: `{"status":"COMPLETE","results":[{"id":"847297356","properties":{"loyalty_points":"1250"}}]}`},
			want:   SyncResult{Updated: 1, NotFound: 1},
		},
		{
			name:   "every contact missing, answered 404",
			answer: fakeAnswer{status: http.StatusNotFound, body: `{"status":"error","category":"OBJECT_NOT_FOUND","message":"Could not get some CONTACT objects, they may be deleted or not exist."}`},
			want:   SyncResult{NotFound: 2},
		},
		{
			name: "one input refused",
			answer: fakeAnswer{status: http.StatusMultiStatus, body: `{"status":"COMPLETE","results":[{"id":"847297356","properties":{}}],"numErrors":1,"errors":[{"status":"error","category":"VALIDATION_ERROR",
				"message":"Property values were not valid: silver is not a valid option for loyalty_tier","context":{"ids":["ghost@example.com"]}}]}`},
			want: SyncResult{Updated: 1, Rejected: 1},
		},
		{
			name:      "property missing in the portal",
			answer:    fakeAnswer{status: http.StatusBadRequest, body: `{"status":"error","category":"VALIDATION_ERROR","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Property \\\"loyalty_points\\\" does not exist\",\"error\":\"PROPERTY_DOESNT_EXIST\",\"name\":\"loyalty_points\"}]"}`},
			permanent: true, class: fault.ClassRequest,
		},
		{
			name:   "429",
			answer: fakeAnswer{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "3"}, body: `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","policyName":"TEN_SECONDLY_ROLLING"}`},
			class:  fault.ClassThrottle, after: 3 * time.Second,
		},
		{
			name:   "500",
			answer: fakeAnswer{status: http.StatusInternalServerError, body: `{"status":"error","message":"internal error"}`},
			class:  fault.ClassTransient,
		},
		{
			name:  "401",
			token: "pat-na1-expired",
			class: fault.ClassAuth, permanent: true,
		},
		{
			name:   "403",
			answer: fakeAnswer{status: http.StatusForbidden, body: `{"status":"error","category":"MISSING_SCOPES","message":"This app hasn't been granted all required scopes to make this call."}`},
			class:  fault.ClassAuth, permanent: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, loadCRM(t))
			if tt.answer.status != 0 {
				fake.queue(pathContactsUpdate, tt.answer)
			}
			cfg := testConfig(fake.server.URL)
			if tt.token != "" {
				cfg.AccessToken = tt.token
			}
			s := newTestSource(t, cfg)
			if tt.class == "" {
				res, err := s.WriteBack(context.Background(), members)
				require.NoError(t, err)
				assert.Equal(t, tt.want, res)
				return
			}
			err := s.SyncMembers(context.Background(), members)
			require.Error(t, err)
			assert.Equal(t, tt.permanent, fault.IsPermanent(err), "%v", err)
			assert.Equal(t, tt.class, fault.ClassOf(err))
			assert.Equal(t, tt.after, fault.RetryAfter(err))
			assert.Contains(t, err.Error(), "writing 2 members to hubspot")
		})
	}
}

func TestWriteBackDisabled(t *testing.T) {
	fake := newFake(t, loadCRM(t))
	cfg := testConfig(fake.server.URL)
	cfg.WriteBack.Enabled = false
	s := newTestSource(t, cfg)
	res, err := s.WriteBack(context.Background(), []connectors.MemberState{{Email: "sari@example.com", Balance: 1}})
	require.NoError(t, err)
	assert.Zero(t, res)
	require.NoError(t, s.SyncMembers(context.Background(), []connectors.MemberState{{Email: "sari@example.com"}}))
	assert.Empty(t, fake.calls())
}

// Write-back shares the portal's rate limiter with enrichment.
func TestWriteBackRateLimited(t *testing.T) {
	fake := newFake(t, loadCRM(t))
	cfg := testConfig(fake.server.URL)
	cfg.RateLimit = RateLimit{Requests: 1, Interval: time.Hour}
	s := newTestSource(t, cfg)
	_, err := s.Enrich(context.Background(), connectors.Delivery{ID: "d"}, []byte(`[{"subscriptionType":"contact.creation","objectId":847297356}]`))
	require.NoError(t, err)
	// The next turn is an hour away, beyond the caller's minute: refused at
	// once, however long the machine takes to get here.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = s.SyncMembers(ctx, []connectors.MemberState{{Email: "sari@example.com", Balance: 1}})
	require.Error(t, err)
	assert.Equal(t, fault.ClassThrottle, fault.ClassOf(err))
	assert.False(t, fault.IsPermanent(err))
	assert.Len(t, fake.calls(), 1)
}
