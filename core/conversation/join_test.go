package conversation_test

import (
	"bytes"
	"image/png"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/conversation"
)

func TestJoinText(t *testing.T) {
	tests := []struct {
		keyword, code, source, want string
	}{
		{"JOIN", "ABC12345", conversation.SourceLink, "JOIN ABC12345"},
		{"JOIN", "ABC12345", "", "JOIN ABC12345"},
		{"join", "abc12345", conversation.SourceQR, "JOIN ABC12345 QR"},
		{"Kopi", "ABC12345", conversation.SourceAd, "KOPI ABC12345 AD"},
		{"", "ABC12345", "", "JOIN ABC12345"},
		{"JOIN", "", conversation.SourceQR, "JOIN QR"},
		{"JOIN", "", "", "JOIN"},
		{"katıl", "ABCD-2345", "", "KATIL ABCD2345"},
		{"انضم", "ABC12345", conversation.SourceQR, "انضم ABC12345 QR"},
		{"JOIN", "ABC12345", "poster", "JOIN ABC12345"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, conversation.JoinText(tt.keyword, tt.code, tt.source))
		})
	}
}

func TestJoinTextRoundTrip(t *testing.T) {
	for _, keyword := range []string{"", "JOIN", "KOPI", "Kopi Kenangan", "gabung", "katıl", "iscrivimi", "انضم"} {
		kw := conversation.DefaultKeywords()
		if keyword != "" {
			var err error
			kw, err = kw.WithJoinKeyword(keyword)
			require.NoError(t, err)
		}
		for _, code := range []string{"", "ABC12345", "ZZZZZZZZ", "23456789"} {
			for source, want := range map[string]string{
				"":                      "",
				conversation.SourceLink: "",
				conversation.SourceQR:   conversation.SourceQR,
				conversation.SourceAd:   conversation.SourceAd,
			} {
				text := conversation.JoinText(keyword, code, source)
				got := conversation.Parse(in{Text: text}, kw)
				assert.Equal(t, conversation.KindJoin, got.Kind, text)
				assert.Equal(t, code, got.ReferralCode, text)
				assert.Equal(t, want, got.Source, text)
				// A link carries the text unchanged.
				u, err := url.Parse(conversation.JoinLink("+62 811", text))
				require.NoError(t, err)
				assert.Equal(t, text, u.Query().Get("text"))
			}
		}
	}
}

func TestJoinLink(t *testing.T) {
	tests := []struct {
		name, number, text, want string
	}{
		{"plain", "+62 812-3456-7890", "JOIN ABC12345", "https://wa.me/6281234567890?text=JOIN%20ABC12345"},
		{"qr", "6281234567890", "JOIN ABC12345 QR", "https://wa.me/6281234567890?text=JOIN%20ABC12345%20QR"},
		{"escapes", "+39 347 123 4567", "A&B=C+D?", "https://wa.me/393471234567?text=A%26B%3DC%2BD%3F"},
		{"arabic", "+966 50 123 4567", "انضم", "https://wa.me/966501234567?text=%D8%A7%D9%86%D8%B6%D9%85"},
		{"no text", "+90 532 123 45 67", "", "https://wa.me/905321234567"},
		{"no number", "", "JOIN", "https://wa.me/?text=JOIN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, conversation.JoinLink(tt.number, tt.text))
		})
	}
}

func TestQRCode(t *testing.T) {
	link := conversation.JoinLink("+62 812-3456-7890", conversation.JoinText("KOPI", "ABC12345", conversation.SourceQR))
	for _, size := range []int{41, 256, 512, 1000} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			b, err := conversation.QRCode(link, size)
			require.NoError(t, err)
			require.True(t, bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")), "PNG signature")
			cfg, err := png.DecodeConfig(bytes.NewReader(b))
			require.NoError(t, err)
			assert.Equal(t, size, cfg.Width)
			assert.Equal(t, size, cfg.Height)
			img, err := png.Decode(bytes.NewReader(b))
			require.NoError(t, err)
			assert.Equal(t, size, img.Bounds().Dx())
		})
	}

	_, err := conversation.QRCode(link, 40)
	require.ErrorIs(t, err, conversation.ErrQRSize)
	assert.EqualError(t, err, "QR code size too small: 40 pixels for 41 modules")
	_, err = conversation.QRCode(link, -5)
	require.ErrorIs(t, err, conversation.ErrQRSize)
	_, err = conversation.QRCode("", 256)
	assert.Error(t, err)
}
