package webhook_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/webhook"
)

// The test vector the Standard Webhooks specification publishes.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignMatchesPublishedVector(t *testing.T) {
	key, err := webhook.ParseSecret(vectorSecret)
	require.NoError(t, err)
	got := webhook.Sign(key, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody))
	assert.Equal(t, vectorSignature, got)
}

func TestVerify(t *testing.T) {
	key, err := webhook.ParseSecret(vectorSecret)
	require.NoError(t, err)
	other, err := webhook.ParseSecret(webhook.NewSecret())
	require.NoError(t, err)
	ts := strconv.Itoa(vectorTimestamp)
	now := time.Unix(vectorTimestamp, 0).Add(time.Minute)
	tests := []struct {
		name      string
		keys      [][]byte
		id, ts    string
		signature string
		body      string
		now       time.Time
		want      error
	}{
		{"the vector", [][]byte{key}, vectorID, ts, vectorSignature, vectorBody, now, nil},
		{"one of several signatures", [][]byte{key}, vectorID, ts, "v1,AAAA v2,xyz " + vectorSignature, vectorBody, now, nil},
		{"one of several keys (rotation)", [][]byte{other, key}, vectorID, ts, vectorSignature, vectorBody, now, nil},
		{"a changed body", [][]byte{key}, vectorID, ts, vectorSignature, `{"test": 2432232315}`, now, webhook.ErrSignature},
		{"another id", [][]byte{key}, "msg_other", ts, vectorSignature, vectorBody, now, webhook.ErrSignature},
		{"another key", [][]byte{other}, vectorID, ts, vectorSignature, vectorBody, now, webhook.ErrSignature},
		{"an unknown version", [][]byte{key}, vectorID, ts, "v2," + vectorSignature[3:], vectorBody, now, webhook.ErrSignature},
		{"too old", [][]byte{key}, vectorID, ts, vectorSignature, vectorBody, now.Add(10 * time.Minute), webhook.ErrTimestamp},
		{"from the future", [][]byte{key}, vectorID, ts, vectorSignature, vectorBody, now.Add(-10 * time.Minute), webhook.ErrTimestamp},
		{"no timestamp", [][]byte{key}, vectorID, "", vectorSignature, vectorBody, now, webhook.ErrHeaders},
		{"not seconds", [][]byte{key}, vectorID, "yesterday", vectorSignature, vectorBody, now, webhook.ErrTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.keys, tt.id, tt.ts, tt.signature, []byte(tt.body), tt.now)
			if tt.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.want)
			}
		})
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	secret := webhook.NewSecret()
	key, err := webhook.ParseSecret(secret)
	require.NoError(t, err)
	body, err := webhook.Payload{Type: "points.earned", Timestamp: time.Unix(1700000000, 0),
		Data: webhook.Data{ID: "out_1", Tenant: "acme", Member: webhook.Member{ID: "mem_1", Balance: 10},
			Outcome: map[string]any{"points": 10}}}.Encode()
	require.NoError(t, err)
	at := time.Unix(1700000100, 0)
	sig := webhook.Sign(key, "msg_out_1", at, body)
	require.NoError(t, webhook.Verify([][]byte{key}, "msg_out_1", strconv.FormatInt(at.Unix(), 10), sig, body, at))
	assert.JSONEq(t, `{"type":"points.earned","timestamp":"2023-11-14T22:13:20Z","data":{"id":"out_1","tenant":"acme",
		"member":{"id":"mem_1","balance":10},"outcome":{"points":10}}}`, string(body))
}

func TestParseSecret(t *testing.T) {
	for _, tt := range []struct {
		name, secret string
		ok           bool
	}{
		{"the vector's", vectorSecret, true},
		{"a new one", webhook.NewSecret(), true},
		{"no prefix", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false},
		{"not base64", "whsec_not base64!", false},
		{"too short", "whsec_c2hvcnQ=", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.ParseSecret(tt.secret)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, webhook.ErrSecret)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	for _, tt := range []struct {
		patterns []string
		typ      string
		want     bool
	}{
		{[]string{"points.earned"}, "points.earned", true},
		{[]string{"points.earned"}, "points.expired", false},
		{[]string{"tier.*"}, "tier.changed", true},
		{[]string{"tier.*"}, "tiers.changed", false},
		{[]string{"points.*", "tier.*"}, "points.expired", true},
		{[]string{"*"}, "reward.redeemed", true},
		{nil, "reward.redeemed", false},
	} {
		assert.Equal(t, tt.want, webhook.Matches(tt.patterns, tt.typ), "%v on %s", tt.patterns, tt.typ)
	}
	assert.True(t, webhook.PatternMatchesAny("tier.*", []string{"points.earned", "tier.changed"}))
	assert.False(t, webhook.PatternMatchesAny("tiers.*", []string{"points.earned", "tier.changed"}))
}

func TestNextDelay(t *testing.T) {
	var got []time.Duration
	for n := 1; ; n++ {
		d, ok := webhook.NextDelay(n)
		if !ok {
			break
		}
		got = append(got, d)
	}
	assert.Equal(t, []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
		5 * time.Hour, 10 * time.Hour, 10 * time.Hour}, got, "the specification's schedule after the first attempt")
}
