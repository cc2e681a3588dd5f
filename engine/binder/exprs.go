package binder

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/velostream/velostream/engine/agg"
	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/decimal"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/token"
	"github.com/velostream/velostream/engine/types"
)

func span(n ast.Node) token.Span { return token.Span{Start: n.Pos(), End: n.End()} }

// scope resolves names while binding expressions of one query level.
type scope struct {
	b    *binder
	rels []*relation
	// pending are column references whose final index (relation offset +
	// column) is fixed once every referenced column is known.
	pending []pendingCol
	// agg is set while binding above an Aggregate (SELECT list, HAVING,
	// ORDER BY of a grouped query); nil for row-level expressions.
	agg *aggScope
	// inAgg is true while binding an aggregate's arguments (no nesting).
	inAgg bool
	// clause names the clause being bound, for messages ("WHERE").
	clause string
	// subs are scopes over one relation alone (a join's right side), whose
	// references are fixed with this scope's.
	subs []*scope
	// over collects window functions; nil where they are not allowed.
	over *overScope
}

type pendingCol struct {
	col *expr.Col
	rel *relation
	idx int
}

// fix assigns final indexes to every column reference bound so far.
func (s *scope) fix() {
	off := 0
	for _, r := range s.rels {
		r.offset = off
		off += len(r.src.Columns)
	}
	for _, p := range s.pending {
		p.col.Idx = p.rel.offset + p.idx
		p.col.T = p.rel.src.Columns[p.idx].Type
	}
	for _, sub := range s.subs {
		sub.fix()
	}
	if s.over != nil {
		s.over.fix(off)
	}
}

// width is the joined row width once fixed.
func (s *scope) width() int {
	n := 0
	for _, r := range s.rels {
		n += len(r.src.Columns)
	}
	return n
}

// resolveColumn finds the relation and column for an identifier.
func (s *scope) resolveColumn(id *ast.Ident) (*expr.Col, bool) {
	name, qual := id.Name(), id.Qualifier()
	if len(id.Parts) > 2 {
		s.b.errorf(id, "name %q has too many parts: write column or source.column", strings.Join(id.Parts, "."))
		return nil, false
	}
	var cands []*relation
	for _, r := range s.rels {
		if qual == "" || strings.EqualFold(r.alias, qual) || strings.EqualFold(r.src.Name, qual) {
			cands = append(cands, r)
		}
	}
	if qual != "" && len(cands) == 0 {
		names := make([]string, 0, len(s.rels))
		for _, r := range s.rels {
			names = append(names, r.alias)
		}
		hint := ""
		if sg := diag.Suggest(qual, names); sg != "" {
			hint = fmt.Sprintf("did you mean %q?", sg+"."+name)
		}
		s.b.hintf(id, hint, "unknown source %q in %q", qual, strings.Join(id.Parts, "."))
		return nil, false
	}
	// Known schemas first: a column that exists is preferred over an open
	// schema that would accept anything.
	var found []*relation
	for _, r := range cands {
		if r.src.Columns.Index(name) >= 0 || (r.src.Declared != nil && r.src.Declared.Index(name) >= 0) || (r.src.Declared != nil && IsMetaColumn(name)) {
			found = append(found, r)
		}
	}
	if len(found) == 0 {
		for _, r := range cands {
			if r.open {
				found = append(found, r)
			}
		}
	}
	switch {
	case len(found) == 1:
		r := found[0]
		idx := r.column(name)
		col := expr.NewCol(r.offset+idx, name, r.src.Columns[idx].Type, span(id))
		s.pending = append(s.pending, pendingCol{col: col, rel: r, idx: idx})
		return col, true
	case len(found) > 1:
		names := make([]string, len(found))
		for i, r := range found {
			names[i] = r.alias + "." + name
		}
		s.b.hintf(id, "qualify it: "+strings.Join(names, " or "), "column %q is ambiguous", name)
		return nil, false
	}
	var known []string
	for _, r := range cands {
		known = append(known, r.src.Columns.Names()...)
		if r.src.Declared != nil {
			known = append(known, r.src.Declared.Names()...)
		}
	}
	if s.agg != nil {
		known = append(known, s.agg.aliases()...)
	}
	hint := ""
	if sg := diag.Suggest(name, known); sg != "" {
		hint = fmt.Sprintf("did you mean %q?", sg)
	} else if len(known) > 0 {
		hint = "available columns: " + strings.Join(dedupe(known), ", ")
	}
	s.b.hintf(id, hint, "unknown column %q", name)
	return nil, false
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[strings.ToLower(s)] {
			seen[strings.ToLower(s)] = true
			out = append(out, s)
		}
	}
	return out
}

// prepass resolves, without reporting anything, every column name the
// statement mentions, so that each relation's decoded columns (and so the
// joined row's layout and every column's type) are known before binding.
func (s *scope) prepass(sel *ast.SelectStmt, extra ...ast.Expr) {
	skip := map[string]bool{"window_start": true, "window_end": true}
	for _, it := range sel.Items {
		if it.Alias != nil {
			skip[strings.ToLower(it.Alias.Name())] = true
		}
	}
	errs := len(s.b.errs)
	visit := func(root ast.Node) {
		if root == nil {
			return
		}
		calls := map[*ast.Ident]bool{}
		ast.Inspect(root, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.Call:
				calls[x.Name] = true
			case *ast.Ident:
				if calls[x] || (len(x.Parts) == 1 && skip[strings.ToLower(x.Name())]) {
					return true
				}
				s.resolveColumn(x)
			}
			return true
		})
	}
	for _, it := range sel.Items {
		if it.Expr != nil {
			visit(it.Expr)
		}
	}
	for _, e := range append([]ast.Expr{sel.Where, sel.Having}, extra...) {
		if e != nil {
			visit(e)
		}
	}
	for _, g := range sel.GroupBy {
		visit(g)
	}
	s.b.errs = s.b.errs[:errs]
	s.pending = nil
	s.fix()
}

// bindHeader binds HEADER('name'): the value of a Kafka record header of the
// query's first source (NULL when the record has no such header), as a
// column the executor fills from the record's provenance.
func (s *scope) bindHeader(n *ast.Call) expr.Expr {
	var lit *ast.Literal
	if len(n.Args) == 1 {
		lit, _ = unparen(n.Args[0]).(*ast.Literal)
	}
	if lit == nil || lit.Kind != ast.LitString || lit.Raw == "" {
		s.b.hintf(n, "write HEADER('name') with the header's name as a string", "HEADER takes one constant string: the header's name")
		return nil
	}
	if s.agg != nil && !s.inAgg {
		s.b.hintf(n, "add it to GROUP BY, or aggregate it", "HEADER(%q) must appear in GROUP BY or be used in an aggregate function", lit.Raw)
		return nil
	}
	if len(s.rels) == 0 {
		s.b.errorf(n, "HEADER needs a source")
		return nil
	}
	r := s.rels[0]
	name := HeaderColumn(lit.Raw)
	idx := r.src.Columns.Index(name)
	if idx < 0 {
		r.src.Columns = append(r.src.Columns, types.Column{Name: name, Type: types.String})
		idx = len(r.src.Columns) - 1
	}
	col := expr.NewCol(r.offset+idx, name, types.String, span(n))
	s.pending = append(s.pending, pendingCol{col: col, rel: r, idx: idx})
	return col
}

// HeaderColumn is the name of the provenance column holding a header.
func HeaderColumn(header string) string { return "_header:" + header }

// mayExist reports whether id could name a column: a known schema has it,
// or an open schema would accept it.
func (s *scope) mayExist(id *ast.Ident) bool {
	for _, r := range s.rels {
		if q := id.Qualifier(); q != "" && !strings.EqualFold(q, r.alias) && !strings.EqualFold(q, r.src.Name) {
			continue
		}
		if r.open || r.src.Columns.Index(id.Name()) >= 0 || (r.src.Declared != nil && r.src.Declared.Index(id.Name()) >= 0) {
			return true
		}
	}
	return false
}

// bind binds a row-level or grouped expression depending on the scope.
func (s *scope) bind(e ast.Expr) expr.Expr {
	if s.agg != nil && !s.inAgg {
		if out, ok := s.agg.match(e); ok {
			return out
		}
	}
	switch n := e.(type) {
	case *ast.Paren:
		return s.bind(n.X)
	case *ast.Ident:
		return s.bindIdent(n)
	case *ast.Literal:
		return s.b.bindLiteral(n)
	case *ast.IntervalLit:
		return expr.NewConst(types.IntervalValue(n.Millis), types.Interval, "INTERVAL '"+n.Text+"'", span(n))
	case *ast.Binary:
		return s.bindBinary(n)
	case *ast.Unary:
		x := s.bind(n.X)
		if x == nil {
			return nil
		}
		switch n.Op {
		case ast.OpNot:
			s.wantBool(x, n.X, "NOT")
			return expr.NewNot(x, span(n))
		case ast.OpNeg:
			if k := x.Type().Kind; k != types.KindAny && !k.Numeric() && k != types.KindInterval && k != types.KindNull {
				s.b.errorf(n, "cannot negate a %s", x.Type())
				return nil
			}
			return expr.NewNeg(x, span(n))
		default:
			return x
		}
	case *ast.Call:
		return s.bindCall(n)
	case *ast.Case:
		return s.bindCase(n)
	case *ast.Cast:
		x := s.bind(n.X)
		t, ok := s.b.bindTypeName(&n.Type)
		if x == nil || !ok {
			return nil
		}
		if err := functions.CastType(x.Type(), t); err != nil {
			s.b.errorf(n, "%v", err)
			return nil
		}
		return expr.NewCast(x, t, span(n))
	case *ast.In:
		x := s.bind(n.X)
		list := make([]expr.Expr, 0, len(n.List))
		for _, it := range n.List {
			if v := s.bind(it); v != nil {
				s.checkComparable(x, v, it)
				list = append(list, v)
			}
		}
		if x == nil || len(list) != len(n.List) {
			return nil
		}
		return expr.NewIn(x, list, n.Not, span(n))
	case *ast.Between:
		x, lo, hi := s.bind(n.X), s.bind(n.Lo), s.bind(n.Hi)
		if x == nil || lo == nil || hi == nil {
			return nil
		}
		s.checkComparable(x, lo, n.Lo)
		s.checkComparable(x, hi, n.Hi)
		sp := span(n)
		var out expr.Expr = expr.NewLogic(true, expr.NewCmp(ast.OpGe, x, lo, sp), expr.NewCmp(ast.OpLe, x, hi, sp), sp)
		if n.Not {
			out = expr.NewNot(out, sp)
		}
		return out
	case *ast.Like:
		x, p := s.bind(n.X), s.bind(n.Pattern)
		if x == nil || p == nil {
			return nil
		}
		var m *functions.LikeMatcher
		if c, ok := p.(*expr.Const); ok && c.V.K == types.KindString {
			var err error
			if m, err = functions.CompileLike(c.V.S); err != nil {
				s.b.errorf(n.Pattern, "bad LIKE pattern: %v", err)
				return nil
			}
		}
		return expr.NewLike(x, p, n.Not, m, span(n))
	case *ast.IsNull:
		x := s.bind(n.X)
		if x == nil {
			return nil
		}
		return expr.NewIsNull(x, n.Not, span(n))
	case *ast.Extract:
		x := s.bind(n.X)
		if x == nil {
			return nil
		}
		t, err := functions.ExtractType(n.Field, x.Type())
		if err != nil {
			s.b.errs.AddHint(n.FieldPos, n.FieldPos, "fields: YEAR, QUARTER, MONTH, WEEK, DAY, DOW, DOY, HOUR, MINUTE, SECOND, MILLISECOND, EPOCH", err.Error())
			return nil
		}
		return expr.NewExtract(n.Field, x, t, span(n))
	}
	s.b.errorf(e, "unsupported expression")
	return nil
}

func (s *scope) bindIdent(id *ast.Ident) expr.Expr {
	if len(id.Parts) == 1 && (strings.EqualFold(id.Name(), "window_start") || strings.EqualFold(id.Name(), "window_end")) {
		s.b.hintf(id, "window_start and window_end exist in queries with a WINDOW clause and GROUP BY or aggregates",
			"%s is not available here", strings.ToLower(id.Name()))
		return nil
	}
	if s.agg != nil && !s.inAgg {
		if !s.mayExist(id) {
			s.resolveColumn(id) // reports the unknown column, with a hint
			return nil
		}
		s.b.hintf(id, "add it to GROUP BY, or aggregate it, e.g. MAX("+id.Name()+")",
			"column %q must appear in GROUP BY or be used in an aggregate function", strings.Join(id.Parts, "."))
		return nil
	}
	col, ok := s.resolveColumn(id)
	if !ok {
		return nil
	}
	return col
}

func (s *scope) bindBinary(n *ast.Binary) expr.Expr {
	l, r := s.bind(n.L), s.bind(n.R)
	if l == nil || r == nil {
		return nil
	}
	sp := span(n)
	switch n.Op {
	case ast.OpAnd, ast.OpOr:
		s.wantBool(l, n.L, n.Op.String())
		s.wantBool(r, n.R, n.Op.String())
		return expr.NewLogic(n.Op == ast.OpAnd, l, r, sp)
	case ast.OpEq, ast.OpNe, ast.OpLt, ast.OpLe, ast.OpGt, ast.OpGe:
		s.checkComparable(l, r, n)
		return expr.NewCmp(n.Op, l, r, sp)
	case ast.OpConcat:
		return expr.NewArith(n.Op, l, r, types.String, sp)
	}
	t, err := functions.ArithType(n.Op, l.Type(), r.Type())
	if err != nil {
		s.b.errorf(n, "%v", err)
		return nil
	}
	return expr.NewArith(n.Op, l, r, t, sp)
}

func (s *scope) wantBool(x expr.Expr, at ast.Node, op string) {
	if k := x.Type().Kind; k != types.KindBool && k != types.KindAny && k != types.KindNull {
		s.b.errorf(at, "%s needs a boolean, got %s", op, x.Type())
	}
}

// checkComparable reports comparisons that can never succeed.
func (s *scope) checkComparable(l, r expr.Expr, at ast.Node) {
	if l == nil || r == nil {
		return
	}
	if err := functions.ComparableTypes(l.Type(), r.Type()); err != nil {
		s.b.errorf(at, "%v", err)
	}
}

func (s *scope) bindCall(n *ast.Call) expr.Expr {
	name := strings.ToUpper(n.Name.Name())
	if name == "HEADER" && n.Over == nil && !n.Star && !n.Distinct {
		return s.bindHeader(n)
	}
	if n.Over != nil {
		switch {
		case s.over != nil && !s.inAgg:
			return s.over.add(s, n)
		case s.agg != nil || s.inAgg:
			s.b.hintf(n, "compute the aggregate in a CREATE TABLE ... AS SELECT and join it, or drop GROUP BY",
				"window function %s(...) OVER cannot be combined with GROUP BY or aggregates in one query", name)
		case s.clause != "":
			s.b.errorf(n, "window function %s(...) OVER is not allowed in %s", name, s.clause)
		default:
			s.b.errorf(n, "window function %s(...) OVER is not allowed here", name)
		}
		return nil
	}
	if agg.IsAggregate(name) {
		if s.agg == nil || s.inAgg {
			switch {
			case s.inAgg:
				s.b.errorf(n, "aggregate %s cannot be nested inside another aggregate", name)
			case s.clause != "":
				s.b.hintf(n, "filter groups with HAVING instead", "aggregate %s is not allowed in %s", name, s.clause)
			default:
				s.b.errorf(n, "aggregate %s is not allowed here", name)
			}
			return nil
		}
		return s.agg.addAgg(s, n)
	}
	if n.Star || n.Distinct || len(n.WithinGroup) > 0 {
		s.b.errorf(n, "%s is not an aggregate function", name)
		return nil
	}
	args := make([]expr.Expr, 0, len(n.Args))
	argTypes := make([]types.Type, 0, len(n.Args))
	for _, a := range n.Args {
		x := s.bind(a)
		if x == nil {
			return nil
		}
		args = append(args, x)
		argTypes = append(argTypes, x.Type())
	}
	fn, t, err := functions.Lookup(name, argTypes)
	if err != nil {
		hint := ""
		if sg := diag.Suggest(name, append(functions.Names(), agg.Names()...)); sg != "" && !strings.EqualFold(sg, name) {
			hint = fmt.Sprintf("did you mean %s?", sg)
		}
		s.b.hintf(n.Name, hint, "%v", err)
		return nil
	}
	volatile := name == "NOW" || name == "CURRENT_TIMESTAMP"
	return expr.NewCall(fn, name, args, t, volatile, span(n))
}

func (s *scope) bindCase(n *ast.Case) expr.Expr {
	var operand expr.Expr
	if n.Operand != nil {
		if operand = s.bind(n.Operand); operand == nil {
			return nil
		}
	}
	conds := make([]expr.Expr, 0, len(n.Whens))
	results := make([]expr.Expr, 0, len(n.Whens))
	var t types.Type
	for _, w := range n.Whens {
		c, r := s.bind(w.Cond), s.bind(w.Result)
		if c == nil || r == nil {
			return nil
		}
		if operand != nil {
			s.checkComparable(operand, c, w.Cond)
			c = expr.NewCmp(ast.OpEq, operand, c, span(w.Cond))
		} else {
			s.wantBool(c, w.Cond, "WHEN")
		}
		conds = append(conds, c)
		results = append(results, r)
		t = unify(t, r.Type())
	}
	var els expr.Expr
	if n.Else != nil {
		if els = s.bind(n.Else); els == nil {
			return nil
		}
		t = unify(t, els.Type())
	}
	return expr.NewCase(conds, results, els, t, span(n))
}

// unify returns the type of a CASE (or COALESCE) whose branches have types a and b.
func unify(a, b types.Type) types.Type {
	switch {
	case a.Kind == types.KindNull:
		return b
	case b.Kind == types.KindNull || a == b:
		return a
	case a.Kind.Numeric() && b.Kind.Numeric():
		if a.Kind == types.KindFloat || b.Kind == types.KindFloat {
			return types.Float
		}
		return types.Decimal
	}
	return types.Any
}

// bindLiteral turns a literal into a constant.
func (b *binder) bindLiteral(n *ast.Literal) expr.Expr {
	sp := span(n)
	switch n.Kind {
	case ast.LitNull:
		return expr.NewConst(types.Value{}, types.Null, "NULL", sp)
	case ast.LitBool:
		return expr.NewConst(types.BoolValue(n.Bool), types.Bool, strings.ToUpper(strconv.FormatBool(n.Bool)), sp)
	case ast.LitInt:
		if i, err := strconv.ParseInt(n.Raw, 10, 64); err == nil {
			return expr.NewConst(types.IntValue(i), types.Int, n.Raw, sp)
		}
		fallthrough
	case ast.LitDecimal:
		m, sc, err := decimal.ParseString(n.Raw)
		if err != nil {
			f, ferr := strconv.ParseFloat(n.Raw, 64)
			if ferr != nil {
				b.errorf(n, "bad number %s: %v", n.Raw, err)
				return nil
			}
			return expr.NewConst(types.FloatValue(f), types.Float, n.Raw, sp)
		}
		return expr.NewConst(types.DecimalValue(m, sc), types.Type{Kind: types.KindDecimal, Scale: sc}, n.Raw, sp)
	case ast.LitFloat:
		f, err := strconv.ParseFloat(n.Raw, 64)
		if err != nil {
			b.errorf(n, "bad number %s", n.Raw)
			return nil
		}
		return expr.NewConst(types.FloatValue(f), types.Float, n.Raw, sp)
	}
	return expr.NewConst(types.StringValue(n.Raw), types.String, "'"+strings.ReplaceAll(n.Raw, "'", "''")+"'", sp)
}

// bindTypeName resolves a written type such as DECIMAL(12,4).
func (b *binder) bindTypeName(t *ast.TypeName) (types.Type, bool) {
	k, ok := types.ParseTypeName(t.Name)
	if !ok {
		names := []string{"BOOLEAN", "INTEGER", "BIGINT", "DOUBLE", "DECIMAL", "STRING", "VARCHAR", "TIMESTAMP", "INTERVAL"}
		hint := "types: " + strings.Join(names, ", ")
		if sg := diag.Suggest(t.Name, names); sg != "" {
			hint = "did you mean " + sg + "?"
		}
		b.hintf(t, hint, "unknown type %s", t.Name)
		return types.Type{}, false
	}
	out := types.Type{Kind: k}
	if k == types.KindDecimal && len(t.Params) > 0 {
		p, s := t.Params[0], 0
		if len(t.Params) > 1 {
			s = t.Params[1]
		}
		if p < 1 || p > 18 || s < 0 || s > p {
			b.hintf(t, "exact decimals hold up to 18 digits: DECIMAL(p,s) with 1 <= p <= 18 and 0 <= s <= p", "bad precision or scale in %s", t.Name)
			return types.Type{}, false
		}
		out.Precision, out.Scale = uint8(p), uint8(s)
	}
	return out, true
}
