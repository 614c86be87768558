package conversation

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/skip2/go-qrcode"
)

// DefaultJoinKeyword is the join keyword JoinText writes when given none.
const DefaultJoinKeyword = "JOIN"

// JoinText is the message a join link or QR code fills in for the customer
// to send: the join keyword, the referral code if any, and the source
// word for SourceQR and SourceAd, upper case: "JOIN ABC12345",
// "KOPI ABC12345 QR", "JOIN AD". Parse reads it back as KindJoin with the
// code and source, given Keywords that hold the keyword (WithJoinKeyword).
func JoinText(keyword, code, source string) string {
	parts := []string{strings.ToUpper(cmp.Or(strings.TrimSpace(keyword), DefaultJoinKeyword))}
	if code = strings.ReplaceAll(strings.TrimSpace(code), "-", ""); code != "" {
		parts = append(parts, strings.ToUpper(code))
	}
	if source == SourceQR || source == SourceAd {
		parts = append(parts, strings.ToUpper(source))
	}
	return strings.Join(parts, " ")
}

// JoinLink returns a click-to-chat link that opens a chat with the
// business's WhatsApp number with text filled in:
// https://wa.me/<digits>?text=<text>. displayNumber may be written any
// way ("+62 812-3456-7890"): only its digits count. Without digits the
// link lets the customer pick whom to send text to.
func JoinLink(displayNumber, text string) string {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, displayNumber)
	link := "https://wa.me/" + digits
	if text != "" {
		// QueryEscape writes spaces as "+"; %20 is read the same everywhere.
		link += "?text=" + strings.ReplaceAll(url.QueryEscape(text), "+", "%20")
	}
	return link
}

// ErrQRSize is returned by QRCode for a size too small for the link.
var ErrQRSize = errors.New("QR code size too small")

// QRCode returns a PNG image, size by size pixels, of a QR code holding
// link, with medium error correction (15% of the code may be damaged) and
// a quiet zone around it. size must leave at least one pixel per module:
// a short wa.me link needs 41 (33 modules with the quiet zone), and about
// 8 pixels per module (256 or more) prints and scans well.
func QRCode(link string, size int) ([]byte, error) {
	if link == "" {
		return nil, errors.New("encoding QR code: empty link")
	}
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("encoding QR code: %w", err)
	}
	if modules := len(q.Bitmap()); size < modules {
		return nil, fmt.Errorf("%w: %d pixels for %d modules", ErrQRSize, size, modules)
	}
	png, err := q.PNG(size)
	if err != nil {
		return nil, fmt.Errorf("encoding QR code: %w", err)
	}
	return png, nil
}
