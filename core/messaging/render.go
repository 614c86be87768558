package messaging

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
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
	tenant   string
	n        config.Notification
	when     *vm.Program // nil: always
	text     *vm.Program // a text notification's body
	template *templateProgram
	fallback *templateProgram
}

// templateProgram is a notification template with its compiled
// expressions.
type templateProgram struct {
	t        config.NotificationTmpl
	at       string // key of the template in the notification
	header   *vm.Program
	body     []*vm.Program
	names    []string // named parameters, sorted
	params   []*vm.Program
	buttons  []*vm.Program
	compiled bool
}

// renderEnv is the shape of the expression environment, used to check
// variable names at compile time.
var renderEnv = map[string]any{
	"outcome": map[string]any{},
	"member":  map[string]any{},
	"data":    map[string]any{},
	"tenant":  "",
}

// compiler gathers compile errors at keys relative to the notification.
type compiler struct{ errs config.Errors }

func (c *compiler) compile(path, src string, opts ...expr.Option) *vm.Program {
	if src == "" {
		c.errs = append(c.errs, &config.FieldError{Path: path, Msg: "empty expression"})
		return nil
	}
	p, err := expr.Compile(src, append([]expr.Option{expr.Env(renderEnv)}, opts...)...)
	if err != nil {
		c.errs = append(c.errs, &config.FieldError{Path: path, Msg: compileMsg(err)})
	}
	return p
}

func (c *compiler) template(at string, t config.NotificationTmpl) *templateProgram {
	tp := &templateProgram{t: t, at: at, body: make([]*vm.Program, len(t.Body))}
	if h := t.Header; h != nil {
		if h.Type == HeaderText {
			tp.header = c.compile(at+".header.text", h.Text)
		} else {
			tp.header = c.compile(at+".header.link", h.Link)
		}
	}
	for i, src := range t.Body {
		tp.body[i] = c.compile(fmt.Sprintf("%s.body[%d]", at, i), src)
	}
	for name := range t.Params {
		tp.names = append(tp.names, name)
	}
	sort.Strings(tp.names)
	for _, name := range tp.names {
		tp.params = append(tp.params, c.compile(at+".params."+name, t.Params[name]))
	}
	for i, b := range t.Buttons {
		tp.buttons = append(tp.buttons, c.compile(fmt.Sprintf("%s.buttons[%d].value", at, i), b.Value))
	}
	return tp
}

// NewRenderer compiles the notification's expressions. Errors name the key
// relative to the notification, such as "when: …" or "template.body[1]: …",
// as *config.FieldError values collected in a config.Errors.
func NewRenderer(tenant string, n config.Notification) (*Renderer, error) {
	r := &Renderer{tenant: tenant, n: n}
	var c compiler
	if n.When != "" {
		r.when = c.compile("when", n.When, expr.AsBool())
	}
	if n.Text != "" {
		r.text = c.compile("text", n.Text)
		if n.Fallback != nil {
			r.fallback = c.template("fallback", *n.Fallback)
		}
	} else {
		r.template = c.template("template", n.Template)
	}
	if err := c.errs.Err(); err != nil {
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

// Templates returns the templates the rule may send, with the key of each
// in the notification ("template" or "fallback"), and a message built
// with placeholder parameters that has the template's shape, for checking
// it against the account's templates.
func (r *Renderer) Templates() map[string]*Template {
	out := map[string]*Template{}
	for _, tp := range []*templateProgram{r.template, r.fallback} {
		if tp == nil {
			continue
		}
		out[tp.at] = tp.shape()
	}
	return out
}

func (tp *templateProgram) shape() *Template {
	t := &Template{Name: tp.t.Name, Language: tp.t.Language}
	if h := tp.t.Header; h != nil {
		t.Header = &Header{Type: h.Type, Name: h.Name, Text: "x", Link: "https://example.com/x", Filename: h.Filename}
	}
	for range tp.t.Body {
		t.Body = append(t.Body, Param{Text: "x"})
	}
	for _, name := range tp.names {
		t.Body = append(t.Body, Param{Name: name, Text: "x"})
	}
	for _, b := range tp.t.Buttons {
		t.Buttons = append(t.Buttons, Button{Index: b.Index, SubType: b.SubType, Value: "x"})
	}
	return t
}

// Render builds the command for outcome o. ok is false, with no error, when
// the outcome is not of the rule's type (On) or its When condition is false.
// Errors are permanent faults of class request: the same outcome would fail
// the same way again. Parameters that WhatsApp would refuse for their
// length or their line breaks are fitted by rule (Command.Fit) rather than
// failing the message; Fitted tells how many.
func (r *Renderer) Render(o event.Outcome) (cmd Command, ok bool, err error) {
	cmd, ok, err = r.render(o)
	if ok && err == nil {
		cmd.fitted = cmd.Fit()
	}
	return cmd, ok, err
}

func (r *Renderer) render(o event.Outcome) (cmd Command, ok bool, err error) {
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
	cmd = Command{
		Key:       event.DerivedID("msg_", o.ID, r.n.Name),
		Tenant:    r.tenant,
		Sender:    r.n.Sender,
		MemberID:  o.Member.ID,
		To:        o.Member.Phone,
		Category:  r.n.Category,
		OutcomeID: o.ID,
		Rule:      r.n.Name,
		Origin:    RuleOrigin(r.n.Name),
	}
	if r.text != nil {
		cmd.Kind = KindText
		if cmd.Text, err = r.param("text", r.text, env); err != nil {
			return Command{}, false, err
		}
		if r.fallback != nil {
			if cmd.Fallback, err = r.fill(r.fallback, env); err != nil {
				return Command{}, false, err
			}
		}
		return cmd, true, nil
	}
	cmd.Kind = KindTemplate
	if cmd.Template, err = r.fill(r.template, env); err != nil {
		return Command{}, false, err
	}
	return cmd, true, nil
}

func (r *Renderer) param(key string, p *vm.Program, env map[string]any) (string, error) {
	v, err := expr.Run(p, env)
	if err != nil {
		return "", r.fail(key, err)
	}
	s, err := paramString(v)
	if err != nil {
		return "", r.fail(key, err)
	}
	return s, nil
}

// fill evaluates a template's parameters.
func (r *Renderer) fill(tp *templateProgram, env map[string]any) (*Template, error) {
	t := &Template{Name: tp.t.Name, Language: tp.t.Language}
	if h := tp.t.Header; h != nil {
		v, err := r.param(tp.at+".header", tp.header, env)
		if err != nil {
			return nil, err
		}
		t.Header = &Header{Type: h.Type, Name: h.Name, Filename: h.Filename}
		if h.Type == HeaderText {
			t.Header.Text = v
		} else {
			t.Header.Link = v
		}
	}
	for i, p := range tp.body {
		v, err := r.param(fmt.Sprintf("%s.body[%d]", tp.at, i), p, env)
		if err != nil {
			return nil, err
		}
		t.Body = append(t.Body, Param{Text: v})
	}
	for i, p := range tp.params {
		v, err := r.param(tp.at+".params."+tp.names[i], p, env)
		if err != nil {
			return nil, err
		}
		t.Body = append(t.Body, Param{Name: tp.names[i], Text: v})
	}
	for i, p := range tp.buttons {
		b := tp.t.Buttons[i]
		v, err := r.param(fmt.Sprintf("%s.buttons[%d].value", tp.at, i), p, env)
		if err != nil {
			return nil, err
		}
		t.Buttons = append(t.Buttons, Button{Index: b.Index, SubType: b.SubType, Value: v})
	}
	return t, nil
}

func (r *Renderer) fail(key string, err error) error {
	return fault.Permanent(fault.ClassRequest,
		fmt.Errorf("rendering notification %q, %s: %w", r.n.Name, key, err))
}

func (r *Renderer) env(o event.Outcome) map[string]any { return OutcomeEnv(r.tenant, o) }

// Condition is an expr condition over an outcome, as a notification's
// when: it sees the variables Renderer describes.
type Condition struct{ p *vm.Program }

// CompileCondition compiles a condition that must yield a bool.
func CompileCondition(src string) (Condition, error) {
	p, err := expr.Compile(src, expr.Env(renderEnv), expr.AsBool())
	if err != nil {
		return Condition{}, errors.New(compileMsg(err))
	}
	return Condition{p: p}, nil
}

// Eval evaluates the condition on outcome o of tenant.
func (c Condition) Eval(tenant string, o event.Outcome) (bool, error) {
	v, err := expr.Run(c.p, OutcomeEnv(tenant, o))
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("result is %T, want bool", v)
	}
	return b, nil
}

// OutcomeEnv is what a notification's expressions see of outcome o of
// tenant (see Renderer).
func OutcomeEnv(tenant string, o event.Outcome) map[string]any {
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
		"tenant": tenant,
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
