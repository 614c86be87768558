package mappings

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/itchyny/gojq"

	"github.com/loyalhub/loyalhub/core/event"
)

// LocateRun finds where in the program the failed Run over d and body
// raised err, for gojq's own runtime errors as well as the mapping's
// error("…") calls; any other error is located as Locate does. gojq keeps
// no positions, so the program is run again, with every stage of its source
// marked: the start of each pipe stage, of each parenthesized group and
// function argument, of if/then/elif/else branches and of function bodies,
// and the end of each group. The failure lies between the last mark the
// rerun passed and the next, so the location is that stage's first token;
// an error("…") call whose literal text the message carries is pointed at
// exactly when it stands there. An error the mapping caught and reported
// in its output (a failed item, whose reason err carries) is placed where
// the rerun raised it. ok is false when none of these finds it (a body that
// is not JSON, an output that breaks the contract).
func (p *Program) LocateRun(ctx context.Context, d event.Delivery, body []byte, err error) (loc Location, ok bool) {
	if isRuntimeError(err) {
		if loc, ok := p.locateTraced(ctx, d, body, err); ok {
			return loc, true
		}
	}
	if loc, ok := p.Locate(err); ok {
		return loc, true
	}
	return p.locateCaught(ctx, d, body, err)
}

// locateCaught locates an error the mapping caught (try … catch {…}) and
// reported in its output, such as an item it marks as failed, by where the
// rerun raised the error whose message err's text carries.
func (p *Program) locateCaught(ctx context.Context, d event.Delivery, body []byte, err error) (Location, bool) {
	t, _, ok := p.rerun(ctx, d, body)
	if !ok {
		return Location{}, false
	}
	text := err.Error()
	for _, c := range t.caught {
		if c.msg != "" && strings.Contains(text, c.msg) {
			return t.marks[c.at].loc, true
		}
	}
	return Location{}, false
}

// locateTraced locates a runtime error by the marks a rerun passed.
func (p *Program) locateTraced(ctx context.Context, d event.Delivery, body []byte, err error) (Location, bool) {
	marks, last, traced := p.trace(ctx, d, body, err)
	if !traced {
		return Location{}, false
	}
	literal := p.errorCallsFor(err)
	m := marks[last]
	next := math.MaxInt // where the next stage starts
	for _, o := range marks {
		if o.offset > m.offset {
			next = min(next, o.offset)
		}
	}
	for _, c := range literal {
		if c.offset <= m.offset && m.offset <= c.end {
			return c.loc, true // the mark is in the call's own argument
		}
	}
	for _, c := range literal {
		if m.offset <= c.offset && c.offset < next {
			return c.loc, true // the call stands in the mark's stage
		}
	}
	return m.loc, true
}

// isRuntimeError reports whether err, from Run, is raised by gojq while the
// program ran rather than by the checks around it.
func isRuntimeError(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		t := reflect.TypeOf(e)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.PkgPath() == "github.com/itchyny/gojq" {
			return true
		}
	}
	return false
}

// errorCallsFor returns the error("…") calls whose literal text err's
// message carries best, in source order.
func (p *Program) errorCallsFor(err error) []errorCall {
	var ve gojq.ValueError
	if !errors.As(err, &ve) {
		return nil
	}
	msg, isString := ve.Value().(string)
	if !isString {
		return nil
	}
	var best []errorCall
	bestN := 0
	for _, call := range errorCalls(p.source) {
		switch n := call.matches(msg); {
		case n > bestN:
			best, bestN = []errorCall{call}, n
		case n == bestN && n > 0:
			best = append(best, call)
		}
	}
	return best
}

// traceMark is a marked place of a program's source.
type traceMark struct {
	offset int // byte offset of the first token the mark precedes
	loc    Location
	kind   markKind
	enter  int // of a markLeave: the number of its function's markEnter
}

// markKind says what passing a mark means.
type markKind int

const (
	markStage  markKind = iota // a stage starts
	markEnter                  // a function's body starts
	markLeave                  // a function's body ends: back in its caller's stage
	markCaught                 // a catch handler starts, its input the error's message
)

// markFunc is the Go function the marks of a traced program call; its
// name is one no mapping uses.
const markFunc = "_loyalhub_mark"

// tracer follows a marked program's run.
type tracer struct {
	marks  []traceMark
	last   int         // the stage the run is in: the last mark passed, -1 before any
	caller map[int]int // markEnter → the stage it was last called from
	caught []caughtError
}

// caughtError is an error a catch handler received, with the stage it was
// raised in.
type caughtError struct {
	msg string // the error's message
	at  int
}

// pass records the run passing mark i with input v.
func (t *tracer) pass(i int, v any) {
	switch t.marks[i].kind {
	case markStage:
		t.last = i
	case markEnter:
		t.caller[i], t.last = t.last, i
	case markLeave:
		if c, ok := t.caller[t.marks[i].enter]; ok && c >= 0 {
			t.last = c
		}
	case markCaught:
		if msg, ok := v.(string); ok && t.last >= 0 {
			t.caught = append(t.caught, caughtError{msg: msg, at: t.last})
		}
	}
}

// rerun runs the program again, marked, and returns what its tracer saw and
// the run's error. ok is false when the marks do not fit the program.
func (p *Program) rerun(ctx context.Context, d event.Delivery, body []byte) (t *tracer, runErr error, ok bool) {
	t = &tracer{last: -1, caller: map[int]int{}}
	traced, marks, ok := p.marked(t.pass)
	if !ok {
		return nil, nil, false
	}
	t.marks = marks
	_, runErr = traced.Run(ctx, d, body)
	return t, runErr, true
}

// trace reruns the program with its stages marked and returns the marks
// and the number of the last one passed before it failed as err did.
func (p *Program) trace(ctx context.Context, d event.Delivery, body []byte, err error) (marks []traceMark, last int, ok bool) {
	t, terr, ok := p.rerun(ctx, d, body)
	if !ok || terr == nil || terr.Error() != err.Error() || t.last < 0 {
		return nil, 0, false // it does not fail the same way
	}
	return t.marks, t.last, true
}

// marked compiles the program with its stages marked (see instrument);
// passing mark i with input v calls onMark(i, v). ok is false when the
// marked source does not compile (a construct the marks do not fit).
func (p *Program) marked(onMark func(i int, v any)) (prog *Program, marks []traceMark, ok bool) {
	src, marks := instrument(p.source)
	if len(marks) == 0 {
		return nil, nil, false
	}
	q, err := gojq.Parse("def _loyalhub_at($i): " + markFunc + "($i) as $_ | .;\n" + src)
	if err != nil {
		return nil, nil, false
	}
	code, err := gojq.Compile(q, compileOptions(
		gojq.WithFunction(markFunc, 1, 1, func(v any, args []any) any {
			if i, ok := args[0].(int); ok && i >= 0 && i < len(marks) {
				onMark(i, v)
			}
			return v
		}),
	)...)
	if err != nil {
		return nil, nil, false
	}
	return &Program{name: p.name, source: p.source, code: code}, marks, true
}

// instrument inserts a mark at each stage of a jq source: at its start,
// after every pipe (not |=), opening parenthesis, semicolon of arguments or
// after a function definition, if, then, elif and else, and the colon of a
// function definition (its body's start), and before every closing
// parenthesis and the semicolon that ends a function's body (back in the
// caller's stage); a catch handler that starts with a bracket is marked
// with the error it receives. Strings (and the code interpolated in them) and
// comments are left alone. It returns the marked source and the marks'
// places in the original source, by mark number.
func instrument(src string) (string, []traceMark) {
	type body struct{ depth, enter int }
	var (
		out      strings.Builder
		marks    []traceMark
		stack    []byte // open ( [ {
		inDef    bool   // between def and the colon of its header
		defDepth int
		bodies   []body // function bodies open, innermost last
		handlers []int  // stack depths of the catch handlers wrapped, innermost last
	)
	lineStarts := []int{0}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			lineStarts = append(lineStarts, i+1)
		}
	}
	locate := func(offset int) Location {
		line := 0
		for line+1 < len(lineStarts) && lineStarts[line+1] <= offset {
			line++
		}
		start := lineStarts[line]
		end := len(src)
		if line+1 < len(lineStarts) {
			end = lineStarts[line+1] - 1
		}
		return Location{Line: line + 1, Column: len([]rune(src[start:offset])) + 1, Text: strings.TrimSuffix(src[start:end], "\r")}
	}
	// markOf adds a mark of kind whose stage starts at the first token
	// from offset.
	markOf := func(kind markKind, offset int) string {
		at := nextToken(src, offset)
		m := traceMark{offset: at, loc: locate(at), kind: kind}
		if kind == markLeave {
			m.enter = bodies[len(bodies)-1].enter
		}
		marks = append(marks, m)
		return fmt.Sprintf("_loyalhub_at(%d)", len(marks)-1)
	}
	mark := func(offset int) string { return markOf(markStage, offset) }
	if first := nextToken(src, 0); first < len(src) && !strings.HasPrefix(src[first:], "def") {
		// The program's start; a query after definitions is marked after
		// the last one.
		out.WriteString(mark(0) + " | ")
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == 0:
			// gojq reads no code past a NUL byte outside strings.
			out.WriteString(src[i:])
			i = len(src)
		case c == '#':
			j := commentEnd(src, i)
			out.WriteString(src[i:j])
			i = j
		case c == '"':
			j := skipString(src, i)
			out.WriteString(src[i:j])
			i = j
		case isIdentStart(c):
			j := i
			for j < len(src) && (isIdentByte(src[j]) || (src[j] == ':' && j+1 < len(src) && src[j+1] == ':')) {
				if src[j] == ':' {
					j++
				}
				j++
			}
			word, start := src[i:j], i
			out.WriteString(word)
			prev := byte(0)
			if i > 0 {
				prev = src[i-1]
			}
			i = j
			if prev == '.' || prev == '$' || prev == '@' || isIdentByte(prev) {
				continue // a field, variable or format
			}
			switch word {
			case "def":
				inDef, defDepth = true, len(stack)
			case "if", "then", "elif", "else":
				if !inDef && !objectKey(src, stack, start, i) {
					out.WriteString(" " + mark(i) + " |")
				}
			case "catch":
				// A handler that starts with a bracket is wrapped, up to the
				// bracket's close, in a group that marks it.
				if next := nextToken(src, i); !inDef && !objectKey(src, stack, start, i) &&
					next < len(src) && strings.IndexByte("{([", src[next]) >= 0 {
					out.WriteString(" (" + markOf(markCaught, next) + " |")
					handlers = append(handlers, len(stack))
				}
			}
		case c == '|' && !(i+1 < len(src) && src[i+1] == '='):
			out.WriteString("| " + mark(i+1) + " |")
			i++
		case c == '(':
			stack = append(stack, c)
			out.WriteByte(c)
			i++
			if !inDef {
				out.WriteString(mark(i) + " |")
			}
		case c == '[' || c == '{':
			stack = append(stack, c)
			out.WriteByte(c)
			i++
		case c == ')' || c == ']' || c == '}':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			if c == ')' && !inDef {
				out.WriteString(" | " + mark(i))
			}
			out.WriteByte(c)
			i++
			if n := len(handlers); n > 0 && handlers[n-1] == len(stack) {
				out.WriteByte(')')
				handlers = handlers[:n-1]
			}
		case c == ';':
			if n := len(bodies); !inDef && n > 0 && bodies[n-1].depth == len(stack) {
				out.WriteString(" | " + markOf(markLeave, i))
				bodies = bodies[:n-1]
			}
			out.WriteByte(c)
			i++
			next := nextToken(src, i)
			if !inDef && (len(stack) == 0 || stack[len(stack)-1] == '(') && next < len(src) && !strings.HasPrefix(src[next:], "def") {
				// An argument, or the query after function definitions.
				out.WriteString(" " + mark(i) + " |")
			}
		case c == ':' && inDef && len(stack) == defDepth:
			inDef = false
			out.WriteByte(c)
			i++
			out.WriteString(" " + markOf(markEnter, i) + " |")
			bodies = append(bodies, body{depth: len(stack), enter: len(marks) - 1})
		default:
			out.WriteByte(c)
			i++
		}
	}
	return out.String(), marks
}

// nextToken returns the offset of the first token at or after offset,
// past blanks and comments; len(src) at the end.
func nextToken(src string, offset int) int {
	for offset < len(src) {
		switch c := src[offset]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			offset++
		case c == 0:
			return len(src) // gojq reads no code past it
		case c == '#':
			offset = commentEnd(src, offset)
		default:
			return offset
		}
	}
	return offset
}

// objectKey reports whether the word src[start:end] is an object's key
// ({if: 1}, {then}) rather than a keyword.
func objectKey(src string, stack []byte, start, end int) bool {
	if next := nextToken(src, end); next < len(src) && src[next] == ':' {
		return true
	}
	if len(stack) == 0 || stack[len(stack)-1] != '{' {
		return false
	}
	prev := strings.TrimRight(src[:start], " \t\r\n")
	return strings.HasSuffix(prev, "{") || strings.HasSuffix(prev, ",")
}

// commentEnd returns the offset of the newline that ends the comment
// starting at src[i], or len(src) when none does (gojq reads no code past
// a NUL byte in a comment either).
func commentEnd(src string, i int) int {
	j := strings.IndexAny(src[i:], "\n\x00")
	if j < 0 || src[i+j] == 0 {
		return len(src)
	}
	return i + j
}

// skipString returns the offset just past the string literal that starts
// at src[i] (a quote), with the code of its interpolations.
func skipString(src string, i int) int {
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '"':
			return j + 1
		case '\\':
			if j+1 < len(src) && src[j+1] == '(' {
				j = skipInterpolation(src, j+2) - 1
				continue
			}
			j++
		}
	}
	return len(src)
}

// skipInterpolation returns the offset just past the ")" that closes an
// interpolation whose code starts at src[i].
func skipInterpolation(src string, i int) int {
	depth := 1
	for j := i; j < len(src); {
		switch src[j] {
		case '"':
			j = skipString(src, j)
			continue
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
		j++
	}
	return len(src)
}

func isIdentStart(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}
