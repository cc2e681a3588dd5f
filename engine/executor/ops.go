package executor

import (
	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/expr"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

// rec is a record flowing through the operators: its row in the layout of
// the operator's input, its event time, and where it came from.
type rec struct {
	row  types.Row
	t    int64
	prov *connectors.Provenance
	// src is the source the record (for a joined row: the row that arrived
	// last and made the match) came from; nil for rows an operator made.
	src *sourceState
	// more lists the other records a joined row was made of, for offset
	// tracking (set only while offsets are tracked).
	more []srcPos
}

// srcPos is where one input record is: source index, partition, offset.
type srcPos struct {
	src  int32
	part int32
	off  int64
}

// operator is a push-based stage. push hands it a record; advance tells it
// the watermark moved (windows may close); finish ends a bounded input.
// Errors returned are fatal to the query (a sink that failed); a record that
// fails is handed to the runtime's bad-record path instead.
type operator interface {
	push(r *rec) error
	advance(wm int64) error
	finish() error
}

// failer receives records that failed inside an operator.
type failer interface {
	fail(r *rec, reason string, err error)
	late(r *rec)
}

// filterOp drops records whose predicate is not true.
type filterOp struct {
	pred  expr.Expr
	ctx   expr.Ctx
	next  operator
	rt    failer
	stats *Stats
}

func (o *filterOp) push(r *rec) error {
	o.ctx.Reset()
	v := o.pred.Eval(&o.ctx, r.row)
	if o.ctx.Err != nil {
		o.rt.fail(r, "eval", o.ctx.Err)
		return nil
	}
	if t, null := functions.Truthy(v); !t || null {
		o.stats.Filtered.Add(1)
		return nil
	}
	return o.next.push(r)
}
func (o *filterOp) advance(wm int64) error { return o.next.advance(wm) }

func (o *filterOp) pendingOffsets(src int, offsets map[int32]int64) {
	if p, ok := o.next.(pendingOffsets); ok {
		p.pendingOffsets(src, offsets)
	}
}

func (o *filterOp) setReplayed(wm int64) {
	if p, ok := o.next.(replayer); ok {
		p.setReplayed(wm)
	}
}

func (o *filterOp) setTracking() {
	if p, ok := o.next.(replayer); ok {
		p.setTracking()
	}
}
func (o *filterOp) finish() error { return o.next.finish() }

// projectOp computes one output row per input record.
//
// It is the last operator before the output, so it holds no state and
// needs no offsets, replay or watermark.
type projectOp struct {
	exprs []expr.Expr
	ctx   expr.Ctx
	out   types.Row
	next  *outputOp
	rt    failer
}

func newProjectOp(p *plan.Project, next *outputOp, rt failer, env functions.Env) *projectOp {
	o := &projectOp{exprs: p.Exprs, out: make(types.Row, len(p.Exprs)), next: next, rt: rt}
	o.ctx.Env = env
	return o
}

func (o *projectOp) push(r *rec) error {
	o.ctx.Reset()
	for i, e := range o.exprs {
		o.out[i] = e.Eval(&o.ctx, r.row)
	}
	if o.ctx.Err != nil {
		o.rt.fail(r, "eval", o.ctx.Err)
		return nil
	}
	return o.next.emitFrom(o.out, r.t, r.prov)
}
func (o *projectOp) advance(int64) error { return nil }
func (o *projectOp) finish() error       { return nil }

// outputOp counts emitted rows, applies LIMIT and hands rows to the emitter.
type outputOp struct {
	em    Emitter
	limit int64
	stats *Stats
	done  func() // called once when LIMIT is reached
	full  bool
}

func (o *outputOp) emit(row types.Row, t int64) error { return o.emitFrom(row, t, nil) }

// emitFrom emits a row made from one input record (its key and headers
// travel with it to emitters that keep them).
func (o *outputOp) emitFrom(row types.Row, t int64, p *connectors.Provenance) error {
	if o.full {
		return nil
	}
	var err error
	if pe, ok := o.em.(provEmitter); ok && p != nil {
		err = pe.emitFrom(row, t, p)
	} else {
		err = o.em.Emit(row, t)
	}
	if err != nil {
		return err
	}
	n := o.stats.Emitted.Add(1)
	if o.limit > 0 && n >= o.limit {
		o.full = true
		if o.done != nil {
			o.done()
		}
	}
	return nil
}
