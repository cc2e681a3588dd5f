package testkit

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/binder"
	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
	"github.com/velostream/velostream/testkit/schema"
)

// hint is what a query implies about a column.
type hint struct {
	numeric, str, boolean, time bool
	key                         bool      // GROUP BY key
	joinRef                     [2]string // references {source, field} (left side of an equi-join)
	joinTarget                  bool      // right side of an equi-join
	ints, decs                  []float64 // numeric literals it is compared with
	scale                       int
	strs                        []string // string literals it is compared with
}

// inferSchemas makes a schema for every source without one, from how the
// query uses its columns: the columns it reads (q's sources), their types
// as far as expressions imply them (arithmetic and numeric comparisons:
// numbers; LIKE and string functions: text; the window's time column: a
// timestamp with a rate that spans several windows), literal values it
// compares them with (so a WHERE keeps some rows), GROUP BY keys (a few
// values, so groups repeat) and equi-join keys (the left side references
// the right, so joins match).
func inferSchemas(script *ast.Script, q *plan.Query, have map[string]*schema.Schema) map[string]*schema.Schema {
	hints := map[string]map[string]*hint{} // source (lower) -> column (lower)
	alias := map[string]string{}           // alias or name (lower) -> source name
	var sel *ast.SelectStmt
	for _, st := range script.Statements {
		switch s := st.(type) {
		case *ast.SelectStmt:
			sel = s
		case *ast.CreateAsStmt:
			sel = s.Select
		}
	}
	for _, s := range q.Sources {
		hints[strings.ToLower(s.Name)] = map[string]*hint{}
		alias[strings.ToLower(s.Name)] = s.Name
	}
	if sel != nil && sel.From != nil {
		ast.Inspect(sel.From, func(n ast.Node) bool {
			if r, ok := n.(*ast.SourceRef); ok && r.Alias != nil && r.Name != nil {
				alias[strings.ToLower(r.Alias.Name())] = r.Name.Name()
			}
			return true
		})
	}
	get := func(id *ast.Ident) *hint {
		col := strings.ToLower(id.Name())
		if q := id.Qualifier(); q != "" {
			src := strings.ToLower(alias[strings.ToLower(q)])
			if hints[src] == nil {
				return nil
			}
			if hints[src][col] == nil {
				hints[src][col] = &hint{}
			}
			return hints[src][col]
		}
		// Unqualified: the source that reads it (the first, as the binder does).
		for _, s := range q.Sources {
			if s.Columns.Index(col) >= 0 {
				m := hints[strings.ToLower(s.Name)]
				if m[col] == nil {
					m[col] = &hint{}
				}
				return m[col]
			}
		}
		return nil
	}
	mark := func(e ast.Expr, f func(*hint)) {
		if id, ok := unparen(e).(*ast.Ident); ok {
			if h := get(id); h != nil {
				f(h)
			}
		}
	}
	var visit func(e ast.Expr)
	literal := func(col, lit ast.Expr) {
		l, ok := unparen(lit).(*ast.Literal)
		neg := false
		if u, isU := unparen(lit).(*ast.Unary); isU && u.Op == ast.OpNeg {
			l, ok = unparen(u.X).(*ast.Literal)
			neg = true
		}
		if !ok {
			return
		}
		mark(col, func(h *hint) {
			switch l.Kind {
			case ast.LitInt, ast.LitDecimal, ast.LitFloat:
				h.numeric = true
				m, sc, err := decimal.ParseString(l.Raw)
				if err != nil {
					return
				}
				x := decimal.ToFloat64(m, sc)
				if neg {
					x = -x
				}
				if l.Kind == ast.LitInt {
					h.ints = append(h.ints, x)
				} else {
					h.decs = append(h.decs, x)
					h.scale = max(h.scale, int(sc))
				}
			case ast.LitString:
				h.str = true
				h.strs = append(h.strs, l.Raw)
			case ast.LitBool:
				h.boolean = true
			}
		})
	}
	visit = func(e ast.Expr) {
		if e == nil {
			return
		}
		switch n := e.(type) {
		case *ast.Binary:
			switch n.Op {
			case ast.OpAdd, ast.OpSub, ast.OpMul, ast.OpDiv, ast.OpMod:
				mark(n.L, func(h *hint) { h.numeric = true })
				mark(n.R, func(h *hint) { h.numeric = true })
			case ast.OpConcat:
				mark(n.L, func(h *hint) { h.str = true })
				mark(n.R, func(h *hint) { h.str = true })
			case ast.OpAnd, ast.OpOr:
				mark(n.L, func(h *hint) { h.boolean = true })
				mark(n.R, func(h *hint) { h.boolean = true })
			default:
				literal(n.L, n.R)
				literal(n.R, n.L)
			}
			visit(n.L)
			visit(n.R)
		case *ast.Unary:
			if n.Op == ast.OpNot {
				mark(n.X, func(h *hint) { h.boolean = true })
			} else {
				mark(n.X, func(h *hint) { h.numeric = true })
			}
			visit(n.X)
		case *ast.Paren:
			visit(n.X)
		case *ast.Between:
			literal(n.X, n.Lo)
			literal(n.X, n.Hi)
			visit(n.X)
		case *ast.In:
			for _, it := range n.List {
				literal(n.X, it)
			}
			visit(n.X)
		case *ast.Like:
			mark(n.X, func(h *hint) { h.str = true })
			visit(n.X)
		case *ast.IsNull:
			visit(n.X)
		case *ast.Extract:
			mark(n.X, func(h *hint) { h.time = true })
			visit(n.X)
		case *ast.Cast:
			visit(n.X)
		case *ast.Case:
			visit(n.Operand)
			for _, w := range n.Whens {
				mark(w.Cond, func(h *hint) { h.boolean = true })
				visit(w.Cond)
				visit(w.Result)
			}
			visit(n.Else)
		case *ast.Call:
			name := strings.ToUpper(n.Name.Name())
			for _, a := range n.Args {
				switch {
				case numericFuncs[name]:
					mark(a, func(h *hint) { h.numeric = true })
				case stringFuncs[name]:
					mark(a, func(h *hint) { h.str = true })
				}
				visit(a)
			}
		}
	}
	if sel != nil {
		for _, it := range sel.Items {
			visit(it.Expr)
		}
		if sel.Where != nil {
			mark(sel.Where, func(h *hint) { h.boolean = true })
			visit(sel.Where)
		}
		for _, g := range sel.GroupBy {
			mark(g, func(h *hint) { h.key = true })
			visit(g)
		}
		visit(sel.Having)
		if sel.From != nil {
			ast.Inspect(sel.From, func(n ast.Node) bool {
				j, ok := n.(*ast.Join)
				if !ok {
					return true
				}
				visit(j.On)
				equiJoins(j.On, func(l, r *ast.Ident) {
					lh, rh := get(l), get(r)
					if lh == nil || rh == nil || lh == rh {
						return
					}
					rsrc := alias[strings.ToLower(r.Qualifier())]
					if rsrc == "" {
						return
					}
					lh.joinRef = [2]string{rsrc, r.Name()}
					rh.joinTarget = true
				})
				return true
			})
		}
	}
	out := map[string]*schema.Schema{}
	for _, src := range q.Sources {
		if schema.Lookup(have, src.Name) != nil {
			continue
		}
		s := &schema.Schema{Name: src.Name, Description: "inferred from the query by velo test", Inferred: true}
		hs := hints[strings.ToLower(src.Name)]
		var window *plan.Window
		if a := findAggregate(q.Root); a != nil {
			window = a.Window
		}
		for i, c := range src.Columns {
			if binder.IsMetaColumn(c.Name) || strings.EqualFold(c.Name, "_deleted") {
				continue
			}
			h := hs[strings.ToLower(c.Name)]
			if h == nil {
				h = &hint{}
			}
			var declared *types.Type
			if src.Declared != nil && !src.Inferred {
				if j := src.Declared.Index(c.Name); j >= 0 {
					t := src.Declared[j].Type
					declared = &t
				}
			}
			s.Fields = append(s.Fields, inferField(c.Name, h, declared, i == src.TimeCol, window))
		}
		out[src.Name] = s
	}
	return out
}

func unparen(e ast.Expr) ast.Expr {
	for {
		p, ok := e.(*ast.Paren)
		if !ok {
			return e
		}
		e = p.X
	}
}

// equiJoins calls f for every `a.x = b.y` conjunct of an ON clause.
func equiJoins(e ast.Expr, f func(l, r *ast.Ident)) {
	b, ok := unparen(e).(*ast.Binary)
	if !ok {
		return
	}
	switch b.Op {
	case ast.OpAnd:
		equiJoins(b.L, f)
		equiJoins(b.R, f)
	case ast.OpEq:
		l, ok1 := unparen(b.L).(*ast.Ident)
		r, ok2 := unparen(b.R).(*ast.Ident)
		if ok1 && ok2 {
			f(l, r)
		}
	}
}

func findAggregate(n plan.Node) *plan.Aggregate {
	if n == nil {
		return nil
	}
	if a, ok := n.(*plan.Aggregate); ok {
		return a
	}
	for _, c := range n.Children() {
		if a := findAggregate(c); a != nil {
			return a
		}
	}
	return nil
}

var numericFuncs = map[string]bool{"SUM": true, "AVG": true, "STDDEV": true, "STDDEV_POP": true, "STDDEV_SAMP": true,
	"VARIANCE": true, "VAR_POP": true, "VAR_SAMP": true, "ABS": true, "ROUND": true, "FLOOR": true, "CEIL": true,
	"CEILING": true, "SQRT": true, "POWER": true, "POW": true, "EXP": true, "LN": true, "LOG": true, "LOG10": true,
	"MOD": true, "SIGN": true, "PERCENTILE_CONT": true, "PERCENTILE_DISC": true}

var stringFuncs = map[string]bool{"UPPER": true, "LOWER": true, "LENGTH": true, "LEN": true, "CHAR_LENGTH": true,
	"SUBSTRING": true, "SUBSTR": true, "TRIM": true, "LTRIM": true, "RTRIM": true, "CONCAT": true, "REPLACE": true,
	"LEFT": true, "RIGHT": true, "SPLIT_PART": true, "REGEXP_REPLACE": true, "REGEXP_EXTRACT": true, "STARTS_WITH": true,
	"ENDS_WITH": true, "POSITION": true, "REVERSE": true, "LPAD": true, "RPAD": true}

// intNames and decimalNames pick a numeric type when the query only says
// "a number": counts are integers, money is decimal.
var intNames = []string{"qty", "quantity", "count", "volume", "size", "shares", "units", "num", "_id", "age", "year"}
var decimalNames = []string{"price", "amount", "cost", "total", "value", "balance", "fee", "revenue", "pnl"}

func nameHas(name string, parts []string) bool {
	n := strings.ToLower(name)
	for _, p := range parts {
		if strings.Contains(n, p) {
			return true
		}
	}
	return false
}

func inferField(name string, h *hint, declared *types.Type, isTime bool, window *plan.Window) *schema.Field {
	f := &schema.Field{Name: name, Distribution: schema.Uniform, Exponent: 1.2}
	switch {
	case isTime || h.time || (declared != nil && declared.Kind == types.KindTimestamp):
		f.Type = schema.Timestamp
	case declared != nil:
		switch declared.Kind {
		case types.KindInt:
			f.Type = schema.Integer
		case types.KindDecimal:
			f.Type = schema.Decimal
		case types.KindFloat:
			f.Type = schema.Float
		case types.KindBool:
			f.Type = schema.Boolean
		default:
			f.Type = schema.String
		}
	case h.boolean && !h.numeric && !h.str:
		f.Type = schema.Boolean
	case h.numeric && !h.str:
		switch {
		case len(h.decs) > 0 || nameHas(name, decimalNames):
			f.Type = schema.Decimal
		case len(h.ints) > 0 || nameHas(name, intNames):
			f.Type = schema.Integer
		default:
			f.Type = schema.Decimal
		}
	default:
		f.Type = schema.String
	}
	set := func(text string) *types.Value {
		v, err := schema.ParseValue(f, text)
		if err != nil {
			return nil
		}
		return &v
	}
	switch f.Type {
	case schema.Timestamp:
		f.Start = schema.DefaultStart
		f.Rate = schema.DefaultRate
		if window != nil && window.Size > 0 {
			// About ten windows' worth of event time per 10,000 records.
			f.Rate = math.Round(math.Max(0.001, math.Min(100000, 1e6/float64(window.Size)))*1000) / 1000
		}
	case schema.Boolean:
	case schema.String:
		switch {
		case h.joinTarget:
			f.Sequence = &schema.Sequence{Start: 1, Step: 1}
			f.Format = "K%05d"
		case h.joinRef[0] != "":
			f.References = &schema.Reference{Schema: h.joinRef[0], Field: h.joinRef[1]}
		case len(h.strs) > 0:
			seen := map[string]bool{}
			for _, s := range append(append([]string(nil), h.strs...), "OTHER") {
				if !seen[s] {
					seen[s] = true
					f.Enum = append(f.Enum, types.StringValue(s))
				}
			}
		default:
			for i := 1; i <= 5; i++ {
				f.Enum = append(f.Enum, types.StringValue(fmt.Sprintf("%s_%d", name, i)))
			}
		}
	default: // numbers
		if f.Type == schema.Decimal {
			f.Precision, f.Scale = 18, max(2, h.scale)
		}
		switch {
		case h.joinTarget && f.Type == schema.Integer:
			f.Sequence = &schema.Sequence{Start: 1, Step: 1}
			return f
		case h.joinRef[0] != "":
			f.References = &schema.Reference{Schema: h.joinRef[0], Field: h.joinRef[1]}
			return f
		case h.key:
			f.Min, f.Max = set("1"), set("5")
			return f
		}
		lo, hi := 1.0, 1000.0
		lits := append(append([]float64(nil), h.ints...), h.decs...)
		if len(lits) > 0 {
			sort.Float64s(lits)
			// Straddle the values the query compares with, so that a
			// WHERE keeps some rows and drops others.
			lo = math.Min(0, lits[0]*2)
			hi = math.Max(10, lits[len(lits)-1]*2)
		}
		f.Min, f.Max = set(trimNum(lo)), set(trimNum(hi))
	}
	return f
}

func trimNum(x float64) string { return strings.TrimSuffix(fmt.Sprintf("%.0f", math.Round(x)), ".") }
