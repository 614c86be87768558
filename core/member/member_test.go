package member

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		name, raw, region, want string
	}{
		{"national with dashes", "0812-3456-7890", "ID", "+6281234567890"},
		{"national digits", "081234567890", "ID", "+6281234567890"},
		{"international", "+62 812 3456 7890", "ID", "+6281234567890"},
		{"country code without plus", "6281234567890", "ID", "+6281234567890"},
		{"whatsapp id without region", "6281234567890", "", "+6281234567890"},
		{"other country", "+1 650 555 1234", "ID", "+16505551234"},
		{"lower-case region", "0812 3456 7890", "id", "+6281234567890"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizePhone(tt.raw, tt.region)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestNormalizePhoneRejects(t *testing.T) {
	for _, raw := range []string{"", "12", "not a phone", "+99 123"} {
		t.Run(raw, func(t *testing.T) {
			_, err := NormalizePhone(raw, "ID")
			require.ErrorIs(t, err, ErrInvalidPhone)
		})
	}
	_, err := NormalizePhone("+62 812 3456 7890 1234 5678", "ID")
	require.ErrorIs(t, err, ErrInvalidPhone)
	require.NotContains(t, err.Error(), "3456", "errors mask the number")
}

func TestMaskPhone(t *testing.T) {
	require.Equal(t, "***********890", MaskPhone("+6281234567890"))
	require.Equal(t, "***", MaskPhone("12"))
	require.Equal(t, "6281234567890", WhatsAppID("+6281234567890"))
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"0812-3456-7890", "+6281234567890", "", "+", "00", "+1 (650) 555-1234 ext. 9"} {
		f.Add(s, "ID")
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		got, err := NormalizePhone(raw, region)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidPhone)
			return
		}
		// A normalized number normalizes to itself.
		again, err := NormalizePhone(got, "")
		require.NoError(t, err)
		require.Equal(t, got, again)
	})
}

func TestParseBirthday(t *testing.T) {
	for in, want := range map[string]string{
		"1990-04-12": "04-12", "04-12": "04-12", "--04-12": "04-12", " 12-31 ": "12-31", "02-29": "02-29", "2000-02-29": "02-29",
	} {
		got, err := ParseBirthday(in)
		if err != nil || got != want {
			t.Errorf("ParseBirthday(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "13-01", "1990-02-30", "April 12", "2001-02-29"} {
		if _, err := ParseBirthday(in); !errors.Is(err, ErrInvalidBirthday) {
			t.Errorf("ParseBirthday(%q): want ErrInvalidBirthday, got %v", in, err)
		}
	}
}
