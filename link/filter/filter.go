// Package filter evaluates a ClusterLink's `filter`: a SQL boolean
// expression over the top-level fields of a record's JSON value. It takes the
// expression's text and gives a Filter that answers, per record value,
// whether to replicate it.
//
// The expression is parsed and bound by the engine (parser.ParseExpr,
// binder.BindRowExpr) and values are decoded by the engine's JSON decoder
// (engine/format), so the filter speaks the same SQL, functions and typing
// as a query's WHERE clause. Fields are typed from each value as it comes
// (an integer is BIGINT, a number with a fraction an exact DECIMAL, a string
// STRING), because a link copies topics it knows no schema for; a field the
// value lacks is NULL. As in WHERE, NULL is not true: the record is dropped.
package filter

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/types"
)

// Filter decides which records to replicate. A Filter is not safe for
// concurrent use (its decoder reuses buffers); Clone one per goroutine.
type Filter struct {
	src    string
	expr   expr.Expr
	fields []format.Field
	dec    *format.JSONDecoder
	row    types.Row
	ctx    expr.Ctx
}

// Compile parses and binds src. Errors carry the 1-based line and column in
// src of every problem.
func Compile(src string) (*Filter, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("empty filter: leave the field out to replicate every record")
	}
	x, errs := parser.ParseExpr(src)
	if len(errs) > 0 {
		return nil, errs
	}
	names := columns(x)
	schema := make(types.Schema, len(names))
	fields := make([]format.Field, len(names))
	for i, n := range names {
		schema[i] = types.Column{Name: n, Type: types.Any}
		fields[i] = format.Field{Name: n, Type: types.Any}
	}
	bound, errs := binder.BindRowExpr(x, schema)
	if len(errs) > 0 {
		return nil, errs
	}
	if k := bound.Type().Kind; k != types.KindBool && k != types.KindAny && k != types.KindNull {
		return nil, fmt.Errorf("%d:%d: the filter is %s; it must be a condition (true or false), such as region = 'west'",
			x.Pos().Line, x.Pos().Col, bound.Type())
	}
	f := &Filter{src: src, expr: bound, fields: fields}
	f.init()
	return f, nil
}

func (f *Filter) init() {
	f.dec = format.NewJSONDecoder(f.fields)
	f.row = make(types.Row, len(f.fields))
	f.ctx = expr.Ctx{Env: functions.Env{NowMillis: func() int64 { return time.Now().UnixMilli() }}}
}

// Clone returns a Filter with the same expression and its own buffers.
func (f *Filter) Clone() *Filter {
	c := &Filter{src: f.src, expr: f.expr, fields: f.fields}
	c.init()
	return c
}

// String is the filter's text.
func (f *Filter) String() string { return f.src }

// Match reports whether a record whose value is v is replicated. An error
// means the value could not be judged (not a JSON object, or the expression
// failed on it, such as a division by zero); such records are not
// replicated, and the caller counts and reports them.
func (f *Filter) Match(v []byte) (bool, error) {
	if v == nil {
		return false, errors.New("the record has no value (a tombstone)")
	}
	if err := f.dec.Decode(v, f.row); err != nil {
		return false, fmt.Errorf("value is not a JSON object the filter can read: %w", err)
	}
	f.ctx.Reset()
	out := f.expr.Eval(&f.ctx, f.row)
	if f.ctx.Err != nil {
		return false, fmt.Errorf("filter failed: %w", f.ctx.Err)
	}
	if out.K == types.KindBool {
		return out.Bool(), nil
	}
	if out.IsNull() {
		return false, nil
	}
	return false, fmt.Errorf("filter gave %v, not true or false", out)
}

// columns lists the field names the expression reads, in order of first
// use. A qualified name (t.x) keeps its last part: the binder reports the
// qualifier, which a single record cannot have.
func columns(x ast.Expr) []string {
	var out []string
	seen := map[string]bool{}
	walk(x, func(e ast.Expr) {
		id, ok := e.(*ast.Ident)
		if !ok {
			return
		}
		if n := id.Name(); !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	})
	return out
}

// walk calls f on e and every expression under it.
func walk(e ast.Expr, f func(ast.Expr)) {
	if e == nil {
		return
	}
	f(e)
	switch n := e.(type) {
	case *ast.Binary:
		walk(n.L, f)
		walk(n.R, f)
	case *ast.Unary:
		walk(n.X, f)
	case *ast.Paren:
		walk(n.X, f)
	case *ast.Call:
		for _, a := range n.Args {
			walk(a, f)
		}
	case *ast.Case:
		walk(n.Operand, f)
		for _, w := range n.Whens {
			walk(w.Cond, f)
			walk(w.Result, f)
		}
		walk(n.Else, f)
	case *ast.Cast:
		walk(n.X, f)
	case *ast.In:
		walk(n.X, f)
		for _, a := range n.List {
			walk(a, f)
		}
	case *ast.Between:
		walk(n.X, f)
		walk(n.Lo, f)
		walk(n.Hi, f)
	case *ast.Like:
		walk(n.X, f)
		walk(n.Pattern, f)
	case *ast.IsNull:
		walk(n.X, f)
	case *ast.Extract:
		walk(n.X, f)
	}
}
