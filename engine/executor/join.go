package executor

import (
	"context"
	"fmt"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

// Joins. A join has two inputs; each reaches it through a joinSide, so the
// operators before it need not know which side they feed. Both sides see
// every watermark and the end of input (through each of its pipeline's
// entries): a join acts on the first and ignores the repeats.
//
// The joined row is the left row followed by the right row; a side without
// a match is all NULLs. Operators after a join copy what they keep, so one
// output row is reused.

// joiner is a two-input operator.
type joiner interface {
	pushSide(side int, r *rec) error
	advance(wm int64) error
	finish() error
	pendingOffsets(src int, offsets map[int32]int64)
	setTracking()
	setReplayed(wm int64)
}

// joinSide is one input of a join, as an operator.
type joinSide struct {
	j    joiner
	side int
}

func (s *joinSide) push(r *rec) error                               { return s.j.pushSide(s.side, r) }
func (s *joinSide) advance(wm int64) error                          { return s.j.advance(wm) }
func (s *joinSide) finish() error                                   { return s.j.finish() }
func (s *joinSide) pendingOffsets(src int, offsets map[int32]int64) { s.j.pendingOffsets(src, offsets) }
func (s *joinSide) setTracking()                                    { s.j.setTracking() }
func (s *joinSide) setReplayed(wm int64)                            { s.j.setReplayed(wm) }

// tableFeed turns the output rows of a table's defining query into updates
// of the table.
type tableFeed struct{ side operator }

func (f *tableFeed) Emit(row types.Row, t int64) error {
	return f.side.push(&rec{row: row, t: t})
}
func (*tableFeed) Flush(context.Context) error { return nil }
func (*tableFeed) Close() error                { return nil }

// Forwarding helpers for the optional operator interfaces.

func forwardPending(next operator, src int, offsets map[int32]int64) {
	if p, ok := next.(pendingOffsets); ok {
		p.pendingOffsets(src, offsets)
	}
}

func forwardTracking(next operator) {
	if p, ok := next.(replayer); ok {
		p.setTracking()
	}
}

func forwardReplayed(next operator, wm int64) {
	if p, ok := next.(replayer); ok {
		p.setReplayed(wm)
	}
}

// copyProv keeps where a record came from past its batch (without the key
// and headers, which may live in the source's buffers).
func copyProv(p *connectors.Provenance) connectors.Provenance {
	if p == nil {
		return connectors.Provenance{}
	}
	return connectors.Provenance{Source: p.Source, Line: p.Line, Offset: p.Offset, Partition: p.Partition, Timestamp: p.Timestamp}
}

// Stream-table joins.

// tableJoinOp joins a stream with a table: each stream row is looked up in
// the table as it stands; table rows change the table and emit nothing.
type tableJoinOp struct {
	p      *plan.Join
	next   operator
	rt     failer
	stats  *Stats
	ctx    expr.Ctx
	stream int  // the stream's side: 0 (left) or 1 (right)
	outer  bool // unmatched stream rows are emitted with NULLs
	skeys  keyEval
	table  *tableState
	widths [2]int
	out    types.Row
	rc     rec
	ended  bool
}

// tableState is a table: the latest row per key, and, when the join's
// table-side expressions are not the key, an index by them. Rows live in
// one flat slab (a row id is an offset in it), so a lookup touches the map
// and one contiguous row, not a row object and then its values.
type tableState struct {
	name   string
	width  int
	delCol int
	key    keyEval // the key columns, over a table row
	rows   keyMap[int32]
	vals   []types.Value // row id i is vals[i*width:(i+1)*width]
	free   []int32       // ids of deleted rows, for reuse
	index  *keyEval      // the join's table-side keys; nil when they are the key
	byIdx  keyMap[*tbucket]
	ik     []mkey // per row id: its index key (when indexed)
	ikNull []bool // the index key has a NULL: the row is in no bucket
	stats  *Stats
}

type tbucket struct{ ids []int32 }

func (t *tableState) row(id int32) types.Row {
	i := int(id) * t.width
	return t.vals[i : i+t.width : i+t.width]
}

func (t *tableState) alloc() int32 {
	if n := len(t.free); n > 0 {
		id := t.free[n-1]
		t.free = t.free[:n-1]
		return id
	}
	id := int32(len(t.vals) / t.width)
	t.vals = append(t.vals, make([]types.Value, t.width)...)
	if t.index != nil {
		t.ik = append(t.ik, mkey{})
		t.ikNull = append(t.ikNull, false)
	}
	return id
}

func newTableJoinOp(p *plan.Join, next operator, rt failer, stats *Stats, env functions.Env) *tableJoinOp {
	o := &tableJoinOp{p: p, next: next, rt: rt, stats: stats, outer: p.Kind != ast.InnerJoin}
	o.ctx.Env = env
	o.widths = [2]int{len(p.Left.Schema()), len(p.Right.Schema())}
	o.out = make(types.Row, o.widths[0]+o.widths[1])
	streamKeys, tableKeys := p.LeftKeys, p.RightKeys
	tableNode := p.Right
	if p.Table == -1 {
		o.stream = 1
		streamKeys, tableKeys = p.RightKeys, p.LeftKeys
		tableNode = p.Left
	}
	src := tableNode.(*plan.Scan).Source
	o.skeys = newKeyEval(streamKeys)
	t := &tableState{name: src.Name, width: max(1, len(src.Columns)), delCol: src.DeletedCol, rows: newKeyMap[int32](), stats: stats}
	keyExprs := make([]expr.Expr, len(src.KeyCols))
	byKey := len(tableKeys) == len(src.KeyCols)
	for i, c := range src.KeyCols {
		keyExprs[i] = expr.NewCol(c, src.Columns[c].Name, src.Columns[c].Type, tableKeys[0].Span())
		if byKey {
			if tc, ok := tableKeys[i].(*expr.Col); !ok || tc.Idx != c {
				byKey = false
			}
		}
	}
	t.key = newKeyEval(keyExprs)
	if !byKey {
		ix := newKeyEval(tableKeys)
		t.index = &ix
		t.byIdx = newKeyMap[*tbucket]()
	}
	o.table = t
	return o
}

func (o *tableJoinOp) pushSide(side int, r *rec) error {
	if side != o.stream {
		o.table.update(o, r)
		return nil
	}
	o.ctx.Reset()
	null := o.skeys.eval(&o.ctx, r.row)
	if o.ctx.Err != nil {
		o.rt.fail(r, "eval", o.ctx.Err)
		return nil
	}
	matched := false
	if !null {
		if o.table.index == nil {
			if id, ok := o.table.rows.get(&o.skeys); ok {
				matched = true
				if err := o.emit(r, o.table.row(id)); err != nil {
					return err
				}
			}
		} else if b, ok := o.table.byIdx.get(&o.skeys); ok {
			for _, id := range b.ids {
				matched = true
				if err := o.emit(r, o.table.row(id)); err != nil {
					return err
				}
			}
		}
	}
	if !matched && o.outer {
		return o.emit(r, nil)
	}
	return nil
}

// emit pushes the stream row joined with a table row (nil: NULLs).
func (o *tableJoinOp) emit(r *rec, trow types.Row) error {
	sw, tw := o.widths[o.stream], o.widths[1-o.stream]
	soff, toff := 0, sw
	if o.stream == 1 {
		soff, toff = tw, 0
	}
	copy(o.out[soff:soff+sw], r.row[:sw])
	if trow != nil {
		copy(o.out[toff:toff+tw], trow)
	} else {
		clear(o.out[toff : toff+tw])
	}
	// The record passed on is a field: a pointer to a local would escape
	// through the interface call and cost an allocation per row.
	o.rc = rec{row: o.out, t: r.t, prov: r.prov, src: r.src, more: r.more}
	return o.next.push(&o.rc)
}

// update applies one changelog row: upsert by key, or delete when its
// _deleted column is true.
func (t *tableState) update(o *tableJoinOp, r *rec) {
	row := r.row[:t.width]
	o.ctx.Reset()
	null := t.key.eval(&o.ctx, row)
	if o.ctx.Err != nil {
		o.rt.fail(r, "table", o.ctx.Err)
		return
	}
	if null {
		o.rt.fail(r, "table", fmt.Errorf("table %s: a row's key is NULL", t.name))
		return
	}
	key := t.key.stored()
	id, exists := t.rows.getKey(key)
	if t.delCol >= 0 {
		if del, isNull := functions.Truthy(row[t.delCol]); del && !isNull {
			if exists {
				t.rows.del(key)
				t.unindex(id)
				clear(t.row(id))
				t.free = append(t.free, id)
				t.stats.TableRows.Add(-1)
			}
			return
		}
	}
	var ikNull bool
	var ik mkey
	if t.index != nil {
		ikNull = t.index.eval(&o.ctx, row)
		if o.ctx.Err != nil {
			o.rt.fail(r, "table", o.ctx.Err)
			return
		}
		ik = t.index.stored()
	}
	if exists {
		if t.index != nil && t.ik[id] == ik && t.ikNull[id] == ikNull {
			copy(t.row(id), row) // same index entry: the row keeps its place
			return
		}
		t.unindex(id)
	} else {
		id = t.alloc()
		t.rows.set(key, id)
		t.stats.TableRows.Add(1)
	}
	copy(t.row(id), row)
	if t.index == nil {
		return
	}
	t.ik[id], t.ikNull[id] = ik, ikNull
	if ikNull { // a NULL index key matches nothing: the row stays out of the index
		return
	}
	b, ok := t.byIdx.getKey(ik)
	if !ok {
		b = &tbucket{}
		t.byIdx.set(ik, b)
	}
	b.ids = append(b.ids, id)
}

func (t *tableState) unindex(id int32) {
	if t.index == nil || t.ikNull[id] {
		return
	}
	b, ok := t.byIdx.getKey(t.ik[id])
	if !ok {
		return
	}
	for i, x := range b.ids {
		if x == id {
			b.ids = append(b.ids[:i], b.ids[i+1:]...)
			break
		}
	}
	if len(b.ids) == 0 {
		t.byIdx.del(t.ik[id])
	}
}

func (o *tableJoinOp) advance(wm int64) error { return o.next.advance(wm) }

func (o *tableJoinOp) finish() error {
	if o.ended {
		return nil
	}
	o.ended = true
	return o.next.finish()
}

func (o *tableJoinOp) pendingOffsets(src int, offsets map[int32]int64) {
	forwardPending(o.next, src, offsets)
}
func (o *tableJoinOp) setTracking()         { forwardTracking(o.next) }
func (o *tableJoinOp) setReplayed(wm int64) { forwardReplayed(o.next, wm) }
