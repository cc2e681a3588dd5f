package assistant

import (
	"fmt"
	"strings"

	"github.com/velostream/velostream/engine/agg"
	"github.com/velostream/velostream/engine/ast"
)

// Describe gives the structured account of a validated SELECT: what it
// reads, computes, keeps, groups and when it emits. Every provider's answer
// is described the same way, from the syntax tree the engine accepted, so
// the account cannot claim what the SQL does not do.
func Describe(sel *ast.SelectStmt) *Interpretation {
	in := &Interpretation{}
	if ref, ok := sel.From.(*ast.SourceRef); ok {
		in.Source = ref.Name.Name()
	}
	var plain []string
	for _, it := range sel.Items {
		switch {
		case it.Star:
			plain = append(plain, "every column")
		case isAggregate(it.Expr):
			s := ast.Format(it.Expr)
			if it.Alias != nil {
				s += " as " + it.Alias.Name()
			}
			in.Measures = append(in.Measures, s)
		default:
			s := ast.Format(it.Expr)
			if it.Alias != nil {
				s += " as " + it.Alias.Name()
			}
			plain = append(plain, s)
		}
	}
	for _, c := range conjuncts(sel.Where) {
		in.Filters = append(in.Filters, ast.Format(c))
	}
	for _, g := range sel.GroupBy {
		in.GroupBy = append(in.GroupBy, ast.Format(g))
	}
	if sel.Having != nil {
		in.Having = ast.Format(sel.Having)
	}
	if w := sel.Window; w != nil {
		in.Window = WindowText(w)
	}
	for _, o := range sel.OrderBy {
		s := ast.Format(o.Expr)
		if o.Desc {
			s += " descending"
		}
		in.OrderBy = append(in.OrderBy, s)
	}
	if sel.Limit != nil {
		in.Limit = sel.Limit.N
	}
	in.Emit = "changes"
	if sel.Emit == ast.EmitFinal || sel.Emit == ast.EmitDefault && sel.Window != nil {
		in.Emit = "final"
	}

	var b strings.Builder
	fmt.Fprintf(&b, "From %s", in.Source)
	if len(in.GroupBy) > 0 || in.Window != "" {
		b.WriteString(", for each ")
		var per []string
		per = append(per, in.GroupBy...)
		if in.Window != "" {
			per = append(per, in.Window+" window")
		}
		b.WriteString(strings.Join(per, " and "))
	}
	what := append(append([]string{}, plain...), in.Measures...)
	fmt.Fprintf(&b, ": %s", strings.Join(what, ", "))
	if len(in.Filters) > 0 {
		fmt.Fprintf(&b, "; only records where %s", strings.Join(in.Filters, " and "))
	}
	if in.Having != "" {
		fmt.Fprintf(&b, "; only groups where %s", in.Having)
	}
	b.WriteString(". ")
	switch {
	case in.Emit == "final":
		b.WriteString("One row per window and group when the window closes")
		if len(in.OrderBy) > 0 {
			fmt.Fprintf(&b, ", each window's rows sorted by %s", strings.Join(in.OrderBy, ", "))
		}
		b.WriteString(".")
	case in.Window != "":
		b.WriteString("An updated row after every record that changes a window's group.")
	case len(in.Measures) > 0:
		b.WriteString("Running results: an updated row after every record that changes a group.")
	default:
		b.WriteString("One row per matching record.")
	}
	if in.Limit > 0 {
		fmt.Fprintf(&b, " The query stops after %d rows.", in.Limit)
	}
	in.Summary = b.String()
	return in
}

func isAggregate(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if c, ok := n.(*ast.Call); ok && c.Over == nil && agg.IsAggregate(c.Name.Name()) {
			found = true
		}
		return !found
	})
	return found
}

// conjuncts splits a condition on AND.
func conjuncts(e ast.Expr) []ast.Expr {
	if e == nil {
		return nil
	}
	if p, ok := e.(*ast.Paren); ok {
		if b, ok := p.X.(*ast.Binary); ok && b.Op == ast.OpAnd {
			e = b
		}
	}
	if b, ok := e.(*ast.Binary); ok && b.Op == ast.OpAnd {
		return append(conjuncts(b.L), conjuncts(b.R)...)
	}
	return []ast.Expr{e}
}

// WindowText reads a window clause: "tumbling 1 minute on ts",
// "sliding 1 hour advancing every 5 minutes on ts", "session gap 30 seconds".
func WindowText(w *ast.WindowClause) string {
	var b strings.Builder
	switch w.Kind {
	case ast.Tumbling:
		b.WriteString("tumbling ")
		b.WriteString(DurationText(w.Size.Millis))
	case ast.Sliding:
		b.WriteString("sliding ")
		b.WriteString(DurationText(w.Size.Millis))
		if w.Advance != nil {
			b.WriteString(" advancing every ")
			b.WriteString(DurationText(w.Advance.Millis))
		}
	case ast.Session:
		b.WriteString("session (gap ")
		b.WriteString(DurationText(w.Size.Millis))
		b.WriteString(")")
	}
	if w.TimeCol != nil {
		b.WriteString(" on ")
		b.WriteString(ast.Format(w.TimeCol))
	}
	return b.String()
}

// DurationText writes milliseconds in the largest whole unit: "1 minute",
// "5 minutes", "90 seconds".
func DurationText(ms int64) string {
	units := []struct {
		name string
		ms   int64
	}{{"day", 86_400_000}, {"hour", 3_600_000}, {"minute", 60_000}, {"second", 1000}, {"millisecond", 1}}
	for _, u := range units {
		if ms >= u.ms && ms%u.ms == 0 {
			n := ms / u.ms
			if n == 1 {
				return "1 " + u.name
			}
			return fmt.Sprintf("%d %ss", n, u.name)
		}
	}
	return fmt.Sprintf("%d milliseconds", ms)
}
