package binder

import (
	"fmt"
	"strings"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

// Joins are left-deep: `a JOIN b ON ... JOIN c ON ...` joins a with b, then
// that with c. The joined row is the relations' columns in FROM order, so
// every join's row is a prefix of the final one and the left side's key
// expressions, bound over the whole row, read the left row as they are. The
// right side's keys are bound again over the right row alone.

// flattenFrom lists the sources of a left-deep FROM tree in order, with the
// joins between them: joins[i] joins refs[:i+1] with refs[i+1].
func flattenFrom(f ast.FromItem) ([]*ast.SourceRef, []*ast.Join) {
	switch x := f.(type) {
	case *ast.SourceRef:
		return []*ast.SourceRef{x}, nil
	case *ast.Join:
		refs, joins := flattenFrom(x.Left)
		r, ok := x.Right.(*ast.SourceRef)
		if !ok || refs == nil {
			return nil, nil
		}
		return append(refs, r), append(joins, x)
	}
	return nil, nil
}

// joinInput is the left input of the next join: a scan or the joins so far.
type joinInput struct {
	node plan.Node
	rels []*relation
	// driver is the stream whose event time the input's rows carry; nil
	// after a join of two streams (a joined row's time is the later of its
	// two rows' times, which no column holds) and for a lone table.
	driver *relation
	stream bool // the input is a stream (a table only when it is a lone table)
}

// bindJoins builds the join tree over s.rels.
func (b *binder) bindJoins(s *scope, joins []*ast.Join) (plan.Node, *joinInput) {
	first := s.rels[0]
	in := &joinInput{node: &plan.Scan{Source: first.src}, rels: s.rels[:1], stream: !first.src.IsTable()}
	if in.stream {
		in.driver = first
	}
	s.clause = "ON"
	defer func() { s.clause = "" }()
	for i, j := range joins {
		next := b.bindJoin(s, j, in, s.rels[i+1])
		if next == nil {
			return nil, nil
		}
		in = next
	}
	return in.node, in
}

// timeBounds collects the bounds of tr - tl written in ON.
type timeBounds struct {
	any          bool
	hasLo, hasHi bool
	lo, hi       int64
	at           ast.Node // the first time condition, for messages
}

func (b *binder) bindJoin(s *scope, j *ast.Join, left *joinInput, right *relation) *joinInput {
	node := &plan.Join{Kind: j.Kind, Left: left.node, Right: &plan.Scan{Source: right.src}, Pos: j.Pos()}
	rightTable := right.src.IsTable()
	switch {
	case !left.stream && rightTable:
		b.hintf(j, "join a stream with a table: one side must be a stream", "a join of two tables is not supported")
		return nil
	case rightTable:
		node.Table = 1
		if j.Kind == ast.RightJoin || j.Kind == ast.FullJoin {
			b.hintf(j, "use JOIN or LEFT JOIN: a stream-table join emits stream rows, and a table's rows are never emitted on their own",
				"%s with table %q on the right is not supported", j.Kind, right.src.Name)
			return nil
		}
	case !left.stream:
		node.Table = -1
		if j.Kind == ast.LeftJoin || j.Kind == ast.FullJoin {
			b.hintf(j, "put the stream on the left: "+right.alias+" LEFT JOIN "+left.rels[0].alias+" ON ...",
				"%s with table %q on the left is not supported", j.Kind, left.rels[0].src.Name)
			return nil
		}
	}
	if node.Table != 0 && j.Within != nil {
		b.hintf(j.Within, "remove WITHIN: a stream row is joined with the table as it stands when the row is processed",
			"WITHIN bounds a join of two streams; it cannot be used with table %q", tableOf(node, left, right).src.Name)
		return nil
	}
	if _, bad := j.On.(*ast.BadExpr); bad || j.On == nil {
		return nil // the parser reported it
	}
	var tb timeBounds
	ok := true
	for _, c := range splitAnd(j.On) {
		if !b.joinConjunct(s, c, node, left, right, &tb) {
			ok = false
		}
	}
	if !ok {
		return nil
	}
	if len(node.LeftKeys) == 0 {
		b.hintf(j.On, "add an equality between the two sides, e.g. ON t.customer_id = c.id", "a join needs at least one equality between its two sides")
		return nil
	}
	out := &joinInput{node: node, rels: append(append([]*relation{}, left.rels...), right), stream: true}
	if node.Table != 0 {
		out.driver = left.driver
		if node.Table == -1 {
			out.driver = right
			if !b.tableKey(s, left.rels[0], node, false) {
				return nil
			}
		} else if !b.tableKey(s, right, node, true) {
			return nil
		}
		return out
	}
	// Two streams: a time bound is required so that state stays bounded.
	switch {
	case j.Within != nil && tb.any:
		b.hintf(tb.at, "keep either WITHIN or the time condition", "this join has both WITHIN and a time condition in ON")
		return nil
	case j.Within != nil:
		node.Lo, node.Hi = -j.Within.Millis, j.Within.Millis
		if j.Within.Millis < 0 {
			b.errorf(j.Within, "WITHIN needs a non-negative interval")
			return nil
		}
	case !tb.any:
		b.hintf(j, "add WITHIN INTERVAL '5' MINUTE after ON, or a time condition such as AND "+right.alias+".ts BETWEEN "+aliasOf(left)+".ts AND "+aliasOf(left)+".ts + INTERVAL '1' HOUR",
			"a join of two streams needs a time bound: without one every row would be kept forever")
		return nil
	case !tb.hasLo || !tb.hasHi:
		b.hintf(tb.at, "bound it on both sides, e.g. "+right.alias+".ts BETWEEN "+aliasOf(left)+".ts AND "+aliasOf(left)+".ts + INTERVAL '1' HOUR",
			"the time condition of a join of two streams needs a lower and an upper bound")
		return nil
	case tb.lo > tb.hi:
		b.errorf(tb.at, "the time condition can never hold: its lower bound is after its upper bound")
		return nil
	default:
		node.Lo, node.Hi = tb.lo, tb.hi
	}
	return out
}

func aliasOf(in *joinInput) string {
	if in.driver != nil {
		return in.driver.alias
	}
	return in.rels[0].alias
}

func tableOf(node *plan.Join, left *joinInput, right *relation) *relation {
	if node.Table == -1 {
		return left.rels[0]
	}
	return right
}

// splitAnd lists the conjuncts of e.
func splitAnd(e ast.Expr) []ast.Expr {
	if x, ok := unparen(e).(*ast.Binary); ok && x.Op == ast.OpAnd {
		return append(splitAnd(x.L), splitAnd(x.R)...)
	}
	return []ast.Expr{e}
}

// joinConjunct binds one conjunct of ON: an equality between the sides, or
// (joins of two streams) a bound on the difference of their event times.
func (b *binder) joinConjunct(s *scope, c ast.Expr, node *plan.Join, left *joinInput, right *relation, tb *timeBounds) bool {
	switch x := unparen(c).(type) {
	case *ast.Binary:
		switch x.Op {
		case ast.OpEq:
			return b.joinEquality(s, x, node, left, right)
		case ast.OpLt, ast.OpLe, ast.OpGt, ast.OpGe:
			if node.Table == 0 && b.isTimeCondition(s, x.L, x.R) {
				return b.timeCompare(s, x.L, x.Op, x.R, c, left, right, tb)
			}
		}
	case *ast.Between:
		if node.Table == 0 && !x.Not && b.isTimeCondition(s, x.X, x.Lo, x.Hi) {
			return b.timeCompare(s, x.X, ast.OpGe, x.Lo, c, left, right, tb) &&
				b.timeCompare(s, x.X, ast.OpLe, x.Hi, c, left, right, tb)
		}
	}
	hint := "write equalities between the two sides joined by AND, e.g. ON t.customer_id = c.id; filter rows in WHERE"
	if node.Table == 0 {
		hint = "write equalities between the two sides, plus an optional time bound such as " + right.alias + ".ts BETWEEN " + aliasOf(left) + ".ts AND " + aliasOf(left) + ".ts + INTERVAL '1' HOUR"
	}
	b.hintf(c, hint, "join condition %s is not an equality between the two sides: only equi-joins are supported", ast.Format(c))
	return false
}

// relsSince lists the relations the column references bound since mark read.
func (s *scope) relsSince(mark int) []*relation {
	var out []*relation
	for _, p := range s.pending[mark:] {
		found := false
		for _, r := range out {
			if r == p.rel {
				found = true
			}
		}
		if !found {
			out = append(out, p.rel)
		}
	}
	return out
}

func within(rels []*relation, set []*relation) bool {
	for _, r := range rels {
		ok := false
		for _, x := range set {
			if r == x {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (b *binder) joinEquality(s *scope, x *ast.Binary, node *plan.Join, left *joinInput, right *relation) bool {
	mark := len(s.pending)
	l := s.bind(x.L)
	lrels := s.relsSince(mark)
	mark = len(s.pending)
	r := s.bind(x.R)
	rrels := s.relsSince(mark)
	if l == nil || r == nil {
		return false
	}
	onlyRight := []*relation{right}
	var rAST ast.Expr
	var lx expr.Expr
	switch {
	case len(lrels) > 0 && len(rrels) > 0 && within(lrels, left.rels) && within(rrels, onlyRight):
		rAST, lx = x.R, l
	case len(lrels) > 0 && len(rrels) > 0 && within(rrels, left.rels) && within(lrels, onlyRight):
		rAST, lx = x.L, r
	case len(lrels) == 0 || len(rrels) == 0:
		b.hintf(x, "join conditions compare the two sides; filter rows with WHERE instead",
			"join condition %s does not compare the two sides of the join", ast.Format(x))
		return false
	default:
		b.hintf(x, "each side of = must read only one side of the join: the left ("+relNames(left.rels)+") or the right ("+right.alias+")",
			"join condition %s mixes columns of both sides on one side of =", ast.Format(x))
		return false
	}
	s.checkComparable(l, r, x)
	// The right side's key is bound again over the right row alone.
	sub := &scope{b: b, rels: []*relation{{src: right.src, alias: right.alias, ref: right.ref, open: right.open, derived: right.derived}}, clause: "ON"}
	rx := sub.bind(rAST)
	if rx == nil {
		return false
	}
	s.subs = append(s.subs, sub)
	node.LeftKeys = append(node.LeftKeys, lx)
	node.RightKeys = append(node.RightKeys, rx)
	return true
}

func relNames(rels []*relation) string {
	names := make([]string, len(rels))
	for i, r := range rels {
		names[i] = r.alias
	}
	return strings.Join(names, ", ")
}

// isTimeCondition tells a bound on event times (a.ts + INTERVAL '1' HOUR,
// a TIMESTAMP column, a source's event-time column) from a comparison of
// other values, which a join cannot take.
func (b *binder) isTimeCondition(s *scope, terms ...ast.Expr) bool {
	for _, t := range terms {
		t = unparen(t)
		if x, ok := t.(*ast.Binary); ok && (x.Op == ast.OpAdd || x.Op == ast.OpSub) {
			_, l := unparen(x.L).(*ast.IntervalLit)
			_, r := unparen(x.R).(*ast.IntervalLit)
			if l || r {
				return true
			}
		}
		id, ok := t.(*ast.Ident)
		if !ok {
			continue
		}
		errs, mark := len(b.errs), len(s.pending)
		_, found := s.resolveColumn(id)
		b.errs = b.errs[:errs]
		if !found {
			continue
		}
		p := s.pending[mark]
		s.pending = s.pending[:mark]
		if p.rel.src.TimeCol == p.idx || p.rel.src.Columns[p.idx].Type.Kind == types.KindTimestamp {
			return true
		}
	}
	return false
}

// timeTerm reads `col`, `col + INTERVAL` or `col - INTERVAL` (and
// `INTERVAL + col`): a column and a constant offset in milliseconds.
func (b *binder) timeTerm(s *scope, e ast.Expr) (rel *relation, idx int, off int64, ok bool) {
	switch x := unparen(e).(type) {
	case *ast.Ident:
		mark := len(s.pending)
		if _, found := s.resolveColumn(x); !found {
			return nil, 0, 0, false
		}
		p := s.pending[mark]
		return p.rel, p.idx, 0, true
	case *ast.Binary:
		if x.Op != ast.OpAdd && x.Op != ast.OpSub {
			break
		}
		if iv, isIv := unparen(x.R).(*ast.IntervalLit); isIv {
			rel, idx, off, ok := b.timeTerm(s, x.L)
			if x.Op == ast.OpSub {
				return rel, idx, off - iv.Millis, ok
			}
			return rel, idx, off + iv.Millis, ok
		}
		if iv, isIv := unparen(x.L).(*ast.IntervalLit); isIv && x.Op == ast.OpAdd {
			rel, idx, off, ok := b.timeTerm(s, x.R)
			return rel, idx, off + iv.Millis, ok
		}
	}
	b.hintf(e, "write a time column, optionally plus or minus an INTERVAL, e.g. a.ts + INTERVAL '1' HOUR",
		"%s is not a time column of one side of the join", ast.Format(e))
	return nil, 0, 0, false
}

// timeCompare binds `p op q` between time terms of the two sides as a bound
// on tr - tl, the right row's event time minus the left row's.
func (b *binder) timeCompare(s *scope, p ast.Expr, op ast.BinaryOp, q ast.Expr, at ast.Node, left *joinInput, right *relation, tb *timeBounds) bool {
	prel, pidx, poff, ok1 := b.timeTerm(s, p)
	qrel, qidx, qoff, ok2 := b.timeTerm(s, q)
	if !ok1 || !ok2 {
		return false
	}
	// Orient as right-term op left-term: tr + rOff op tl + lOff.
	var lrel, rrel *relation
	var lidx, ridx int
	var lOff, rOff int64
	var lExpr, rExpr ast.Expr
	switch {
	case prel == right && within([]*relation{qrel}, left.rels):
		rrel, ridx, rOff, rExpr = prel, pidx, poff, p
		lrel, lidx, lOff, lExpr = qrel, qidx, qoff, q
	case qrel == right && within([]*relation{prel}, left.rels):
		rrel, ridx, rOff, rExpr = qrel, qidx, qoff, q
		lrel, lidx, lOff, lExpr = prel, pidx, poff, p
		op = flip(op)
	default:
		b.hintf(at, "compare a time column of the right side ("+right.alias+") with one of the left side, e.g. "+right.alias+".ts BETWEEN "+aliasOf(left)+".ts AND "+aliasOf(left)+".ts + INTERVAL '1' HOUR",
			"time condition %s does not compare the two sides of the join", ast.Format(at.(ast.Expr)))
		return false
	}
	if left.driver == nil || lrel != left.driver {
		hint := "use WITHIN INTERVAL '...' after ON: it bounds the joined rows' own event time"
		if left.driver != nil {
			hint = "use the event time of " + left.driver.alias
		}
		b.hintf(lExpr, hint, "%s is not the event time of the join's left input", ast.Format(lExpr))
		return false
	}
	if !b.setTime(lrel, lidx, lExpr, "the join's time condition") || !b.setTime(rrel, ridx, rExpr, "the join's time condition") {
		return false
	}
	// tr + rOff op tl + lOff  <=>  tr - tl op lOff - rOff
	d := lOff - rOff
	switch op {
	case ast.OpGe:
		tb.setLo(d)
	case ast.OpGt:
		tb.setLo(d + 1) // times are whole milliseconds
	case ast.OpLe:
		tb.setHi(d)
	case ast.OpLt:
		tb.setHi(d - 1)
	}
	if !tb.any {
		tb.any, tb.at = true, at
	}
	return true
}

func (tb *timeBounds) setLo(d int64) {
	if !tb.hasLo || d > tb.lo {
		tb.lo, tb.hasLo = d, true
	}
}

func (tb *timeBounds) setHi(d int64) {
	if !tb.hasHi || d < tb.hi {
		tb.hi, tb.hasHi = d, true
	}
}

func flip(op ast.BinaryOp) ast.BinaryOp {
	switch op {
	case ast.OpLt:
		return ast.OpGt
	case ast.OpLe:
		return ast.OpGe
	case ast.OpGt:
		return ast.OpLt
	case ast.OpGe:
		return ast.OpLe
	}
	return op
}

// setTime makes column idx the event time of rel, unless another column
// already is.
func (b *binder) setTime(rel *relation, idx int, at ast.Node, why string) bool {
	src := rel.src
	if src.TimeCol >= 0 && src.TimeCol != idx {
		b.hintf(at, "use "+rel.alias+"."+src.Columns[src.TimeCol].Name+", or change the source's event.time.field",
			"%s uses %s, but the event time of %q is %s", why, src.Columns[idx].Name, src.Name, src.Columns[src.TimeCol].Name)
		return false
	}
	src.TimeCol = idx
	return true
}

// tableKey resolves the key of a table side and orders the join's keys so
// that, when the table's side of the equalities is exactly its key, rows are
// found by key without an index.
func (b *binder) tableKey(s *scope, rel *relation, node *plan.Join, right bool) bool {
	src := rel.src
	if !rel.derived {
		var fields []string
		for _, f := range strings.Split(src.KeyField, ",") {
			if f = strings.TrimSpace(f); f != "" {
				fields = append(fields, f)
			}
		}
		if len(fields) == 0 && src.Type == "kafka_source" {
			fields = []string{"_key"} // a Kafka table is keyed by its record key
		}
		if len(fields) == 0 {
			if b.opts.Validate && src.Type == "" {
				return true
			}
			b.hintf(rel.ref, fmt.Sprintf("name its key column: WITH ('%s.key.field' = 'id')", src.Name),
				"table %q has no key: a table keeps the latest row per key", src.Name)
			return false
		}
		src.KeyCols = src.KeyCols[:0]
		for _, f := range fields {
			i := rel.column(f)
			if i < 0 {
				hint := ""
				if src.Declared != nil {
					hint = "columns: " + strings.Join(src.Declared.Names(), ", ")
				}
				b.hintf(rel.ref, hint, "table %q: key.field %q is not a column", src.Name, f)
				return false
			}
			src.KeyCols = append(src.KeyCols, i)
		}
		if i := src.Columns.Index("_deleted"); i >= 0 {
			src.DeletedCol = i
		} else {
			src.Columns = append(src.Columns, types.Column{Name: "_deleted", Type: types.Any})
			src.DeletedCol = len(src.Columns) - 1
		}
	}
	keys := node.LeftKeys
	if right {
		keys = node.RightKeys
	}
	if len(keys) != len(src.KeyCols) {
		return true
	}
	// Reorder the pairs to follow the key's column order when the table's
	// keys are its key columns in some order.
	perm := make([]int, len(keys))
	for i, kc := range src.KeyCols {
		perm[i] = -1
		for j, k := range keys {
			if c, ok := k.(*expr.Col); ok && c.Idx == kc {
				perm[i] = j
			}
		}
		if perm[i] < 0 {
			return true
		}
	}
	l, r := make([]expr.Expr, len(perm)), make([]expr.Expr, len(perm))
	for i, j := range perm {
		l[i], r[i] = node.LeftKeys[j], node.RightKeys[j]
	}
	node.LeftKeys, node.RightKeys = l, r
	return true
}
