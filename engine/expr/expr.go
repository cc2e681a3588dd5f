// Package expr holds bound expressions: the binder's output for every scalar
// expression of a query. A bound expression knows its static type, the span
// of SQL it came from, and how to evaluate itself against a row whose layout
// the binder fixed (columns are indexes, not names).
//
// Evaluation never panics and never allocates for fixed-size values. An error
// (a decimal overflow, a failed CAST, a division by zero) is recorded in the
// Ctx with the span of the expression that failed, and the expression yields
// NULL; the executor checks Ctx.Err once per record and sends a failed record
// to the dead-letter path, so nothing fails silently.
package expr

import (
	"fmt"

	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/token"
	"github.com/velostream/velostream/engine/types"
)

// Ctx is the evaluation context of one operator. It is not safe for
// concurrent use; each operator owns one.
type Ctx struct {
	Env functions.Env
	Err *EvalError // first error since the last Reset
}

// EvalError is a run-time failure of an expression, positioned at its SQL.
type EvalError struct {
	Span token.Span
	Err  error
}

func (e *EvalError) Error() string {
	if e.Span.Start.IsValid() {
		return fmt.Sprintf("%d:%d: %v", e.Span.Start.Line, e.Span.Start.Col, e.Err)
	}
	return e.Err.Error()
}
func (e *EvalError) Unwrap() error { return e.Err }

// Reset clears the recorded error before the next record.
func (c *Ctx) Reset() { c.Err = nil }

// fail records err for the expression at span (the first error wins) and
// returns NULL so evaluation can continue to the end of the row.
func (c *Ctx) fail(span token.Span, err error) types.Value {
	if c.Err == nil {
		c.Err = &EvalError{Span: span, Err: err}
	}
	return types.Value{}
}

// Expr is a bound, typed expression.
type Expr interface {
	Type() types.Type
	Eval(c *Ctx, row types.Row) types.Value
	Span() token.Span
	// String renders the expression as SQL-like text for plans and messages.
	String() string
	// Children returns the sub-expressions (for walks such as column pruning).
	Children() []Expr
}

// Walk calls f for e and every sub-expression, depth first.
func Walk(e Expr, f func(Expr)) {
	if e == nil {
		return
	}
	f(e)
	for _, c := range e.Children() {
		Walk(c, f)
	}
}

// Columns returns the input column indexes e reads.
func Columns(e Expr) []int {
	var out []int
	Walk(e, func(x Expr) {
		if c, ok := x.(*Col); ok {
			out = append(out, c.Idx)
		}
	})
	return out
}

// IsConst reports whether e reads no column (and calls no time function).
func IsConst(e Expr) bool {
	constant := true
	Walk(e, func(x Expr) {
		switch v := x.(type) {
		case *Col:
			constant = false
		case *Call:
			if v.Volatile {
				constant = false
			}
		}
	})
	return constant
}

type base struct {
	T  types.Type
	Sp token.Span
}

func (b *base) Type() types.Type { return b.T }
func (b *base) Span() token.Span { return b.Sp }

// Col reads input column Idx.
type Col struct {
	base
	Idx  int
	Name string
}

// NewCol returns a column reference.
func NewCol(idx int, name string, t types.Type, sp token.Span) *Col {
	return &Col{base: base{T: t, Sp: sp}, Idx: idx, Name: name}
}

func (e *Col) Eval(_ *Ctx, row types.Row) types.Value { return row[e.Idx] }
func (e *Col) String() string                         { return e.Name }
func (e *Col) Children() []Expr                       { return nil }

// Const is a literal value.
type Const struct {
	base
	V    types.Value
	Text string
}

// NewConst returns a constant.
func NewConst(v types.Value, t types.Type, text string, sp token.Span) *Const {
	return &Const{base: base{T: t, Sp: sp}, V: v, Text: text}
}

func (e *Const) Eval(*Ctx, types.Row) types.Value { return e.V }
func (e *Const) String() string                   { return e.Text }
func (e *Const) Children() []Expr                 { return nil }
