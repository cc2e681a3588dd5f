package expr

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/token"
	"github.com/velostream/velostream/engine/types"
)

// Arith is L op R for + - * / % and ||.
type Arith struct {
	base
	Op   ast.BinaryOp
	L, R Expr
}

// NewArith binds an arithmetic or concatenation operator.
func NewArith(op ast.BinaryOp, l, r Expr, t types.Type, sp token.Span) *Arith {
	return &Arith{base: base{T: t, Sp: sp}, Op: op, L: l, R: r}
}

func (e *Arith) Eval(c *Ctx, row types.Row) types.Value {
	a, b := e.L.Eval(c, row), e.R.Eval(c, row)
	if a.K == types.KindNull || b.K == types.KindNull {
		return types.Value{}
	}
	// Fast path: the overwhelmingly common integer case needs no call.
	if a.K == types.KindInt && b.K == types.KindInt {
		switch e.Op {
		case ast.OpAdd:
			s := a.I + b.I
			if (s > a.I) == (b.I > 0) {
				return types.IntValue(s)
			}
		case ast.OpSub:
			s := a.I - b.I
			if (s < a.I) == (b.I > 0) {
				return types.IntValue(s)
			}
		}
	}
	if e.Op == ast.OpConcat {
		return types.StringValue(textOf(a) + textOf(b))
	}
	v, err := functions.Arith(e.Op, a, b)
	if err != nil {
		return c.fail(e.Sp, err)
	}
	return v
}

func (e *Arith) String() string   { return fmt.Sprintf("(%s %s %s)", e.L, e.Op, e.R) }
func (e *Arith) Children() []Expr { return []Expr{e.L, e.R} }

// textOf renders a value for ||.
func textOf(v types.Value) string {
	if v.K == types.KindString {
		return v.S
	}
	s, err := functions.Cast(v, types.String)
	if err != nil {
		return ""
	}
	return s.S
}

// Cmp is a comparison L op R (= <> < <= > >=).
type Cmp struct {
	base
	Op   ast.BinaryOp
	L, R Expr
}

// NewCmp binds a comparison.
func NewCmp(op ast.BinaryOp, l, r Expr, sp token.Span) *Cmp {
	return &Cmp{base: base{T: types.Bool, Sp: sp}, Op: op, L: l, R: r}
}

func (e *Cmp) Eval(c *Ctx, row types.Row) types.Value {
	a, b := e.L.Eval(c, row), e.R.Eval(c, row)
	if a.K == types.KindNull || b.K == types.KindNull {
		return types.Value{}
	}
	var r int
	switch {
	case a.K == b.K && (a.K == types.KindInt || a.K == types.KindTimestamp || a.K == types.KindInterval):
		r = cmp.Compare(a.I, b.I)
	case a.K == types.KindString && b.K == types.KindString:
		r = strings.Compare(a.S, b.S)
	default:
		cr, ok, err := functions.Compare(a, b)
		if err != nil {
			return c.fail(e.Sp, err)
		}
		if !ok {
			return types.Value{}
		}
		r = cr
	}
	switch e.Op {
	case ast.OpEq:
		return types.BoolValue(r == 0)
	case ast.OpNe:
		return types.BoolValue(r != 0)
	case ast.OpLt:
		return types.BoolValue(r < 0)
	case ast.OpLe:
		return types.BoolValue(r <= 0)
	case ast.OpGt:
		return types.BoolValue(r > 0)
	default:
		return types.BoolValue(r >= 0)
	}
}

func (e *Cmp) String() string   { return fmt.Sprintf("(%s %s %s)", e.L, e.Op, e.R) }
func (e *Cmp) Children() []Expr { return []Expr{e.L, e.R} }

// Logic is AND / OR with SQL's three-valued logic.
type Logic struct {
	base
	And  bool
	L, R Expr
}

// NewLogic binds AND (and=true) or OR.
func NewLogic(and bool, l, r Expr, sp token.Span) *Logic {
	return &Logic{base: base{T: types.Bool, Sp: sp}, And: and, L: l, R: r}
}

func (e *Logic) Eval(c *Ctx, row types.Row) types.Value {
	a := e.L.Eval(c, row)
	at, an := functions.Truthy(a)
	if e.And {
		if !an && !at {
			return types.BoolValue(false)
		}
		bt, bn := functions.Truthy(e.R.Eval(c, row))
		if !bn && !bt {
			return types.BoolValue(false)
		}
		if an || bn {
			return types.Value{}
		}
		return types.BoolValue(true)
	}
	if !an && at {
		return types.BoolValue(true)
	}
	bt, bn := functions.Truthy(e.R.Eval(c, row))
	if !bn && bt {
		return types.BoolValue(true)
	}
	if an || bn {
		return types.Value{}
	}
	return types.BoolValue(false)
}

func (e *Logic) String() string {
	op := "OR"
	if e.And {
		op = "AND"
	}
	return fmt.Sprintf("(%s %s %s)", e.L, op, e.R)
}
func (e *Logic) Children() []Expr { return []Expr{e.L, e.R} }

// Not is NOT x.
type Not struct {
	base
	X Expr
}

// NewNot binds NOT.
func NewNot(x Expr, sp token.Span) *Not { return &Not{base: base{T: types.Bool, Sp: sp}, X: x} }

func (e *Not) Eval(c *Ctx, row types.Row) types.Value {
	t, null := functions.Truthy(e.X.Eval(c, row))
	if null {
		return types.Value{}
	}
	return types.BoolValue(!t)
}
func (e *Not) String() string   { return fmt.Sprintf("(NOT %s)", e.X) }
func (e *Not) Children() []Expr { return []Expr{e.X} }

// Neg is unary minus.
type Neg struct {
	base
	X Expr
}

// NewNeg binds unary minus.
func NewNeg(x Expr, sp token.Span) *Neg { return &Neg{base: base{T: x.Type(), Sp: sp}, X: x} }

func (e *Neg) Eval(c *Ctx, row types.Row) types.Value {
	v, err := functions.Negate(e.X.Eval(c, row))
	if err != nil {
		return c.fail(e.Sp, err)
	}
	return v
}
func (e *Neg) String() string   { return fmt.Sprintf("(-%s)", e.X) }
func (e *Neg) Children() []Expr { return []Expr{e.X} }

// Call is a scalar function call. Args are evaluated into a reused buffer.
type Call struct {
	base
	Fn       *functions.Func
	Name     string
	Args     []Expr
	Volatile bool // NOW() and friends: never constant-folded
	buf      []types.Value
}

// NewCall binds a scalar function call.
func NewCall(fn *functions.Func, name string, args []Expr, t types.Type, volatile bool, sp token.Span) *Call {
	return &Call{base: base{T: t, Sp: sp}, Fn: fn, Name: name, Args: args, Volatile: volatile, buf: make([]types.Value, len(args))}
}

func (e *Call) Eval(c *Ctx, row types.Row) types.Value {
	for i, a := range e.Args {
		e.buf[i] = a.Eval(c, row)
	}
	v, err := e.Fn.Eval(&c.Env, e.buf)
	if err != nil {
		return c.fail(e.Sp, err)
	}
	return v
}

func (e *Call) String() string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = a.String()
	}
	return e.Name + "(" + strings.Join(parts, ", ") + ")"
}
func (e *Call) Children() []Expr { return e.Args }

// Case is a searched CASE (a simple CASE is bound into equality tests).
type Case struct {
	base
	Conds, Results []Expr
	Else           Expr // may be nil: NULL
}

// NewCase binds a searched CASE.
func NewCase(conds, results []Expr, els Expr, t types.Type, sp token.Span) *Case {
	return &Case{base: base{T: t, Sp: sp}, Conds: conds, Results: results, Else: els}
}

func (e *Case) Eval(c *Ctx, row types.Row) types.Value {
	for i, cond := range e.Conds {
		if t, null := functions.Truthy(cond.Eval(c, row)); t && !null {
			return e.Results[i].Eval(c, row)
		}
	}
	if e.Else == nil {
		return types.Value{}
	}
	return e.Else.Eval(c, row)
}

func (e *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	for i := range e.Conds {
		fmt.Fprintf(&b, " WHEN %s THEN %s", e.Conds[i], e.Results[i])
	}
	if e.Else != nil {
		fmt.Fprintf(&b, " ELSE %s", e.Else)
	}
	b.WriteString(" END")
	return b.String()
}

func (e *Case) Children() []Expr {
	out := append(append([]Expr{}, e.Conds...), e.Results...)
	if e.Else != nil {
		out = append(out, e.Else)
	}
	return out
}

// Cast converts X to T.
type Cast struct {
	base
	X Expr
}

// NewCast binds CAST(x AS t).
func NewCast(x Expr, t types.Type, sp token.Span) *Cast { return &Cast{base: base{T: t, Sp: sp}, X: x} }

func (e *Cast) Eval(c *Ctx, row types.Row) types.Value {
	v := e.X.Eval(c, row)
	if v.K == types.KindNull {
		return v
	}
	out, err := functions.Cast(v, e.T)
	if err != nil {
		return c.fail(e.Sp, err)
	}
	return out
}
func (e *Cast) String() string   { return fmt.Sprintf("CAST(%s AS %s)", e.X, e.T) }
func (e *Cast) Children() []Expr { return []Expr{e.X} }

// In is x [NOT] IN (list).
type In struct {
	base
	X    Expr
	List []Expr
	Not  bool
}

// NewIn binds IN.
func NewIn(x Expr, list []Expr, not bool, sp token.Span) *In {
	return &In{base: base{T: types.Bool, Sp: sp}, X: x, List: list, Not: not}
}

func (e *In) Eval(c *Ctx, row types.Row) types.Value {
	v := e.X.Eval(c, row)
	if v.K == types.KindNull {
		return types.Value{}
	}
	sawNull := false
	for _, item := range e.List {
		eq, ok := functions.Equal(v, item.Eval(c, row))
		if !ok {
			sawNull = true
			continue
		}
		if eq {
			return types.BoolValue(!e.Not)
		}
	}
	if sawNull {
		return types.Value{}
	}
	return types.BoolValue(e.Not)
}

func (e *In) String() string {
	parts := make([]string, len(e.List))
	for i, a := range e.List {
		parts[i] = a.String()
	}
	not := ""
	if e.Not {
		not = "NOT "
	}
	return fmt.Sprintf("(%s %sIN (%s))", e.X, not, strings.Join(parts, ", "))
}
func (e *In) Children() []Expr { return append([]Expr{e.X}, e.List...) }

// Like is x [NOT] LIKE pattern; a constant pattern is compiled once.
type Like struct {
	base
	X, Pattern Expr
	Not        bool
	compiled   *functions.LikeMatcher
}

// NewLike binds LIKE; m is the precompiled matcher of a constant pattern or nil.
func NewLike(x, pattern Expr, not bool, m *functions.LikeMatcher, sp token.Span) *Like {
	return &Like{base: base{T: types.Bool, Sp: sp}, X: x, Pattern: pattern, Not: not, compiled: m}
}

func (e *Like) Eval(c *Ctx, row types.Row) types.Value {
	v := e.X.Eval(c, row)
	if v.K == types.KindNull {
		return types.Value{}
	}
	m := e.compiled
	if m == nil {
		p := e.Pattern.Eval(c, row)
		if p.K == types.KindNull {
			return types.Value{}
		}
		var err error
		if m, err = functions.CompileLike(textOf(p)); err != nil {
			return c.fail(e.Sp, err)
		}
	}
	return types.BoolValue(m.Match(textOf(v)) != e.Not)
}

func (e *Like) String() string {
	not := ""
	if e.Not {
		not = "NOT "
	}
	return fmt.Sprintf("(%s %sLIKE %s)", e.X, not, e.Pattern)
}
func (e *Like) Children() []Expr { return []Expr{e.X, e.Pattern} }

// IsNull is x IS [NOT] NULL.
type IsNull struct {
	base
	X   Expr
	Not bool
}

// NewIsNull binds IS [NOT] NULL.
func NewIsNull(x Expr, not bool, sp token.Span) *IsNull {
	return &IsNull{base: base{T: types.Bool, Sp: sp}, X: x, Not: not}
}

func (e *IsNull) Eval(c *Ctx, row types.Row) types.Value {
	return types.BoolValue((e.X.Eval(c, row).K == types.KindNull) != e.Not)
}

func (e *IsNull) String() string {
	if e.Not {
		return fmt.Sprintf("(%s IS NOT NULL)", e.X)
	}
	return fmt.Sprintf("(%s IS NULL)", e.X)
}
func (e *IsNull) Children() []Expr { return []Expr{e.X} }

// Extract is EXTRACT(field FROM x).
type Extract struct {
	base
	Field string
	X     Expr
}

// NewExtract binds EXTRACT.
func NewExtract(field string, x Expr, t types.Type, sp token.Span) *Extract {
	return &Extract{base: base{T: t, Sp: sp}, Field: field, X: x}
}

func (e *Extract) Eval(c *Ctx, row types.Row) types.Value {
	v := e.X.Eval(c, row)
	if v.K == types.KindNull {
		return v
	}
	out, err := functions.Extract(e.Field, v)
	if err != nil {
		return c.fail(e.Sp, err)
	}
	return out
}
func (e *Extract) String() string   { return fmt.Sprintf("EXTRACT(%s FROM %s)", e.Field, e.X) }
func (e *Extract) Children() []Expr { return []Expr{e.X} }
