package executor

import (
	"container/heap"
	"context"
	"fmt"
	"math"

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

// keyEval computes a join key from a row. A single string key is looked up
// by the string itself; other keys by encodeKey's encoding (under which
// values that compare equal, 1 and 1.0, encode alike).
type keyEval struct {
	exprs []expr.Expr
	cols  []int // the column each key reads when it is a plain column, else -1
	vals  types.Row
	buf   []byte
	str   bool // the current key is one string: vals[0].S
}

func newKeyEval(exprs []expr.Expr) keyEval {
	k := keyEval{exprs: exprs, cols: make([]int, len(exprs)), vals: make(types.Row, len(exprs))}
	for i, e := range exprs {
		k.cols[i] = colIndex(e)
	}
	return k
}

// eval computes the key of row; null reports a NULL part (which matches
// nothing). Evaluation errors are left in ctx.
func (k *keyEval) eval(ctx *expr.Ctx, row types.Row) (null bool) {
	for i, e := range k.exprs {
		if c := k.cols[i]; c >= 0 {
			k.vals[i] = row[c]
		} else {
			k.vals[i] = e.Eval(ctx, row)
		}
		if k.vals[i].K == types.KindNull {
			null = true
		}
	}
	k.str = len(k.vals) == 1 && k.vals[0].K == types.KindString
	if !k.str {
		k.buf = encodeKey(k.buf[:0], k.vals)
	}
	return null
}

// stored returns the current key as strings to keep.
func (k *keyEval) stored() (bool, string) {
	if k.str {
		return true, k.vals[0].S
	}
	return false, string(k.buf)
}

// keyMap maps join keys to values.
type keyMap[V any] struct {
	str map[string]V
	enc map[string]V
}

func newKeyMap[V any]() keyMap[V] {
	return keyMap[V]{str: map[string]V{}, enc: map[string]V{}}
}

func (m *keyMap[V]) get(k *keyEval) (V, bool) {
	if k.str {
		v, ok := m.str[k.vals[0].S]
		return v, ok
	}
	v, ok := m.enc[string(k.buf)]
	return v, ok
}

func (m *keyMap[V]) getStored(str bool, key string) (V, bool) {
	if str {
		v, ok := m.str[key]
		return v, ok
	}
	v, ok := m.enc[key]
	return v, ok
}

func (m *keyMap[V]) set(str bool, key string, v V) {
	if str {
		m.str[key] = v
	} else {
		m.enc[key] = v
	}
}

func (m *keyMap[V]) del(str bool, key string) {
	if str {
		delete(m.str, key)
	} else {
		delete(m.enc, key)
	}
}

func (m *keyMap[V]) len() int { return len(m.str) + len(m.enc) }

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
	ik     []string // per row id: its index key (when indexed)
	ikStr  []bool
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
		t.ik = append(t.ik, "")
		t.ikStr = append(t.ikStr, false)
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
	str, key := t.key.stored()
	id, exists := t.rows.getStored(str, key)
	if t.delCol >= 0 {
		if del, isNull := functions.Truthy(row[t.delCol]); del && !isNull {
			if exists {
				t.rows.del(str, key)
				t.unindex(id)
				clear(t.row(id))
				t.free = append(t.free, id)
				t.stats.TableRows.Add(-1)
			}
			return
		}
	}
	var ikStr, ikNull bool
	var ik string
	if t.index != nil {
		ikNull = t.index.eval(&o.ctx, row)
		if o.ctx.Err != nil {
			o.rt.fail(r, "table", o.ctx.Err)
			return
		}
		ikStr, ik = t.index.stored()
	}
	if exists {
		if t.index != nil && t.ikStr[id] == ikStr && t.ik[id] == ik && t.ikNull[id] == ikNull {
			copy(t.row(id), row) // same index entry: the row keeps its place
			return
		}
		t.unindex(id)
	} else {
		id = t.alloc()
		t.rows.set(str, key, id)
		t.stats.TableRows.Add(1)
	}
	copy(t.row(id), row)
	if t.index == nil {
		return
	}
	t.ik[id], t.ikStr[id], t.ikNull[id] = ik, ikStr, ikNull
	if ikNull { // a NULL index key matches nothing: the row stays out of the index
		return
	}
	b, ok := t.byIdx.getStored(ikStr, ik)
	if !ok {
		b = &tbucket{}
		t.byIdx.set(ikStr, ik, b)
	}
	b.ids = append(b.ids, id)
}

func (t *tableState) unindex(id int32) {
	if t.index == nil || t.ikNull[id] {
		return
	}
	b, ok := t.byIdx.getStored(t.ikStr[id], t.ik[id])
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
		t.byIdx.del(t.ikStr[id], t.ik[id])
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

// Stream-stream joins.

// intervalJoinOp joins two streams: a left row at tl and a right row at tr
// with equal keys match when tr-tl is in [Lo, Hi].
//
// A row is kept while a later row of the other side could still match it:
// rows that are not late have times at or after the watermark, so a left
// row is dropped once the watermark passes tl+Hi, a right row once it
// passes tr-Lo. A row of an outer side that never matched is emitted with
// NULLs then, exactly once. A row whose time is behind the watermark when
// it arrives is late (it might have matched rows already dropped).
//
// The watermark passed on is held back to the oldest row an outer side
// still holds, so that its NULL-extended row, emitted later with its own
// event time, is not late for the windows after the join.
type intervalJoinOp struct {
	p        *plan.Join
	next     operator
	rt       failer
	stats    *Stats
	ctx      expr.Ctx
	keys     [2]keyEval
	widths   [2]int
	outer    [2]bool
	state    [2]joinState
	out      types.Row
	rc       rec
	wm       int64 // the input watermark
	fwd      int64 // the watermark passed on
	seq      int64
	ended    bool
	track    bool
	replayed int64
}

type joinState struct {
	rows keyMap[*jbucket]
	heap jheap
}

type jbucket struct{ rows []*jrow }

// jrow is a row a join keeps.
type jrow struct {
	row     types.Row
	t       int64
	expire  int64 // dropped once the watermark passes it
	seq     int64
	matched bool
	strKey  bool
	key     string
	src     *sourceState
	prov    connectors.Provenance
	pos     []srcPos // where it and its parts came from (offset tracking)
}

type jheap []*jrow

func (h jheap) Len() int { return len(h) }
func (h jheap) Less(i, j int) bool {
	if h[i].expire != h[j].expire {
		return h[i].expire < h[j].expire
	}
	return h[i].seq < h[j].seq
}
func (h jheap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *jheap) Push(x any)   { *h = append(*h, x.(*jrow)) }
func (h *jheap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}

func newIntervalJoinOp(p *plan.Join, next operator, rt failer, stats *Stats, env functions.Env) *intervalJoinOp {
	o := &intervalJoinOp{p: p, next: next, rt: rt, stats: stats, wm: math.MinInt64, fwd: math.MinInt64, replayed: math.MinInt64}
	o.ctx.Env = env
	o.widths = [2]int{len(p.Left.Schema()), len(p.Right.Schema())}
	o.out = make(types.Row, o.widths[0]+o.widths[1])
	o.keys = [2]keyEval{newKeyEval(p.LeftKeys), newKeyEval(p.RightKeys)}
	o.outer = [2]bool{p.Kind == ast.LeftJoin || p.Kind == ast.FullJoin, p.Kind == ast.RightJoin || p.Kind == ast.FullJoin}
	for i := range o.state {
		o.state[i].rows = newKeyMap[*jbucket]()
	}
	return o
}

// expiry is when a row of side at time t can no longer match.
func (o *intervalJoinOp) expiry(side int, t int64) int64 {
	if side == 0 {
		return satAdd(t, o.p.Hi)
	}
	return satAdd(t, -o.p.Lo)
}

func satAdd(a, b int64) int64 {
	s := a + b
	if (s > a) != (b > 0) {
		if b > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return s
}

func (o *intervalJoinOp) pushSide(side int, r *rec) error {
	expire := o.expiry(side, r.t)
	if r.t < o.wm {
		// After a restart, rows that were held when the last commit was
		// made are read again: they are taken back, not judged late.
		if !(r.t < o.replayed && expire >= o.replayed) {
			if expire <= o.replayed {
				o.stats.Replayed.Add(1)
			} else {
				o.rt.late(r)
			}
			return nil
		}
	}
	o.ctx.Reset()
	null := o.keys[side].eval(&o.ctx, r.row)
	if o.ctx.Err != nil {
		o.rt.fail(r, "eval", o.ctx.Err)
		return nil
	}
	row := r.row[:o.widths[side]]
	if null { // matches nothing
		if o.outer[side] {
			return o.emitAlone(side, row, r.t, r.prov, r.src, r.more)
		}
		return nil
	}
	other := 1 - side
	lo, hi := satAdd(r.t, o.p.Lo), satAdd(r.t, o.p.Hi)
	if side == 1 {
		lo, hi = satAdd(r.t, -o.p.Hi), satAdd(r.t, -o.p.Lo)
	}
	matched := false
	if b, ok := o.state[other].rows.get(&o.keys[side]); ok {
		for _, m := range b.rows {
			if m.t < lo || m.t > hi {
				continue
			}
			matched, m.matched = true, true
			if err := o.emitPair(side, r, m); err != nil {
				return err
			}
		}
	}
	if expire < o.wm {
		// Nothing later can match it (an interval wholly in the past).
		if o.outer[side] && !matched {
			return o.emitAlone(side, row, r.t, r.prov, r.src, r.more)
		}
		return nil
	}
	o.seq++
	jr := &jrow{row: append(types.Row(nil), row...), t: r.t, expire: expire, seq: o.seq, matched: matched, src: r.src, prov: copyProv(r.prov)}
	jr.strKey, jr.key = o.keys[side].stored()
	if o.track {
		jr.pos = positions(r)
	}
	st := &o.state[side]
	b, ok := st.rows.getStored(jr.strKey, jr.key)
	if !ok {
		b = &jbucket{}
		st.rows.set(jr.strKey, jr.key, b)
	} else {
		jr.key = b.rows[0].key // share the stored key
	}
	b.rows = append(b.rows, jr)
	heap.Push(&st.heap, jr)
	o.stats.JoinRows.Add(1)
	return nil
}

// emitPair pushes the arriving row r (of side) joined with the stored row m.
func (o *intervalJoinOp) emitPair(side int, r *rec, m *jrow) error {
	lw := o.widths[0]
	if side == 0 {
		copy(o.out[:lw], r.row[:lw])
		copy(o.out[lw:], m.row)
	} else {
		copy(o.out[:lw], m.row)
		copy(o.out[lw:], r.row[:o.widths[1]])
	}
	o.rc = rec{row: o.out, t: max(r.t, m.t), prov: r.prov, src: r.src, more: r.more}
	if o.track {
		o.rc.more = append(append([]srcPos(nil), r.more...), m.pos...)
	}
	return o.next.push(&o.rc)
}

// emitAlone pushes a row of an outer side with NULLs for the other side.
func (o *intervalJoinOp) emitAlone(side int, row types.Row, t int64, prov *connectors.Provenance, src *sourceState, more []srcPos) error {
	lw := o.widths[0]
	if side == 0 {
		copy(o.out[:lw], row)
		clear(o.out[lw:])
	} else {
		clear(o.out[:lw])
		copy(o.out[lw:], row)
	}
	o.rc = rec{row: o.out, t: t, prov: prov, src: src, more: more}
	return o.next.push(&o.rc)
}

// expireUpTo drops the rows that can no longer match (expire < wm), in
// the order they expire, emitting the unmatched rows of outer sides.
func (o *intervalJoinOp) expireUpTo(wm int64) error {
	for {
		side := -1
		for s := range o.state {
			h := o.state[s].heap
			if len(h) == 0 || h[0].expire >= wm {
				continue
			}
			if side < 0 {
				side = s
				continue
			}
			a, b := h[0], o.state[side].heap[0]
			if a.expire < b.expire || (a.expire == b.expire && a.seq < b.seq) {
				side = s
			}
		}
		if side < 0 {
			return nil
		}
		st := &o.state[side]
		jr := heap.Pop(&st.heap).(*jrow)
		o.stats.JoinRows.Add(-1)
		if b, ok := st.rows.getStored(jr.strKey, jr.key); ok {
			for i, x := range b.rows {
				if x == jr {
					copy(b.rows[i:], b.rows[i+1:])
					b.rows[len(b.rows)-1] = nil
					b.rows = b.rows[:len(b.rows)-1]
					break
				}
			}
			if len(b.rows) == 0 {
				st.rows.del(jr.strKey, jr.key)
			}
		}
		if o.outer[side] && !jr.matched {
			var more []srcPos
			if o.track {
				more = jr.pos
			}
			if err := o.emitAlone(side, jr.row, jr.t, &jr.prov, jr.src, more); err != nil {
				return err
			}
		}
	}
}

func (o *intervalJoinOp) advance(wm int64) error {
	if wm <= o.wm {
		return nil
	}
	o.wm = wm
	if err := o.expireUpTo(wm); err != nil {
		return err
	}
	fwd := wm
	for s := range o.state {
		if h := o.state[s].heap; o.outer[s] && len(h) > 0 {
			fwd = min(fwd, h[0].t)
		}
	}
	if fwd > o.fwd {
		o.fwd = fwd
		return o.next.advance(fwd)
	}
	return nil
}

// finish emits the rows of outer sides that never matched, then ends.
func (o *intervalJoinOp) finish() error {
	if o.ended {
		return nil
	}
	o.ended = true
	if err := o.expireUpTo(math.MaxInt64); err != nil {
		return err
	}
	return o.next.finish()
}

func (o *intervalJoinOp) pendingOffsets(src int, offsets map[int32]int64) {
	var m minOffsets
	for s := range o.state {
		for _, jr := range o.state[s].heap {
			for _, p := range jr.pos {
				m.lower(offKey{p.src, p.part}, p.off)
			}
		}
	}
	m.apply(src, offsets)
	forwardPending(o.next, src, offsets)
}

func (o *intervalJoinOp) setTracking() {
	o.track = true
	forwardTracking(o.next)
}

func (o *intervalJoinOp) setReplayed(wm int64) {
	o.replayed = max(o.replayed, wm)
	forwardReplayed(o.next, wm)
}
