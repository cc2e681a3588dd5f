package executor

import (
	"container/heap"
	"math"

	"github.com/velostream/velostream/engine/ast"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

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
	// Kept rows and their values are cut from chunks: rows are dropped
	// roughly in the order they came, so a chunk is freed soon after its
	// last row, and the allocator sees one object per chunk, not two per row.
	rowChunk []jrow
	valChunk []types.Value
}

// joinState is one side's kept rows: by key, and in the order they expire.
type joinState struct {
	rows  keyMap[*jbucket]
	queue expiryQueue
}

type jbucket struct{ rows []*jrow }

// jrow is a row a join keeps.
type jrow struct {
	row     types.Row
	t       int64
	expire  int64 // dropped once the watermark passes it
	seq     int64
	matched bool
	key     mkey
	src     *sourceState
	prov    connectors.Provenance
	pos     []srcPos // where it and its parts came from (offset tracking)
}

func (a *jrow) before(b *jrow) bool {
	if a.expire != b.expire {
		return a.expire < b.expire
	}
	return a.seq < b.seq
}

// expiryQueue orders a side's rows by expiry. A stream in event-time order
// adds rows in expiry order: those go to a FIFO; a row that expires before
// the FIFO's last (out-of-order input) goes to a heap.
type expiryQueue struct {
	fifo []*jrow
	head int
	heap jheap
}

func (q *expiryQueue) len() int { return len(q.fifo) - q.head + len(q.heap) }

func (q *expiryQueue) push(jr *jrow) {
	if n := len(q.fifo); n == q.head || !jr.before(q.fifo[n-1]) {
		q.fifo = append(q.fifo, jr)
		return
	}
	heap.Push(&q.heap, jr)
}

// front is the row that expires first; nil when empty.
func (q *expiryQueue) front() *jrow {
	var f *jrow
	if q.head < len(q.fifo) {
		f = q.fifo[q.head]
	}
	if len(q.heap) > 0 && (f == nil || q.heap[0].before(f)) {
		f = q.heap[0]
	}
	return f
}

func (q *expiryQueue) pop() *jrow {
	if len(q.heap) > 0 && (q.head == len(q.fifo) || q.heap[0].before(q.fifo[q.head])) {
		return heap.Pop(&q.heap).(*jrow)
	}
	jr := q.fifo[q.head]
	q.fifo[q.head] = nil
	q.head++
	if q.head == len(q.fifo) {
		q.fifo, q.head = q.fifo[:0], 0
	} else if q.head >= 1024 && q.head*2 >= len(q.fifo) {
		n := copy(q.fifo, q.fifo[q.head:])
		clear(q.fifo[n:])
		q.fifo, q.head = q.fifo[:n], 0
	}
	return jr
}

func (q *expiryQueue) each(f func(*jrow)) {
	for _, jr := range q.fifo[q.head:] {
		f(jr)
	}
	for _, jr := range q.heap {
		f(jr)
	}
}

type jheap []*jrow

func (h jheap) Len() int           { return len(h) }
func (h jheap) Less(i, j int) bool { return h[i].before(h[j]) }
func (h jheap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *jheap) Push(x any)        { *h = append(*h, x.(*jrow)) }
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

// keep copies a row to keep.
func (o *intervalJoinOp) keep(row types.Row) (*jrow, types.Row) {
	const chunk = 256
	if len(o.rowChunk) == 0 {
		o.rowChunk = make([]jrow, chunk)
	}
	jr := &o.rowChunk[0]
	o.rowChunk = o.rowChunk[1:]
	w := len(row)
	if len(o.valChunk) < w {
		o.valChunk = make([]types.Value, chunk*max(w, 1))
	}
	kept := o.valChunk[:w:w]
	o.valChunk = o.valChunk[w:]
	copy(kept, row)
	return jr, kept
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
	jr, kept := o.keep(row)
	*jr = jrow{row: kept, t: r.t, expire: expire, seq: o.seq, matched: matched, src: r.src, prov: copyProv(r.prov)}
	if o.track {
		jr.pos = positions(r)
	}
	st := &o.state[side]
	b, ok := st.rows.get(&o.keys[side])
	if !ok {
		jr.key = o.keys[side].stored()
		b = &jbucket{}
		st.rows.set(jr.key, b)
	} else {
		jr.key = b.rows[0].key // share the stored key
	}
	b.rows = append(b.rows, jr)
	st.queue.push(jr)
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

// expireUpTo drops the rows that can no longer match (expire < wm; every
// row for math.MaxInt64, the end of input), in the order they expire,
// emitting the unmatched rows of outer sides.
func (o *intervalJoinOp) expireUpTo(wm int64) error {
	for {
		side := -1
		var first *jrow
		for s := range o.state {
			f := o.state[s].queue.front()
			if f == nil || (f.expire >= wm && wm != math.MaxInt64) {
				continue
			}
			if first == nil || f.before(first) {
				side, first = s, f
			}
		}
		if side < 0 {
			return nil
		}
		st := &o.state[side]
		jr := st.queue.pop()
		o.stats.JoinRows.Add(-1)
		if b, ok := st.rows.getKey(jr.key); ok {
			for i, x := range b.rows {
				if x == jr {
					copy(b.rows[i:], b.rows[i+1:])
					b.rows[len(b.rows)-1] = nil
					b.rows = b.rows[:len(b.rows)-1]
					break
				}
			}
			if len(b.rows) == 0 {
				st.rows.del(jr.key)
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
		jr.row, jr.pos, jr.src = nil, nil, nil // the chunk may outlive it
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
		if f := o.state[s].queue.front(); o.outer[s] && f != nil {
			fwd = min(fwd, f.t)
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
		o.state[s].queue.each(func(jr *jrow) {
			for _, p := range jr.pos {
				m.lower(offKey{p.src, p.part}, p.off)
			}
		})
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
