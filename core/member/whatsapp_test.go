package member

import (
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/stretchr/testify/require"
)

func TestParseWhatsAppID(t *testing.T) {
	tests := []struct {
		name, waID      string
		e164, key       string
		validByMetadata bool
		wantWAID        string // "" means the input itself
	}{
		// Numbers of many countries as WhatsApp gives them: digits.
		{name: "United States (Meta's docs)", waID: "16505551234", e164: "+16505551234", key: "+16505551234", validByMetadata: true},
		{name: "Indonesia mobile", waID: "6281234567890", e164: "+6281234567890", key: "+6281234567890", validByMetadata: true},
		{name: "India mobile", waID: "919876543210", e164: "+919876543210", key: "+919876543210", validByMetadata: true},
		{name: "Germany mobile", waID: "4915123456789", e164: "+4915123456789", key: "+4915123456789", validByMetadata: true},
		{name: "France mobile", waID: "33612345678", e164: "+33612345678", key: "+33612345678", validByMetadata: true},
		{name: "Japan mobile", waID: "819012345678", e164: "+819012345678", key: "+819012345678", validByMetadata: true},
		{name: "Nigeria mobile", waID: "2348031234567", e164: "+2348031234567", key: "+2348031234567", validByMetadata: true},
		{name: "South Africa mobile", waID: "27821234567", e164: "+27821234567", key: "+27821234567", validByMetadata: true},
		{name: "Philippines mobile", waID: "639171234567", e164: "+639171234567", key: "+639171234567", validByMetadata: true},
		{name: "Italy fixed line keeps its leading zero", waID: "390669812345", e164: "+390669812345", key: "+390669812345", validByMetadata: true},
		{name: "Argentina mobile with its 9", waID: "5491123456789", e164: "+5491123456789", key: "+5491123456789", validByMetadata: true},

		// Brazil: the mobile 9 after the area code.
		{name: "Brazil mobile as registered before the ninth digit", waID: "554188887777", e164: "+554188887777", key: "+5541988887777"},
		{name: "Brazil mobile with the ninth digit", waID: "5541988887777", e164: "+5541988887777", key: "+5541988887777", validByMetadata: true},
		{name: "Brazil Sao Paulo old mobile starting with 9", waID: "551198765432", e164: "+551198765432", key: "+5511998765432"},
		{name: "Brazil old mobile starting with 6", waID: "556199998888", e164: "+556199998888", key: "+5561999998888"},
		{name: "Brazil fixed line never had the 9", waID: "554133334444", e164: "+554133334444", key: "+554133334444", validByMetadata: true},
		{name: "Brazil radio number starting with 7 kept eight digits", waID: "551178001234", e164: "+551178001234", key: "+551178001234", validByMetadata: true},

		// Mexico: the 1 after 52 that mobile numbers lost in August 2019.
		{name: "Mexico mobile as WhatsApp gives it, with the 1", waID: "5215512345678", e164: "+5215512345678", key: "+525512345678"},
		{name: "Mexico ten-digit number", waID: "525512345678", e164: "+525512345678", key: "+525512345678", validByMetadata: true},
		{name: "Mexico Guadalajara with the 1", waID: "5213312345678", e164: "+5213312345678", key: "+523312345678"},

		// Numbers phonenumbers' metadata calls invalid are customers too.
		{name: "UK drama range (Ofcom fictional)", waID: "447700900123", e164: "+447700900123", key: "+447700900123"},
		{name: "Meta's test business number (area code 555)", waID: "15550783881", e164: "+15550783881", key: "+15550783881"},
		{name: "Indonesia range unknown to the metadata", waID: "62811", e164: "+62811", key: "+62811"},
		{name: "unknown country code", waID: "99912345", e164: "", key: "+99912345"},

		// Formatting WhatsApp does not send, but a hand-written mapping might.
		{name: "plus and spaces dropped", waID: " +55 41 8888-7777 ", wantWAID: "554188887777", e164: "+554188887777", key: "+5541988887777"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := ParseWhatsAppID(tt.waID)
			require.NoError(t, err)
			want := tt.wantWAID
			if want == "" {
				want = tt.waID
			}
			require.Equal(t, want, id.WAID, "the wa_id is kept as given")
			// A joined form is listed in its canonical form.
			require.Equal(t, tt.validByMetadata || tt.key != "+"+want, id.Listed)
			require.Equal(t, tt.e164, id.E164)
			require.Equal(t, tt.key, id.Key)
			require.Equal(t, tt.key, PhoneKey(tt.waID))
			require.Equal(t, tt.key, PhoneKey(id.Key), "a key is its own key")
			if id.E164 != "" {
				num, err := phonenumbers.Parse(id.E164, "")
				require.NoError(t, err)
				require.Equal(t, tt.validByMetadata, phonenumbers.IsValidNumber(num), "the case is what it says it is")
			}
		})
	}
}

func TestParseWhatsAppIDRejectsNonNumbers(t *testing.T) {
	for _, waID := range []string{"", " ", "+", "US.13491208655302741918", "phone", "123456789012345678901"} {
		t.Run(waID, func(t *testing.T) {
			_, err := ParseWhatsAppID(waID)
			require.ErrorIs(t, err, ErrInvalidPhone)
			require.Equal(t, waID, PhoneKey(waID), "a value that is not a number is its own key")
		})
	}
}

// TestVariantsShareAKey: every form of one person's number, as WhatsApp
// gives it and as a shop or POS writes it, finds the same key.
func TestVariantsShareAKey(t *testing.T) {
	tests := []struct {
		name, key string
		waIDs     []string
		written   []struct{ raw, region string }
	}{
		{
			name: "Brazil mobile", key: "+5541988887777",
			waIDs: []string{"554188887777", "5541988887777"},
			written: []struct{ raw, region string }{
				{"+55 41 9 8888-7777", ""}, {"+55 41 8888-7777", ""}, {"(41) 98888-7777", "BR"}, {"(41) 8888-7777", "BR"}, {"041 8888 7777", "BR"},
			},
		},
		{
			name: "Mexico mobile", key: "+525512345678",
			waIDs: []string{"5215512345678", "525512345678"},
			written: []struct{ raw, region string }{
				{"+52 55 1234 5678", ""}, {"+52 1 55 1234 5678", ""}, {"55 1234 5678", "MX"}, {"5215512345678", ""},
			},
		},
		{
			name: "UK fictional mobile", key: "+447700900123",
			waIDs: []string{"447700900123"},
			written: []struct{ raw, region string }{
				{"+44 7700 900123", ""}, {"+44 7700 900123", "ID"}, {"447700900123", ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, w := range tt.waIDs {
				id, err := ParseWhatsAppID(w)
				require.NoError(t, err)
				require.Equal(t, tt.key, id.Key, w)
			}
			for _, w := range tt.written {
				got, err := NormalizePhone(w.raw, w.region)
				require.NoError(t, err, w.raw)
				require.Equal(t, tt.key, got, w.raw)
			}
		})
	}
}

func TestNormalizePhoneNationalMustBeValid(t *testing.T) {
	// The fictional UK number written nationally: its region is a guess,
	// so the metadata decides.
	_, err := NormalizePhone("07700 900123", "GB")
	require.ErrorIs(t, err, ErrInvalidPhone)
	// A number of impossible length is refused even with its country code.
	_, err = NormalizePhone("+44 77", "")
	require.ErrorIs(t, err, ErrInvalidPhone)
}

func FuzzParseWhatsAppID(f *testing.F) {
	for _, s := range []string{"554188887777", "5215512345678", "447700900123", "99912345", "390669812345", "+55 (41) 8888-7777", "0", "5500000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, waID string) {
		id, err := ParseWhatsAppID(waID)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidPhone)
			return
		}
		require.NotEmpty(t, id.WAID)
		require.Equal(t, "+", id.Key[:1])
		// The key is stable: a key keys to itself, and so does the wa_id
		// written with a plus.
		require.Equal(t, id.Key, PhoneKey(id.Key))
		require.Equal(t, id.Key, PhoneKey("+"+id.WAID))
	})
}
