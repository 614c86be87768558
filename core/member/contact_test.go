package member

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestContactWindowAndHold(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	assert.False(t, Contact{}.WindowOpen(t0), "a contact who never wrote has no window")
	c := Contact{LastInboundAt: t0}
	assert.True(t, c.WindowOpen(t0))
	assert.True(t, c.WindowOpen(t0.Add(Window-time.Nanosecond)))
	assert.False(t, c.WindowOpen(t0.Add(Window)), "the window closes 24 hours after the last message")

	assert.False(t, Contact{}.Held(t0))
	c = Contact{HoldUntil: t0}
	assert.True(t, c.Held(t0.Add(-time.Nanosecond)))
	assert.False(t, c.Held(t0), "a hold ends at its time")
}

func TestContactChanges(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	jakarta := time.FixedZone("WIB", 7*3600)
	given := Contact{Marketing: ConsentOptedIn, MarketingAt: t0, MarketingSource: "whatsapp:chat", MarketingText: "Reply YES"}
	tests := []struct {
		name   string
		from   Contact
		change Change
		want   Contact
	}{
		{name: "a first consent", change: SetConsent(ConsentOptedIn, "shop", t0.In(jakarta)),
			want: Contact{Marketing: ConsentOptedIn, MarketingAt: t0, MarketingSource: "shop"}},
		{name: "a later consent replaces it and its text", from: given, change: SetConsent(ConsentOptedOut, "shop", t0.Add(time.Minute)),
			want: Contact{Marketing: ConsentOptedOut, MarketingAt: t0.Add(time.Minute), MarketingSource: "shop"}},
		{name: "one at the same time too", from: given, change: SetConsent(ConsentOptedOut, "shop", t0),
			want: Contact{Marketing: ConsentOptedOut, MarketingAt: t0, MarketingSource: "shop"}},
		{name: "an older one arriving late changes nothing", from: given, change: SetConsent(ConsentOptedOut, "late", t0.Add(-time.Minute)),
			want: given},
		{name: "a consent in the chat keeps its text", change: SetConsentWithText(ConsentOptedIn, "whatsapp:chat", "Reply YES", t0),
			want: given},
		{name: "a hold", change: Hold(t0.In(jakarta), "131049"),
			want: Contact{HoldUntil: t0, HoldReason: "131049"}},
		{name: "a longer hold extends it", from: Contact{HoldUntil: t0, HoldReason: "a"}, change: Hold(t0.Add(time.Hour), "b"),
			want: Contact{HoldUntil: t0.Add(time.Hour), HoldReason: "b"}},
		{name: "a shorter hold never shortens it", from: Contact{HoldUntil: t0, HoldReason: "a"}, change: Hold(t0.Add(-time.Hour), "b"),
			want: Contact{HoldUntil: t0, HoldReason: "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.from
			tt.change(&c)
			assert.Equal(t, tt.want, c)
		})
	}
}

func TestContactFold(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	early := Contact{Phone: "+6281", Name: "Sari", WAID: "6281", LastInboundAt: t0,
		Marketing: ConsentOptedIn, MarketingAt: t0, MarketingSource: "qr", MarketingText: "Reply YES",
		HoldUntil: t0.Add(time.Hour), HoldReason: "131049"}
	late := Contact{UserID: "ID.1", LastInboundAt: t0.Add(time.Minute),
		Marketing: ConsentOptedOut, MarketingAt: t0.Add(time.Minute), MarketingSource: "whatsapp"}

	c := late
	c.Fold(early)
	assert.Equal(t, Contact{UserID: "ID.1", Name: "Sari", WAID: "6281", LastInboundAt: t0.Add(time.Minute),
		Marketing: ConsentOptedOut, MarketingAt: t0.Add(time.Minute), MarketingSource: "whatsapp",
		HoldUntil: t0.Add(time.Hour), HoldReason: "131049"}, c,
		"the later window and consent stay, the longer hold, name and wa_id are taken, identities are not")

	c = early
	c.Fold(late)
	assert.Equal(t, Contact{Phone: "+6281", Name: "Sari", WAID: "6281", LastInboundAt: t0.Add(time.Minute),
		Marketing: ConsentOptedOut, MarketingAt: t0.Add(time.Minute), MarketingSource: "whatsapp",
		HoldUntil: t0.Add(time.Hour), HoldReason: "131049"}, c, "a later consent comes with its own (empty) text")
}
