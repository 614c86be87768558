package mappings

import (
	"errors"
	"strings"

	"github.com/itchyny/gojq"
)

// Location is a place in a mapping's jq source.
type Location struct {
	Line   int    // 1-based
	Column int    // 1-based, in characters
	Text   string // the source line
}

// Locate finds where in the program a failed Run raised its error: the
// error("…") call whose literal text the message carries (interpolated
// parts may differ). gojq reports no position for its own runtime errors
// (iterating over null, say), nor for errors of the contract checked after
// the program ran: ok is false for those. The reason of a failed item
// (*ItemError) is located the same way.
func (p *Program) Locate(err error) (loc Location, ok bool) {
	var msg string
	var ie *ItemError
	var ve gojq.ValueError
	switch {
	case errors.As(err, &ie):
		msg = ie.Failure.Reason
	case errors.As(err, &ve):
		s, isString := ve.Value().(string)
		if !isString {
			return Location{}, false
		}
		msg = s
	default:
		return Location{}, false
	}
	best := 0
	for _, call := range errorCalls(p.source) {
		if n := call.matches(msg); n > best {
			best, loc, ok = n, call.loc, true
		}
	}
	return loc, ok
}

// Source returns the program's jq source.
func (p *Program) Source() string { return p.source }

// errorCall is an error("…") call of a jq source: where it stands and the
// literal parts of its message, between interpolations.
type errorCall struct {
	loc    Location
	offset int // byte offset of the call in the source
	end    int // byte offset of the first token after its literal (its closing parenthesis)
	parts  []string
}

// matches reports how many literal characters of the call msg carries, in
// order; 0 when it cannot come from this call.
func (c errorCall) matches(msg string) int {
	n, rest := 0, msg
	for i, part := range c.parts {
		if part == "" {
			continue
		}
		j := strings.Index(rest, part)
		if j < 0 || (i == 0 && j != 0) {
			return 0
		}
		n += len(part)
		rest = rest[j+len(part):]
	}
	return n
}

// errorCalls finds the error("…") calls of a jq source with a string
// literal argument.
func errorCalls(src string) []errorCall {
	var calls []errorCall
	lines := strings.Split(src, "\n")
	lineStart := 0
	for ln, line := range lines {
		if ln > 0 {
			lineStart += len(lines[ln-1]) + 1
		}
		for col := 0; ; {
			i := strings.Index(line[col:], `error("`)
			if i < 0 {
				break
			}
			start := col + i
			col = start + len(`error("`)
			if start > 0 && isIdentByte(line[start-1]) {
				continue // another function whose name ends in error
			}
			parts, n, ok := literalParts(line[col:])
			if !ok {
				continue
			}
			calls = append(calls, errorCall{
				loc:    Location{Line: ln + 1, Column: len([]rune(line[:start])) + 1, Text: line},
				offset: lineStart + start,
				end:    nextToken(src, lineStart+col+n),
				parts:  parts,
			})
		}
	}
	return calls
}

func isIdentByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// literalParts reads a jq string literal from just after its opening quote
// to its closing quote on the same line, and returns its literal parts with
// escapes resolved, split at each interpolation \(…), and the bytes read
// with the closing quote.
func literalParts(s string) ([]string, int, bool) {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return append(parts, cur.String()), i + 1, true
		case '\\':
			if i+1 >= len(s) {
				return nil, 0, false
			}
			i++
			switch s[i] {
			case '(':
				parts = append(parts, cur.String())
				cur.Reset()
				depth := 1
				for i++; i < len(s) && depth > 0; i++ {
					switch s[i] {
					case '(':
						depth++
					case ')':
						depth--
					}
				}
				i--
			case 'n':
				cur.WriteByte('\n')
			case 't':
				cur.WriteByte('\t')
			default:
				cur.WriteByte(s[i])
			}
		default:
			cur.WriteByte(c)
		}
	}
	return nil, 0, false
}
