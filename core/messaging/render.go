package messaging

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
)

// Renderer turns outcomes into message commands for one notification rule.
// Its expressions are compiled once by NewRenderer; Render is safe for
// concurrent use.
//
// Expressions see four variables:
//
//	outcome  map: id, type, event_id, occurred_at (time), data
//	member   map: id, phone, name, balance
//	data     the outcome's data
//	tenant   the tenant id
type Renderer struct {
	tenant string
	n      config.Notification
	when   *vm.Program // nil: always
	body   []*vm.Program
}

// renderEnv is the shape of the expression environment, used to check
// variable names at compile time.
var renderEnv = map[string]any{
	"outcome": map[string]any{},
	"member":  map[string]any{},
	"data":    map[string]any{},
	"tenant":  "",
}

// NewRenderer compiles the notification's expressions. Errors name the key
// relative to the notification, such as "when: …" or "template.body[1]: …",
// as *config.FieldError values collected in a config.Errors.
func NewRenderer(tenant string, n config.Notification) (*Renderer, error) {
	r := &Renderer{tenant: tenant, n: n, body: make([]*vm.Program, len(n.Template.Body))}
	var errs config.Errors
	if n.When != "" {
		p, err := expr.Compile(n.When, expr.Env(renderEnv), expr.AsBool())
		if err != nil {
			errs = append(errs, &config.FieldError{Path: "when", Msg: compileMsg(err)})
		}
		r.when = p
	}
	for i, src := range n.Template.Body {
		path := fmt.Sprintf("template.body[%d]", i)
		if src == "" {
			errs = append(errs, &config.FieldError{Path: path, Msg: "empty expression"})
			continue
		}
		p, err := expr.Compile(src, expr.Env(renderEnv))
		if err != nil {
			errs = append(errs, &config.FieldError{Path: path, Msg: compileMsg(err)})
		}
		r.body[i] = p
	}
	if err := errs.Err(); err != nil {
		return nil, fmt.Errorf("compiling notification %q: %w", n.Name, err)
	}
	return r, nil
}

// compileMsg flattens expr's multi-line error (which points at the column
// with a caret) into one line.
func compileMsg(err error) string {
	msg := err.Error()
	for i := 0; i < len(msg); i++ {
		if msg[i] == '\n' {
			return msg[:i]
		}
	}
	return msg
}

// Notification returns the rule the renderer was built from.
func (r *Renderer) Notification() config.Notification { return r.n }

// Render builds the command for outcome o. ok is false, with no error, when
// the outcome is not of the rule's type (On) or its When condition is false.
// Errors are permanent faults of class request: the same outcome would fail
// the same way again.
func (r *Renderer) Render(o event.Outcome) (cmd Command, ok bool, err error) {
	if r.n.On != "" && o.Type != r.n.On {
		return Command{}, false, nil
	}
	env := r.env(o)
	if r.when != nil {
		v, err := expr.Run(r.when, env)
		if err != nil {
			return Command{}, false, r.fail("when", err)
		}
		b, isBool := v.(bool)
		if !isBool {
			return Command{}, false, r.fail("when", fmt.Errorf("result is %T, want bool", v))
		}
		if !b {
			return Command{}, false, nil
		}
	}
	params := make([]string, len(r.body))
	for i, p := range r.body {
		v, err := expr.Run(p, env)
		if err != nil {
			return Command{}, false, r.fail(fmt.Sprintf("template.body[%d]", i), err)
		}
		s, err := paramString(v)
		if err != nil {
			return Command{}, false, r.fail(fmt.Sprintf("template.body[%d]", i), err)
		}
		params[i] = s
	}
	if len(params) == 0 {
		params = nil
	}
	return Command{
		Key:       event.DerivedID("msg_", o.ID, r.n.Name),
		Tenant:    r.tenant,
		Sender:    r.n.Sender,
		MemberID:  o.Member.ID,
		To:        o.Member.Phone,
		Kind:      KindTemplate,
		Category:  r.n.Category,
		Template:  &Template{Name: r.n.Template.Name, Language: r.n.Template.Language, Body: Positional(params...)},
		OutcomeID: o.ID,
		Rule:      r.n.Name,
	}, true, nil
}

func (r *Renderer) fail(key string, err error) error {
	return fault.Permanent(fault.ClassRequest,
		fmt.Errorf("rendering notification %q, %s: %w", r.n.Name, key, err))
}

func (r *Renderer) env(o event.Outcome) map[string]any {
	data := o.Data
	if data == nil {
		data = map[string]any{}
	}
	return map[string]any{
		"outcome": map[string]any{
			"id":          o.ID,
			"type":        o.Type,
			"event_id":    o.EventID,
			"occurred_at": o.OccurredAt,
			"data":        data,
		},
		"member": map[string]any{
			"id":      o.Member.ID,
			"phone":   o.Member.Phone,
			"name":    o.Member.Name,
			"balance": o.Member.Balance,
		},
		"data":   data,
		"tenant": r.tenant,
	}
}

// errNotScalar is returned for a body expression whose result is a list,
// map or other structured value.
var errNotScalar = errors.New("result is not a string, number or bool")

// paramString formats an expression result as a template parameter:
// integers without decimals or exponent, floats in their shortest exact
// decimal form, strings as they are, nil as "".
func paramString(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.FormatInt(int64(x), 10), nil
	case int8:
		return strconv.FormatInt(int64(x), 10), nil
	case int16:
		return strconv.FormatInt(int64(x), 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint8:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint16:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float32:
		return formatFloat(float64(x), 32)
	case float64:
		return formatFloat(x, 64)
	case json.Number:
		return x.String(), nil
	case fmt.Stringer:
		return x.String(), nil
	default:
		return "", fmt.Errorf("%w: got %T", errNotScalar, v)
	}
}

func formatFloat(f float64, bits int) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("result is %v, not a finite number", f)
	}
	return strconv.FormatFloat(f, 'f', -1, bits), nil
}
