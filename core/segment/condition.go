package segment

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// MaxDays is the longest window or horizon spend, visits and expiring
// take.
const MaxDays = 3650

// MaxWindows is how many different days spend and visits may take in one
// condition, and expiring as many.
const MaxWindows = 8

// Needs says which facts beyond the member's own row a condition reads:
// what a store scan has to join.
type Needs struct {
	// Consent is the marketing consent (consent, opted_in).
	Consent bool `json:"consent,omitempty"`
	// Orders are the lifetime order stats (orders, total_spend,
	// last_purchase_at, days_since_purchase).
	Orders bool `json:"orders,omitempty"`
	// Windows are the days of spend(days) and visits(days), ascending.
	Windows []int `json:"windows,omitempty"`
	// Expiring are the days of expiring(days) and of expiring_points,
	// ascending.
	Expiring []int `json:"expiring,omitempty"`
}

// Condition is a compiled segment condition. It is safe for concurrent
// use.
type Condition struct {
	source  string
	program *vm.Program
	needs   Needs
}

// Compile compiles a condition once: an expr expression over Env that is
// true for the members in the segment. The days of spend, visits and
// expiring must be whole numbers from 1 to MaxDays written in the
// condition.
func Compile(condition string) (c *Condition, err error) {
	src := strings.TrimSpace(condition)
	switch {
	case src == "":
		return nil, fmt.Errorf("compiling condition: is empty")
	case len(src) > MaxConditionLength:
		return nil, fmt.Errorf("compiling condition: is longer than %d bytes", MaxConditionLength)
	}
	defer func() {
		// expr must not panic on any input; should it, the condition is
		// refused instead of taking the caller down.
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("compiling condition: %v", r)
		}
	}()
	prog, err := expr.Compile(src, expr.Env(Env{}), expr.AsBool())
	if err != nil {
		return nil, fmt.Errorf("compiling condition: %w", err)
	}
	n := prog.Node()
	w := &needsWalker{}
	ast.Walk(&n, w)
	for callee, called := range w.calls {
		if !called {
			w.fail(fmt.Errorf("%s takes a number of days, such as %[1]s(90)", callee.(*ast.IdentifierNode).Value))
		}
	}
	if w.err != nil {
		return nil, fmt.Errorf("compiling condition: %w", w.err)
	}
	slices.Sort(w.needs.Windows)
	slices.Sort(w.needs.Expiring)
	w.needs.Windows = slices.Compact(w.needs.Windows)
	w.needs.Expiring = slices.Compact(w.needs.Expiring)
	if len(w.needs.Windows) > MaxWindows || len(w.needs.Expiring) > MaxWindows {
		return nil, fmt.Errorf("compiling condition: more than %d different days for spend and visits, or for expiring", MaxWindows)
	}
	return &Condition{source: src, program: prog, needs: w.needs}, nil
}

// String returns the condition as written (trimmed).
func (c *Condition) String() string { return c.source }

// Needs returns the facts the condition reads.
func (c *Condition) Needs() Needs {
	n := c.needs
	n.Windows, n.Expiring = slices.Clone(n.Windows), slices.Clone(n.Expiring)
	return n
}

// Match reports whether the member env describes is in the segment.
func (c *Condition) Match(env *Env) (bool, error) {
	out, err := expr.Run(c.program, env)
	if err != nil {
		return false, fmt.Errorf("evaluating condition: %w", err)
	}
	ok, _ := out.(bool)
	return ok, nil
}

// needsWalker collects the facts a compiled condition reads. A name the
// condition binds itself (let, a predicate's variable) may shadow one of
// Env's: then a fact is loaded that is not needed, never the reverse.
type needsWalker struct {
	needs Needs
	calls map[ast.Node]bool // callees already counted as calls
	err   error
}

func (w *needsWalker) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return
		}
		switch id.Value {
		case "spend", "visits", "expiring":
		default:
			return
		}
		if w.calls == nil {
			w.calls = map[ast.Node]bool{}
		}
		w.calls[n.Callee] = true
		days, err := daysArg(id.Value, n.Arguments)
		if err != nil {
			w.fail(err)
			return
		}
		if id.Value == "expiring" {
			w.needs.Expiring = append(w.needs.Expiring, days)
		} else {
			w.needs.Windows = append(w.needs.Windows, days)
		}
	case *ast.IdentifierNode:
		switch n.Value {
		case "consent", "opted_in":
			w.needs.Consent = true
		case "orders", "total_spend", "last_purchase_at", "days_since_purchase":
			w.needs.Orders = true
		case "expiring_points":
			w.needs.Expiring = append(w.needs.Expiring, ExpiringDays)
		case "spend", "visits", "expiring":
			w.pending(n)
		}
	}
}

// pending remembers a function named, until the call that names it (Walk
// visits a call's callee before the call); one never called is an error.
func (w *needsWalker) pending(n *ast.IdentifierNode) {
	if w.calls == nil {
		w.calls = map[ast.Node]bool{}
	}
	if _, seen := w.calls[n]; !seen {
		w.calls[n] = false
	}
}

func (w *needsWalker) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// daysArg reads the one argument of spend, visits or expiring: a whole
// number of days written in the condition.
func daysArg(name string, args []ast.Node) (int, error) {
	if len(args) == 1 {
		if d, ok := args[0].(*ast.IntegerNode); ok {
			if d.Value < 1 || d.Value > MaxDays {
				return 0, fmt.Errorf("%s(%d): days must be from 1 to %d", name, d.Value, MaxDays)
			}
			return d.Value, nil
		}
	}
	return 0, fmt.Errorf("%s takes a number of days written as a whole number, such as %s(90)", name, name)
}
