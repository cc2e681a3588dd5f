package parser

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/token"
)

// ignorePos compares trees as the round-trip property states: positions aside,
// and an empty list equal to none.
var ignorePos = cmp.Options{cmpopts.IgnoreTypes(token.Pos{}), cmpopts.EquateEmpty()}

// corpus collects every SQL text the table tests use, as fuzz seeds and for
// the round-trip test.
var corpus []string

func seed(sqls ...string) { corpus = append(corpus, sqls...) }

func mustParse(t *testing.T, src string) *ast.Script {
	t.Helper()
	s, errs := Parse(src)
	if len(errs) > 0 {
		t.Fatalf("Parse(%q) errors:\n%s", src, diag.RenderAll("q.sql", src, errs))
	}
	return s
}

func mustParseOne(t *testing.T, src string) ast.Statement {
	t.Helper()
	s := mustParse(t, src)
	if len(s.Statements) != 1 {
		t.Fatalf("Parse(%q): %d statements, want 1", src, len(s.Statements))
	}
	return s.Statements[0]
}

func mustSelect(t *testing.T, src string) *ast.SelectStmt {
	t.Helper()
	st := mustParseOne(t, src)
	sel, ok := st.(*ast.SelectStmt)
	if !ok {
		t.Fatalf("Parse(%q): got %T, want *ast.SelectStmt", src, st)
	}
	return sel
}

func mustExpr(t *testing.T, src string) ast.Expr {
	t.Helper()
	x, errs := ParseExpr(src)
	if len(errs) > 0 {
		t.Fatalf("ParseExpr(%q) errors:\n%s", src, diag.RenderAll("x.sql", src, errs))
	}
	return x
}

// sexpr prints an expression fully parenthesised, so tests can pin the
// shape the parser built (precedence, associativity) independently of the
// printer under test.
func sexpr(x ast.Expr) string {
	switch x := x.(type) {
	case nil:
		return "<nil>"
	case *ast.Ident:
		s := strings.Join(x.Parts, ".")
		if x.Quoted {
			s = `"` + s + `"`
		}
		return s
	case *ast.Literal:
		switch x.Kind {
		case ast.LitString:
			return "'" + x.Raw + "'"
		case ast.LitInt:
			return "int:" + x.Raw
		case ast.LitDecimal:
			return "dec:" + x.Raw
		case ast.LitFloat:
			return "float:" + x.Raw
		}
		return x.Raw
	case *ast.IntervalLit:
		return fmt.Sprintf("interval:%dms", x.Millis)
	case *ast.Binary:
		return fmt.Sprintf("(%s %s %s)", x.Op, sexpr(x.L), sexpr(x.R))
	case *ast.Unary:
		op := map[ast.UnaryOp]string{ast.OpNeg: "neg", ast.OpNot: "NOT", ast.OpPlus: "pos"}[x.Op]
		return fmt.Sprintf("(%s %s)", op, sexpr(x.X))
	case *ast.Paren:
		return fmt.Sprintf("[%s]", sexpr(x.X))
	case *ast.Call:
		var b strings.Builder
		b.WriteString(strings.Join(x.Name.Parts, "."))
		b.WriteString("(")
		if x.Distinct {
			b.WriteString("DISTINCT ")
		}
		if x.Star {
			b.WriteString("*")
		}
		for i, a := range x.Args {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(sexpr(a))
		}
		b.WriteString(")")
		if len(x.WithinGroup) > 0 {
			b.WriteString(" within-group(")
			b.WriteString(orderItems(x.WithinGroup))
			b.WriteString(")")
		}
		if o := x.Over; o != nil {
			b.WriteString(" over(")
			var parts []string
			if o.BufferRows != 0 {
				parts = append(parts, fmt.Sprintf("buffer=%d", o.BufferRows))
			}
			if len(o.PartitionBy) > 0 {
				var ps []string
				for _, p := range o.PartitionBy {
					ps = append(ps, sexpr(p))
				}
				parts = append(parts, "partition="+strings.Join(ps, ","))
			}
			if len(o.OrderBy) > 0 {
				parts = append(parts, "order="+orderItems(o.OrderBy))
			}
			if f := o.Frame; f != nil {
				parts = append(parts, fmt.Sprintf("frame=%v%+v..%+v", map[bool]string{true: "range", false: "rows"}[f.Range], f.Start, f.EndBound))
			}
			if o.Emit != ast.EmitDefault {
				parts = append(parts, fmt.Sprintf("emit=%d", o.Emit))
			}
			b.WriteString(strings.Join(parts, " "))
			b.WriteString(")")
		}
		return b.String()
	case *ast.Case:
		var b strings.Builder
		b.WriteString("(case")
		if x.Operand != nil {
			b.WriteString(" " + sexpr(x.Operand))
		}
		for _, w := range x.Whens {
			b.WriteString(fmt.Sprintf(" (when %s %s)", sexpr(w.Cond), sexpr(w.Result)))
		}
		if x.Else != nil {
			b.WriteString(" (else " + sexpr(x.Else) + ")")
		}
		return b.String() + ")"
	case *ast.Cast:
		return fmt.Sprintf("(cast %s %s%v)", sexpr(x.X), x.Type.Name, x.Type.Params)
	case *ast.In:
		var items []string
		for _, i := range x.List {
			items = append(items, sexpr(i))
		}
		return fmt.Sprintf("(%sin %s [%s])", not(x.Not), sexpr(x.X), strings.Join(items, " "))
	case *ast.Between:
		return fmt.Sprintf("(%sbetween %s %s %s)", not(x.Not), sexpr(x.X), sexpr(x.Lo), sexpr(x.Hi))
	case *ast.Like:
		return fmt.Sprintf("(%slike %s %s)", not(x.Not), sexpr(x.X), sexpr(x.Pattern))
	case *ast.IsNull:
		return fmt.Sprintf("(is-%snull %s)", not(x.Not), sexpr(x.X))
	case *ast.Extract:
		return fmt.Sprintf("(extract %s %s)", x.Field, sexpr(x.X))
	case *ast.BadExpr:
		return "<bad>"
	}
	return fmt.Sprintf("<%T>", x)
}

func not(b bool) string {
	if b {
		return "not-"
	}
	return ""
}

func orderItems(items []ast.OrderItem) string {
	var s []string
	for _, it := range items {
		if it.Desc {
			s = append(s, sexpr(it.Expr)+" desc")
		} else {
			s = append(s, sexpr(it.Expr))
		}
	}
	return strings.Join(s, ",")
}
