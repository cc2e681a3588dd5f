package binder

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/velostream/velostream/engine/agg"
	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

// aggScope binds expressions that sit above an aggregation: group keys and
// aggregates become references into the intermediate row
// (keys..., aggs..., window_start, window_end).
type aggScope struct {
	keys     []ast.Expr
	keyExprs []expr.Expr
	keyText  []string
	calls    []plan.AggCall
	callText []string
	windowed bool
	winCols  []winCol // window_start/window_end references, fixed at the end
	items    []ast.SelectItem
	aggCols  []*expr.Col // references to aggregates, typed at the end
}

type winCol struct {
	col *expr.Col
	end bool
}

func canonical(e ast.Expr) string { return strings.ToLower(ast.Format(e)) }

// match binds e as a reference to a group key or window bound when it is one.
func (a *aggScope) match(e ast.Expr) (expr.Expr, bool) {
	if p, ok := e.(*ast.Paren); ok {
		return a.match(p.X)
	}
	if id, ok := e.(*ast.Ident); ok {
		if len(id.Parts) == 1 && a.windowed {
			switch strings.ToLower(id.Name()) {
			case "window_start", "window_end":
				end := strings.EqualFold(id.Name(), "window_end")
				c := expr.NewCol(-1, strings.ToLower(id.Name()), types.Timestamp, span(id))
				a.winCols = append(a.winCols, winCol{col: c, end: end})
				return c, true
			}
		}
		for i, k := range a.keys {
			kid, ok := unparen(k).(*ast.Ident)
			if !ok || !strings.EqualFold(kid.Name(), id.Name()) {
				continue
			}
			if q1, q2 := kid.Qualifier(), id.Qualifier(); q1 == "" || q2 == "" || strings.EqualFold(q1, q2) {
				return a.keyRef(i, id), true
			}
		}
	}
	text := canonical(e)
	for i, t := range a.keyText {
		if t == text {
			return a.keyRef(i, e), true
		}
	}
	return nil, false
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

func (a *aggScope) keyRef(i int, at ast.Node) *expr.Col {
	name := a.keyExprs[i].String()
	return expr.NewCol(i, name, a.keyExprs[i].Type(), span(at))
}

// addAgg registers an aggregate call (deduplicated by its text) and returns
// a reference to its intermediate column.
func (a *aggScope) addAgg(s *scope, n *ast.Call) expr.Expr {
	name := strings.ToUpper(n.Name.Name())
	text := canonical(n)
	for i, t := range a.callText {
		if t == text {
			return a.aggRef(i, n)
		}
	}
	s.inAgg = true
	defer func() { s.inAgg = false }()
	var args []expr.Expr
	var argTypes []types.Type
	var params []types.Value
	if name == "PERCENTILE_CONT" || name == "PERCENTILE_DISC" {
		// PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x): p is a parameter, x the argument.
		for _, p := range n.Args {
			c, ok := s.bind(p).(*expr.Const)
			if !ok {
				s.b.errorf(p, "%s takes a constant fraction between 0 and 1", name)
				return nil
			}
			params = append(params, c.V)
		}
		if len(n.WithinGroup) != 1 {
			s.b.hintf(n, "write "+name+"(0.95) WITHIN GROUP (ORDER BY column)", "%s needs WITHIN GROUP (ORDER BY one column)", name)
			return nil
		}
		x := s.bind(n.WithinGroup[0].Expr)
		if x == nil {
			return nil
		}
		args, argTypes = []expr.Expr{x}, []types.Type{x.Type()}
	} else if !n.Star {
		for _, arg := range n.Args {
			x := s.bind(arg)
			if x == nil {
				return nil
			}
			args = append(args, x)
			argTypes = append(argTypes, x.Type())
		}
	}
	fn, err := agg.Lookup(name, n.Distinct, argTypes, params)
	if err != nil {
		s.b.errorf(n, "%v", err)
		return nil
	}
	a.calls = append(a.calls, plan.AggCall{Func: fn, Args: args, Name: ast.Format(n)})
	a.callText = append(a.callText, text)
	return a.aggRef(len(a.calls)-1, n)
}

func (a *aggScope) aggRef(i int, at ast.Node) *expr.Col {
	c := expr.NewCol(-1-i, a.calls[i].Name, a.calls[i].Func.ResultType(), span(at))
	a.aggCols = append(a.aggCols, c)
	return c
}

// fix assigns final intermediate indexes to aggregate and window references.
func (a *aggScope) fix() {
	nk := len(a.keys)
	for _, c := range a.aggCols {
		c.Idx = nk + (-1 - c.Idx)
	}
	for _, w := range a.winCols {
		w.col.Idx = nk + len(a.calls)
		if w.end {
			w.col.Idx++
		}
	}
}

func (a *aggScope) aliases() []string {
	var out []string
	for _, it := range a.items {
		if it.Alias != nil {
			out = append(out, it.Alias.Name())
		}
	}
	return out
}

// containsAggregate reports whether e calls an aggregate (outside OVER).
func containsAggregate(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if c, ok := n.(*ast.Call); ok && c.Over == nil && agg.IsAggregate(c.Name.Name()) {
			found = true
		}
		return !found
	})
	return found
}

// bindSelect binds one SELECT into a plan.
func (b *binder) bindSelect(sel *ast.SelectStmt, sinkName string, props []ast.Property) *plan.Query {
	if sel.From == nil {
		return nil
	}
	if sel.Distinct {
		b.errs.AddHint(sel.Pos(), sel.Pos(), "group instead: SELECT a, b FROM t GROUP BY a, b (one row per distinct pair, as it changes)",
			"SELECT DISTINCT is not supported on streams")
	}
	refs, joins := flattenFrom(sel.From)
	if refs == nil {
		b.errorf(sel.From, "unsupported FROM clause")
		return nil
	}
	var names []string
	for _, r := range refs {
		names = append(names, r.Name.Name())
	}
	if sinkName != "" {
		names = append(names, sinkName)
	}
	grouped := b.groupProps(props, names)
	var rels []*relation
	q := &plan.Query{}
	seen := map[*plan.Source]bool{}
	for _, ref := range refs {
		rel := b.bindSource(ref, grouped)
		for _, other := range rels {
			if strings.EqualFold(other.alias, rel.alias) {
				b.hintf(ref, "give each an alias: FROM "+ref.Name.Name()+" a JOIN "+ref.Name.Name()+" b ON ...", "%q appears twice in FROM", rel.alias)
				return nil
			}
		}
		rels = append(rels, rel)
		srcs := []*plan.Source{rel.src}
		if rel.src.Query != nil {
			srcs = rel.src.Query.Sources
		}
		for _, src := range srcs {
			if !seen[src] {
				seen[src] = true
				q.Sources = append(q.Sources, src)
			}
		}
	}
	s := &scope{b: b, rels: rels}

	// Event time: the window's time column, else each source's event.time.field.
	if w := sel.Window; w != nil && w.TimeCol != nil {
		if id, ok := w.TimeCol.(*ast.Ident); ok {
			mark := len(s.pending)
			if _, ok := s.resolveColumn(id); ok {
				p := s.pending[mark]
				if p.rel.src.IsTable() && len(rels) > 1 {
					b.hintf(w.TimeCol, "window by a column of the stream", "the window's time column %s belongs to table %q", ast.Format(id), p.rel.src.Name)
				} else {
					p.rel.src.TimeCol = p.idx
				}
			}
		} else {
			b.errorf(w.TimeCol, "the window's time column must be a column name")
		}
	}
	for _, rel := range rels {
		if f := rel.src.Props["event.time.field"]; f != "" && rel.src.TimeCol < 0 {
			if i := rel.column(f); i >= 0 {
				rel.src.TimeCol = i
			} else {
				b.hintf(rel.ref, "declared columns: "+strings.Join(rel.src.Declared.Names(), ", "), "source %q: event.time.field %q is not a column", rel.src.Name, f)
			}
		}
	}

	var on []ast.Expr
	for _, j := range joins {
		on = append(on, j.On)
	}
	s.prepass(sel, on...)
	var root plan.Node = &plan.Scan{Source: rels[0].src}
	var in *joinInput
	if len(joins) > 0 {
		if root, in = b.bindJoins(s, joins); root == nil {
			return nil
		}
		if w := sel.Window; w != nil && w.TimeCol != nil && in.driver == nil {
			b.hintf(w.TimeCol, "write the window without a time column, e.g. WINDOW TUMBLING(INTERVAL '1' HOUR); set the streams' event times with event.time.field",
				"after a join of two streams, windows use the joined rows' event time (the later of the two rows' times), not a column")
			return nil
		}
	} else {
		in = &joinInput{driver: rels[0]}
	}
	if sel.Where != nil {
		s.clause = "WHERE"
		if pred := s.bind(sel.Where); pred != nil {
			s.wantBool(pred, sel.Where, "WHERE")
			root = &plan.Filter{Input: root, Pred: pred}
		}
		s.clause = ""
	}

	isGrouped := len(sel.GroupBy) > 0 || sel.Window != nil || (sel.Having != nil)
	for _, it := range sel.Items {
		if it.Expr != nil && containsAggregate(it.Expr) {
			isGrouped = true
		}
	}
	emit := sel.Emit
	if sel.Limit != nil {
		q.Limit = sel.Limit.N
		if q.Limit <= 0 {
			b.errs.Addf(sel.Limit.Start, sel.Limit.Stop, "LIMIT must be positive")
		}
	}
	if isGrouped {
		root = b.bindGrouped(sel, s, root, q)
	} else {
		if emit == ast.EmitFinal {
			b.errs.AddHint(sel.EmitPos, sel.EmitPos, "add a WINDOW clause, or use EMIT CHANGES", "EMIT FINAL needs a windowed query: without a window no result is ever final")
		}
		if len(sel.OrderBy) > 0 {
			b.errorf(sel.OrderBy[0].Expr, "ORDER BY needs a windowed aggregation with EMIT FINAL (it sorts each window's rows); a stream has no end to sort")
		}
		q.Emit = ast.EmitChanges
		s.over = &overScope{driver: in.driver}
		root = b.bindProject(sel, s, root, q)
	}
	if root == nil {
		return nil
	}
	s.fix()
	finishSchemas(root)
	q.Root = root
	q.Output = root.Schema()
	q.Sink = b.bindSink(sinkName, grouped)
	return q
}

// finishSchemas computes the row schemas of joins and window function nodes
// once every column of every relation is known.
func finishSchemas(n plan.Node) {
	for _, c := range n.Children() {
		finishSchemas(c)
	}
	switch x := n.(type) {
	case *plan.Join:
		x.Out = append(append(types.Schema(nil), x.Left.Schema()...), x.Right.Schema()...)
	case *plan.Over:
		x.Out = append(types.Schema(nil), x.Input.Schema()...)
		for _, p := range x.Partitions {
			for _, f := range p.Funcs {
				x.Out = append(x.Out, types.Column{Name: f.Name, Type: f.Type})
			}
		}
	}
}

// bindProject binds a query without aggregation: one output row per input row.
func (b *binder) bindProject(sel *ast.SelectStmt, s *scope, input plan.Node, q *plan.Query) plan.Node {
	var exprs []expr.Expr
	var out types.Schema
	namer := newNamer()
	b.itemCols = b.itemCols[:0]
	for i := range sel.Items {
		it := &sel.Items[i]
		b.itemCols = append(b.itemCols, -1)
		if it.Star {
			added := false
			for _, r := range s.rels {
				if it.Qualifier != "" && !strings.EqualFold(it.Qualifier, r.alias) && !strings.EqualFold(it.Qualifier, r.src.Name) {
					continue
				}
				added = true
				if r.open {
					if !b.opts.Validate {
						b.hintf(it, "declare its columns (CREATE STREAM "+r.src.Name+" (col TYPE, ...) WITH (...)) or list the columns you want",
							"SELECT * needs the columns of %q, which are not known before its data is read", r.src.Name)
					}
					continue
				}
				for _, c := range r.src.Declared {
					idx := r.column(c.Name)
					col := expr.NewCol(-1, c.Name, c.Type, span(it))
					s.pending = append(s.pending, pendingCol{col: col, rel: r, idx: idx})
					exprs = append(exprs, col)
					out = append(out, types.Column{Name: namer.name(c.Name), Type: c.Type})
				}
			}
			if !added {
				b.errorf(it, "unknown source %q in %s.*", it.Qualifier, it.Qualifier)
			}
			continue
		}
		x := s.bind(it.Expr)
		if x == nil {
			continue
		}
		b.itemCols[i] = len(exprs)
		exprs = append(exprs, x)
		out = append(out, types.Column{Name: namer.name(itemName(it, i)), Type: x.Type()})
	}
	if len(exprs) == 0 && !b.opts.Validate {
		return nil
	}
	return &plan.Project{Input: s.over.wrap(input), Exprs: exprs, Out: out}
}

// bindGrouped binds GROUP BY / WINDOW / aggregates / HAVING / ORDER BY.
func (b *binder) bindGrouped(sel *ast.SelectStmt, s *scope, input plan.Node, q *plan.Query) plan.Node {
	a := &aggScope{windowed: sel.Window != nil, items: sel.Items}
	node := &plan.Aggregate{Input: input}
	if sel.Window != nil {
		node.Window = b.bindWindow(sel.Window)
		q.Windowed = true
	}
	// Group keys: expressions over the input; an alias or ordinal of the
	// SELECT list stands for that item's expression.
	s.clause = "GROUP BY"
	for _, g := range sel.GroupBy {
		g = b.resolveGroupAlias(g, sel, s)
		if g == nil {
			continue
		}
		k := s.bind(g)
		if k == nil {
			continue
		}
		a.keys = append(a.keys, g)
		a.keyExprs = append(a.keyExprs, k)
		a.keyText = append(a.keyText, canonical(g))
	}
	s.clause = ""
	s.agg = a
	namer := newNamer()
	var out types.Schema
	hasStart, hasEnd := false, false
	b.itemCols = b.itemCols[:0]
	for i := range sel.Items {
		it := &sel.Items[i]
		b.itemCols = append(b.itemCols, -1)
		if it.Star {
			b.hintf(it, "list the group keys and aggregates you want", "SELECT * cannot be used with GROUP BY or aggregates")
			continue
		}
		x := s.bind(it.Expr)
		if x == nil {
			continue
		}
		name := namer.name(itemName(it, i))
		switch strings.ToLower(name) {
		case "window_start":
			hasStart = true
		case "window_end":
			hasEnd = true
		}
		b.itemCols[i] = len(node.Output)
		node.Output = append(node.Output, x)
		out = append(out, types.Column{Name: name})
	}
	// Windowed results always carry their window's bounds.
	if a.windowed {
		if !hasStart {
			c := expr.NewCol(-1, "window_start", types.Timestamp, span(sel.Window))
			a.winCols = append(a.winCols, winCol{col: c})
			node.Output = append(node.Output, c)
			out = append(out, types.Column{Name: namer.name("window_start")})
		}
		if !hasEnd {
			c := expr.NewCol(-1, "window_end", types.Timestamp, span(sel.Window))
			a.winCols = append(a.winCols, winCol{col: c, end: true})
			node.Output = append(node.Output, c)
			out = append(out, types.Column{Name: namer.name("window_end")})
		}
	}
	if sel.Having != nil {
		if h := s.bind(sel.Having); h != nil {
			s.wantBool(h, sel.Having, "HAVING")
			node.Having = h
		}
	}
	switch sel.Emit {
	case ast.EmitDefault:
		node.Emit = ast.EmitChanges
		if a.windowed {
			node.Emit = ast.EmitFinal
		}
	default:
		node.Emit = sel.Emit
	}
	if node.Emit == ast.EmitFinal && !a.windowed {
		b.errs.AddHint(sel.EmitPos, sel.EmitPos, "add a WINDOW clause, or use EMIT CHANGES", "EMIT FINAL needs a windowed query: without a window no result is ever final")
	}
	q.Emit = node.Emit
	s.agg = nil
	a.fix()
	node.Keys = a.keyExprs
	node.Aggs = a.calls
	for i := range out {
		if i < len(node.Output) {
			out[i].Type = node.Output[i].Type()
		}
	}
	node.Out = out
	// ORDER BY sorts each window's final rows; it names output columns.
	for _, o := range sel.OrderBy {
		if !a.windowed || node.Emit != ast.EmitFinal {
			b.errorf(o.Expr, "ORDER BY needs a windowed aggregation with EMIT FINAL (it sorts each window's rows)")
			break
		}
		idx := -1
		if id, ok := unparen(o.Expr).(*ast.Ident); ok && len(id.Parts) == 1 {
			idx = out.Index(id.Name())
		}
		if lit, ok := o.Expr.(*ast.Literal); ok && lit.Kind == ast.LitInt {
			if n, err := strconv.Atoi(lit.Raw); err == nil && n >= 1 && n <= len(out) {
				idx = n - 1
			}
		}
		if idx < 0 {
			for i, it := range sel.Items {
				if it.Expr != nil && canonical(it.Expr) == canonical(o.Expr) {
					idx = i
				}
			}
		}
		if idx < 0 {
			b.hintf(o.Expr, "output columns: "+strings.Join(out.Names(), ", "), "ORDER BY must name an output column")
			continue
		}
		node.OrderBy = append(node.OrderBy, plan.SortKey{Expr: expr.NewCol(idx, out[idx].Name, out[idx].Type, span(o.Expr)), Desc: o.Desc})
	}
	return node
}

// resolveGroupAlias maps a GROUP BY alias or ordinal to its SELECT item.
func (b *binder) resolveGroupAlias(g ast.Expr, sel *ast.SelectStmt, s *scope) ast.Expr {
	if lit, ok := g.(*ast.Literal); ok && lit.Kind == ast.LitInt {
		n, err := strconv.Atoi(lit.Raw)
		if err != nil || n < 1 || n > len(sel.Items) || sel.Items[n-1].Expr == nil {
			b.errorf(g, "GROUP BY position %s is not in the SELECT list", lit.Raw)
			return nil
		}
		return sel.Items[n-1].Expr
	}
	id, ok := g.(*ast.Ident)
	if !ok || len(id.Parts) != 1 {
		return g
	}
	for _, it := range sel.Items {
		if it.Alias == nil || !strings.EqualFold(it.Alias.Name(), id.Name()) {
			continue
		}
		if inner, ok := unparen(it.Expr).(*ast.Ident); ok && strings.EqualFold(inner.Name(), id.Name()) {
			return g
		}
		// A real column of a declared schema wins over an alias, as in SQL.
		for _, r := range s.rels {
			if r.src.Declared != nil && r.src.Declared.Index(id.Name()) >= 0 {
				return g
			}
		}
		if containsAggregate(it.Expr) {
			b.errorf(g, "GROUP BY %s names an aggregate", id.Name())
			return nil
		}
		return it.Expr
	}
	return g
}

// bindWindow converts the WINDOW clause.
func (b *binder) bindWindow(w *ast.WindowClause) *plan.Window {
	out := &plan.Window{Kind: w.Kind}
	if w.Size != nil {
		out.Size = w.Size.Millis
	}
	if w.Advance != nil {
		out.Advance = w.Advance.Millis
	}
	if out.Size <= 0 {
		b.errorf(w, "%s window needs a positive size", w.Kind)
	}
	if w.Kind == ast.Sliding {
		switch {
		case out.Advance <= 0:
			b.hintf(w, "write SLIDING(size, advance), e.g. SLIDING(INTERVAL '5' MINUTE, INTERVAL '1' MINUTE)", "SLIDING window needs a positive advance")
		case out.Advance > out.Size:
			b.errorf(w.Advance, "SLIDING advance (%s) is longer than its size (%s): records between windows would be lost", w.Advance.Text, w.Size.Text)
		case out.Size%out.Advance != 0:
			b.errorf(w.Advance, "SLIDING size (%s) must be a multiple of its advance (%s)", w.Size.Text, w.Advance.Text)
		}
	}
	return out
}

// bindSink binds the query's output: the CREATE ... AS target's WITH
// properties, the CLI's --sink, or standard output.
func (b *binder) bindSink(name string, grouped map[string]map[string]string) *plan.Sink {
	sink := &plan.Sink{Name: name, Type: "stdout", Props: map[string]string{}, Format: "json"}
	if name == "" {
		sink.Name = "stdout"
	}
	for k, v := range grouped[strings.ToLower(name)] {
		sink.Props[k] = v
	}
	if !b.inDerived {
		for k, v := range b.opts.Sink {
			sink.Props[k] = v
		}
	}
	if t := sink.Props["type"]; t != "" {
		sink.Type = t
	} else if sink.Props["path"] != "" {
		sink.Type = "file_sink"
	} else if sink.Props["topic"] != "" {
		sink.Type = "kafka_sink"
	}
	switch sink.Type {
	case "file_source":
		sink.Type = "file_sink"
	case "stdin":
		sink.Type = "stdout"
	case "kafka_source":
		sink.Type = "kafka_sink"
	}
	if f := sink.Props["format"]; f != "" {
		sink.Format = f
	} else if strings.HasSuffix(strings.ToLower(sink.Props["path"]), ".csv") {
		// The file connector also picks CSV from the extension: agree
		// with it, or the file would get a CSV header and JSON rows.
		sink.Format = "csv"
	}
	return sink
}

// itemName is the output name of a SELECT item: its alias, its column
// name, or a name derived from the expression (SUM(quantity) -> sum_quantity).
func itemName(it *ast.SelectItem, i int) string {
	if it.Alias != nil {
		return it.Alias.Name()
	}
	switch e := unparen(it.Expr).(type) {
	case *ast.Ident:
		return e.Name()
	case *ast.Call:
		name := strings.ToLower(e.Name.Name())
		if e.Star {
			return name
		}
		var parts []string
		for _, a := range e.Args {
			if id, ok := unparen(a).(*ast.Ident); ok {
				parts = append(parts, strings.ToLower(id.Name()))
			}
		}
		if len(e.WithinGroup) == 1 {
			if id, ok := unparen(e.WithinGroup[0].Expr).(*ast.Ident); ok {
				parts = append(parts, strings.ToLower(id.Name()))
			}
		}
		if len(parts) > 0 && len(parts) == len(e.Args)+len(e.WithinGroup) {
			if e.Distinct {
				name += "_distinct"
			}
			return name + "_" + strings.Join(parts, "_")
		}
		if len(parts) > 0 && len(e.WithinGroup) == 1 {
			return name + "_" + parts[len(parts)-1]
		}
		return name
	case *ast.Extract:
		return strings.ToLower(e.Field)
	}
	return fmt.Sprintf("col_%d", i+1)
}

// namer keeps output names unique (a second "count" becomes "count_2").
type namer struct{ seen map[string]int }

func newNamer() *namer { return &namer{seen: map[string]int{}} }

func (n *namer) name(s string) string {
	k := strings.ToLower(s)
	n.seen[k]++
	if c := n.seen[k]; c > 1 {
		return fmt.Sprintf("%s_%d", s, c)
	}
	return s
}
