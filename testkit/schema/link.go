package schema

import (
	"fmt"
	"sort"
	"strings"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/parser"
	"github.com/velostream/velostream/engine/token"
	"github.com/velostream/velostream/engine/types"
)

// Problem is a diagnostic in one of several files.
type Problem struct {
	File string
	Src  string
	Diag diag.Diagnostic
}

// Problems are diagnostics across the files of one test; as an error they
// print the first.
type Problems []Problem

func (p Problems) Error() string {
	if len(p) == 0 {
		return "no errors"
	}
	first := p[0].File + ":" + p[0].Diag.Error()
	if len(p) == 1 {
		return first
	}
	return fmt.Sprintf("%s (and %d more errors)", first, len(p)-1)
}

// Render renders every problem with its source line and caret.
func (p Problems) Render() string {
	var b strings.Builder
	for _, x := range p {
		b.WriteString(diag.Render(x.File, x.Src, x.Diag))
	}
	return b.String()
}

// FromList wraps a single file's diagnostics.
func FromList(file, src string, l diag.List) Problems {
	out := make(Problems, len(l))
	for i, d := range l {
		out[i] = Problem{File: file, Src: src, Diag: d}
	}
	return out
}

// Link checks the schemas of one test together: references name a schema
// and field that exist, with the same type, without cycles; derived
// expressions bind (with the engine's binder) over their schema's fields.
// schemas is keyed by source name; a reference's schema may name a source
// or a schema's `schema.name`.
func Link(schemas map[string]*Schema) Problems {
	var probs Problems
	names := make([]string, 0, len(schemas))
	for n := range schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := schemas[n]
		add := func(pos token.Pos, hint, format string, args ...any) {
			probs = append(probs, Problem{File: s.File, Src: s.Src, Diag: diag.Diagnostic{Pos: pos, End: pos, Msg: fmt.Sprintf(format, args...), Hint: hint}})
		}
		for _, f := range s.Fields {
			if r := f.References; r != nil {
				target := Lookup(schemas, r.Schema)
				if target == nil {
					add(r.Pos, "give its schema file with --schema "+r.Schema+"=FILE.yaml or under schemas: in the spec",
						"field %q references schema %q, which this test does not have (schemas: %s)", f.Name, r.Schema, strings.Join(names, ", "))
					continue
				}
				tf := target.Field(r.Field)
				if tf == nil {
					add(r.Pos, hintField(r.Field, target), "field %q references %s.%s, which is not a field of %s", f.Name, r.Schema, r.Field, r.Schema)
					continue
				}
				if tf.Type != f.Type {
					add(r.Pos, "make both fields the same type", "field %q is %s but %s.%s is %s: references need the same type on both sides", f.Name, f.Type, r.Schema, r.Field, tf.Type)
				}
				if target == s && strings.EqualFold(tf.Name, f.Name) {
					add(r.Pos, "", "field %q references itself", f.Name)
				}
			}
			if f.Derived != "" {
				for _, d := range bindDerived(s, f) {
					probs = append(probs, Problem{File: s.File, Src: s.Src, Diag: d})
				}
			}
		}
		if cyc := derivedCycle(s); cyc != nil {
			add(cyc[0].KeyPos["derived"], "", "derived fields depend on each other in a cycle: %s", cycleText(cyc))
		}
	}
	if cyc := referenceCycle(schemas); cyc != "" && len(probs) == 0 {
		probs = append(probs, Problem{Diag: diag.Diagnostic{Msg: "schemas reference each other in a cycle (" + cyc + "): one side must be generated first"}})
	}
	return probs
}

// Lookup finds a schema by source name, then by `schema.name`.
func Lookup(schemas map[string]*Schema, name string) *Schema {
	for n, s := range schemas {
		if strings.EqualFold(n, name) {
			return s
		}
	}
	for _, s := range schemas {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

func hintField(name string, s *Schema) string {
	var fields []string
	for _, f := range s.Fields {
		fields = append(fields, f.Name)
	}
	if g := diag.Suggest(name, fields); g != "" {
		return "did you mean " + g + "?"
	}
	return "fields of " + s.Name + ": " + strings.Join(fields, ", ")
}

// RandomPrefix names the columns that stand for random(a, b) calls.
const RandomPrefix = "__random_"

// bindDerived parses and binds f.Derived over s's fields. random(a, b) calls
// become extra columns after the fields.
func bindDerived(s *Schema, f *Field) diag.List {
	base := f.KeyPos["derived"]
	x, errs := parser.ParseExpr(f.Derived)
	if len(errs) > 0 {
		return shift(errs, base)
	}
	f.Randoms = nil
	var rerrs diag.List
	x = rewrite(x, func(e ast.Expr) ast.Expr {
		c, ok := e.(*ast.Call)
		if !ok || !strings.EqualFold(c.Name.Name(), "random") {
			return e
		}
		r, err := randomArgs(c)
		if err != nil {
			rerrs.Add(c.Pos(), c.End(), err.Error())
			return e
		}
		f.Randoms = append(f.Randoms, r)
		return &ast.Ident{Parts: []string{fmt.Sprintf("%s%d", RandomPrefix, len(f.Randoms)-1)}, Start: c.Start, Stop: c.Stop}
	})
	if len(rerrs) > 0 {
		return shift(rerrs, base)
	}
	row := s.Row()
	for i, r := range f.Randoms {
		t := types.Int
		if r.Lo.K == types.KindDecimal {
			t = types.Type{Kind: types.KindDecimal, Precision: 18, Scale: r.Lo.Scale}
		}
		row = append(row, types.Column{Name: fmt.Sprintf("%s%d", RandomPrefix, i), Type: t})
	}
	bound, errs := binder.BindRowExpr(x, row)
	if len(errs) > 0 {
		return shift(errs, base)
	}
	for _, c := range expr.Columns(bound) {
		if c < len(s.Fields) && s.Fields[c] == f {
			return shift(diag.List{{Pos: x.Pos(), End: x.End(), Msg: fmt.Sprintf("derived field %q reads itself", f.Name)}}, base)
		}
	}
	if err := functions.CastType(bound.Type(), f.SQLType()); err != nil {
		return shift(diag.List{{Pos: x.Pos(), End: x.End(), Msg: fmt.Sprintf("derived field %q: the expression is %s, the field is %s: %v", f.Name, bound.Type(), f.Type, err)}}, base)
	}
	f.DerivedExp = bound
	return nil
}

// randomArgs reads random(lo, hi): two number literals (a leading minus is
// allowed). Integers give integers; decimals give 6 digits after the point.
func randomArgs(c *ast.Call) (Random, error) {
	if len(c.Args) != 2 {
		return Random{}, fmt.Errorf("random takes two numbers: random(low, high)")
	}
	var vals [2]types.Value
	dec := false
	for i, a := range c.Args {
		neg := false
		if u, ok := a.(*ast.Unary); ok && u.Op == ast.OpNeg {
			neg, a = true, u.X
		}
		lit, ok := a.(*ast.Literal)
		if !ok || (lit.Kind != ast.LitInt && lit.Kind != ast.LitDecimal) {
			return Random{}, fmt.Errorf("random takes number literals: random(0.95, 1.05)")
		}
		m, sc, err := decimal.ParseString(lit.Raw)
		if err != nil {
			return Random{}, fmt.Errorf("random: %q is not a number", lit.Raw)
		}
		if neg {
			m = -m
		}
		vals[i] = types.DecimalValue(m, sc)
		if lit.Kind == ast.LitDecimal {
			dec = true
		}
	}
	const scale = 6
	for i := range vals {
		if dec {
			m, ok := decimal.Rescale(vals[i].I, vals[i].Scale, scale)
			if !ok {
				return Random{}, fmt.Errorf("random: bound out of range")
			}
			vals[i] = types.DecimalValue(m, scale)
		} else {
			vals[i] = types.IntValue(vals[i].I)
		}
	}
	if vals[0].I > vals[1].I {
		return Random{}, fmt.Errorf("random(low, high): low is above high")
	}
	return Random{Lo: vals[0], Hi: vals[1]}, nil
}

// shift moves positions of an expression parsed on its own to where it
// sits in the file.
func shift(l diag.List, base token.Pos) diag.List {
	out := make(diag.List, len(l))
	for i, d := range l {
		d.Pos = shiftPos(d.Pos, base)
		d.End = shiftPos(d.End, base)
		out[i] = d
	}
	return out
}

func shiftPos(p, base token.Pos) token.Pos {
	if !p.IsValid() || !base.IsValid() {
		return base
	}
	if p.Line == 1 {
		p.Col += base.Col - 1
	}
	p.Line += base.Line - 1
	p.Offset += base.Offset
	return p
}

// ShiftPos is shiftPos for other testkit packages (assertion expressions).
func ShiftPos(p, base token.Pos) token.Pos { return shiftPos(p, base) }

// Shift is shift for other testkit packages.
func Shift(l diag.List, base token.Pos) diag.List { return shift(l, base) }

// rewrite returns e with every sub-expression replaced by f (bottom up).
func rewrite(e ast.Expr, f func(ast.Expr) ast.Expr) ast.Expr {
	if e == nil {
		return nil
	}
	switch n := e.(type) {
	case *ast.Binary:
		n.L, n.R = rewrite(n.L, f), rewrite(n.R, f)
	case *ast.Unary:
		n.X = rewrite(n.X, f)
	case *ast.Paren:
		n.X = rewrite(n.X, f)
	case *ast.Call:
		for i := range n.Args {
			n.Args[i] = rewrite(n.Args[i], f)
		}
	case *ast.Case:
		n.Operand = rewrite(n.Operand, f)
		for i := range n.Whens {
			n.Whens[i].Cond = rewrite(n.Whens[i].Cond, f)
			n.Whens[i].Result = rewrite(n.Whens[i].Result, f)
		}
		n.Else = rewrite(n.Else, f)
	case *ast.Cast:
		n.X = rewrite(n.X, f)
	case *ast.In:
		n.X = rewrite(n.X, f)
		for i := range n.List {
			n.List[i] = rewrite(n.List[i], f)
		}
	case *ast.Between:
		n.X, n.Lo, n.Hi = rewrite(n.X, f), rewrite(n.Lo, f), rewrite(n.Hi, f)
	case *ast.Like:
		n.X, n.Pattern = rewrite(n.X, f), rewrite(n.Pattern, f)
	case *ast.IsNull:
		n.X = rewrite(n.X, f)
	case *ast.Extract:
		n.X = rewrite(n.X, f)
	}
	return f(e)
}

// Rewrite is rewrite for other testkit packages (aggregate assertions).
func Rewrite(e ast.Expr, f func(ast.Expr) ast.Expr) ast.Expr { return rewrite(e, f) }

// DerivedOrder returns the field indexes of s in an order where every
// derived field comes after the fields it reads.
func DerivedOrder(s *Schema) []int {
	order := make([]int, 0, len(s.Fields))
	state := make([]int, len(s.Fields)) // 0 new, 1 visiting, 2 done
	var visit func(i int)
	visit = func(i int) {
		if state[i] != 0 {
			return
		}
		state[i] = 1
		if x := s.Fields[i].DerivedExp; x != nil {
			for _, c := range expr.Columns(x) {
				if c < len(s.Fields) {
					visit(c)
				}
			}
		}
		state[i] = 2
		order = append(order, i)
	}
	for i := range s.Fields {
		visit(i)
	}
	return order
}

func derivedCycle(s *Schema) []*Field {
	state := make([]int, len(s.Fields))
	var stack []*Field
	var found []*Field
	var visit func(i int) bool
	visit = func(i int) bool {
		if state[i] == 1 {
			for k, f := range stack {
				if f == s.Fields[i] {
					found = append([]*Field(nil), stack[k:]...)
				}
			}
			return true
		}
		if state[i] == 2 {
			return false
		}
		state[i] = 1
		stack = append(stack, s.Fields[i])
		if x := s.Fields[i].DerivedExp; x != nil {
			for _, c := range expr.Columns(x) {
				if c < len(s.Fields) && visit(c) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = 2
		return false
	}
	for i := range s.Fields {
		if visit(i) {
			return found
		}
	}
	return nil
}

func cycleText(fs []*Field) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, f.Name)
	}
	return strings.Join(append(parts, fs[0].Name), " -> ")
}

// GenerationOrder returns source names so that every referenced schema
// comes before the schemas that reference it.
func GenerationOrder(schemas map[string]*Schema) []string {
	names := make([]string, 0, len(schemas))
	for n := range schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	done := map[string]bool{}
	var order []string
	var visit func(n string, depth int)
	visit = func(n string, depth int) {
		if done[n] || depth > len(names) {
			return
		}
		done[n] = true
		for _, f := range schemas[n].Fields {
			if f.References == nil {
				continue
			}
			for _, m := range names {
				if schemas[m] == Lookup(schemas, f.References.Schema) && m != n {
					visit(m, depth+1)
				}
			}
		}
		order = append(order, n)
	}
	for _, n := range names {
		visit(n, 0)
	}
	return order
}

func referenceCycle(schemas map[string]*Schema) string {
	names := make([]string, 0, len(schemas))
	for n := range schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	state := map[string]int{}
	var path []string
	var visit func(n string) string
	visit = func(n string) string {
		switch state[n] {
		case 1:
			return strings.Join(append(path, n), " -> ")
		case 2:
			return ""
		}
		state[n] = 1
		path = append(path, n)
		for _, f := range schemas[n].Fields {
			if f.References == nil {
				continue
			}
			t := Lookup(schemas, f.References.Schema)
			for _, m := range names {
				if schemas[m] == t && m != n {
					if c := visit(m); c != "" {
						return c
					}
				}
			}
		}
		path = path[:len(path)-1]
		state[n] = 2
		return ""
	}
	for _, n := range names {
		if c := visit(n); c != "" {
			return c
		}
	}
	return ""
}
