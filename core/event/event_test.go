package event

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIDsAreDeterministicAndDistinct(t *testing.T) {
	a := ID("acme", "pos", "order.paid/S-1")
	require.Equal(t, a, ID("acme", "pos", "order.paid/S-1"))
	require.True(t, strings.HasPrefix(a, "ev_"))
	require.LessOrEqual(t, len(a), 36, "ids fit the queue's 36-character message id")
	for _, other := range []string{
		ID("acme", "pos", "order.paid/S-2"),
		ID("other", "pos", "order.paid/S-1"),
		ID("acme", "shop", "order.paid/S-1"),
		ID("acmepos", "", "order.paid/S-1"), // parts are separated, not concatenated
	} {
		require.NotEqual(t, a, other)
	}
	require.Equal(t, DerivedID("msg_", a, "points_earned"), DerivedID("msg_", a, "points_earned"))
	require.NotEqual(t, DerivedID("msg_", a, "points_earned"), DerivedID("msg_", a, "welcome"))
}

func TestContentID(t *testing.T) {
	// The SHA-256 of "abc", in hex.
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := ContentID([]byte("abc")); got != want {
		t.Fatalf("ContentID(abc) = %s, want %s", got, want)
	}
}

func TestWriter(t *testing.T) {
	tests := []struct {
		name string
		ev   Event
		want []string
	}{
		{"a message by number", Event{Type: TypeMessageReceived, Data: []byte(`{"phone":"+6281234567890","wa_id":"6281234567890","text":"STOP"}`)},
			[]string{"6281234567890", "6281234567890"}},
		{"a message by user id alone", Event{Type: TypeMessageReceived, Data: []byte(`{"user_id":"ID.88","text":"hi"}`)}, []string{"ID.88"}},
		{"a marketing stop", Event{Type: TypeConsentChanged, Data: []byte(`{"wa_id":"905321234567","value":"stop"}`)}, []string{"905321234567"}},
		{"a delivery report names no writer", Event{Type: TypeMessageStatus, Data: []byte(`{"phone":"+6281234567890"}`)}, nil},
		{"unreadable data", Event{Type: TypeMessageReceived, Data: []byte(`[`)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Writer(tt.ev))
		})
	}
}
