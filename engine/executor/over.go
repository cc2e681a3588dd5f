package executor

import (
	"container/heap"
	"math"
	"sort"

	"github.com/velostream/velostream/engine/agg"
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

// overOp computes window functions (f(...) OVER (...)): one output row per
// input row, the input row followed by each function's value.
//
// Order: with ORDER BY (the event time), a row waits in a heap until the
// watermark reaches its time, and rows are taken in (time, arrival) order;
// a row behind the watermark when it arrives is late. Without ORDER BY rows
// are taken as they arrive.
//
// Each PARTITION BY keeps, per partition, only the rows its functions can
// still read: the rows a row waits for (LEAD, a frame ending n FOLLOWING),
// and as many before it as LAG or a frame reaches back. Running aggregates
// (frames from UNBOUNDED PRECEDING) keep one buffer; ROW_NUMBER, RANK and
// DENSE_RANK keep counters. A row is emitted once every PARTITION BY has
// its values; at the end of a bounded input, rows still waiting for
// following rows are emitted with what there is (LEAD's default or NULL).
type overOp struct {
	p        *plan.Over
	next     operator
	rt       failer
	stats    *Stats
	ctx      expr.Ctx
	width    int
	nfunc    int
	specs    []*overSpec
	pend     orowHeap
	wm       int64
	seq      int64
	ended    bool
	track    bool
	replayed int64
	held     map[*orow]struct{} // rows not yet emitted (for offsets), only while tracking
	args     [][]types.Value    // per spec: the arguments of the row being taken
	keyBuf   []mkey
	rc       rec
}

type overSpec struct {
	keys  keyEval
	funcs []plan.OverFunc
	base  int   // output column of its first function
	look  int64 // following rows a row waits for
	keep  int64 // rows before the next one to emit that functions read
	parts keyMap[*winPart]
}

// winPart is one partition's state.
type winPart struct {
	ents    []*pent // rows first .. n-1 of the partition
	first   int64
	n       int64 // rows taken
	next    int64 // next row to emit
	rank    int64
	dense   int64
	lastT   int64
	hasLast bool
	cum     []agg.Buffer // running aggregates (frames from UNBOUNDED PRECEDING), per function
	cumFed  []int64      // rows fed to cum[k]
}

type pent struct {
	r    *orow
	args []types.Value
}

// orow is a row held by the operator, with room for the functions' values.
type orow struct {
	row    types.Row
	t      int64
	seq    int64
	prov   connectors.Provenance
	src    *sourceState
	pos    []srcPos
	owed   int // PARTITION BYs that still owe their values
	failed error
}

type orowHeap []*orow

func (h orowHeap) Len() int { return len(h) }
func (h orowHeap) Less(i, j int) bool {
	if h[i].t != h[j].t {
		return h[i].t < h[j].t
	}
	return h[i].seq < h[j].seq
}
func (h orowHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *orowHeap) Push(x any)   { *h = append(*h, x.(*orow)) }
func (h *orowHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}

func newOverOp(p *plan.Over, next operator, rt failer, stats *Stats, env functions.Env) *overOp {
	o := &overOp{p: p, next: next, rt: rt, stats: stats, width: len(p.Input.Schema()), wm: math.MinInt64, replayed: math.MinInt64}
	o.ctx.Env = env
	base := 0
	for _, part := range p.Partitions {
		sp := &overSpec{keys: newKeyEval(part.PartitionBy), funcs: part.Funcs, base: base, parts: newKeyMap[*winPart]()}
		for _, f := range part.Funcs {
			switch f.Kind {
			case plan.OverLag:
				sp.keep = max(sp.keep, f.Offset)
			case plan.OverLead:
				sp.look = max(sp.look, f.Offset)
			case plan.OverAgg:
				sp.look = max(sp.look, f.End)
				if !f.UnboundedStart {
					sp.keep = max(sp.keep, -f.Start)
				}
				sp.keep = max(sp.keep, -f.End)
			}
		}
		base += len(part.Funcs)
		o.specs = append(o.specs, sp)
		o.args = append(o.args, make([]types.Value, len(part.Funcs)))
	}
	o.nfunc = base
	return o
}

func (o *overOp) push(r *rec) error {
	if o.p.Ordered && r.t < o.wm && r.t >= o.replayed {
		o.rt.late(r)
		return nil
	}
	or := &orow{row: make(types.Row, o.width+o.nfunc), t: r.t, src: r.src, prov: copyProv(r.prov)}
	copy(or.row, r.row[:o.width])
	o.seq++
	or.seq = o.seq
	if o.track {
		or.pos = positions(r)
		if o.held == nil {
			o.held = map[*orow]struct{}{}
		}
		o.held[or] = struct{}{}
	}
	o.stats.OverRows.Add(1)
	if o.p.Ordered && r.t > o.wm {
		heap.Push(&o.pend, or)
		return nil
	}
	return o.take(or)
}

// take adds a row, in order, to its partition of every PARTITION BY and
// emits the rows that became complete.
func (o *overOp) take(or *orow) error {
	o.ctx.Reset()
	// Evaluate every key and argument first, so that a failing row
	// changes no state.
	keys := o.keyBuf[:0]
	for i, sp := range o.specs {
		sp.keys.eval(&o.ctx, or.row)
		keys = append(keys, sp.keys.stored())
		for k, f := range sp.funcs {
			if f.Arg != nil {
				o.args[i][k] = f.Arg.Eval(&o.ctx, or.row)
			} else {
				o.args[i][k] = types.BoolValue(true) // COUNT(*) counts rows
			}
		}
	}
	o.keyBuf = keys
	if o.ctx.Err != nil {
		o.stats.OverRows.Add(-1)
		delete(o.held, or)
		o.rt.fail(&rec{row: or.row[:o.width], t: or.t, prov: &or.prov, src: or.src}, "eval", o.ctx.Err)
		return nil
	}
	or.owed = len(o.specs)
	for i, sp := range o.specs {
		wp, ok := sp.parts.getKey(keys[i])
		if !ok {
			wp = &winPart{}
			sp.parts.set(keys[i], wp)
		}
		wp.ents = append(wp.ents, &pent{r: or, args: append([]types.Value(nil), o.args[i]...)})
		wp.n++
		for wp.next+sp.look < wp.n {
			if err := o.compute(sp, wp); err != nil {
				return err
			}
		}
		wp.trim(sp.keep)
	}
	return nil
}

// compute fills the values of the partition's next row to emit.
func (o *overOp) compute(sp *overSpec, wp *winPart) error {
	i := wp.next
	wp.next++
	e := wp.ents[i-wp.first]
	if !wp.hasLast || e.r.t != wp.lastT {
		wp.rank = i + 1
		wp.dense++
		wp.lastT, wp.hasLast = e.r.t, true
	}
	out := e.r.row[o.width+sp.base:]
	for k := range sp.funcs {
		f := &sp.funcs[k]
		switch f.Kind {
		case plan.OverRowNumber:
			out[k] = types.IntValue(i + 1)
		case plan.OverRank:
			out[k] = types.IntValue(wp.rank)
		case plan.OverDenseRank:
			out[k] = types.IntValue(wp.dense)
		case plan.OverLag, plan.OverLead:
			j := i - f.Offset
			if f.Kind == plan.OverLead {
				j = i + f.Offset
			}
			if j >= wp.first && j < wp.n && j >= 0 {
				out[k] = wp.ents[j-wp.first].args[k]
			} else if f.Default != nil {
				o.ctx.Reset()
				out[k] = f.Default.Eval(&o.ctx, e.r.row)
				if o.ctx.Err != nil && e.r.failed == nil {
					e.r.failed = o.ctx.Err
				}
			} else {
				out[k] = types.Value{}
			}
		case plan.OverAgg:
			out[k] = o.frameAgg(wp, f, k, i, e.r)
		}
	}
	e.r.owed--
	if e.r.owed > 0 {
		return nil
	}
	return o.emit(e.r)
}

// frameAgg computes an aggregate over the frame of row i.
func (o *overOp) frameAgg(wp *winPart, f *plan.OverFunc, k int, i int64, r *orow) types.Value {
	hi := min(i+f.End, wp.n-1)
	if f.UnboundedStart {
		if wp.cum == nil {
			wp.cum = make([]agg.Buffer, len(wp.ents[0].args))
			wp.cumFed = make([]int64, len(wp.ents[0].args))
		}
		if wp.cum[k] == nil {
			wp.cum[k] = f.Agg.NewBuffer()
		}
		for ; wp.cumFed[k] <= hi; wp.cumFed[k]++ {
			if err := wp.cum[k].Update(wp.ents[wp.cumFed[k]-wp.first].args[k]); err != nil && r.failed == nil {
				r.failed = err
			}
		}
		return wp.cum[k].Result()
	}
	b := f.Agg.NewBuffer()
	for j := max(0, i+f.Start, wp.first); j <= hi; j++ {
		if err := b.Update(wp.ents[j-wp.first].args[k]); err != nil && r.failed == nil {
			r.failed = err
		}
	}
	return b.Result()
}

// trim forgets rows no function can read any more.
func (wp *winPart) trim(keep int64) {
	drop := wp.next - keep - wp.first
	for k := range wp.cumFed { // running aggregates read up to cumFed
		drop = min(drop, wp.cumFed[k]-wp.first)
	}
	if drop <= 0 {
		return
	}
	clear(wp.ents[:drop])
	wp.ents = wp.ents[drop:]
	wp.first += drop
	if cap(wp.ents) > 64 && len(wp.ents) < cap(wp.ents)/4 {
		wp.ents = append([]*pent(nil), wp.ents...)
	}
}

func (o *overOp) emit(or *orow) error {
	o.stats.OverRows.Add(-1)
	delete(o.held, or)
	o.rc = rec{row: or.row, t: or.t, prov: &or.prov, src: or.src}
	if o.track {
		o.rc.more = or.pos
	}
	if or.failed != nil {
		o.rc.row = or.row[:o.width]
		o.rt.fail(&o.rc, "window function", or.failed)
		return nil
	}
	return o.next.push(&o.rc)
}

func (o *overOp) advance(wm int64) error {
	if wm <= o.wm {
		return nil
	}
	o.wm = wm
	for len(o.pend) > 0 && o.pend[0].t <= wm {
		if err := o.take(heap.Pop(&o.pend).(*orow)); err != nil {
			return err
		}
	}
	return o.next.advance(wm)
}

// finish takes the rows still waiting for the watermark, then emits the
// rows still waiting for following rows, in arrival order.
func (o *overOp) finish() error {
	if o.ended {
		return nil
	}
	o.ended = true
	for len(o.pend) > 0 {
		if err := o.take(heap.Pop(&o.pend).(*orow)); err != nil {
			return err
		}
	}
	type waiting struct {
		sp   *overSpec
		wp   *winPart
		seq  int64
		spec int
	}
	var rest []waiting
	for si, sp := range o.specs {
		sp.parts.each(func(wp *winPart) {
			for i := wp.next; i < wp.n; i++ {
				rest = append(rest, waiting{sp: sp, wp: wp, seq: wp.ents[i-wp.first].r.seq, spec: si})
			}
		})
	}
	sort.Slice(rest, func(a, b int) bool {
		if rest[a].seq != rest[b].seq {
			return rest[a].seq < rest[b].seq
		}
		return rest[a].spec < rest[b].spec
	})
	for _, w := range rest {
		if err := o.compute(w.sp, w.wp); err != nil {
			return err
		}
	}
	return o.next.finish()
}

func (o *overOp) pendingOffsets(src int, offsets map[int32]int64) {
	var m minOffsets
	for or := range o.held {
		for _, p := range or.pos {
			m.lower(offKey{p.src, p.part}, p.off)
		}
	}
	m.apply(src, offsets)
	forwardPending(o.next, src, offsets)
}

func (o *overOp) setTracking() {
	o.track = true
	forwardTracking(o.next)
}

func (o *overOp) setReplayed(wm int64) {
	o.replayed = max(o.replayed, wm)
	forwardReplayed(o.next, wm)
}
