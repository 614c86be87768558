package mappings

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/big"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/itchyny/gojq"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
)

// MaxOutputs caps the events one delivery may yield; a program that outputs
// more is stopped and the delivery fails permanently.
const MaxOutputs = 10000

// maxIntegerDigits bounds the integers parsed exactly; longer literals are
// read as float64, which keeps hostile bodies from costing quadratic time.
const maxIntegerDigits = 100

//go:embed *.jq
var bundled embed.FS

// Bundled returns the source of the bundled mapping called name, such as
// "pos_webhook" or "whatsapp_cloud".
func Bundled(name string) (source string, ok bool) {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return "", false
	}
	b, err := bundled.ReadFile(name + ".jq")
	if err != nil {
		return "", false
	}
	return string(b), true
}

// Names returns the names of the bundled mappings, sorted.
func Names() []string {
	entries, err := fs.Glob(bundled, "*.jq")
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(path.Base(e), ".jq"))
	}
	sort.Strings(names)
	return names
}

// CompileError is a mapping that does not compile. Line and Column locate
// the error in the jq source (both 1-based) when the parser knows where it
// is, and are zero otherwise.
type CompileError struct {
	Mapping string
	Line    int
	Column  int
	Err     error
}

func (e *CompileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("compiling mapping %q: %d:%d: %v", e.Mapping, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("compiling mapping %q: %v", e.Mapping, e.Err)
}

func (e *CompileError) Unwrap() error { return e.Err }

// Program is a compiled mapping. It is safe for concurrent use.
type Program struct {
	name   string
	source string
	code   *gojq.Code
}

// Compile compiles the jq source of the mapping called name (the name only
// labels errors). Errors are *CompileError.
func Compile(name, source string) (*Program, error) {
	q, err := gojq.Parse(source)
	if err != nil {
		ce := &CompileError{Mapping: name, Err: err}
		var pe *gojq.ParseError
		if errors.As(err, &pe) {
			ce.Line, ce.Column = position(source, pe.Offset-len(pe.Token))
		}
		return nil, ce
	}
	code, err := gojq.Compile(q, compileOptions()...)
	if err != nil {
		return nil, &CompileError{Mapping: name, Err: err}
	}
	return &Program{name: name, source: source, code: code}, nil
}

// compileOptions are the options every mapping is compiled with, extra
// ones after them: $meta, no environment, and the functions the engine adds
// to jq's.
func compileOptions(extra ...gojq.CompilerOption) []gojq.CompilerOption {
	return append([]gojq.CompilerOption{
		gojq.WithVariables([]string{"$meta"}),
		gojq.WithEnvironLoader(func() []string { return nil }),
		gojq.WithFunction("drop_nulls", 0, 0, func(v any, _ []any) any { return dropNulls(v) }),
	}, extra...)
}

// dropNulls is the drop_nulls function of mappings: an object without its
// null values, an array without its null elements, as del(.[] | nulls)
// gives them, without jq's path tracking, which made it the dearest step
// of mapping a status webhook. Other values, null included, cannot be
// iterated, as in jq.
func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if e != nil {
				out[k] = e
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if e != nil {
				out = append(out, e)
			}
		}
		return out
	}
	return fmt.Errorf("cannot iterate over: %s", typeName(v))
}

// position converts a byte offset into a 1-based line and column (in
// characters) of src.
func position(src string, offset int) (line, col int) {
	offset = max(0, min(offset, len(src)))
	before := src[:offset]
	line = strings.Count(before, "\n") + 1
	if i := strings.LastIndexByte(before, '\n'); i >= 0 {
		before = before[i+1:]
	}
	return line, utf8.RuneCountInString(before) + 1
}

// Name returns the mapping's name.
func (p *Program) Name() string { return p.name }

// Map maps one delivery, whose raw payload is body, item by item: the
// events, the items the mapping could not map, and the parts it left
// aside. An error fails the whole delivery: it is permanent
// (fault.ClassRequest) except a cancelled ctx, which is returned as is.
func (p *Program) Map(ctx context.Context, d event.Delivery, body []byte) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("running mapping %q: %w", p.name, err)
	}
	input, err := decodeJSON(body)
	if err != nil {
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("payload is not valid JSON: %w", err))
	}
	meta := map[string]any{
		"tenant":      d.Tenant,
		"connector":   d.Connector,
		"kind":        d.Kind,
		"delivery_id": d.DeliveryID,
		"topic":       d.Topic,
		"received_at": d.ReceivedAt.UTC().Format(time.RFC3339),
	}
	source := make(map[string]any, len(d.Meta))
	for k, v := range d.Meta {
		source[k] = v
	}
	meta["source"] = source
	res := &Result{}
	iter := p.code.RunWithContext(ctx, input, meta)
	for i := 0; ; i++ {
		v, ok := iter.Next()
		if !ok {
			break
		}
		if err, isErr := v.(error); isErr {
			var he *gojq.HaltError
			if errors.As(err, &he) && he.Value() == nil {
				break // halt: a normal end
			}
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, fmt.Errorf("running mapping %q: %w", p.name, ctxErr)
			}
			return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("running mapping %q: %w", p.name, err))
		}
		if i >= MaxOutputs {
			return nil, fault.Permanent(fault.ClassRequest,
				fmt.Errorf("running mapping %q: more than %d outputs", p.name, MaxOutputs))
		}
		if err := res.add(d, i, v); err != nil {
			return nil, fault.Permanent(fault.ClassRequest,
				fmt.Errorf("mapping %q: output %d: %w", p.name, i, err))
		}
	}
	return res, nil
}

// Result is what a mapping made of one delivery.
type Result struct {
	// Events are the delivery's events, in the order the program output
	// them.
	Events []event.Event
	// Failed are the items the program could not map ({"error", "item"}
	// outputs), each to be dead-lettered on its own while the events go on.
	Failed []Failure
	// Ignored names the parts of the delivery the program left aside on
	// purpose ({"ignored": label} outputs), one entry per part.
	Ignored []string
}

// Failure is one item of a delivery that the mapping could not map.
type Failure struct {
	Output int    `json:"output"` // the index of the failure among the program's outputs
	Reason string `json:"reason"` // why, as the mapping said it
	// Item is the item's JSON: a body the same mapping maps to that item
	// alone where the mapping can build one (so that the item can be
	// replayed once the cause is fixed), else the item itself.
	Item json.RawMessage `json:"item"`
}

// ItemError is the error Run returns for a delivery of which the mapping
// marked items as failed.
type ItemError struct {
	Mapping string
	Failure Failure // the first failed item
	Count   int     // how many items failed
}

func (e *ItemError) Error() string {
	msg := fmt.Sprintf("running mapping %q: output %d: item failed: %s", e.Mapping, e.Failure.Output, e.Failure.Reason)
	if e.Count > 1 {
		msg += fmt.Sprintf(" (and %d more failed items)", e.Count-1)
	}
	return msg
}

// Run maps one delivery, whose raw payload is body, to all of its events,
// or fails: an item the mapping marks as failed fails the run with an
// *ItemError. It suits callers that show a mapping's answer whole; the
// pipeline uses Map. Errors are permanent (fault.ClassRequest) except a
// cancelled ctx, which is returned as is.
func (p *Program) Run(ctx context.Context, d event.Delivery, body []byte) ([]event.Event, error) {
	res, err := p.Map(ctx, d, body)
	if err != nil {
		return nil, err
	}
	if len(res.Failed) > 0 {
		return nil, fault.Permanent(fault.ClassRequest, &ItemError{Mapping: p.name, Failure: res.Failed[0], Count: len(res.Failed)})
	}
	return res.Events, nil
}

// add checks output i of a program against the contract and adds it to r.
func (r *Result) add(d event.Delivery, i int, v any) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("got %s, want an object {type, id, occurred_at, data}", typeName(v))
	}
	if _, ok := obj["error"]; ok {
		f, err := toFailure(i, obj)
		if err != nil {
			return err
		}
		r.Failed = append(r.Failed, f)
		return nil
	}
	if _, ok := obj["ignored"]; ok {
		label, err := toIgnored(obj)
		if err != nil {
			return err
		}
		r.Ignored = append(r.Ignored, label)
		return nil
	}
	ev, err := toEvent(d, obj)
	if err != nil {
		return err
	}
	r.Events = append(r.Events, ev)
	return nil
}

// toFailure reads an {"error": reason, "item": …} output.
func toFailure(i int, obj map[string]any) (Failure, error) {
	for k := range obj {
		if k != "error" && k != "item" {
			return Failure{}, fmt.Errorf("field %q: unknown in a failed item, want error and item", k)
		}
	}
	item, ok := obj["item"]
	if !ok {
		return Failure{}, errors.New("field item: missing in a failed item, want the item's JSON")
	}
	var reason string
	switch x := obj["error"].(type) {
	case string:
		reason = x
	case nil:
		reason = "the mapping failed the item without a reason"
	default:
		b, err := gojq.Marshal(x)
		if err != nil {
			return Failure{}, fmt.Errorf("field error: encoding: %w", err)
		}
		reason = string(b)
	}
	if strings.TrimSpace(reason) == "" {
		reason = "the mapping failed the item without a reason"
	}
	b, err := gojq.Marshal(item)
	if err != nil {
		return Failure{}, fmt.Errorf("field item: encoding: %w", err)
	}
	return Failure{Output: i, Reason: reason, Item: b}, nil
}

// toIgnored reads an {"ignored": label} output.
func toIgnored(obj map[string]any) (string, error) {
	for k := range obj {
		if k != "ignored" {
			return "", fmt.Errorf("field %q: unknown beside ignored", k)
		}
	}
	label, ok := obj["ignored"].(string)
	if !ok || label == "" {
		return "", fmt.Errorf("field ignored: got %s, want a non-empty string", describe(obj["ignored"]))
	}
	return label, nil
}

// decodeJSON parses exactly one JSON value, keeping numbers exact.
func decodeJSON(body []byte) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errors.New("empty body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the top-level value")
	}
	return normalize(v), nil
}

// normalize replaces json.Number values, in place, with the numeric types
// jq works with: int when the integer fits, *big.Int beyond, float64 for
// the rest.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		return number(string(x))
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
	}
	return v
}

func number(s string) any {
	if !strings.ContainsAny(s, ".eE") && len(strings.TrimPrefix(s, "-")) <= maxIntegerDigits {
		if i, err := strconv.ParseInt(s, 10, 0); err == nil {
			return int(i)
		}
		if b, ok := new(big.Int).SetString(s, 10); ok {
			return b
		}
	}
	// ParseFloat returns ±Inf for values out of range, which jq prints as
	// ±1.7976931348623157e+308.
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

var outputKeys = map[string]bool{"type": true, "id": true, "occurred_at": true, "data": true}

// toEvent checks an event output of a program against the contract and
// builds its event.
func toEvent(d event.Delivery, obj map[string]any) (event.Event, error) {
	for k := range obj {
		if !outputKeys[k] {
			return event.Event{}, fmt.Errorf("field %q: unknown, want type, id, occurred_at or data", k)
		}
	}
	typ, ok := obj["type"].(string)
	if !ok || typ == "" {
		return event.Event{}, fmt.Errorf("field type: got %s, want a non-empty string", describe(obj["type"]))
	}
	id, err := providerID(obj["id"])
	if err != nil {
		return event.Event{}, fmt.Errorf("field id: %w", err)
	}
	data, ok := obj["data"].(map[string]any)
	if !ok {
		return event.Event{}, fmt.Errorf("field data: got %s, want an object", describe(obj["data"]))
	}
	at := d.ReceivedAt
	if raw := obj["occurred_at"]; raw != nil {
		if at, err = parseTime(raw); err != nil {
			return event.Event{}, fmt.Errorf("field occurred_at: %w", err)
		}
	}
	b, err := gojq.Marshal(data)
	if err != nil {
		return event.Event{}, fmt.Errorf("field data: encoding: %w", err)
	}
	return event.Event{
		ID:         event.ID(d.Tenant, d.Connector, typ+"/"+id),
		Tenant:     d.Tenant,
		Type:       typ,
		Connector:  d.Connector,
		OccurredAt: at.UTC(),
		Data:       b,
	}, nil
}

func providerID(v any) (string, error) {
	switch x := v.(type) {
	case string:
		if x != "" {
			return x, nil
		}
	case int:
		return strconv.Itoa(x), nil
	case *big.Int:
		return x.String(), nil
	}
	return "", fmt.Errorf("got %s, want a non-empty string or an integer", describe(v))
}

// Unix seconds accepted for occurred_at: from 1970 through 9999.
const maxUnix = 253402300799

var numericString = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

func parseTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case string:
		if numericString.MatchString(x) {
			f, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("%q: %w", x, err)
			}
			return unixTime(f)
		}
		t, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor unix seconds", preview(x))
		}
		return t, nil
	case int:
		return unixTime(float64(x))
	case float64:
		return unixTime(x)
	case *big.Int:
		return time.Time{}, fmt.Errorf("unix seconds %s out of range", preview(x.String()))
	}
	return time.Time{}, fmt.Errorf("got %s, want an RFC 3339 string or unix seconds", describe(v))
}

func unixTime(f float64) (time.Time, error) {
	if math.IsNaN(f) || f < 0 || f > maxUnix {
		return time.Time{}, fmt.Errorf("unix seconds %v out of range", f)
	}
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64(math.Round((f-sec)*1e9))), nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case int, float64, *big.Int:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// describe names v's type and, for scalars, shows a short preview.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null (missing)"
	case bool, int, float64, *big.Int, string:
		b, _ := gojq.Marshal(v)
		return typeName(v) + " " + preview(string(b))
	}
	return typeName(v)
}

func preview(s string) string {
	const n = 40
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
