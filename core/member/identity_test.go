package member

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"as written", "sari@example.com", "sari@example.com"},
		{"case and spaces", "  Sari.W@Example.COM ", "sari.w@example.com"},
		{"plus address", "sari+shop@example.com", "sari+shop@example.com"},
		{"empty", "", ""},
		{"no at", "sari.example.com", ""},
		{"nothing before at", "@example.com", ""},
		{"nothing after at", "sari@", ""},
		{"two addresses", "sari@example.com, budi@example.com", ""},
		{"space inside", "sari w@example.com", ""},
		{"display name", "Sari <sari@example.com>", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, NormalizeEmail(tt.raw))
		})
	}
}

func TestPersonIn(t *testing.T) {
	sari := Person{Phones: []string{"+6281234567890"}, Emails: []string{"Sari@Example.com"}, CustomerIDs: []string{"207119551"}}
	tests := []struct {
		name    string
		payload string
		want    bool
	}{
		{"email in another case", `{"email":"SARI@example.com"}`, true},
		{"email in a CSV row", "order_id,customer_email,total\nA-1,sari@example.com,10\n", true},
		{"E.164 phone", `{"phone":"+6281234567890"}`, true},
		{"WhatsApp id", `{"from":"6281234567890"}`, true},
		{"national with dashes", `{"phone":"0812-3456-7890"}`, true},
		{"international with spaces", `{"billing_address":{"phone":"+62 812 3456 7890"}}`, true},
		{"national digits without trunk", `{"phone":"81234567890"}`, true},
		{"customer id as a number", `{"customer":{"id":207119551,"email":null}}`, true},
		{"customer_id as a string", `{"data":{"customer_id":"207119551"}}`, true},
		{"customer id in a list", `{"orders":[{"customer_id":207119551}]}`, true},
		{"another email", `{"email":"budi@example.com"}`, false},
		{"a longer number holding the phone", `{"phone":"628123456789012"}`, false},
		{"the digits of an amount", `{"total":"81234567890.00"}`, false},
		{"the id of something else", `{"id":207119551}`, false},
		{"customer id outside JSON", "customer_id,207119551", false},
		{"a short number", `{"qty":7}`, false},
		{"empty", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, sari.In([]byte(tt.payload)))
		})
	}
	assert.False(t, Person{}.In([]byte(`{"email":"sari@example.com"}`)), "nobody is in nothing")
	assert.True(t, Person{}.Empty())
}

func FuzzPersonIn(f *testing.F) {
	for _, s := range []string{`{"email":"sari@example.com","phone":"+62 812-3456-7890"}`,
		`{"customer":{"id":207119551}}`, "a,b\n1,2", `[[[{"customer_id":1}]]]`} {
		f.Add([]byte(s))
	}
	p := Person{Phones: []string{"+6281234567890", "not a phone"}, Emails: []string{"sari@example.com", " "},
		CustomerIDs: []string{"207119551", ""}}
	f.Fuzz(func(t *testing.T, payload []byte) {
		p.In(payload) // any payload is read without failing
		withEmail := append(append([]byte{}, payload...), " SARI@example.com"...)
		if !p.In(withEmail) {
			t.Fatalf("the email appended to %q is not found", payload)
		}
		withPhone := append(append([]byte{}, payload...), ";+62 812-3456-7890;"...)
		if !p.In(withPhone) {
			t.Fatalf("the phone appended to %q is not found", payload)
		}
	})
}
