package messaging

import (
	"strings"
	"unicode"

	"github.com/loyalhub/loyalhub/core/member"
)

// MaxBodyParams is how long the body parameters of one template may be
// together, in UTF-16 code units: WhatsApp refuses a body longer than 1024
// characters (error 132005, "hydrated template text too long").
const MaxBodyParams = 1024

// EmptyParam is sent for a text parameter that is empty once cleaned (a
// member without a name, a missing key): WhatsApp refuses an empty one
// (error 100, "Parameter 'text' is mandatory").
const EmptyParam = "-"

// maxParamSpaces is the longest run of spaces WhatsApp accepts in a
// template parameter (error 132018 beyond).
const maxParamSpaces = 4

// CleanParam makes a text parameter of a template acceptable to WhatsApp,
// which refuses (error 132018) parameters with line breaks, tabs or more
// than four consecutive spaces: every line break, tab and other control
// character becomes a space, a run of more than four spaces becomes four,
// and the ends are trimmed.
func CleanParam(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	spaces := 0
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			r = ' '
		}
		if r == ' ' {
			if spaces++; spaces > maxParamSpaces {
				continue
			}
		} else {
			spaces = 0
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// Fit makes a rendered template's text parameters acceptable to WhatsApp
// instead of letting the BSP refuse the message, and returns how many it
// changed:
//
//   - every text parameter is cleaned by CleanParam, and one left empty
//     becomes EmptyParam ("-");
//   - a text header's parameter is cut to 60 characters;
//   - when the body's parameters together are longer than 1024
//     characters, the longest are cut to one common length, the longest
//     that lets them all fit, so that short parameters (a name, a number of
//     points) stay whole while a long one (a product list) is shortened.
//
// Lengths are counted in UTF-16 code units (member.Length). Button values
// (a URL suffix, a code to copy, a quick reply's payload) are left as
// they are: cut, they would open the wrong page or give a wrong code.
func (t *Template) Fit() int {
	if t == nil {
		return 0
	}
	changed := 0
	if h := t.Header; h != nil && h.Type == HeaderText {
		if s := nonEmpty(member.Truncate(CleanParam(h.Text), MaxHeaderText)); s != h.Text {
			h.Text, changed = s, changed+1
		}
	}
	texts := make([]string, len(t.Body))
	lengths := make([]int, len(t.Body))
	total := 0
	for i, p := range t.Body {
		texts[i] = nonEmpty(CleanParam(p.Text))
		lengths[i] = member.Length(texts[i])
		total += lengths[i]
	}
	if total > MaxBodyParams {
		limit := fairShare(lengths, MaxBodyParams)
		for i := range texts {
			texts[i] = member.Truncate(texts[i], limit)
		}
	}
	for i, s := range texts {
		if s != t.Body[i].Text {
			t.Body[i].Text, changed = s, changed+1
		}
	}
	return changed
}

func nonEmpty(s string) string {
	if s == "" {
		return EmptyParam
	}
	return s
}

// fairShare returns the largest limit such that the lengths, each cut to
// it, add up to at most budget.
func fairShare(lengths []int, budget int) int {
	lo, hi := 0, 0
	for _, n := range lengths {
		hi = max(hi, n)
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		sum := 0
		for _, n := range lengths {
			sum += min(n, mid)
		}
		if sum <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// Fit applies Template.Fit to the command's template and fallback, and
// cuts a text message's body to 4096 characters; it returns how many texts
// it changed. Render fits every command it builds (see Fitted).
func (c *Command) Fit() int {
	n := c.Template.Fit() + c.Fallback.Fit()
	if c.Kind == KindText {
		if s := member.Truncate(c.Text, MaxTextBody); s != c.Text {
			c.Text, n = s, n+1
		}
	}
	return n
}

// Fitted is how many texts Render changed to fit WhatsApp's limits when it
// built the command (not kept when the command is encoded).
func (c Command) Fitted() int { return c.fitted }
