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
// (a batch's rows are reused by the source after the next Read). Operators
// form a tree from the scans to the output: a join has two inputs, and a
// table defined by a query is fed by a pipeline of its own. Tables are read
// before streams, and several streams are merged in event-time order (see
// loop.go).
package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/velostream/velostream/engine/connectors"
	"github.com/velostream/velostream/engine/connectors/memory"
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
	idx  int // position in runtime.sources
	next chan struct{}
	done bool
	// entry is the operator the source's records enter.
	entry operator
	// pipe is the pipeline whose watermark the source's event times make;
	// nil for a table read as a join's table side (its rows carry no time
	// that matters: a table is versioned by arrival).
	pipe *pipeline
	// preload: read before any stream record of the final query is
	// processed (tables, and the sources of tables defined by queries),
	// until the input ends or the source has caught up.
	preload bool
	// waitAlways: the source answers Read promptly (a file, rows in
	// memory), so merging by event time always waits for its next batch.
	waitAlways bool
	// pend is a batch received but not yet processed (while tables load,
	// and when several streams are merged by event time), cur its position.
	pend      *connectors.Batch
	cur       cursor
	silent    bool      // a live source that kept the merge waiting: no longer awaited
	waiting   time.Time // when the merge began waiting for this source
	got       int       // batches received (for "caught up" while preloading)
	gotAtTick int       // got at the last tick
	caughtUp  bool      // a preloaded live source has nothing more for now
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
	ownDLQ   bool // dlq was opened for this source (flushed and closed with it)
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

// pipeline is a set of stream sources feeding one operator graph, with one
// watermark: the final query, or a table defined by CREATE TABLE ... AS
// SELECT (which closes its own windows by its own sources' time).
type pipeline struct {
	sources []*sourceState // the stream sources whose watermarks make this one's
	entries []operator     // the distinct operators its records enter
	wm      int64
	maxTime int64
	main    bool
	ended   bool
}

func (p *pipeline) addEntry(op operator) {
	for _, e := range p.entries {
		if e == op {
			return
		}
	}
	p.entries = append(p.entries, op)
}

// advance tells every entry the watermark moved (operators that two entries
// reach, a join, see it twice and ignore the second).
func (p *pipeline) advance(wm int64) error {
	for _, e := range p.entries {
		if err := e.advance(wm); err != nil {
			return err
		}
	}
	return nil
}

// finish ends the pipeline's bounded input: every open window closes.
func (p *pipeline) finish() error {
	if p.ended {
		return nil
	}
	p.ended = true
	for _, e := range p.entries {
		if err := e.finish(); err != nil {
			return err
		}
	}
	return nil
}

// done reports whether every stream source of the pipeline has ended.
func (p *pipeline) done() bool {
	for _, s := range p.sources {
		if !s.done {
			return false
		}
	}
	return true
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
	main    *pipeline   // the final query's
	pipes   []*pipeline // every pipeline, the final query's last
	batches chan readResult
	// merge is set when the final query reads several streams: their
	// records are then processed in event-time order across them.
	merge bool
	// preloading is set while tables load.
	preloading bool
	// commit bookkeeping (replayable sources only)
	lastCommit time.Time
	restoredWM int64
	em         Emitter
	opened     []connectors.Source
	claimed    map[string]bool // names of injected sources in use (Options.Sources is keyed by name, so a name read twice is one source read twice; sources may be of uncomparable types)
	dlqRow     []byte
	limited    bool
	rc         rec // the record being pushed (a field, so it is not allocated per record)
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
	r := &runtime{ctx: cctx, cancel: cancel, q: q, opts: opts, stats: opts.Stats, now: opts.Now,
		batches: make(chan readResult), restoredWM: math.MinInt64, claimed: map[string]bool{}}
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
	out := &outputOp{em: r.em, limit: q.Limit, stats: r.stats, done: func() { r.limited = true; cancel() }}
	main, err := r.buildPipeline(q, out, true)
	if err != nil {
		r.close()
		return nil, err
	}
	r.main = main
	r.merge = len(main.sources) > 1
	for _, s := range r.sources {
		go r.read(s)
	}
	return r, nil
}

// buildPipeline builds the operators of q (the final query, or a table's
// defining query) and opens the sources they read.
func (r *runtime) buildPipeline(q *plan.Query, out *outputOp, main bool) (*pipeline, error) {
	p := &pipeline{wm: math.MinInt64, maxTime: math.MinInt64, main: main}
	var root operator
	switch x := q.Root.(type) {
	case *plan.Project:
		root = newProjectOp(x, out, r, r.env)
	case *plan.Aggregate:
		root = newAggOp(x, out, r, r.stats, r.env)
	default:
		return nil, fmt.Errorf("executor: cannot run a plan rooted at %T", q.Root)
	}
	if err := r.buildInput(q.Root.Children()[0], root, p, false); err != nil {
		return nil, err
	}
	r.pipes = append(r.pipes, p)
	return p, nil
}

// buildInput wraps op with the operators between it and the scans, and
// opens each scan's source with its entry operator. table is set for the
// table side of a stream-table join.
func (r *runtime) buildInput(n plan.Node, op operator, p *pipeline, table bool) error {
	switch x := n.(type) {
	case *plan.Scan:
		if x.Source.Query != nil {
			// A table defined by a query: its own pipeline's output rows
			// upsert the table.
			feed := &outputOp{em: &tableFeed{side: op}, stats: &Stats{}}
			sub, err := r.buildPipeline(x.Source.Query, feed, false)
			if err != nil {
				return err
			}
			for _, s := range sub.sources {
				s.preload = true
			}
			return nil
		}
		s, err := r.openSource(x.Source)
		if err != nil {
			return err
		}
		s.entry = op
		if table {
			s.preload = true
			return nil
		}
		s.pipe = p
		p.sources = append(p.sources, s)
		p.addEntry(op)
		if !p.main {
			s.preload = true
		}
		if c, ok := s.src.(connectors.Committer); ok && p.main {
			s.committer = c
			if rp, ok := op.(replayer); ok {
				rp.setTracking()
			}
		}
		return nil
	case *plan.Filter:
		f := &filterOp{pred: x.Pred, next: op, rt: r, stats: r.stats}
		f.ctx.Env = r.env
		return r.buildInput(x.Input, f, p, false)
	case *plan.Over:
		o := newOverOp(x, op, r, r.stats, r.env)
		return r.buildInput(x.Input, o, p, false)
	case *plan.Join:
		var left, right operator
		if x.Table == 0 {
			j := newIntervalJoinOp(x, op, r, r.stats, r.env)
			left, right = &joinSide{j: j, side: 0}, &joinSide{j: j, side: 1}
		} else {
			j := newTableJoinOp(x, op, r, r.stats, r.env)
			left, right = &joinSide{j: j, side: 0}, &joinSide{j: j, side: 1}
		}
		if err := r.buildInput(x.Left, left, p, x.Table == -1); err != nil {
			return err
		}
		return r.buildInput(x.Right, right, p, x.Table == 1)
	}
	return fmt.Errorf("executor: unsupported plan node %T", n)
}

func (r *runtime) openSource(ps *plan.Source) (*sourceState, error) {
	src := r.opts.Sources[ps.Name]
	waitAlways := ps.Type == "file_source"
	if src != nil {
		if r.claimed[ps.Name] {
			return nil, fmt.Errorf("source %s is read twice (a self-join or a table defined over it): give each read its own source", ps.Name)
		}
		r.claimed[ps.Name] = true
		_, waitAlways = src.(*memory.Source)
	} else {
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
	s := &sourceState{src: src, plan: ps, idx: len(r.sources), next: make(chan struct{}),
		wm: math.MinInt64, procTime: ps.TimeCol < 0, waitAlways: waitAlways}
	r.sources = append(r.sources, s)
	for i, c := range ps.Columns {
		switch c.Name {
		case "_key", "_partition", "_offset", "_timestamp":
			s.meta = append(s.meta, metaCol{idx: i, name: c.Name})
		default:
			if strings.HasPrefix(c.Name, "_header:") {
				s.meta = append(s.meta, metaCol{idx: i, name: c.Name})
			}
		}
	}
	if ps.DLQ != nil {
		sink, err := connectors.OpenSink(r.ctx, ps.DLQ.Type, connectors.Config{Name: ps.DLQ.Name, Props: ps.DLQ.Props})
		if err != nil {
			return nil, fmt.Errorf("dead-letter sink of %s: %w", ps.Name, err)
		}
		s.dlq = &rawEmitter{sink: sink, ctx: r.ctx, topic: ps.Props["topic"]}
		s.ownDLQ = true
	} else if r.opts.DeadLetter != nil {
		s.dlq = r.opts.DeadLetter
	}
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
		if s.ownDLQ {
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
		if s.ownDLQ {
			_ = s.dlq.Close()
		}
	}
	if r.opts.Emitter == nil && r.em != nil {
		_ = r.em.Close()
	}
}

// fail is called by operators for a record that failed to process.
func (r *runtime) fail(rc *rec, reason string, err error) {
	r.badRecord(r.sourceOf(rc), rc.prov, nil, rc.row, reason, err)
}

// sourceOf is the source a record came from; rows an operator made itself
// (an aggregate's output) are charged to the final query's first source.
func (r *runtime) sourceOf(rc *rec) *sourceState {
	if rc.src != nil {
		return rc.src
	}
	if len(r.main.sources) > 0 {
		return r.main.sources[0]
	}
	if len(r.sources) > 0 {
		return r.sources[0]
	}
	return nil
}

// late is called by window operators for a record whose windows all closed.
func (r *runtime) late(rc *rec) {
	r.stats.Late.Add(1)
	s := r.sourceOf(rc)
	if s != nil && s.plan.LateToDLQ {
		if s.dlq != nil {
			wm := r.main.wm
			if s.pipe != nil {
				wm = s.pipe.wm
			}
			r.stats.DeadLettered.Add(1)
			r.writeDLQ(s, rc.prov, nil, rc.row, "late", fmt.Errorf("late record: event time %s is behind the watermark %s",
				time.UnixMilli(rc.t).UTC().Format(time.RFC3339Nano), time.UnixMilli(wm).UTC().Format(time.RFC3339Nano)))
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
	if h, ok := strings.CutPrefix(name, "_header:"); ok {
		for i := len(p.Headers) - 1; i >= 0; i-- { // the last one wins, as in Kafka clients
			if p.Headers[i].Key == h {
				return types.StringValue(string(p.Headers[i].Value))
			}
		}
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
