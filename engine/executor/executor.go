// Package executor runs a logical plan: it opens the plan's sources, pushes
// their records through operators built from the plan's nodes, drives
// windows with watermarks, and hands result rows to an Emitter.
//
// Takes: a *plan.Query and Options (clock, emitter, standard error).
// Gives: result rows to the emitter, bad and late records to the dead-letter
// path, and Stats.
//
// One goroutine runs the operators, so operator state needs no locks; each
// source is read by its own goroutine which hands over one batch at a time
// (a batch's rows are reused by the source after the next Read).
package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/format"
	"github.com/velostream/velostream/engine/functions"
	"github.com/velostream/velostream/engine/plan"
	"github.com/velostream/velostream/engine/types"
)

// Options configure a run.
type Options struct {
	// Emitter receives result rows. When nil, rows are written to the plan's
	// sink, opened through the connector registry.
	Emitter Emitter
	// Sources replaces the plan's sources by name (tests, the test harness
	// and the Studio feed rows in directly).
	Sources map[string]connectors.Source
	// Now is the processing-time clock; time.Now when nil.
	Now func() time.Time
	// Stderr receives bad-record reports; nil discards them.
	Stderr io.Writer
	// Tick is how often processing-time watermarks advance and held-back
	// reports are printed while a live source is idle (default 200ms).
	Tick time.Duration
	// Stats, when set, is updated in place (so a metrics endpoint can read
	// it while the query runs).
	Stats *Stats
	// DeadLetter receives bad and late records of sources without their
	// own dead-letter sink; nil means they are counted and reported only.
	DeadLetter Emitter
	// SourceOpened, when set, is called with every source the run opens
	// or is given (metrics use it to find sources that report their lag).
	SourceOpened func(ps *plan.Source, src connectors.Source)
}

// ErrLimitReached ends a run whose LIMIT was reached; Run returns nil for it.
var ErrLimitReached = errors.New("limit reached")

// Run executes q until its bounded inputs end, ctx is cancelled, or LIMIT is
// reached. It flushes the emitter before returning.
func Run(ctx context.Context, q *plan.Query, opts Options) (*Stats, error) {
	r, err := newRuntime(ctx, q, opts)
	if err != nil {
		return opts.Stats, err
	}
	defer r.close()
	return r.stats, r.loop()
}

type sourceState struct {
	src  connectors.Source
	plan *plan.Source
	next chan struct{}
	done bool
	// committer is set for replayable sources: the runtime commits the
	// offsets whose effects are durable, with the watermark as metadata.
	committer connectors.Committer
	restored  bool
	readNext  map[int32]int64 // per partition: the offset after the last record read
	// parts holds, per partition, the largest event time seen; the source's
	// watermark is the minimum over the partitions that have data and are
	// not idle, minus the allowed out-of-orderness. Partitions are small
	// integers, so a slice indexed by partition beats a map here (this is
	// touched for every record).
	parts    []partState
	wm       int64
	meta     []metaCol
	dlq      Emitter
	procTime bool
}

type partState struct {
	max  int64
	seen bool
	idle bool
}

// part returns the state of partition p, growing the slice as needed.
func (s *sourceState) part(p int32) *partState {
	if int(p) >= len(s.parts) {
		s.parts = append(s.parts, make([]partState, int(p)+1-len(s.parts))...)
	}
	return &s.parts[p]
}

type metaCol struct {
	idx  int
	name string
}

type readResult struct {
	s   *sourceState
	b   connectors.Batch
	err error
}

type runtime struct {
	ctx     context.Context
	cancel  context.CancelFunc
	q       *plan.Query
	opts    Options
	stats   *Stats
	now     func() time.Time
	env     functions.Env
	rep     *reporter
	sources []*sourceState
	head    operator
	batches chan readResult
	// commit bookkeeping (replayable sources only)
	lastCommit time.Time
	restoredWM int64
	em         Emitter
	opened     []connectors.Source
	wm         int64
	maxTime    int64
	dlqRow     []byte
	limited    bool
}

func newRuntime(ctx context.Context, q *plan.Query, opts Options) (*runtime, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Tick <= 0 {
		opts.Tick = 200 * time.Millisecond
	}
	if opts.Stats == nil {
		opts.Stats = &Stats{}
	}
	opts.Stats.Watermark.Store(math.MinInt64)
	opts.Stats.MaxEventTime.Store(math.MinInt64)
	cctx, cancel := context.WithCancel(ctx)
	r := &runtime{ctx: cctx, cancel: cancel, q: q, opts: opts, stats: opts.Stats, now: opts.Now, wm: math.MinInt64, maxTime: math.MinInt64,
		batches: make(chan readResult), restoredWM: math.MinInt64}
	r.env = functions.Env{NowMillis: func() int64 { return r.now().UnixMilli() }}
	r.rep = newReporter(opts.Stderr, opts.Now)

	r.em = opts.Emitter
	if r.em == nil {
		sink, err := connectors.OpenSink(cctx, q.Sink.Type, connectors.Config{Name: q.Sink.Name, Props: q.Sink.Props, Schema: q.Output})
		if err != nil {
			cancel()
			return nil, fmt.Errorf("sink %s: %w", q.Sink.Name, err)
		}
		r.em = NewSinkEmitter(cctx, sink, q.Output, q.Sink.Format, q.Sink.Props["key.field"])
	}
	out := &outputOp{em: r.em, limit: q.Limit, stats: r.stats, done: func() { r.limited = true }}
	head, err := r.build(q.Root, out)
	if err != nil {
		cancel()
		return nil, err
	}
	r.head = head
	for _, ps := range q.Sources {
		s, err := r.openSource(ps)
		if err != nil {
			r.close()
			return nil, err
		}
		r.sources = append(r.sources, s)
	}
	return r, nil
}

// build turns plan nodes into operators, from the output back to the scan.
func (r *runtime) build(n plan.Node, out *outputOp) (operator, error) {
	switch x := n.(type) {
	case *plan.Project:
		p := newProjectOp(x, out, r, r.env)
		return r.buildInput(x.Input, p)
	case *plan.Aggregate:
		a := newAggOp(x, out, r, r.stats, r.env)
		return r.buildInput(x.Input, a)
	}
	return nil, fmt.Errorf("executor: cannot run a plan rooted at %T", n)
}

// buildInput wraps op with the row-level operators between it and the scan.
func (r *runtime) buildInput(n plan.Node, op operator) (operator, error) {
	switch x := n.(type) {
	case *plan.Scan:
		return op, nil
	case *plan.Filter:
		f := &filterOp{pred: x.Pred, next: op, rt: r, stats: r.stats}
		f.ctx.Env = r.env
		return r.buildInput(x.Input, f)
	}
	return nil, fmt.Errorf("executor: unsupported plan node %T", n)
}

func (r *runtime) openSource(ps *plan.Source) (*sourceState, error) {
	src := r.opts.Sources[ps.Name]
	if src == nil {
		var err error
		src, err = connectors.OpenSource(r.ctx, ps.Type, connectors.Config{Name: ps.Name, Props: ps.Props, Schema: ps.DecodeSchema()})
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", ps.Name, err)
		}
		r.opened = append(r.opened, src)
	}
	if r.opts.SourceOpened != nil {
		r.opts.SourceOpened(ps, src)
	}
	s := &sourceState{src: src, plan: ps, next: make(chan struct{}),
		wm: math.MinInt64, procTime: ps.TimeCol < 0}
	if c, ok := src.(connectors.Committer); ok {
		s.committer = c
		if rp, ok := r.head.(replayer); ok {
			rp.setTracking()
		}
	}
	for i, c := range ps.Columns {
		switch c.Name {
		case "_key", "_partition", "_offset", "_timestamp":
			s.meta = append(s.meta, metaCol{idx: i, name: c.Name})
		}
	}
	if ps.DLQ != nil {
		sink, err := connectors.OpenSink(r.ctx, ps.DLQ.Type, connectors.Config{Name: ps.DLQ.Name, Props: ps.DLQ.Props})
		if err != nil {
			return nil, fmt.Errorf("dead-letter sink of %s: %w", ps.Name, err)
		}
		s.dlq = &rawEmitter{sink: sink, ctx: r.ctx, topic: ps.Props["topic"]}
	} else if r.opts.DeadLetter != nil {
		s.dlq = r.opts.DeadLetter
	}
	go r.read(s)
	return s, nil
}

// read runs in its own goroutine: one batch at a time, waiting for the
// operators to finish with a batch before reading the next (rows are reused).
func (r *runtime) read(s *sourceState) {
	for {
		b, err := s.src.Read(r.ctx)
		select {
		case r.batches <- readResult{s: s, b: b, err: err}:
		case <-r.ctx.Done():
			return
		}
		if err != nil {
			return
		}
		select {
		case <-s.next:
		case <-r.ctx.Done():
			return
		}
	}
}

func (r *runtime) loop() error {
	tick := time.NewTicker(r.opts.Tick)
	defer tick.Stop()
	for {
		if r.allDone() {
			return r.finish()
		}
		var res readResult
		select {
		case res = <-r.batches:
		case <-tick.C:
			if err := r.onTick(); err != nil {
				return err
			}
			continue
		case <-r.ctx.Done():
			return r.stop()
		}
		s := res.s
		if res.err != nil {
			s.done = true
			if errors.Is(res.err, connectors.ErrEndOfInput) || errors.Is(res.err, io.EOF) {
				continue
			}
			if r.ctx.Err() != nil {
				return r.stop()
			}
			return fmt.Errorf("source %s: %w", s.plan.Name, res.err)
		}
		if s.committer != nil && !s.restored {
			if err := r.restore(s); err != nil {
				return err
			}
		}
		start := time.Now()
		if err := r.process(s, &res.b); err != nil {
			return err
		}
		// Hand what this batch produced to the sink now (without waiting
		// for durability), so EMIT CHANGES rows do not wait for a full
		// output batch.
		if p, ok := r.em.(pusher); ok {
			if err := p.push(); err != nil {
				return fmt.Errorf("sink: %w", err)
			}
		}
		if r.stats.LatencyNanos != nil {
			r.stats.LatencyNanos(time.Since(start).Nanoseconds())
		}
		if r.limited {
			return r.stop()
		}
		select {
		case s.next <- struct{}{}:
		case <-r.ctx.Done():
			return r.stop()
		}
	}
}

// pusher is implemented by emitters that buffer rows: push hands the buffer
// to the sink without waiting for it to be durable.
type pusher interface{ push() error }

func (r *runtime) allDone() bool {
	for _, s := range r.sources {
		if !s.done {
			return false
		}
	}
	return true
}

// process pushes one batch through the operators. Bad records are handled
// in input order with the good ones, so dead letters keep the input's order.
func (r *runtime) process(s *sourceState, b *connectors.Batch) error {
	for _, p := range b.Pending {
		// Holds the watermark (at no time at all) until it delivers.
		if ps := s.part(p); !ps.seen {
			ps.seen, ps.max, ps.idle = true, math.MinInt64, false
		}
	}
	for _, p := range b.Idle {
		s.part(p).idle = true
	}
	if len(b.Records) == 0 && len(b.Bad) == 0 {
		if len(b.Idle) > 0 {
			return r.updateWatermark(s)
		}
		return nil
	}
	r.stats.Read.Add(int64(len(b.Records) + len(b.Bad)))
	var rc rec
	procNow := int64(0)
	if s.procTime {
		procNow = r.now().UnixMilli()
	}
	defer r.publish()
	single := len(r.sources) == 1 && len(s.parts) <= 1
	bad := 0
	for i := range b.Records {
		in := &b.Records[i]
		for bad < len(b.Bad) && before(&b.Bad[bad].Prov, &in.Prov) {
			r.decodeFailed(s, &b.Bad[bad])
			bad++
		}
		for _, m := range s.meta {
			in.Row[m.idx] = metaValue(m.name, &in.Prov)
		}
		t := procNow
		if !s.procTime {
			var err error
			t, err = eventTime(in.Row[s.plan.TimeCol], s.plan.TimeFormat)
			if err != nil {
				if s.committer != nil {
					s.noteRead(&in.Prov)
				}
				r.badRecord(s, &in.Prov, nil, in.Row, "time", fmt.Errorf("event time column %q: %w", s.plan.Columns[s.plan.TimeCol].Name, err))
				continue
			}
		}
		if s.committer != nil {
			s.noteRead(&in.Prov)
		}
		rc = rec{row: in.Row, t: t, prov: &in.Prov}
		if err := r.head.push(&rc); err != nil {
			return err
		}
		if r.limited {
			return nil
		}
		// Advance the watermark as soon as it moves, so a window closes
		// before the next record is judged late or on time.
		ps := s.part(in.Prov.Partition)
		if !ps.seen || t > ps.max {
			ps.max, ps.seen, ps.idle = t, true, false
			if single && len(s.parts) == 1 && t-s.plan.MaxOutOfOrder > r.wm {
				// One source, one partition: the watermark is this
				// partition's, no minimum to take.
				r.wm = t - s.plan.MaxOutOfOrder
				s.wm, r.maxTime = r.wm, max(r.maxTime, t)
				if err := r.head.advance(r.wm); err != nil {
					return err
				}
			} else if err := r.updateWatermark(s); err != nil {
				return err
			}
		}
	}
	for ; bad < len(b.Bad); bad++ {
		r.decodeFailed(s, &b.Bad[bad])
	}
	return nil
}

// before reports whether a comes before b in its source (same partition:
// by line or offset).
func before(a, b *connectors.Provenance) bool {
	if a.Partition != b.Partition {
		return false
	}
	if a.Line > 0 && b.Line > 0 {
		return a.Line < b.Line
	}
	return a.Offset < b.Offset
}

func (r *runtime) decodeFailed(s *sourceState, bad *connectors.BadRecord) {
	if s.committer != nil {
		s.noteRead(&bad.Prov)
	}
	r.badRecord(s, &bad.Prov, bad.Raw, nil, "decode", bad.Err)
}

// updateWatermark recomputes s's watermark and the query's (the minimum
// over its sources), and lets the operators close windows.
func (r *runtime) updateWatermark(s *sourceState) error {
	wm, mx := int64(math.MaxInt64), int64(math.MinInt64)
	active, seen := 0, 0
	for i := range s.parts {
		p := &s.parts[i]
		if !p.seen {
			continue
		}
		seen++
		mx = max(mx, p.max)
		if p.idle {
			continue
		}
		active++
		wm = min(wm, p.max)
	}
	if seen == 0 {
		return nil
	}
	if active == 0 { // every partition idle: the newest data decides
		wm = mx
	}
	r.maxTime = max(r.maxTime, mx)
	if wm == math.MinInt64 {
		return nil // a pending partition has delivered nothing yet
	}
	wm -= s.plan.MaxOutOfOrder
	if wm <= s.wm {
		return nil
	}
	s.wm = wm
	qwm := int64(math.MaxInt64)
	for _, o := range r.sources {
		if o.done && o != s {
			continue
		}
		qwm = min(qwm, o.wm)
	}
	if qwm <= r.wm {
		return nil
	}
	r.wm = qwm
	return r.head.advance(qwm)
}

// publish copies the watermark and largest event time to the shared Stats
// once per batch (atomic stores per record would cost more than the work).
func (r *runtime) publish() {
	r.stats.Watermark.Store(r.wm)
	r.stats.MaxEventTime.Store(r.maxTime)
}

// onTick advances processing-time watermarks and prints held-back reports.
func (r *runtime) onTick() error {
	r.rep.tick()
	r.maybeCommit()
	now := r.now().UnixMilli()
	for _, s := range r.sources {
		if s.procTime && !s.done {
			p := s.part(0)
			p.max, p.seen = max(p.max, now), true
			if err := r.updateWatermark(s); err != nil {
				return err
			}
		}
	}
	return nil
}

// finish ends a bounded run: every open window closes, in order.
func (r *runtime) finish() error {
	if err := r.head.finish(); err != nil {
		return err
	}
	return r.flushAndCommit()
}

// stop ends a run that was cancelled (Ctrl-C, SIGTERM, LIMIT): nothing is
// closed early, but everything emitted so far is flushed.
func (r *runtime) stop() error {
	return r.flushAndCommit()
}

// flushAndCommit makes every emitted row durable, then commits what that
// covers. It runs on a fresh context: the run's own may be cancelled
// (Ctrl-C, SIGTERM) and the work still has to be saved.
func (r *runtime) flushAndCommit() error {
	fctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.flushAll(fctx); err != nil {
		return err
	}
	return r.commit(fctx)
}

// flushAll flushes the output and dead-letter sinks.
func (r *runtime) flushAll(fctx context.Context) error {
	var first error
	if err := r.em.Flush(fctx); err != nil {
		first = fmt.Errorf("flush sink: %w", err)
	}
	for _, s := range r.sources {
		if s.dlq != nil && s.dlq != r.opts.DeadLetter {
			if err := s.dlq.Flush(fctx); err != nil && first == nil {
				first = fmt.Errorf("flush dead-letter sink: %w", err)
			}
		}
	}
	if r.opts.DeadLetter != nil {
		if err := r.opts.DeadLetter.Flush(fctx); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (r *runtime) close() {
	r.cancel()
	r.rep.close()
	for _, s := range r.opened {
		_ = s.Close()
	}
	for _, s := range r.sources {
		if s.dlq != nil && s.dlq != r.opts.DeadLetter {
			_ = s.dlq.Close()
		}
	}
	if r.opts.Emitter == nil && r.em != nil {
		_ = r.em.Close()
	}
}

// fail is called by operators for a record that failed to process.
func (r *runtime) fail(rc *rec, reason string, err error) {
	var s *sourceState
	if len(r.sources) > 0 {
		s = r.sources[0]
	}
	r.badRecord(s, rc.prov, nil, rc.row, reason, err)
}

// late is called by window operators for a record whose windows all closed.
func (r *runtime) late(rc *rec) {
	r.stats.Late.Add(1)
	var s *sourceState
	if len(r.sources) > 0 {
		s = r.sources[0]
	}
	if s != nil && s.plan.LateToDLQ {
		if s.dlq != nil {
			r.stats.DeadLettered.Add(1)
			r.writeDLQ(s, rc.prov, nil, rc.row, "late", fmt.Errorf("late record: event time %s is behind the watermark %s",
				time.UnixMilli(rc.t).UTC().Format(time.RFC3339Nano), time.UnixMilli(r.wm).UTC().Format(time.RFC3339Nano)))
		}
	}
}

// badRecord counts, reports and dead-letters a record that could not be
// processed. raw is the undecoded input when decoding failed; row the
// decoded values otherwise.
func (r *runtime) badRecord(s *sourceState, prov *connectors.Provenance, raw []byte, row types.Row, reason string, err error) {
	r.stats.Bad.Add(1)
	where := ""
	if prov != nil {
		switch {
		case prov.Line > 0:
			where = fmt.Sprintf("%s:%d", prov.Source, prov.Line)
		default:
			where = fmt.Sprintf("%s[%d]@%d", prov.Source, prov.Partition, prov.Offset)
		}
	}
	r.rep.report(fmt.Sprintf("bad record at %s: %v", where, err))
	if s != nil && s.dlq != nil {
		r.stats.DeadLettered.Add(1)
		r.writeDLQ(s, prov, raw, row, reason, err)
	}
}

// writeDLQ writes one dead letter as a JSON object with the reason, the
// provenance and the record (raw text, or the decoded row).
func (r *runtime) writeDLQ(s *sourceState, prov *connectors.Provenance, raw []byte, row types.Row, reason string, err error) {
	b := r.dlqRow[:0]
	b = append(b, `{"reason":`...)
	b = format.AppendJSONValue(b, types.StringValue(reason))
	b = append(b, `,"error":`...)
	b = format.AppendJSONValue(b, types.StringValue(err.Error()))
	b = append(b, `,"source":`...)
	b = format.AppendJSONValue(b, types.StringValue(s.plan.Name))
	if prov != nil {
		if prov.Line > 0 {
			b = fmt.Appendf(b, `,"line":%d`, prov.Line)
		}
		b = fmt.Appendf(b, `,"offset":%d,"partition":%d`, prov.Offset, prov.Partition)
	}
	switch {
	case raw != nil:
		b = append(b, `,"raw":`...)
		b = format.AppendJSONValue(b, types.StringValue(string(raw)))
	case row != nil && len(row) == len(s.plan.Columns):
		b = append(b, `,"record":`...)
		b = format.AppendJSON(b, s.plan.Columns, row)
	}
	b = append(b, '}')
	r.dlqRow = b
	var h []connectors.Header
	if prov != nil {
		h = prov.Headers
	}
	if re, ok := s.dlq.(*rawEmitter); ok {
		var key []byte
		if prov != nil {
			key = prov.Key
		}
		_ = re.write(key, b, h, reason, err, prov)
		return
	}
	_ = s.dlq.Emit(types.Row{types.StringValue(string(b))}, 0)
}

// metaValue returns a provenance column's value.
func metaValue(name string, p *connectors.Provenance) types.Value {
	switch name {
	case "_key":
		if p.Key == nil {
			return types.Value{}
		}
		return types.StringValue(string(p.Key))
	case "_partition":
		return types.IntValue(int64(p.Partition))
	case "_offset":
		return types.IntValue(p.Offset)
	case "_timestamp":
		if p.Timestamp == 0 {
			return types.Value{}
		}
		return types.TimestampValue(p.Timestamp)
	}
	return types.Value{}
}

// rawEmitter writes dead letters straight to a sink.
type rawEmitter struct {
	sink  connectors.Sink
	ctx   context.Context
	topic string // the source's Kafka topic, for the velo.topic header
}

func (e *rawEmitter) write(key, value []byte, headers []connectors.Header, reason string, err error, prov *connectors.Provenance) error {
	h := append([]connectors.Header(nil), headers...)
	h = append(h, connectors.Header{Key: "velo.error.reason", Value: []byte(reason)}, connectors.Header{Key: "velo.error", Value: []byte(err.Error())})
	if e.topic != "" {
		h = append(h, connectors.Header{Key: "velo.topic", Value: []byte(e.topic)})
	}
	if prov != nil {
		h = append(h,
			connectors.Header{Key: "velo.source", Value: []byte(prov.Source)},
			connectors.Header{Key: "velo.partition", Value: fmt.Appendf(nil, "%d", prov.Partition)},
			connectors.Header{Key: "velo.offset", Value: fmt.Appendf(nil, "%d", prov.Offset)})
	}
	return e.sink.Write(e.ctx, []connectors.OutRecord{{Key: append([]byte(nil), key...), Value: append([]byte(nil), value...), Headers: h}})
}

func (e *rawEmitter) Emit(row types.Row, _ int64) error {
	return e.sink.Write(e.ctx, []connectors.OutRecord{{Value: []byte(row[0].S)}})
}
func (e *rawEmitter) Flush(ctx context.Context) error { return e.sink.Flush(ctx) }
func (e *rawEmitter) Close() error                    { return e.sink.Close() }
