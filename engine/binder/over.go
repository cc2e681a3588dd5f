package binder

import (
	"fmt"
	"strings"

	"github.com/velostream/velostream/engine/agg"
	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/diag"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

// Window functions: f(...) OVER (PARTITION BY ... ORDER BY ... frame). One
// plan.Over node computes them all, grouped by PARTITION BY. Its row is its
// input row plus one column per function, so a call binds to a reference
// past the input's columns, fixed once the input's width is known.

// windowOnly are the window functions that are not aggregates.
var windowOnly = []string{"ROW_NUMBER", "RANK", "DENSE_RANK", "LAG", "LEAD"}

type overSpec struct {
	key       string
	partition []expr.Expr
	funcs     []plan.OverFunc
}

type overCol struct {
	col  *expr.Col
	spec *overSpec
	i    int
}

// overScope collects the window functions of a query's SELECT list.
type overScope struct {
	specs []*overSpec
	cols  []overCol
	// driver is the stream whose event time the rows carry (ORDER BY must
	// name it); nil when it is no column (after a join of two streams).
	driver *relation
	inArgs bool
	// ordered is set when any call has ORDER BY: all then see rows in
	// event-time order.
	ordered bool
}

// add binds one window function call and returns a reference to its column.
func (o *overScope) add(s *scope, n *ast.Call) expr.Expr {
	name := strings.ToUpper(n.Name.Name())
	if o.inArgs {
		s.b.errorf(n, "window functions cannot be nested")
		return nil
	}
	ov := n.Over
	if ov.Emit == ast.EmitFinal {
		s.b.hintf(n, "remove EMIT FINAL: a window function emits one row per input row", "EMIT FINAL cannot be used in OVER (...)")
		return nil
	}
	o.inArgs = true
	defer func() { o.inArgs = false }()

	ordered, ok := o.orderBy(s, ov)
	if !ok {
		return nil
	}
	f := plan.OverFunc{Name: ast.Format(n)}
	if !s.b.bindFrame(ov, &f) {
		return nil
	}
	switch name {
	case "ROW_NUMBER", "RANK", "DENSE_RANK":
		if len(n.Args) > 0 || n.Star || n.Distinct {
			s.b.errorf(n, "%s takes no arguments", name)
			return nil
		}
		if name != "ROW_NUMBER" && !ordered {
			s.b.hintf(n, "add ORDER BY the event time, e.g. OVER (PARTITION BY symbol ORDER BY ts)",
				"%s needs ORDER BY in its OVER (...): rows rank by it", name)
			return nil
		}
		f.Kind = map[string]plan.OverKind{"ROW_NUMBER": plan.OverRowNumber, "RANK": plan.OverRank, "DENSE_RANK": plan.OverDenseRank}[name]
		f.Type = types.Int
	case "LAG", "LEAD":
		if !o.lagLead(s, n, name, &f) {
			return nil
		}
	default:
		if !agg.IsAggregate(name) {
			hint := "window functions: ROW_NUMBER, RANK, DENSE_RANK, LAG, LEAD, and the aggregates (COUNT, SUM, AVG, MIN, MAX, ...)"
			if sg := diag.Suggest(name, append(append([]string{}, windowOnly...), agg.Names()...)); sg != "" && !strings.EqualFold(sg, name) {
				hint = fmt.Sprintf("did you mean %s?", sg)
			}
			s.b.hintf(n.Name, hint, "%s is not a window function", name)
			return nil
		}
		if !o.aggregate(s, n, name, &f) {
			return nil
		}
	}
	o.ordered = o.ordered || ordered
	spec := o.spec(s, ov)
	if spec == nil {
		return nil
	}
	spec.funcs = append(spec.funcs, f)
	col := expr.NewCol(-1, f.Name, f.Type, span(n))
	o.cols = append(o.cols, overCol{col: col, spec: spec, i: len(spec.funcs) - 1})
	return col
}

// orderBy checks OVER's ORDER BY: on a stream it can only be the event time
// (rows are taken in event-time order); it makes the named column the
// stream's event time when none is set.
func (o *overScope) orderBy(s *scope, ov *ast.OverClause) (bool, bool) {
	if len(ov.OrderBy) == 0 {
		return false, true
	}
	first := ov.OrderBy[0]
	if len(ov.OrderBy) > 1 {
		s.b.hintf(ov.OrderBy[1].Expr, "order by the event time alone", "ORDER BY in OVER takes one column, the event time")
		return false, false
	}
	if first.Desc {
		s.b.hintf(first.Expr, "remove DESC: a stream's rows come in event-time order", "ORDER BY ... DESC cannot be used in OVER on a stream")
		return false, false
	}
	id, ok := unparen(first.Expr).(*ast.Ident)
	if !ok {
		s.b.hintf(first.Expr, "order by the event-time column, e.g. ORDER BY ts", "ORDER BY in OVER must name the stream's event-time column")
		return false, false
	}
	mark := len(s.pending)
	if _, found := s.resolveColumn(id); !found {
		return false, false
	}
	p := s.pending[mark]
	switch {
	case o.driver == nil:
		s.b.hintf(first.Expr, "leave ORDER BY out: rows are then taken in arrival order",
			"ORDER BY in OVER after a join of two streams: a joined row's event time is the later of its two rows' times, which no column holds")
		return false, false
	case p.rel != o.driver:
		s.b.hintf(first.Expr, "order by the event time of "+o.driver.alias,
			"ORDER BY in OVER must name the event time of the stream %q", o.driver.src.Name)
		return false, false
	}
	if !s.b.setTime(p.rel, p.idx, first.Expr, "ORDER BY in OVER") {
		return false, false
	}
	return true, true
}

// bindFrame reads ROWS BETWEEN ... or ROWS WINDOW BUFFER n ROWS into f.
func (b *binder) bindFrame(ov *ast.OverClause, f *plan.OverFunc) bool {
	fr := ov.Frame
	switch {
	case ov.BufferRows > 0 && fr != nil:
		b.errs.AddHint(fr.Pos, fr.Pos, "keep one of them", "OVER has both ROWS WINDOW BUFFER and a ROWS frame")
		return false
	case ov.BufferRows > 0:
		f.Start, f.End = -(ov.BufferRows - 1), 0
		return true
	case fr == nil:
		f.UnboundedStart = true // a running aggregate, from the partition's first row
		return true
	case fr.Range:
		b.errs.AddHint(fr.Pos, fr.Pos, "use ROWS BETWEEN n PRECEDING AND CURRENT ROW", "RANGE frames are not supported")
		return false
	}
	if (fr.Start.Unbounded && fr.Start.Following) || (fr.EndBound.Unbounded && fr.EndBound.Following) {
		b.errs.AddHint(fr.Pos, fr.Pos, "a stream has no last row: end the frame at CURRENT ROW or n FOLLOWING", "UNBOUNDED FOLLOWING cannot be used on a stream")
		return false
	}
	if fr.EndBound.Unbounded {
		b.errs.Add(fr.Pos, fr.Pos, "a frame cannot end at UNBOUNDED PRECEDING")
		return false
	}
	off := func(fb ast.FrameBound) int64 {
		switch {
		case fb.Current:
			return 0
		case fb.Following:
			return fb.N
		}
		return -fb.N
	}
	f.UnboundedStart = fr.Start.Unbounded
	if !f.UnboundedStart {
		f.Start = off(fr.Start)
	}
	f.End = off(fr.EndBound)
	if !f.UnboundedStart && f.Start > f.End {
		b.errs.Add(fr.Pos, fr.Pos, "the frame starts after it ends")
		return false
	}
	return true
}

// lagLead binds LAG|LEAD(x [, offset [, default]]).
func (o *overScope) lagLead(s *scope, n *ast.Call, name string, f *plan.OverFunc) bool {
	if n.Star || n.Distinct || len(n.Args) == 0 || len(n.Args) > 3 {
		s.b.hintf(n, "write "+name+"(column [, offset [, default]])", "%s takes one to three arguments", name)
		return false
	}
	x := s.bind(n.Args[0])
	if x == nil {
		return false
	}
	f.Arg, f.Offset, f.Type = x, 1, x.Type()
	f.Kind = plan.OverLag
	if name == "LEAD" {
		f.Kind = plan.OverLead
	}
	if len(n.Args) > 1 {
		c, ok := s.bind(n.Args[1]).(*expr.Const)
		if !ok || c.V.K != types.KindInt || c.V.I < 0 {
			s.b.hintf(n.Args[1], "write a whole number of rows, e.g. "+name+"(price, 1)", "%s offset must be a constant non-negative integer", name)
			return false
		}
		f.Offset = c.V.I
		if buf := n.Over.BufferRows; buf > 0 && f.Offset >= buf {
			s.b.errorf(n.Args[1], "%s offset %d reaches outside ROWS WINDOW BUFFER %d ROWS", name, f.Offset, buf)
			return false
		}
	}
	if len(n.Args) > 2 {
		d := s.bind(n.Args[2])
		if d == nil {
			return false
		}
		s.checkComparable(x, d, n.Args[2])
		f.Default = d
		f.Type = unify(x.Type(), d.Type())
	}
	return true
}

// aggregate binds an aggregate used as a window function.
func (o *overScope) aggregate(s *scope, n *ast.Call, name string, f *plan.OverFunc) bool {
	var argTypes []types.Type
	var params []types.Value
	switch {
	case name == "PERCENTILE_CONT" || name == "PERCENTILE_DISC":
		for _, p := range n.Args {
			c, ok := s.bind(p).(*expr.Const)
			if !ok {
				s.b.errorf(p, "%s takes a constant fraction between 0 and 1", name)
				return false
			}
			params = append(params, c.V)
		}
		if len(n.WithinGroup) != 1 {
			s.b.hintf(n, "write "+name+"(0.95) WITHIN GROUP (ORDER BY column) OVER (...)", "%s needs WITHIN GROUP (ORDER BY one column)", name)
			return false
		}
		x := s.bind(n.WithinGroup[0].Expr)
		if x == nil {
			return false
		}
		f.Arg, argTypes = x, []types.Type{x.Type()}
	case n.Star:
	case len(n.Args) == 1:
		x := s.bind(n.Args[0])
		if x == nil {
			return false
		}
		f.Arg, argTypes = x, []types.Type{x.Type()}
	default: // a wrong number of arguments: Lookup says so
		argTypes = make([]types.Type, len(n.Args))
	}
	fn, err := agg.Lookup(name, n.Distinct, argTypes, params)
	if err != nil {
		s.b.errorf(n, "%v", err)
		return false
	}
	f.Kind, f.Agg, f.Type = plan.OverAgg, fn, fn.ResultType()
	return true
}

// spec finds or opens the node for the call's PARTITION BY and ORDER BY.
func (o *overScope) spec(s *scope, ov *ast.OverClause) *overSpec {
	parts := make([]string, 0, len(ov.PartitionBy))
	for _, p := range ov.PartitionBy {
		parts = append(parts, canonical(p))
	}
	key := strings.Join(parts, ",")
	for _, sp := range o.specs {
		if sp.key == key {
			return sp
		}
	}
	sp := &overSpec{key: key}
	for _, p := range ov.PartitionBy {
		x := s.bind(p)
		if x == nil {
			return nil
		}
		sp.partition = append(sp.partition, x)
	}
	o.specs = append(o.specs, sp)
	return sp
}

// wrap puts the Over node, when there are window functions, between input
// and the projection.
func (o *overScope) wrap(input plan.Node) plan.Node {
	if len(o.specs) == 0 {
		return input
	}
	n := &plan.Over{Input: input, Ordered: o.ordered}
	for _, sp := range o.specs {
		n.Partitions = append(n.Partitions, plan.OverPartition{PartitionBy: sp.partition, Funcs: sp.funcs})
	}
	return n
}

// fix points window function references past the input's width.
func (o *overScope) fix(width int) {
	base := map[*overSpec]int{}
	n := width
	for _, sp := range o.specs {
		base[sp] = n
		n += len(sp.funcs)
	}
	for _, c := range o.cols {
		c.col.Idx = base[c.spec] + c.i
	}
}
